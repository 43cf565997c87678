"""A rise in the share of one kind among many: Page's CUSUM for Bernoulli trials, batched per minute.

Used where "how many" is weak evidence but "what share" is strong and keeps coming:

* ``topic_surge``: a "sentiment storm" (a billing run gone wrong, a batch of faulty meters) starts as ordinary
  consultations that happen to be about the same thing, written in anger; escalations to 12398 follow hours
  later. Trials: new contacts with a text in a region (call-backs excluded); hits: those strongly negative
  (streams/sentiment.py) and about the topic (streams/topics.py).
* ``reclassification``: a misclassification wave on one channel. Trials: first dispatches of the channel's
  orders; hits: dispatches that changed the category.

One hour's count is weak evidence in a small scope (9 of 30 instead of 1), but the evidence keeps coming, so a
sequential test accumulates it: each minute adds the log-likelihood ratio of "the odds have risen ×
odds_ratio" against "the share is as usual" (the odds-ratio form of the Bernoulli CUSUM, which suits a usual
share of 2 % as well as one of 35 %), floored at zero (Page's CUSUM) and capped, and the detector fires when
the sum passes a threshold. The usual share is learned only while the sum is low, so a wave does not teach the
detector that waves are normal; a young estimate is shrunk toward a prior (e.g. the province's share) so that
a wave in a scope's first hours is not learned either. The end of a wave is the mirror test: evidence that the
share is back to usual (against half the shift) accumulates until it passes ``end_threshold`` and restarts
the sum.

>>> c = ShareCusum(threshold=10.0, warmup_trials=100)
>>> for _ in range(300): _ = c.update(1, 10)      # a topic that is 10 % of the contacts
>>> round(c.p0, 2), c.statistic
(0.1, 0.0)
>>> minutes = 0
>>> while c.update(4, 10) < 10.0: minutes += 1    # it jumps to 40 %
>>> minutes < 10
True
>>> for _ in range(60): _ = c.update(1, 10)       # back to 10 %: the wave ends within the hour
>>> c.statistic
0.0
"""
from __future__ import annotations

import math


class ShareCusum:
    """CUSUM for a rise of one kind's share among trials (Bernoulli trials, batched per minute).

    ``odds_ratio``: the smallest shift worth warning about (the kind's odds × odds_ratio); ``threshold``:
    evidence (log-likelihood ratio) needed to fire; ``alpha``: learning rate of the usual share per trial;
    ``warmup_trials``: trials seen before it may judge without a prior.
    """

    __slots__ = ("odds_ratio", "threshold", "alpha", "warmup_trials", "min_p", "cap", "end_threshold", "p0",
                 "trials", "statistic", "calm", "prior", "_logs")

    def __init__(self, odds_ratio: float = 4.0, threshold: float = 10.0,
                 alpha: float = 1 / 2000, warmup_trials: int = 200, min_p: float = 0.02, cap: float = 3.0,
                 end_threshold: float = 2.0) -> None:
        self.odds_ratio = odds_ratio
        self.threshold = threshold
        self.alpha = alpha
        self.warmup_trials = warmup_trials
        self.min_p = min_p
        self.cap = cap
        self.end_threshold = end_threshold
        self.calm = end_threshold  # evidence that the share is as usual (capped at end_threshold)
        self.prior: float | None = None  # the caller's last prior, for showing the usual share
        self.p0 = 0.0
        self.trials = 0
        self.statistic = 0.0
        self._logs: tuple[float, float, float, float, float] = (-1.0, 0.0, 0.0, 0.0, 0.0)
        """(p0, and the four log ratios of :func:`_log_ratios`) of the last p0 tested."""

    def usual(self, prior: float | None = None) -> float:
        """The usual share; with a ``prior`` (e.g. the province's share) a young estimate is shrunk toward it,
        as if the prior had been seen in ``warmup_trials`` contacts."""
        if prior is None:
            return self.p0
        n = min(self.trials, 1.0 / self.alpha)
        return (n * self.p0 + self.warmup_trials * prior) / (n + self.warmup_trials)

    def update(self, hits: float, trials: float, learn: bool = True, prior: float | None = None,
               floor: float | None = None) -> float:
        """Feed one minute: ``hits`` of ``trials`` were of the kind watched. Returns the statistic.
        ``learn=False`` keeps the usual share as it is (the caller knows a wave is on); with a ``prior`` it
        judges from the first contact (see :meth:`usual`), without one only after ``warmup_trials``. ``floor``:
        the share to test against is at least this (e.g. the province's share right now, so that a rise every
        scope shares — the morning peak — is no evidence against this one)."""
        if trials <= 0:
            return self.statistic
        # max()/min() written out (``b if b > a else a`` is exactly max(a, b)) and the log ratios cached per p0:
        # this runs for every scope, topic and minute with contacts
        hits = trials if trials < hits else hits
        statistic = self.statistic
        if prior is not None or self.trials >= self.warmup_trials:
            usual = self.p0 if prior is None else self.usual(prior)
            p0 = self.min_p if self.min_p > usual else usual
            f = floor or 0.0
            p0 = f if f > p0 else p0
            p0 = p0 if p0 < 0.9 else 0.9
            logs = self._logs
            if logs[0] != p0:   # the same p0 recurs (a share floored at min_p, a steady province floor)
                logs = self._logs = self._log_ratios(p0)
            misses = trials - hits
            llr = hits * logs[1] + misses * logs[2]
            v = statistic + llr
            v = v if v > 0.0 else 0.0
            cap = self.cap * self.threshold
            statistic = v if v < cap else cap   # Page's CUSUM
            llr_half = hits * logs[3] + misses * logs[4]
            end = self.end_threshold
            was_calm = self.calm >= end
            c = self.calm - llr_half
            c = c if c > 0.0 else 0.0
            self.calm = calm = c if c < end else end
            if calm >= end and not was_calm:
                statistic = 0.0  # back to usual long enough: the wave is over
            self.statistic = statistic
        if learn and statistic < self.threshold / 2:  # learn the usual share only while calm
            self.trials += int(trials)
            inv = 1.0 / self.trials
            a = 1.0 - (1.0 - (inv if inv > self.alpha else self.alpha)) ** trials
            self.p0 += a * (hits / trials - self.p0)
        return statistic

    def alternative(self, p0: float | None = None) -> float:
        """The share the test looks for: the usual share with its odds × odds_ratio."""
        p0 = min(0.9, max(self.p0 if p0 is None else p0, self.min_p))
        return p0 * self.odds_ratio / (1.0 - p0 + self.odds_ratio * p0)

    def _log_ratios(self, p0: float) -> tuple[float, float, float, float, float]:
        """``p0`` and the log-likelihood ratios per hit and per miss of the test against it and of the mirror
        test at the midpoint (cached by :meth:`update` while ``p0`` stays the same)."""
        p1 = self.alternative(p0)
        pm = (p0 + p1) / 2
        return (p0, math.log(p1 / p0), math.log((1 - p1) / (1 - p0)), math.log(pm / p0), math.log((1 - pm) / (1 - p0)))

    def state(self) -> list[float]:
        return [self.p0, float(self.trials), self.statistic, self.calm]

    def restore(self, state: list[float]) -> None:
        self.p0, self.trials, self.statistic = state[0], int(state[1]), state[2]
        self.calm = state[3] if len(state) > 3 else self.end_threshold

