"""Incremental anomaly score for one metric series (arrivals per minute, backlog, lag, overdue share, ...).

The live monitor keeps one :class:`SeriesAnomalyDetector` per (metric, scope) and calls ``update(t, x)``
once per minute of event time; ``yujing detect-series`` runs the very same class over a CSV
(:func:`detect_series_cli`), which is how it is measured on NAB (``bench/bench_nab.py``).
"""
from __future__ import annotations

import csv
import math
import sys
from datetime import datetime, timezone
from typing import TextIO

from detectors.calibration import SurpriseCalibration
from detectors.level_shift import LevelShift
from detectors.seasonal import SeasonalProfile

_LN2 = math.log(2.0)


def _alpha(halflife: float) -> float:
    """EWMA weight of a new sample for a half-life counted in samples."""
    return 1.0 - math.exp(-_LN2 / halflife)


class SeriesAnomalyDetector:
    """Anomaly score in [0, 1] for each new point of a metric series, learned online, seasonal-aware.

    Three forecasters compete; the one with the smallest recent absolute error explains the series:

    * **level**: an EWMA of the recent values (what a spike or a sudden step departs from);
    * **daily** and **weekly** profiles (:class:`~detectors.seasonal.SeasonalProfile`): the usual value at
      this time of day / week plus the current offset from it, so a Monday-morning peak that happens every
      Monday is predicted rather than flagged, and a missing peak is flagged.

    The *point surprise* is the winner's absolute error over its own robust error scale (EWMA of winsorised
    absolute errors, widened after a gap in time, so a missing hour does not look like a jump).

    A second, complementary raw scorer, :class:`~detectors.level_shift.LevelShift`, asks whether the mean of
    the last ``shift_window`` values sits where the series has rarely been (in long-run standard deviations):
    it catches what a one-step forecaster forgives step by step (a slow climb out of the usual range, a
    sustained drop, a denser burst of small spikes).

    Each raw surprise is calibrated against its own history (:class:`~detectors.calibration.SurpriseCalibration`):
    ``s / (s + max(record, floor))`` with ``record`` the decayed maximum of its past surprises
    (``calib_halflife`` samples), floors ``min_surprise`` error scales and ``shift_floor`` standard deviations;
    after a score >= 0.5 that scorer is damped for ``quiet`` samples (one incident, one high score; the alert
    pipeline keeps the incident open). The score is the larger of the two.

    Parameters: ``level_halflife``, ``scale_halflife``, ``calib_halflife``, ``shift_window``,
    ``shift_halflife`` and ``quiet`` in samples; ``warmup`` samples score 0; ``utc_offset_h`` places the
    day/week boundaries (profiles are local time).

    Examples
    --------
    A noisy daily pattern sampled every 5 minutes, with one spike at index 2500:

    >>> import math, random
    >>> rng = random.Random(7)
    >>> det = SeriesAnomalyDetector(utc_offset_h=0)
    >>> scores = []
    >>> for i in range(3000):
    ...     t = i * 300.0
    ...     x = 10 + 5 * math.sin(2 * math.pi * t / 86400) + rng.gauss(0, 0.5) + (8 if i == 2500 else 0)
    ...     scores.append(det.update(t, x))
    >>> max(range(3000), key=scores.__getitem__)
    2500
    >>> sum(s > 0.5 for s in scores[:2500])    # no alarm before it
    0

    Noise around 10 (sd 1), one sample a minute; from index 2000 a slow climb of 0.02 a sample (one noise sd
    every 50 samples), which a one-step forecaster forgives step by step. The level-shift scorer flags it
    once the recent mean leaves the usual range, then once per ``quiet`` period while it keeps climbing:

    >>> rng = random.Random(7)
    >>> det = SeriesAnomalyDetector(utc_offset_h=0)
    >>> scores = [det.update(i * 60.0, 10 + rng.gauss(0, 1) + (0.02 * (i - 2000) if i > 2000 else 0))
    ...           for i in range(3000)]
    >>> [i for i, s in enumerate(scores) if s >= 0.5]
    [2214, 2574, 2887]

    References: Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, ch. 8 (exponential
    smoothing, seasonal models; forecaster choice by recent error); Ahmad et al. 2017, "Unsupervised
    real-time anomaly detection for streaming data", Neurocomputing 262 (judging a raw score against the
    series' own history of scores, one threshold for all series); Lavin & Ahmad 2015, "Evaluating real-time
    anomaly detection algorithms - the Numenta Anomaly Benchmark" (the measure used in bench/).
    """

    def __init__(self, level_halflife: float = 2.0, scale_halflife: float = 200.0,
                 calib_halflife: float = 1000.0, min_surprise: float = 8.0, warmup: int = 30,
                 quiet: int = 300, shift_window: int = 20, shift_halflife: float = 4000.0,
                 shift_floor: float = 3.0, utc_offset_h: float = 8.0) -> None:
        self.level_halflife = level_halflife
        self.scale_halflife = scale_halflife
        self.calib_halflife = calib_halflife
        self.min_surprise = min_surprise
        self.warmup = warmup
        self.quiet = quiet
        self.utc_offset_h = utc_offset_h
        self._a_level = _alpha(level_halflife)
        self._a_scale = _alpha(scale_halflife)
        self.point_calibration = SurpriseCalibration(calib_halflife, min_surprise, warmup, quiet)
        self.shift = LevelShift(shift_window, shift_halflife, warmup=max(warmup, 100))
        self.shift_calibration = SurpriseCalibration(calib_halflife, shift_floor, warmup, quiet)
        self.daily = SeasonalProfile(86400.0, utc_offset_h)
        self.weekly = SeasonalProfile(7 * 86400.0, utc_offset_h)
        self.n = 0
        self.last_t: float | None = None
        self.dt = 0.0          # typical sampling interval (EWMA of clipped intervals)
        self.level = 0.0
        self.err = [0.0, 0.0, 0.0]   # robust error scale of level, daily, weekly forecasters
        self.n_err = [0, 0, 0]
        self.mag = 0.0         # EWMA of |x|: floor for the error scale on flat series
        self._cache: tuple[float, float, list[float | None]] | None = None  # residuals of the pending point

    # -- the three forecasters ------------------------------------------------------------------------
    def _residuals(self, t: float, x: float) -> list[float | None]:
        cached = self._cache
        if cached is not None and cached[0] == t and cached[1] == x:
            return cached[2]
        res = [x - self.level, self.daily.residual(t, x), self.weekly.residual(t, x)]
        self._cache = (t, x, res)
        return res

    def _surprise(self, t: float, x: float) -> float:
        """Absolute error of the best forecaster over its error scale (0 while warming up)."""
        if self.n < self.warmup:
            return 0.0
        gap = (t - self.last_t) / self.dt if self.dt > 0 else 1.0
        res = self._residuals(t, x)
        best = 0
        for k in (1, 2):
            if res[k] is not None and self.n_err[k] > self.warmup and self.err[k] < self.err[best]:
                best = k
        floor = 1e-3 * self.mag + 1e-9
        scale = max(self.err[best], floor)
        if gap > 1.5:
            scale *= min(math.sqrt(gap), 10.0) if best == 0 else min(math.sqrt(gap), 2.0)
        return abs(res[best]) / scale  # type: ignore[arg-type]

    # -- river verbs ----------------------------------------------------------------------------------
    def score_one(self, t: float, x: float) -> float:
        """Score of ``x`` at ``t`` given the past only (does not learn)."""
        return max(self.point_calibration.score_one(self._surprise(t, x)),
                   self.shift_calibration.score_one(self.shift.score_one(x)))

    def learn_one(self, t: float, x: float) -> "SeriesAnomalyDetector":
        """Learn ``x`` at ``t``: both scorers and their calibrations."""
        s = self._surprise(t, x)
        self.point_calibration.learn_one(s, self.point_calibration.score_one(s))
        z = self.shift.score_one(x)
        self.shift_calibration.learn_one(z, self.shift_calibration.score_one(z))
        self.shift.learn_one(x)
        return self._learn_forecasters(t, x)

    def _learn_forecasters(self, t: float, x: float) -> "SeriesAnomalyDetector":
        """Forecasters, error scales and the sampling interval."""
        if self.last_t is None:
            self.level = x
            self.mag = abs(x)
        else:
            dt = t - self.last_t
            if dt > 0:
                self.dt = dt if self.dt == 0 else self.dt + 0.05 * (min(dt, 3 * self.dt) - self.dt)
            res = self._residuals(t, x)
            floor = 1e-3 * self.mag + 1e-9
            err, n_err, warmup, a_scale = self.err, self.n_err, self.warmup, self._a_scale
            for k in (0, 1, 2):
                r = res[k]
                if r is None:
                    continue
                n = n_err[k] = n_err[k] + 1
                a = 1.0 / n
                if a_scale >= a:   # a = max(a_scale, 1/n), min() below likewise: no calls in this hot loop
                    a = a_scale
                e = abs(r)
                ek = err[k]
                if n > warmup:
                    cap = 4.0 * ek + floor
                    if cap < e:
                        e = cap
                err[k] = ek + a * (e - ek)
            self.level += self._a_level * (x - self.level)
            self.mag += a * (abs(x) - self.mag)
        floor = 1e-3 * self.mag + 1e-9
        self.daily.learn_one(t, x, 4.0 * self.err[1] + floor if self.n_err[1] > self.warmup else math.inf)
        self.weekly.learn_one(t, x, 4.0 * self.err[2] + floor if self.n_err[2] > self.warmup else math.inf)
        self.last_t = t
        self.n += 1
        self._cache = None
        return self

    def update(self, t: float, x: float) -> float:
        """Score ``x`` at ``t`` against the past, then learn it; the usual call.

        The same arithmetic as ``score_one`` then ``learn_one``, in one pass: the forecasters' residuals are
        computed once for the surprise and the learning (the scope detectors call this three times per region
        every minute)."""
        last_t = self.last_t
        res = None
        if self.n >= self.warmup or last_t is not None:
            res = [x - self.level, self.daily.residual(t, x), self.weekly.residual(t, x)]
        # the point surprise (see _surprise)
        if self.n < self.warmup:
            surprise = 0.0
        else:
            gap = (t - last_t) / self.dt if self.dt > 0 else 1.0  # type: ignore[operator]
            err, n_err, warmup = self.err, self.n_err, self.warmup
            best = 0
            if res[1] is not None and n_err[1] > warmup and err[1] < err[0]:  # type: ignore[index]
                best = 1
            if res[2] is not None and n_err[2] > warmup and err[2] < err[best]:  # type: ignore[index]
                best = 2
            floor = 1e-3 * self.mag + 1e-9
            scale = max(err[best], floor)
            if gap > 1.5:
                scale *= min(math.sqrt(gap), 10.0) if best == 0 else min(math.sqrt(gap), 2.0)
            surprise = abs(res[best]) / scale  # type: ignore[index, arg-type]
        point = self.point_calibration.update(surprise)
        level = self.shift_calibration.update(self.shift.update(x))
        if res is not None:
            self._cache = (t, x, res)
        self._learn_forecasters(t, x)
        return max(point, level)


