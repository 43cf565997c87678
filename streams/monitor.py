"""The one core: three stages, each a plain object driven by events and an explicit clock, no I/O.

    events ─▶ OrderStage ──signals──▶ ScopeStage ──conditions──┐
                  └──────────conditions (per order)───────────▶ AlertPipeline ─▶ alert records, notifications
                  └──risk records

``OrderStage`` (streams/order_stage.py) holds per-order state (stage, SLA clocks, sentiment, risk) and scales
by partitions of ``order_id``. ``ScopeStage`` (streams/scope_stage.py) holds the per-scope aggregates and
their detectors; ``AlertPipeline`` (alerts/pipeline.py) turns conditions into alert lifecycle records.
``yujing replay`` chains the three in one process (:class:`Monitor`); the faust shell puts Kafka topics
between them. Both call exactly these objects, so the logic is never forked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yujing.records import AlertRecord, Condition, RiskRecord


@dataclass(slots=True)
class Output:
    """What the core produced in one step."""

    alerts: list[AlertRecord] = field(default_factory=list)
    risks: list[RiskRecord] = field(default_factory=list)
    notifications: list[Any] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)

    def extend(self, other: "Output") -> None:
        self.alerts.extend(other.alerts)
        self.risks.extend(other.risks)
        self.notifications.extend(other.notifications)
        self.conditions.extend(other.conditions)
