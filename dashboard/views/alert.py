"""One alert, opened from the link in its push message (``<board>/?alert=<alert_id>``, ``alerts.templates``).

A person who taps the link in a notification expects to land on that alert, not on a board where they must find
it: while it is active, its card with the actions their role allows (acknowledge, hand over, silence, resolve)
and what to do next; always, its story and its notifications. Every role sees this page when it opens such a
link (after logging in, if needed); it leaves the navigation when the person moves to another page.
"""
from __future__ import annotations

import re
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.alert_card import alert_card
from dashboard.components import kind_label, md, scope_md, show_table, tier_badge
from yujing.i18n import t
from dashboard.session import lang as current_lang, require_user

PARAM = "alert"
"""The query parameter of the push messages' links."""


ALERT_ID = re.compile(r"[0-9a-f]{16}-[0-9]{1,19}")
"""An alert id: its fingerprint and the seq of its first record (``alerts.state``)."""


def linked_alert() -> str | None:
    """The alert id the page was opened with, if any (as given: :data:`ALERT_ID` tells whether it is one)."""
    return st.query_params.get(PARAM) or None


def _active(alert_id: str) -> dict[str, Any] | None:
    return next((a for a in data.board_data().active if a.get("alert_id") == alert_id), None)


def render() -> None:
    from dashboard.views.history import deliveries_table, story
    user = require_user()
    lang = current_lang()
    aid = linked_alert()
    if not aid or not ALERT_ID.fullmatch(aid):   # the link was cut or typed over: say so, show nothing of it
        st.warning(t("alert.none", lang))
        return

    @st.fragment(run_every=data.settings().dashboard.refresh_s)
    def _panel() -> None:
        row, timeline = data.alert_now(aid)
        if row is None:
            st.warning(t("alert.unknown", lang, id=aid))   # hex and digits only (ALERT_ID), not masked
            return
        active = _active(aid)
        if active is not None:
            alert_card(user, active, data.alerts_now(data.board_data().snapshot), lang, show_playbook=True)
        else:
            st.markdown(f"{tier_badge(row.get('tier'), lang)} **{md(kind_label(row.get('kind'), lang))}** · "
                        f"{scope_md(row.get('scope'), lang)}")
            st.markdown(md(row.get("summary"), 300))
            st.info(t("alert.over", lang, status=t(f"status.{row.get('status')}", lang)), icon=":material/task_alt:")
        st.subheader(t("hist.story", lang), divider="gray")
        steps = story(aid, lang, timeline)
        show_table(steps)
        deliveries = data.store().deliveries(alert_id=aid)
        if deliveries:
            st.caption(t("hist.deliveries", lang))
            show_table(deliveries_table(deliveries, lang))

    _panel()
