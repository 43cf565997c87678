"""The order stage's learned models as data: risk-model state round trip, the quality tracker's figures, the
checkpoint rule (streams/model_state.py). No I/O: the live kill test is in tests/test_faults.py."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from itertools import count

import orjson

from detectors.quality import RiskQuality, pool_reports
from detectors.risk import ComplaintRiskModel, order_features
from streams.model_state import choose_checkpoint, is_empty, model_report, models_state, pool_model_reports, restore_models
from streams.order_stage import OrderStage
from streams.orders import Checks, OrderState
from yujing.config import load_config
from yujing.events import parse_event
from yujing.metrics import roc_auc

TZ = timezone(timedelta(hours=8))
T0 = datetime(2026, 7, 14, 9, 0, tzinfo=TZ)
_ids = count()
CATS = ("complaint", "fault_repair", "consultation", "opinion", "new_category")


def _sample(rng: random.Random) -> tuple[dict[str, float], bool]:
    x = {f"cat={rng.choice(CATS)}": 1.0, f"ch={rng.choice(('hotline', 'app'))}": 1.0,
         "share_max": rng.random() * 2, "urges": float(rng.randint(0, 3)), "neg_max": rng.random(),
         "threat": float(rng.random() < 0.1), f"new_feature_{rng.randint(0, 5)}": rng.random()}
    y = rng.random() < 1 / (1 + 2.718 ** -(x["urges"] + 3 * x["neg_max"] - 4))
    return x, y


def _order(rng: random.Random) -> OrderState:
    o = OrderState(f"WO-{rng.randint(0, 10**6)}")
    o.set_profile(rng.choice(CATS), rng.choice(("hotline", "app")), "regular", "urban", "north")
    o.urges, o.neg_max = rng.randint(0, 3), rng.random()
    o.checks = Checks.from_dict({"feedback": [0.0, 3600.0, 0.0, 1, None]})
    return o


def test_risk_state_round_trip_is_bit_identical_and_keeps_learning_identically() -> None:
    rng = random.Random(3)
    a = ComplaintRiskModel()
    for _ in range(400):
        a.learn_one(*_sample(rng))
    b = ComplaintRiskModel()
    b.learn_one(*_sample(rng))          # a model with other weights and memoised heads ...
    probe = _order(rng)
    b.predict_order(probe, 1000.0)
    b.restore(orjson.loads(orjson.dumps(a.state())))   # ... takes over a's state through JSON
    assert (b.n_pos, b.n_neg) == (a.n_pos, a.n_neg) and b.labels == 400 and b.blend == a.blend
    for _ in range(50):
        x, _ = _sample(rng)
        o = _order(rng)
        assert b.predict_one(x) == a.predict_one(x)
        assert b.predict_order(o, 2000.0) == a.predict_order(o, 2000.0)
    for _ in range(300):                # further learning stays in lock step, bit for bit
        x, y = _sample(rng)
        a.learn_one(x, y)
        b.learn_one(x, y)
        o = _order(rng)
        assert b.predict_order(o, 2000.0) == a.predict_order(o, 2000.0)
        assert b.predict_explain(order_features(o, 2000.0)) == a.predict_explain(order_features(o, 2000.0))
    assert b.state() == a.state()


def test_quality_auc_matches_the_reference_on_the_window() -> None:
    rng = random.Random(7)
    q = RiskQuality(window=300, bins=10)
    seen: list[tuple[float, int]] = []
    for _ in range(1000):
        y = int(rng.random() < 0.2)
        p = round(min(1.0, max(0.0, rng.gauss(0.35 if y else 0.2, 0.15))), 2)   # rounded: ties on purpose
        q.update(p, y)
        seen.append((p, y))
    win = seen[-300:]
    rep = q.report()
    # the AUC of the window, not of the whole history
    assert rep["risk_auc"] == roc_auc([p for p, _ in win], [y for _, y in win]) != \
        roc_auc([p for p, _ in seen], [y for _, y in seen])
    assert abs(rep["brier"] - sum((p - y) ** 2 for p, y in win) / 300) < 1e-12
    assert (rep["labels"], rep["positives"], rep["window"]) == (1000, sum(y for _, y in seen), 300)
    bins = rep["calibration"]
    assert sum(b["n"] for b in bins) == 300 and all(b["lo"] <= b["predicted"] <= b["hi"] for b in bins)
    assert RiskQuality.from_state(orjson.loads(orjson.dumps(q.state()))).report() == rep
    # too few of a class: no AUC yet, but counts and Brier
    young = RiskQuality().update(0.9, 1).update(0.1, 0)
    assert young.report()["risk_auc"] is None and young.report()["labels"] == 2


def _ev(typ: str, minutes: float, order: str, **kw):
    ts = (T0 + timedelta(minutes=minutes)).isoformat()
    return parse_event(dict(event_id=f"m{next(_ids)}", order_id=order, type=typ, ts=ts, **kw))


def _stage_with_labels() -> OrderStage:
    """An order stage that learned positives (escalations), negatives (closed and quiet 24 h) and categories."""
    st = OrderStage(load_config(None))
    for i in range(12):
        oid = f"WO-{i}"
        text = "停电了，快派人来修" if i % 2 else "想咨询一下电费怎么交"
        for e in (_ev("created", i, oid, category="fault_repair" if i % 2 else "consultation", channel="hotline",
                      customer_id=f"C-{i}", customer_tier="regular", region="north", area="urban", text=text),
                  _ev("dispatched", i + 5, oid, department="ops-north"),
                  _ev("escalated", i + 30, oid, to="12398") if i % 3 == 0 else _ev("closed", i + 30, oid, resolution="resolved")):
            st.advance(e.t)
            st.ingest(e)
    st.advance(st.now + 26 * 3600)   # past the label horizon: the closed orders become negatives
    return st


def test_order_stage_scores_every_label_before_learning_it_and_restores_through_json() -> None:
    st = _stage_with_labels()
    assert st.stats["labels_pos"] == 4 and st.stats["labels_neg"] == 8
    assert st.quality.labels == st.risk_model.labels == 12 and st.quality.positives == 4
    rep = model_report(st)
    assert rep["labels"] == 12 and rep["category_labels"] == 12 and rep["blend"] == st.risk_model.blend
    blob = orjson.dumps(models_state(st, "w1", 1.0))
    fresh = OrderStage(load_config(None))
    assert is_empty(fresh)
    restore_models(fresh, orjson.loads(blob))
    assert not is_empty(fresh) and model_report(fresh) == rep
    assert fresh.misfile.predict_proba_one("停电了") == st.misfile.predict_proba_one("停电了")
    o = next(iter(st.orders.values()))
    assert fresh.risk_model.predict_order(o, st.now) == st.risk_model.predict_order(o, st.now)


def test_checkpoint_rule_and_pooled_board_figures() -> None:
    counts = {"w1": {"risk": 10, "category": 500}, "w2": {"risk": 30, "category": 100}, "w3": {"risk": 0, "category": 0}}
    assert choose_checkpoint(counts, "w9") == "w2"                      # most labels
    assert choose_checkpoint({**counts, "w1": {"risk": 30, "category": 100}}, "w1") == "w1"   # own name on a tie
    assert choose_checkpoint({"w3": {"risk": 0, "category": 0}}, "w3") is None              # nothing learned
    st = _stage_with_labels()
    one = model_report(st)
    two = pool_model_reports([one, one])
    assert two["labels"] == 24 and two["positives"] == 8 and two["brier"] == one["brier"]
    assert two["risk_auc"] == one["risk_auc"] and two["category_labels"] == 24 and two["workers"] == 2
    assert [b["n"] for b in two["calibration"]] == [2 * b["n"] for b in one["calibration"]]
    assert pool_reports([one]) == one and pool_model_reports([]) == {}


def test_held_escalations_survive_a_checkpoint_and_are_learned_when_due() -> None:
    """Escalations wait a day before they are learned (``detectors.risk.positive_delay_h``): a worker replaced in
    that day resumes them from the checkpoint, learns them on time, and the board counts them meanwhile."""
    st = OrderStage(load_config(None))
    for i in range(3):
        oid = f"WO-{i}"
        for e in (_ev("created", i, oid, category="complaint", channel="hotline", customer_id=f"C-{i}",
                      customer_tier="regular", region="north", area="urban", text="再不处理我就打12398"),
                  _ev("escalated", i + 30, oid, to="12398")):
            st.advance(e.t)
            st.ingest(e)
    st.advance(st.now + 3600)
    assert st.risk_model.labels == 0 and len(st.risk_model.held) == 3 and not is_empty(st)
    rep = model_report(st)
    assert rep["held_positives"] == 3 and rep["label_delay_h"] == 24
    assert pool_model_reports([rep, rep])["held_positives"] == 6
    fresh = OrderStage(load_config(None))
    restore_models(fresh, orjson.loads(orjson.dumps(models_state(st, "w1", 1.0))))
    assert fresh.risk_model.held == st.risk_model.held and model_report(fresh) == rep
    fresh.advance(st.now)
    fresh.advance(st.now + 24 * 3600)
    assert fresh.stats["labels_pos"] == 3 and fresh.risk_model.n_pos == 3 and not fresh.risk_model.held
    assert fresh.quality.positives == 3     # each judged before it was learned
