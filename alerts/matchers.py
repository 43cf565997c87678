"""Alert labels and matchers: the one vocabulary that inhibition, silences, mute windows and routes share.

>>> labels = alert_labels("receive_lag", "red", "receive", {"order_id": "WO-1", "region": "north"})
>>> labels["level"], matches({"tier": ["orange", "red"], "level": "order"}, labels)
('order', True)
>>> matches({"region": "!north"}, labels), matches({"department": "d1"}, labels)
(False, False)
>>> m = Matcher({"tier": ["orange", "red"], "region": "!south"})    # compiled once, for matchers used often
>>> m(labels), m({"tier": "red", "region": "south"}), Matcher({})({})
(True, False, True)
"""
from __future__ import annotations

from typing import Mapping

Matchers = Mapping[str, "str | list[str]"]


def alert_labels(kind: str, tier: str | None, stage: str | None, scope: Mapping[str, str],
                 fingerprint: str | None = None) -> dict[str, str]:
    """Flat label set of an alert: kind, tier, stage, level, fingerprint and every scope field."""
    level = "order" if "order_id" in scope else "customer" if "customer_id" in scope else "aggregate"
    out = {k: str(v) for k, v in scope.items()}
    out.update(kind=kind, tier=tier or "", stage=stage or "", level=level)
    if fingerprint:
        out["fingerprint"] = fingerprint
    return out


def _one(expected: "str | list[str]", value: str | None) -> bool:
    values = [expected] if isinstance(expected, str) else list(expected)
    positive = [v for v in values if not v.startswith("!")]
    negative = [v[1:] for v in values if v.startswith("!")]
    if value is not None and value in negative:
        return False
    return not positive or (value is not None and value in positive)


def matches(matchers: Matchers, labels: Mapping[str, str]) -> bool:
    """True when every matcher accepts the label (a missing label only satisfies pure negations)."""
    return all(_one(expected, labels.get(key)) for key, expected in matchers.items())


class Matcher:
    """Matchers compiled once into (label, accepted set, rejected set) triples: the same verdict as
    :func:`matches`, without rebuilding the value lists on every call (inhibition rules, mute windows and
    routes are checked for every notified alert). Build it from matchers that will not change."""

    __slots__ = ("items",)

    def __init__(self, matchers: Matchers) -> None:
        items = []
        for key, expected in matchers.items():
            values = [expected] if isinstance(expected, str) else list(expected)
            positive = frozenset(v for v in values if not v.startswith("!"))
            negative = frozenset(v[1:] for v in values if v.startswith("!"))
            items.append((key, positive, negative))
        self.items: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = tuple(items)

    def __call__(self, labels: Mapping[str, str]) -> bool:
        for key, positive, negative in self.items:
            value = labels.get(key)
            if value is None:
                if positive:
                    return False
            elif value in negative or (positive and value not in positive):
                return False
        return True
