"""The alert pipeline's stages one at a time, at the edges the assembled pipeline's tests do not reach: each test
is named for the behaviour it protects and fails if that stage's rule is broken (found by mutation testing)."""
from __future__ import annotations

import pytest

from alerts.config import AlertsConfig, InhibitRule, Route
from alerts.dedup import is_duplicate, is_older_view
from alerts.inhibit import Inhibitor
from alerts.matchers import alert_labels
from alerts.pipeline import AlertPipeline
from alerts.route import Router
from alerts.silence import Silences
from alerts.state import Alert
from yujing.records import Condition

NOON = 1783954800.0 + 13 * 3600  # 2026-07-14 12:00 +08:00


def firing(tier="red", scope=None, evidence=None, phase="firing") -> Alert:
    return Alert("fp", "fp-1", "receive_lag", "receive", scope if scope is not None else {"order_id": "W1"}, tier,
                 1.0, "", evidence if evidence is not None else {}, 0.0, 0.0, phase=phase)


DEADLINE = {"check": "receive_ack", "deadline": 600.0, "share_used": 1.0}


# ---- dedup -----------------------------------------------------------------------------------------------------
def test_a_verdict_on_a_pending_alert_is_not_a_duplicate():
    assert not is_duplicate(firing("yellow", phase="pending"), "yellow")
    assert not is_duplicate(firing("yellow", phase="resolved"), "yellow")


def test_an_older_view_needs_a_firing_per_order_alert():
    older = {**DEADLINE, "share_used": 0.9}
    assert is_older_view(firing(evidence=dict(DEADLINE)), older)
    assert not is_older_view(None, older)
    assert not is_older_view(firing(evidence=dict(DEADLINE), phase="pending"), older)
    assert not is_older_view(firing(evidence=dict(DEADLINE), scope={"region": "north"}), older)   # aggregate
    assert not is_older_view(firing(evidence=dict(DEADLINE)), {})


def test_an_older_view_is_of_the_same_check_and_a_known_deadline():
    alert = firing(evidence=dict(DEADLINE))
    assert not is_older_view(alert, {**DEADLINE, "check": "feedback", "share_used": 0.9})
    no_deadline = firing(evidence={"share_used": 1.0})
    assert not is_older_view(no_deadline, {"share_used": 0.5})


def test_an_older_view_has_seen_strictly_less():
    alert = firing(evidence=dict(DEADLINE))
    assert not is_older_view(alert, dict(DEADLINE))                          # the same view is not older
    assert not is_older_view(alert, {**DEADLINE, "share_used": 1.2})         # a newer view is news
    assert is_older_view(alert, {"check": "receive_ack", "deadline": 600.0})  # no share seen yet: 0 < 1


def test_an_older_view_with_a_share_that_is_not_a_number_is_news():
    assert is_older_view(firing(evidence=dict(DEADLINE)), {**DEADLINE, "share_used": "n/a"}) is False


# ---- inhibition -------------------------------------------------------------------------------------------------
def labels(kind, tier, scope, fp):
    return alert_labels(kind, tier, "receive", scope, fp)


SURGE = dict(kind="backlog_growth", tier="red", scope={"region": "north"})
ORDER_LAG = labels("receive_lag", "yellow", {"order_id": "W1", "region": "north"}, "fp-order")


def test_a_resolved_source_unmutes_even_when_another_source_shares_its_key():
    inh = Inhibitor(AlertsConfig().inhibit)
    inh.update("fp-a", "a-1", labels(**SURGE, fp="fp-a"), firing=True)
    inh.update("fp-b", "b-1", labels("anomaly", "orange", {"region": "north"}, "fp-b"), firing=True)
    inh.update("fp-a", "a-1", labels(**SURGE, fp="fp-a"), firing=False)
    assert inh.muted_by(ORDER_LAG) == ("regional_surge_mutes_order_lag", "b-1")
    inh.update("fp-b", "b-1", labels("anomaly", "orange", {"region": "north"}, "fp-b"), firing=False)
    assert inh.muted_by(ORDER_LAG) is None
    assert inh._sources == [{}, {}] and inh._where == {}     # nothing left behind by resolved sources


def test_only_alerts_matching_the_source_mute():
    inh = Inhibitor(AlertsConfig().inhibit)
    inh.update("fp-y", "y-1", labels("receive_lag", "yellow", {"order_id": "W1", "region": "north"}, "fp-y"), True)
    inh.update("fp-surge-yellow", "s-1", labels("backlog_growth", "yellow", {"region": "north"}, "fp-s"), True)
    assert inh.muted_by(labels("sentiment_drop", "blue", {"order_id": "W1", "region": "north"}, "fp-x")) is None
    assert inh.muted_by(ORDER_LAG) is None


def test_only_alerts_matching_the_target_are_muted():
    inh = Inhibitor(AlertsConfig().inhibit)
    inh.update("fp-a", "a-1", labels(**SURGE, fp="fp-a"), firing=True)
    assert inh.muted_by(ORDER_LAG) is not None
    # same region, but a region-level alert (not an order's lag) and an order alert of another kind
    assert inh.muted_by(labels("sentiment_drop", "orange", {"region": "north"}, "fp-r")) is None
    assert inh.muted_by(labels("complaint_risk", "orange", {"order_id": "W1", "region": "north"}, "fp-c")) is None


def test_a_target_without_the_equal_label_is_not_muted():
    inh = Inhibitor(AlertsConfig().inhibit)
    inh.update("fp-a", "a-1", labels(**SURGE, fp="fp-a"), firing=True)
    assert inh.muted_by(labels("receive_lag", "yellow", {"order_id": "W1"}, "fp-o")) is None
    assert inh.muted_by(labels("receive_lag", "yellow", {"order_id": "W1", "region": "south"}, "fp-o")) is None


def test_an_alert_never_mutes_itself():
    rule = InhibitRule(name="newest_surge_wins", source={"kind": "backlog_growth"},
                       target={"kind": "backlog_growth"}, equal=["region"])
    inh = Inhibitor([rule])
    me = labels(**SURGE, fp="fp-a")
    inh.update("fp-a", "a-1", me, firing=True)
    assert inh.muted_by(me) is None
    other = labels("backlog_growth", "orange", {"region": "north", "department": "d1"}, "fp-b")
    assert inh.muted_by(other) == ("newest_surge_wins", "a-1")


