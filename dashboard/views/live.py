"""Live board for the duty manager's wall screen: the whole service in five seconds, a red alert in two clicks.

The page body is one ``st.fragment(run_every=refresh_s)``: only the fragment reruns, so the wall screen
refreshes without reloading or flickering, and a click on "Acknowledge" reruns just that fragment.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import clock, data, risky
from dashboard.alert_card import alert_card, alert_table, group_card
from dashboard.alert_group import AlertGroup, board_items, is_order_alert
from dashboard.components import (all_clear, clean, freshness, heatmap, inject_css, md, show_table,
                                  stage_card, tier_tiles)
from yujing.i18n import t
from dashboard.session import lang as current_lang, require_user
from dashboard.sound import beep_wav


NEW_FOR_S = 60.0
"""How long a red alert is marked "new" on the cards after this screen first showed it."""


def _new_reds(active: list[dict[str, Any]]) -> list[str]:
    """Red alerts this session has not seen yet (remembered, so each one draws attention once)."""
    seen: dict[str, float] = st.session_state.setdefault("seen_red_at", {})
    reds = [a["alert_id"] for a in active if a.get("tier") == "red" and not a.get("acked_by")]
    new = [aid for aid in reds if aid not in seen]
    now = time.time()
    for aid in new:
        seen[aid] = now
    return new


def _recent_reds() -> set[str]:
    """Reds first shown on this screen less than :data:`NEW_FOR_S` ago (marked "new" on their cards)."""
    now = time.time()
    return {aid for aid, at in st.session_state.get("seen_red_at", {}).items() if now - at < NEW_FOR_S}


def _attention(active: list[dict[str, Any]], lang: str) -> set[str]:
    """The new-red banner (and sound) in one fixed slot; returns the reds to mark "new" on their cards.

    The slot is always there (``st.empty``), so the banner coming and going does not shift, and so re-create,
    every element below it while the duty manager reaches for Acknowledge. The banner stays up while a red
    alert is new (first shown less than :data:`NEW_FOR_S` ago) and unacknowledged.
    """
    slot = st.empty()
    first = not st.session_state.get("first_render_done")
    st.session_state["first_render_done"] = True  # a fresh screen flags all open reds, without sound
    new = _new_reds(active)
    unacked = {a["alert_id"] for a in active if a.get("tier") == "red" and not a.get("acked_by")}
    recent = _recent_reds() & unacked
    if recent:
        with slot.container():
            st.error(t("banner.new_red", lang, n=len(recent)), icon=":material/campaign:")
            if new and not first and st.session_state.get("sound") and data.settings().dashboard.sound:
                st.audio(beep_wav(), format="audio/wav", autoplay=True)
    return recent


BLOCKED_BANNER_AFTER_S = 60.0
"""A worker whose writes have been retried this long gets a banner at the top (the workers tile is below the fold)."""


def _blocked(snap: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Workers whose heartbeat says a write is being retried (``streams.retrying``): name -> step -> details."""
    beats = (snap.get("runtime") or {}).get("worker_beats") or {}
    return {name: b["blocked"] for name, b in beats.items() if (b or {}).get("blocked")}


def _blocked_for_s(snap: dict[str, Any]) -> float:
    """How long the longest-blocked worker write has been retried (0 when none is)."""
    return max((float(s.get("for_s") or 0) for steps in _blocked(snap).values() for s in steps.values()),
               default=0.0)


def _blocked_banner(snap: dict[str, Any], lang: str) -> None:
    blocked = _blocked(snap)
    longest = _blocked_for_s(snap)
    if longest >= BLOCKED_BANNER_AFTER_S:
        st.warning(t("banner.blocked", lang, n=len(blocked), s=round(longest)), icon=":material/sync_problem:")


NOTIFY_WINDOW_S = 900.0
"""Notifications that failed after all their tries within this long (wall clock) put a banner on the board."""


def undelivered(failed: list[dict[str, Any]], now: float, window_s: float = NOTIFY_WINDOW_S) -> tuple[int, list[str]]:
    """How many messages failed after all their tries in the last ``window_s`` (one per message and channel: a
    group message's alerts, and a digest's intents, each have a row), and on which channels (``scheme host``, no credentials: the notifier stores
    only ``target_name``).

    >>> rows = [{"key": "g1", "target": "mailto://smtp.x.cn", "ts": 990.0}, {"key": "g1", "target": "mailto://smtp.x.cn",
    ...         "ts": 990.0}, {"key": "g2", "target": "json://hook:80", "ts": 950.0}, {"key": "g0", "ts": 10.0}]
    >>> undelivered(rows, now=1000.0)
    (2, ['json hook:80', 'mailto smtp.x.cn'])
    """
    recent = {(data.message_of(d), d.get("target")) for d in failed
              if (data.epoch(d.get("ts")) or 0.0) >= now - window_s}
    return len(recent), sorted({str(tg).replace("://", " ", 1) for _, tg in recent if tg})


