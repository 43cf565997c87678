"""Per-order complaint risk: the probability that an order will be ``escalated``.

An online logistic regression (river) learns from late labels — an ``escalated`` event is a positive, an
order closed and quiet past a horizon is a negative — with progressive validation (predict first, learn when
the label arrives). Until enough labels have arrived its output is blended with a rule prior built from the
signals the grid-company literature names (domain.md): lateness, urges, negative tone and threats, repeat
contacts, premium customers, outages, dissatisfied revisits, and how hard the customer is chasing right now
(:func:`pressure`: urges and messages decayed over two hours). Features use only what is known at ``t``.

>>> m = ComplaintRiskModel()
>>> calm = {"cat=consultation": 1.0, "share_max": 0.1}
>>> angry = {"cat=fault_repair": 1.0, "share_max": 1.2, "urges": 2.0, "neg_max": 0.9, "threat": 1.0}
>>> m.predict_one(angry) > 0.5 > m.predict_one(calm)
True
>>> for _ in range(200):
...     _ = m.learn_one(angry, True).learn_one(calm, False)
>>> round(m.predict_one(angry), 1) >= 0.9, m.predict_one(calm) < 0.05
(True, True)
"""
from __future__ import annotations

import heapq
import math
from itertools import compress
from operator import itemgetter
from typing import Any

from river import linear_model, optim

from detectors.config import RiskConfig
from detectors.escalation_rate import EscalationRate

# Rule prior (log-odds); weights are domain judgement (domain.md "Signals that predict escalation").
PRIOR_BIAS = -5.0
PRIOR_WEIGHTS: dict[str, float] = {
    "share_max": 1.1, "breached": 0.4, "urges": 0.45, "neg_max": 1.2, "threat": 1.6, "intent": 1.0, "repeat_24h": 0.7,
    "repeat_7d": 0.3, "tier=premium": 0.5, "tier=potential": 0.25, "reclass": 0.3, "bounces": 0.3,
    "reopens": 0.0, "dissatisfied": 2.6, "unresolved": 1.2, "log_affected": 0.15, "messages": 0.2,
    "cat=complaint": 0.8, "cat=opinion": 0.4, "cat=report": 0.3, "cat=fault_repair": 0.2,
    "cat=consultation": -0.3, "cat=suggestion": -1.5, "cat=praise": -4.0, "prior_escalations": 1.5,
    "pressure": 0.4, "late_peak": 0.3,
}

FACTOR_TEXT: dict[str, str] = {
    "share_max": "deadline_used", "breached": "deadline_breached", "urges": "urged", "neg_max": "negative_text",
    "threat": "escalation_words", "intent": "escalation_intent", "repeat_24h": "repeat_contact_24h", "repeat_7d": "repeat_contact_7d",
    "tier=premium": "premium_customer", "tier=potential": "potential_premium_customer", "reclass": "reclassified",
    "bounces": "reassigned", "reopens": "reopened", "dissatisfied": "dissatisfied_revisit",
    "unresolved": "closed_unresolved", "log_affected": "outage_size", "messages": "customer_messages",
    "prior_escalations": "customer_escalated_before", "region_esc": "region_escalating",
    "dept_esc": "department_escalating", "pressure": "chasing_now",
    "late_peak": "served_late",
}


TERMS: tuple[str, ...] = (
    "share_max", "breached", "urges", "messages", "neg_max", "neg_last", "threat", "intent", "repeat_24h",
    "repeat_7d", "reclass", "bounces", "reopens", "log_affected", "dissatisfied", "unresolved",
    "prior_escalations", "region_esc", "dept_esc", "pressure", "late_peak")
"""Names of the numeric features, in the fixed order of :func:`order_values`."""