# ---- silences ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [dict(matchers={}), dict(by=""), dict(reason=""), dict(ends_at=100.0),
                                 dict(ends_at=50.0)])
def test_a_silence_needs_matchers_author_reason_and_a_later_expiry(bad):
    args = dict(matchers={"region": "north"}, by="lead", reason="storm", starts_at=100.0, ends_at=200.0)
    args.update(bad)
    s = Silences()
    with pytest.raises(ValueError):
        s.add(args.pop("matchers"), **args)
    assert s.silences == {} and s.counter == 0


def test_a_silence_matches_only_from_its_start_to_before_its_end():
    s = Silences()
    sid = s.add({"region": "north"}, by="lead", reason="storm", starts_at=100.0, ends_at=200.0)
    north = {"region": "north"}
    assert [s.match(north, t) for t in (99.0, 100.0, 199.0, 200.0)] == [None, sid, sid, None]
    assert s.expire(199.0) == [] and s.expire(200.0) == [sid]


def test_removing_a_silence_says_whether_it_existed_and_ends_its_match():
    s = Silences()
    sid = s.add({"region": "north"}, by="lead", reason="storm", starts_at=0.0, ends_at=100.0)
    assert s.match({"region": "north"}, 1.0) == sid
    assert s.remove(sid) is True and s.remove(sid) is False
    assert s.match({"region": "north"}, 1.0) is None


def test_silences_are_due_at_the_earliest_expiry():
    s = Silences()
    assert s.next_due() is None
    s.add({"region": "north"}, by="lead", reason="a", starts_at=0.0, ends_at=500.0)
    s.add({"region": "south"}, by="lead", reason="b", starts_at=0.0, ends_at=300.0)
    assert s.next_due() == 300.0


def test_a_silence_whose_matchers_change_is_recompiled():
    s = Silences()
    sid = s.add({"region": "north"}, by="lead", reason="storm", starts_at=0.0, ends_at=100.0)
    assert s.match({"region": "north"}, 1.0) == sid
    s.silences[sid]["matchers"] = {"region": "south"}                 # e.g. loaded from a checkpoint
    assert s.match({"region": "north"}, 1.0) is None and s.match({"region": "south"}, 1.0) == sid


def test_silences_survive_a_checkpoint_and_new_ids_do_not_repeat():
    s = Silences()
    s.add({"region": "north"}, by="lead", reason="storm", starts_at=0.0, ends_at=100.0)
    t = Silences()
    version = t.version
    t.load(s.state_dict())
    assert t.version > version                                         # timer caches must look again
    assert t.match({"region": "north"}, 1.0) == "s-1"
    assert t.add({"region": "south"}, by="lead", reason="b", starts_at=0.0, ends_at=10.0) == "s-2"


def test_a_silence_set_on_a_quiet_pipeline_still_expires():
    p = AlertPipeline(AlertsConfig(mute_windows=[], escalation={}, hold_down={}))
    assert p.tick(NOON) == []                                           # nothing due: the pipeline goes quiet
    p.apply_command({"action": "silence", "by": "lead", "reason": "drill", "matchers": {"region": "north"},
                     "duration_s": 600}, NOON + 1)
    assert [s["id"] for s in p.silences_active()] == ["s-1"] and p.next_due() == NOON + 601
    p.tick(NOON + 601)
    assert p.silences_active() == []


def test_a_silence_survives_a_pipeline_restart():
    import orjson

    p = AlertPipeline(AlertsConfig(mute_windows=[], escalation={}, hold_down={}))
    p.apply_command({"action": "silence", "by": "lead", "reason": "drill", "matchers": {"region": "north"},
                     "duration_s": 600}, NOON)
    q = AlertPipeline.from_state(p.config, orjson.loads(orjson.dumps(p.state_dict())))
    cond = Condition("receive_lag", {"order_id": "W1", "region": "north"}, "yellow", NOON + 10, stage="receive",
                     score=1.0)
    assert [(r.status, r.extra.get("silence_id")) for r in q.process(cond)] == [("firing", None),
                                                                                ("silenced", "s-1")]
    assert q.apply_command({"action": "silence", "by": "lead", "reason": "more", "matchers": {"kind": "x"},
                            "duration_s": 60}, NOON + 20) == [] and len(q.silences_active()) == 2
    assert sorted(s["id"] for s in q.silences_active()) == ["s-1", "s-2"]


# ---- routes -----------------------------------------------------------------------------------------------------
def test_the_first_matching_route_wins_without_continue():
    cfg = AlertsConfig(routes=[Route(receiver="skipped", match={"region": "south"}),
                               Route(receiver="north_team", match={"region": "north"}),
                               Route(receiver="also_north", match={"stage": "receive"})])
    assert [r.receiver for r in Router(cfg).route({"region": "north", "stage": "receive"})] == ["north_team"]
    assert [r.receiver for r in Router(cfg).route({"region": "east", "stage": "receive"})] == ["also_north"]


# ---- matchers ---------------------------------------------------------------------------------------------------
def test_a_missing_label_satisfies_only_pure_negations():
    from alerts.matchers import Matcher, matches

    have = {"region": "north"}
    for m in ({"department": "d1"}, {"department": ["d1", "!d2"]}):
        assert matches(m, have) is False and Matcher(m)(have) is False
    assert matches({"department": "!d1"}, have) is True and Matcher({"department": "!d1"})(have) is True


def test_matchers_accept_one_of_a_list_and_reject_negations():
    from alerts.matchers import Matcher, matches

    for m, labels, want in [({"tier": ["orange", "red"]}, {"tier": "red"}, True),
                            ({"tier": ["orange", "red"]}, {"tier": "blue"}, False),
                            ({"region": ["!north", "!south"]}, {"region": "south"}, False),
                            ({"region": ["!north", "!south"]}, {"region": "east"}, True),
                            ({"tier": "red", "region": "north"}, {"tier": "red", "region": "south"}, False)]:
        assert matches(m, labels) is want and Matcher(m)(labels) is want, (m, labels)


