"""Message templates (Chinese and English): what, where, tier (蓝/黄/橙/红 IV–I), since when, evidence and a
link to the alert on the board. Plain text only, every field masked again on the way out.

The words are the board's (``yujing/i18n.py``: tiers, kinds, stages, statuses, scope keys, "已确认：{who}"), so a
message and the board name a thing alike; evidence keys have Chinese names only (``detectors/fusion.py``). Times
are on one clock, the business's (``clock.utc_offset_h``; by default the clock the records carry, which the
pipeline writes on it), named once. An all-clear says so first in its title. With ``max_bytes`` (a channel's
limit: a WeCom bot takes 2,048 bytes) the message keeps the most severe alerts whole, shortens the next ones to
their headline and link, and says how many more there are on the board.

>>> from alerts.state import Notification
>>> snap = {"alert_id": "ab-1", "fingerprint": "ab", "status": "firing", "ts": "2026-07-14T09:40:00+08:00",
...         "since": "2026-07-14T09:32:40+08:00", "kind": "receive_lag", "stage": "receive",
...         "scope": {"region": "north", "order_id": "WO-1"}, "tier": "red", "score": 1.2,
...         "summary": "客户13812345678要打12398", "evidence": {"share_used": 1.05}}
>>> title, body = render(Notification("k", "staff", "group", 0.0, [snap]), "zh", "http://board")
>>> title
'【红色预警 I级】受理超时 · 区域 north · 工单 WO-1 (1)'
>>> print(body)
[红色 I级] 受理超时 · 受理 · 区域 north · 工单 WO-1
  状态: 触发 · 开始于 2026-07-14 09:32 (UTC+8)
  摘要: 客户138****5678要打12398
  依据: 时限已用=105%
  查看: http://board/?alert=ab-1

A hand-over from the board tells the assignee who handed it and why:

>>> snap.update(assignee="wang", assigned_by="li", note="请回电 139****1234")
>>> title, body = render(Notification("k", "wang", "assigned", 0.0, [snap]), "en", "http://board")
>>> title
'assigned to wang: [Red warning I] Receive overdue · Region north · Order WO-1 (1)'
>>> print(body.splitlines()[2])
  handed over: li -> wang · note: 请回电 139****1234

When it is over, the title says so before anything else:

>>> snap.update(status="resolved", ts="2026-07-14T10:05:00+08:00")
>>> title, body = render(Notification("k", "staff", "group", 0.0, [snap]), "zh", "http://board")
>>> title, body.splitlines()[1]
('【预警已解除】红色 I级 · 受理超时 · 区域 north · 工单 WO-1 (1)', '  状态: 已解除 · 开始于 2026-07-14 09:32 (UTC+8) · 解除于 2026-07-14 10:05')
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from alerts.state import Notification
from detectors.fusion import display_value, evidence_pairs
from yujing.i18n import t, tier_word
from yujing.masking import safe_text
from yujing.records import TIER_LEVEL, TIER_RANK, zone_name

WORDS = {"zh": {"status": "状态", "since": "开始于", "summary": "摘要", "evidence": "依据", "link": "查看",
                "warning": "预警", "more": "另有 {n} 条未列出，全部见看板 {url}", "escalation": "升级",
                "ack_timeout": "确认超时，重新通知", "digest": "汇总", "assigned": "指派给 {to}",
                "handover": "指派", "note": "备注", "over": "预警已解除", "resolved_at": "解除于",
                "count": "{n}，已解除 {k}", "left": "，仍在预警 {n}"},
         "en": {"status": "status", "since": "since", "summary": "summary", "evidence": "evidence", "link": "open",
                "warning": "warning", "more": "{n} more not listed, all on the board: {url}",
                "escalation": "escalation", "ack_timeout": "acknowledgement timed out, re-notified",
                "digest": "digest", "assigned": "assigned to {to}", "handover": "handed over", "note": "note",
                "over": "Resolved", "resolved_at": "resolved", "count": "{n}, {k} resolved",
                "left": ", {n} still firing"}}
MAX_LISTED = 20


def _board(key: str, lang: str, fallback: str) -> str:
    """The board's word for ``key`` (yujing/i18n.py), else ``fallback`` (a code the board does not name)."""
    text = t(key, lang)
    return fallback if text == key else text


def _tier(lang: str, tier: str) -> str:
    level = TIER_LEVEL.get(tier, "?")
    return f"{tier_word(tier, lang)} {level}级" if lang == "zh" else f"{tier_word(tier, lang)} {level}"


