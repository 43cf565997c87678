"""The order stage on hand-made event sequences: stages, SLA clocks, timers, and awkward input."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from streams import signals as S
from streams.order_stage import OrderStage
from yujing.config import load_config
from yujing.events import parse_event

TZ = timezone(timedelta(hours=8))
T0 = datetime(2026, 7, 14, 9, 0, tzinfo=TZ)  # a Tuesday
_ids = count()


def ev(typ: str, minutes: float, order: str = "WO-1", **kw):
    ts = (T0 + timedelta(minutes=minutes)).isoformat()
    return parse_event(dict(event_id=kw.pop("event_id", f"e{next(_ids)}"), order_id=order, type=typ, ts=ts, **kw))


def created(minutes: float = 0, order: str = "WO-1", **kw):
    base = dict(category="fault_repair", channel="hotline", customer_id="C-1", customer_tier="regular",
                region="north", area="urban")
    base.update(kw)
    return ev("created", minutes, order, **base)


@pytest.fixture
def stage() -> OrderStage:
    return OrderStage(load_config(None))


def run(stage: OrderStage, *events):
    outs = []
    for e in events:
        outs.append(stage.advance(e.t))
        outs.append(stage.ingest(e))
    return outs


def kinds(outs, kind):
    return [s for o in outs for s in o.signals if s.kind == kind]


def test_stage_transitions_and_checks(stage):
    run(stage, created(0))
    o = stage.orders["WO-1"]
    assert o.stage == "receive" and set(o.checks) == {"receive_ack", "feedback"}
    run(stage, ev("accepted", 2))
    assert o.stage == "decompose" and set(o.checks) == {"dispatch", "feedback"}
    run(stage, ev("dispatched", 4, department="north-repair-1"))
    assert set(o.checks) == {"dept_accept", "feedback"} and o.department == "north-repair-1"
    run(stage, ev("dept_accepted", 6))
    assert o.stage == "feedback" and set(o.checks) == {"feedback"}
    run(stage, ev("arrived", 30))          # fault repair: arrival is the feedback milestone
    assert o.checks == {}
    run(stage, ev("closed", 200, resolution="resolved"))
    assert o.stage == "closed" and o.closed_at is not None


def test_deadlines_follow_channel_area_and_customer_tier(stage):
    run(stage, created(0, "A", channel="app", customer_tier="premium", area="rural"))
    o = stage.orders["A"]
    recv = o.checks.get("receive_ack")
    assert recv[1] - recv[0] == pytest.approx(30 * 60 * 0.67)
    fb = o.checks.get("feedback")
    assert fb[1] - fb[0] == pytest.approx(90 * 60 * 0.67)


def test_silent_order_is_noticed_at_its_deadline(stage):
    run(stage, created(0))
    deadline = stage.orders["WO-1"].checks.get("receive_ack")[1]
    early = stage.advance(deadline - 1)
    assert not [c for c in early.conditions if c.tier == "red"]
    out = stage.advance(deadline)
    reds = [c for c in out.conditions if c.kind == "receive_lag" and c.tier == "red"]
    assert len(reds) == 1 and reds[0].ts == deadline
    crosses = [s.value for s in out.signals if s.kind == S.CROSS]
    assert crosses == [1.0]


def test_pause_stops_the_feedback_clock(stage):
    run(stage, created(0, category="service_request", channel="web"), ev("accepted", 5),
        ev("dispatched", 10, department="d1"), ev("dept_accepted", 20))
    o = stage.orders["WO-1"]
    before = o.checks.get("feedback")[1]
    run(stage, ev("paused", 60), ev("resumed", 60 + 600))
    assert o.checks.get("feedback")[1] == pytest.approx(before + 600 * 60)


def test_consultation_deadline_skips_the_weekend():
    stage = OrderStage(load_config(None))
    fri = datetime(2026, 7, 17, 12, 0, tzinfo=TZ)
    e = parse_event(dict(event_id="c1", order_id="C", type="created", ts=fri.isoformat(), category="consultation",
                         channel="web", customer_id="C-9", customer_tier="regular", region="r", area="urban"))
    stage.ingest(e)
    deadline = stage.orders["C"].checks.get("feedback")[1]
    assert datetime.fromtimestamp(deadline, TZ) == datetime(2026, 7, 20, 12, 0, tzinfo=TZ)


def test_reclassification_and_bounce_are_signalled(stage):
    outs = run(stage, created(0, category="consultation", channel="wechat"), ev("accepted", 1),
               ev("dispatched", 3, department="d-market", category="fault_repair"),
               ev("reassigned", 8, department="d-repair", reason="wrong department"))
    assert len(kinds(outs, S.RECLASS)) == 1 and len(kinds(outs, S.BOUNCE)) == 1
    o = stage.orders["WO-1"]
    assert o.category == "fault_repair" and o.reclass == 1 and o.bounces == 1 and o.department == "d-repair"


def test_department_counts_move_with_the_order(stage):
    """An open check leaves the old department's counts and joins the new one's (no negative backlogs)."""
    outs = run(stage, created(0), ev("accepted", 1), ev("dispatched", 2, department="d1"),
               ev("reassigned", 5, department="d2"))
    per_dept: dict[str, int] = {}
    for s in (s for o in outs for s in o.signals):
        if s.department and s.kind in (S.OPEN, S.CLOSE):
            per_dept[s.department] = per_dept.get(s.department, 0) + (1 if s.kind == S.OPEN else -1)
    assert per_dept == {"d1": 0, "d2": 2}   # dept_accept and feedback now count under d2


def test_repeat_contact_within_24h(stage):
    outs = run(stage, created(0, "A"), created(60, "B"))
    assert stage.orders["B"].repeat_24h == 1
    assert [s.order_id for s in kinds(outs, S.REPEAT)] == ["B"]


def test_duplicate_event_is_ignored(stage):
    e = created(0)
    run(stage, e)
    out = stage.ingest(e)
    assert out.signals == [] and stage.stats["duplicates"] == 1


def test_orphan_events_are_held_until_created(stage):
    run(stage, ev("accepted", 2))
    assert stage.orders["WO-1"].created is None and stage.stats["orphans_held"] == 1
    run(stage, created(0))
    o = stage.orders["WO-1"]
    assert o.accepted is not None and "receive_ack" not in o.checks and stage.stats["orphans_applied"] == 1


def test_out_of_order_milestones_do_not_move_stages_backwards(stage):
    run(stage, created(0), ev("dept_accepted", 10, department="d1"), ev("accepted", 2))
    o = stage.orders["WO-1"]
    assert o.stage == "feedback" and "receive_ack" not in o.checks


def test_events_after_close_are_legal(stage):
    run(stage, created(0), ev("closed", 30), ev("revisited", 300, satisfaction="dissatisfied", text="很不满意"),
        ev("escalated", 400, to="12398"))
    o = stage.orders["WO-1"]
    assert o.satisfaction == "dissatisfied" and o.escalated_at is not None
    assert len(stage.risk_model.held) == 1              # a positive label, learned a day later (positive_delay_h)
    stage.advance(T0.timestamp() + 32 * 3600)            # the escalation came at 400 min
    assert stage.stats["labels_pos"] == 1 and not stage.risk_model.held


def test_orders_that_never_close_are_evicted():
    settings = load_config(None)
    settings.tracking.evict_after_h = 1
    stage = OrderStage(settings)
    run(stage, created(0))
    out = stage.advance(T0.timestamp() + 2 * 3600)
    assert "WO-1" not in stage.orders and stage.stats["evicted"] == 1
    assert out.settled == ["WO-1"]          # the live shell takes it off the board's risk keys


def test_an_order_closed_and_quiet_past_the_label_horizon_is_settled_once():
    """Closed and quiet past the label horizon: labelled negative and named settled (its risk is no longer news
    for the board); one escalated after closing is not, nor one that closed a day later, until its turn."""
    settings = load_config(None)
    stage = OrderStage(settings)
    horizon_min = settings.tracking.closed_label_after_h * 60
    outs = run(stage, created(0), ev("closed", 30, resolution="resolved"),
               created(0, order="WO-2", customer_id="C-2"), ev("closed", 30, order="WO-2", resolution="resolved"),
               ev("escalated", 90, order="WO-2", to="complaint"),
               created(0, order="WO-3", customer_id="C-3"),
               ev("closed", 30 + 24 * 60, order="WO-3", resolution="resolved"),
               ev("urged", 30 + horizon_min + 180, order="WO-3"))   # WO-3 still within its horizon here
    assert [oid for o in outs for oid in o.settled] == ["WO-1"] and stage.stats["labels_neg"] == 1
    assert "WO-1" in stage.orders           # still held (until evicted), only no longer shown as a risk


def test_threat_words_raise_a_complaint_risk_alert(stage):
    outs = run(stage, created(0), ev("urged", 20, text="再不来我就打12398投诉你们！"))
    conds = [c for o in outs for c in o.conditions if c.kind == "complaint_risk"]
    assert conds and conds[-1].tier in ("orange", "red")
    assert "escalation_words" in conds[-1].evidence["top_factors"]


def test_escalation_intent_counts_and_raises_the_risk(stage):
    """"I have recorded this; if it is not fixed today…" is pressure before any threat word: it is counted
    (once per text), named among the risk factors, and the risk is higher than for the same order without it."""
    calm = OrderStage(load_config(None))
    run(calm, created(0), ev("urged", 20, text="你们到底什么时候来？"))
    outs = run(stage, created(0), ev("urged", 20, text="我已经录音了，如果今天还不处理，我就天天打电话！"))
    o = stage.orders["WO-1"]
    assert o.intents == 1 and o.threats == 0
    risks = [r for out in outs for r in out.risks]
    assert "escalation_intent" in risks[-1].top_factors
    assert risks[-1].risk > calm.orders["WO-1"].risk


def test_reclassified_order_is_not_late_by_its_old_deadline(stage):
    """Reclassified from fault repair (45-min arrival) to a complaint (a day to reply): the feedback check reopens
    with the new deadline, and the old deadline's timers must not fire on it."""
    run(stage, created(0), ev("accepted", 1), ev("dispatched", 3, department="d1", category="complaint"))
    o = stage.orders["WO-1"]
    assert o.category == "complaint" and o.checks.get("feedback")[1] - o.checks.get("feedback")[0] >= 24 * 3600
    out = stage.advance(o.created + 3 * 3600)   # long past the 45-min arrival deadline
    late = [s for s in out.signals if s.kind == S.CROSS and s.check == "feedback"]
    assert late == [] and o.checks.get("feedback")[2] == 0.0
    assert not [c for c in out.conditions if c.kind == "feedback_lag"]