def order_values(o: Any, t: float, ctx: Any = None) -> tuple[float, ...]:
    """The numeric features of an order (``streams.orders.OrderState``) at time ``t``, in the order of
    :data:`TERMS`, zeros included: the one place they are computed, read by :func:`order_terms` and (without
    pairing them with their names) by :meth:`ComplaintRiskModel.predict_order`. ``ctx`` (a
    :class:`ComplaintRiskModel`) brings what is not the order's own: the recent escalation rates of its region
    and department (0, the province's rate, without one)."""
    checks = o.checks
    share = checks.max_share(o.paused_at if o.paused_at is not None else t) if checks else 0.0
    ctx = ctx if ctx is not None else _NO_CONTEXT
    # counts capped with ``n if n < cap else cap`` (exactly min(n, cap) for these ints): no call per term
    breached, urges, messages, intents = o.breached, o.urges, o.messages, o.intents
    r24, r7, reclass, bounces, reopens, prior = o.repeat_24h, o.repeat_7d, o.reclass, o.bounces, o.reopens, o.prior_esc
    return (
        share if share < 3.0 else 3.0, float(breached if breached < 3 else 3),
        float(urges if urges < 5 else 5), float(messages if messages < 5 else 5), o.neg_max,
        o.neg_last, 1.0 if o.threats else 0.0, float(intents if intents < 2 else 2),
        float(r24 if r24 < 3 else 3), float(r7 if r7 < 3 else 3),
        float(reclass if reclass < 2 else 2), float(bounces if bounces < 3 else 3),
        float(reopens if reopens < 2 else 2), math.log1p(o.affected),
        1.0 if o.satisfaction == "dissatisfied" else 0.0,
        1.0 if o.resolution == "unresolved" else 0.0, float(prior if prior < 2 else 2),
        ctx.region_rates.ratios.get(o.region, 0.0),
        ctx.dept_rates.ratios.get(o.department, 0.0),
        pressure(o, t, ctx.pressure_tau_s), o.late_peak,
    )


LATE_FLOOR = 0.5
"""A check closed before this share of its deadline was served on time: :func:`note_late` keeps no trace of it."""


def note_late(o: Any, start: float, deadline: float, end: float) -> None:
    """Note on the order (``late_peak``) the share of its deadline a check had used when it closed at ``end``, if
    it is the largest so far and at least :data:`LATE_FLOOR` (capped at 3, as ``share_max``).

    Why: ``share_max`` reads the open checks only, so an order answered at 2.5 × its promised time looked, once
    closed, like one answered at once; the revisit that finds the customer dissatisfied, and the escalation after
    it, come hours after the close (issue #7: share of the deadline used). Spans under a minute count as a minute.

    >>> from streams.orders import OrderState
    >>> o = OrderState("WO-1")
    >>> note_late(o, 0.0, 3600.0, 1200.0); o.late_peak      # on time: nothing kept
    0.0
    >>> note_late(o, 0.0, 3600.0, 9000.0); note_late(o, 0.0, 600.0, 600.0); o.late_peak
    2.5
    """
    span = deadline - start
    share = (end - start) / (span if span > 60.0 else 60.0)
    if share >= LATE_FLOOR and share > o.late_peak:
        o.late_peak = share if share < 3.0 else 3.0


def order_terms(o: Any, t: float, ctx: Any = None) -> list[tuple[str, float]]:
    """:func:`order_values` paired with their names (:data:`TERMS`)."""
    return list(zip(TERMS, order_values(o, t, ctx)))


PRESSURE_TAU_S = 2 * 3600.0
"""Default time constant of :func:`pressure` (seconds; ``detectors.risk.pressure_tau_min``): a contact weighs
``1/e`` two hours later."""


def press(o: Any, t: float, tau: float = PRESSURE_TAU_S) -> None:
    """Note a customer chasing the order at ``t`` (an urge, a message, a reopening) in its decayed count
    (``tau``: the time constant, the same :func:`pressure` reads it with)."""
    last = o.pressed_t
    if t >= last:
        o.pressed = o.pressed * math.exp((last - t) / tau) + 1.0
        o.pressed_t = t
    else:   # a late delivery: it counts as much as it weighs at the latest contact's time
        o.pressed = o.pressed + math.exp((t - last) / tau)


def pressure(o: Any, t: float, tau: float = PRESSURE_TAU_S) -> float:
    """How hard the customer is chasing at ``t``: contacts decayed with :data:`PRESSURE_TAU_S` (two urges ten
    minutes apart read ~2, one urge two hours ago ~0.37), capped at 4.

    Why: ``urges`` and ``messages`` count contacts over the order's life; a customer calling again and again
    within the hour is the moment before a complaint goes to 12398 (urges per hour, issue #7), and that
    moment fades if the calls stop. Only contacts up to ``t`` count (nothing later is known at ``t``).

    >>> from streams.orders import OrderState
    >>> o = OrderState("WO-1")
    >>> press(o, 0.0); press(o, 600.0)
    >>> round(pressure(o, 600.0), 2), round(pressure(o, 600.0 + PRESSURE_TAU_S), 2), pressure(OrderState("x"), 5.0)
    (1.92, 0.71, 0.0)
    """
    p = o.pressed
    if not p:
        return 0.0
    dt = t - o.pressed_t
    if dt > 0.0:
        p *= math.exp(-dt / tau)
    return p if p < 4.0 else 4.0


