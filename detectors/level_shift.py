"""A level the series has not lived at: the recent mean, measured against the long-run distribution of values."""
from __future__ import annotations

import math
from collections import deque


class LevelShift:
    """Raw surprise of the last ``window`` values as a group: ``|recent mean - long mean| / long std``.

    A one-step forecaster follows a slow climb or a sustained drop and forgives each step of it; this
    scorer does not: it asks whether the series now sits where it has rarely been over the last few
    thousand samples (long mean and variance are EWMAs with ``halflife`` samples). Averaging ``window``
    values also makes a burst of small spikes (a denser cluster than usual) stand out where no single
    spike does. It complements the forecast residual of :class:`~detectors.anomaly.SeriesAnomalyDetector`
    and is calibrated the same way. The first ``warmup`` samples score 0. O(window) memory.

    Examples
    --------
    Noise around 10 (sd 1); from sample 1500 the series settles 4 units higher:

    >>> import random
    >>> rng = random.Random(2)
    >>> shift = LevelShift()
    >>> z = [shift.update(10 + rng.gauss(0, 1) + (4 if i >= 1500 else 0)) for i in range(1600)]
    >>> round(max(z[:1500]), 1), round(z[1519], 1)   # usual life vs. 20 samples into the new level
    (0.8, 3.6)

    Reference: the windowed-Gaussian and relative-entropy detectors of NAB (Lavin & Ahmad 2015,
    "Evaluating real-time anomaly detection algorithms - the Numenta Anomaly Benchmark"; Wang et al. 2011,
    "Statistical techniques for online anomaly detection in data centers"): a recent window judged
    against the long-run distribution of values.
    """

    __slots__ = ("window", "halflife", "warmup", "_a", "_recent", "mean", "var", "n")

    def __init__(self, window: int = 20, halflife: float = 4000.0, warmup: int = 100) -> None:
        self.window = window
        self.halflife = halflife
        self.warmup = warmup
        self._a = 1.0 - math.exp(-math.log(2.0) / halflife)
        self._recent: deque[float] = deque(maxlen=window)
        self.mean = 0.0
        self.var = 0.0
        self.n = 0

    def score_one(self, x: float) -> float:
        """Surprise of the recent window ending with ``x`` (does not learn)."""
        if self.n < self.warmup:
            return 0.0
        recent = self._recent
        k = min(len(recent) + 1, self.window)
        total = x + sum(recent) - (recent[0] if len(recent) == self.window else 0.0)
        sd = math.sqrt(self.var) + 1e-9 * (abs(self.mean) + 1.0)
        return abs(total / k - self.mean) / sd

    def learn_one(self, x: float) -> "LevelShift":
        self._recent.append(x)
        self.n += 1
        if self.n == 1:
            self.mean = x
            return self
        a = max(self._a, 1.0 / self.n)
        d = x - self.mean
        self.mean += a * d
        self.var = (1.0 - a) * (self.var + a * d * d)
        return self

    def update(self, x: float) -> float:
        """Score ``x`` with the recent window, then learn it (``score_one`` then ``learn_one``, the same
        arithmetic in one call: the scope detectors call this three times per region every minute)."""
        n = self.n
        recent = self._recent
        mean = self.mean
        if n < self.warmup:
            z = 0.0
        else:
            window = self.window
            full = len(recent) == window
            k = window if full else len(recent) + 1
            total = x + sum(recent) - (recent[0] if full else 0.0)
            sd = math.sqrt(self.var) + 1e-9 * (abs(mean) + 1.0)
            z = abs(total / k - mean) / sd
        recent.append(x)
        n = self.n = n + 1
        if n == 1:
            self.mean = x
            return z
        a = 1.0 / n
        if self._a >= a:   # max(self._a, 1 / n)
            a = self._a
        d = x - mean
        self.mean = mean + a * d
        self.var = (1.0 - a) * (self.var + a * d * d)
        return z