def test_alert_labels_carry_the_level_and_the_fingerprint_only_when_given():
    assert alert_labels("k", None, None, {"customer_id": "C1"})["level"] == "customer"
    assert "fingerprint" not in alert_labels("k", "red", "receive", {"region": "n"})
    assert alert_labels("k", "red", "receive", {"region": "n"}, "fp-1")["fingerprint"] == "fp-1"


# ---- escalation -------------------------------------------------------------------------------------------------
def esc_alert(**kw) -> Alert:
    a = Alert("fp", "fp-1", "receive_lag", "receive", {}, "red", 1.0, "", {}, 0.0, 0.0, phase="firing",
              fired_at=0.0, escalation_base=0.0)
    for k, v in kw.items():
        setattr(a, k, v)
    return a


def test_escalation_acts_only_on_firing_unacknowledged_alerts():
    from alerts.escalate import Escalation

    esc = Escalation(AlertsConfig())
    for phase in ("pending", "resolved"):
        assert esc.due(esc_alert(phase=phase)) is None and esc.step_due(esc_alert(phase=phase), 5000.0) is None
    acked = esc_alert(acked_by="zhang", acked_at=100.0)
    assert esc.step_due(acked, 5000.0) is None and acked.escalation_step == 0


def test_escalation_steps_come_at_their_time_and_stop_at_the_chain_end():
    from alerts.escalate import Escalation

    esc = Escalation(AlertsConfig())
    a = esc_alert()
    assert esc.step_due(a, 899.0) is None and a.escalation_step == 0
    assert esc.step_due(a, 900.0).receiver == "team_lead"
    assert esc.step_due(a, 1800.0).receiver == "duty_manager"
    assert esc.due(a) is None and esc.step_due(a, 99999.0) is None and a.escalation_step == 2


def test_an_acknowledgement_lapses_at_its_timeout_and_restarts_the_chain():
    from alerts.escalate import Escalation

    esc = Escalation(AlertsConfig(ack_timeout_s=1800))
    a = esc_alert(acked_by="zhang", acked_at=1000.0, escalation_step=1)
    assert esc.due(a) == 2800.0
    assert esc.ack_lapsed(a, 2799.0) is False and a.acked_by == "zhang"
    assert esc.ack_lapsed(a, 2800.0) is True
    assert (a.acked_by, a.acked_at, a.escalation_step, a.escalation_base) == (None, None, 0, 2800.0)
    assert esc.due(a) == 2800.0 + 900


def test_an_acknowledgement_never_lapses_without_a_timeout_or_on_a_resolved_alert():
    from alerts.escalate import Escalation

    never = Escalation(AlertsConfig(ack_timeout_s=0))
    a = esc_alert(acked_by="zhang", acked_at=1000.0)
    assert never.due(a) is None and never.ack_lapsed(a, 10**9) is False and a.acked_by == "zhang"
    esc = Escalation(AlertsConfig(ack_timeout_s=1800))
    assert esc.ack_lapsed(esc_alert(phase="resolved", acked_by="z", acked_at=0.0), 10**9) is False
    assert esc.ack_lapsed(esc_alert(acked_by="z", acked_at=None), 10**9) is False


def test_a_step_taken_late_leaves_the_next_one_its_own_wait():
    from alerts.escalate import Escalation

    esc = Escalation(AlertsConfig())
    a = esc_alert()
    assert esc.step_due(a, 3600.0).receiver == "team_lead"              # 15 min due, taken an hour in
    assert esc.due(a) == 3600.0 + 900 and esc.step_due(a, 3600.0) is None


def test_muted_time_stops_the_escalation_clock_and_only_what_is_known_muted_counts():
    from alerts.escalate import Escalation

    esc = Escalation(AlertsConfig())
    a = esc_alert(escalation_since=0.0)
    esc.pause(a, 100.0, until=700.0)                                     # a silence until 700, lifted at 400
    assert esc.step_due(a, 5000.0) is None and esc.due(a) == 700.0
    esc.resume(a, 400.0)
    assert esc.due(a) == 300.0 + 900 and a.escalation_since == 400.0
    esc.pause(a, 500.0, until=600.0)                                     # a window 500-600, not looked at again,
    esc.pause(a, 1000.0, until=1060.0)                                   # then an inhibition from 1000
    esc.resume(a, 1030.0)
    assert esc.due(a) == 300.0 + 100 + 30 + 900                          # 100 s of the window, 30 of the inhibition
    esc.pause(a, -50.0, until=1200.0)                                    # a window begun before the clock last ran
    esc.resume(a, 1200.0)
    assert esc.due(a) == 1330.0 + 1200 - 1030


def test_a_restarted_chain_forgets_an_old_pause():
    from alerts.escalate import Escalation

    esc = Escalation(AlertsConfig())
    a = esc_alert(escalation_step=2)
    esc.pause(a, 100.0, until=5000.0)
    esc.restart(a, 3000.0)
    assert (a.escalation_step, a.escalation_base, a.escalation_paused, esc.due(a)) == (0, 3000.0, None, 3900.0)


def test_a_paused_alert_without_a_pending_step_needs_no_timer():
    from alerts.escalate import Escalation

    esc = Escalation(AlertsConfig())
    blue = esc_alert(tier="blue")
    esc.pause(blue, 0.0, until=3600.0)
    assert esc.due(blue) is None


def test_an_assignee_receiver_must_exist():
    with pytest.raises(ValueError, match="nowhere"):
        AlertsConfig(assignee_receivers={"li": "nowhere"})
    assert AlertsConfig(receivers={"li_sms": []}, assignee_receivers={"li": "li_sms"}).assignee_receiver("li") == \
        "li_sms"


# ---- hold-down --------------------------------------------------------------------------------------------------
def hold_stage(for_s=60, keep=120):
    from alerts.config import HoldDown as H
    from alerts.holddown import HoldDown

    return HoldDown(AlertsConfig(hold_down={"anomaly": H(for_s=for_s, keep_firing_for_s=keep)}))