def order_features(o: Any, t: float, settings: Any = None, ctx: Any = None) -> dict[str, float]:
    """Features of an order (``streams.orders.OrderState``) at time ``t``, from what is known at ``t``
    (``ctx``: the risk model, for the features that are not the order's own, see :func:`order_terms`).

    Where the order is in its life (its stage, whether it is closed) is no feature: the late labels take every
    negative from a closed order (quiet for a day after its close) and most positives from an open one (the moment
    it escalates), so the learner read "closed" as safe and "in progress" as risky — when labels are taken, not
    what the customer does (issue #7: the late-label scheme cost rank on both simulators).

    >>> from streams.orders import OrderState
    >>> o = OrderState("WO-1"); o.stage = "closed"; o.closed_at = 10.0
    >>> sorted(k for k in order_features(o, 20.0) if "=" in k), "closed" in order_features(o, 20.0)
    (['cat=consultation', 'ch=other', 'tier=regular'], False)
    """
    x: dict[str, float] = {f"cat={o.category}": 1.0, f"ch={o.channel}": 1.0, f"tier={o.tier}": 1.0}
    x.update(order_terms(o, t, ctx))
    return x




class _NoContext:
    region_rates = dept_rates = EscalationRate()
    pressure_tau_s = PRESSURE_TAU_S


_NO_CONTEXT = _NoContext()
_share = itemgetter(1)


def _sigmoid(z: float) -> float:
    if z < -35:
        return 0.0
    if z > 35:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))


