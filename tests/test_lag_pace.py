"""The lag rule's pace gate (``detectors.scope.lag_pace_minutes``): a department desk that keeps its pace drains a
burst of orders, and the orders still late while its queue shrinks are no new alert; a desk that stopped clearing
(its queue grows) is one.

One department's dispatch desk (the ``dept_accept`` check, 20-minute deadline) with one clerk who takes two orders
a minute, first come first served; one order a minute all day. A burst of five a minute for twelve minutes queues
up to 36 orders: the last of them wait about 18 minutes, so orders pass half (and six of them three quarters of)
their deadline while the queue is already draining (what a one-clerk repair desk's evening peak looks like: gen-9's north-repair-2 at 21:00).
"""
from __future__ import annotations

import heapq

from detectors.scope_rules import keeps_pace
from streams import signals as S
from streams.deadlines import LEVELS
from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from tests.test_lag_hourly import T0
from yujing.config import load_config

SPAN = 20 * 60.0
DEPT = "north-repair-2"


def settings(pace: int = 15):
    """The order-minutes-at-risk rule alone (the sequential lag test needs a rest of the province)."""
    s = load_config(None)
    s.detectors.scope.lag_cusum_threshold = 0.0
    s.detectors.scope.lag_pace_minutes = pace
    s.detectors.scope.stall_min_orders = 0   # the stall watch would say a stopped desk too; this is the lag rule
    return s


class OneClerk:
    """Orders arriving ``arrivals(minute)`` a minute; the clerk takes ``capacity(minute)`` a minute in order."""

    def __init__(self, stage: ScopeStage) -> None:
        self.stage, self.n, self.pending, self.queue, self.out = stage, 0, [], [], []

    def sig(self, kind: str, t: float, oid: str, value: float, value2: float, check: str = "dept_accept") -> None:
        self.out += self.stage.apply(ScopeSignal(kind, t, oid, "decompose", "north", DEPT, "fault_repair",
                                                 "hotline", check=check, value=value, value2=value2))

    def run(self, minutes: int, arrivals, capacity, moved=lambda m: 0) -> None:
        """``moved(minute)``: orders a minute reassigned here from another department (no routing check)."""
        for m in range(minutes):
            t = T0 + m * 60.0
            while self.pending and self.pending[0][0] <= t:
                _, oid, level = heapq.heappop(self.pending)
                self.sig(S.CROSS, t, oid, level, SPAN)
            for _ in range(arrivals(m)):
                self.n += 1
                oid = f"WO-{self.n}"
                # as streams/order_stage.py dispatches: the routing check moves to the department and closes
                # there as the department's acceptance check opens
                self.sig(S.OPEN, t, oid, t + SPAN, t, check="dispatch~")
                self.sig(S.CLOSE, t, oid, 0.0, SPAN, check="dispatch")
                self.sig(S.OPEN, t, oid, t + SPAN, t)
                self.queue.append((t, oid))
                for level in LEVELS:
                    heapq.heappush(self.pending, (t + level * SPAN, oid, level))
            for _ in range(moved(m)):
                self.n += 1
                oid = f"WO-{self.n}"
                self.sig(S.OPEN, t, oid, t + SPAN, t, check="dept_accept~")
                self.queue.append((t, oid))
                for level in LEVELS:
                    heapq.heappush(self.pending, (t + level * SPAN, oid, level))
            for _ in range(min(capacity(m), len(self.queue))):
                opened, oid = self.queue.pop(0)
                top = max([lv for lv in LEVELS if t - opened >= lv * SPAN], default=0.0)
                self.pending = [p for p in self.pending if p[1] != oid]
                heapq.heapify(self.pending)
                self.sig(S.CLOSE, t, oid, top, SPAN)
            self.out += self.stage.advance(t)

    def alerts(self) -> list:
        return [c for c in self.out if c.kind == "dispatch_lag" and c.tier and c.scope.get("department") == DEPT]


BURST = 10 * 60   # 10:00 local: the baseline has learned ten calm hours


def burst(m: int) -> int:
    return 5 if BURST <= m < BURST + 12 else 1


def test_a_burst_draining_at_the_desks_pace_is_no_new_alert():
    without = OneClerk(ScopeStage(settings(pace=0)))
    without.run(BURST + 90, burst, lambda m: 2)
    assert without.alerts(), "the orders late in the drained queue are an alert without the gate"
    assert {c.tier for c in without.alerts()} == {"yellow"}
    assert min(c.ts for c in without.alerts()) >= T0 + (BURST + 12) * 60.0   # after the burst, while draining
    gated = OneClerk(ScopeStage(settings()))
    gated.run(BURST + 90, burst, lambda m: 2)
    assert gated.alerts() == []
    # nor does its region repeat it: the department holds all the region's late orders
    assert [c for c in gated.out if c.kind == "dispatch_lag" and c.tier] == []


def test_a_burst_with_orders_failed_en_masse_still_alerts():
    """Six a minute for twelve minutes: orders past 90 % (orange) and overdue (red) are news whatever the pace."""
    desk = OneClerk(ScopeStage(settings()))
    desk.run(BURST + 90, lambda m: 6 if BURST <= m < BURST + 12 else 1, lambda m: 2)
    assert "orange" in {c.tier for c in desk.alerts()}


def test_a_desk_that_stops_clearing_still_alerts():
    desk = OneClerk(ScopeStage(settings()))
    desk.run(BURST + 60, lambda m: 1, lambda m: 0 if m >= BURST else 2)
    assert desk.alerts()
    assert min(c.ts for c in desk.alerts()) <= T0 + (BURST + 20) * 60.0   # before the first order's deadline


def test_orders_moved_in_from_a_stalled_sibling_still_alert():
    """A sibling stalls and the dispatcher moves its orders here, two a minute on top of the desk's own one: the
    queue grows (entries the first dispatches alone do not show), so the lag is news."""
    desk = OneClerk(ScopeStage(settings()))
    desk.run(BURST + 60, lambda m: 1, lambda m: 2, moved=lambda m: 2 if BURST <= m < BURST + 45 else 0)
    assert desk.alerts() and desk.alerts()[0].tier == "yellow"


def test_a_firing_alert_is_kept_while_the_desk_drains():
    """The gate only holds back new alerts: a stop long enough to alert, then the clerk back at twice the pace,
    keeps the alert until the queue is calm (the clear-down), not the first minute the desk drains."""
    desk = OneClerk(ScopeStage(settings()))
    desk.run(BURST + 120, lambda m: 1, lambda m: 0 if BURST <= m < BURST + 25 else 2)
    fired = [c for c in desk.out if c.kind == "dispatch_lag" and c.scope.get("department") == DEPT]
    assert fired and fired[0].tier
    resolved = [c for c in fired if c.tier is None]
    assert resolved and resolved[0].ts >= T0 + (BURST + 25 + 20) * 60.0   # not before the clear-down


def test_keeps_pace_looks_at_the_last_minutes_only():
    backlog, closed = [2, 6, 10, 14, 12, 10, 8], [0, 0, 0, 0, 3, 3, 3]
    assert keeps_pace(backlog, closed, 3, 3)          # the last three minutes drain: 14 open, then 8
    assert not keeps_pace(backlog, closed, 6, 3)      # over six the queue grew: 2 open, then 8
    assert not keeps_pace(backlog, closed, 7, 3)      # no history that long: nothing said
    # a department's dispatch stage: each order sent closes its routing check there too
    assert not keeps_pace(backlog, closed, 3, 3, routed=[0, 0, 0, 0, 3, 3, 3])