def held(phase="pending") -> Alert:
    return Alert("fp", "fp-1", "anomaly", None, {"region": "n"}, "yellow", 1.0, "", {}, 100.0, 100.0, phase=phase)


def test_a_pending_alert_waits_until_for_s_has_passed():
    stage, a = hold_stage(), held()
    assert stage.on_active(a, 159.0) == "wait" and stage.on_timer(a, 159.0) == "none"
    assert stage.on_active(a, 160.0) == "fire"


def test_an_active_verdict_on_a_firing_alert_only_ends_its_hold():
    stage, a = hold_stage(), held("firing")
    assert stage.on_clear(a, 200.0) == "hold"
    assert stage.on_active(a, 210.0) == "none" and a.clear_since is None and stage.due(a) is None


def test_a_repeated_clear_does_not_restart_the_hold():
    stage, a = hold_stage(), held("firing")
    stage.on_clear(a, 200.0)
    assert stage.on_clear(a, 250.0) == "hold" and stage.due(a) == 320.0
    assert stage.on_timer(a, 319.0) == "none" and stage.on_timer(a, 320.0) == "resolve"


def test_even_a_one_second_keep_firing_holds():
    assert hold_stage(keep=1).on_clear(held("firing"), 200.0) == "hold"
    assert hold_stage(keep=0).on_clear(held("firing"), 200.0) == "resolve"


def test_a_resolved_alert_has_no_hold_down_timer():
    stage, a = hold_stage(), held("firing")
    stage.on_clear(a, 200.0)
    a.phase = "resolved"
    assert stage.due(a) is None and stage.on_timer(a, 10**9) == "none"


# ---- mute windows -----------------------------------------------------------------------------------------------
def windows(**kw):
    from alerts.config import MuteWindow
    from alerts.mute import MuteWindows

    return MuteWindows([MuteWindow(name="w", **kw)])


def at(day: int, hhmm: str) -> float:
    """Epoch of 2026-07-<day> HH:MM +08:00 (13 = a Monday)."""
    from datetime import datetime, timedelta, timezone

    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 7, day, h, m, tzinfo=timezone(timedelta(hours=8))).timestamp()


def test_a_daytime_window_mutes_from_its_start_until_before_its_end_on_its_weekdays():
    w = windows(start="12:00", end="13:30", weekdays=[0, 1, 2, 3, 4])
    assert [w.muted({}, at(13, t)) for t in ("11:59", "12:00", "13:29", "13:30")] == [
        None, ("w", at(13, "13:30")), ("w", at(13, "13:30")), None]
    assert w.muted({}, at(18, "12:30")) is None                      # a Saturday


def test_a_window_across_midnight_belongs_to_the_day_it_starts():
    w = windows(start="22:00", end="07:30", weekdays=[4])                 # Friday nights only
    assert w.muted({}, at(17, "23:00")) == ("w", at(18, "07:30"))
    assert w.muted({}, at(18, "03:00")) == ("w", at(18, "07:30"))        # Saturday morning: Friday's night
    assert w.muted({}, at(18, "07:30")) is None and w.muted({}, at(18, "23:00")) is None
    assert w.muted({}, at(17, "03:00")) is None                           # Friday morning: Thursday's night


def test_a_holiday_window_applies_on_its_dates_whatever_the_weekday():
    w = windows(start="00:00", end="24:00", weekdays=[], dates=["2026-07-15"])
    assert w.muted({}, at(15, "10:00")) == ("w", at(16, "00:00"))
    assert w.muted({}, at(14, "10:00")) is None


def test_a_windows_span_starts_where_the_occurrence_began():
    w = windows(start="22:00", end="07:30", weekdays=[4])
    assert w.span({}, at(18, "03:00")) == ("w", at(17, "22:00"), at(18, "07:30"))
    assert w.span({}, at(17, "22:00")) == ("w", at(17, "22:00"), at(18, "07:30"))
    assert windows(start="12:00", end="13:00").span({}, at(13, "12:59")) == ("w", at(13, "12:00"), at(13, "13:00"))
    assert w.span({}, at(18, "08:00")) is None


def test_mute_windows_are_in_china_time_by_default():
    w = windows(start="12:00", end="13:00")
    assert w.muted({}, at(13, "12:30")) is not None and w.muted({}, at(13, "20:30")) is None


# ---- late verdicts ----------------------------------------------------------------------------------------------
def late_alert(last=100.0, alert_id="fp-1") -> Alert:
    return Alert("fp", alert_id, "complaint_risk", "feedback", {"order_id": "W1"}, "orange", 0.6, "", {}, 0.0, 0.0,
                 phase="firing", last_record_ts=last)


def risk(tier, ts) -> Condition:
    return Condition("complaint_risk", {"order_id": "W1"}, tier, ts)


def test_a_verdict_at_the_last_record_time_is_current():
    from alerts.late import LateVerdicts

    assert LateVerdicts(30.0).hold(late_alert(), risk("red", 100.0), now=100.0) is False


def test_a_current_verdict_drops_a_held_one_even_without_a_fingerprint_given():
    from alerts.late import LateVerdicts

    late = LateVerdicts(30.0)
    assert late.hold(late_alert(), risk("red", 90.0), now=100.0) is True
    assert late.hold(late_alert(), risk("yellow", 120.0), now=120.0) is False
    assert late.next_due() is None and late.release(10**9) == []


def test_of_late_verdicts_with_one_time_the_last_counts():
    from alerts.late import LateVerdicts

    late = LateVerdicts(30.0)
    late.hold(late_alert(), risk("red", 90.0), now=100.0)
    late.hold(late_alert(), risk("yellow", 90.0), now=101.0)
    assert [(c.tier, c.ts) for c in late.release(130.0)] == [("yellow", 130.0)]


def test_the_earliest_hold_is_due_first():
    from alerts.late import LateVerdicts

    late = LateVerdicts(30.0)
    late.hold(late_alert(), risk("red", 90.0), now=100.0)
    other = Condition("complaint_risk", {"order_id": "W2"}, "red", 90.0)
    late.hold(late_alert(), other, now=110.0)
    assert late.next_due() == 130.0


