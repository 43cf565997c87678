"""Admin: the audit log (who did what, when) of every action taken on the board."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import clock, data
from dashboard.components import clean, show_table
from yujing.i18n import t
from dashboard.session import lang as current_lang, require_user


def render() -> None:
    require_user()
    lang = current_lang()
    st.subheader(t("audit.title", lang))
    st.caption(t("times.zone", lang, zone=clock.zone_name()))
    rows = data.store().audit_log(500)
    df = pd.DataFrame([{
        t("col.time", lang): clock.show(data.epoch(r.get("ts")) or 0),
        t("col.who", lang): clean(r.get("who"), 64), t("col.what", lang): clean(r.get("action"), 32),
        t("col.detail", lang): clean(r.get("detail"), 300)} for r in rows])
    show_table(df)
