"""What is normal for one figure of one scope: an exponentially weighted mean and deviation, learned while the
scope is calm (and with bounded influence while its alert is on), and the thresholds drawn from it."""
from __future__ import annotations

import math

class Baseline:
    """Exponentially weighted mean and mean absolute deviation of one figure (learned while calm).

    >>> b = Baseline(alpha=0.5)
    >>> for x in (2, 2, 2, 2): b.learn(x)
    >>> b.mean, round(b.threshold(z=3, floor=1), 2)   # mean + 3 deviations + Poisson sqrt(mean)
    (2.0, 3.41)
    """

    __slots__ = ("mean", "dev", "n", "alpha")

    def __init__(self, alpha: float = 1 / 240) -> None:
        self.mean = 0.0
        self.dev = 0.0
        self.n = 0
        self.alpha = alpha

    # max() written out (``b if b > a else a`` is exactly max(a, b)): both run twice per lag key and minute
    def learn(self, x: float) -> None:
        n = self.n = self.n + 1
        if n == 1:
            self.mean = float(x)
            return
        inv, a = 1.0 / n, self.alpha
        a = inv if inv > a else a
        mean = self.mean
        self.dev += a * (abs(x - mean) - self.dev)
        self.mean = mean + a * (x - mean)

    def threshold(self, z: float, floor: float) -> float:
        mean = self.mean
        v = mean + z * self.dev + math.sqrt(0.0 if 0.0 > mean else mean)
        return v if v > floor else floor

    def threshold_risen(self, z: float, floor: float, f: float) -> float:
        """The threshold of a figure whose normal level has risen ``f`` times: the mean × f and the spread
        (deviation and Poisson term) × sqrt(f), as a count's whose rate rose (a busier hour is as noisy as a count
        of that size, not ``f`` times noisier).

        >>> b = Baseline(alpha=0.5)
        >>> for x in (4, 4, 4, 4): b.learn(x)
        >>> b.threshold(3, 1), b.threshold_risen(3, 1, 4.0), 4 * b.threshold(3, 1)
        (6.0, 20.0, 24.0)
        """
        mean = self.mean if self.mean > 0.0 else 0.0
        v = f * mean + math.sqrt(f) * (z * self.dev + math.sqrt(mean))
        return v if v > floor else floor

    def band(self, z: float, floor: float) -> float:
        """The baseline's upper band: one unit of its threshold's spread above the mean, ``mean + (threshold(z,
        floor) - mean) / z`` (a deviation plus its share of the Poisson term, or of the floor's margin).

        >>> b = Baseline(alpha=0.5)
        >>> for x in (4, 4, 4, 4): b.learn(x)
        >>> b.threshold(4, 1), b.band(4, 1)
        (6.0, 4.5)
        """
        mean = self.mean
        return mean + (self.threshold(z, floor) - mean) / z

    def learn_bounded(self, x: float, z: float, floor: float) -> None:
        """Learn ``x`` capped at the :meth:`band` (bounded influence, Huber-style): how a minute of an incident is
        learned. Each such minute moves the mean by at most ``alpha`` of one spread unit and the deviation only by
        ``alpha`` of the Poisson term's share: a long incident raises the threshold linearly and slowly, and a
        level that persists for days is still learned. Capped at the threshold instead (``z`` units), the
        deviation grew by ``(z - 1) alpha`` of itself a minute, ``e^(3 alpha t)`` at z = 4: ×9.5 in 3 h.

        >>> b = Baseline(alpha=0.5)
        >>> for x in (4, 4, 4, 4): b.learn(x)
        >>> b.learn_bounded(100.0, 4, 1); b.mean, b.dev   # counted as 4.5, not as 100 (nor as the threshold, 6)
        (4.25, 0.25)
        """
        cap = self.band(z, floor)
        self.learn(x if x < cap else cap)

    def untouched(self) -> bool:
        """Only zeros learned so far: learning another zero would only count it (``n``), and the threshold is
        that of ``Baseline()``.

        >>> b = Baseline(); b.learn(0.0); b.untouched(), b.n
        (True, 1)
        """
        return self.mean == 0.0 and self.dev == 0.0
