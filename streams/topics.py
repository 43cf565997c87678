"""What a new contact is about: keyword topics of customer text (billing, meter, voltage, attitude …).

A wave of contacts about one matter in one area — a billing run gone wrong, a batch of faulty meters, a rude
service hall — is the usual root of a "sentiment storm": each customer alone looks like an ordinary
consultation, together they are a complaint wave on its way to 12398. The scope stage counts new contacts per
topic and region; :mod:`detectors.scope_rules` compares each topic's share of a region's contacts with its normal.

Topics are configuration (``[tracking.topics]``): a name and the words (Chinese or English, matched as
substrings, case-insensitive) that put a text in it. A text can be in several topics.

>>> tagger = TopicTagger({"billing": ["电费", "bill"], "meter": ["电表", "meter"]})
>>> tagger.tag("这个月电费怎么这么高？电表是不是坏了")
('billing', 'meter')
>>> tagger.tag("My BILL doubled this month")
('billing',)
>>> tagger.tag("想咨询一下营业时间")
()
"""
from __future__ import annotations

import re
from functools import lru_cache

DEFAULT_TOPICS: dict[str, list[str]] = {
    "billing": ["电费", "账单", "扣费", "扣款", "多扣", "缴费", "交费", "预存", "欠费", "收费", "退费", "计费", "电价",
                "bill", "charged", "overcharg", "refund", "payment", "tariff"],
    "meter": ["电表", "表计", "读数", "抄表", "智能表", "表走", "meter", "reading"],
    "voltage": ["电压", "忽明忽暗", "闪烁", "烧坏", "电器损坏", "voltage", "flicker"],
    "attitude": ["态度", "服务差", "不理", "推诿", "踢皮球", "敷衍", "挂电话", "rude", "attitude", "impolite"],
    "connection": ["报装", "新装", "增容", "过户", "装表", "接电", "installation", "new connection"],
    "outage_notice": ["计划停电", "停电通知", "没有通知", "没通知", "停电公告", "planned outage", "without notice"],
}
"""Default topics of a power-supply company's non-fault contacts (fault reports are watched by their own
count, ``arrival_surge``)."""


TAG_CACHE_SIZE = 4096
"""Distinct texts whose topics :meth:`TopicTagger.tag` remembers (least recently used go first)."""


class TopicTagger:
    """Tags a text with the configured topics whose words it contains (one compiled pattern per topic)."""

    def __init__(self, topics: dict[str, list[str]] | None = None) -> None:
        topics = DEFAULT_TOPICS if topics is None else topics
        self.names: tuple[str, ...] = tuple(topics)
        self._patterns = [(name, re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE))
                          for name, words in topics.items() if words]
        # customer texts repeat (templates, copy-paste) and a text's topics never change (the patterns are fixed)
        self._remembered = lru_cache(maxsize=TAG_CACHE_SIZE)(self._tag)

    def tag(self, text: str) -> tuple[str, ...]:
        """The topics of ``text`` in configuration order (empty when none); remembered for recent texts."""
        return self._remembered(text)

    def _tag(self, text: str) -> tuple[str, ...]:
        head = text[:2000]  # the matter is stated at the start; a 10 kB paste need not be scanned whole
        return tuple(name for name, pat in self._patterns if pat.search(head))
