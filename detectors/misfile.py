"""Which category a customer's text reads as: the early sign of a misfiled order.

A work order filed under the wrong category (a fault report taken down as a consultation, a billing complaint
as an opinion) is routed to the wrong department, bounces back and loses its deadline: the harm of a
misclassification wave comes when the first orders are reclassified at dispatch, often half an hour after they
were filed. The text the customer wrote usually says what the order is about from the start. This model learns,
online, which texts end up in which category — the label is the category an order has when it is first
dispatched, i.e. after the dispatcher has looked at it — and at filing time names the category the text reads
as when that is confidently not the one filed.

Multinomial naive Bayes over the features the sentiment scorer computes for the text anyway (character
1–2-grams for Chinese, words and word bigrams for Latin script, lexicon counts; :func:`streams.sentiment.
featurize`, cached per text), with Laplace smoothing and a cap on the vocabulary. Pure Python: ~30 features ×
~8 categories per text.

>>> g = CategoryGuess(min_labels=4)
>>> for _ in range(3):
...     g.learn_one("家里停电了，请派人来修", "fault_repair")
...     g.learn_one("想咨询一下电费怎么交", "consultation")
>>> g.guess("停电了，快来修", "consultation")
'fault_repair'
>>> g.guess("停电了，快来修", "fault_repair") is None
True
>>> g.guess("", "consultation") is None
True
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from streams.sentiment import featurize

__all__ = ["CategoryGuess"]


class CategoryGuess:
    """Online multinomial naive Bayes: text → category, and a misfiling verdict.

    ``alpha``: Laplace smoothing; ``min_labels``: labelled texts seen before any verdict (a young model guesses
    wildly); ``confidence``: posterior the other category needs, and the filed one must fall below
    ``1 - confidence``; ``max_features``: vocabulary cap (new features beyond it are ignored for learning).
    """

    __slots__ = ("alpha", "min_labels", "confidence", "max_features", "counts", "lifts", "totals", "docs", "n",
                 "_logs", "_lift_of")

    def __init__(self, alpha: float = 0.5, min_labels: int = 300, confidence: float = 0.9,
                 max_features: int = 50_000) -> None:
        self.alpha = alpha
        self.min_labels = min_labels
        self.confidence = confidence
        self.max_features = max_features
        self.counts: dict[str, dict[str, int]] = {}   # feature -> category -> count
        self.lifts: dict[str, dict[str, float]] = {}  # feature -> category -> log((count + alpha) / alpha)
        self.totals: dict[str, int] = {}              # category -> feature count
        self.docs: dict[str, int] = {}                # category -> labelled texts
        self.n = 0
        self._logs: list[tuple[str, float, float]] | None = None   # per category: log prior, log base (cache)
        self._lift_of: list[float] = []   # count k -> log((k + alpha) / alpha), the lift of every row entry (cache)

    @property
    def mature(self) -> bool:
        """Enough labels seen to give verdicts."""
        return self.n >= self.min_labels

    @staticmethod
    def features(text: str) -> set[str]:
        return set(featurize(text)[0]) if text else set()

    def learn_one(self, text: str | Iterable[str], category: str) -> None:
        """One labelled text: ``category`` is what the order turned out to be (its category at dispatch)."""
        feats = self.features(text) if isinstance(text, str) else set(text)
        feats.discard("_zh")
        feats.discard("_en")
        if not feats or category is None:
            return
        self.n += 1
        self._logs = None
        self.docs[category] = self.docs.get(category, 0) + 1
        counts, lifts = self.counts, self.lifts
        lift_of = self._lift_of
        added = 0
        for f in feats:
            row = counts.get(f)
            if row is None:
                if len(counts) >= self.max_features:
                    continue
                row = counts[f] = {}
                lifts[f] = {}
            k = row[category] = row.get(category, 0) + 1
            lifts[f][category] = lift_of[k] if k < len(lift_of) else self._lift(k)
            added += 1
        self.totals[category] = self.totals.get(category, 0) + added

    def _lift(self, k: int) -> float:
        """``log((k + alpha) / alpha)``, computed once per count: most features of a text have been counted
        before, so learning a text would otherwise take a logarithm per feature."""
        table, alpha = self._lift_of, self.alpha
        while len(table) <= k:
            n = len(table)
            table.append(math.log((n + alpha) / alpha))
        return table[k]

    def predict_proba_one(self, text: str | Iterable[str]) -> dict[str, float]:
        """Posterior over the categories seen so far (empty before any label or for a text without features)."""
        if not self.docs:
            return {}
        feats = self.features(text) if isinstance(text, str) else set(text)
        lifts = self.lifts
        known = [row for row in map(lifts.get, feats) if row is not None]   # the features' rows, in their order
        if not known:
            return {}
        if self._logs is None:
            av = self.alpha * (len(self.counts) + 1)
            self._logs = [(c, math.log(d / self.n), math.log(self.alpha / (self.totals.get(c, 0) + av)))
                          for c, d in self.docs.items()]
        # log P(c) + sum over features of log((count + a) / (total + aV))
        #   = log P(c) + nk * log(a / (total + aV)) + sum over features seen in c of log((count + a) / a)
        nk = len(known)
        logp = {c: lprior + nk * lbase for c, lprior, lbase in self._logs}
        for row in known:
            for c, lift in row.items():
                logp[c] += lift
        top = max(logp.values())
        z = sum(math.exp(x - top) for x in logp.values())
        return {c: math.exp(x - top) / z for c, x in logp.items()}

    def guess(self, text: str | Iterable[str], filed: str) -> str | None:
        """The category ``text`` confidently reads as, when that is not ``filed``; else None."""
        if not self.mature:
            return None
        proba = self.predict_proba_one(text)
        if not proba or filed not in self.docs:
            return None
        best = max(proba, key=proba.__getitem__)
        if best != filed and proba[best] >= self.confidence and proba.get(filed, 0.0) <= 1.0 - self.confidence:
            return best
        return None

    def state(self) -> dict:
        return {"counts": self.counts, "totals": self.totals, "docs": self.docs, "n": self.n}

    def restore(self, state: dict) -> None:
        self.counts = {f: dict(row) for f, row in state.get("counts", {}).items()}
        self.totals = dict(state.get("totals", {}))
        self.docs = dict(state.get("docs", {}))
        self.n = int(state.get("n", 0))
        a = self.alpha
        self.lifts = {f: {c: math.log((k + a) / a) for c, k in row.items()} for f, row in self.counts.items()}
        self._logs = None