# -- the contract command ---------------------------------------------------------------------------
def parse_timestamp(text: str) -> tuple[float, float | None]:
    """Epoch seconds and the UTC offset in hours if the text carries one (naive text is read as UTC).

    >>> parse_timestamp("2014-04-01 00:00:00")
    (1396310400.0, None)
    >>> parse_timestamp("2026-07-14T09:32:40+08:00")
    (1783992760.0, 8.0)
    >>> parse_timestamp("1783992760")
    (1783992760.0, None)
    """
    s = text.strip()
    try:
        return float(s), None
    except ValueError:
        pass
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc).timestamp(), None
    off = dt.utcoffset()
    return dt.timestamp(), (off.total_seconds() / 3600.0 if off is not None else None)


def detect_series_cli(path_or_dash: str, out: TextIO) -> None:
    """``yujing detect-series``: CSV ``timestamp,value`` in, ``timestamp,value,anomaly_score`` out.

    Scores are written as rows are read (row i depends on rows <= i only). Naive timestamps are local wall
    time; a timestamp with an offset sets the local time of the day/week profiles.
    """
    src = sys.stdin if path_or_dash == "-" else open(path_or_dash, newline="", encoding="utf-8")
    try:
        reader = csv.reader(src)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["timestamp", "value"]:
            raise ValueError(f"line 1: expected header 'timestamp,value', got {','.join(header or [])!r}")
        out.write("timestamp,value,anomaly_score\n")
        det: SeriesAnomalyDetector | None = None
        for lineno, row in enumerate(reader, start=2):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) < 2:
                raise ValueError(f"line {lineno}: expected 2 fields timestamp,value, got {len(row)}")
            ts_text, val_text = row[0], row[1]
            try:
                t, offset = parse_timestamp(ts_text)
            except ValueError:
                raise ValueError(f"line {lineno}: unparsable timestamp {ts_text!r}") from None
            try:
                x = float(val_text)
            except ValueError:
                raise ValueError(f"line {lineno}: non-numeric value {val_text!r}") from None
            if not math.isfinite(x):
                raise ValueError(f"line {lineno}: non-finite value {val_text!r}")
            if det is None:
                det = SeriesAnomalyDetector(utc_offset_h=offset or 0.0)
            score = det.update(t, x)
            out.write(f"{ts_text},{val_text},{score:.6f}\n")
    finally:
        if src is not sys.stdin:
            src.close()
