"""One active alert as a card with its actions: acknowledge in one click, the rest behind "More"; a group of
order alerts (:mod:`dashboard.alert_group`) as one card with "acknowledge all".

Used by the live board and the staff view (alerts routed to me, with the playbook).
"""
from __future__ import annotations

import time
from typing import Any

import streamlit as st

from dashboard import actions, clock, data
from dashboard.auth import User, can
from dashboard.alert_group import AlertGroup
from dashboard.components import (ago, clean, evidence_text, kind_label, md, scope_md, scope_plain,
                                  show_table, tier_badge, tier_label)
from yujing.names import shown
from yujing.i18n import t
from dashboard.playbooks import playbook


ACTION_WAIT_S = 30.0
"""How long a board command may show as pending on its card. The worker applies commands within a second or two
and answers nothing for one it cannot apply (it logs the rejection; a stopped worker reads none), so past this
the card says the command was not applied instead of waiting for ever."""


def applied(action: str, alert: dict[str, Any]) -> bool:
    """Does the alert as read now show the effect of ``action``? (A resolved alert leaves the active list, and
    its card with it.)

    >>> applied("ack", {"acked_by": "li"}), applied("unack", {"acked_by": "li"}), applied("unack", {})
    (True, False, True)
    >>> applied("silence", {"silence_id": "s1"}), applied("assign", {}), applied("resolve", {"tier": "red"})
    (True, False, False)
    """
    if action == "ack":
        return bool(alert.get("acked_by"))
    if action == "unack":
        return not alert.get("acked_by")
    if action == "silence":
        return bool(alert.get("silenced_until") or alert.get("silence_id"))
    if action == "assign":
        return bool(alert.get("assignee"))
    return False


def pending_note(alert: dict[str, Any], lang: str, now: float | None = None) -> str | None:
    """The card's line about a command this session sent for the alert: pending until the alert shows it, then
    nothing; "not applied" once :data:`ACTION_WAIT_S` has passed without it (the buttons stay, to send again)."""
    pending = st.session_state.get("pending", {})
    sent = pending.get(alert["alert_id"])
    if not sent:
        return None
    action = sent["action"]
    if applied(action, alert):
        del pending[alert["alert_id"]]
        return None
    if (time.time() if now is None else now) - sent["at"] > ACTION_WAIT_S:
        return ":material/error: " + t("action.not_applied", lang, action=t("action." + action, lang),
                                         s=f"{ACTION_WAIT_S:.0f}")
    return ":material/hourglass_top: " + t("pending", lang, action=t("action." + action, lang))


def _send(user: User, action: str, alert: dict[str, Any], lang: str, quiet: bool = False, **fields: Any) -> bool:
    try:
        actions.perform(data.store(), user, action, alert, **fields)
    except actions.NotAllowed:
        st.error(t("form.not_allowed", lang))
        return False
    except ValueError as exc:
        st.error(str(exc))
        return False
    st.session_state.setdefault("pending", {})[alert["alert_id"]] = {"action": action, "at": time.time()}
    data.refresh()
    if not quiet:
        st.toast(t("form.sent", lang, action=t("action." + action, lang)))
    return True


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
            ev = evidence_text(alert.get("evidence"), lang=lang, kind=alert.get("kind"))
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
                                      t=clock.show(until, "%H:%M") if until else "…"))
            note = pending_note(alert, lang)
            if note:
                state.append(note)
            st.caption(" · ".join(state))
        with buttons:
            if not alert.get("acked_by") and can(user.role, "ack", tier):
                if st.button(t("btn.ack", lang), key=f"ack-{aid}", type="primary" if tier == "red" else "secondary",
                             icon=":material/check:", width="stretch"):
                    _send(user, "ack", alert, lang)
            elif alert.get("acked_by") and can(user.role, "unack", tier):
                if st.button(t("btn.unack", lang), key=f"unack-{aid}", width="stretch"):
                    _send(user, "unack", alert, lang)
            if any(can(user.role, a, tier) for a in ("assign", "silence", "resolve")):
                _more(user, alert, lang)
        if show_playbook:
            st.info(f"**{t('staff.next', lang)}** · {playbook(str(alert.get('kind')), lang)}",
                    icon=":material/checklist:")