def _kind(lang: str, kind: str | None) -> str:
    return _board(f"kind.{kind}", lang, kind or "-")


def _stage(lang: str, stage: str | None) -> str:
    return _board(f"stage.{stage}", lang, stage) if stage else "-"


def _where(scope: dict[str, Any], lang: str) -> str:
    """``区域 north · 工单 WO-1`` / ``Region north · Order WO-1``: the board's names of the scope keys."""
    parts = []
    for k, v in scope.items():
        v = _stage(lang, str(v)) if k == "stage" else display_value(k, v, lang)   # names; codes in Chinese
        parts.append(f"{_board('col.' + k.removesuffix('_id'), lang, safe_text(k, 40))} {safe_text(str(v), 60)}")
    return " · ".join(parts) or "-"


def _evidence(ev: dict[str, Any], lang: str, kind: str | None = None, hours: float | None = None) -> str:
    """``key=value`` pairs, numbers as the board shows them (:func:`detectors.fusion.evidence_number`), a time
    (a deadline) on the clock ``hours`` east of UTC, as the board shows it (UTC, said so, if the clock is unknown).

    >>> _evidence({"deadline": 1783992760.0, "share_used": 0.9}, "zh", "feedback_lag", 8.0)
    '时限=07-14 09:32, 时限已用=90%'
    """
    tz = timezone(timedelta(hours=hours or 0.0))
    suffix = " UTC" if hours is None else ""
    parts = []
    def when(t: float) -> str:
        return datetime.fromtimestamp(t, tz).strftime("%m-%d %H:%M") + suffix

    for k, v in evidence_pairs(ev, lang, kind, when):
        if isinstance(v, (list, tuple)):
            v = ("、" if lang == "zh" else ", ").join(map(str, v))
        elif isinstance(v, dict):
            v = ", ".join(f"{a}={b}" for a, b in v.items())
        parts.append(f"{safe_text(k, 40)}={safe_text(str(v), 80)}")
    return ", ".join(parts) or "-"