def _notify_banner(snap: dict[str, Any], lang: str) -> None:
    """Staff are not being reached: say so where the duty manager looks (the quality team's history has the rows)."""
    try:
        n, channels = undelivered(data.failed_deliveries(limit=500), time.time())   # 15 min
    except Exception:  # noqa: BLE001 - the banner must not take the wall down; the store error shows above
        return
    if not n:
        return
    beats = (snap.get("runtime") or {}).get("worker_beats") or {}
    waiting = max((int(((b or {}).get("notify") or {}).get("stream") or 0) for b in beats.values()), default=0)
    text = t("banner.notify", lang, n=n, m=round(NOTIFY_WINDOW_S / 60), channels=md(", ".join(channels[:4]), 200))
    if waiting:
        text += t("banner.notify_waiting", lang, n=waiting)
    st.warning(text, icon=":material/notifications_paused:")


def _kpis(snap: dict[str, Any], lang: str) -> None:
    rt, model = snap.get("runtime") or {}, snap.get("model") or {}
    cols = st.columns(5)
    epm = snap.get("events_per_min")
    cols[0].metric(t("kpi.events", lang), "—" if epm is None else f"{float(epm):,.0f}")
    cols[1].metric(t("kpi.dlq", lang), int(snap.get("dlq_total") or 0))
    lag = snap.get("consumer_lag")
    cols[2].metric(t("kpi.lag", lang), "—" if lag is None else int(lag))
    auc = model.get("risk_auc")
    cols[3].metric(t("kpi.auc", lang), "—" if auc is None else f"{auc:.2f}",
                   help=t("kpi.auc_help", lang, window=int(model.get("window") or 0),
                          labels=int(model.get("labels") or 0), positives=int(model.get("positives") or 0)))
    beats = rt.get("worker_beats") or {}
    roles = data.role_counts(beats)
    restoring = sum(1 for b in beats.values() if (b or {}).get("recovering"))   # reading their changelogs
    blocked = _blocked(snap)
    if not rt.get("broker_ok", True):
        delta, colour = t("kpi.broker_down", lang), "inverse"
    elif blocked:
        longest = max(float(s.get("for_s") or 0) for steps in blocked.values() for s in steps.values())
        delta, colour = t("kpi.blocked", lang, n=len(blocked), s=round(longest)), "inverse"
    else:
        delta, colour = (t("kpi.recovering", lang, n=restoring), "off") if restoring else (None, "off")
    cols[4].metric(t("kpi.workers", lang), int(rt.get("workers") or 0), delta=delta, delta_color=colour,
                   help=t("kpi.workers_help", lang, roles=(" · ").join(
                       f"{t('role.' + r, lang)} ×{n}" for r, n in roles.items()) or "—") + (
                       "\n\n" + t("kpi.blocked_help", lang, what="; ".join(
                           f"{clean(name, 40)}: {clean(step, 60)} ({int(s.get('tries') or 0)}×)"
                           for name, steps in blocked.items() for step, s in steps.items()))
                       if blocked else ""))