def group_card(user: User, group: AlertGroup, now: float, lang: str, *, new: set[str] | frozenset = frozenset(),
               top: int = 3, show_playbook: bool = False) -> None:
    """Render a group of order alerts (:mod:`dashboard.alert_group`): how many orders, how many unacknowledged,
    since when, the ``top`` riskiest ones, all of them in a table behind an expander, and one click to
    acknowledge every unacknowledged one the user may acknowledge (one command and one audit entry each)."""
    alerts, tier = group.alerts, group.tier
    oldest = group.oldest
    with st.container(border=True, key=f"group-{group.key}"):
        head, buttons = st.columns([5, 2], vertical_alignment="center")
        with head:
            region = f" · {md(t('col.region', lang))} {md(shown('region', group.region), 80)}" if group.region else ""
            st.markdown(f"{tier_badge(tier, lang)} **{md(kind_label(group.kind, lang))}**{region} · "
                        f"**{t('group.orders', lang, n=len(alerts))}**"
                        f" · {t('col.since', lang)} {ago(now - oldest if oldest else None, lang)}")
            for a in alerts[:top]:
                st.markdown(f"- {md(a.get('summary'), 200)}")
            fresh = sum(1 for a in alerts if a["alert_id"] in new)
            state = [f":red[**:material/fiber_new: {t('group.new', lang, n=fresh)}**]"] if fresh else []
            unacked = group.unacked
            state.append((":material/notifications_active: " + t("group.unacked", lang, n=unacked)) if unacked
                         else (":material/check_circle: " + t("group.all_acked", lang)))
            st.caption(" · ".join(state))
        with buttons:
            todo = [a for a in alerts if not a.get("acked_by") and can(user.role, "ack", tier)]
            if todo and st.button(t("btn.ack_all", lang, n=len(todo)), key=f"ackall-{group.key}",
                                  type="primary" if tier == "red" else "secondary", icon=":material/done_all:",
                                  width="stretch"):
                sent = sum(_send(user, "ack", a, lang, quiet=True) for a in todo)
                st.toast(t("form.sent_n", lang, n=sent, action=t("action.ack", lang)))
        with st.expander(t("group.all", lang, n=len(alerts))):
            show_table(alert_table(alerts, now, lang, orders=True))
        if show_playbook:
            st.info(f"**{t('staff.next', lang)}** · {playbook(group.kind, lang)}", icon=":material/checklist:")


def alert_table(alerts: list[dict[str, Any]], now: float, lang: str, orders: bool = False) -> Any:
    """Alerts as a table (masked plain text: a dataframe never renders markup). ``orders``: the orders of one
    group (order number and risk score first, the group's tier and kind said once on its card); otherwise tier,
    kind and scope first (the board's active alerts beyond the cards)."""
    import pandas as pd

    def head(a: dict[str, Any]) -> dict[str, Any]:
        if orders:
            return {t("col.order", lang): str((a.get("scope") or {}).get("order_id") or ""),
                    t("col.score", lang): round(float(a.get("score") or 0.0), 2)}
        return {t("col.tier", lang): tier_label(a.get("tier"), lang),
                t("col.kind", lang): clean(kind_label(a.get("kind"), lang), 40),
                t("col.scope", lang): scope_plain(a.get("scope"), lang)}

    return pd.DataFrame([{
        **head(a), t("col.since", lang): ago(now - (data.fired_at(a) or now), lang),
        t("col.summary", lang): clean(a.get("summary"), 160),
        t("col.evidence", lang): clean(evidence_text(a.get("evidence"), lang=lang, kind=a.get("kind")), 160),
        t("col.ack", lang): clean(a.get("acked_by") or "", 40)} for a in alerts])
