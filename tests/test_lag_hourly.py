"""The lag detector remembers the hours of the day: a desk pressed like this every morning is not news the second
morning, and a morning worse than usual still is."""
from __future__ import annotations

import heapq

from streams import signals as S
from streams.scope_stage import ScopeStage, scope_from_state, scope_state_dict
from streams.signals import ScopeSignal
from yujing.config import load_config

DAY = 86400.0
T0 = 1_784_044_800.0 - 8 * 3600   # a local (+08:00) midnight
SPAN = 10 * 60.0                  # a 10-minute receive deadline


class Desk:
    """Regions' receive desks (one, ``north``, unless told): three orders a minute each, every one waiting
    ``wait(t, region, n)`` minutes to be taken (``n``: the order's number)."""

    def __init__(self, stage: ScopeStage, regions: tuple[str, ...] = ("north",)) -> None:
        self.stage, self.regions, self.n, self.pending, self.out = stage, regions, 0, [], []

    def sig(self, kind: str, t: float, region: str, oid: str, value: float, value2: float) -> None:
        self.out += self.stage.apply(ScopeSignal(kind, t, oid, "receive", region, None, "consultation", "hotline",
                                                 check="receive_ack", value=value, value2=value2))

    def run(self, start: float, minutes: int, wait) -> None:
        for m in range(minutes):
            t = start + m * 60.0
            while self.pending and self.pending[0][0] <= t:
                _, kind, region, oid, v, v2 = heapq.heappop(self.pending)
                self.sig(kind, t, region, oid, v, v2)
            for region in self.regions:
                for _ in range(3):
                    self.n += 1
                    oid, w = f"WO-{self.n}", wait(t, region, self.n) * 60.0
                    self.sig(S.OPEN, t, region, oid, t + SPAN, t)
                    for level in (0.5, 0.75, 0.9, 1.0):
                        if w > level * SPAN:
                            heapq.heappush(self.pending, (t + level * SPAN, S.CROSS, region, oid, level, SPAN))
                    top = max([lv for lv in (0.5, 0.75, 0.9, 1.0) if w > lv * SPAN], default=0.0)
                    heapq.heappush(self.pending, (t + w, S.CLOSE, region, oid, top, SPAN))
                self.minute(t, region)
            self.out += self.stage.advance(t)

    def minute(self, t: float, region: str) -> None:
        """What else happens in ``region`` in the minute at ``t`` (a subclass's crews on site)."""

    def lag_alerts(self, since: float) -> list:
        return [c for c in self.out if c.kind == "receive_lag" and c.tier and c.ts >= since]


def morning(extra: float = 0.0):
    """Orders wait 2 minutes; from 09:00 to 10:00 local they wait 9 (+ ``extra``): 90 % of the deadline."""
    def wait(t: float, *_) -> float:
        hour = (t - T0) % DAY / 3600.0
        return 9.0 + extra if 9.0 <= hour < 10.0 else 2.0
    return wait


def settings(hourly: bool = True):
    """The order-minutes-at-risk rule alone (the sequential lag test, which compares a region with the rest of
    the province, has no rest of the province here)."""
    s = load_config(None)
    s.detectors.scope.lag_cusum_threshold = 0.0
    s.detectors.scope.lag_hourly = hourly
    return s


def test_a_daily_morning_peak_alerts_the_first_day_only():
    desk = Desk(ScopeStage(settings()))
    desk.run(T0, 24 * 60, morning())
    assert desk.lag_alerts(T0 + 9 * 3600)                              # day one: no history, the peak is news
    day2 = T0 + DAY
    desk.run(day2, 24 * 60, morning())
    assert desk.lag_alerts(day2) == []                                  # day two: the same hour brought as much
    day3 = T0 + 2 * DAY
    desk.run(day3, 12 * 60, morning(extra=3.0))                         # day three: they wait 12 minutes
    assert desk.lag_alerts(day3)


def test_without_the_hours_every_morning_alerts():
    desk = Desk(ScopeStage(settings(hourly=False)))
    desk.run(T0, 48 * 60, morning())
    assert desk.lag_alerts(T0 + DAY + 9 * 3600)


def test_the_hours_survive_a_checkpoint():
    desk = Desk(ScopeStage(settings()))
    desk.run(T0, 24 * 60, morning())
    restored = scope_from_state(settings(), scope_state_dict(desk.stage))
    a, b = desk.stage.detectors.hourly, restored.detectors.hourly
    assert a.keys() == b.keys() and a
    for k in a:
        assert [None if h is None else (h[0].mean, h[0].dev, h[0].n, h[1]) for h in a[k]] == \
            [None if h is None else (h[0].mean, h[0].dev, h[0].n, h[1]) for h in b[k]]
