"""A department's take and feedback lag are judged on its own work (``lag_stray_share``): fault repairs misrouted to a
marketing desk wait there for crews it does not have, consultations misrouted to a repair desk wait to be taken (18-25
minutes where its repairs wait 2), and at a large province's volume three or four of them at once made the desk "lag"
(detectors/stall.py: :meth:`StallWatch.strays`)."""
from __future__ import annotations

import heapq

from streams import signals as S
from streams.deadlines import LEVELS
from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from tests.test_lag_hourly import T0
from yujing.config import load_config

ARRIVAL = 45 * 60.0      # a crew's arrival deadline
TAKE = 120 * 60.0        # the department's deadline to take an order


def settings(share: float | None = None):
    """The order-minutes-at-risk rule alone (no rest of the province here for the sequential test)."""
    s = load_config(None)
    s.detectors.scope.lag_cusum_threshold = 0.0
    if share is not None:
        s.detectors.scope.lag_stray_share = share
    return s


class Department:
    """One department of ``north``: takes an order of ``usual`` every minute within 2 minutes; now and then a
    fault repair comes whose crew arrives (or, misrouted, the order moves on) ``wait`` minutes later."""

    def __init__(self, settings, name: str, usual: str) -> None:
        self.stage, self.name, self.usual = ScopeStage(settings), name, usual
        self.pending: list = []
        self.out: list = []
        self.n = 0

    def sig(self, kind: str, t: float, stage: str, check: str, oid: str, category: str, value: float,
            value2: float) -> None:
        self.out += self.stage.apply(ScopeSignal(kind, t, oid, stage, "north", self.name, category, "hotline",
                                                 check=check, value=value, value2=value2))

    def check(self, t: float, stage: str, check: str, category: str, span: float, wait_min: float) -> None:
        """A check opens at ``t`` and closes ``wait_min`` later, crossing the shares of ``span`` it passes."""
        self.n += 1
        oid, w = f"WO-{self.n}", wait_min * 60.0
        self.sig(S.OPEN, t, stage, check, oid, category, t + span, t)
        levels = [lv for lv in LEVELS if w > lv * span]
        for lv in levels:
            heapq.heappush(self.pending, (t + lv * span, self.n, S.CROSS, stage, check, oid, category, lv, span))
        heapq.heappush(self.pending, (t + w, self.n, S.CLOSE, stage, check, oid, category, max(levels, default=0.0),
                                      span))

    def run(self, start: float, minutes: int, repairs) -> None:
        """``repairs(m)``: the minutes each fault repair arriving in minute ``m`` waits (a list)."""
        for m in range(minutes):
            t = start + m * 60.0
            while self.pending and self.pending[0][0] <= t:
                _, _, kind, stage, check, oid, category, v, v2 = heapq.heappop(self.pending)
                self.sig(kind, t, stage, check, oid, category, v, v2)
            self.check(t, "decompose", "dept_accept", self.usual, TAKE, 2.0)
            for wait in repairs(m):
                self.check(t, "feedback", "feedback", "fault_repair", ARRIVAL, wait)
            self.out += self.stage.advance(t)

    def lag(self, kind: str = "feedback_lag") -> list:
        return [c for c in self.out if c.kind == kind and c.tier and "department" in c.scope]


def four_late_at_once(m: int) -> list[float]:
    """A fault repair every 90 minutes, gone in 10 (3 hours of calm), then from minute 240 four that wait 80."""
    if m < 240:
        return [10.0] if m % 90 == 0 else []
    return [80.0] if m in (240, 241, 242, 243) else []


def run(s, name: str, usual: str) -> Department:
    d = Department(s, name, usual)
    d.run(T0, 330, four_late_at_once)
    return d


def test_misrouted_repairs_late_at_a_marketing_desk_are_not_its_lag():
    assert run(settings(share=0.0), "north-marketing", "consultation").lag()   # counted: the desk "lags"
    assert run(settings(), "north-marketing", "consultation").lag() == []     # strays: its own orders are fine


def test_the_same_repairs_late_at_a_repair_desk_are_its_lag():
    alerts = run(settings(), "north-repair-1", "fault_repair").lag()
    assert alerts and {a.tier for a in alerts} >= {"orange"}
    assert all("strays_open" not in a.evidence for a in alerts)


def test_its_own_late_orders_still_alert_and_the_strays_are_named_apart():
    """Four own late orders (a consultation desk's crews-needing service requests) beside two strays: the alert
    counts its own and names the strays."""
    d = Department(settings(), "north-marketing", "service_request")

    # service requests are its work: most of its takes. Its late feedback checks: 4 of them and 2 strays
    d.run(T0, 240, four_late_at_once)
    for i in range(4):
        d.check(T0 + 240 * 60.0, "feedback", "feedback", "service_request", ARRIVAL, 80.0)
    for i in range(2):
        d.check(T0 + 240 * 60.0, "feedback", "feedback", "fault_repair", ARRIVAL, 80.0)
    d.run(T0 + 241 * 60.0, 90, lambda m: [])
    alerts = d.lag()
    assert alerts
    last = alerts[-1].evidence
    assert last["past_50pct"] == 4 and last["strays_open"] == 2 and last["strays_past_50pct"] == 2
    assert "误派" in alerts[-1].summary


def four_taken_late(category: str, share: float | None = None) -> Department:
    """A repair desk takes a fault repair every minute within 2 minutes; at minute 240 four orders of ``category``
    come to it with 30 minutes to be taken and wait 40."""
    d = Department(settings(share), "north-repair-1", "fault_repair")
    d.run(T0, 240, lambda m: [])
    for _ in range(4):
        d.check(T0 + 240 * 60.0, "decompose", "dept_accept", category, 30 * 60.0, 40.0)
    d.run(T0 + 241 * 60.0, 90, lambda m: [])
    return d


def test_misrouted_consultations_taken_late_at_a_repair_desk_are_not_its_take_lag():
    assert four_taken_late("consultation", share=0.0).lag("dispatch_lag")          # counted: the desk "lags"
    assert four_taken_late("consultation").lag("dispatch_lag") == []               # strays: its repairs are taken


def test_its_own_repairs_taken_late_are_its_take_lag():
    alerts = four_taken_late("fault_repair").lag("dispatch_lag")
    assert alerts and all("strays_open" not in a.evidence for a in alerts)
