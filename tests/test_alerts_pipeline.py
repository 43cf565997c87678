"""The assembled alert pipeline on an explicit clock: every lifecycle path, and determinism."""
import asyncio

import orjson
import pytest

from alerts.config import AlertsConfig, HoldDown, MuteWindow, Route
from alerts.pipeline import AlertPipeline, CommandError
from yujing.records import Condition

T0 = 1783954800.0  # 2026-07-13 23:00 +08:00 (a Monday night)
NOON = T0 + 13 * 3600  # 2026-07-14 12:00


def order(tier, ts, oid="W1", region="north", kind="receive_lag", summary=""):
    return Condition(kind, {"order_id": oid, "region": region}, tier, ts, stage="receive", score=1.0,
                     summary=summary, evidence={"used_share": 0.8, "text": "客户电话13812345678"})


def region(tier, ts, kind="backlog_growth", reg="north"):
    return Condition(kind, {"region": reg}, tier, ts, stage="feedback", score=3.0, summary="积压增长")


def quiet_cfg(**kw) -> AlertsConfig:
    base = dict(mute_windows=[], timing_by_tier={}, escalation={}, hold_down={})
    base.update(kw)
    return AlertsConfig(**base)


def statuses(records):
    return [r.status for r in records]


def test_dedup_repeated_verdict_is_silent():
    p = AlertPipeline(quiet_cfg())
    assert statuses(p.process(order("yellow", NOON))) == ["firing"]
    assert p.process(order("yellow", NOON + 10)) == []
    assert p.process(order("yellow", NOON + 20)) == []
    assert len(p.active()) == 1


def deadline_cond(tier, ts, share, deadline):
    return Condition("receive_lag", {"order_id": "W9", "region": "north"}, tier, ts, stage="receive", score=share,
                     summary="", evidence={"check": "receive_ack", "deadline": deadline, "share_used": share})


def test_an_older_view_of_the_same_deadline_changes_nothing():
    """A replaced worker re-derives an order's crossings (90 %, then 100 % at once) while the alert says red."""
    p = AlertPipeline(quiet_cfg())
    assert statuses(p.process(deadline_cond("red", NOON, 1.0, NOON - 60))) == ["firing"]
    assert p.process(deadline_cond("orange", NOON + 5, 0.9, NOON - 60)) == []
    assert p.process(deadline_cond("red", NOON + 5, 1.0, NOON - 60)) == []
    assert p.active()[0]["tier"] == "red"
    # a new deadline (the order was re-categorised, its clock paused) may lower it: that is news
    assert statuses(p.process(deadline_cond("orange", NOON + 9, 0.67, NOON + 900))) == ["tier_changed"]



def dispatch_cond(tier, ts, check, share, deadline):
    return Condition("dispatch_lag", {"order_id": "W7", "region": "south"}, tier, ts, stage="decompose",
                     score=share, summary="", evidence={"check": check, "deadline": deadline, "share_used": share})


def test_late_verdicts_recorded_at_one_instant_keep_only_the_last():
    """Seen in the kill -9 test: an order's alert, red for its dispatch deadline, escalated at 12:02:50; the worker
    that took the order over then learned (late) that it had been dispatched, and caught up on the department's
    acceptance deadline — 90 % and 100 % at once. Both verdicts are older than the escalation, so both would be
    recorded at 12:02:50: red -> orange -> red at one second. One instant has one state: only the last counts."""
    p = AlertPipeline(quiet_cfg())
    fired = p.process_all([dispatch_cond("red", NOON, "dispatch", 1.0, NOON)])
    assert statuses(fired) == ["firing"]
    p.alerts[fired[0].fingerprint].last_record_ts = NOON + 720   # its escalation record, 12 min later
    late = [dispatch_cond("orange", NOON - 900, "dept_accept", 0.9, NOON - 800),
            dispatch_cond("red", NOON - 800, "dept_accept", 1.0, NOON - 800)]
    out = p.process_all(late)
    assert out == []   # red already: the evidence moves on to the new check, no record
    assert p.active()[0]["evidence"]["check"] == "dept_accept"
    assert p.active()[0]["tier"] == "red"
    # verdicts at their own, later instants are all recorded, in order
    out = p.process_all([dispatch_cond("orange", NOON + 800, "dept_accept", 0.9, NOON + 900),
                         dispatch_cond("red", NOON + 900, "dept_accept", 1.0, NOON + 900)])
    assert [(r.tier, r.ts) for r in out] == [("orange", NOON + 800), ("red", NOON + 900)]

def risk_cond(tier, ts, score):
    return Condition("complaint_risk", {"order_id": "W5", "region": "east"}, tier, ts, stage="feedback",
                     score=score, summary="", evidence={"risk": score})


def test_late_views_in_different_batches_settle_to_the_newest_without_a_flap():
    """Seen in session 7's kill -9 runs: a replaced worker catching up moved an orange risk alert red and back to
    orange at one second, from two verdicts in different batches, both older than the alert's escalation. Held
    until the view settles, the newest view (orange, as the alert already is) changes nothing and sends nothing."""
    p = AlertPipeline(quiet_cfg(late_settle_s=30.0))
    fired = p.process_all([risk_cond("orange", NOON, 0.6)])
    p.tick(NOON + 600)
    p.drain_notifications()
    p.alerts[fired[0].fingerprint].last_record_ts = NOON + 600     # escalated 10 min later
    assert p.process_all([risk_cond("red", NOON + 200, 0.8)]) == []          # batch 1: held, not recorded
    assert p.process_all([risk_cond("orange", NOON + 300, 0.6)]) == []       # batch 2: newer, agrees: settled
    assert p.tick(NOON + 3600) == [] and p.drain_notifications() == []
    assert p.active()[0]["tier"] == "orange"


def test_a_late_view_that_stays_newest_counts_once_after_the_settle_time():
    p = AlertPipeline(quiet_cfg(late_settle_s=30.0))
    fired = p.process_all([risk_cond("orange", NOON, 0.6)])
    p.tick(NOON + 600)
    p.alerts[fired[0].fingerprint].last_record_ts = NOON + 600
    assert p.process_all([risk_cond("red", NOON + 100, 0.8)]) == []
    assert p.process_all([risk_cond("yellow", NOON + 50, 0.4)]) == []        # older than the held view: ignored
    assert p.next_due() == NOON + 630
    state = orjson.loads(orjson.dumps(p.state_dict()))                        # the hold survives a restart
    for q in (p, AlertPipeline.from_state(quiet_cfg(late_settle_s=30.0), state)):
        assert q.tick(NOON + 629) == []
        out = q.tick(NOON + 700)
        assert [(r.status, r.tier, r.ts, r.extra["previous_tier"]) for r in out] == [
            ("tier_changed", "red", NOON + 630, "orange")]
    # a current verdict makes a held one moot
    assert p.process_all([risk_cond("yellow", NOON + 400, 0.4)]) == [] and p.next_due() == NOON + 730
    out = p.process_all([risk_cond("orange", NOON + 710, 0.6)])
    assert [(r.status, r.tier, r.ts) for r in out] == [("tier_changed", "orange", NOON + 710)]
    assert p.tick(NOON + 3600) == [] and p.active()[0]["tier"] == "orange"


