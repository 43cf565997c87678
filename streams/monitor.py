"""The one core: a few stages, each a plain object driven by events and an explicit clock, no I/O.

    events ─▶ OrderStage ──signals──▶ ScopeStage ──conditions──┐
               │  ▲  └──conditions (per order)─────────────────▶ AlertPipeline ─▶ alert records, notifications
               │  │  └──risk records
     contacts, │  │ customer context
   escalations ▼  │ (repeats, prior escalations)
             CustomerStage

``OrderStage`` (streams/order_stage.py) holds per-order state (stage, SLA clocks, sentiment, risk) and scales
by partitions of ``order_id``; ``CustomerStage`` (streams/customer_stage.py) holds per-customer history and
scales by partitions of ``customer_id`` (here the order stage asks it synchronously). ``ScopeStage``
(streams/scope_stage.py) holds the per-scope aggregates and their detectors; ``AlertPipeline``
(alerts/pipeline.py) turns conditions into alert lifecycle records. ``yujing replay`` chains them in one
process (:class:`Monitor`); the faust shell puts Kafka topics between them. Both call exactly these objects,
so the logic is never forked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from yujing.records import AlertRecord, Condition, RiskRecord


_TS = attrgetter("ts")


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


class Monitor:
    """The three stages chained in one process (``yujing replay``; tests). Drive it with :meth:`ingest` and
    :meth:`advance`; both return what the core produced, in event-time order."""

    def __init__(self, settings: "Settings", *, scorer: Any = None, pipeline: Any = None) -> None:
        from streams.customer_stage import CustomerStage
        from streams.order_stage import OrderStage
        from streams.scope_stage import ScopeStage

        self.settings = settings
        self.customers = CustomerStage(settings)
        self.orders = OrderStage(settings, scorer=scorer, customers=self.customers)
        self.scopes = ScopeStage(settings)
        if pipeline is None:
            from alerts.pipeline import AlertPipeline
            pipeline = AlertPipeline(settings.alerts, settings.clock.utc_offset_h)
        self.pipeline = pipeline
        self.now = 0.0

    def _alerts(self, conditions: list[Condition], out: Output) -> None:
        out.alerts.extend(self.pipeline.process_all(conditions))
        out.conditions.extend(conditions)

    def _stage_out(self, so: Any, out: Output) -> None:
        conds = so.conditions
        if so.signals:
            apply = self.scopes.apply
            scope_conds: list[Condition] = []
            for sig in so.signals:
                found = apply(sig)
                if found:
                    scope_conds.extend(found)
            if scope_conds:
                conds = conds + scope_conds
        if conds:
            self._alerts(sorted(conds, key=_TS) if len(conds) > 1 else conds, out)
        if so.risks:
            out.risks.extend(so.risks)

    def _advance(self, now: float, out: Output) -> None:
        self._stage_out(self.orders.advance(now), out)
        conds = self.scopes.advance(now)
        if conds:
            self._alerts(conds, out)
        pipeline = self.pipeline
        ticked = pipeline.tick(now)
        if ticked:
            out.alerts.extend(ticked)
        notes = pipeline.drain_notifications()
        if notes:
            out.notifications.extend(notes)
        if now > self.now:
            self.now = now

    def advance(self, now: float) -> Output:
        """Run everything due up to ``now``: silent-order timers, minute ticks, alert timers."""
        out = Output()
        self._advance(now, out)
        return out

    def ingest(self, ev: "Event") -> Output:
        """Advance the clock to the event's time, then apply it."""
        out = Output()
        self._advance(ev.t, out)
        self._stage_out(self.orders.ingest(ev), out)
        notes = self.pipeline.drain_notifications()
        if notes:
            out.notifications.extend(notes)
        return out

    def apply_command(self, cmd: dict[str, Any], now: float) -> Output:
        out = Output()
        out.alerts.extend(self.pipeline.apply_command(cmd, now))
        out.notifications.extend(self.pipeline.drain_notifications())
        return out


if TYPE_CHECKING:  # pragma: no cover
    from yujing.config import Settings
    from yujing.events import Event
