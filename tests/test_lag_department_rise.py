"""The lag rule's cold start for departments: on a stream's first morning the rest of the province's rise scales a
department's normal level (so a peak every repair desk shares is not news), unless its crews are slow on site
(detectors/work.py): then its arrival lag is its own."""
from __future__ import annotations

import heapq
import random

from detectors.baseline import Baseline
from streams import signals as S
from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from tests.test_lag_hourly import T0, Desk
from yujing.config import load_config

REGIONS = ("north", "south", "east")


def settings(scopes: tuple[str, ...] = ("region", "department"), exempt: float | None = None):
    """The order-minutes-at-risk rule alone (as tests/test_lag_province_rise.py), first-morning rise for
    ``scopes``."""
    s = load_config(None)
    s.detectors.scope.lag_cusum_threshold = 0.0
    s.detectors.scope.lag_province_rise_scopes = list(scopes)
    if exempt is not None:
        s.detectors.scope.work_rise_exempt = exempt
    return s


def dept(region: str) -> str:
    return f"{region}-repair-1"


class Repair(Desk):
    """One repair department per region: three reports a minute each, a crew reaching every one ``wait(t, region,
    n)`` minutes later (the arrival check: 10 minutes); ``slow``: regions whose crews then take five times their
    usual 70 minutes on site from 06:00 local."""

    def __init__(self, stage: ScopeStage, slow: tuple[str, ...] = ()) -> None:
        super().__init__(stage, REGIONS)
        self.slow = slow
        self.rng = random.Random(7)

    def sig(self, kind: str, t: float, region: str, oid: str, value: float = 0.0, value2: float = 0.0) -> None:
        check = "feedback" if kind in (S.OPEN, S.CROSS, S.CLOSE) else None
        self.out += self.stage.apply(ScopeSignal(kind, t, oid, "feedback", region, dept(region), "fault_repair",
                                                 "hotline", check=check, value=value, value2=value2))

    def minute(self, t: float, region: str) -> None:
        if self.rng.random() < 0.25:   # a crew on site every 4 minutes, 70 minutes of work (x5 if slow)
            hour = (t - T0) % 86400.0 / 3600.0
            job = f"J-{region}-{self.n}"
            self.sig(S.ONSITE, t, region, job)
            factor = 5.0 if region in self.slow and hour >= 6.0 else 1.0
            took = 70 * 60 * factor * self.rng.lognormvariate(0.0, 0.4)
            heapq.heappush(self.pending, (t + took, S.DONE, region, job, 0.0, 0.0))

    def alerted(self) -> set[str]:
        """Departments with a feedback_lag alert."""
        return {c.scope["department"] for c in self.out
                if c.kind == "feedback_lag" and c.tier and "department" in c.scope}


def slow_morning(regions: tuple[str, ...]):
    """One report in four waits 9 of its 10 minutes for a crew all day; from 09:00 to 10:00 local every report of
    ``regions`` does (a yellow lag alert if judged news)."""
    def wait(t: float, region: str, n: int) -> float:
        hour = (t - T0) % 86400.0 / 3600.0
        if region in regions and 9.0 <= hour < 10.0:
            return 9.0
        return 9.0 if n % 4 == 0 else 2.0
    return wait


def first_morning(s, peak: tuple[str, ...], slow: tuple[str, ...] = ()) -> Repair:
    r = Repair(ScopeStage(s), slow)
    r.run(T0, 11 * 60, slow_morning(peak))
    return r


def test_a_first_morning_peak_every_repair_desk_shares_is_not_news():
    assert first_morning(settings(("region",)), REGIONS).alerted() == {dept(r) for r in REGIONS}
    assert first_morning(settings(), REGIONS).alerted() == set()


def test_one_departments_own_first_morning_peak_still_alerts():
    assert first_morning(settings(), ("north",)).alerted() == {dept("north")}


def test_a_department_whose_crews_are_slow_on_site_is_judged_without_the_rise():
    r = first_morning(settings(), REGIONS, slow=("north",))
    work = r.stage.detectors.work
    assert work is not None and work.stat[dept("north")] >= 11.0   # the on-site test has seen it
    assert r.alerted() == {dept("north")}                            # the others' peak is the province's
    off = first_morning(settings(exempt=0.0), REGIONS, slow=("north",))
    assert off.alerted() == set()   # without the exemption the rise hides it (its own breach_forecast aside)


def test_a_risen_level_keeps_the_spread_of_a_count():
    """x f on the mean, x sqrt(f) on the spread: a department's noisy few orders do not make the rise hide it."""
    b = Baseline(alpha=0.1)
    for x in (0, 20, 5, 15, 10) * 10:
        b.learn(x)
    f = 2.0
    assert b.threshold(4.0, 8.0) < b.threshold_risen(4.0, 8.0, f) < f * b.threshold(4.0, 8.0)
    assert b.threshold_risen(4.0, 8.0, 1.0) == b.threshold(4.0, 8.0)