def test_a_held_verdict_about_an_episode_that_ended_is_dropped():
    from alerts.late import LateVerdicts

    cond = risk("red", 90.0)
    for alerts in ({}, {cond.fingerprint: late_alert(alert_id="fp-2")}):          # gone / a new episode
        late = LateVerdicts(30.0)
        late.hold(late_alert(), cond, now=100.0)
        assert late.release(130.0, alerts) == [] and len(late) == 0
    late = LateVerdicts(30.0)
    late.hold(late_alert(), cond, now=100.0)
    other = Condition("complaint_risk", {"order_id": "W2"}, "red", 90.0)
    late.hold(late_alert(), other, now=101.0)          # due after the first, whose episode is over
    assert [c.scope for c in late.release(131.0, {other.fingerprint: late_alert()})] == [{"order_id": "W2"}]


# ---- grouping ---------------------------------------------------------------------------------------------------
def grouper(**kw):
    from alerts.group import Grouper

    return Grouper(AlertsConfig(**kw))


def snap(fp, tier="yellow", status="firing", acked_by=None) -> dict:
    return {"fingerprint": fp, "alert_id": fp + "-1", "tier": tier, "status": status, "acked_by": acked_by}


GROUP = {"kind": "receive_lag", "region": "north"}
NOT_MUTED = lambda s: None  # noqa: E731


def sent(notes) -> list[tuple[str, list[tuple[str, str, str]]]]:
    return [(n.reason, [(a["fingerprint"], a["tier"], a["status"]) for a in n.alerts]) for n in notes]


def test_a_group_message_lists_the_most_severe_first_and_the_resolved_last():
    g = grouper(timing_by_tier={}, group_by=["kind", "region"])
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    g.add(route, GROUP, snap("b"), 0.0)
    g.flush(30.0, NOT_MUTED)
    for s in (snap("a", status="resolved"), snap("c", "blue"), snap("d", "red"), snap("e", "red")):
        g.add(route, GROUP, s, 100.0)
    assert sent(g.flush(330.0, NOT_MUTED)) == [("group", [("d", "red", "firing"), ("e", "red", "firing"),
                                                           ("c", "blue", "firing"), ("a", "yellow", "resolved")])]


def test_a_resolved_alert_is_announced_only_if_its_firing_was():
    g = grouper(timing_by_tier={})
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    g.add(route, GROUP, snap("a", status="resolved"), 10.0)        # resolved within group_wait: never told
    assert g.flush(30.0, NOT_MUTED) == [] and g.groups == {} and g.next_due() is None
    quiet = Route(receiver="staff", send_resolved=False)
    g.add(quiet, GROUP, snap("b"), 100.0)
    assert [len(n.alerts) for n in g.flush(130.0, NOT_MUTED)] == [1]
    g.add(quiet, GROUP, snap("b", status="resolved"), 200.0)
    assert g.flush(430.0, NOT_MUTED) == [] and g.groups == {}


def test_a_group_is_repeated_only_while_an_alert_in_it_is_unacknowledged():
    g = grouper(timing_by_tier={})
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    g.flush(30.0, NOT_MUTED)
    assert sent(g.flush(30.0 + 4 * 3600, NOT_MUTED)) == [("repeat", [("a", "yellow", "firing")])]
    g.add(route, GROUP, snap("a", acked_by="zhang"), 20000.0)
    g.flush(g.next_due(), NOT_MUTED)
    assert g.flush(g.next_due(), NOT_MUTED) == []                 # acknowledged: no repeat
    g.add(route, GROUP, snap("b"), 40000.0)
    g.flush(g.next_due(), NOT_MUTED)
    assert [n.reason for n in g.flush(g.next_due(), NOT_MUTED)] == ["repeat"]


def test_a_muted_alert_waits_in_its_group_and_goes_out_at_the_earliest_recheck():
    g = grouper(timing_by_tier={})
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    g.add(route, GROUP, snap("b"), 0.0)
    until = {"a": 500.0, "b": 900.0}
    muted = lambda s: ("mute_window", until[s["fingerprint"]]) if g_now < until[s["fingerprint"]] else None  # noqa
    g_now = 30.0
    assert g.flush(g_now, muted) == [] and g.next_due() == 500.0
    g_now = 500.0
    assert sent(g.flush(g_now, muted)) == [("group", [("a", "yellow", "firing")])]
    g_now = 900.0
    assert sent(g.flush(g_now, muted)) == [("group", [("b", "yellow", "firing")])]


def test_a_muted_alert_is_looked_at_again_one_second_later_at_the_soonest():
    g = grouper(timing_by_tier={})
    g.add(Route(receiver="staff"), GROUP, snap("a"), 0.0)
    assert g.flush(30.0, lambda s: ("inhibit", 10.0)) == [] and g.next_due() == 31.0


def test_a_group_takes_the_timers_of_its_most_severe_alert_and_drops_them_when_it_resolves():
    g = grouper()                                         # red: group_wait 0, group_interval 60
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("y"), 0.0)
    assert g.next_due() == 30.0
    g.add(route, GROUP, snap("r", "red"), 5.0)
    assert g.next_due() == 5.0
    g.flush(5.0, NOT_MUTED)
    g.add(route, GROUP, snap("r", "red", "resolved"), 10.0)
    assert g.next_due() == 65.0
    g.flush(65.0, NOT_MUTED)
    g.add(route, GROUP, snap("z"), 100.0)
    assert g.next_due() == 65.0 + 300                     # yellow's group_interval again, not red's 60 s
    assert [a["fingerprint"] for n in g.flush(365.0, NOT_MUTED) for a in n.alerts] == ["z"]
    notes = []
    while g.next_due() < 365.0 + 4 * 3600:                # nothing more until yellow's repeat, not red's 30 min
        notes += g.flush(g.next_due(), NOT_MUTED)
    assert notes == [] and g.next_due() == 365.0 + 4 * 3600


