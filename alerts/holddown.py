"""Pending / flap hold-down stage: an alert fires only after its condition has held ``for_s`` seconds, and
keeps firing ``keep_firing_for_s`` after the condition clears (a re-activation inside that window continues
the same episode). Per-order alerts default to 0/0: fire at once, resolve at once.

>>> from alerts.config import AlertsConfig, HoldDown as H
>>> from alerts.state import Alert
>>> stage = HoldDown(AlertsConfig(hold_down={"anomaly": H(for_s=60, keep_firing_for_s=120)}))
>>> a = Alert("fp", "fp-1", "anomaly", None, {"region": "n"}, "yellow", 1.0, "", {}, 100.0, 100.0)
>>> stage.on_active(a, 100.0), stage.due(a), stage.on_timer(a, 160.0)
('wait', 160.0, 'fire')
>>> a.phase = "firing"
>>> stage.on_clear(a, 200.0), stage.due(a), stage.on_timer(a, 320.0)
('hold', 320.0, 'resolve')
"""
from __future__ import annotations

from typing import Literal

from alerts.config import AlertsConfig
from alerts.state import Alert

Action = Literal["fire", "wait", "hold", "resolve", "drop", "none"]


class HoldDown:
    def __init__(self, config: AlertsConfig):
        self.config = config

    def on_active(self, alert: Alert, now: float) -> Action:
        """An active verdict: a pending alert fires once it has held long enough; a held one un-clears."""
        alert.clear_since = None
        if alert.phase == "pending":
            return "fire" if now - alert.started >= self.config.hold_for(alert.kind).for_s else "wait"
        return "none"

    def on_clear(self, alert: Alert, now: float) -> Action:
        """A clear verdict: a pending alert is dropped unseen, a firing one resolves now or after the hold."""
        if alert.phase == "pending":
            return "drop"
        if self.config.hold_for(alert.kind).keep_firing_for_s <= 0:
            return "resolve"
        if alert.clear_since is None:
            alert.clear_since = now
        return "hold"

    def due(self, alert: Alert) -> float | None:
        """When this stage next needs to look at the alert."""
        hold = self.config.hold_for(alert.kind)
        if alert.phase == "pending":
            return alert.started + hold.for_s
        if alert.phase == "firing" and alert.clear_since is not None:
            return alert.clear_since + hold.keep_firing_for_s
        return None

    def on_timer(self, alert: Alert, now: float) -> Action:
        due = self.due(alert)
        if due is None or now < due:
            return "none"
        return "fire" if alert.phase == "pending" else "resolve"
