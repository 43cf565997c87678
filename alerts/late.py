"""Settle stage for late verdicts: a verdict older than what its alert has already recorded waits until the view
of that alert settles, and then counts once.

A late verdict comes from a worker that is catching up — one that took over an order after another was killed
and re-derives what the dead one had already said, or an event that arrived out of order. The alert's story has
moved on meanwhile (an escalation step, a tier change), so the verdict cannot be recorded at its own time; it is
recorded when it was learned. A worker catching up over several batches learns several such views of one order
in a few seconds, and recording each one as it came flapped the alert orange -> red -> orange at one second, with
a notification for each step. Here the views are held instead; the newest (by event time) is applied once, when
the hold ends, unless a current verdict about the alert arrives first and makes it moot.

>>> from alerts.state import Alert
>>> from yujing.records import Condition
>>> a = Alert("fp", "fp-1", "complaint_risk", "feedback", {"order_id": "W1"}, "orange", 0.6, "", {}, 0.0, 0.0,
...           phase="firing", last_record_ts=100.0)
>>> late = LateVerdicts(settle_s=30.0)
>>> late.hold(a, Condition("complaint_risk", {"order_id": "W1"}, "red", 90.0), now=100.0)      # an older view
True
>>> late.hold(a, Condition("complaint_risk", {"order_id": "W1"}, "orange", 95.0), now=101.0)   # a newer one agrees
False
>>> late.next_due() is None                                                                      # nothing to settle
True
>>> late.hold(a, Condition("complaint_risk", {"order_id": "W1"}, "red", 96.0), now=102.0)
True
>>> [(c.tier, c.ts) for c in late.release(131.0)], [(c.tier, c.ts) for c in late.release(132.0)]
([], [('red', 132.0)])
>>> late.hold(a, Condition("complaint_risk", {"order_id": "W1"}, "red", 120.0), now=140.0)     # current: not held
False
"""
from __future__ import annotations

import dataclasses
from typing import Any

from alerts.state import Alert
from yujing.records import Condition


@dataclasses.dataclass(slots=True)
class _Held:
    due: float
    alert_id: str
    cond: Condition


class LateVerdicts:
    """Holds, per alert, the newest late verdict that would change it, for ``settle_s`` seconds of the clock."""

    def __init__(self, settle_s: float):
        self.settle_s = settle_s
        self._held: dict[str, _Held] = {}

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, alert: Alert | None, cond: Condition, now: float, fp: str | None = None) -> bool:
        """True when ``cond`` is held (the caller applies nothing now); False when it is to be applied as usual.

        Only a verdict about an alert that already recorded something later than the verdict is late. A late
        verdict that agrees with the alert's tier, or any current verdict, ends a hold: the newest view wins.
        ``fp``: the verdict's fingerprint, if the caller has it already."""
        if alert is None or cond.ts >= alert.last_record_ts:
            if self._held:
                self._held.pop(fp or cond.fingerprint, None)
            return False
        fp = fp or cond.fingerprint
        held = self._held.get(fp)
        if held is not None and cond.ts < held.cond.ts:
            return True                          # older than the view already held: superseded
        if cond.tier == alert.tier:
            self._held.pop(fp, None)
            return False
        due = held.due if held is not None else now + self.settle_s
        self._held[fp] = _Held(due, alert.alert_id, cond)
        return True

    def next_due(self) -> float | None:
        """When the earliest hold ends (``None``: nothing held)."""
        if not self._held:
            return None
        return min(h.due for h in self._held.values())

    def release(self, now: float, alerts: dict[str, Alert] | None = None) -> list[Condition]:
        """Verdicts whose hold has ended by ``now``, stamped with the end of their hold, oldest hold first.

        With ``alerts`` (open episodes by fingerprint), a verdict about an episode that has ended meanwhile is
        dropped: the episode it was about is over."""
        due = sorted((h.due, fp) for fp, h in self._held.items() if h.due <= now)
        out = []
        for t, fp in due:
            h = self._held.pop(fp)
            if alerts is not None:
                a = alerts.get(fp)
                if a is None or a.alert_id != h.alert_id:
                    continue
            out.append(dataclasses.replace(h.cond, ts=t))
        return out

    def state_dict(self) -> list[dict[str, Any]]:
        return [{"due": h.due, "alert_id": h.alert_id, "cond": dataclasses.asdict(h.cond)}
                for h in self._held.values()]

    def load(self, state: list[dict[str, Any]]) -> None:
        for d in state:
            cond = Condition(**d["cond"])
            self._held[cond.fingerprint] = _Held(float(d["due"]), str(d["alert_id"]), cond)