def test_groups_restored_from_a_checkpoint_are_due_again():
    from alerts.group import Grouper

    g = grouper(timing_by_tier={})
    g.add(Route(receiver="staff"), GROUP, snap("a"), 0.0)
    h = Grouper(g.config)
    assert h.next_due() is None
    version = h.version
    h.load(g.state_dict())
    assert h.next_due() == 30.0 and h.version > version
    assert sent(h.flush(30.0, NOT_MUTED)) == [("group", [("a", "yellow", "firing")])]


def test_a_held_alert_goes_out_once_when_its_mute_ends_and_never_before():
    g = grouper(timing_by_tier={}, group_by=["kind", "region"])
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    assert sent(g.flush(30.0, NOT_MUTED)) == [("group", [("a", "yellow", "firing")])]
    g.add(route, GROUP, snap("b"), 100.0)                        # in a mute window until 20000
    muted = lambda s: ("mute_window", 20000.0) if s["fingerprint"] == "b" and now < 20000.0 else None  # noqa
    now = 330.0
    assert g.flush(now, muted) == [] and g.next_due() == 30.0 + 4 * 3600  # held; a's repeat is not delayed
    now = g.next_due()
    assert sent(g.flush(now, muted)) == [("repeat", [("a", "yellow", "firing")])]  # the repeat leaves b out
    assert g.next_due() == 20000.0
    now = 20000.0
    assert sent(g.flush(now, muted)) == [("group", [("b", "yellow", "firing")])]
    g.add(route, GROUP, snap("c"), 21000.0)
    now = g.next_due()
    assert sent(g.flush(now, muted)) == [("group", [("c", "yellow", "firing")])]  # b is not sent again


def test_an_alert_that_fired_and_resolved_while_inhibited_is_never_announced():
    g = grouper(timing_by_tier={}, group_by=["kind", "region"])
    route = Route(receiver="staff")
    # as in the pipeline, inhibition mutes b only while it fires: its resolution is not muted
    inhibited = lambda s: ("inhibit", None) if s["fingerprint"] + s["status"] == "bfiring" else None  # noqa
    g.add(route, GROUP, snap("a"), 0.0)
    g.add(route, GROUP, snap("b"), 0.0)
    assert sent(g.flush(30.0, inhibited)) == [("group", [("a", "yellow", "firing")])]
    g.add(route, GROUP, snap("b", status="resolved"), 100.0)
    assert g.next_due() == 330.0 and g.flush(330.0, inhibited) == []
    assert g.next_due() == 30.0 + 4 * 3600
    assert sent(g.flush(30.0 + 4 * 3600, inhibited)) == [("repeat", [("a", "yellow", "firing")])]


def test_a_change_message_carries_only_what_changed_and_a_repeat_every_firing_alert():
    g = grouper(timing_by_tier={}, group_by=["kind", "region"])
    route = Route(receiver="staff")
    for fp in "abc":
        g.add(route, GROUP, snap(fp), 0.0)
    assert [len(n.alerts) for n in g.flush(30.0, NOT_MUTED)] == [3]
    g.add(route, GROUP, snap("d"), 100.0)
    assert sent(g.flush(330.0, NOT_MUTED)) == [("group", [("d", "yellow", "firing")])]
    g.add(route, GROUP, snap("b", acked_by="zhang"), 400.0)     # an acknowledgement is not news,
    g.add(route, GROUP, snap("c"), 400.0)                        # nor the same state again (a silence lifted)
    assert g.next_due() == 630.0 and g.flush(630.0, NOT_MUTED) == []
    assert g.next_due() == 330.0 + 4 * 3600                     # the repeat counts from the last message
    assert [(n.reason, [a["fingerprint"] for a in n.alerts]) for n in g.flush(g.next_due(), NOT_MUTED)] == [
        ("repeat", ["a", "c", "d", "b"])]                       # the acknowledged one after those nobody has


def test_a_tier_change_of_a_notified_alert_is_news():
    g = grouper(timing_by_tier={}, group_by=["kind", "region"])
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    g.flush(30.0, NOT_MUTED)
    g.add(route, GROUP, snap("a", "red"), 100.0)
    assert sent(g.flush(330.0, NOT_MUTED)) == [("group", [("a", "red", "firing")])]


def test_a_resolution_goes_out_when_a_repeat_is_due_though_every_alert_is_acknowledged():
    g = grouper(timing_by_tier={}, group_by=["kind", "region"])
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    g.add(route, GROUP, snap("b"), 0.0)
    g.flush(30.0, NOT_MUTED)
    g.add(route, GROUP, snap("a", acked_by="zhang"), 100.0)
    g.add(route, GROUP, snap("b", acked_by="zhang"), 100.0)
    assert g.flush(330.0, NOT_MUTED) == [] and g.flush(30.0 + 4 * 3600, NOT_MUTED) == []
    assert g.next_due() == 30.0 + 2 * 4 * 3600                  # a silent repeat is not due again at once
    g.add(route, GROUP, snap("b", status="resolved", acked_by="zhang"), 20000.0)
    assert g.next_due() == 20000.0                               # group_interval has long passed: now
    assert sent(g.flush(20000.0, NOT_MUTED)) == [("group", [("a", "yellow", "firing"),
                                                           ("b", "yellow", "resolved")])]


def test_a_group_whose_first_flush_sent_nothing_still_waits_only_group_wait():
    g = grouper(timing_by_tier={})
    route = Route(receiver="staff")
    a_silenced = lambda s: ("silence", None) if s["fingerprint"] == "a" else None  # noqa: E731
    g.add(route, GROUP, snap("a"), 0.0)
    assert g.flush(30.0, a_silenced) == []
    g.add(route, GROUP, snap("b"), 100.0)
    assert g.next_due() == 130.0 and sent(g.flush(130.0, a_silenced)) == [("group", [("b", "yellow", "firing")])]


def test_a_route_groups_by_its_own_labels_on_its_own_timers():
    from alerts.config import Timing

    g = grouper(timing_by_tier={})
    pager = Route(receiver="pager", group_by=["kind"], timing=Timing(group_wait_s=5, group_interval_s=60))
    g.add(pager, {"kind": "receive_lag", "region": "north"}, snap("a"), 0.0)
    g.add(pager, {"kind": "receive_lag", "region": "south"}, snap("b"), 0.0)
    assert g.next_due() == 5.0
    assert [(n.receiver, n.group, len(n.alerts)) for n in g.flush(5.0, NOT_MUTED)] == [
        ("pager", {"kind": "receive_lag"}, 2)]


