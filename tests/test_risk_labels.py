"""Late labels for the complaint-risk model: used when they arrive, and nothing leaks from the future.

An ``escalated`` event is a positive label hours after the signals; a closed order that stays quiet for
``tracking.closed_label_after_h`` is a negative one. The model learns each from what was known before it
(progressive validation: every risk score is made before its own label is learned), and a positive as long after
it arrives as a negative waits (``detectors.risk.positive_delay_h``), so that both reach the learner at the rate
they happen.
"""
from __future__ import annotations

from typing import Any

from detectors.risk import ComplaintRiskModel
from streams.order_stage import OrderStage
from yujing.config import load_config
from yujing.events import parse_event

T0 = 1_784_000_000.0
H = 3600.0


class RecordingModel(ComplaintRiskModel):
    """The real model, noting each label it learns (with the stage's clock at that moment)."""

    def __init__(self) -> None:
        super().__init__()
        self.stage: OrderStage | None = None
        self.learned: list[tuple[float, dict[str, float], bool]] = []

    def learn_one(self, x: dict[str, float], y: bool) -> "RecordingModel":
        self.learned.append((self.stage.now if self.stage else 0.0, dict(x), bool(y)))
        super().learn_one(x, y)
        return self


def stage_with_recorder(positive_delay_h: float | None = None) -> tuple[OrderStage, RecordingModel]:
    settings = load_config(None)
    settings.detectors.risk.positive_delay_h = positive_delay_h
    model = RecordingModel()
    st = OrderStage(settings, risk_model=model)
    model.stage = st
    return st, model


def ev(i: int, oid: str, typ: str, t: float, **kw: Any):
    return parse_event({"event_id": f"{oid}-{i}", "order_id": oid, "type": typ, "ts": _iso(t), **kw})


def _iso(t: float) -> str:
    from datetime import datetime, timedelta, timezone
    return datetime.fromtimestamp(t, timezone(timedelta(hours=8))).isoformat()


def created(oid: str, t: float, cid: str = "C-1"):
    return ev(0, oid, "created", t, category="fault_repair", channel="hotline", customer_id=cid,
              customer_tier="regular", region="north", area="urban")


def feed(st: OrderStage, events: list) -> list:
    risks = []
    for e in sorted(events, key=lambda e: e.t):
        st.advance(e.t)
        out = st.ingest(e)
        risks.extend(out.risks)
    return risks


def _escalated_order(st: OrderStage, t_esc: float) -> None:
    feed(st, [created("WO-1", T0), ev(1, "WO-1", "accepted", T0 + 60),
              ev(2, "WO-1", "urged", T0 + 2 * H, text="再不来我就打12398"),
              ev(3, "WO-1", "escalated", t_esc, to="12398"),
              ev(4, "WO-1", "customer_message", t_esc + 600, text="我还要找媒体曝光"),
              ev(5, "WO-1", "urged", t_esc + 900)])


def test_escalation_is_learned_a_day_after_it_arrives_from_the_order_as_it_stood_before():
    st, model = stage_with_recorder()
    t_esc = T0 + 5 * H
    delay = load_config(None).tracking.closed_label_after_h * H      # as long as a negative waits
    _escalated_order(st, t_esc)
    t = t_esc + 900
    while t < t_esc + delay + 2 * H:    # the clock moves on (housekeeping, which labels, runs hourly)
        assert [y for _, _, y in model.learned if y] == [] or t >= t_esc + delay
        t += 600
        st.advance(t)
    positives = [(t, x) for t, x, y in model.learned if y]
    assert len(positives) == 1
    t, x = positives[0]
    assert t_esc + delay <= t <= t_esc + delay + H + 600
    assert x["urges"] == 1.0 and x["threat"] == 1.0      # what was known before it ...
    assert x["messages"] == 0.0                          # ... and nothing of what came after it
    assert st.stats["labels_pos"] == 1 and st.stats["labels_neg"] == 0 and not model.held


def test_with_no_delay_an_escalation_is_learned_the_moment_it_arrives():
    st, model = stage_with_recorder(positive_delay_h=0)
    t_esc = T0 + 5 * H
    _escalated_order(st, t_esc)
    positives = [(t, x) for t, x, y in model.learned if y]
    assert [t for t, _ in positives] == [t_esc] and positives[0][1]["messages"] == 0.0


