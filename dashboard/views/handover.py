"""Shift handover (交接班): what the outgoing duty manager hands over and the incoming one reads first.

The alerts still open now (most severe first, with who has them), what the shift saw (fired, resolved, never
acknowledged, escalated, failed pushes), the risky orders on the board, a plain-text report to paste into the
handover log or a chat group (masked, like every text the board shows), and the managers' own handover notes,
kept in the audit log. A shift is the time since the last of ``dashboard.shift_starts`` on the business clock,
which in an accelerated demo is the alerts' clock, not the wall's.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, time as dtime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import clock, data
from dashboard.auth import can
from dashboard.components import TIER_ORDER, TIER_RANK, clean, kind_label, scope_plain, show_table, tier_label
from dashboard.session import lang as current_lang, require_user
from dashboard.views.history import episodes, failed_messages
from yujing.i18n import t

NOTES_SHOWN = 5
"""Handover notes listed on the page, newest first."""
AUDIT_SCAN = 2000
"""Audit entries searched for handover notes (the audit log keeps 10,000)."""


def shift_bounds(now: float, starts: list[str], hours: float, back: int = 0) -> tuple[float, float]:
    """(start, end) in epoch s of the shift holding ``now`` (``back`` = 1: the one before it), for shifts that
    start at ``starts`` ("HH:MM", business clock at UTC ``hours``); the current shift ends at ``now``.

    >>> from datetime import timezone
    >>> now = datetime(2026, 7, 14, 9, 30, tzinfo=timezone(timedelta(hours=8))).timestamp()
    >>> s, e = shift_bounds(now, ["08:00", "16:00", "00:00"], 8.0)
    >>> clock.show(s, "%d %H:%M", hours=8.0), e == now
    ('14 08:00', True)
    >>> [clock.show(x, "%d %H:%M", hours=8.0) for x in shift_bounds(now, ["08:00", "16:00", "00:00"], 8.0, back=1)]
    ['14 00:00', '14 08:00']
    >>> [clock.show(x, "%d %H:%M", hours=8.0) for x in shift_bounds(now, ["20:00", "08:00"], 8.0, back=1)]
    ['13 20:00', '14 08:00']
    """
    zone = clock.zone(hours)
    day = datetime.fromtimestamp(now, zone).date()
    marks = sorted({datetime.combine(day + timedelta(days=d), dtime.fromisoformat(s), zone).timestamp()
                    for d in (-2, -1, 0) for s in starts})
    begun = [m for m in marks if m <= now]
    i = len(begun) - 1 - back
    return begun[i], (begun[i + 1] if back else now)


@dataclass(slots=True)
class Handover:
    """What one shift hands over; counts are of alert episodes that fired within it unless named otherwise."""

    start: float
    end: float
    open: list[dict[str, Any]]
    """Alerts open now (whenever they fired), most severe first, then oldest."""
    fired: dict[str, int] = field(default_factory=dict)
    resolved: int = 0
    """Episodes resolved within the shift (whenever they fired)."""
    never_acked: int = 0
    escalated: int = 0
    failed: int | None = None
    """Failed messages within the shift (None: not known, the store could not be read)."""
    risky_orders: int = 0


def summarise(eps: list[dict[str, Any]], active: list[dict[str, Any]], start: float, end: float,
              failed: int | None = None, risky_orders: int = 0) -> Handover:
    """The handover of the shift ``[start, end)`` from alert episodes (:func:`dashboard.views.history.episodes`)
    and the alerts active now.

    >>> eps = [{"fired": 100.0, "tier": "red", "acked": None, "resolved": 300.0, "escalated": 1},
    ...        {"fired": 150.0, "tier": "yellow", "acked": 160.0, "resolved": None, "escalated": 0},
    ...        {"fired": 50.0, "tier": "blue", "acked": None, "resolved": 120.0, "escalated": 0}]
    >>> h = summarise(eps, [{"tier": "yellow", "ts": 150.0}, {"tier": "red", "ts": 170.0}], 90.0, 400.0)
    >>> h.fired, h.resolved, h.never_acked, h.escalated, [a["tier"] for a in h.open]
    ({'red': 1, 'yellow': 1}, 2, 1, 1, ['red', 'yellow'])
    """
    mine = [e for e in eps if e.get("fired") is not None and start <= e["fired"] < end]
    fired: dict[str, int] = {}
    for e in mine:
        fired[str(e["tier"])] = fired.get(str(e["tier"]), 0) + 1
    opened = sorted(active, key=lambda a: (-TIER_RANK.get(a.get("tier"), 0), data.fired_at(a) or 0))
    return Handover(
        start=start, end=end, open=opened,
        fired={k: fired[k] for k in TIER_ORDER if k in fired},
        resolved=sum(1 for e in eps if e.get("resolved") is not None and start <= e["resolved"] < end),
        never_acked=sum(1 for e in mine if not e.get("acked")),
        escalated=sum(1 for e in mine if (e.get("escalated") or 0) >= 1),
        failed=failed, risky_orders=risky_orders)


def owned(a: dict[str, Any]) -> bool:
    """Has somebody got the alert: acknowledged (and not taken back) or assigned?"""
    return bool(a.get("status") == "acknowledged" and a.get("acked_by") or a.get("assignee"))


def _owner(a: dict[str, Any], lang: str) -> str:
    """Who has the alert: its acknowledger, else its assignee, else "nobody"."""
    if a.get("status") == "acknowledged" and a.get("acked_by"):
        return t("ho.acked_by", lang, who=clean(a["acked_by"], 40))
    if a.get("assignee"):
        return t("ho.assigned_to", lang, who=clean(a["assignee"], 40))
    return t("ho.nobody", lang)


def _open_min(a: dict[str, Any], now: float) -> float | None:
    fired = data.fired_at(a)
    return None if fired is None else round(max(0.0, now - fired) / 60, 1)


def report_text(h: Handover, notes: list[dict[str, Any]], lang: str, now: float | None = None,
                limit: int = 30) -> str:
    """The handover as plain text, to paste into a handover log or a chat group; every field masked.

    >>> h = Handover(0.0, 8 * 3600.0, [{"tier": "red", "kind": "receive_lag", "scope": {"region": "north"},
    ...              "ts": 3600.0, "status": "firing", "summary": "客户13812345678要投诉"}],
    ...              fired={"red": 1, "yellow": 2}, resolved=2, never_acked=1, escalated=1, failed=0)
    >>> print(report_text(h, [{"who": "li", "note": "north 抢修队缺人 13912345678"}], "zh", now=8 * 3600.0))
    交接班报告 1970-01-01 08:00 – 1970-01-01 16:00 (UTC+8)
    仍在预警 1 条：
      1. [红色 · I级] 受理超时 · 区域 north · 已开 420 分钟 · 无人处理 · 客户138****5678要投诉
    本班次：触发 3 条（红色 · I级 1，黄色 · III级 2），已解除 2，从未确认 1，已升级 1，通知失败 0，高风险工单 0
    交接备注：
      - li: north 抢修队缺人 139****5678
    """
    hours, fmt = _hours(), "%Y-%m-%d %H:%M"
    lines = [t("ho.report_title", lang, start=clock.show(h.start, fmt, hours=hours),
               end=clock.show(h.end, fmt, hours=hours), zone=clock.zone_name(hours)),
             t("ho.open_head", lang, n=len(h.open))]
    now = h.end if now is None else now
    for i, a in enumerate(h.open[:limit], 1):
        mins = _open_min(a, now)
        lines.append(f"  {i}. [{tier_label(a.get('tier'), lang)}] {clean(kind_label(a.get('kind'), lang), 40)} · "
                     f"{scope_plain(a.get('scope'), lang)} · "
                     f"{t('ho.open_for', lang, m=f'{mins:.0f}') if mins is not None else '—'} · "
                     f"{_owner(a, lang)} · {clean(a.get('summary'), 120)}")
    if len(h.open) > limit:
        lines.append("  " + t("ho.more", lang, n=len(h.open) - limit))
    tiers = ("，" if lang == "zh" else ", ").join(f"{tier_label(k, lang)} {v}" for k, v in h.fired.items())
    lines.append(t("ho.shift_line", lang, fired=sum(h.fired.values()), tiers=tiers or "—", resolved=h.resolved,
                   never=h.never_acked, escalated=h.escalated, failed="—" if h.failed is None else h.failed,
                   risky=h.risky_orders))
    if notes:
        lines.append(t("ho.notes_head", lang))
        lines += [f"  - {clean(n.get('who'), 40)}: {clean(n.get('note'), 500)}" for n in notes]
    return "\n".join(lines)


def _hours() -> float:
    """The business clock's offset; the doctests run without a configuration, on +8."""
    try:
        return clock.offset_h()
    except Exception:  # noqa: BLE001 - no settings outside the board
        return 8.0