def test_tier_changes_up_and_down():
    p = AlertPipeline(quiet_cfg())
    p.process(order("blue", NOON))
    up = p.process(order("red", NOON + 60))
    down = p.process(order("yellow", NOON + 120))
    assert [(r.status, r.tier, r.extra["previous_tier"], r.extra["direction"]) for r in up + down] == [
        ("tier_changed", "red", "blue", "up"), ("tier_changed", "yellow", "red", "down")]


def test_hold_down_fires_only_after_for_s_and_flaps_are_dropped():
    cfg = quiet_cfg(hold_down={"backlog_growth": HoldDown(for_s=120, keep_firing_for_s=300)})
    p = AlertPipeline(cfg)
    assert p.process(region("orange", NOON)) == []
    assert p.process(region(None, NOON + 60)) == []  # flap: cleared before 120 s, never fired
    assert p.tick(NOON + 600) == [] and p.active() == []
    assert p.process(region("orange", NOON + 1000)) == []
    fired = p.tick(NOON + 1120)
    assert statuses(fired) == ["firing"] and fired[0].ts == NOON + 1120
    # keep firing for 300 s after a clear; a re-activation inside it continues the same episode
    assert p.process(region(None, NOON + 1200)) == []
    assert p.process(region("orange", NOON + 1300)) == []
    assert p.process(region(None, NOON + 1400)) == []
    assert p.tick(NOON + 1699) == []
    resolved = p.tick(NOON + 1800)
    assert [(r.status, r.ts, r.extra["reason"]) for r in resolved] == [("resolved", NOON + 1700, "cleared")]
    assert resolved[0].alert_id == fired[0].alert_id


def test_auto_resolve_and_new_episode_gets_new_id():
    p = AlertPipeline(quiet_cfg())
    first = p.process(order("yellow", NOON))[0]
    res = p.process(order(None, NOON + 30))
    again = p.process(order("yellow", NOON + 30))[0]
    assert statuses(res) == ["resolved"] and res[0].extra["reason"] == "cleared"
    assert first.fingerprint == again.fingerprint and first.alert_id != again.alert_id
    assert again.alert_id.startswith(first.fingerprint + "-")


def test_stale_resolve_when_no_verdict_comes():
    p = AlertPipeline(quiet_cfg(stale_after_s=600))
    p.process(order("yellow", NOON))
    p.process(order("yellow", NOON + 300))  # a duplicate still counts as a sign of life
    assert p.tick(NOON + 899) == []
    out = p.tick(NOON + 2000)
    assert [(r.status, r.ts, r.extra["reason"]) for r in out] == [("resolved", NOON + 900, "stale")]


def test_grouping_timers_group_wait_interval_repeat():
    p = AlertPipeline(quiet_cfg(stale_after_s=0))
    p.process(order("yellow", NOON, oid="W1"))
    p.process(order("yellow", NOON + 5, oid="W2"))
    assert p.drain_notifications() == []
    p.tick(NOON + 30)
    [n] = p.drain_notifications()
    assert n.reason == "group" and len(n.alerts) == 2 and n.group == {"kind": "receive_lag", "region": "north",
                                                                       "tier": "yellow"}
    p.process(order("yellow", NOON + 40, oid="W3"))
    p.tick(NOON + 329)
    assert p.drain_notifications() == []
    p.tick(NOON + 330)  # group_interval after the last flush
    [n2] = p.drain_notifications()
    assert [a["scope"]["order_id"] for a in n2.alerts] == ["W3"] and n2.key != n.key  # only what changed
    p.tick(NOON + 330 + 4 * 3600)  # nothing changed: repeat_interval
    [n3] = p.drain_notifications()
    assert n3.reason == "repeat" and len(n3.alerts) == 3


def test_red_goes_out_at_once_per_tier_override():
    p = AlertPipeline(AlertsConfig(mute_windows=[], escalation={}))
    p.process(order("red", NOON))
    [n] = p.drain_notifications()
    assert n.alerts[0]["tier"] == "red"


def test_inhibition_red_mutes_lower_tier_on_same_scope_and_region_surge_mutes_order_lag():
    p = AlertPipeline(quiet_cfg())
    p.process(order("red", NOON, oid="W1", kind="receive_lag", region="south"))
    rec = p.process(order("yellow", NOON, oid="W1", kind="sentiment_drop", region="south"))
    assert rec[0].extra["inhibited_by"]["rule"] == "red_mutes_lower_on_same_scope"
    p.process(region("red", NOON))  # a regional surge
    rec2 = p.process(order("orange", NOON + 1, oid="W9"))
    assert rec2[0].extra["inhibited_by"]["rule"] == "regional_surge_mutes_order_lag"
    p.tick(NOON + 30)
    sent = {a["kind"] + ":" + a["scope"].get("order_id", "-") for n in p.drain_notifications() for a in n.alerts}
    assert sent == {"receive_lag:W1", "backlog_growth:-"}  # the muted ones were held back
    muted = {a["scope"].get("order_id"): a["muted_by"] for a in p.active()}
    assert muted["W9"]["by"] == "inhibit"
    # the surge resolves: the held order alert is notified at the next recheck
    p.process(region(None, NOON + 60))
    p.tick(NOON + 400)
    later = [a["scope"].get("order_id") for n in p.drain_notifications() for a in n.alerts]
    assert "W9" in later


def test_silence_with_expiry_records_and_lifts():
    p = AlertPipeline(quiet_cfg())
    p.process(order("yellow", NOON, oid="W1"))
    recs = p.apply_command({"action": "silence", "by": "lead-7", "reason": "known outage",
                            "matchers": {"region": "north"}, "duration_s": 3600}, NOON + 1)
    assert [(r.status, r.extra["silence_id"], r.extra["silenced"]) for r in recs] == [("silenced", "s-1", True)]
    p.tick(NOON + 30)
    assert p.drain_notifications() == []  # silenced before the first flush
    new = p.process(order("orange", NOON + 100, oid="W2"))
    assert statuses(new) == ["firing", "silenced"]
    lifted = p.tick(NOON + 3601)
    assert [(r.status, r.extra["silenced"], r.extra["reason"], r.ts) for r in lifted] == [
        ("silenced", False, "expired", NOON + 3601), ("silenced", False, "expired", NOON + 3601)]
    p.tick(NOON + 3700)
    assert {a["scope"]["order_id"] for n in p.drain_notifications() for a in n.alerts} == {"W1", "W2"}
    with pytest.raises(CommandError):
        p.apply_command({"action": "silence", "by": "x", "reason": "no expiry", "matchers": {"kind": "a"}}, NOON)


