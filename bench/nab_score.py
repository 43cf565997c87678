"""NAB scoring (Numenta Anomaly Benchmark v1.1), re-implemented from numenta/NAB ``nab/sweeper.py``,
``nab/optimizer.py`` and ``nab/runner.py::normalize`` so that yujing's detector can be measured offline.

The rules, as NAB applies them:

* every labelled window is scored once: the *best* (earliest) detection inside it counts, weighted by a
  scaled sigmoid of its relative position (left edge ~ +1, right edge 0); a missed window costs ``fnWeight``;
* a detection outside every window is a false positive costing ``fpWeight`` times the scaled sigmoid of its
  distance past the preceding window (-1 when no window precedes it), so a detection just after a window is
  cheap and a detection far away costs the full weight;
* the first 15 % of each file (at most 750 rows) is probation and not scored;
* one threshold per profile is chosen for the whole corpus (the one maximising the summed score);
* the raw score is normalised: ``100 * (score - null) / (perfect - null)``, where ``null`` is the score of a
  detector that never fires and ``perfect = tpWeight * number of windows``.

>>> ts = list(range(100))
>>> scores = [0.0] * 100; scores[55] = 1.0
>>> corpus = {"f": (ts, scores, [(55, 70)])}
>>> round(score_corpus(corpus, STANDARD)["score"], 1)   # detected at the window's left edge
100.0
>>> scores[55], scores[65] = 0.0, 1.0                      # later in the window: less reward
>>> round(score_corpus(corpus, STANDARD)["score"], 1)
87.2
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Hashable, Sequence

STANDARD = {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11}
REWARD_LOW_FP = {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22}
REWARD_LOW_FN = {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11}
PROFILES = {"standard": STANDARD, "reward_low_FP_rate": REWARD_LOW_FP, "reward_low_FN_rate": REWARD_LOW_FN}
PROBATION_PERCENT = 0.15


def scaled_sigmoid(relative_position: float) -> float:
    """NAB's reward curve: ~0.987 at a window's left edge (-1), 0 at its right edge, -> -1 far after it."""
    if relative_position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * relative_position)) - 1.0


def probation_length(n_rows: int) -> float:
    return min(math.floor(PROBATION_PERCENT * n_rows), PROBATION_PERCENT * 5000)


@dataclass(slots=True)
class Point:
    """One scorable row: its anomaly score, what detecting it is worth, and its window (None = outside)."""

    score: float
    sweep: float
    window: Hashable | None


def sweep_points(name: str, timestamps: Sequence[Any], scores: Sequence[float],
                 windows: Sequence[tuple[Any, Any]], cost: dict[str, float]) -> list[Point]:
    """Per-row worth of a detection (NAB ``Sweeper.calcSweepScore``); probationary rows are dropped."""
    index = {t: i for i, t in enumerate(timestamps)}
    spans = sorted((index[a], index[b]) for a, b in windows)
    max_tp = scaled_sigmoid(-1.0)
    probation = probation_length(len(timestamps))
    out: list[Point] = []
    w = 0
    cur: tuple[int, int] | None = None
    prev_right: int | None = None
    prev_width = 0.0
    for i, s in enumerate(scores):
        if cur is None and w < len(spans) and i == spans[w][0]:
            cur = spans[w]
            w += 1
        if cur is not None:
            width = float(cur[1] - cur[0] + 1)
            sweep = scaled_sigmoid(-(cur[1] - i + 1) / width) * cost["tpWeight"] / max_tp
            window: Hashable | None = (name, cur[0])
        else:
            if prev_right is None:
                unweighted = -1.0
            else:
                unweighted = scaled_sigmoid(abs(prev_right - i) / (prev_width - 1.0))
            sweep = unweighted * cost["fpWeight"]
            window = None
        if i >= probation:
            out.append(Point(float(s), sweep, window))
        if cur is not None and i == cur[1]:
            prev_right, prev_width = i, float(cur[1] - cur[0] + 1)
            cur = None
    return out


def sweep_thresholds(points: list[Point], cost: dict[str, float]) -> list[tuple[float, float]]:
    """(threshold, raw score) for every distinct score, highest first (NAB ``calcScoreByThreshold``)."""
    ordered = sorted(points, key=lambda p: p.score, reverse=True)
    best: dict[Hashable, float] = {p.window: -cost["fnWeight"] for p in ordered if p.window is not None}
    fp_total = 0.0
    window_total = sum(best.values())
    out: list[tuple[float, float]] = []
    threshold = 1.1
    for p in ordered:
        if p.score != threshold:
            out.append((threshold, fp_total + window_total))
            threshold = p.score
        if p.window is None:
            fp_total += p.sweep
        elif p.sweep > best[p.window]:
            window_total += p.sweep - best[p.window]
            best[p.window] = p.sweep
    out.append((threshold, fp_total + window_total))
    return out


def _score_at(points: list[Point], cost: dict[str, float], threshold: float) -> tuple[float, int, int]:
    """Raw score, detections in windows (windows hit) and false positives at one threshold."""
    best: dict[Hashable, float] = {p.window: -cost["fnWeight"] for p in points if p.window is not None}
    fp_total, fp = 0.0, 0
    for p in points:
        if p.score >= threshold:
            if p.window is None:
                fp_total += p.sweep
                fp += 1
            else:
                best[p.window] = max(best[p.window], p.sweep)
    hit = sum(1 for v in best.values() if v > -cost["fnWeight"])
    return fp_total + sum(best.values()), hit, fp


def score_corpus(corpus: dict[str, tuple[Sequence[Any], Sequence[float], Sequence[tuple[Any, Any]]]],
                 cost: dict[str, float]) -> dict[str, Any]:
    """Optimise one threshold over the corpus and return the normalised score and per-file detail.

    ``corpus`` maps a file name to (timestamps, anomaly scores, windows as (start, end) timestamps).
    """
    per_file = {name: sweep_points(name, ts, sc, win, cost) for name, (ts, sc, win) in corpus.items()}
    all_points = [p for pts in per_file.values() for p in pts]
    threshold, raw = max(sweep_thresholds(all_points, cost), key=lambda tr: tr[1])
    n_windows = sum(len(win) for _, _, win in corpus.values())
    null = _null_score(per_file, cost)
    perfect = n_windows * cost["tpWeight"]
    files = {}
    for name, pts in per_file.items():
        s, hit, fp = _score_at(pts, cost, threshold)
        files[name] = {"raw": round(s, 4), "windows": len(corpus[name][2]), "hit": hit, "fp": fp}
    return {"score": 100.0 * (raw - null) / (perfect - null), "threshold": threshold, "raw": raw,
            "null": null, "perfect": perfect, "files": files}


def _null_score(per_file: dict[str, list[Point]], cost: dict[str, float]) -> float:
    """NAB's baseline: the null detector (one constant score) with its own optimised threshold."""
    flat = [Point(0.5, p.sweep, p.window) for pts in per_file.values() for p in pts]
    return max(s for _, s in sweep_thresholds(flat, cost))