def _parse(rfc: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(rfc) if rfc else None
    except (TypeError, ValueError):
        return None


def _offset_h(alerts: list[dict[str, Any]]) -> float | None:
    """The clock the records carry (the first with an offset): the pipeline writes them on the business's."""
    for a in alerts:
        for field in ("ts", "since"):
            d = _parse(a.get(field))
            if d is not None and d.utcoffset() is not None:
                return d.utcoffset().total_seconds() / 3600
    return None


def _short_ts(rfc: Any, hours: float | None) -> str:
    """``2026-07-14 09:32`` on the clock ``hours`` east of UTC, whatever offset the RFC 3339 string carries.

    >>> _short_ts("2026-07-14T01:32:40Z", 8.0), _short_ts("2026-07-14T09:32:40+08:00", 0.0), _short_ts("", 8.0)
    ('2026-07-14 09:32', '2026-07-14 01:32', '-')
    """
    d = _parse(rfc)
    if d is None:
        return str(rfc)[:16].replace("T", " ") if rfc else "-"
    if d.utcoffset() is not None and hours is not None:
        d = d.astimezone(timezone(timedelta(hours=hours)))
    return d.strftime("%Y-%m-%d %H:%M")


def alert_link(board_url: str, alert_id: str) -> str:
    return f"{board_url.rstrip('/')}/?alert={quote(alert_id)}"


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes (an ellipsis where it was cut)."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: max(limit - 3, 0)].decode(errors="ignore").rstrip() + ("…" if limit >= 3 else "")


def _size(lines: list[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def render(n: Notification, lang: str = "zh", board_url: str = "http://127.0.0.1:8501",
           utc_offset_h: float | None = None, max_bytes: int | None = None) -> tuple[str, str]:
    """(title, body) of one notification, plain text.

    ``utc_offset_h``: the business clock every time is shown on (None: the clock the records carry).
    ``max_bytes``: the channel's limit on title and body together (UTF-8; a channel without a title field gets
    both in its body), None for none: at most :data:`MAX_LISTED` alerts are listed either way."""
    w = WORDS.get(lang, WORDS["en"])
    alerts = sorted(n.alerts, key=lambda a: (a["status"] == "resolved", bool(a.get("acked_by")) and
                                             a["status"] != "resolved", -TIER_RANK.get(a["tier"], 0)))
    firing = [a for a in alerts if a["status"] != "resolved"]
    over = len(alerts) - len(firing)
    top = (firing or alerts)[0]
    group = _where({k: v for k, v in n.group.items() if k not in ("kind", "tier") and v}, lang)
    where = group if group != "-" else _where(top["scope"], lang)
    word, level = tier_word(top["tier"], lang), TIER_LEVEL.get(top["tier"], "?")
    if not firing:   # an all-clear: never titled like an alarm
        title = (f"【{w['over']}】" if lang == "zh" else f"[{w['over']}] ") + f"{_tier(lang, top['tier'])} · "
    elif lang == "zh":
        title = f"【{word}{w['warning']} {level}级】"
    else:
        title = f"[{word} {w['warning']} {level}] "
    count = w["count"].format(n=len(alerts), k=over) if firing and over else str(len(alerts))
    if not firing and n.firing_left:   # some resolved, others of the group still fire: not the all-clear
        count += w["left"].format(n=n.firing_left)
    title += f"{_kind(lang, top['kind'])} · {where} ({count})"
    if n.reason in ("escalation", "ack_timeout", "digest"):
        title = f"{w[n.reason]}{f' {n.step}' if n.reason == 'escalation' else ''}: {title}"
    elif n.reason == "assigned":
        title = f"{w['assigned'].format(to=safe_text(str(top.get('assignee') or '-'), 60))}: {title}"
    title = safe_text(title, 200)

    hours = utc_offset_h if utc_offset_h is not None else _offset_h(alerts)
    zone = f" ({zone_name(hours)})" if hours is not None else ""
    blocks: list[tuple[list[str], list[str]]] = []   # (whole, headline and link) per listed alert
    for a in alerts[:MAX_LISTED]:
        head = (f"[{_tier(lang, a['tier'])}] {_kind(lang, a['kind'])} · {_stage(lang, a.get('stage'))} · "
                f"{_where(a['scope'], lang)}")
        resolved = a["status"] == "resolved"
        if a.get("acked_by") and not resolved:
            status = t("acked_by", lang, who=safe_text(str(a["acked_by"]), 60))
        elif a["status"] == "acknowledged":   # its last record ended an acknowledgement (unack, timeout)
            status = t("unacked", lang)
        else:
            status = _board(f"status.{a['status']}", lang, str(a["status"]))
        since = _short_ts(a.get("since"), hours)
        state = f"  {w['status']}: {status} · {w['since']} {since}{zone if since != '-' else ''}"
        if since != "-":
            zone = ""   # named once
        if resolved and a.get("ts"):
            state += f" · {w['resolved_at']} {_short_ts(a['ts'], hours)}"
        link = f"  {w['link']}: {alert_link(board_url, a['alert_id'])}"
        whole = [head, state]
        if n.reason == "assigned" and a.get("assigned_by"):
            note = f" · {w['note']}: {safe_text(str(a['note']), 300)}" if a.get("note") else ""
            whole.append(f"  {w['handover']}: {safe_text(str(a['assigned_by']), 60)} -> "
                         f"{safe_text(str(a.get('assignee') or '-'), 60)}{note}")
        if a.get("summary"):
            whole.append(f"  {w['summary']}: {safe_text(a['summary'], 300)}")
        whole += [f"  {w['evidence']}: {_evidence(a.get('evidence') or {}, lang, a.get('kind'), hours)}", link]
        blocks.append((whole, [head, state, link]))

    def more(listed: int) -> list[str]:
        left = len(alerts) - listed
        return [w["more"].format(n=left, url=board_url.rstrip("/") + "/")] if left else []

    if max_bytes is None:
        lines = [line for whole, _ in blocks for line in whole] + more(len(blocks))
        return title, "\n".join(lines)
    title = _cut(title, max(max_bytes - 2, 0))
    room = max_bytes - len(title.encode()) - 2     # apprise puts the title above the body ("\r\n")
    lines, listed = [], 0
    reserve = _size(more(0))   # room to say how many are left out (at most all of them)
    for i, (whole, short) in enumerate(blocks):
        spare = room - _size(lines) - (0 if i == len(alerts) - 1 else reserve)
        fit = next((b for b in (whole, short) if _size(b) <= spare), None)
        if fit is None:
            break
        lines += fit
        listed += 1
    body = "\n".join(lines + more(listed))
    return title, _cut(body, room)
