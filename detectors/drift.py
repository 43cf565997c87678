"""Slow creep in a metric (backlog building up over hours, lag percentiles drifting upward) that no single
point makes anomalous: a two-sided Page-Hinkley test on the values, in units of the series' own noise."""
from __future__ import annotations

import math


class LevelDrift:
    """Two-sided Page-Hinkley change detector, scale-free.

    The mean since the last change is tracked; the cumulative deviations from it beyond a tolerance
    (``delta`` noise units per sample) are summed in each direction, and a change is declared when a sum
    rises ``threshold`` noise units above its running minimum. The noise unit is the mean absolute
    difference between successive values learned during ``warmup`` (successive differences ignore the
    level, so a series that already creeps during warm-up still gets a sensible unit). After a detection
    the test restarts from the new level. ``direction`` is +1 (upward drift) or -1.

    Examples
    --------
    Flat noise for 300 samples, then a slow ramp of 0.05 per sample (one noise unit every 20 samples):

    >>> import random
    >>> rng = random.Random(1)
    >>> drift = LevelDrift()
    >>> for i in range(600):
    ...     x = 10 + rng.gauss(0, 1) + (0.05 * (i - 300) if i > 300 else 0)
    ...     if drift.update(x).drift_detected:
    ...         print(i, drift.direction)
    ...         break
    326 1

    Reference: E. S. Page (1954), "Continuous inspection schemes", Biometrika 41(1/2); D. V. Hinkley (1971),
    "Inference about the change-point from cumulative sum tests", Biometrika 58(3); as in
    ``river.drift.PageHinkley``, made two-sided and scaled by the learned noise.
    """

    def __init__(self, delta: float = 0.25, threshold: float = 25.0, warmup: int = 30) -> None:
        self.delta = delta
        self.threshold = threshold
        self.warmup = warmup
        self.unit = 0.0
        self.n_unit = 0
        self.last_x: float | None = None
        self.drift_detected = False
        self.direction = 0
        self._reset()

    def _reset(self) -> None:
        self.n = 0
        self.x_mean = 0.0
        self.sum_up = self.min_up = 0.0
        self.sum_down = self.max_down = 0.0

    def update(self, x: float) -> "LevelDrift":
        """Learn ``x``; ``drift_detected`` says whether a change was declared at this sample."""
        self.drift_detected = False
        if self.last_x is not None and self.n_unit < self.warmup:
            self.n_unit += 1
            self.unit += (abs(x - self.last_x) - self.unit) / self.n_unit
        self.last_x = x
        self.n += 1
        self.x_mean += (x - self.x_mean) / self.n
        if self.n_unit < self.warmup:
            return self
        unit = self.unit / math.sqrt(2.0) + 1e-9 * (abs(self.x_mean) + 1.0)
        dev = (x - self.x_mean) / unit
        self.sum_up += dev - self.delta
        self.min_up = min(self.min_up, self.sum_up)
        self.sum_down += dev + self.delta
        self.max_down = max(self.max_down, self.sum_down)
        if self.sum_up - self.min_up > self.threshold:
            self.drift_detected, self.direction = True, 1
        elif self.max_down - self.sum_down > self.threshold:
            self.drift_detected, self.direction = True, -1
        if self.drift_detected:
            self._reset()
        return self
