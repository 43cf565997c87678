"""Inhibition stage: a firing alert that matches a rule's ``source`` mutes alerts matching its ``target``
that agree on the rule's ``equal`` labels (``scope`` = the whole scope). Sources are indexed by their equal
labels, so checking one target costs one dict lookup per rule, not a scan of every firing alert.

>>> from alerts.config import AlertsConfig
>>> inh = Inhibitor(AlertsConfig().inhibit)
>>> surge = {"kind": "backlog_growth", "tier": "red", "level": "aggregate", "region": "north"}
>>> inh.update("fp-surge", "surge-1", surge, firing=True)
>>> inh.muted_by({"kind": "receive_lag", "tier": "yellow", "level": "order", "region": "north", "order_id": "W1"})
('regional_surge_mutes_order_lag', 'surge-1')
>>> inh.update("fp-surge", "surge-1", surge, firing=False)
>>> inh.muted_by({"kind": "receive_lag", "tier": "yellow", "level": "order", "region": "north", "order_id": "W1"})
"""
from __future__ import annotations

from typing import Mapping

from alerts.config import InhibitRule
from alerts.matchers import Matcher
from yujing.records import SCOPE_KEYS


def _equal_key(rule: InhibitRule, labels: Mapping[str, str]) -> tuple[str, ...] | None:
    out: list[str] = []
    for name in rule.equal:
        if name == "scope":
            out.append("|".join(f"{k}={labels[k]}" for k in SCOPE_KEYS if k in labels))
        elif name in labels:
            out.append(labels[name])
        else:
            return None  # a label the alert does not have can never be "equal"
    return tuple(out)


class Inhibitor:
    def __init__(self, rules: list[InhibitRule]):
        self.rules = rules
        self._source_match = [Matcher(r.source) for r in rules]
        self._target_match = [Matcher(r.target) for r in rules]
        self._sources: list[dict[tuple[str, ...], dict[str, str]]] = [{} for _ in rules]
        self._where: dict[str, list[tuple[int, tuple[str, ...]]]] = {}

    def update(self, fingerprint: str, alert_id: str, labels: Mapping[str, str], firing: bool) -> None:
        """Tell the stage an alert's current labels and whether it fires (call on every change)."""
        for i, key in self._where.pop(fingerprint, []):
            self._sources[i][key].pop(fingerprint, None)
            if not self._sources[i][key]:
                del self._sources[i][key]
        if not firing:
            return
        where = []
        for i, rule in enumerate(self.rules):
            if self._source_match[i](labels):
                key = _equal_key(rule, labels)
                if key is not None:
                    self._sources[i].setdefault(key, {})[fingerprint] = alert_id
                    where.append((i, key))
        if where:
            self._where[fingerprint] = where

    def muted_by(self, labels: Mapping[str, str]) -> tuple[str, str] | None:
        """(rule name, muting alert id) if some firing source mutes an alert with these labels."""
        me = labels.get("fingerprint")
        for i, sources_i in enumerate(self._sources):
            if not sources_i or not self._target_match[i](labels):
                continue
            rule = self.rules[i]
            key = _equal_key(rule, labels)
            sources = sources_i.get(key) if key is not None else None
            if sources:
                for fp, alert_id in sources.items():
                    if fp != me:
                        return rule.name, alert_id
        return None
