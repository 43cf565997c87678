"""The recent escalation rate of an order's region and department (a complaint-risk feature): it rises for a key
after escalations there, reads the province rate for a key with few orders, and knows only the past."""
from __future__ import annotations

from detectors.escalation_rate import EscalationRate
from detectors.risk import order_features
from streams.order_stage import OrderStage
from yujing.config import load_config
from yujing.events import parse_event

T0 = 1_784_000_000.0
H = 3600.0


def _iso(t: float) -> str:
    from datetime import datetime, timedelta, timezone
    return datetime.fromtimestamp(t, timezone(timedelta(hours=8))).isoformat()


def ev(oid: str, i: int, typ: str, t: float, **kw):
    return parse_event({"event_id": f"{oid}-{i}", "order_id": oid, "type": typ, "ts": _iso(t), **kw})


def order_events(n: int, region: str, dept: str, t: float) -> list:
    """``n`` orders in ``region`` sent to ``dept``, one a minute from ``t``."""
    out = []
    for k in range(n):
        oid, tk = f"WO-{region}-{k}", t + 60.0 * k
        out += [ev(oid, 0, "created", tk, category="consultation", channel="hotline", customer_id=f"C-{region}-{k}",
                   customer_tier="regular", region=region, area="urban"),
                ev(oid, 1, "dispatched", tk + 30, department=dept)]
    return out


def feed(st: OrderStage, events: list) -> list:
    risks = []
    for e in sorted(events, key=lambda e: e.t):
        st.advance(e.t)
        risks.extend(st.ingest(e).risks)
    return risks


def test_rate_rises_after_escalations_and_a_quiet_key_reads_the_province():
    r = EscalationRate(half_life_h=12.0)
    for i in range(300):
        r.seen(("north", "south", "west")[i % 3], i * 60.0)
    r.escalated("south", 301 * 60.0)
    before = r.log_ratio("north")
    for i in range(4):
        r.escalated("north", 302 * 60.0 + i)
    assert r.log_ratio("north") > before and r.log_ratio("north") > 0.3
    assert r.log_ratio("west") < 0                          # no escalations among its 100 orders: below
    assert r.log_ratio("harbor") == 0.0 == r.log_ratio(None)   # never seen: the province
    r.seen("harbor", 400 * 60.0)                            # one order: still close to the province
    assert abs(r.log_ratio("harbor")) < 0.1


def test_rate_decays_back_when_escalations_stop():
    r = EscalationRate(half_life_h=6.0)
    for i in range(200):
        r.seen("north" if i % 2 else "south", i * 60.0)
    for i in range(5):
        r.escalated("north", 200 * 60.0 + i)
    r.escalated("south", 200 * 60.0 + 10)
    hot = r.log_ratio("north")
    for i in range(400):   # two days of calm orders in both, a few escalations in the south only
        t = 210 * 60.0 + i * 430.0
        r.seen("north" if i % 2 else "south", t)
        if i % 80 == 0:
            r.escalated("south", t + 1)
    assert r.log_ratio("north") < hot / 2


def test_order_stage_feature_follows_escalations_of_the_department_and_never_the_future():
    st = OrderStage(load_config(None))
    events = order_events(60, "north", "north-repair-1", T0) + order_events(60, "south", "south-repair-1", T0)
    feed(st, events)
    probe = st.orders["WO-north-0"]
    calm = order_features(probe, T0 + 2 * H, ctx=st.risk_model)
    t_esc = T0 + 2 * H
    feed(st, [ev(f"WO-north-{k}", 9, "escalated", t_esc + k, to="12398") for k in range(1, 5)]
         + [ev("WO-south-1", 9, "escalated", t_esc + 10, to="12398")])
    hot = order_features(probe, t_esc + 20, ctx=st.risk_model)
    assert hot["dept_esc"] > calm["dept_esc"] and hot["dept_esc"] > 0.2   # 4 in 60 against 5 in 120
    assert hot["region_esc"] > calm["region_esc"]
    south = order_features(st.orders["WO-south-0"], t_esc + 20, ctx=st.risk_model)
    assert south["dept_esc"] < hot["dept_esc"]

    # only the past: the same stream without the later escalations scores every earlier moment the same
    twin = OrderStage(load_config(None))
    assert [(r.order_id, r.risk) for r in feed(twin, events)] == \
           [(r.order_id, r.risk) for r in feed(OrderStage(load_config(None)), events)]


def test_positive_label_holds_the_rate_from_before_its_own_escalation():
    st = OrderStage(load_config(None))
    feed(st, order_events(40, "north", "north-repair-1", T0) + order_events(40, "south", "south-repair-1", T0))
    learned = []
    st.risk_model.learn_one = lambda x, y: learned.append((dict(x), y)) or st.risk_model   # note, don't learn
    before = order_features(st.orders["WO-north-3"], T0 + 3 * H, ctx=st.risk_model)["dept_esc"]
    feed(st, [ev("WO-north-3", 9, "escalated", T0 + 3 * H, to="12398")])
    assert learned == [] and len(st.risk_model.held) == 1          # learned a day later (positive_delay_h)
    st.advance(T0 + 28 * H)
    (x, y), = learned
    assert y is True and x["dept_esc"] == before
    after = order_features(st.orders["WO-north-4"], T0 + 3 * H + 1, ctx=st.risk_model)["dept_esc"]
    assert after > before
