"""The ``pressure`` risk feature: how hard a customer is chasing an order right now (decayed contacts).

It must rise with a burst of urges, fade when they stop, know nothing of a contact after its record's time
(no leak from the future, also for the positive label taken at an escalation) and survive a checkpoint.
"""
from __future__ import annotations

import math

from detectors.risk import PRESSURE_TAU_S, ComplaintRiskModel, order_features, pressure, press
from streams.orders import OrderState
from tests.test_risk_labels import H, T0, created, ev, feed, stage_with_recorder


def test_a_burst_of_urges_reads_higher_than_the_same_urges_spread_out():
    burst, spread = OrderState("WO-B"), OrderState("WO-S")
    for k in range(3):
        press(burst, T0 + k * 300.0)          # three urges within ten minutes
        press(spread, T0 + k * 6 * H)         # three urges six hours apart
    assert round(pressure(burst, T0 + 600.0), 3) == round(sum(math.exp(-(600.0 - k * 300.0) / PRESSURE_TAU_S)
                                                              for k in range(3)), 3) == 2.879
    assert round(pressure(spread, T0 + 12 * H), 3) == round(1 + math.exp(-3.0) + math.exp(-6.0), 3) == 1.052
    m = ComplaintRiskModel()
    assert m.predict_order(burst, T0 + 600.0)[0] > m.predict_order(spread, T0 + 12 * H)[0]


def test_pressure_fades_when_the_customer_stops_chasing():
    o = OrderState("WO-1")
    press(o, T0)
    assert pressure(o, T0) == 1.0
    assert round(pressure(o, T0 + PRESSURE_TAU_S), 4) == round(math.exp(-1.0), 4)
    assert pressure(o, T0 + 24 * H) < 1e-5


def test_a_late_delivered_contact_counts_as_much_as_it_weighs_now():
    in_order, late = OrderState("WO-1"), OrderState("WO-2")
    press(in_order, T0)
    press(in_order, T0 + 1800.0)
    press(late, T0 + 1800.0)
    press(late, T0)                            # delivered after the later one
    assert math.isclose(pressure(late, T0 + 3600.0), pressure(in_order, T0 + 3600.0), rel_tol=1e-12)


def test_the_feature_knows_nothing_of_contacts_after_its_time():
    st, model = stage_with_recorder(positive_delay_h=0)   # the positive learned at once, as the escalation comes
    t_esc = T0 + 5 * H
    risks = feed(st, [created("WO-1", T0), ev(1, "WO-1", "accepted", T0 + 60),
                      ev(2, "WO-1", "urged", T0 + 4 * H), ev(3, "WO-1", "escalated", t_esc, to="12398"),
                      ev(4, "WO-1", "urged", t_esc + 60), ev(5, "WO-1", "customer_message", t_esc + 120, text="还没人管？")])
    (t, x), = [(t, x) for t, x, y in model.learned if y]
    # the positive example holds the one urge before the escalation, decayed to the escalation's time
    assert round(x["pressure"], 4) == round(math.exp(-H / PRESSURE_TAU_S), 4)
    # and every risk record before the escalation was scored from what was known at its own time
    o = st.orders["WO-1"]
    assert pressure(o, t_esc + 120) > 2.0
    before = [r for r in risks if r.ts < t_esc]
    assert before and all(r.ts <= T0 + 4 * H for r in before)


def test_pressure_survives_a_checkpoint_of_the_order():
    st, _ = stage_with_recorder()
    feed(st, [created("WO-1", T0), ev(1, "WO-1", "urged", T0 + 600), ev(2, "WO-1", "urged", T0 + 900)])
    o = st.orders["WO-1"]
    back = OrderState.from_dict(o.to_dict())
    t = T0 + 2 * H
    assert pressure(back, t) == pressure(o, t) > 0
    assert order_features(back, t) == order_features(o, t)


def test_every_risk_factor_reads_in_chinese():
    """The board and notifications say a risk's top factors in Chinese: a factor without a translation would show
    its English code name to a duty manager."""
    from detectors.fusion import REASON_ZH
    from detectors.risk import FACTOR_TEXT

    assert set(FACTOR_TEXT.values()) <= set(REASON_ZH)


def test_the_time_constant_is_configuration():
    """``detectors.risk.pressure_tau_min`` sets how fast a customer's chasing fades, in the stage and the model."""
    from streams.order_stage import OrderStage
    from yujing.config import load_config

    s = load_config(None)
    s.detectors.risk.pressure_tau_min = 30.0
    st = OrderStage(s)
    feed(st, [created("WO-1", T0), ev(1, "WO-1", "urged", T0 + 600)])
    x = order_features(st.orders["WO-1"], T0 + 600 + 1800, ctx=st.risk_model)
    assert round(x["pressure"], 4) == round(math.exp(-1.0), 4)            # one time constant: 30 min
    default = OrderStage(load_config(None))
    feed(default, [created("WO-1", T0), ev(1, "WO-1", "urged", T0 + 600)])
    y = order_features(default.orders["WO-1"], T0 + 600 + 1800, ctx=default.risk_model)
    assert round(y["pressure"], 4) == round(math.exp(-0.25), 4)           # the default two hours
