"""Escalation intent in a customer's words: the pressure a customer puts on before going over our heads.

The threat words (12398, 12345, 媒体, 曝光, lawyer …; streams/sentiment.py) name *where* a customer will take the
matter. Before that, customers say *that* they will not let it go: an ultimatum ("如果今天还不处理", "last
warning"), the call is being recorded ("我已经录音了"), they will hold someone accountable or go to the top
("追究到底", "找你们领导", "supervisor"), come to the office or call every day, demand compensation, or name
the energy bureau or a court. The grid-company literature counts such "complaint-tendency keywords" among the
best predictors of escalation (domain.md); in the labelled streams an order whose customer wrote one escalated
~40–50 % of the time, against 2.5 % overall — far more than anger alone (~24 % for "你们的服务太差了").

>>> intent_phrases("我已经录音了，别想糊弄我。如果今天还不处理，我就去你们营业厅门口等着！")
['recording', 'ultimatum', 'in_person']
>>> intent_phrases("This is my last warning, I want to speak to your supervisor.")
['ultimatum', 'accountability']
>>> intent_phrases("家里停电了，请尽快派人来修")
[]
"""
from __future__ import annotations

import re

__all__ = ["INTENT", "intent_phrases"]

INTENT: dict[str, tuple[str, ...]] = {
    "ultimatum": ("最后一次", "后果自负", "今天不给我解决", "今天还不处理", "今天必须", "再不解决", "再不处理",
                  "last warning", "final warning", "last chance"),
    "recording": ("录音", "录像", "录了音", "recorded", "recording this"),
    "accountability": ("追究", "投诉到底", "没完", "找你们领导", "找领导", "叫你们领导", "讨个说法", "讨说法",
                       "supervisor", "your manager", "all the way", "hold you accountable"),
    "in_person": ("营业厅门口", "上门找你们", "到你们公司", "去你们单位", "come to your office"),
    "harassment": ("天天打电话", "天天打", "每天都打", "call every day"),
    "compensation": ("赔偿", "赔钱", "compensation", "compensate", "reimburse"),
    "authority": ("能源局", "监管", "上访", "信访", "政府热线", "regulator", "energy bureau"),
    "legal": ("法院", "起诉", "告你们", "打官司", "sue you", "court", "legal action"),
}
"""Kinds of escalation intent and their phrases (Chinese and English; matched case-insensitively)."""

_CANON = {p.lower(): kind for kind, phrases in INTENT.items() for p in phrases}
_RE = re.compile("|".join(re.escape(p) for p in sorted(_CANON, key=len, reverse=True)), re.IGNORECASE)


def intent_phrases(text: str) -> list[str]:
    """The kinds of escalation intent ``text`` expresses, in order of first appearance, each once."""
    if not text:
        return []
    return list(dict.fromkeys(_CANON[m.group(0).lower()] for m in _RE.finditer(text)))
