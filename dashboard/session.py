"""Who is looking at the board in this browser session, and in which language."""
from __future__ import annotations

import streamlit as st

from dashboard.auth import User


def current_user() -> User | None:
    return st.session_state.get("user")


def require_user() -> User:
    """The logged-in user; stops the page when nobody is (the app's login page takes over)."""
    user = current_user()
    if user is None:
        st.stop()
    return user


def lang() -> str:
    user = current_user()
    return st.session_state.get("lang") or (user.lang if user else None) or "zh"