def test_mute_window_holds_blue_at_night_and_sends_in_the_morning():
    cfg = quiet_cfg(mute_windows=[MuteWindow(name="blue_at_night", matchers={"tier": "blue"},
                                             start="22:00", end="07:00")])
    p = AlertPipeline(cfg)
    rec = p.process(order("blue", T0))  # 23:00
    assert rec[0].extra["mute_window"] == "blue_at_night"
    p.tick(T0 + 3600)
    assert p.drain_notifications() == []
    p.tick(T0 + 8 * 3600)  # 07:00 next morning
    [n] = p.drain_notifications()
    assert n.alerts[0]["tier"] == "blue" and n.ts == T0 + 8 * 3600


def test_escalation_chain_and_ack_stops_it():
    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    first = p.process(order("red", NOON))[0]
    p.drain_notifications()
    esc = p.tick(NOON + 3600)
    assert [(r.status, r.extra["escalation_step"], r.extra["escalated_to"], r.ts) for r in esc] == [
        ("escalated", 1, "team_lead", NOON + 900), ("escalated", 2, "duty_manager", NOON + 1800)]
    assert [(n.receiver, n.step) for n in p.drain_notifications() if n.reason == "escalation"] == [
        ("team_lead", 1), ("duty_manager", 2)]
    q = AlertPipeline(AlertsConfig(mute_windows=[]))
    q.process(order("red", NOON))
    ack = q.apply_command({"action": "ack", "alert_id": first.alert_id, "by": "zhang", "note": "在处理"}, NOON + 60)
    assert [(r.status, r.extra["by"], r.extra["acknowledged"]) for r in ack] == [("acknowledged", "zhang", True)]
    assert [r.status for r in q.tick(NOON + 1700)] == []


def test_ack_timeout_retriggers_and_renotifies():
    p = AlertPipeline(AlertsConfig(mute_windows=[], escalation={}, ack_timeout_s=1800))
    a = p.process(order("orange", NOON))[0]
    p.apply_command({"action": "ack", "alert_id": a.alert_id, "by": "li"}, NOON + 10)
    p.tick(NOON + 20)
    p.drain_notifications()
    out = p.tick(NOON + 1810)
    assert [(r.status, r.extra["acknowledged"], r.extra["reason"], r.ts) for r in out] == [
        ("acknowledged", False, "ack_timeout", NOON + 1810)]
    [n] = p.drain_notifications()
    assert n.reason == "ack_timeout" and n.alerts[0]["alert_id"] == a.alert_id


def test_manual_resolve_assign_label_and_bad_commands():
    p = AlertPipeline(quiet_cfg())
    a = p.process(order("yellow", NOON))[0]
    assign = p.apply_command({"action": "assign", "alert_id": a.alert_id, "by": "lead", "to": "wang"}, NOON + 5)
    assert assign[0].status == "escalated" and assign[0].extra["assigned_to"] == "wang"
    p.apply_command({"action": "label", "alert_id": a.alert_id, "by": "qa", "label": "useful"}, NOON + 6)
    res = p.apply_command({"action": "resolve", "alert_id": a.alert_id, "by": "lead"}, NOON + 7)
    assert res[0].extra == {"seq": 3, "reason": "manual", "by": "lead"}
    assert p.process(order("yellow", NOON + 8)) == []  # stays resolved until the condition clears
    assert statuses(p.process(order("red", NOON + 9))) == ["firing"]  # ... or gets worse
    assert [lb["label"] for lb in p.labels()] == ["useful"] and p.drain_labels()[0]["kind"] == "receive_lag"
    for bad in ({"action": "ack", "alert_id": "nope-1", "by": "x"}, {"action": "fly", "by": "x"},
                {"action": "ack", "alert_id": a.alert_id}, {"action": "label", "by": "x", "label": "meh"}):
        with pytest.raises(CommandError):
            p.apply_command(bad, NOON + 10)


def test_summaries_and_evidence_are_masked():
    p = AlertPipeline(quiet_cfg())
    r = p.process(order("yellow", NOON, summary="客户 13912345678 身份证 110101199003071234 投诉"))[0]
    blob = orjson.dumps(r.to_dict()).decode()
    assert "13912345678" not in blob and "110101199003071234" not in blob and "13812345678" not in blob


def script():
    conds = [order("blue", NOON + i * 7, oid=f"W{i % 13}") for i in range(40)]
    conds += [order("red", NOON + 300 + i, oid=f"W{i}") for i in range(5)]
    conds += [region("orange", NOON + 400), region(None, NOON + 2000)]
    conds += [order(None, NOON + 2500 + i, oid=f"W{i}") for i in range(13)]
    return sorted(conds, key=lambda c: c.ts)


def run_all(p, conds, until):
    out = []
    for c in conds:
        out += [r.to_dict() for r in p.process(c)]
    out += [r.to_dict() for r in p.tick(until)]
    return out, [n.to_dict() for n in p.drain_notifications()]


def test_determinism_same_input_same_bytes():
    a = run_all(AlertPipeline(AlertsConfig()), script(), NOON + 9000)
    b = run_all(AlertPipeline(AlertsConfig()), script(), NOON + 9000)
    assert orjson.dumps(a) == orjson.dumps(b) and len(a[0]) > 10


def test_state_dict_round_trip_continues_identically():
    conds = script()
    whole = run_all(AlertPipeline(AlertsConfig()), conds, NOON + 9000)
    p = AlertPipeline(AlertsConfig())
    first = run_all(p, conds[:30], conds[29].ts)
    state = orjson.loads(orjson.dumps(p.state_dict()))
    q = AlertPipeline.from_state(AlertsConfig(), state)
    assert orjson.dumps(q.state_dict()) == orjson.dumps(state)
    rest = run_all(q, conds[30:], NOON + 9000)
    assert orjson.dumps((first[0] + rest[0], first[1] + rest[1])) == orjson.dumps(whole)


def test_routes_continue_and_per_route_receivers():
    cfg = quiet_cfg(routes=[Route(receiver="north_team", match={"region": "north"}, **{"continue": True}),
                            Route(receiver="repair", match={"stage": "receive"})])
    p = AlertPipeline(cfg)
    p.process(order("yellow", NOON))
    p.tick(NOON + 30)
    assert sorted(n.receiver for n in p.drain_notifications()) == ["north_team", "repair"]


def test_next_due_lets_a_shell_advance_exactly():
    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    p.process(order("red", NOON))
    due = p.next_due()
    assert due == NOON + 900
    assert statuses(p.tick(due)) == ["escalated"]


