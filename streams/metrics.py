"""Prometheus metrics of a live worker (served on ``/metrics`` by ``yujing worker``)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class Metrics:
    """The worker's counters, in a registry of their own (several workers may share a test process)."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.events = Counter("yujing_events", "valid input events processed", registry=r)
        self.dlq = Counter("yujing_dead_letters", "input events rejected to the dead-letter topic", registry=r)
        self.signals = Counter("yujing_scope_signals", "scope signals published", registry=r)
        self.conditions = Counter("yujing_conditions", "conditions published to the alert pipeline", registry=r)
        self.risks = Counter("yujing_risk_records", "risk records published", registry=r)
        self.alerts = Counter("yujing_alert_records", "alert lifecycle records", ["status", "tier"], registry=r)
        self.notifications = Counter("yujing_notifications", "notifications sent", registry=r)
        self.notify_failures = Counter("yujing_notification_failures", "notifications that failed", registry=r)
        self.write_retries = Counter("yujing_write_retries", "failed attempts of a take's writes, retried in place",
                                     ["step"], registry=r)
        self.write_blocked = Gauge("yujing_write_blocked_seconds", "how long the longest-failing write has been "
                                   "retried (0 = every write goes through)", registry=r)
        self.lag = Gauge("yujing_consumer_lag", "input events not yet processed by this worker", registry=r)

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:
        """Start the ``/metrics`` HTTP endpoint in a background thread."""
        start_http_server(port, addr=addr, registry=self.registry)
