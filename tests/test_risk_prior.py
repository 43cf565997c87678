"""The complaint-risk model weighs each piece of evidence once, and learns nothing from when labels are taken
(issue #7, per-order risk).

Measured on both simulators (the public streams' and yujing's own): a dissatisfied revisit is the strongest
post-close sign, the customer's reopening after it is the same dissatisfaction (not a second one), and a breach
is already read through the share of the deadline used (``share_max`` passes 1.0 at the breach). The late labels
take every negative from a closed order and most positives from an open one: where the order is in its life must
not become evidence.
"""
from __future__ import annotations

import math

from detectors.risk import PRIOR_WEIGHTS, ComplaintRiskModel, order_features
from streams.order_stage import OrderStage
from streams.orders import OrderState
from yujing.config import load_config

from tests.test_risk_labels import H, T0, created, ev, feed


def z(p: float) -> float:
    return math.log(p / (1.0 - p))


def test_a_reopening_after_a_dissatisfied_revisit_adds_nothing_of_its_own():
    m = ComplaintRiskModel()
    revisit = {"cat=fault_repair": 1.0, "dissatisfied": 1.0, "neg_max": 0.6}
    assert m.predict_one({**revisit, "reopens": 1.0}) == m.predict_one(revisit)


def test_the_breach_itself_adds_less_than_the_second_half_of_the_deadline_did():
    m = ComplaintRiskModel()
    base = {"cat=fault_repair": 1.0}
    half, just_before, breached = (m.predict_one({**base, "share_max": s, "breached": b})
                                   for s, b in ((0.5, 0.0), (0.99, 0.0), (1.0, 1.0)))
    assert half < just_before < breached
    assert z(breached) - z(just_before) < z(just_before) - z(half)


def test_dissatisfaction_outweighs_a_breach_on_a_closed_order():
    m = ComplaintRiskModel()
    closed = {"cat=consultation": 1.0, "resolution=resolved": 1.0}
    late = m.predict_one({**closed, "breached": 1.0})
    dissatisfied = m.predict_one({**closed, "dissatisfied": 1.0})
    assert dissatisfied > 0.05 > late
    assert PRIOR_WEIGHTS["dissatisfied"] > PRIOR_WEIGHTS["unresolved"] + PRIOR_WEIGHTS["breached"]
    assert math.isclose(z(dissatisfied) - z(m.predict_one(closed)), PRIOR_WEIGHTS["dissatisfied"], abs_tol=1e-9)


def test_through_the_order_stage_the_revisit_not_the_reopening_raises_the_risk():
    st = OrderStage(load_config(None))
    feed(st, [created("WO-1", T0), ev(1, "WO-1", "accepted", T0 + 60), ev(2, "WO-1", "replied", T0 + H),
              ev(3, "WO-1", "closed", T0 + H + 60, resolution="resolved")])
    o = st.orders["WO-1"]
    closed_risk = st.risk_model.predict_order(o, T0 + 2 * H)[0]
    feed(st, [ev(4, "WO-1", "revisited", T0 + 5 * H, satisfaction="dissatisfied")])
    t_rev = T0 + 5 * H
    revisit_risk = st.risk_model.predict_order(o, t_rev)[0]
    x = order_features(o, t_rev, ctx=st.risk_model)
    x_reopened = {**x, "reopens": 1.0}
    assert revisit_risk > 5 * closed_risk
    assert st.risk_model.predict_one(x_reopened) == st.risk_model.predict_one(x)


def test_the_learner_does_not_read_closed_as_safe_from_the_label_timing():
    st = OrderStage(load_config(None))
    events = []
    for k in range(40):   # the same customer signal (one urge); the escalations come while open, as they do
        oid, t0 = f"WO-{k}", T0 + k * 600
        events += [created(oid, t0, cid=f"C-{k}"), ev(1, oid, "accepted", t0 + 60),
                   ev(2, oid, "urged", t0 + 1800)]
        if k % 2:
            events.append(ev(3, oid, "escalated", t0 + 2400, to="complaint"))
        else:
            events += [ev(3, oid, "replied", t0 + 2400), ev(4, oid, "closed", t0 + 2500, resolution="resolved")]
    events.append(ev(0, "WO-late", "created", T0 + 40 * H, category="fault_repair", channel="hotline",
                     customer_id="C-x", customer_tier="regular", region="north", area="urban"))
    feed(st, events)
    m = st.risk_model
    assert m.n_pos == 20 and m.n_neg == 20
    assert not [k for k in m.model._weights if k.startswith("stage=") or k == "closed"]
    closed = st.orders["WO-0"]
    still_open = OrderState.from_dict(closed.to_dict())   # the same order and signals, not closed (yet)
    still_open.closed_at, still_open.stage, still_open.resolution = None, "feedback", None
    t = T0 + 41 * H
    assert m.predict_order(still_open, t) == m.predict_order(closed, t)
    assert m.predict_one(order_features(still_open, t, ctx=m)) == m.predict_one(order_features(closed, t, ctx=m))
