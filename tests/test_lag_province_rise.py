"""The lag rule's cold start (``lag_province_rise``): before a scope's hour-of-day view has seen a morning, the rest of
the province's rise stands in for it — a first morning peak every region shares is not news, one region's own
peak still is, and the province's baseline survives a checkpoint."""
from __future__ import annotations

from streams import signals as S
from streams.scope_stage import ScopeStage, scope_from_state, scope_state_dict
from streams.signals import ScopeSignal
from tests.test_lag_hourly import DAY, SPAN, T0
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
    def wait(region: str, t: float, n: int) -> float:
        hour = (t - T0) % DAY / 3600.0
        if region in regions and 9.0 <= hour < 10.0:
            return 9.0
        return 9.0 if n % 4 == 0 else 2.0
    return wait


class Province:
    """Three regions' receive desks; three orders a minute each, waiting ``wait(region, t, n)`` minutes."""

    def __init__(self, stage: ScopeStage) -> None:
        self.stage, self.n, self.pending, self.out = stage, 0, [], []

    def sig(self, kind: str, t: float, region: str, oid: str, value: float, value2: float) -> None:
        self.out += self.stage.apply(ScopeSignal(kind, t, oid, "receive", region, None, "consultation", "hotline",
                                                 check="receive_ack", value=value, value2=value2))

    def run(self, start: float, minutes: int, wait) -> None:
        for m in range(minutes):
            t = start + m * 60.0
            due = [p for p in self.pending if p[0] <= t]
            self.pending = [p for p in self.pending if p[0] > t]
            for _, kind, region, oid, v, v2 in sorted(due):
                self.sig(kind, t, region, oid, v, v2)
            for region in REGIONS:
                for _ in range(3):
                    self.n += 1
                    oid, w = f"WO-{self.n}", wait(region, t, self.n) * 60.0
                    self.sig(S.OPEN, t, region, oid, t + SPAN, t)
                    for level in (0.5, 0.75, 0.9, 1.0):
                        if w > level * SPAN:
                            self.pending.append((t + level * SPAN, S.CROSS, region, oid, level, SPAN))
                    top = max([lv for lv in (0.5, 0.75, 0.9, 1.0) if w > lv * SPAN], default=0.0)
                    self.pending.append((t + w, S.CLOSE, region, oid, top, SPAN))
            self.out += self.stage.advance(t)

    def lag_alerts(self) -> set[str]:
        return {c.scope["region"] for c in self.out if c.kind == "receive_lag" and c.tier}


def first_morning(rise: str, regions: tuple[str, ...]) -> Province:
    p = Province(ScopeStage(settings(rise)))
    p.run(T0, 11 * 60, slow_morning(regions))
    return p


def test_a_first_morning_peak_every_region_shares_is_not_news():
    assert first_morning("off", REGIONS).lag_alerts() == set(REGIONS)   # without the province: three alerts
    assert first_morning("cold", REGIONS).lag_alerts() == set()


def test_one_regions_own_first_morning_peak_still_alerts():
    assert first_morning("cold", ("north",)).lag_alerts() == {"north"}


def test_the_provinces_baseline_survives_a_checkpoint():
    p = first_morning("cold", REGIONS)
    restored = scope_from_state(settings(), scope_state_dict(p.stage))
    a, b = p.stage.detectors.baselines, restored.detectors.baselines
    assert ("province_lag", "receive") in a
    assert (a[("province_lag", "receive")].mean, a[("province_lag", "receive")].n) == \
        (b[("province_lag", "receive")].mean, b[("province_lag", "receive")].n)