def test_a_silenced_alert_does_not_escalate_until_the_silence_ends():
    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    a = p.process(order("red", NOON))[0]
    p.apply_command({"action": "silence", "by": "lead", "reason": "drill", "alert_id": a.alert_id,
                     "duration_s": 1200}, NOON + 1)
    assert p.tick(NOON + 1200) == []                              # team lead's step (900 s) held while silenced
    out = p.tick(NOON + 4000)
    # silenced 1200 s of it: the team lead 900 s of unsilenced time after the fire (1 s before the silence, 899
    # after it), the duty manager the chain's 15 minutes later (it paged 59 s after the silence ended)
    assert [(r.status, r.ts - NOON, r.extra.get("escalation_step")) for r in out] == [
        ("silenced", 1201, None), ("escalated", 2100, 1), ("escalated", 3000, 2)]


def test_the_time_an_alert_was_silenced_does_not_count_toward_its_escalation():
    """A red alert, silenced 10 minutes into its team lead's 15: after the silence the remaining 5 minutes apply
    (the step fired at the silence's end: staff heard of the alert again and the lead was paged with them)."""
    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    a = p.process(order("red", NOON))[0]
    p.apply_command({"action": "silence", "by": "lead", "reason": "crews on site", "alert_id": a.alert_id,
                     "duration_s": 600}, NOON + 600)
    assert [(r.status, r.ts - NOON) for r in p.tick(NOON + 1499)] == [("silenced", 1200)]
    assert [(r.status, r.ts - NOON, r.extra["escalated_to"]) for r in p.tick(NOON + 3600)] == [
        ("escalated", 1500, "team_lead"), ("escalated", 2400, "duty_manager")]


def test_a_second_episode_in_the_same_second_gets_the_next_id():
    p = AlertPipeline(quiet_cfg())
    first = p.process(order("yellow", NOON))[0]
    p.process(order(None, NOON + 0.2))
    again = p.process(order("yellow", NOON + 0.5))[0]
    assert (first.alert_id, again.alert_id) == (f"{first.fingerprint}-{int(NOON)}",
                                                f"{first.fingerprint}-{int(NOON) + 1}")


def test_a_repeated_ack_records_nothing_and_unack_restarts_the_chain():
    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    a = p.process(order("red", NOON))[0]
    p.apply_command({"action": "ack", "alert_id": a.alert_id, "by": "zhang"}, NOON + 60)
    assert p.apply_command({"action": "ack", "alert_id": a.alert_id, "by": "zhang"}, NOON + 70) == []
    out = p.apply_command({"action": "unack", "alert_id": a.alert_id, "by": "zhang"}, NOON + 600)
    assert [(r.status, r.extra["acknowledged"], r.extra["reason"]) for r in out] == [("acknowledged", False, "unack")]
    assert [(r.status, r.ts - NOON) for r in p.tick(NOON + 1600)] == [("escalated", 1500)]   # 900 s after unack


def test_unsilence_records_who_lifted_it():
    p = AlertPipeline(quiet_cfg())
    p.process(order("yellow", NOON))
    p.apply_command({"action": "silence", "by": "lead", "reason": "x", "matchers": {"region": "north"},
                     "duration_s": 3600}, NOON + 1)
    out = p.apply_command({"action": "unsilence", "by": "lead2", "silence_id": "s-1"}, NOON + 5)
    assert [(r.status, r.extra["silenced"], r.extra["reason"], r.extra["by"]) for r in out] == [
        ("silenced", False, "removed", "lead2")]
    assert p.silences_active() == []
    with pytest.raises(CommandError):
        p.apply_command({"action": "unsilence", "by": "lead2", "silence_id": "s-1"}, NOON + 6)


def test_a_missed_incident_label_needs_no_alert_but_other_labels_do():
    p = AlertPipeline(quiet_cfg())
    p.apply_command({"action": "label", "by": "qa", "label": "missed_incident", "kind": "anomaly",
                     "scope": {"region": "east"}}, NOON)
    assert [(lb["label"], lb["kind"], lb["scope"]) for lb in p.labels()] == [
        ("missed_incident", "anomaly", {"region": "east"})]
    with pytest.raises(CommandError):
        p.apply_command({"action": "label", "by": "qa", "label": "useful"}, NOON + 1)
    assert len(p.labels()) == 1


def test_an_acknowledged_alert_is_not_repeated_and_an_unacked_or_lapsed_one_is_again():
    """repeat_interval reminds people of alerts nobody has taken: the grouping stage must see an ack (and an
    unack, and an ack that timed out) or it keeps pushing an acknowledged alert every four hours."""
    p = AlertPipeline(quiet_cfg(stale_after_s=0, ack_timeout_s=0))
    p.process(order("yellow", NOON, oid="W1"))
    p.tick(NOON + 30)
    [n] = p.drain_notifications()
    aid = n.alerts[0]["alert_id"]
    p.apply_command({"action": "ack", "alert_id": aid, "by": "zhang"}, NOON + 100)
    assert p.drain_notifications() == [], "an ack is no news to the group"
    p.tick(NOON + 30 + 4 * 3600)
    assert p.drain_notifications() == [], "an acknowledged alert is not repeated"
    p.apply_command({"action": "unack", "alert_id": aid, "by": "zhang"}, NOON + 5 * 3600)
    p.tick(NOON + 30 + 8 * 3600 + 60)
    assert [(x.reason, [a["acked_by"] for a in x.alerts]) for x in p.drain_notifications()] == [("repeat", [None])]


def test_an_ack_that_lapses_brings_the_repeats_back():
    p = AlertPipeline(quiet_cfg(stale_after_s=0, ack_timeout_s=1800))
    p.process(order("yellow", NOON, oid="W1"))
    p.tick(NOON + 30)
    [n] = p.drain_notifications()
    p.apply_command({"action": "ack", "alert_id": n.alerts[0]["alert_id"], "by": "zhang"}, NOON + 100)
    p.tick(NOON + 100 + 1800 + 60)    # the ack timed out: the alert is nobody's again
    assert [x.reason for x in p.drain_notifications()] == ["ack_timeout"]
    p.tick(NOON + 30 + 4 * 3600 + 60)
    assert [(x.reason, [a["acked_by"] for a in x.alerts]) for x in p.drain_notifications()] == [("repeat", [None])]


# ---- an alert's life as duty managers, staff and quality teams see it --------------------------------------------
def pushed(p):
    """(receiver, reason, order ids) of the messages the pipeline has produced since the last call."""
    return [(n.receiver, n.reason, sorted(a["scope"].get("order_id", "-") for a in n.alerts))
            for n in p.drain_notifications()]


def let_through_sent_log(notes):
    """The notifications a fresh sent-log lets through (the notifier drops a key it has seen as already sent)."""
    from alerts.notify import SentLog

    log = SentLog()

    async def claim_all():
        return [n for n in notes if await log.claim(n.key)]
    return asyncio.run(claim_all())


WALL = 1793000000.0   # the board's wall clock: the alerts' clock (NOON...) is not the wall's (an accelerated demo)