def test_one_timer_entry_per_order_and_levels_fire_in_order(stage):
    run(stage, created(0))
    assert len(stage.heap) == 1                  # the earliest of receive_ack's and feedback's next levels
    deadline = stage.orders["WO-1"].checks.get("receive_ack")[1]
    out = stage.advance(deadline + 1)
    crosses = [s.value for s in out.signals if s.kind == S.CROSS and s.check == "receive_ack"]
    assert crosses == [0.5, 0.75, 0.9, 1.0]
    assert len(stage.heap) == 1                  # receive_ack has no level left; feedback's next one remains
    assert stage.heap[0] is stage.orders["WO-1"].timer


def test_order_state_round_trip_keeps_duplicates_known(stage):
    import orjson

    from streams.orders import OrderState

    run(stage, created(0, event_id="x-1"), ev("accepted", 1, event_id="x-2"))
    o = stage.orders["WO-1"]
    back = OrderState.from_dict(orjson.loads(orjson.dumps(o.to_dict())))
    assert back.seen == o.seen and back.checks == o.checks and back.timer is None
    assert not back.remember("x-2", 64) and back.remember("x-3", 64)
    legacy = {**o.to_dict(), "seen": ["x-1", "x-2"]}          # written before the digests
    old = OrderState.from_dict(legacy)
    assert not old.remember("x-1", 64) and old.seen[:16] == o.seen[:16]


