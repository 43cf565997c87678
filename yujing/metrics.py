"""Evaluation helpers shared by the benchmarks, the model build and the tests."""
from __future__ import annotations

from collections.abc import Sequence


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Rank ROC AUC of ``scores`` for label 1 (Mann-Whitney U, ties shared), via scipy.

    >>> roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    from scipy.stats import mannwhitneyu

    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    return float(mannwhitneyu(pos, neg).statistic) / (len(pos) * len(neg))
