"""The lag rule's cold start (``lag_province_rise``): before a scope's hour-of-day view has seen a morning, the rest of
the province's rise stands in for it — a first morning peak every region shares is not news, one region's own
peak still is, and the province's baseline survives a checkpoint."""
from __future__ import annotations

from streams.scope_stage import ScopeStage, scope_from_state, scope_state_dict
from tests.test_lag_hourly import DAY, T0, Desk
from yujing.config import load_config

REGIONS = ("north", "south", "east")


def settings(rise: str = "cold"):
    """The order-minutes-at-risk rule alone (as tests/test_lag_hourly.py), with the province's rise as given."""
    s = load_config(None)
    s.detectors.scope.lag_cusum_threshold = 0.0
    s.detectors.scope.lag_province_rise = rise
    return s


def slow_morning(regions: tuple[str, ...]):
    """One order in four waits 9 of its 10 minutes all day; from 09:00 to 10:00 local every order of ``regions``
    does (four times the order-minutes at risk, and 75 % reached: a yellow lag alert if judged news)."""
    def wait(t: float, region: str, n: int) -> float:
        hour = (t - T0) % DAY / 3600.0
        if region in regions and 9.0 <= hour < 10.0:
            return 9.0
        return 9.0 if n % 4 == 0 else 2.0
    return wait


def first_morning(rise: str, regions: tuple[str, ...]) -> Desk:
    p = Desk(ScopeStage(settings(rise)), REGIONS)
    p.run(T0, 11 * 60, slow_morning(regions))
    return p


def alerted(desks: Desk) -> set[str]:
    """Regions with a receive_lag alert."""
    return {c.scope["region"] for c in desks.lag_alerts(T0)}


def test_a_first_morning_peak_every_region_shares_is_not_news():
    assert alerted(first_morning("off", REGIONS)) == set(REGIONS)   # without the province: three alerts
    assert alerted(first_morning("cold", REGIONS)) == set()


def test_one_regions_own_first_morning_peak_still_alerts():
    assert alerted(first_morning("cold", ("north",))) == {"north"}


def test_the_provinces_baseline_survives_a_checkpoint():
    p = first_morning("cold", REGIONS)
    restored = scope_from_state(settings(), scope_state_dict(p.stage))
    a, b = p.stage.detectors.baselines, restored.detectors.baselines
    assert ("province_lag", "receive") in a
    assert (a[("province_lag", "receive")].mean, a[("province_lag", "receive")].n) == \
        (b[("province_lag", "receive")].mean, b[("province_lag", "receive")].n)


def second_afternoon_peak(regions: tuple[str, ...]):
    """As :func:`slow_morning` on day one (09:00-10:00 for every region); on day two also 14:00-15:00 in
    ``regions`` (a hot afternoon): an hour whose hour-of-day view only knows a calm day."""
    first = slow_morning(REGIONS)

    def wait(t: float, region: str, n: int) -> float:
        day, hour = divmod((t - T0) / 3600.0, 24.0)
        if day >= 1 and region in regions and 14.0 <= hour < 15.0:
            return 9.0
        return first(t, region, n)
    return wait


def second_day(rise: str, regions: tuple[str, ...]) -> tuple[Desk, float]:
    p = Desk(ScopeStage(settings(rise)), REGIONS)
    p.run(T0, 24 * 60, second_afternoon_peak(regions))
    day2 = T0 + DAY
    p.run(day2, 16 * 60, second_afternoon_peak(regions))
    return p, day2


def test_a_second_day_peak_every_region_shares_is_not_news_with_the_rise_always():
    p, day2 = second_day("cold", REGIONS)        # the hour-of-day view alone: 14-15 h was calm on day one
    assert {c.scope["region"] for c in p.lag_alerts(day2)} == set(REGIONS)
    p, day2 = second_day("always", REGIONS)
    assert {c.scope["region"] for c in p.lag_alerts(day2)} == set()


def test_one_regions_second_day_peak_still_alerts_with_the_rise_always():
    p, day2 = second_day("always", ("north",))
    assert {c.scope["region"] for c in p.lag_alerts(day2)} == {"north"}