def handover_notes(audit: list[dict[str, Any]], limit: int = NOTES_SHOWN) -> list[dict[str, Any]]:
    """The newest handover notes in the audit log (newest first), as ``{"ts", "who", "note", "shift"}``
    (``shift``: the start of the shift the note was written for).

    >>> handover_notes([{"ts": 2, "who": "li", "action": "handover", "detail": {"note": "b", "start": 9.0}},
    ...                 {"ts": 1, "who": "x", "action": "ack", "detail": {}},
    ...                 {"ts": 0, "who": "wang", "action": "handover", "detail": {"note": "a"}}])
    [{'ts': 2, 'who': 'li', 'note': 'b', 'shift': 9.0}, {'ts': 0, 'who': 'wang', 'note': 'a', 'shift': None}]
    """
    out = []
    for entry in audit:
        det = entry.get("detail")
        if entry.get("action") == "handover" and isinstance(det, dict) and det.get("note"):
            out.append({"ts": entry.get("ts"), "who": entry.get("who"), "note": det["note"],
                        "shift": det.get("start")})
            if len(out) >= limit:
                break
    return out


def _open_table(h: Handover, now: float, lang: str) -> pd.DataFrame:
    rows = [{t("col.tier", lang): tier_label(a.get("tier"), lang),
             t("col.kind", lang): clean(kind_label(a.get("kind"), lang), 40), t("col.scope", lang): scope_plain(a.get("scope"), lang), t("ho.col_open", lang): _open_min(a, now),
             t("ho.col_owner", lang): _owner(a, lang),
             t("ho.col_step", lang): int(a.get("escalation_step") or 0) or None,
             t("col.summary", lang): clean(a.get("summary"), 200)} for a in h.open]
    cols = [t(k, lang) for k in ("col.tier", "col.kind", "col.scope", "ho.col_open", "ho.col_owner", "ho.col_step",
                                 "col.summary")]
    return pd.DataFrame(rows, columns=cols).astype({t("ho.col_open", lang): "float64"})