def test_a_silence_set_on_the_board_mutes_the_alert_and_its_expiry_brings_it_back():
    """The board sends ``until`` on its own wall clock (``dashboard/actions.py``): a 90-minute silence from the form
    lasts 90 minutes on the alerts' clock. Before the fix the pipeline wanted ``ends_at`` or ``duration_s`` and
    rejected every silence the board sent."""
    from dashboard.actions import build_command
    from dashboard.auth import User

    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    fired = p.process(order("orange", NOON))[0]
    cmd = build_command(User("zhao", "duty_manager", ""), "silence", p.active()[0], until=WALL + 5400,
                        reason="计划停电", ts=WALL)
    out = p.apply_command(cmd, NOON + 5)
    assert [(r.status, r.extra["silenced"], r.extra["by"], r.extra["until"]) for r in out] == [
        ("silenced", True, "zhao", "2026-07-14T13:30:05+08:00")]
    assert p.tick(NOON + 5404) == [] and pushed(p) == []     # not pushed, and the team lead's step (30 min) held
    back = p.tick(NOON + 5405)
    assert [(r.status, r.extra["silenced"], r.extra["reason"]) for r in back] == [("silenced", False, "expired")]
    p.tick(NOON + 5405 + 10)                                  # the orange group's wait after the expiry
    assert pushed(p) == [("staff", "group", ["W1"])]
    assert p.tick(NOON + 5405 + 1794) == []
    assert [(r.status, r.alert_id, r.ts - NOON) for r in p.tick(NOON + 5405 + 1800)] == [
        ("escalated", fired.alert_id, 5405 + 1795)]   # the silenced 90 minutes do not count: 5 s + 1795 s


def test_an_assignment_from_the_board_is_recorded_with_its_assignee():
    """The board sends ``assignee``; the pipeline wanted ``to`` and rejected every hand-over."""
    from dashboard.actions import build_command
    from dashboard.auth import User

    p = AlertPipeline(quiet_cfg())
    p.process(order("yellow", NOON))
    cmd = build_command(User("li", "staff", ""), "assign", p.active()[0], assignee="wang")
    out = p.apply_command(cmd, NOON + 5)
    assert [(r.status, r.extra["assigned_to"], r.extra["reason"], r.extra["by"]) for r in out] == [
        ("escalated", "wang", "assigned", "li")]
    assert p.active()[0]["assignee"] == "wang"


@pytest.mark.parametrize("ack_ends", ["unack", "ack_timeout"])
def test_the_team_lead_hears_again_when_the_chain_restarts_after_an_ack_ends(ack_ends):
    """Red: team lead at 15 min; the lead acknowledges; the ack is taken back (or lapses after 30 min) while the
    alert still fires, so the chain restarts and the lead is due again. The escalation message reused its key
    (``<alert_id>:esc1``), and the notifier's sent-log dropped it as already sent."""
    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    aid = p.process(order("red", NOON))[0].alert_id
    p.tick(NOON + 900)
    p.apply_command({"action": "ack", "alert_id": aid, "by": "lead"}, NOON + 1000)
    if ack_ends == "unack":
        p.apply_command({"action": "unack", "alert_id": aid, "by": "lead"}, NOON + 1100)
        again = NOON + 1100 + 900
    else:
        assert [r.extra["reason"] for r in p.tick(NOON + 1000 + 1800)] == ["ack_timeout"]
        again = NOON + 1000 + 1800 + 900
    assert [(r.extra["escalated_to"], r.ts) for r in p.tick(again)] == [("team_lead", again)]
    escalations = [n for n in p.drain_notifications() if n.reason == "escalation"]
    assert [(n.receiver, n.ts) for n in let_through_sent_log(escalations)] == [
        ("team_lead", NOON + 900), ("team_lead", again)]


def test_a_manual_resolve_holds_while_the_condition_lasts_and_its_return_is_a_new_episode_pushed_anew():
    """Staff resolve an alert by hand: the same verdicts keep coming and must not re-open it (README); once the
    condition clears, its return is a new episode with a new alert_id that staff are told about."""
    p = AlertPipeline(quiet_cfg(stale_after_s=0))
    first = p.process(order("yellow", NOON))[0]
    p.tick(NOON + 30)
    told = p.drain_notifications()
    assert [(n.reason, [a["status"] for a in n.alerts]) for n in told] == [("group", ["firing"])]
    assert [r.extra["reason"] for r in p.apply_command(
        {"action": "resolve", "alert_id": first.alert_id, "by": "li"}, NOON + 60)] == ["manual"]
    assert p.process(order("yellow", NOON + 120)) == [] and p.active() == []
    p.tick(NOON + 400)
    told += p.drain_notifications()
    assert [(n.reason, [a["status"] for a in n.alerts]) for n in told[1:]] == [("group", ["resolved"])]
    assert p.process(order(None, NOON + 500)) == []
    again = p.process(order("yellow", NOON + 600))
    assert statuses(again) == ["firing"] and again[0].alert_id != first.alert_id
    assert again[0].fingerprint == first.fingerprint and again[0].extra["seq"] == 1
    p.tick(NOON + 1000)
    told += p.drain_notifications()
    assert [a["alert_id"] for n in let_through_sent_log(told)[2:] for a in n.alerts] == [again[0].alert_id]


def a_full_life():
    """Steps through every verb of the pipeline: several alerts at once, every board command, a late verdict,
    hold-down (the south surge, in another region so it inhibits nothing here), escalation, ack timeout."""
    def ack(ts, of, by="zhao"):
        return lambda p, aid: p.apply_command({"action": "ack", "alert_id": aid[of], "by": by}, ts)

    def verdict(c):
        return lambda p, aid: p.process(c)

    def tick(ts):
        return lambda p, aid: p.tick(ts)

    return [verdict(order("red", NOON, oid="W1")),
            verdict(region("orange", NOON + 10, reg="south")),
            lambda p, aid: p.apply_command({"action": "silence", "by": "zhao", "reason": "已知", "duration_s": 3600,
                                            "matchers": {"order_id": "W2"}}, NOON + 60),
            verdict(order("orange", NOON + 100, oid="W2")),
            tick(NOON + 200),
            ack(NOON + 300, "W1"),
            verdict(order("yellow", NOON + 400, oid="W3")),
            lambda p, aid: p.apply_command({"action": "assign", "alert_id": aid["W3"], "by": "li", "to": "wang",
                                            "note": "客户13812345678"}, NOON + 420),
            lambda p, aid: p.apply_command({"action": "resolve", "alert_id": aid["W3"], "by": "li"}, NOON + 450),
            verdict(order("yellow", NOON + 500, oid="W3")),
            verdict(order("orange", NOON + 250, oid="W1")),          # late: older than the ack, held to settle
            tick(NOON + 2200),                                       # W1's ack lapses at +2100
            lambda p, aid: p.apply_command({"action": "unsilence", "by": "zhao", "silence_id": "s-1"}, NOON + 2300),
            ack(NOON + 2400, "W2", by="li"),
            lambda p, aid: p.apply_command({"action": "unack", "alert_id": aid["W2"], "by": "li"}, NOON + 2500),
            tick(NOON + 4000),
            verdict(order(None, NOON + 4100, oid="W1")),
            verdict(order(None, NOON + 4100, oid="W3")),
            verdict(order("yellow", NOON + 4200, oid="W3")),
            verdict(region(None, NOON + 4300, reg="south")),
            tick(NOON + 20000)]


