"""breach_forecast from a stalled department, end to end through the scope stage (detectors/stall.py)."""
from __future__ import annotations

import random

from streams import signals as S
from streams.scope_stage import ScopeStage, scope_from_state, scope_state_dict
from streams.signals import ScopeSignal
from yujing.config import load_config

T0 = 1_784_000_000.0
DEADLINE_S = 120 * 60.0   # dept_accept of a service request
DEPT = "north-marketing"


def sig(kind: str, t: float, oid: str, **kw) -> ScopeSignal:
    return ScopeSignal(kind, t, oid, "decompose", "north", DEPT, "service_request", "web", check="dept_accept", **kw)


class Department:
    """Orders dispatched to one department every ``every_s``; it takes each after ``take_s`` (None: never)."""

    def __init__(self, stage: ScopeStage, rng: random.Random) -> None:
        self.stage, self.rng, self.n = stage, rng, 0
        self.pending: list[tuple[float, str, float]] = []   # (accept time, order, start)
        self.out: list = []

    def run(self, t0: float, minutes: float, every_s: float, take_s: tuple[float, float] | None) -> float:
        t = t0
        while t < t0 + minutes * 60:
            t += every_s
            self.pending.sort()
            while self.pending and self.pending[0][0] <= t:
                done, oid, start = self.pending.pop(0)
                self.out += self.stage.apply(sig(S.CLOSE, done, oid, value=0.0, value2=DEADLINE_S))
            self.n += 1
            oid = f"WO-{self.n}"
            self.out += self.stage.apply(sig(S.OPEN, t, oid, value=t + DEADLINE_S, value2=t))
            if take_s is not None:
                self.pending.append((t + self.rng.uniform(*take_s), oid, t))
            self.out += self.stage.advance(t)
        return t

    def forecasts(self) -> list:
        return [c for c in self.out if c.kind == "breach_forecast"]


def test_a_department_that_stops_taking_orders_is_forecast_to_breach_long_before_its_deadline():
    dept = Department(ScopeStage(load_config(None)), random.Random(1))
    t = dept.run(T0, 8 * 60, 300, (60, 300))                      # eight hours: takes each in 1-5 minutes
    assert dept.forecasts() == []
    stop = t
    t = dept.run(t, 60, 300, None)                                 # then takes nothing for an hour
    fired = [c for c in dept.forecasts() if c.tier is not None]
    assert fired and fired[0].scope == {"department": DEPT} and fired[0].stage == "decompose"
    assert fired[0].ts - stop <= 30 * 60                            # seen within half an hour ...
    assert fired[0].evidence["minutes_to_breach"] >= 60             # ... an hour and more before any breach
    assert fired[0].evidence["habit_min"] <= 6 and fired[0].evidence["waiting_past_habit"] >= 3
    dept.run(t, 120, 300, (60, 300))                               # works again: the forecast resolves once
    assert [c.tier for c in dept.forecasts()][-1] is None
    assert sum(c.tier is None for c in dept.forecasts()) == 1


def test_quiet_hours_and_slow_tails_alone_are_no_stall():
    dept = Department(ScopeStage(load_config(None)), random.Random(2))
    t = dept.run(T0, 8 * 60, 300, (60, 300))
    t = dept.run(t + 6 * 3600, 60, 3600, (60, 300))                # a quiet night: one order an hour
    # a busy spell in which some orders wait three times the habit, but the department keeps taking others
    dept.run(t, 120, 60, (60, 900))
    assert dept.forecasts() == []


def test_the_habits_and_open_orders_survive_a_checkpoint():
    settings = load_config(None)
    dept = Department(ScopeStage(settings), random.Random(3))
    t = dept.run(T0, 8 * 60, 300, (60, 300))
    t = dept.run(t, 20, 300, None)
    restored = scope_from_state(settings, scope_state_dict(dept.stage))
    a, b = dept.stage.detectors.stall, restored.detectors.stall
    assert a.state() == b.state() and a.open[(DEPT, "dept_accept")]
    later = t + 15 * 60
    assert a.stalled(DEPT, "dept_accept", later) == b.stalled(DEPT, "dept_accept", later) is not None
