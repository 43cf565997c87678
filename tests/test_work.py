"""breach_forecast from slowed on-site work, end to end through the scope stage (detectors/work.py)."""
from __future__ import annotations

import heapq
import random

from streams import signals as S
from streams.scope_stage import ScopeStage, scope_from_state, scope_state_dict
from streams.signals import ScopeSignal
from yujing.config import load_config

T0 = 1_784_000_000.0


def settings():
    return load_config(None)


DEPT = "north-repair-1"


def sig(kind: str, t: float, oid: str) -> ScopeSignal:
    return ScopeSignal(kind, t, oid, "feedback", "north", DEPT, "fault_repair", "hotline")


class Crews:
    """Crews of one repair department arrive on site at a rate per hour; each job takes a lognormal time (median
    ``median_min`` x ``slow``)."""

    def __init__(self, stage: ScopeStage, seed: int = 1) -> None:
        self.stage, self.rng, self.n = stage, random.Random(seed), 0
        self.done: list[tuple[float, str]] = []
        self.out: list = []

    def run(self, t0: float, minutes: float, per_hour, slow: float = 1.0, median_min: float = 70.0) -> float:
        t, end = t0, t0 + minutes * 60
        while t < end:
            t += 60.0
            while self.done and self.done[0][0] <= t:
                at, oid = heapq.heappop(self.done)
                self.out += self.stage.apply(sig(S.DONE, at, oid))
            rate = per_hour(t) if callable(per_hour) else per_hour
            if self.rng.random() < rate / 60.0:
                self.n += 1
                oid = f"WO-{self.n}"
                self.out += self.stage.apply(sig(S.ONSITE, t, oid))
                took = median_min * 60 * slow * self.rng.lognormvariate(0.0, 0.4)
                heapq.heappush(self.done, (t + took, oid))
            self.out += self.stage.advance(t)
        return t

    def slowdowns(self) -> list:
        return [c for c in self.out if c.kind == "breach_forecast" and c.stage == "feedback"]