def test_order_record_is_the_mapping_without_its_keys_and_reads_old_mappings(stage):
    """The worker's table value (``to_record``): every field survives the JSON round trip, changelogs written as
    mappings still read, and anything else is refused rather than read as an empty order."""
    import orjson

    from streams.orders import OrderState

    run(stage, created(0, event_id="x-1", category="consultation", text="停电三天了，再不来就打12398"),
        ev("accepted", 1, event_id="x-2"), ev("dispatched", 2, department="d1", category="fault_repair"),
        ev("urged", 3))
    o = stage.orders["WO-1"]
    raw = orjson.dumps(o.to_record())
    back = OrderState.from_record(orjson.loads(raw))
    assert back.to_dict() == o.to_dict()
    assert back.urges == 1 and back.created_category != back.category and back.checks == o.checks
    assert len(raw) < 0.6 * len(orjson.dumps(o.to_dict()))
    assert OrderState.from_record(orjson.loads(orjson.dumps(o.to_dict()))).to_dict() == o.to_dict()
    with pytest.raises(ValueError):
        OrderState.from_record(["o1", *o.to_record()[1:]])


def test_levels_passed_at_one_instant_give_every_crossing_but_one_verdict(stage):
    """A worker catching up on an order it took over passes 50 … 100 % at one instant: the scopes count every
    crossing, the order's alert hears only the last (90 % then 100 % at one instant flapped a red alert down and up
    in the kill -9 test)."""
    from streams.order_stage import StageOut

    run(stage, created(0))                                   # hotline: the call must be taken within 5 minutes
    o = stage.orders["WO-1"]
    out = StageOut()
    stage._cross_due(o, "receive_ack", (T0 + timedelta(minutes=6)).timestamp(), out)
    assert [s.value for s in out.signals if s.kind == S.CROSS] == [0.5, 0.75, 0.9, 1.0]
    assert [(c.kind, c.tier) for c in out.conditions if c.kind == "receive_lag"] == [("receive_lag", "red")]


