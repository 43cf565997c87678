"""The hour-of-day baseline of the lag rule (``lag_hourly``) does not learn an incident in progress: each minute
above the threshold learned at the threshold made the bar rise under the incident (about +0.6 order-minutes a
minute on public-2's understaffed east desk, 8 -> 15 in 25 minutes)."""
from __future__ import annotations

from streams.scope_stage import ScopeStage
from tests.test_lag_hourly import DAY, T0, Desk, settings

INCIDENT = T0 + 2 * DAY + 9 * 3600


def slow_third_morning(t: float, *_) -> float:
    """Calls wait 2 minutes; for an hour on the third day they wait 9 (90 % of the deadline)."""
    return 9.0 if INCIDENT <= t < INCIDENT + 3600 else 2.0


def test_the_hour_does_not_learn_the_incident():
    desk = Desk(ScopeStage(settings()))
    desk.run(T0, int((INCIDENT - T0) // 60), slow_third_morning)
    hours = desk.stage.detectors.hourly[("lag", "region", "north", "receive")]
    hour = int((INCIDENT + 8 * 3600) % DAY // 3600)   # the local hour of the day the incident falls in
    before = hours[hour][0].mean
    desk.run(INCIDENT, 60, slow_third_morning)
    assert hours[hour][0].n > 0 and abs(hours[hour][0].mean - before) < 0.5


def test_the_hour_still_learns_calm_minutes():
    """Calls that use 60 % of their deadline all day, every day: a steady pressure below the threshold is learned."""
    desk = Desk(ScopeStage(settings()))
    desk.run(T0, 3 * 24 * 60, lambda *_: 6.0)
    hours = desk.stage.detectors.hourly[("lag", "region", "north", "receive")]
    hour = int((T0 + 2 * DAY + 9 * 3600 + 8 * 3600) % DAY // 3600)
    assert hours[hour][0].mean > 1.0