def test_a_new_episode_that_resolves_before_it_is_sent_is_not_announced():
    g = grouper(timing_by_tier={}, group_by=["kind", "region"])
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    g.add(route, GROUP, snap("b"), 0.0)                          # keeps the group alive
    g.flush(30.0, NOT_MUTED)
    g.add(route, GROUP, snap("a", status="resolved"), 100.0)
    assert sent(g.flush(330.0, NOT_MUTED)) == [("group", [("a", "yellow", "resolved")])]
    g.add(route, GROUP, dict(snap("a", "orange"), alert_id="a-2"), 400.0)   # a new episode ...
    g.add(route, GROUP, dict(snap("a", "orange", "resolved"), alert_id="a-2"), 500.0)  # ... over before the flush
    assert g.flush(g.next_due(), NOT_MUTED) == [] and list(g.groups.values())[0].alerts.keys() == {"b"}


def test_a_group_formed_again_after_it_emptied_does_not_reuse_its_message_keys():
    """The notifier's sent-log drops a message whose key it has seen (for days): the next group with the same
    labels must send under new keys, and a restored checkpoint under the same keys."""
    from alerts.group import Grouper

    g = grouper(timing_by_tier={})
    route = Route(receiver="staff")
    g.add(route, GROUP, snap("a"), 0.0)
    keys = [n.key for n in g.flush(30.0, NOT_MUTED)]
    g.add(route, GROUP, snap("a", status="resolved"), 100.0)
    keys += [n.key for n in g.flush(330.0, NOT_MUTED)]
    assert len(set(keys)) == 2 and g.groups == {}
    g.add(route, GROUP, snap("b"), 1000.0)
    h = Grouper(g.config)
    h.load(g.state_dict())
    [n] = g.flush(1030.0, NOT_MUTED)
    assert n.key not in keys and [m.key for m in h.flush(1030.0, NOT_MUTED)] == [n.key]


def test_a_group_restored_from_a_checkpoint_without_its_formation_time_keeps_its_keys():
    from alerts.group import Grouper

    g = grouper(timing_by_tier={})
    g.add(Route(receiver="staff"), GROUP, snap("a"), 0.0)
    state = g.state_dict()
    for group in state.values():
        del group["since"]                                       # as written before groups kept it
    h = Grouper(g.config)
    h.load(state)
    assert [n.key for n in h.flush(30.0, NOT_MUTED)] == [f"g{gid}:1" for gid in state]


def test_an_alert_whose_tier_changes_leaves_the_group_of_its_old_tier():
    """With the default group_by (kind, region, tier) a tier change moves the alert to another group; the old
    group must let it go, not repeat its old state every repeat_interval for ever (even after it resolved)."""
    g = grouper(timing_by_tier={})
    route = Route(receiver="staff")
    yellow, red = dict(GROUP, tier="yellow"), dict(GROUP, tier="red")
    g.add(route, yellow, snap("a"), 0.0)
    g.add(route, yellow, snap("b"), 0.0)
    g.flush(30.0, NOT_MUTED)
    g.add(route, red, snap("a", "red"), 100.0)
    assert sent(g.flush(130.0, NOT_MUTED)) == [("group", [("a", "red", "firing")])]
    g.add(route, red, snap("a", "red", "resolved"), 200.0)
    assert sent(g.flush(430.0, NOT_MUTED)) == [("group", [("a", "red", "resolved")])]
    assert sent(g.flush(30.0 + 4 * 3600, NOT_MUTED)) == [("repeat", [("b", "yellow", "firing")])]
    g.add(route, yellow, snap("b", status="resolved"), 20000.0)
    assert sent(g.flush(20000.0, NOT_MUTED)) == [("group", [("b", "yellow", "resolved")])]
    assert g.groups == {} and g.next_due() is None


def test_a_restored_grouper_still_lets_a_moved_alert_go_and_drops_a_restored_duplicate():
    import orjson

    from alerts.group import Grouper

    def members(gr):
        return sorted((x.labels["tier"], sorted(x.alerts)) for x in gr.groups.values())

    g = grouper(timing_by_tier={}, group_by=["tier", "kind", "region"])
    route = Route(receiver="staff")
    yellow, red = dict(GROUP, tier="yellow"), dict(GROUP, tier="red")
    g.add(route, yellow, snap("a"), 0.0)
    g.add(route, yellow, snap("b"), 0.0)
    g.flush(30.0, NOT_MUTED)
    state = g.state_dict()
    for restored in (state, orjson.loads(orjson.dumps(state, option=orjson.OPT_SORT_KEYS))):  # alerts/store.py sorts
        h = Grouper(g.config)
        h.load(restored)
        h.add(route, red, snap("b", "red"), 100.0)
        assert members(h) == [("red", ["b"]), ("yellow", ["a"])]
    old = h.state_dict()                                         # as older code left it: b in both groups
    next(x for x in old.values() if x["labels"]["tier"] == "yellow")["alerts"]["b"] = snap("b")
    k = Grouper(g.config)
    k.load(old)
    k.add(route, red, snap("b", "red", "resolved"), 200.0)
    assert members(k) == [("red", ["b"]), ("yellow", ["a"])]


def test_an_alert_back_in_a_group_it_left_is_news_there():
    g = grouper(timing_by_tier={})
    route = Route(receiver="staff")
    yellow, red = dict(GROUP, tier="yellow"), dict(GROUP, tier="red")
    g.add(route, yellow, snap("a"), 0.0)
    g.add(route, yellow, snap("b"), 0.0)                         # keeps the yellow group
    g.flush(30.0, NOT_MUTED)
    g.add(route, red, snap("a", "red"), 100.0)
    assert sent(g.flush(130.0, NOT_MUTED)) == [("group", [("a", "red", "firing")])]
    g.add(route, yellow, snap("a"), 200.0)                       # down again: staff last heard "red"
    assert sent(g.flush(330.0, NOT_MUTED)) == [("group", [("a", "yellow", "firing")])]