def test_a_paused_order_raises_nothing_until_it_resumes_and_then_counts_from_its_moved_deadline(stage):
    run(stage, created(0, category="service_request", channel="web"), ev("accepted", 5),
        ev("dispatched", 10, department="d1"), ev("dept_accepted", 20), ev("paused", 60))
    o = stage.orders["WO-1"]
    start, before = o.checks.get("feedback")[:2]
    paused = stage.advance(before + 10)
    assert [s for s in paused.signals if s.kind == S.CROSS] == [] and paused.conditions == []
    gap = before + 10 - (T0.timestamp() + 3600)
    run(stage, ev("resumed", (before + 10 - T0.timestamp()) / 60))
    after = o.checks.get("feedback")[1]
    assert after == pytest.approx(before + gap)
    out = stage.advance(after - 1)
    assert [s.value for s in out.signals if s.kind == S.CROSS] == [0.5, 0.75, 0.9]
    assert [s.value for s in stage.advance(after).signals if s.kind == S.CROSS] == [1.0]


def test_a_milestone_after_close_is_counted_and_ignored(stage):
    run(stage, created(0), ev("closed", 30), ev("accepted", 40))
    o = stage.orders["WO-1"]
    assert o.accepted is None and o.stage == "closed" and stage.stats["after_close"] == 1


def test_an_event_older_than_the_clock_is_counted_late(stage):
    run(stage, created(0))
    stage.advance(T0.timestamp() + 600)
    stage.ingest(ev("accepted", 1))
    assert stage.stats["late"] == 1 and stage.orders["WO-1"].accepted == T0.timestamp() + 60


def test_serving_an_order_clears_its_lag_alert(stage):
    run(stage, created(0))
    late = stage.advance(T0.timestamp() + 6 * 60)
    assert [(c.kind, c.tier) for c in late.conditions] == [("receive_lag", "orange"), ("receive_lag", "red")]
    outs = run(stage, ev("accepted", 7))
    assert [(c.kind, c.tier) for o in outs for c in o.conditions] == [("receive_lag", None)]


def test_serving_an_order_in_time_clears_nothing(stage):
    outs = run(stage, created(0), ev("accepted", 2))
    assert [c for o in outs for c in o.conditions if c.kind == "receive_lag"] == []


def test_held_events_are_applied_in_their_own_time_order(stage):
    run(stage, ev("dispatched", 4, department="d1"), ev("accepted", 2))
    assert stage.stats["orphans_held"] == 2
    run(stage, created(0))
    o = stage.orders["WO-1"]
    assert stage.stats["orphans_applied"] == 2 and o.pending is None
    assert (o.accepted, o.first_dispatched) == (T0.timestamp() + 120, T0.timestamp() + 240)
    assert set(o.checks) == {"dept_accept", "feedback"} and o.stage == "decompose"


def test_a_reopened_order_is_back_in_feedback(stage):
    run(stage, created(0), ev("closed", 30), ev("reopened", 60))
    o = stage.orders["WO-1"]
    assert o.closed_at is None and o.stage == "feedback" and o.reopens == 1


def test_orders_are_kept_until_the_eviction_horizon():
    settings = load_config(None)
    settings.tracking.evict_after_h = 2
    stage = OrderStage(settings)
    run(stage, created(0), created(50, "B"))
    stage.advance(T0.timestamp() + 3600)            # housekeeping runs hourly: one hour quiet is not stale
    assert "WO-1" in stage.orders and stage.stats["evicted"] == 0
    out = stage.advance(T0.timestamp() + 7201)
    assert "WO-1" not in stage.orders and stage.stats["evicted"] == 1
    assert "B" in stage.orders                      # quiet 70 minutes of its 2 hours: kept
    assert [s.check for s in out.signals if s.kind == S.CLOSE] == ["receive_ack", "feedback"]


