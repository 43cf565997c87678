"""Dedup stage: a repeated verdict about an alert that already fires at that tier is not news.

The pipeline still refreshes the alert's evidence and ``last_seen`` (so it does not go stale), but emits no
record and sends nothing.

>>> from alerts.state import Alert
>>> a = Alert("fp", "fp-1", "receive_lag", "receive", {"order_id": "W1"}, "yellow", 1.0, "", {}, 0.0, 0.0,
...           phase="firing")
>>> is_duplicate(a, "yellow"), is_duplicate(a, "red"), is_duplicate(None, "yellow")
(True, False, False)

A per-order deadline verdict that has seen less of the same deadline than the alert already has is an older
view of the order, not news either: a worker that took over an order re-derives its crossings (90 %, then
100 % at once) while the alert already says 100 %. A new deadline (a pause, a new category) may lower it.

>>> a.evidence = {"check": "receive_ack", "deadline": 600.0, "share_used": 1.0}
>>> is_older_view(a, {"check": "receive_ack", "deadline": 600.0, "share_used": 0.9})
True
>>> is_older_view(a, {"check": "receive_ack", "deadline": 900.0, "share_used": 0.67})   # deadline moved
False
"""
from __future__ import annotations

from typing import Any, Callable

from alerts.state import Alert


def is_duplicate(alert: Alert | None, tier: str | None) -> bool:
    """True when an active verdict at ``tier`` repeats what the firing ``alert`` already says."""
    return alert is not None and alert.phase == "firing" and tier is not None and tier == alert.tier


def is_older_view(alert: Alert | None, evidence: dict | None) -> bool:
    """True when a per-order deadline verdict (``evidence`` with ``check``, ``deadline``, ``share_used``) has
    seen less of the same check and deadline than the active ``alert``."""
    if alert is None or alert.phase != "firing" or "order_id" not in alert.scope or not evidence:
        return False
    cur = alert.evidence or {}
    try:
        return (evidence.get("deadline") is not None and evidence.get("deadline") == cur.get("deadline")
                and evidence.get("check") == cur.get("check")
                and float(evidence.get("share_used", 0.0)) < float(cur.get("share_used", 0.0)))
    except (TypeError, ValueError):
        return False


def last_per_instant(conditions: list, instant: Callable[[Any], float] | None = None) -> list:
    """Of several verdicts on one alert at one instant keep the last, in order: an instant has one state.

    A worker catching up on an order it took over may judge it twice at one event time (the overdue check it
    caught up on, then the event that closed it); both shells pass a batch through here before the pipeline, or the
    alert went red -> orange within one second of event time. ``instant`` says when a verdict will be recorded
    (default: its ``ts``; the pipeline records a late verdict when it learns it, see
    :meth:`alerts.pipeline.AlertPipeline.process_all`).

    >>> from types import SimpleNamespace as C
    >>> out = last_per_instant([C(fingerprint="a", ts=1.0, tier="red"), C(fingerprint="b", ts=1.0, tier="blue"),
    ...                         C(fingerprint="a", ts=1.0, tier="orange"), C(fingerprint="a", ts=2.0, tier="red")])
    >>> [(c.fingerprint, c.ts, c.tier) for c in out]
    [('b', 1.0, 'blue'), ('a', 1.0, 'orange'), ('a', 2.0, 'red')]
    >>> late = last_per_instant(out, instant=lambda c: max(c.ts, 5.0))   # both of a's recorded at 5
    >>> [(c.fingerprint, c.ts, c.tier) for c in late]
    [('b', 1.0, 'blue'), ('a', 2.0, 'red')]
    """
    if len(conditions) < 2:
        return conditions
    when = instant or _ts
    last = {(c.fingerprint, when(c)): i for i, c in enumerate(conditions)}
    if len(last) == len(conditions):
        return conditions
    return [c for i, c in enumerate(conditions) if last[(c.fingerprint, when(c))] == i]


def _ts(c: Any) -> float:
    return c.ts
