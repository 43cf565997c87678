"""One active alert as a card with its actions: acknowledge in one click, the rest behind "More".

Used by the live board (every alert) and the staff view (alerts routed to me, with the playbook).
"""
from __future__ import annotations

import time
from typing import Any

import streamlit as st

from dashboard import actions, data
from dashboard.auth import User, can
from dashboard.components import ago, evidence_text, kind_label, md, scope_md, tier_badge
from dashboard.i18n import t
from dashboard.playbooks import playbook


def _send(user: User, action: str, alert: dict[str, Any], lang: str, **fields: Any) -> None:
    try:
        actions.perform(data.store(), user, action, alert, **fields)
    except actions.NotAllowed:
        st.error(t("form.not_allowed", lang))
        return
    except ValueError as exc:
        st.error(str(exc))
        return
    st.session_state.setdefault("pending", {})[alert["alert_id"]] = action
    data.refresh()
    st.toast(t("form.sent", lang, action=t("action." + action, lang)))


def _more(user: User, alert: dict[str, Any], lang: str) -> None:
    aid, tier = alert["alert_id"], alert.get("tier")
    with st.popover(t("btn.more", lang), icon=":material/more_horiz:"):
        if can(user.role, "assign", tier):
            with st.form(f"assign-{aid}", border=False):
                who = st.text_input(t("form.assignee", lang), key=f"assignee-{aid}")
                if st.form_submit_button(t("btn.assign", lang)):
                    _send(user, "assign", alert, lang, assignee=who.strip())
        if can(user.role, "silence", tier):
            with st.form(f"silence-{aid}", border=False):
                hours = st.number_input(t("form.silence_hours", lang), 0.25, 72.0, 2.0, 0.25, key=f"sh-{aid}")
                reason = st.text_input(t("form.reason", lang), key=f"sr-{aid}")
                if st.form_submit_button(t("btn.silence", lang)):
                    if not reason.strip():
                        st.error(t("form.reason_missing", lang))
                    else:
                        _send(user, "silence", alert, lang, until=time.time() + hours * 3600,
                              reason=reason.strip())
        elif tier == "red" and user.role == "staff":
            st.caption(t("form.red_staff", lang))
        if can(user.role, "resolve", tier):
            with st.form(f"resolve-{aid}", border=False):
                reason = st.text_input(t("form.reason", lang), key=f"rr-{aid}")
                if st.form_submit_button(t("btn.resolve", lang)):
                    if not reason.strip():
                        st.error(t("form.reason_missing", lang))
                    else:
                        _send(user, "resolve", alert, lang, reason=reason.strip())


def alert_card(user: User, alert: dict[str, Any], now: float, lang: str, *, new: bool = False,
               show_playbook: bool = False) -> None:
    """Render one alert: tier, kind, scope, since, summary, evidence, ack state and the action buttons."""
    aid, tier = alert["alert_id"], alert.get("tier")
    fired = data.fired_at(alert)
    # the key must not change between refreshes: a new key re-creates the card (and its Acknowledge button)
    # under the duty manager's cursor; a new red is marked in the state line instead
    key = f"card-{tier or 'none'}-{aid}"
    with st.container(border=True, key=key):
        head, buttons = st.columns([5, 2], vertical_alignment="center")
        with head:
            st.markdown(f"{tier_badge(tier, lang)} **{md(kind_label(alert.get('kind'), lang))}** · "
                        f"{scope_md(alert.get('scope'), lang)}"
                        f" · {t('col.since', lang)} {ago(now - fired if fired else None, lang)}")
            st.markdown(md(alert.get("summary")))
            ev = evidence_text(alert.get("evidence"), lang=lang)
            if ev:
                st.caption(md(ev))
            state = [f":red[**:material/fiber_new: {t('new_red', lang)}**]"] if new else []
            if alert.get("acked_by"):
                state.append(":material/check_circle: " + md(t("acked_by", lang, who=alert["acked_by"])))
            else:
                state.append(":material/notifications_active: " + t("unacked", lang))
            if alert.get("assignee"):
                state.append(md(t("assigned_to", lang, who=alert["assignee"])))
            if alert.get("silenced_until") or alert.get("silence_id"):
                until = data.epoch(alert.get("silenced_until"))
                state.append(":material/notifications_off: " + t("silenced_until", lang,
                                      t=time.strftime("%H:%M", time.localtime(until)) if until else "…"))
            pending = st.session_state.get("pending", {}).get(aid)
            if pending and not (pending == "ack" and alert.get("acked_by")):
                state.append(":material/hourglass_top: " + t("pending", lang, action=t("action." + pending, lang)))
            st.caption(" · ".join(state))
        with buttons:
            if not alert.get("acked_by") and can(user.role, "ack", tier):
                if st.button(t("btn.ack", lang), key=f"ack-{aid}", type="primary" if tier == "red" else "secondary",
                             icon=":material/check:", use_container_width=True):
                    _send(user, "ack", alert, lang)
            elif alert.get("acked_by") and can(user.role, "unack", tier):
                if st.button(t("btn.unack", lang), key=f"unack-{aid}", use_container_width=True):
                    _send(user, "unack", alert, lang)
            if any(can(user.role, a, tier) for a in ("assign", "silence", "resolve")):
                _more(user, alert, lang)
        if show_playbook:
            st.info(f"**{t('staff.next', lang)}** · {playbook(str(alert.get('kind')), lang)}",
                    icon=":material/checklist:")


def sort_alerts(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most severe first; within a tier unacknowledged before acknowledged, then the oldest first.

    An acknowledged red alert is still the worst thing going on: it stays above the orange ones, marked as
    being handled, instead of dropping out of sight below them.
    """
    from dashboard.components import TIER_RANK
    return sorted(alerts, key=lambda a: (-TIER_RANK.get(a.get("tier"), 0), bool(a.get("acked_by")),
                                         data.fired_at(a) or 0))