def live(steps, restart_each_step=False):
    """Records (contract dicts) and notifications of a life; optionally through a checkpoint after every step."""
    cfg = AlertsConfig()
    p, records, notes, aid = AlertPipeline(cfg), [], [], {}
    for step in steps:
        for r in step(p, aid):
            aid[r.scope.get("order_id", r.kind)] = r.alert_id
            records.append(r.to_dict())
        notes += [n.to_dict() for n in p.drain_notifications()]
        if restart_each_step:
            p = AlertPipeline.from_state(cfg, orjson.loads(orjson.dumps(p.state_dict())))
    return records, notes


def test_a_checkpoint_at_any_point_of_an_alert_life_changes_nothing_that_follows():
    """The live worker checkpoints the pipeline and a replaced one resumes from it: acks, silences, a manual
    resolve, a held late verdict, escalation and grouping timers must all carry over."""
    straight = live(a_full_life())
    # 19 records: W2, silenced from its fire until 2300 and acknowledged at 2400, escalates only after the unack
    # (its silenced time does not count); 22 messages, one of them W3's hand-over to wang, two the all-clears to
    # the team lead the escalations of W1 and of the region paged
    assert len(straight[0]) == 19 and len(straight[1]) == 22
    assert [n["reason"] for n in straight[1]].count("assigned") == 1
    assert [(n["receiver"], n["reason"]) for n in straight[1]].count(("team_lead", "resolved")) == 2
    assert {r["status"] for r in straight[0]} == {"firing", "tier_changed", "acknowledged", "escalated", "silenced",
                                                  "resolved"}
    assert orjson.dumps(live(a_full_life(), restart_each_step=True)) == orjson.dumps(straight)


ALLOWED_EXTRA = {"firing": {"inhibited_by", "mute_window"}, "tier_changed": {"previous_tier", "direction",
                                                                           "inhibited_by", "mute_window"},
                 "acknowledged": {"acknowledged", "by", "note", "reason"},
                 "escalated": {"escalation_step", "escalated_to", "assigned_to", "by", "note", "reason"},
                 "silenced": {"silenced", "silence_id", "until", "by", "reason"},
                 "resolved": {"by", "reason"}}
CONTRACT_FIELDS = ["record", "alert_id", "fingerprint", "status", "ts", "kind", "stage", "scope", "tier", "score",
                   "summary", "evidence"]


def test_every_record_of_a_full_life_follows_the_contract():
    """shared/contracts/alerts.md plus README's extra keys: the store orders episodes by seq, the history reads
    reasons and who did what."""
    from datetime import datetime

    records, _ = live(a_full_life())
    by_episode: dict[str, list[dict]] = {}
    for r in records:
        assert list(r)[:12] == CONTRACT_FIELDS and r["record"] == "alert"
        assert r["tier"] in ("blue", "yellow", "orange", "red") and r["stage"] in ("receive", "decompose",
                                                                                  "feedback", None)
        assert set(r["scope"]) <= {"region", "department", "category", "channel", "order_id", "customer_id"}
        assert r["alert_id"].startswith(r["fingerprint"] + "-")
        extra = set(r) - set(CONTRACT_FIELDS) - {"seq"}
        assert extra <= ALLOWED_EXTRA[r["status"]], (r["status"], extra)
        assert "13812345678" not in orjson.dumps(r).decode()
        if r["status"] == "acknowledged":
            assert r["acknowledged"] is True or r["reason"] in ("unack", "ack_timeout")
        if r["status"] == "silenced":
            assert isinstance(r["silenced"], bool) and r["silence_id"].startswith("s-")
            assert r["silenced"] or r["reason"] in ("expired", "removed")
        if r["status"] == "escalated":
            assert r["reason"] in ("unacknowledged", "assigned") and r["escalation_step"] >= 0
        if r["status"] == "resolved":
            assert r["reason"] in ("cleared", "stale", "manual")
        by_episode.setdefault(r["alert_id"], []).append(r)
    for aid, recs in by_episode.items():
        assert [r["seq"] for r in recs] == list(range(1, len(recs) + 1)), aid
        assert recs[0]["status"] == "firing"
        assert [r["status"] for r in recs].count("resolved") <= 1 and "resolved" not in [r["status"]
                                                                                        for r in recs[:-1]]
        times = [datetime.fromisoformat(r["ts"]) for r in recs]
        assert times == sorted(times), aid


def test_a_missed_incident_from_the_board_keeps_where_and_what_happened():
    """The history page's form sends where as ``matchers`` and the description as ``reason``; the label kept
    neither, so the quality team's record of a missed incident said only who and when."""
    from dashboard.actions import build_command
    from dashboard.auth import User

    p = AlertPipeline(quiet_cfg())
    cmd = build_command(User("qa1", "quality", ""), "label", None, label="missed_incident",
                        reason="东区停电 40 分钟无预警，客户13812345678投诉",
                        matchers={"region": "east", "department": "east-repair", "stage": "feedback"})
    p.apply_command(cmd, NOON)
    [row] = p.drain_labels()
    assert (row["label"], row["by"], row["scope"], row["stage"], row["note"]) == (
        "missed_incident", "qa1", {"region": "east", "department": "east-repair"}, "feedback",
        "东区停电 40 分钟无预警，客户138****5678投诉")


def test_a_board_command_about_an_ended_episode_does_not_touch_the_new_one():
    """A duty manager clicks "acknowledge" on a card the board still shows while its episode has resolved and a new
    one of the same condition fired: the new episode is news nobody has acknowledged yet."""
    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    old = p.process(order("red", NOON))[0].alert_id
    p.process(order(None, NOON + 60))
    new = p.process(order("red", NOON + 120))[0].alert_id
    for action in ("ack", "assign", "resolve", "silence"):
        with pytest.raises(CommandError):
            p.apply_command({"action": action, "alert_id": old, "by": "zhao", "to": "wang", "reason": "x",
                             "duration_s": 600}, NOON + 130)
    assert [(a["alert_id"], a["acked_by"], a["assignee"], a["muted_by"]) for a in p.active()] == [
        (new, None, None, None)]
    assert [(r.status, r.alert_id) for r in p.tick(NOON + 120 + 900)] == [("escalated", new)]


