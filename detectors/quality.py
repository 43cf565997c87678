"""How good the complaint-risk model is, live: progressive validation over its own late labels.

Each label the risk model learns from (an escalation, or an order closed and quiet past the horizon) is first
scored by the model as it stands — before ``learn_one`` — so every prediction judged here is out-of-sample
(progressive validation, the usual online-learning evaluation). Over the last ``window`` labels the tracker
gives the rank ROC AUC (does the model put the orders that escalate above those that do not?), the Brier score
(mean squared error of the probability) and a reliability table (per band of predicted risk: the mean
prediction against the share that really escalated), which is what a duty manager needs to trust "risk 0.8".

The tracker only reads predictions: the model's outputs are the same with or without it.

>>> q = RiskQuality(window=100, bins=5)
>>> for p, y in [(0.9, 1), (0.8, 1), (0.3, 0), (0.2, 0), (0.85, 0), (0.1, 0)]:
...     _ = q.update(p, y)
>>> r = q.report(min_each=1)
>>> r["labels"], r["positives"], round(r["risk_auc"], 3), round(r["brier"], 3)
(6, 2, 0.875, 0.152)
>>> [(b["lo"], b["n"], round(b["observed"], 2)) for b in r["calibration"]]
[(0.0, 1, 0.0), (0.2, 2, 0.0), (0.8, 3, 0.67)]
>>> RiskQuality.from_state(q.state()).report(min_each=1) == r
True
"""
from __future__ import annotations

from collections import deque
from typing import Any

from yujing.metrics import roc_auc

__all__ = ["RiskQuality", "pool_reports"]


class RiskQuality:
    """Rolling quality of a probabilistic classifier: ``update(p, y)`` with the prediction made before learning.

    ``window``: labels the AUC, Brier score and reliability table are computed over (the recent model, not its
    youth); ``bins``: equal-width bands of predicted risk in the reliability table. ``labels`` and
    ``positives`` count every label ever seen (they survive a checkpoint).
    """

    def __init__(self, window: int = 2000, bins: int = 10) -> None:
        self.window = window
        self.bins = bins
        self.recent: deque[tuple[float, int]] = deque(maxlen=window)
        self.labels = 0
        self.positives = 0
        self._cache: tuple[tuple[int, int], dict[str, Any]] | None = None

    def update(self, p: float, y: bool | int) -> "RiskQuality":
        """One label ``y`` and the probability ``p`` the model gave that very sample before learning it."""
        y = 1 if y else 0
        self.recent.append((float(p), y))
        self.labels += 1
        self.positives += y
        self._cache = None
        return self

    def report(self, min_each: int = 5) -> dict[str, Any]:
        """The board's figures: AUC (None until the window holds ``min_each`` labels of each class), Brier
        score, the reliability bins (``lo``, ``hi``, ``n``, ``predicted`` mean, ``observed`` rate; empty bins
        left out), label counts, and the raw sums :func:`pool_reports` combines workers with."""
        key = (self.labels, min_each)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        ps = [p for p, _ in self.recent]
        ys = [y for _, y in self.recent]
        n = len(ps)
        pos = sum(ys)
        auc = roc_auc(ps, ys) if pos >= min_each and n - pos >= min_each else None
        sq = sum((p - y) ** 2 for p, y in self.recent)
        sums = [[0, 0.0, 0] for _ in range(self.bins)]   # per bin: n, sum of p, positives
        for p, y in self.recent:
            b = sums[min(self.bins - 1, max(0, int(p * self.bins)))]
            b[0] += 1
            b[1] += p
            b[2] += y
        rep = {"risk_auc": auc, "brier": sq / n if n else None, "labels": self.labels, "positives": self.positives,
               "window": n, "window_positives": pos, "window_sq": sq,
               "calibration": _bins(sums, self.bins)}
        self._cache = (key, rep)
        return rep

    def state(self) -> dict[str, Any]:
        """JSON-able state (the window as ``[p, y]`` pairs: floats round-trip exactly)."""
        return {"window": self.window, "bins": self.bins, "recent": [[p, y] for p, y in self.recent],
                "labels": self.labels, "positives": self.positives}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "RiskQuality":
        q = cls(int(state.get("window", 2000)), int(state.get("bins", 10)))
        q.restore(state)
        return q

    def restore(self, state: dict[str, Any]) -> None:
        self.recent = deque(((float(p), int(y)) for p, y in state.get("recent", [])), maxlen=self.window)
        self.labels = int(state.get("labels", len(self.recent)))
        self.positives = int(state.get("positives", sum(y for _, y in self.recent)))
        self._cache = None


def _bins(sums: list[list[Any]], bins: int) -> list[dict[str, Any]]:
    return [{"lo": round(i / bins, 6), "hi": round((i + 1) / bins, 6), "n": n, "predicted": sp / n,
             "observed": k / n, "sum_p": sp, "positives": k}
            for i, (n, sp, k) in enumerate(sums) if n]


def pool_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report for several workers' models (each learns from its own partitions).

    Counts, the Brier score and the reliability table pool exactly (their sums add up); the AUC cannot be
    pooled from summaries, so it is the mean of the workers' AUCs weighted by their window sizes.

    >>> a = {"risk_auc": 0.8, "labels": 10, "positives": 2, "window": 10, "window_positives": 2, "window_sq": 1.0,
    ...      "calibration": [{"lo": 0.0, "hi": 0.1, "n": 10, "sum_p": 0.5, "positives": 2}]}
    >>> b = dict(a, risk_auc=0.6, window=30, window_sq=2.0, labels=30,
    ...          calibration=[{"lo": 0.0, "hi": 0.1, "n": 30, "sum_p": 1.5, "positives": 0}])
    >>> r = pool_reports([a, b])
    >>> round(r["risk_auc"], 2), r["labels"], r["brier"], r["calibration"][0]["n"], r["calibration"][0]["observed"]
    (0.65, 40, 0.075, 40, 0.05)
    """
    reports = [r for r in reports if r]
    if len(reports) == 1:
        return dict(reports[0])
    window = sum(r.get("window", 0) for r in reports)
    rated = [(r["risk_auc"], r.get("window", 0)) for r in reports if r.get("risk_auc") is not None]
    w_auc = sum(w for _, w in rated)
    by_lo: dict[float, list[float]] = {}
    for r in reports:
        for b in r.get("calibration") or []:
            acc = by_lo.setdefault(b["lo"], [b["hi"], 0, 0.0, 0])
            acc[1] += b["n"]
            acc[2] += b["sum_p"]
            acc[3] += b["positives"]
    return {"risk_auc": sum(a * w for a, w in rated) / w_auc if w_auc else None,
            "brier": sum(r.get("window_sq", 0.0) for r in reports) / window if window else None,
            "labels": sum(r.get("labels", 0) for r in reports),
            "positives": sum(r.get("positives", 0) for r in reports),
            "window": window, "window_positives": sum(r.get("window_positives", 0) for r in reports),
            "window_sq": sum(r.get("window_sq", 0.0) for r in reports),
            "calibration": [{"lo": lo, "hi": hi, "n": n, "predicted": sp / n, "observed": k / n, "sum_p": sp,
                             "positives": k} for lo, (hi, n, sp, k) in sorted(by_lo.items())]}
