"""Dedup stage: a repeated verdict about an alert that already fires at that tier is not news.

The pipeline still refreshes the alert's evidence and ``last_seen`` (so it does not go stale), but emits no
record and sends nothing.

>>> from alerts.state import Alert
>>> a = Alert("fp", "fp-1", "receive_lag", "receive", {"order_id": "W1"}, "yellow", 1.0, "", {}, 0.0, 0.0,
...           phase="firing")
>>> is_duplicate(a, "yellow"), is_duplicate(a, "red"), is_duplicate(None, "yellow")
(True, False, False)
"""
from __future__ import annotations

from alerts.state import Alert


def is_duplicate(alert: Alert | None, tier: str | None) -> bool:
    """True when an active verdict at ``tier`` repeats what the firing ``alert`` already says."""
    return alert is not None and alert.phase == "firing" and tier is not None and tier == alert.tier
