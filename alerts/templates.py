"""Message templates (Chinese and English): what, where, tier (蓝/黄/橙/红 IV–I), since when, evidence and a
link to the alert on the board. Plain text only, every field masked again on the way out.

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
  状态: 触发 · 开始于 2026-07-14 09:32
  摘要: 客户138****5678要打12398
  依据: 时限已用=1.05
  查看: http://board/?alert=ab-1

A hand-over from the board tells the assignee who handed it and why:

>>> snap.update(assignee="wang", assigned_by="li", note="请回电 139****1234")
>>> title, body = render(Notification("k", "wang", "assigned", 0.0, [snap]), "en", "http://board")
>>> title
'assigned to wang: [Red warning I] receive_lag · region=north order_id=WO-1 (1)'
>>> print(body.splitlines()[2])
  handed over: li -> wang · note: 请回电 139****1234
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from alerts.state import Notification
from detectors.fusion import EVIDENCE_ZH, KIND_ZH, STAGE_ZH, evidence_value_zh, scope_zh
from yujing.masking import safe_text
from yujing.records import TIER_LEVEL, TIER_RANK

TIER_NAME = {"zh": {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"},
             "en": {"blue": "Blue", "yellow": "Yellow", "orange": "Orange", "red": "Red"}}
KIND_NAME = {"zh": KIND_ZH, "en": {}}
STAGE_NAME = {"zh": STAGE_ZH, "en": {}}
STATUS_NAME = {"zh": {"firing": "触发", "tier_changed": "等级变化", "acknowledged": "已确认", "escalated": "已升级",
                      "silenced": "已静默", "resolved": "已解除", "pending": "待定"}, "en": {}}
WORDS = {"zh": {"status": "状态", "since": "开始于", "summary": "摘要", "evidence": "依据", "link": "查看",
                "warning": "预警", "level": "级", "more": "另有 {n} 条未列出", "escalation": "升级",
                "ack_timeout": "确认超时，重新通知", "digest": "汇总", "assigned": "指派给 {to}",
                "handover": "指派", "note": "备注"},
         "en": {"status": "status", "since": "since", "summary": "summary", "evidence": "evidence", "link": "open",
                "warning": "warning", "level": "", "more": "{n} more not listed", "escalation": "escalation",
                "ack_timeout": "acknowledgement timed out, re-notified", "digest": "digest",
                "assigned": "assigned to {to}", "handover": "handed over", "note": "note"}}
MAX_LISTED = 20


def _name(table: dict[str, dict[str, str]], lang: str, key: str | None) -> str:
    return table.get(lang, {}).get(key or "", key or "-")


def _tier(lang: str, tier: str) -> str:
    level = TIER_LEVEL.get(tier, "?")
    return f"{_name(TIER_NAME, lang, tier)} {level}级" if lang == "zh" else f"{_name(TIER_NAME, lang, tier)} {level}"


def _where(scope: dict[str, Any], lang: str) -> str:
    if lang == "zh":
        return scope_zh({k: safe_text(str(v), 60) for k, v in scope.items()}, " · ") or "-"
    return " ".join(f"{k}={safe_text(str(v), 60)}" for k, v in scope.items()) or "-"


def _evidence(ev: dict[str, Any], lang: str) -> str:
    parts = []
    for k, v in list(ev.items())[:8]:
        v = round(v, 3) if isinstance(v, float) else v
        if lang == "zh":
            k, v = EVIDENCE_ZH.get(k, k), evidence_value_zh(k, v)
            v = "、".join(map(str, v)) if isinstance(v, list) else v
        parts.append(f"{k}={safe_text(str(v), 80)}")
    return ", ".join(parts) or "-"


def _short_ts(rfc: str) -> str:
    return rfc[:16].replace("T", " ") if rfc else "-"


def alert_link(board_url: str, alert_id: str) -> str:
    return f"{board_url.rstrip('/')}/?alert={quote(alert_id)}"


def render(n: Notification, lang: str = "zh", board_url: str = "http://127.0.0.1:8501") -> tuple[str, str]:
    """(title, body) of one notification, plain text."""
    w = WORDS.get(lang, WORDS["en"])
    alerts = sorted(n.alerts, key=lambda a: (a["status"] == "resolved", -TIER_RANK.get(a["tier"], 0)))
    top = alerts[0]
    group = _where({k: v for k, v in n.group.items() if k not in ("kind", "tier") and v}, lang)
    where = group if group != "-" else _where(top["scope"], lang)
    if lang == "zh":
        title = f"【{_name(TIER_NAME, lang, top['tier'])}{w['warning']} {TIER_LEVEL.get(top['tier'], '?')}级】"
    else:
        title = f"[{_name(TIER_NAME, lang, top['tier'])} {w['warning']} {TIER_LEVEL.get(top['tier'], '?')}] "
    title += f"{_name(KIND_NAME, lang, top['kind'])} · {where} ({len(alerts)})"
    if n.reason in ("escalation", "ack_timeout", "digest"):
        title = f"{w[n.reason]}{f' {n.step}' if n.reason == 'escalation' else ''}: {title}"
    elif n.reason == "assigned":
        title = f"{w['assigned'].format(to=safe_text(str(top.get('assignee') or '-'), 60))}: {title}"
    lines = []
    for a in alerts[:MAX_LISTED]:
        lines.append(f"[{_tier(lang, a['tier'])}] {_name(KIND_NAME, lang, a['kind'])} · "
                     f"{_name(STAGE_NAME, lang, a.get('stage'))} · {_where(a['scope'], lang)}")
        lines.append(f"  {w['status']}: {_name(STATUS_NAME, lang, a['status'])} · {w['since']} "
                     f"{_short_ts(a.get('since', ''))}")
        if n.reason == "assigned" and a.get("assigned_by"):
            note = f" · {w['note']}: {safe_text(str(a['note']), 300)}" if a.get("note") else ""
            lines.append(f"  {w['handover']}: {safe_text(str(a['assigned_by']), 60)} -> "
                         f"{safe_text(str(a.get('assignee') or '-'), 60)}{note}")
        if a.get("summary"):
            lines.append(f"  {w['summary']}: {safe_text(a['summary'], 300)}")
        lines.append(f"  {w['evidence']}: {_evidence(a.get('evidence') or {}, lang)}")
        lines.append(f"  {w['link']}: {alert_link(board_url, a['alert_id'])}")
    if len(alerts) > MAX_LISTED:
        lines.append(w["more"].format(n=len(alerts) - MAX_LISTED))
    return safe_text(title, 200), "\n".join(lines)
