"""Tier fusion for one order (detectors/fusion.py): risk thresholds, rule signals, the quick verdict that must agree
with the full condition, per-order lag alerts, and summaries masked exactly as ``mask_pii`` would."""
from __future__ import annotations

import itertools

import pytest

from detectors.fusion import OrderTiering, _mask_summary
from streams.orders import OrderState
from yujing.config import load_config
from yujing.masking import mask_pii


def tiering(**cfg) -> OrderTiering:
    s = load_config(None)
    for k, v in cfg.items():
        setattr(s.detectors.order_tiers, k, v)
    return OrderTiering(s)


def order(**kw) -> OrderState:
    o = OrderState("WO-20260714-0001")
    o.set_profile("complaint", "hotline", "regular", "urban", "north")
    for k, v in kw.items():
        setattr(o, k, v)
    return o


@pytest.mark.parametrize("risk, tier", [(0.9, "red"), (0.75, "red"), (0.7499, "orange"), (0.5, "orange"),
                                        (0.4999, "yellow"), (0.2, "yellow"), (0.08, "blue"), (0.0799, None)])
def test_risk_tiers_start_at_each_threshold(risk, tier):
    assert tiering().risk_tier(risk) == tier


def test_rule_signals_raise_the_tier_and_say_why():
    t = tiering(outage_tier="red", outage_customers=500)
    assert t.signal_tier(order()) == (None, [])
    assert t.signal_tier(order(repeat_24h=1)) == ("yellow", ["repeat_contact_24h"])
    assert t.signal_tier(order(urges=2, threats=1)) == ("orange", ["urged_2x", "escalation_words"])
    assert t.signal_tier(order(affected=499))[0] is None
    assert t.signal_tier(order(affected=500)) == ("red", ["outage_500_customers"])
    assert tiering().signal_tier(order(affected=10_000)) == (None, [])     # outages off by default


@pytest.mark.parametrize("min_tier", ["yellow", "orange"])
def test_the_quick_verdict_agrees_with_the_full_condition(min_tier):
    """verdict_tier decides whether the costly condition is built at all: it must never disagree with it."""
    t = tiering(alert_min_tier=min_tier, outage_tier="red", outage_customers=500)
    for repeat, urges, threats, affected, risk, closed in itertools.product(
            (0, 1), (0, 1), (0, 1), (0, 499, 500), (0.0, 0.3, 0.6, 0.8), (None, 1.0)):
        o = order(repeat_24h=repeat, urges=urges, threats=threats, affected=affected, closed_at=closed)
        cond = t.order_condition(o, {}, risk, [], 100.0)
        assert t.verdict_tier(o, risk) == (cond.tier if cond is not None else None), (repeat, urges, threats,
                                                                                      affected, risk, closed)


def test_an_order_below_the_alert_tier_clears_only_an_alert_it_had():
    t = tiering()
    assert t.order_condition(order(), {}, 0.1, [], 100.0) is None
    cleared = t.order_condition(order(order_tier="orange"), {}, 0.1, [], 100.0)
    assert cleared.kind == "complaint_risk" and cleared.tier is None
    closed = t.order_condition(order(order_tier="red", closed_at=50.0), {}, 0.9, [], 100.0)
    assert closed.tier is None


def test_a_risk_condition_is_masked_and_names_its_reasons():
    o = order(urges=3, last_text="我的电话13812345678，再不来就投诉")
    cond = tiering().order_condition(o, {"share_max": 0.5}, 0.8, ["deadline_used"], 100.0)
    assert (cond.tier, cond.score, cond.scope) == ("red", 0.8, {"order_id": o.order_id, "region": "north"})
    assert cond.evidence["top_factors"] == ["urged_3x", "deadline_used"]
    assert "13812345678" not in str(cond.evidence) and "138****5678" in cond.evidence["last_text"]
    assert cond.summary.startswith("工单 WO-20260714-0001（north·投诉·95598）投诉风险 80%：催办 3 次、时限已用较多")


@pytest.mark.parametrize("level, tier", [(0.75, None), (0.9, "orange"), (0.99, "orange"), (1.0, "red"),
                                         (1.5, "red")])
def test_lag_alerts_start_at_the_configured_share(level, tier):
    cond = tiering().lag_condition(order(), "receive_ack", level, 100.0, 400.0, "receive")
    assert (cond.tier if cond is not None else None) == tier
    if tier is not None:
        assert cond.kind == "receive_lag" and cond.evidence["deadline"] == 400.0
        assert ("已超时" in cond.summary) == (tier == "red")


@pytest.mark.parametrize("head, oid, tail", [
    ("工单 ", "WO-20260714-0001", "23 客户 13812345678"),            # the id runs on into more characters
    ("工单", "WO-20260714-0001", " 客户 13812345678"),               # no space before the id
    ("工单 ", "WO-20260714-0001", " 关联 WO-20260714-0002 13812345678"),   # another order id in the text
    ("工单 ", "WO-20260714-0001", "（north-1·投诉）13812345678"),     # a dash in the rest of the text
    ("工单 ", "13812345678", " 受理")])                               # an "id" that is a phone number
def test_summaries_are_masked_exactly_as_the_whole_text_would_be(head, oid, tail):
    assert _mask_summary(head, oid, tail) == mask_pii(head + oid + tail)
    assert "13812345678" not in _mask_summary(head, oid, tail)


def test_a_risk_condition_keeps_five_reasons_and_never_shows_the_baseline():
    o = order(urges=1, neg_max=0.45678)
    factors = ["baseline", "negative_text", "reopened", "reassigned", "reclassified", "served_late"]
    cond = tiering().order_condition(o, {"share_max": 0.123456}, 0.612345, factors, 100.0)
    assert cond.evidence["top_factors"] == ["urged_1x", "baseline", "negative_text", "reopened", "reassigned"]
    assert cond.summary.endswith("：催办 1 次、客户情绪负面、曾重开、曾转派")
    assert (cond.evidence["risk"], cond.evidence["share_max"], cond.evidence["negativity_max"]) == (
        0.6123, 0.123, 0.457)
    assert cond.stage == "receive" and tiering().order_condition(order(stage="closed", urges=1), {}, 0.6, [],
                                                                 1.0).stage is None
