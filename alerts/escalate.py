"""Escalation stage: an unacknowledged alert climbs its tier's chain (e.g. red: team lead after 15 min,
duty manager after 30 min); an acknowledgement stops it, and an acknowledgement that times out while the
alert still fires re-triggers it (PagerDuty style): the ack lapses and the chain starts again.

The chain's clock counts the time people could have heard of the alert: it stops while the alert is muted
(silenced, inhibited, in a mute window) and goes on where it stopped, so after a silence the remaining wait
applies. A step taken late (the alert rose to a tier whose first steps were past, a worker catching up) moves
the chain on with it: the next step still waits its own gap after it, nobody is paged in the same breath.

>>> from alerts.config import AlertsConfig
>>> from alerts.state import Alert
>>> esc = Escalation(AlertsConfig())
>>> a = Alert("fp", "fp-1", "receive_lag", "receive", {}, "red", 1.0, "", {}, 0.0, 0.0, phase="firing",
...           fired_at=0.0, escalation_base=0.0)
>>> esc.due(a), esc.step_due(a, 900.0).receiver, a.escalation_step
(900.0, 'team_lead', 1)
>>> esc.due(a), esc.step_due(a, 1000.0)
(1800.0, None)
>>> esc.pause(a, 1000.0, until=1600.0); esc.step_due(a, 1800.0) is None   # silenced from 1000 to 1600
True
>>> esc.resume(a, 1600.0); esc.due(a)
2400.0
>>> a.acked_at = 1000.0; a.acked_by = "zhang"
>>> esc.due(a), esc.ack_lapsed(a, 2800.0)
(2800.0, True)
"""
from __future__ import annotations

from alerts.config import AlertsConfig, EscalationStep
from alerts.state import Alert


class Escalation:
    def __init__(self, config: AlertsConfig):
        self.config = config

    def _pending(self, alert: Alert) -> EscalationStep | None:
        chain = self.config.escalation.get(alert.tier, [])
        return chain[alert.escalation_step] if alert.escalation_step < len(chain) else None

    def due(self, alert: Alert) -> float | None:
        """Next time this stage acts on the alert: the next escalation step, the ack timeout, or (muted, a step
        pending) when to look whether the mute is over."""
        if alert.phase != "firing":
            return None
        if alert.acked_by is not None:
            timeout = self.config.ack_timeout_s
            return alert.acked_at + timeout if timeout > 0 and alert.acked_at is not None else None
        step = self._pending(alert)
        if step is None:
            return None
        if alert.escalation_paused is not None:
            return alert.escalation_muted_until
        return alert.escalation_base + step.after_s

    def step_due(self, alert: Alert, now: float) -> EscalationStep | None:
        """The step to take now, if one is due (advances the alert's step; a late one moves the chain on)."""
        if alert.phase != "firing" or alert.acked_by is not None or alert.escalation_paused is not None:
            return None
        step = self._pending(alert)
        if step is None or now < alert.escalation_base + step.after_s:
            return None
        alert.escalation_step += 1
        alert.escalation_base = max(alert.escalation_base, now - step.after_s)
        return step

    def restart(self, alert: Alert, now: float) -> None:
        """Start the chain again at its first step (fire, unack, lapsed ack); the caller re-applies any mute."""
        alert.escalation_step = 0
        alert.escalation_base = alert.escalation_since = now
        alert.escalation_paused = None

    def pause(self, alert: Alert, since: float, until: float) -> None:
        """The alert is muted, since ``since`` (at the earliest the clock's last start) and at least ``until``."""
        if alert.escalation_paused is not None and since > alert.escalation_muted_until:
            self.resume(alert, alert.escalation_muted_until)   # the mute before ended before this one began
        if alert.escalation_paused is None:
            alert.escalation_paused = max(since, alert.escalation_since)
        alert.escalation_muted_until = until

    def resume(self, alert: Alert, now: float) -> None:
        """The alert is heard of again: the muted time (up to the mute's known end) moves the chain on."""
        if alert.escalation_paused is None:
            return
        end = max(alert.escalation_paused, min(now, alert.escalation_muted_until))
        alert.escalation_base += end - alert.escalation_paused
        alert.escalation_since = end
        alert.escalation_paused = None

    def ack_lapsed(self, alert: Alert, now: float) -> bool:
        """True (and the ack is cleared, the chain restarted) when an acknowledgement has timed out."""
        timeout = self.config.ack_timeout_s
        if alert.phase != "firing" or alert.acked_at is None or timeout <= 0 or now < alert.acked_at + timeout:
            return False
        alert.acked_by = alert.acked_at = None
        self.restart(alert, now)
        return True
