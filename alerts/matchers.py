"""Alert labels and matchers: the one vocabulary that inhibition, silences, mute windows and routes share.

>>> labels = alert_labels("receive_lag", "red", "receive", {"order_id": "WO-1", "region": "north"})
>>> labels["level"], matches({"tier": ["orange", "red"], "level": "order"}, labels)
('order', True)
>>> matches({"region": "!north"}, labels), matches({"department": "d1"}, labels)
(False, False)
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