def test_a_staff_silence_does_not_hide_an_alert_that_turns_red():
    """Staff may not silence a red alert (dashboard.auth): their silence stops at orange, so a silenced yellow
    alert that turns red is announced and escalates like any red one; the timeline says why the silence ended."""
    from dashboard.actions import build_command
    from dashboard.auth import User

    p = AlertPipeline(quiet_cfg(stale_after_s=0, ack_timeout_s=0))
    p.process(order("yellow", NOON, oid="W1"))
    p.tick(NOON + 30)
    p.drain_notifications()
    alert = p.active()[0]
    cmd = build_command(User("li", "staff", ""), "silence", alert, until=1000.0 + 7200, reason="crews on site")
    cmd["ts"] = 1000.0
    recs = p.apply_command(cmd, NOON + 60)
    assert [(r.status, r.extra.get("silenced")) for r in recs] == [("silenced", True)]
    p.process(order("orange", NOON + 120, oid="W1"))
    p.tick(NOON + 400)
    assert p.drain_notifications() == [], "orange: still silenced"
    recs = p.process(order("red", NOON + 500, oid="W1"))
    assert [(r.status, r.extra.get("reason")) for r in recs if r.status in ("tier_changed", "silenced")] == [
        ("tier_changed", None), ("silenced", "no_longer_matches")]
    p.tick(NOON + 900)
    assert [(n.reason, [a["tier"] for a in n.alerts]) for n in p.drain_notifications()] == [("group", ["red"])]


def test_a_silence_on_a_tier_ends_for_an_alert_that_leaves_it_and_a_managers_silence_holds():
    p = AlertPipeline(quiet_cfg(stale_after_s=0, ack_timeout_s=0))
    p.process(order("yellow", NOON, oid="W1"))
    p.process(order("yellow", NOON, oid="W2", region="south"))
    p.apply_command({"action": "silence", "by": "ops", "matchers": {"tier": "yellow", "region": "north"},
                     "reason": "known", "duration_s": 7200}, NOON + 10)
    p.apply_command({"action": "silence", "by": "zhao", "matchers": {"region": "south"},
                     "reason": "storm", "duration_s": 7200}, NOON + 10)
    p.process(order("red", NOON + 60, oid="W1"))
    p.process(order("red", NOON + 60, oid="W2", region="south"))
    muted = {a["scope"].get("order_id"): a.get("muted_by") for a in p.active()}
    assert muted["W1"] is None and muted["W2"] is not None, muted


def test_a_manual_resolve_keeps_the_boards_reason_masked():
    """The board's resolve form asks why; the quality team reading the alert's story later needs that answer."""
    p = AlertPipeline(quiet_cfg(stale_after_s=0, ack_timeout_s=0))
    p.process(order("yellow", NOON, oid="W1"))
    aid = p.active()[0]["alert_id"]
    recs = p.apply_command({"action": "resolve", "alert_id": aid, "by": "zhao",
                            "reason": "crew fixed it, customer 13812345678 confirmed"}, NOON + 60)
    [rec] = [r.to_dict(8) for r in recs if r.status == "resolved"]
    assert rec["reason"] == "manual" and rec["by"] == "zhao"
    assert rec["note"].startswith("crew fixed it") and "13812345678" not in rec["note"]


def escalations(records):
    return [(r.ts, r.extra["escalation_step"], r.extra["escalated_to"]) for r in records if r.status == "escalated"
            and r.extra["reason"] == "unacknowledged"]


def test_a_blue_alert_that_turns_red_at_night_pages_its_steps_one_wait_apart():
    """Blue at 23:00 (held by the default blue_at_night window: nobody is told), red at 02:00: the red chain's
    15 and 30 minutes counted from 23:00, the night's muted time included, so the team lead and the duty manager
    were paged together at 02:00. Muted time does not count: 02:15 and 02:30."""
    p = AlertPipeline(AlertsConfig())
    p.process(order("blue", T0))
    red = T0 + 3 * 3600
    p.process(order("red", red))
    assert escalations(p.tick(red + 3600)) == [(red + 900, 1, "team_lead"), (red + 1800, 2, "duty_manager")]


def test_a_late_step_keeps_the_next_one_its_own_wait():
    """Yellow at noon (no chain, staff told), red an hour later: the team lead's 15 minutes are long past, so he is
    paged at once; the duty manager only the chain's 15 minutes after him, not in the same breath."""
    p = AlertPipeline(AlertsConfig(mute_windows=[]))
    p.process(order("yellow", NOON))
    p.process(order("red", NOON + 3600))
    out = p.tick(NOON + 3600 + 899)
    assert escalations(out) == [(NOON + 3600, 1, "team_lead")]
    assert escalations(p.tick(NOON + 3600 + 1800)) == [(NOON + 3600 + 900, 2, "duty_manager")]
    pages = [n for n in p.drain_notifications() if n.reason == "escalation"]
    assert [(n.receiver, n.ts - NOON) for n in let_through_sent_log(pages)] == [("team_lead", 3600),
                                                                                ("duty_manager", 4500)]


def test_an_alert_muted_by_a_night_window_escalates_after_its_wait_in_the_morning():
    """A window muting every tier overnight: the red alert from 20:00 is told to staff at 08:00, and the team
    lead hears of it 15 minutes later if nobody takes it (he was paged at 08:00 with the staff before)."""
    cfg = AlertsConfig(mute_windows=[MuteWindow(name="after_hours", start="18:00", end="08:00")])
    p = AlertPipeline(cfg)
    eve, morning = T0 - 3 * 3600, T0 + 9 * 3600            # 20:00, 08:00
    p.process(order("red", eve))
    assert escalations(p.tick(morning + 899)) == []
    assert escalations(p.tick(morning + 3600)) == [(morning + 900, 1, "team_lead"),
                                                   (morning + 1800, 2, "duty_manager")]


def test_an_assignment_pushes_a_message_to_the_assignee():
    """The board's hand-over recorded the assignee but told nobody: wang had to find it on the board."""
    from alerts.templates import render

    cfg = AlertsConfig(mute_windows=[], receivers={"staff": [], "wang": ["json://localhost:9/wang"]})
    p = AlertPipeline(cfg)
    aid = p.process(order("orange", NOON, summary="客户13812345678投诉"))[0].alert_id
    p.tick(NOON + 60)
    p.drain_notifications()
    p.apply_command({"action": "assign", "alert_id": aid, "by": "li", "assignee": "wang",
                     "note": "请回电 13912345678"}, NOON + 100)
    [n] = p.drain_notifications()
    assert (n.receiver, n.reason, n.ts, [a["alert_id"] for a in n.alerts]) == ("wang", "assigned", NOON + 100, [aid])
    title, body = render(n, "zh", "http://board")
    text = title + body
    assert "wang" in title and "li" in body and "请回电" in body and f"http://board/?alert={aid}" in body
    assert "13812345678" not in text and "13912345678" not in text
    # handed back and forth: each hand-over is its own message (the notifier's sent-log drops a key it has seen)
    p.apply_command({"action": "assign", "alert_id": aid, "by": "wang", "to": "zhao"}, NOON + 200)
    p.apply_command({"action": "assign", "alert_id": aid, "by": "zhao", "to": "wang"}, NOON + 300)
    notes = p.drain_notifications()
    assert [(m.receiver, m.ts) for m in let_through_sent_log([n] + notes)] == [
        ("wang", NOON + 100), ("staff", NOON + 200), ("wang", NOON + 300)]