def reliability_chart(bins: list[dict[str, Any]], lang: str) -> alt.Chart | None:
    """Predicted risk against the share that really escalated, per band of predicted risk, with the diagonal
    of a perfectly calibrated model: the picture of "can I believe risk 0.8?"."""
    rows = [{"predicted": float(b["predicted"]), "observed": float(b["observed"]), "n": int(b["n"])}
            for b in bins or [] if b.get("n")]
    if not rows:
        return None
    pred, obs, n = t("model.predicted", lang), t("model.observed", lang), t("model.count", lang)
    df = pd.DataFrame(rows)
    scale = alt.Scale(domain=[0, 1])
    diagonal = alt.Chart(pd.DataFrame({"predicted": [0.0, 1.0], "observed": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="#888").encode(x=alt.X("predicted:Q", scale=scale), y=alt.Y("observed:Q", scale=scale))
    points = alt.Chart(df).mark_line(point=True, color="#1F77B4").encode(
        x=alt.X("predicted:Q", scale=scale, title=pred, axis=alt.Axis(format="%")),
        y=alt.Y("observed:Q", scale=scale, title=obs, axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("predicted:Q", title=pred, format=".0%"), alt.Tooltip("observed:Q", title=obs, format=".0%"),
                 alt.Tooltip("n:Q", title=n)])
    sizes = alt.Chart(df).mark_circle(color="#1F77B4", opacity=0.35).encode(
        x="predicted:Q", y="observed:Q", size=alt.Size("n:Q", legend=None, title=n))
    return (diagonal + points + sizes).properties(height=220)


def _model_quality(snap: dict[str, Any], lang: str) -> None:
    """The risk model's live quality in words and one chart (issue #7), and how far the category model is."""
    st.subheader(t("model.title", lang), divider="gray")
    model = snap.get("model") or {}
    if not model:
        st.caption(t("model.none", lang))
        return
    labels, positives = int(model.get("labels") or 0), int(model.get("positives") or 0)
    auc = model.get("risk_auc")
    if auc is None:
        st.info(t("model.learning", lang, n=labels, pos=positives), icon=":material/school:")
    else:
        st.markdown(t("model.auc", lang, auc=float(auc)))
        st.caption(t("model.counts", lang, window=int(model.get("window") or 0), labels=labels, positives=positives,
                     brier=float(model.get("brier") or 0.0)))
        chart = reliability_chart(model.get("calibration") or [], lang)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
            st.caption(t("model.chart_caption", lang))
    if model.get("blend") is not None:
        learned = float(model["blend"])
        st.caption(t("model.blend", lang, learned=learned, prior=1.0 - learned))
    if model.get("held_positives"):
        st.caption(t("model.held", lang, n=int(model["held_positives"]), hours=model.get("label_delay_h") or 24))
    if model.get("category_labels") is not None:
        state = t("model.category_on" if model.get("category_mature") else "model.category_off", lang)
        st.caption(t("model.category", lang, n=int(model["category_labels"]), state=state))


def board(lang: str) -> None:
    """One refresh of the whole board (the fragment's body)."""
    user = require_user()
    cfg = data.settings().dashboard
    bd = data.board_data()
    snap = bd.snapshot or {}
    now = float(snap.get("now") or time.time())   # the clock shows the data's time (frozen when it stalls)
    open_to = data.alerts_now(snap)                # "since" and "open for" run on to now (data.alerts_now)

    top_l, top_r = st.columns([3, 1], vertical_alignment="center")
    with top_l:
        counts = Counter(a.get("tier") for a in bd.active)
        tier_tiles(None if bd.error else counts, lang,
                   Counter(a.get("tier") for a in bd.active if not is_order_alert(a)))
    with top_r:
        st.markdown(f'<span class="yj-clock">{clock.show(now, "%H:%M:%S")}</span>'
                    f'<span class="yj-zone">{clock.zone_name()}</span>', unsafe_allow_html=True)
        stale = freshness(bd.snapshot, cfg.stale_after_s, lang,
                          blocked=_blocked_for_s(snap) >= BLOCKED_BANNER_AFTER_S, error=bd.error)
    if bd.error:
        st.warning(t("store.missing", lang, err=bd.error[:200]))
    _blocked_banner(snap, lang)
    _notify_banner(snap, lang)
    new = _attention(bd.active, lang)

    stages = snap.get("stages") or {}
    cols = st.columns(3)
    for col, stage in zip(cols, ("receive", "decompose", "feedback")):
        with col:
            stage_card(stage, (stages.get(stage) or {}) if bd.snapshot else None, lang)

    left, right = st.columns([3, 2])
    with left:
        st.subheader(f"{t('active.title', lang)} · {'—' if bd.error else len(bd.active)}", divider="gray")
        items = board_items(bd.active, cfg.group_orders_min)
        if not items:
            all_clear(bd.error, stale, t("active.none", lang), lang)
        for item in items[:cfg.max_cards]:
            if isinstance(item, AlertGroup):
                group_card(user, item, open_to, lang, new=new)
            else:
                alert_card(user, item, open_to, lang, new=item["alert_id"] in new)
        rest = [a for item in items[cfg.max_cards:]
                for a in (item.alerts if isinstance(item, AlertGroup) else [item])]
        if rest:
            with st.expander(t("active.more", lang, n=len(rest))):
                show_table(alert_table(rest, open_to, lang))
    with right:
        st.subheader(t("heat.title", lang), divider="gray")
        chart = heatmap(snap.get("regions") or {}, lang)
        if chart is None:
            st.caption(t("heat.none", lang))
        else:
            st.altair_chart(chart, width="stretch")
        risky.section(None if bd.snapshot is None else snap.get("risky_orders") or [], bd.active, open_to, lang)
        if snap:
            _kpis(snap, lang)
            _model_quality(snap, lang)


def render() -> None:
    require_user()
    lang = current_lang()
    inject_css()
    refresh_s = data.settings().dashboard.refresh_s

    @st.fragment(run_every=refresh_s)
    def _live() -> None:
        board(lang)

    _live()


