"""How late an order was served stays with it after its checks close (issue #7: share of the deadline used).

``share_max`` reads the open checks; once a check closes its lateness used to vanish, so an order answered at
twice its promise looked, at its close and at the revisit hours later, like one answered at once.
"""
from __future__ import annotations

import pytest

from streams.order_stage import OrderStage
from streams.orders import OrderState
from yujing.config import load_config

from tests.test_risk_labels import H, T0, created, ev, feed


def served(st: OrderStage, oid: str, arrive_min: float) -> OrderState:
    """A fault report (urban: 45 minutes to arrive on site) whose crew arrives after ``arrive_min``, closed soon after."""
    t0 = T0
    feed(st, [created(oid, t0, cid=f"C-{oid}"), ev(1, oid, "accepted", t0 + 60),
              ev(2, oid, "dispatched", t0 + 120, department="north-repair-1", category="fault_repair"),
              ev(3, oid, "dept_accepted", t0 + 240, department="north-repair-1"),
              ev(4, oid, "arrived", t0 + arrive_min * 60), ev(5, oid, "replied", t0 + (arrive_min + 30) * 60),
              ev(6, oid, "closed", t0 + (arrive_min + 40) * 60, resolution="resolved")])
    return st.orders[oid]


def test_a_crew_arriving_at_twice_the_promise_is_remembered_after_the_close():
    st = OrderStage(load_config(None))
    late, prompt = served(st, "WO-late", 90), served(st, "WO-prompt", 20)
    assert late.closed_at is not None and not late.checks
    assert late.late_peak == pytest.approx(2.0)
    assert prompt.late_peak == 0.0                      # under half its deadline: on time, nothing kept
    t = T0 + 5 * H                                      # hours later, when the revisit comes
    assert st.risk_model.predict_order(late, t)[0] > st.risk_model.predict_order(prompt, t)[0]
    assert "served_late" in st.risk_model.predict_order(late, t)[1]


def test_the_lateness_survives_a_checkpoint_of_the_order():
    st = OrderStage(load_config(None))
    o = served(st, "WO-1", 90)
    back = OrderState.from_dict(o.to_dict())
    assert back.late_peak == o.late_peak > 1.0
    assert st.risk_model.predict_order(back, T0 + 5 * H) == st.risk_model.predict_order(o, T0 + 5 * H)


def test_a_reclassification_moving_a_deadline_is_no_lateness():
    """A check closed and reopened with the same start (a new category's deadline) has not been served."""
    st = OrderStage(load_config(None))
    feed(st, [created("WO-1", T0), ev(1, "WO-1", "accepted", T0 + 60),
              ev(2, "WO-1", "dispatched", T0 + 120, department="north-repair-1", category="fault_repair"),
              ev(3, "WO-1", "reassigned", T0 + 40 * 60, department="north-marketing", category="complaint")])
    o = st.orders["WO-1"]
    assert o.reclass == 1 and "feedback" in o.checks and "dept_accept" in o.checks
    assert o.late_peak == 0.0     # its feedback (89 %) and department-accept (250 %) checks are still open