def test_an_assignment_goes_to_the_assignees_configured_receiver_or_else_to_the_alerts_own():
    """``assignee_receivers`` maps a board user to a receiver; a user with none is told through the receivers the
    alert is routed to (the team's channel), the message naming the assignee."""
    from alerts.templates import render

    cfg = AlertsConfig(mute_windows=[], receivers={"staff": [], "north_team": [], "li_phone": []},
                       routes=[Route(receiver="north_team", match={"region": "north"})],
                       assignee_receivers={"li": "li_phone"})
    p = AlertPipeline(cfg)
    aid = p.process(order("yellow", NOON))[0].alert_id
    p.tick(NOON + 60)
    p.drain_notifications()
    p.apply_command({"action": "assign", "alert_id": aid, "by": "zhao", "to": "li"}, NOON + 100)
    p.apply_command({"action": "assign", "alert_id": aid, "by": "zhao", "to": "sun"}, NOON + 200)
    notes = p.drain_notifications()
    assert [(n.receiver, n.reason, n.alerts[0]["assignee"]) for n in notes] == [
        ("li_phone", "assigned", "li"), ("north_team", "assigned", "sun")]
    assert "sun" in render(notes[1], "en", "http://board")[0]
    with pytest.raises(ValueError):
        AlertsConfig(assignee_receivers={"li": "nowhere"})


def test_an_alert_inhibited_from_its_fire_escalates_its_full_wait_after_the_inhibition():
    """A red order alert fires under a regional surge (inhibited: staff are not told of it); the surge clears at
    +1200. The team lead is paged 15 minutes after the alert could be heard of (looked at each minute), not at once."""
    p = AlertPipeline(quiet_cfg(escalation=AlertsConfig().escalation))
    p.process(region("red", NOON))
    p.process(order("red", NOON + 10))
    p.process(region(None, NOON + 1200))
    heard = NOON + 1210                                     # the first minute's look after the surge cleared
    out = [r for r in p.tick(NOON + 4000) if r.scope.get("order_id") == "W1"]
    assert escalations(out) == [(heard + 900, 1, "team_lead"), (heard + 1800, 2, "duty_manager")]


# ---- what the messages tell staff (alerts/templates.py on the pipeline's notifications) ---------------------------
def test_an_acknowledgement_rides_along_with_the_groups_next_message_naming_who_took_it():
    """An ack is no message of its own, but the group's next message told nothing of it (a change message carried
    only the new alert): staff on the channel went on to work an alert duty had already taken."""
    from alerts.templates import render

    p = AlertPipeline(quiet_cfg(stale_after_s=0, ack_timeout_s=0))
    p.process(order("yellow", NOON, oid="W1"))
    p.tick(NOON + 30)
    [n] = p.drain_notifications()
    p.apply_command({"action": "ack", "alert_id": n.alerts[0]["alert_id"], "by": "duty"}, NOON + 100)
    p.tick(NOON + 400)
    assert p.drain_notifications() == [], "an ack alone sends nothing"
    p.process(order("yellow", NOON + 500, oid="W2"))
    p.tick(NOON + 900)
    [n] = p.drain_notifications()
    assert [(a["scope"]["order_id"], a["acked_by"]) for a in n.alerts] == [("W2", None), ("W1", "duty")]
    title, body = render(n, "zh", "http://board")
    assert title.startswith("【黄色预警 III级】") and "已确认：duty" in body
    assert body.index("W2") < body.index("W1")                  # what still needs someone first
    p.process(order("yellow", NOON + 1000, oid="W3"))
    p.tick(NOON + 1400)
    [n] = p.drain_notifications()
    assert [a["scope"]["order_id"] for a in n.alerts] == ["W3"], "told once"


def test_a_group_whose_alerts_all_resolved_sends_an_all_clear_titled_as_one():
    """send_resolved told staff, but the message was titled 【红色预警 I级】: an alarm, not a stand-down."""
    from alerts.templates import render

    p = AlertPipeline(quiet_cfg(stale_after_s=0))
    p.process(order("red", NOON, oid="W1"))
    p.process(order("red", NOON, oid="W2"))
    p.tick(NOON + 30)
    p.drain_notifications()
    p.process(order(None, NOON + 600, oid="W1"))
    [n] = p.drain_notifications()
    title, body = render(n, "zh", "http://board")
    assert title.startswith("【预警已解除】红色 I级") and title.endswith("(1，仍在预警 1)")   # W2 still fires
    assert "解除于 2026-07-14 12:10" in body and "(UTC+8)" in body
    p.process(order(None, NOON + 700, oid="W2"))
    p.tick(NOON + 1000)
    [n] = p.drain_notifications()
    assert [(a["scope"]["order_id"], a["status"]) for a in n.alerts] == [("W2", "resolved")]
    title, body = render(n, "zh", "http://board")
    assert title.startswith("【预警已解除】红色 I级") and "预警 I级】" not in title and title.endswith("(1)")
    assert "已解除" in body and "解除于 2026-07-14 12:11" in body
    title, _ = render(n, "en", "http://board")
    assert title.startswith("[Resolved] Red I · Receive overdue")


def test_a_receiver_an_escalation_paged_hears_the_all_clear():
    """The team lead paged at 15 minutes for a red alert was never told it had resolved (only the group's routes
    were): he could not stand down. The duty manager, never paged, is not told; staff hear it through the group."""
    from alerts.templates import render

    p = AlertPipeline(quiet_cfg(stale_after_s=0, escalation=AlertsConfig().escalation))
    p.process(order("red", NOON, oid="W1"))
    p.tick(NOON + 1000)                                          # team lead paged at +900
    assert [(n.receiver, n.reason) for n in p.drain_notifications()] == [("staff", "group"),
                                                                        ("team_lead", "escalation")]
    p.process(order(None, NOON + 1200, oid="W1"))
    p.tick(NOON + 1600)
    notes = p.drain_notifications()
    assert sorted((n.receiver, n.reason) for n in notes) == [("staff", "group"), ("team_lead", "resolved")]
    lead = next(n for n in notes if n.receiver == "team_lead")
    assert lead.key.endswith(":resolved") and render(lead, "zh", "http://board")[0].startswith("【预警已解除】")
    # a restored pipeline remembers whom it paged
    q = AlertPipeline(quiet_cfg(stale_after_s=0, escalation=AlertsConfig().escalation))
    q.process(order("red", NOON, oid="W2"))
    q.tick(NOON + 1000)
    r = AlertPipeline.from_state(q.config, orjson.loads(orjson.dumps(q.state_dict())))
    r.process(order(None, NOON + 1200, oid="W2"))
    assert ("team_lead", "resolved") in [(n.receiver, n.reason) for n in r.drain_notifications()]
