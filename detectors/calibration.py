"""Turn an unbounded raw surprise into a score in [0, 1] judged against the series' own past surprises."""
from __future__ import annotations

import math


class SurpriseCalibration:
    """Record-relative score: ``s / (s + max(record, floor))``, damped for a while after an alarm.

    ``record`` is the largest raw surprise of the recent past (a maximum that decays with ``halflife``
    samples), so 0.5 means "as surprising as the worst of the recent past, and at least ``floor``": a
    series whose normal life is spiky stops alarming on its usual spikes, and one threshold suits raw
    surprises of any scale. After a score >= 0.5 the score is damped for ``quiet`` samples (linear
    recovery): NAB, and an operator, want the first sign of an incident, not a repeat of it every sample.
    The first ``warmup`` positive surprises only calibrate (score 0).

    Examples
    --------
    >>> cal = SurpriseCalibration(halflife=1000, floor=3.0, warmup=2, quiet=10)
    >>> [round(cal.update(s), 2) for s in (1.0, 1.0, 1.0, 9.0, 9.0, 1.0, 1.0)]
    [0.0, 0.0, 0.25, 0.75, 0.0, 0.01, 0.02]

    The fourth surprise (9) beats the record and the floor and alarms; the fifth, as large, comes inside
    the quiet period after that alarm and is silenced, and the scores recover linearly from there.

    Reference: Ahmad et al. 2017, "Unsupervised real-time anomaly detection for streaming data",
    Neurocomputing 262 (judge a raw score against the distribution of the series' own raw scores).
    """

    __slots__ = ("halflife", "floor", "warmup", "quiet", "_decay", "record", "n", "since_alarm")

    def __init__(self, halflife: float = 1000.0, floor: float = 8.0, warmup: int = 30, quiet: int = 300) -> None:
        self.halflife = halflife
        self.floor = floor
        self.warmup = warmup
        self.quiet = quiet
        self._decay = math.exp(-math.log(2.0) / halflife)
        self.record = 0.0
        self.n = 0
        self.since_alarm = 1 << 30

    def score_one(self, s: float) -> float:
        """Score of raw surprise ``s`` (does not learn)."""
        if s <= 0.0 or self.n < self.warmup:
            return 0.0
        score = s / (s + max(self.record, self.floor))
        if self.since_alarm < self.quiet:
            score *= self.since_alarm / self.quiet
        return score

    def learn_one(self, s: float, score: float) -> "SurpriseCalibration":
        """Learn ``s`` and the score it was given (which starts a quiet period when >= 0.5)."""
        self.since_alarm = 0 if score >= 0.5 else self.since_alarm + 1
        if s > 0.0:
            self.n += 1
            self.record = max(s, self.record * self._decay)
        return self

    def update(self, s: float) -> float:
        """``score_one`` then ``learn_one``, in one call."""
        if s <= 0.0 or self.n < self.warmup:
            score = 0.0
        else:
            score = s / (s + max(self.record, self.floor))
            if self.since_alarm < self.quiet:
                score *= self.since_alarm / self.quiet
        self.since_alarm = 0 if score >= 0.5 else self.since_alarm + 1
        if s > 0.0:
            self.n += 1
            self.record = max(s, self.record * self._decay)
        return score