def _note_form(user: Any, start: float, end: float, lang: str) -> None:
    with st.form("ho_note", clear_on_submit=True):
        note = st.text_area(t("ho.note", lang), key="ho_note_text", max_chars=1000,
                            placeholder=t("ho.note_placeholder", lang))
        if st.form_submit_button(t("ho.submit", lang), type="primary", icon=":material/send:"):
            if not note.strip():
                st.warning(t("ho.note_empty", lang))
                return
            try:
                data.store().audit(user.name, "handover", {"note": note.strip(), "start": start, "end": end})
            except Exception as exc:  # noqa: BLE001 - say it, keep the typed text visible in the error
                st.error(t("ho.note_failed", lang, err=clean(str(exc), 200)))
                return
            st.success(t("ho.note_saved", lang))


def render() -> None:
    user = require_user()
    lang = current_lang()
    cfg = data.settings().dashboard
    bd = data.board_data()
    now = data.alerts_now(bd.snapshot)
    back = st.segmented_control(t("ho.which", lang), [0, 1], default=0, key="ho_which",
                                format_func=lambda b: t("ho.this_shift" if b == 0 else "ho.last_shift", lang))
    start, end = shift_bounds(now, cfg.shift_starts, clock.offset_h(), back=int(back or 0))
    st.subheader(t("ho.title", lang, start=clock.show(start, "%m-%d %H:%M"), end=clock.show(end, "%m-%d %H:%M")),
                 divider="gray")
    st.caption(t("times.zone", lang, zone=clock.zone_name()))
    if bd.error:
        st.warning(t("store.missing", lang, err=bd.error[:200]))
    eps = episodes(data.history_data(start - 86400, None))   # episodes resolved in the shift may have fired before
    failed: int | None = None
    try:
        failed = len(failed_messages(data.failed_deliveries(), start, end, bd.snapshot))
    except Exception:  # noqa: BLE001 - a count must not take the page down
        failed = None
    snap = bd.snapshot or {}
    risky = int(snap.get("risky_total") or len(snap.get("risky_orders") or []))   # all, not the 15 listed
    h = summarise(eps, bd.active if back == 0 else [], start, end, failed, risky)
    m = st.columns(6)
    m[0].metric(t("ho.m_open", lang), len(h.open) if back == 0 else "—")
    m[1].metric(t("ho.m_unowned", lang), sum(1 for a in h.open if not owned(a)) if back == 0 else "—")
    m[2].metric(t("ho.m_fired", lang), sum(h.fired.values()))
    m[3].metric(t("ho.m_resolved", lang), h.resolved)
    m[4].metric(t("ho.m_never", lang), h.never_acked)
    m[5].metric(t("ho.m_failed", lang), "—" if h.failed is None else h.failed)
    if back == 0:
        st.markdown(f"**{t('ho.open_title', lang, n=len(h.open))}**")
        if h.open:
            show_table(_open_table(h, now, lang),
                       column_config={t("ho.col_open", lang): st.column_config.NumberColumn(format="%.0f")})
        else:
            st.success(t("ho.none_open", lang), icon=":material/check_circle:")
    try:
        notes = handover_notes(data.store().audit_log(AUDIT_SCAN))
    except Exception:  # noqa: BLE001
        notes = []
    st.markdown(f"**{t('ho.report', lang)}**")
    text = report_text(h, [n for n in notes if n["shift"] == start], lang, now=now)
    st.code(text, language=None, wrap_lines=True)
    st.download_button(t("ho.download", lang), text.encode("utf-8"), key="ho_download", icon=":material/download:",
                       file_name=f"yujing-handover-{clock.show(start, '%Y%m%d-%H%M')}.txt", mime="text/plain")
    if can(user.role, "handover"):
        _note_form(user, start, end, lang)
    if notes:
        st.markdown(f"**{t('ho.notes_title', lang)}**")
        show_table(pd.DataFrame([{t("col.time", lang): clock.show(data.epoch(n.get("ts")) or time.time()),
                                  t("col.who", lang): clean(n.get("who"), 40),
                                  t("ho.note", lang): clean(n.get("note"), 500)} for n in notes]))
