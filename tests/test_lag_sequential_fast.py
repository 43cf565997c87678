"""A desk that drifts: every 6 minutes two calls wait too long, only for a minute at a time. The sequential lag test
(the share of calls reaching half their deadline has risen) gathers the evidence over the hour, but two calls past
half their deadline, one of them past 75 %, are there for a single minute each time — never the three minutes in
five that the ordinary hold asks for. Backed by the sequential test and an order close to breach, the verdict fires
at its first minute (``lag_cusum_fast_orders``), as the other sequential tests do. Seen on a simulator stream whose
south desk lost 3 % of its capacity an hour: six hotline calls overdue in 12 minutes and no region alert."""
from __future__ import annotations

from streams import signals as S
from streams.deadlines import LEVELS
from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from tests.test_lag_hourly import SPAN, T0
from yujing.config import load_config

EVERY = 6


def desk_with_bursts(fast_orders: int, hours: float = 6.0) -> list:
    """Three calls a minute taken after 2 minutes; from hour 3, every 6 minutes a pair: one waits 8.4 minutes
    (past 75 %), one opened 2.5 minutes later waits 5.8 (past 50 %) — both past half at one minute only."""
    s = load_config(None)
    sc = s.detectors.scope
    sc.lag_cusum_province = False        # against the desk's own usual share: there is no rest of the province
    sc.lag_hourly = False
    sc.lag_cusum_fast_orders = fast_orders
    stage = ScopeStage(s)
    todo: list[tuple[float, str, str, float, float]] = []
    n = 0

    def call(t: float, wait_min: float) -> None:
        nonlocal n
        n += 1
        oid, w = f"WO-{n}", wait_min * 60.0
        todo.append((t, S.OPEN, oid, t + SPAN, t))
        for level in LEVELS:
            if w > level * SPAN:
                todo.append((t + level * SPAN, S.CROSS, oid, level, SPAN))
        top = max([lv for lv in LEVELS if w > lv * SPAN], default=0.0)
        todo.append((t + w, S.CLOSE, oid, top, SPAN))

    minutes = int(hours * 60)
    for m in range(minutes):
        t = T0 + m * 60.0
        for k in range(3):
            call(t + k, 2.0)
        if m >= 180 and m % EVERY == 0:
            call(t + 3, 8.4)
            call(t + 150, 5.8)
    todo.sort()
    out: list = []
    i = 0
    for m in range(minutes + 15):
        t = T0 + m * 60.0
        while i < len(todo) and todo[i][0] <= t:
            ts, kind, oid, v, v2 = todo[i]
            out += stage.apply(ScopeSignal(kind, ts, oid, "receive", "north", None, "consultation", "hotline",
                                           check="receive_ack", value=v, value2=v2))
            i += 1
        out += stage.advance(t)
    return [c for c in out if c.kind == "receive_lag" and c.scope == {"region": "north"} and c.tier]


def test_backed_by_the_sequential_test_a_near_breach_fires_at_its_first_minute():
    fired = desk_with_bursts(fast_orders=1)
    assert fired and fired[0].tier == "yellow"
    assert fired[0].ts >= T0 + 3 * 3600      # not during the calm hours
    assert fired[0].evidence["past_75pct"] >= 1


def test_with_the_ordinary_hold_the_one_minute_bursts_never_fire():
    assert desk_with_bursts(fast_orders=0) == []