DAY_ONE = 3200


def _first_day(st: OrderStage, n: int = DAY_ONE) -> None:
    """A fresh model's first day (a large province's morning): every 10th of ``n`` quiet fault reports escalates
    an hour after filing (an angry text, an urge); the rest are closed within two hours and stay quiet — negatives
    only a day later."""
    events = []
    for i in range(n):
        oid, t = f"WO-{i}", T0 + i * 20 * H / n
        events.append(created(oid, t, cid=f"C-{i}"))
        if i % 10 == 0:
            events += [ev(1, oid, "urged", t + 1800, text="怎么还没人来，太差了"),
                       ev(2, oid, "escalated", t + H, to="12398")]
        else:
            events.append(ev(1, oid, "closed", t + 2 * H, resolution="resolved"))
    feed(st, events)
    st.advance(T0 + 23 * H)


def test_a_first_day_of_escalations_alone_does_not_teach_that_every_order_escalates():
    """Learned as they arrive, the first day's escalations (320 of 3,200 orders, no negative known yet) push the
    model towards "every order escalates": a quiet order's risk more than doubles. Held as long as negatives
    wait, the first day is judged by the rule prior."""
    risks = {}
    for delay in (None, 0):
        st, model = stage_with_recorder(positive_delay_h=delay)
        _first_day(st)
        quiet = st.orders["WO-1"]                        # closed, quiet, never escalated
        risks[delay] = model.predict_order(quiet, T0 + 23 * H)[0]
        assert st.stats["labels_neg"] == 0
        escalated = DAY_ONE // 10
        assert (st.stats["labels_pos"], len(model.held)) == ((0, escalated) if delay is None else (escalated, 0))
    prior = ComplaintRiskModel().predict_order(st.orders["WO-1"], T0 + 23 * H)[0]
    assert risks[None] == prior
    assert risks[0] > 2 * prior, risks             # 320 positives: 0.043 -> 0.099


def test_negative_label_only_after_the_quiet_horizon_and_never_for_a_late_escalation():
    st, model = stage_with_recorder(positive_delay_h=0)    # the escalation learned at once: it comes first
    horizon = load_config(None).tracking.closed_label_after_h * H
    closed_at = T0 + 3 * H
    feed(st, [created("WO-A", T0, "C-A"), ev(1, "WO-A", "closed", closed_at, resolution="resolved"),
              created("WO-B", T0, "C-B"), ev(1, "WO-B", "closed", closed_at, resolution="resolved"),
              ev(2, "WO-B", "escalated", closed_at + 5 * H, to="complaint")])  # angry after closing
    st.advance(closed_at + horizon - 60)
    assert [y for _, _, y in model.learned] == [True]   # only B's escalation so far; A not yet labelled
    t = closed_at + horizon - 60
    while t < closed_at + horizon + 2 * H:      # the clock moves on (housekeeping, which labels, runs hourly)
        t += 600
        st.advance(t)
    labels = [(t, y) for t, _, y in model.learned]
    assert [y for _, y in labels] == [True, False]
    t_neg = labels[1][0]
    assert closed_at + horizon <= t_neg <= closed_at + horizon + H + 60   # waited out the horizon, no longer
    assert st.stats["labels_neg"] == 1                  # B escalated: never a negative


def test_scores_before_a_label_do_not_depend_on_it():
    """Progressive validation: the same events with and without the late escalation give the same risk records
    up to the escalation; only afterwards may the model's learning change anything."""
    base = [created(f"WO-{i}", T0 + i * 60, f"C-{i}") for i in range(30)]
    base += [ev(1, f"WO-{i}", "urged", T0 + i * 60 + H, text="怎么还没人来") for i in range(0, 30, 3)]
    t_esc = T0 + 2 * H
    with_label, _ = stage_with_recorder()
    without, _ = stage_with_recorder()
    r1 = feed(with_label, base + [ev(9, "WO-3", "escalated", t_esc, to="complaint")])
    r0 = feed(without, base)
    before = lambda rs: [r.to_dict() for r in rs if r.ts < t_esc]  # noqa: E731
    assert before(r1) == before(r0) and before(r1)