class ComplaintRiskModel:
    """Online complaint-risk estimator: ``predict_one`` / ``learn_one`` / ``predict_explain``.

    The learned model (river ``LogisticRegression``) takes over from the rule prior as positive labels accrue.
    """

    def __init__(self, config: RiskConfig | None = None) -> None:
        self.config = config or RiskConfig()
        self.model = linear_model.LogisticRegression(optimizer=optim.SGD(self.config.learning_rate),
                                                     l2=self.config.l2, intercept_init=PRIOR_BIAS,
                                                     intercept_lr=self.config.learning_rate)
        # start the learned model at the prior, so learning refines domain knowledge instead of replacing it
        self.model._weights.update(PRIOR_WEIGHTS)  # noqa: SLF001 - river exposes weights as a dict-like
        self.region_rates = EscalationRate()
        self.dept_rates = EscalationRate()
        """Recent escalation rates (detectors/escalation_rate.py), kept up to date by the order stage: the
        features that are not the order's own (they read 0, the province's rate, until it does)."""
        self.pressure_tau_s = self.config.pressure_tau_min * 60.0
        """Time constant of the ``pressure`` feature (:func:`pressure`), from the config."""
        self.n_pos = 0
        self.n_neg = 0
        self.held: list[tuple[float, int, dict[str, float]]] = []
        """Positive labels waiting to be learned (``positive_delay_h``): (due time, arrival number, features)."""
        self._held_seq = 0
        self._generation = 0   # bumped on every learn: memoised partial sums are stale after it
        self._heads: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        self._term_weights: tuple[int, tuple[tuple[str, float, float], ...]] = (-1, ())

    def _prior(self, x: dict[str, float]) -> float:
        return PRIOR_BIAS + sum(PRIOR_WEIGHTS.get(k, 0.0) * v for k, v in x.items())

    def _blend(self) -> float:
        return min(1.0, self.n_pos / max(1, self.config.prior_weight_labels))

    def predict_one(self, x: dict[str, float]) -> float:
        return self.predict_explain(x)[0]

    def predict_explain(self, x: dict[str, float], top: int = 3) -> tuple[float, list[str]]:
        """Risk in [0, 1] and the features that pushed it up most (names a duty manager can read)."""
        w = self._blend()
        w_prior = 1 - w
        pushing: list[tuple[str, float]] = []   # features that push the risk up noticeably (> 0.05)
        z_prior, z_model = self._accumulate(x.items(), PRIOR_BIAS, self.model.intercept, pushing, w, w_prior)
        z = w_prior * z_prior + w * z_model
        factors = [FACTOR_TEXT.get(k, k) for k, _ in sorted(pushing, key=lambda kv: -kv[1])[:top]]
        return _sigmoid(z), factors or ["baseline"]

    def predict_order(self, o: Any, t: float, top: int = 3) -> tuple[float, list[str]]:
        """``predict_explain(order_features(o, t))`` without building the feature dict (the per-event path).

        The same terms are summed in the same order, so the result is bit-identical; the categorical terms
        (category, channel, tier) come first in that order, so their partial sums are memoised until
        the model learns.

        >>> from streams.orders import Checks, OrderState
        >>> m, o = ComplaintRiskModel(), OrderState("WO-1")
        >>> o.urges, o.neg_max, o.checks = 2, 0.8, Checks.from_dict({"feedback": [0.0, 3600.0, 0.0, 1, None]})
        >>> m.predict_order(o, 2000.0) == m.predict_explain(order_features(o, 2000.0, ctx=m))
        True
        """
        key = (o.category, o.channel, o.tier)
        head = self._heads.get(key)
        if head is None or head[0] != self._generation:
            head = self._head(key)
        _, z_prior, z_model, pushing, w, w_prior = head
        pushing = list(pushing)
        weights = self._term_weights
        if weights[0] != self._generation:
            weights = self._weigh_terms()
        # _accumulate over (TERMS, order_values) with both weights of each term looked up once per generation;
        # compress() drops the zero terms (most of them) before the loop, as _accumulate's ``if not v`` would
        values = order_values(o, t, self)
        for (k, prior_w, model_w), v in compress(zip(weights[1], values), values):
            pw = prior_w * v
            mw = model_w * v
            z_prior += pw
            z_model += mw
            c = w_prior * pw + w * mw
            if c > 0.05:
                pushing.append((k, c))
        z = w_prior * z_prior + w * z_model
        if not pushing:
            return _sigmoid(z), ["baseline"]
        if len(pushing) > 1:   # largest first; a reverse sort is stable too, so ties keep the features' order
            pushing.sort(key=_share, reverse=True)
        return _sigmoid(z), [FACTOR_TEXT.get(k, k) for k, _ in pushing[:top]] if top > 0 else ["baseline"]

    def _accumulate(self, items: Any, z_prior: float, z_model: float, pushing: list[tuple[str, float]],
                    w: float, w_prior: float) -> tuple[float, float]:
        """Add the non-zero ``(feature, value)`` items to the prior's and the model's sums (in their order, so
        every path gives the same float result); note in ``pushing`` the features that raise the blend > 0.05."""
        learned = self.model._weights.get  # noqa: SLF001
        prior = PRIOR_WEIGHTS.get
        for k, v in items:
            if not v:
                continue
            pw = prior(k, 0.0) * v
            mw = learned(k, 0.0) * v
            z_prior += pw
            z_model += mw
            c = w_prior * pw + w * mw
            if c > 0.05:
                pushing.append((k, c))
        return z_prior, z_model

    def _weigh_terms(self) -> tuple[int, tuple[tuple[str, float, float], ...]]:
        """The prior's and the model's weight of each of :data:`TERMS` (0 if it has none), as of now: the weights
        only change when the model learns (or is restored), which bumps the generation."""
        learned = self.model._weights.get  # noqa: SLF001
        self._term_weights = (self._generation,
                              tuple((k, PRIOR_WEIGHTS.get(k, 0.0), learned(k, 0.0)) for k in TERMS))
        return self._term_weights

    def _head(self, key: tuple[str, str, str]) -> tuple[Any, ...]:
        """Partial sums of the three categorical terms of one (category, channel, tier), and the blend."""
        w = self._blend()
        w_prior = 1 - w
        pushing: list[tuple[str, float]] = []
        cats = ((f"cat={key[0]}", 1.0), (f"ch={key[1]}", 1.0), (f"tier={key[2]}", 1.0))
        z_prior, z_model = self._accumulate(cats, PRIOR_BIAS, self.model.intercept, pushing, w, w_prior)
        if len(self._heads) > 4096:
            self._heads.clear()
        head = self._heads[key] = (self._generation, z_prior, z_model, tuple(pushing), w, w_prior)
        return head

    def learn_one(self, x: dict[str, float], y: bool) -> "ComplaintRiskModel":
        self._generation += 1
        self.model.learn_one(x, bool(y))
        if y:
            self.n_pos += 1
        else:
            self.n_neg += 1
        return self

    def hold(self, x: dict[str, float], due: float) -> None:
        """Keep the positive label ``x`` to learn at ``due`` (:meth:`due`; the order stage holds an escalation as
        long as a negative waits, ``positive_delay_h``). Held labels are part of :meth:`state`.

        Why: a negative is known only a day after its order closed, a positive the moment it escalates. Learned
        as they arrive, a fresh model's first day is positives only, and plain SGD reads that as "everything
        escalates": at twenty times the public streams' volume 23 % of the first day's orders reached orange.
        Held as long as the negatives wait, both kinds reach the learner at the rate they happen.

        >>> m = ComplaintRiskModel()
        >>> m.hold({"urges": 2.0}, due=100.0)
        >>> m.due(99.0), m.labels, len(m.due(100.0)), m.due(100.0)
        ([], 0, 1, [])
        """
        self._held_seq += 1
        heapq.heappush(self.held, (due, self._held_seq, x))

    def due(self, now: float) -> list[dict[str, float]]:
        """The held positive labels due at ``now``, oldest first, taken off the queue (the caller learns them)."""
        out = []
        held = self.held
        while held and held[0][0] <= now:
            out.append(heapq.heappop(held)[2])
        return out

    # -------------------------------------------------------------------------------- checkpoint (new)
    def state(self) -> dict[str, Any]:
        """The learned state as JSON-able data, so a replaced worker resumes the model instead of the prior.

        Weights are kept as ``[feature, weight]`` pairs in the model's own order (floats round-trip exactly
        through JSON), so a restored model predicts and learns bit-identically.

        >>> a = ComplaintRiskModel().learn_one({"urges": 2.0, "cat=complaint": 1.0}, True)
        >>> b = ComplaintRiskModel()
        >>> b.restore(a.state())
        >>> x = {"urges": 1.0, "neg_max": 0.4}
        >>> b.predict_one(x) == a.predict_one(x), (b.n_pos, b.n_neg)
        (True, (1, 0))
        >>> a.hold({"threat": 1.0}, due=86400.0); b.restore(a.state()); b.due(86400.0)
        [{'threat': 1.0}]
        """
        m = self.model
        return {"weights": [[k, float(v)] for k, v in m._weights.to_dict().items()],  # noqa: SLF001
                "intercept": float(m.intercept), "iterations": int(m.optimizer.n_iterations),
                "n_pos": self.n_pos, "n_neg": self.n_neg,
                "held": [[due, seq, list(x.items())] for due, seq, x in sorted(self.held)],
                "region_rates": self.region_rates.state(), "dept_rates": self.dept_rates.state()}

    def restore(self, state: dict[str, Any]) -> None:
        """Take over a :meth:`state` (learning rate and L2 stay this model's configuration)."""
        from river.utils import VectorDict

        m = self.model
        weights = VectorDict(None)
        weights.update({str(k): float(v) for k, v in state["weights"]})
        m._weights = weights  # noqa: SLF001
        m.intercept = float(state["intercept"])
        m.optimizer.n_iterations = int(state.get("iterations", 0))
        self.n_pos = int(state.get("n_pos", 0))
        self.n_neg = int(state.get("n_neg", 0))
        self.held = [(float(due), int(seq), {str(k): float(v) for k, v in x}) for due, seq, x in state.get("held", [])]
        heapq.heapify(self.held)
        self._held_seq = max((seq for _, seq, _ in self.held), default=0)
        self.region_rates.restore(state.get("region_rates", {}))
        self.dept_rates.restore(state.get("dept_rates", {}))
        self._generation += 1   # memoised partial sums were built from the old weights
        self._heads.clear()

    @property
    def labels(self) -> int:
        """Labels learned so far (positives and negatives)."""
        return self.n_pos + self.n_neg

    @property
    def blend(self) -> float:
        """Share of the learned model in the risk (0: rule prior only, 1: learned model only)."""
        return self._blend()