def evening(t: float) -> float:
    """Crews arrive at 10 jobs an hour, 35 an hour in a three-hour busy stretch of every eight hours."""
    return 35.0 if ((t - T0) // 3600) % 8 >= 5 else 10.0


def test_a_department_whose_repairs_slow_down_is_warned_before_its_crews_run_out():
    crews = Crews(ScopeStage(settings()))
    t = crews.run(T0, 24 * 60, 14.0)                              # a day at the usual pace: ~340 jobs learned
    assert crews.slowdowns() == []
    start = t
    t = crews.run(t, 180, 14.0, slow=3.0)                         # repairs take three times as long
    fired = [c for c in crews.slowdowns() if c.tier is not None]
    assert fired and fired[0].scope == {"department": DEPT} and fired[0].tier == "yellow"
    assert fired[0].ts - start <= 150 * 60                          # within two and a half hours
    ev = fired[0].evidence
    assert ev["done_60min"] < ev["expected_done_60min"] / 2 and ev["onsite_past_habit"] >= 3
    crews.run(t, 6 * 60, 14.0)                                    # back to normal: the warning resolves
    assert crews.slowdowns()[-1].tier is None


def test_an_ordinary_busy_evening_is_not_a_slowdown():
    """Three times as many jobs on site every busy stretch, done at the usual pace: as many finish as their ages
    say, so there is no evidence (a count of jobs open or of overdue arrivals would rise)."""
    for seed in (1, 2, 3):
        crews = Crews(ScopeStage(settings()), seed)
        crews.run(T0, 3 * 24 * 60, evening)
        assert crews.slowdowns() == [], seed


def test_the_watch_resumes_from_a_checkpoint():
    stage = ScopeStage(settings())
    crews = Crews(stage)
    t = crews.run(T0, 24 * 60, 14.0)
    t = crews.run(t, 60, 14.0, slow=3.0)
    restored = scope_from_state(settings(), scope_state_dict(stage))
    twin = Crews(restored)
    twin.rng.setstate(crews.rng.getstate())
    twin.n, twin.done = crews.n, list(crews.done)
    assert restored.detectors.work.state() == stage.detectors.work.state()
    crews.run(t, 120, 14.0, slow=3.0)
    twin.run(t, 120, 14.0, slow=3.0)
    assert [(c.ts, c.tier) for c in twin.slowdowns()] == [(c.ts, c.tier) for c in crews.slowdowns()
                                                           if c.ts > t]
    assert twin.slowdowns(), "the slowdown is still seen after the hand-over"


def test_a_slower_evening_is_not_a_standstill():
    """Repairs taking 1.3 x as long for four hours, ten departments: slower than the habit — the plain test passes
    11 in one (two with a habit of finished jobs only; where it fired before it was left to the cold start), yet
    about half the usual jobs still finish in time: the alarm fires in one. Twice as long, the alarm fires in all
    ten."""
    plain = fired = 0
    for seed in range(1, 11):
        stage = ScopeStage(settings())
        crews = Crews(stage, seed)
        t = crews.run(T0, 24 * 60, 14.0)
        top = 0.0
        for _ in range(240):
            t = crews.run(t, 1, 14.0, slow=1.3)
            top = max(top, stage.detectors.work.stat[DEPT])
        plain += top >= 11.0
        fired += bool(crews.slowdowns())
        twin = Crews(ScopeStage(settings()), seed)
        t = twin.run(T0, 24 * 60, 14.0)
        twin.run(t, 240, 14.0, slow=2.0)
        assert [c.tier for c in twin.slowdowns()][:1] == ["yellow"], seed
    assert (plain, fired) == (1, 1)


def test_the_alarm_waits_for_its_hold():
    """The alarm must be above its threshold in most of work_hold_minutes (60 %: six minutes of ten, the scope
    rules' hold-down): five minutes after the minute a one-minute hold fires."""
    fired = {}
    for hold in (1, 10):
        s = settings()
        s.detectors.scope.work_hold_minutes = hold
        crews = Crews(ScopeStage(s))
        t = crews.run(T0, 24 * 60, 14.0)
        crews.run(t, 180, 14.0, slow=3.0)
        fired[hold] = next(c.ts for c in crews.slowdowns() if c.tier is not None)
    assert fired[10] - fired[1] == 5 * 60


def test_alerts_off_the_evidence_kept():
    """With ``work_threshold`` 0 the watch raises no alert but keeps its evidence: the lag rule's first-morning
    cold start reads it (detectors.scope.work_rise_exempt; tests/test_lag_department_rise.py)."""
    s = load_config(None)
    s.detectors.scope.work_threshold = 0.0
    stage = ScopeStage(s)
    crews = Crews(stage)
    t = crews.run(T0, 24 * 60, 14.0)
    crews.run(t, 180, 14.0, slow=3.0)
    assert crews.slowdowns() == []
    assert stage.detectors.work.stat[DEPT] >= s.detectors.scope.work_rise_exempt
    s.detectors.scope.work_rise_exempt = 0.0
    assert ScopeStage(s).detectors.work is None


def morning(t: float) -> float:
    """A first morning: 3 jobs an hour at night, rising from 05:00 to 30 an hour at 08:00 and on."""
    h = (t - T0) / 3600
    return 3.0 if h < 5 else min(30.0, 3.0 + 9.0 * (h - 5))


def test_the_habit_learned_on_a_first_morning_is_not_the_short_jobs():
    """Cold start at midnight, work ramping up in the morning, jobs of the usual 70 minutes (median): by 09:00 the
    long jobs of the ramp are still on site. Counted as lasting at least their age, the habit's median is the true
    one; from finished jobs alone it is about 10 % short (a habit expecting jobs to finish sooner than they do made
    a run of merely long repairs look like a standstill)."""
    medians: dict[bool, list[float]] = {True: [], False: []}
    for seed in range(1, 9):
        for censor in (True, False):
            stage = ScopeStage(settings())
            stage.detectors.work.censor = censor
            crews = Crews(stage, seed)
            crews.run(T0, 9 * 60, morning)
            medians[censor].append(stage.detectors.work.habit(DEPT).median / 60)
            if censor:
                assert crews.slowdowns() == [], seed
    km, finished = (sum(medians[c]) / 8 for c in (True, False))
    assert 67.0 <= km <= 73.0, medians[True]
    assert finished < 66.0, medians[False]