def test_every_event_is_counted_and_only_one_over_a_second_old_is_late(stage):
    run(stage, created(0), ev("accepted", 1), ev("closed", 3))     # closed: no timer left, advance just moves
    stage.advance(T0.timestamp() + 600)
    assert stage.now == T0.timestamp() + 600
    stage.ingest(ev("urged", 10 - 0.5 / 60))                         # half a second behind the clock: in time
    assert stage.stats["late"] == 0
    stage.ingest(ev("urged", 10 - 2 / 60))
    assert stage.stats["late"] == 1 and stage.stats["events"] == 5


def test_an_order_held_for_its_created_event_ages_from_its_own_events_not_from_epoch():
    """An order seen only through events that came before its ``created`` (held) is as old as its newest held
    event: housekeeping (hourly, and at once after a restart restored the orders) keeps it until the horizon
    instead of taking it for 56 years quiet (this dropped held orders after every worker restart)."""
    settings = load_config(None)
    settings.tracking.evict_after_h = 2
    stage = OrderStage(settings)
    run(stage, ev("accepted", 0, "HELD"))
    stage.rebuild_timers()                                            # as after a restart: oldest order unknown
    stage.advance(T0.timestamp() + 60)
    assert "HELD" in stage.orders and stage.stats["evicted"] == 0
    run(stage, created(-1, "HELD"))                                   # its created event comes late: applied
    assert stage.orders["HELD"].accepted is not None and stage.stats["orphans_applied"] == 1
    run(stage, ev("accepted", 30, "NEVER"))                           # never gets its created event
    stage.advance(T0.timestamp() + 3600 + 60)
    assert "NEVER" in stage.orders
    stage.advance(T0.timestamp() + 30 * 60 + 2 * 3600 + 3600 + 61)
    assert "NEVER" not in stage.orders


def test_orders_seen_after_every_order_was_evicted_are_evicted_in_turn():
    settings = load_config(None)
    settings.tracking.evict_after_h = 1
    stage = OrderStage(settings)
    run(stage, created(0, "A"))
    stage.advance(T0.timestamp() + 3 * 3600)
    assert stage.orders == {} and stage.stats["evicted"] == 1
    run(stage, ev("accepted", 200, "C"))                              # C never gets its created event
    stage.advance(T0.timestamp() + 200 * 60 + 3 * 3600)
    assert stage.orders == {} and stage.stats["evicted"] == 2
    run(stage, created(600, "B"))
    stage.advance(T0.timestamp() + 600 * 60 + 3 * 3600)
    assert stage.orders == {} and stage.stats["evicted"] == 3


def test_pausing_a_paused_order_again_keeps_its_first_pause(stage):
    run(stage, created(0, category="service_request", channel="web"), ev("accepted", 5),
        ev("dispatched", 10, department="d1"), ev("dept_accepted", 20))
    o = stage.orders["WO-1"]
    before = o.checks.get("feedback")[1]
    run(stage, ev("paused", 60), ev("paused", 90), ev("resumed", 120))
    assert o.checks.get("feedback")[1] == pytest.approx(before + 60 * 60)


def test_one_advance_runs_every_order_due_past_stale_timer_entries(stage):
    """Timer entries of a paused, closed, fully served or re-armed order stay on the heap: they are skipped, not
    the end of the run."""
    run(stage, created(0, "P"), created(0, "C"), ev("paused", 1, "P"), ev("closed", 1, "C"),
        created(0, "D"), ev("accepted", 0.2, "D"), ev("dispatched", 0.3, "D", department="d1"),
        ev("dept_accepted", 0.4, "D"), ev("arrived", 0.5, "D"),                 # D: nothing left to time
        created(0, "X", channel="web"), ev("accepted", 1, "X"),                 # X: armed for 15 min, then
        ev("dispatched", 2, "X", department="d1"),                              # re-armed for 9.5 min
        created(1, "B", channel="web"))                                         # B: 50 % at 16 min
    out = stage.advance(T0.timestamp() + 20 * 60)
    crossed = {(s.order_id, s.check, s.value) for s in out.signals if s.kind == S.CROSS}
    assert ("B", "receive_ack", 0.5) in crossed and ("X", "dept_accept", 1.0) in crossed
    assert not {o for o, _, _ in crossed} & {"P", "C", "D"}
