"""The lag rule's baseline learns an incident in progress with bounded influence (``Baseline.learn_bounded``): a
long incident does not teach it that the incident is normal, so the alert stays on to the end and a second
incident of the same size in the same scope is still news, while a level that persists for days is learned.
Learned capped at the threshold instead, the spread grew by e^(3 alpha t) (x9.5 in three hours). Pressure the
rule does not call an incident (no alert on) is winsorised at the bar as before."""
from __future__ import annotations

import pytest

from detectors.baseline import Baseline
from streams.scope_stage import ScopeStage
from tests.test_lag_hourly import DAY, T0, Desk, settings

KEY = ("lag", "region", "north", "receive")
STEP = T0 + DAY + 10 * 3600   # 10:00 local on the second day (the hour-of-day baselines judge from then on)
SECOND = STEP + 8 * 3600      # 18:00 local


def calm_baseline() -> Baseline:
    """A baseline that has learned a figure alternating 5 and 9 (mean 7, deviation 2)."""
    b = Baseline()
    for i in range(2000):
        b.learn(5.0 if i % 2 else 9.0)
    return b


def test_three_hours_of_an_incident_barely_move_the_threshold():
    b = calm_baseline()
    before = b.threshold(4.0, 8.0)                     # 7 + 4 x 2 + sqrt(7) = 17.6
    for _ in range(180):
        b.learn_bounded(100.0, 4.0, 8.0)
    assert before == pytest.approx(17.6, abs=0.1)
    # each minute moved the mean by alpha of a spread unit (2 + sqrt(7) / 4 at first): 7 -> 9.2, 2 -> 2.5
    assert b.mean == pytest.approx(9.2, abs=0.1) and b.dev == pytest.approx(2.5, abs=0.1)
    assert b.threshold(4.0, 8.0) < 1.3 * before        # 22.4
    old = calm_baseline()                              # the old rule: learned at its threshold
    for _ in range(180):
        old.learn(min(100.0, old.threshold(4.0, 8.0)))
    assert old.threshold(4.0, 8.0) > 7 * before        # 141: 7 -> 37, 2 -> 25


def test_a_level_that_persists_is_learned_within_two_days():
    b = calm_baseline()
    minutes = 0
    while b.threshold(4.0, 8.0) <= 70.0:               # ten times the old level
        b.learn_bounded(70.0, 4.0, 8.0)
        minutes += 1
    assert 12 * 60 < minutes < 2 * 24 * 60             # 20.6 hours
    for _ in range(24 * 60):                           # below its threshold now: learned as it is
        b.learn(70.0)
    assert b.mean == pytest.approx(70.0, abs=1.0)


def test_the_band_of_an_empty_baseline_is_a_share_of_the_floor():
    b = Baseline()
    b.learn(0.0)
    assert b.band(4.0, 8.0) == 2.0                     # a scope that never had an order at risk still moves


def steps(*starts: float, hours: float = 3.0, minutes: float = 9.0):
    """Every 4th call waits 6 of its 10 minutes (a little risk), the rest 2; for ``hours`` from each of
    ``starts`` every call waits ``minutes`` (9: 90 % of the deadline)."""
    def wait(t: float, _region: str, n: int) -> float:
        if any(s <= t < s + hours * 3600 for s in starts):
            return minutes
        return 6.0 if n % 4 == 0 else 2.0
    return wait


def spans(desk: Desk) -> list[tuple[float, float]]:
    """(fired, resolved) of the receive lag alerts, in hours after ``STEP``."""
    out, on = [], None
    for c in desk.out:
        if c.kind != "receive_lag":
            continue
        if c.tier and on is None:
            on = (c.ts - STEP) / 3600
        elif c.tier is None and on is not None:
            out.append((round(on, 2), round((c.ts - STEP) / 3600, 2)))
            on = None
    return out + ([(round(on, 2), float("inf"))] if on is not None else [])


@pytest.mark.parametrize("hourly", [False, True])
def test_a_long_incident_stays_on_and_a_second_one_is_news(hourly):
    desk = Desk(ScopeStage(settings(hourly)))
    wait = steps(STEP, SECOND)
    desk.run(T0, int((STEP - T0) // 60), wait)
    b = desk.stage.detectors.baselines[KEY]
    before = b.mean
    desk.run(STEP, int((SECOND - STEP) // 60), wait)
    assert b.mean < 1.3 * before                       # three hours at 16 x the usual level were not learned
    desk.run(SECOND, 6 * 60, wait)
    # both alerts fire within a quarter of an hour and stay on to the end of their step (+ clear_minutes).
    # Learned at the threshold: with the hours of the day the first cleared after 40 minutes and the second was
    # missed; without, the second cleared after one hour of its three
    (on1, off1), (on2, off2) = spans(desk)
    assert on1 < 0.25 and 3.0 < off1 < 3.6
    assert 8.0 < on2 < 8.25 and 11.0 < off2 < 11.6


def test_a_level_that_persists_for_days_stops_alerting():
    desk = Desk(ScopeStage(settings()))
    wait = steps(STEP, hours=10 * 24)                  # from the second morning on, every call waits 9 minutes
    desk.run(T0, 5 * 24 * 60, wait)
    (on, off), = spans(desk)
    assert on < 0.25 and 12 < off < 48                 # learned in a day and a half (the old rule: 1.6 h)
    assert desk.stage.detectors.baselines[KEY].mean > 100


def test_pressure_that_is_no_incident_is_learned_as_before():
    """Every call waits 6.5 of its 10 minutes from the second morning on: past half its deadline, none past 75 %
    (blue pressure, below ``lag_min_tier``): no alert, and the bar, winsorised at itself as before, is above the
    new level within the hour (the bounded update is for the minutes of an alert)."""
    desk = Desk(ScopeStage(settings()))
    desk.run(T0, int((STEP + 3600 - T0) // 60), steps(STEP, hours=10 * 24, minutes=6.5))
    b = desk.stage.detectors.baselines[KEY]
    assert spans(desk) == [] and b.threshold(4.0, 8.0) > 50.0          # the level: about 45 order-minutes