# ---- messages (templates.py): what staff read on their phones ----------------------------------------------------
def message(*alerts, reason="group", group=None, **kw):
    from alerts.state import Notification
    from alerts.templates import render

    return render(Notification("k", "staff", reason, 0.0, list(alerts), group=group or {}), **kw)


def alert_snap(i=1, **kw) -> dict:
    d = {"alert_id": f"a{i:03d}-1", "fingerprint": f"a{i:03d}", "status": "firing",
         "ts": "2026-07-14T09:40:00+08:00", "since": "2026-07-14T09:32:40+08:00", "kind": "complaint_risk", "stage": "feedback",
         "scope": {"region": "north", "order_id": f"WO-20260714-{i:06d}"}, "tier": "red", "score": 1.0,
         "summary": "客户称停电三天无人处理", "evidence": {"share_used": 1.05}, "acked_by": None}
    d.update(kw)
    return d


def test_message_times_are_on_the_business_clock_and_say_which_once():
    """A record carrying ``Z`` (or any other offset) showed its own clock, unlabelled: 01:32 read as Beijing time is
    eight hours off. Every time of a message is on one clock, the business's, named once."""
    title, body = message(alert_snap(1, since="2026-07-14T01:32:40Z"),
                          alert_snap(2, since="2026-07-14T09:35:00+08:00", tier="yellow"), lang="zh",
                          utc_offset_h=8.0)
    assert "09:32" in body and "01:32" not in body and "09:35" in body
    assert body.count("UTC+8") == 1
    # without a configured clock a message uses its records' own (the pipeline writes them on the business clock)
    _, body = message(alert_snap(1, ts="2026-07-14T09:40:00+05:30", since="2026-07-14T04:02:40Z"), lang="en")
    assert "since 2026-07-14 09:32 (UTC+5:30)" in body


def test_english_messages_use_the_boards_english_names():
    """``KIND_NAME["en"]`` and friends were empty: an English reader got ``feedback``, ``tier_changed`` and
    ``region=north order_id=...``. Stages, statuses and scope read as on the board (yujing/i18n.py)."""
    from yujing.i18n import t

    title, body = message(alert_snap(status="tier_changed", evidence={"top_factors": ["negative_text", "urged"]}),
                          lang="en")
    assert f"] {t('kind.complaint_risk', 'en')} · Region north" in title
    assert "Feedback" in body and "tier changed" in body and "tier_changed" not in body
    assert "Region north · Order WO-20260714-000001" in body and "order_id=" not in body
    assert "risk factors=negative text, urged" in body         # a list, not Python's repr of one; words, not codes


def test_a_resolved_message_says_so_in_its_title_and_lists_the_resolved_last():
    """A group whose alerts all resolved went out titled 【红色预警 I级】: an all-clear that reads as an alarm."""
    title, body = message(alert_snap(1, status="resolved", ts="2026-07-14T10:05:00+08:00"), lang="zh")
    assert title.startswith("【预警已解除】") and "红色预警" not in title and "红色 I级" in title
    assert "已解除" in body and "解除于 2026-07-14 10:05" in body
    title, _ = message(alert_snap(1, status="resolved"), lang="en")
    assert title.startswith("[Resolved]") and "warning" not in title
    title, body = message(alert_snap(1, status="resolved"), alert_snap(2, tier="yellow"), lang="zh")
    assert title.startswith("【黄色预警 III级】") and "(2，已解除 1)" in title
    assert body.index("a002-1") < body.index("a001-1")      # the firing one first


def test_a_message_says_who_acknowledged_an_alert():
    """A repeat listed an acknowledged alert as 「已确认」 without saying by whom: nobody knew who had it."""
    _, body = message(alert_snap(1, status="acknowledged", acked_by="duty"), alert_snap(2, tier="yellow"),
                      reason="repeat", lang="zh")
    assert "已确认：duty" in body
    _, body = message(alert_snap(1, status="tier_changed", acked_by="duty"), lang="en")
    assert "Acked by duty" in body
    # the record of an ack that was withdrawn or lapsed is an "acknowledged" one too: nobody has the alert now
    _, body = message(alert_snap(1, status="acknowledged", acked_by=None), reason="repeat", lang="zh")
    assert "未确认" in body and "已确认" not in body


def test_a_long_message_fits_the_channels_byte_limit_and_points_to_the_board():
    """Twenty alerts with long summaries made a 29 KB body; a WeCom bot takes 2,048 bytes and rejects the rest
    (apprise passes oversized bodies upstream by default)."""
    long = ("客户反复来电称停电三天无人处理，要打12398投诉并找媒体曝光，" * 10)[:300]
    alerts = [alert_snap(i, summary=long, evidence={"last_text": long[:80], "share_used": 1.0}) for i in range(200)]
    title, body = message(*alerts, lang="zh", board_url="http://board")
    assert len(body.encode()) > 20_000 and "另有 180 条未列出" in body                  # unbounded: MAX_LISTED only
    for limit in (2048, 4096, 160):
        title, body = message(*alerts, lang="zh", board_url="http://board", max_bytes=limit)
        assert len((title + "\r\n" + body).encode()) <= limit, limit
        assert "(200)" in title
    title, body = message(*alerts, lang="zh", board_url="http://board", max_bytes=2048)
    assert "http://board/?alert=a000-1" in body and "条未列出" in body and "http://board" in body.splitlines()[-1]


def test_every_free_text_of_a_message_is_masked():
    phone, idno = "13812345678", "110101199003071234"
    snap = alert_snap(1, status="acknowledged", acked_by="duty" + phone, assignee="wang" + phone,
                      assigned_by="li" + phone, note="回电 " + phone, summary="客户 " + phone,
                      scope={"region": "north" + phone, "customer_id": idno},
                      evidence={"last_text": phone, "k" + phone: 1, "nested": {"a": phone}, "list": [phone, idno]})
    for reason in ("group", "repeat", "assigned"):
        for lang in ("zh", "en"):
            title, body = message(snap, reason=reason, lang=lang, group={"region": "north" + phone})
            assert phone not in title + body and idno not in title + body, (reason, lang)
