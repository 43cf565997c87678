"""Staff view: the alerts routed to me (my region or department), acknowledge, and what to do next."""
from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data
from dashboard.alert_card import alert_card, group_card
from dashboard.alert_group import AlertGroup, board_items
from dashboard.auth import User
from dashboard.components import all_clear, inject_css, is_stale, md
from yujing.names import shown
from yujing.i18n import t
from dashboard.session import lang as current_lang, require_user


def routed_to(user: User, alert: dict[str, Any]) -> bool:
    """Is ``alert`` for ``user``: its scope or routing names the user's region or department?

    An alert with no region/department in its scope (a service-wide one) goes to everybody.

    >>> u = User("li", "staff", "", region="north", department="ops-north")
    >>> routed_to(u, {"scope": {"region": "north"}}), routed_to(u, {"scope": {"region": "south"}})
    (True, False)
    >>> routed_to(u, {"scope": {"category": "complaint"}}), routed_to(u, {"scope": {}, "assignee": "li"})
    (True, True)
    """
    if alert.get("assignee") == user.name:
        return True
    if not (user.region or user.department):
        return True
    scope = alert.get("scope") or {}
    region, dept = scope.get("region") or alert.get("region"), scope.get("department") or alert.get("department")
    if region is None and dept is None:
        return True
    return bool((user.region and region == user.region) or (user.department and dept == user.department))


def render() -> None:
    user = require_user()
    lang = current_lang()
    inject_css()

    @st.fragment(run_every=data.settings().dashboard.refresh_s)
    def _mine() -> None:
        bd = data.board_data()
        now = data.alerts_now(bd.snapshot)   # "since" runs on to now, also when the data has stalled
        if user.region or user.department:
            st.caption(md(t("staff.routing", lang, region=shown("region", user.region) or "—",
                                             department=shown("department", user.department) or "—")))
        else:
            st.caption(t("staff.no_profile", lang))
        if bd.error:
            st.warning(t("store.missing", lang, err=bd.error[:200]))
        mine = board_items([a for a in bd.active if routed_to(user, a)], data.settings().dashboard.group_orders_min)
        stale = is_stale(bd.snapshot, data.settings().dashboard.stale_after_s)
        if not mine:
            all_clear(bd.error, stale, t("staff.none", lang), lang)
        elif stale:   # this page has no freshness pill: say it where the list is
            st.warning(t("staff.stale", lang), icon=":material/hourglass_disabled:")
        for item in mine:
            if isinstance(item, AlertGroup):
                group_card(user, item, now, lang, show_playbook=True)
            else:
                alert_card(user, item, now, lang, show_playbook=True)

    _mine()
