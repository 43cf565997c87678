"""Escalation stage: an unacknowledged alert climbs its tier's chain (e.g. red: team lead after 15 min,
duty manager after 30 min); an acknowledgement stops it, and an acknowledgement that times out while the
alert still fires re-triggers it (PagerDuty style): the ack lapses and the chain starts again.

>>> from alerts.config import AlertsConfig
>>> from alerts.state import Alert
>>> esc = Escalation(AlertsConfig())
>>> a = Alert("fp", "fp-1", "receive_lag", "receive", {}, "red", 1.0, "", {}, 0.0, 0.0, phase="firing",
...           fired_at=0.0, escalation_base=0.0)
>>> esc.due(a), esc.step_due(a, 900.0).receiver, a.escalation_step
(900.0, 'team_lead', 1)
>>> esc.due(a), esc.step_due(a, 1000.0)
(1800.0, None)
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

    def due(self, alert: Alert) -> float | None:
        """Next time this stage acts on the alert: the next escalation step, or the ack timeout."""
        if alert.phase != "firing":
            return None
        if alert.acked_by is not None:
            timeout = self.config.ack_timeout_s
            return alert.acked_at + timeout if timeout > 0 and alert.acked_at is not None else None
        chain = self.config.escalation.get(alert.tier, [])
        if alert.escalation_step < len(chain):
            return alert.escalation_base + chain[alert.escalation_step].after_s
        return None

    def step_due(self, alert: Alert, now: float) -> EscalationStep | None:
        """The step to take now, if one is due (advances the alert's step)."""
        if alert.phase != "firing" or alert.acked_by is not None:
            return None
        chain = self.config.escalation.get(alert.tier, [])
        if alert.escalation_step < len(chain) and now >= alert.escalation_base + chain[alert.escalation_step].after_s:
            alert.escalation_step += 1
            return chain[alert.escalation_step - 1]
        return None

    def ack_lapsed(self, alert: Alert, now: float) -> bool:
        """True (and the ack is cleared, the chain restarted) when an acknowledgement has timed out."""
        timeout = self.config.ack_timeout_s
        if alert.phase != "firing" or alert.acked_at is None or timeout <= 0 or now < alert.acked_at + timeout:
            return False
        alert.acked_by = alert.acked_at = None
        alert.escalation_step = 0
        alert.escalation_base = now
        return True
