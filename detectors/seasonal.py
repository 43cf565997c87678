"""The usual value of a series at this time of day (or week): a profile of slots learned across periods."""
from __future__ import annotations

import math
from array import array


class SeasonalProfile:
    """Seasonal forecaster: the value usually seen in this slot of the period, plus the current offset.

    The period (a day, a week) is cut into slots about one sampling interval wide (chosen from the first
    intervals seen, between 1 minute and 1 hour). Each slot keeps an EWMA across periods (``slot_alpha``
    per visit); an offset (EWMA of the recent differences to the profile, ``offset_alpha`` per sample)
    carries today's level, so a busier-than-usual Monday is still predicted in shape. The forecaster only
    speaks (``residual`` not None) once a whole period has been seen and the slot has a value.
    Time is local: ``utc_offset_h`` shifts epoch seconds so slot 0 starts at local midnight (Monday 00:00
    for a weekly period, since the epoch began on a Thursday the shift adds 3 days).

    Examples
    --------
    >>> prof = SeasonalProfile(86400.0, utc_offset_h=0)
    >>> for i in range(2 * 288):                       # two days, every 5 minutes: busy 08:00-18:00
    ...     t = i * 300.0
    ...     _ = prof.learn_one(t, 100.0 if 8 <= (t % 86400) / 3600 < 18 else 10.0)
    >>> t = 2 * 86400 + 9 * 3600.0                     # day 3, 09:00: busy is normal
    >>> prof.residual(t, 100.0)
    0.0
    >>> prof.residual(t, 10.0)                         # a quiet morning is not
    -90.0

    Reference: Holt-Winters additive seasonality (Winters 1960, "Forecasting sales by exponentially
    weighted moving averages", Management Science 6(3)), with one seasonal state per time slot so that
    irregular timestamps and gaps need no re-indexing.
    """

    __slots__ = ("period", "utc_offset_h", "slot_alpha", "offset_alpha", "_shift", "_res", "_slots",
                 "_t0", "_last_t", "_dts", "offset")

    def __init__(self, period: float, utc_offset_h: float = 8.0, slot_alpha: float = 0.3,
                 offset_alpha: float = 0.2) -> None:
        self.period = period
        self.utc_offset_h = utc_offset_h
        self.slot_alpha = slot_alpha
        self.offset_alpha = offset_alpha
        self._shift = utc_offset_h * 3600.0 + (3 * 86400.0 if period % (7 * 86400.0) == 0 else 0.0)
        self._res = 0.0
        self._slots: array | None = None
        self._t0: float | None = None
        self._last_t: float | None = None
        self._dts: list[float] = []
        self.offset = 0.0

    def _slot(self, t: float) -> int:
        return int(((t + self._shift) % self.period) / self._res)

    def residual(self, t: float, x: float) -> float | None:
        """``x`` minus the forecast for ``t``, or None while the profile cannot forecast yet."""
        slots = self._slots
        if slots is None or t - self._t0 < self.period:  # type: ignore[operator]
            return None
        usual = slots[self._slot(t)]
        if usual != usual:  # NaN: slot never seen
            return None
        return x - usual - self.offset

    def learn_one(self, t: float, x: float, clip: float = math.inf) -> "SeasonalProfile":
        """Learn ``x`` at ``t``; a change of a slot is limited to ``clip`` so an anomalous day does not
        become the new normal at once."""
        if self._t0 is None:
            self._t0 = t
        if self._slots is None:
            if self._last_t is not None and t > self._last_t:
                self._dts.append(t - self._last_t)
            self._last_t = t
            if len(self._dts) < 5:
                return self
            dt = sorted(self._dts)[2]
            n = max(1, round(self.period / min(max(dt, 60.0), 3600.0)))
            self._res = self.period / n
            self._slots = array("d", [math.nan]) * n
        k = self._slot(t)
        usual = self._slots[k]
        if usual != usual:
            self._slots[k] = x
        else:
            self.offset += self.offset_alpha * (x - usual - self.offset)
            d = x - usual
            d = clip if d > clip else (-clip if d < -clip else d)
            self._slots[k] = usual + self.slot_alpha * d
        return self
