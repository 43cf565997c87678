"""The yujing board: ``streamlit run dashboard/app.py`` (or ``yujing board``).

Login first; then the pages this user's role needs: the live wall board, my routed alerts, the shift
handover, the alert history and (admin) the audit log. Language is per user (zh by default) and can be switched in the sidebar.
"""
from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.auth import authenticate, load_users
from yujing.i18n import t
from dashboard.session import current_user, lang as current_lang
from dashboard.views import alert, audit, handover, history, live, staff

st.set_page_config(page_title="预警 Yujing", page_icon="🚨", layout="wide", initial_sidebar_state="collapsed")

# The pages each role sees, its landing page first.
PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "duty_manager": ("live", "staff", "handover", "history"),
    "staff": ("staff", "live"),
    "quality": ("history", "live"),
    "admin": ("live", "staff", "handover", "history", "audit"),
}

_RENDER = {"live": live.render, "staff": staff.render, "handover": handover.render, "history": history.render,
           "audit": audit.render}
_ICON = {"live": ":material/monitor_heart:", "staff": ":material/assignment_ind:",
         "handover": ":material/swap_horiz:", "history": ":material/history:", "audit": ":material/shield_person:"}


def login_page() -> None:
    lang = st.session_state.get("lang") or data.settings().dashboard.default_lang
    _, mid, _ = st.columns([1, 1.2, 1])
    with mid:
        st.title(t("app.title", lang))
        path = data.settings().dashboard.users_path()
        if not load_users(path):
            st.warning(t("login.no_users", lang))
        with st.form("login"):
            name = st.text_input(t("login.user", lang), key="login_name")
            password = st.text_input(t("login.password", lang), type="password", key="login_password")
            if st.form_submit_button(t("login.submit", lang), type="primary", width="stretch"):
                user = authenticate(path, name.strip(), password)
                if user is None:
                    st.error(t("login.failed", lang))
                else:
                    st.session_state["user"] = user
                    st.session_state["lang"] = user.lang or data.settings().dashboard.default_lang
                    try:
                        data.store().audit(user.name, "login", {"role": user.role})
                    except Exception:  # noqa: BLE001 - the audit trail must not lock people out
                        pass
                    st.rerun()
        st.segmented_control("lang", ["zh", "en"], default=lang, key="lang", label_visibility="collapsed",
                             format_func=lambda x: {"zh": "中文", "en": "English"}[x])


def sidebar() -> None:
    user = current_user()
    lang = current_lang()
    with st.sidebar:
        st.markdown(f"**{user.display or user.name}** · {t('role.' + user.role, lang)}")
        st.segmented_control("lang", ["zh", "en"], key="lang", format_func=lambda x: {"zh": "中文", "en": "English"}[x])
        if data.settings().dashboard.sound:
            st.toggle(t("sound.toggle", lang), key="sound")
        if st.button(t("logout", lang), icon=":material/logout:"):
            try:
                data.store().audit(user.name, "logout", {})
            except Exception:  # noqa: BLE001
                pass
            for key in list(st.session_state):
                del st.session_state[key]
            st.rerun()


def main() -> None:
    from dashboard.components import inject_css
    inject_css()  # every page: house styles, no "Deploy" button on a wall screen
    user = current_user()
    if user is None:
        st.navigation([st.Page(login_page, title="Login", icon=":material/login:", url_path="login")],
                      position="hidden").run()
        return
    if not st.session_state.get("lang"):
        st.session_state["lang"] = user.lang
    lang = current_lang()
    # a push message's link (``/?alert=<id>``) opens that alert's page, for every role; it leaves the navigation
    # when the person moves on (a page switch clears the query)
    linked = alert.linked_alert() is not None
    pages = [st.Page(alert.render, title=t("page.alert", lang), icon=":material/notification_important:",
                     url_path="alert", default=True)] if linked else []
    pages += [st.Page(_RENDER[p], title=t("page." + p, lang), icon=_ICON[p], url_path=p, default=(i == 0 and not linked))
              for i, p in enumerate(PAGES_BY_ROLE.get(user.role, ("live",)))]
    nav = st.navigation(pages, position="top")
    sidebar()
    nav.run()


main()
