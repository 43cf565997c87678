"""AlertStore against a real redis-server (port 18179, started and killed here)."""

import pytest
import redis

from alerts.config import AlertsConfig
from alerts.pipeline import AlertPipeline
from alerts.store import AlertStore
from yujing.records import Condition

NOON = 1784001600.0


@pytest.fixture()
def store(redis_server):
    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    yield AlertStore(client, prefix="t:")
    client.close()


def lifecycle():
    p = AlertPipeline(AlertsConfig(mute_windows=[], hold_down={}))
    recs = []
    recs += p.process(Condition("receive_lag", {"order_id": "W1", "region": "north", "department": "d1"}, "yellow",
                                NOON, "receive", 0.8, "受理超时 13812345678"))
    recs += p.process(Condition("backlog_growth", {"region": "south"}, "red", NOON + 10, "feedback", 3.0, "积压"))
    recs += p.process(Condition("receive_lag", {"order_id": "W1", "region": "north", "department": "d1"}, "orange",
                                NOON + 60, "receive", 0.95))
    w1 = recs[0].alert_id
    recs += p.apply_command({"action": "ack", "alert_id": w1, "by": "zhang"}, NOON + 70)
    recs += p.process(Condition("receive_lag", {"order_id": "W1", "region": "north", "department": "d1"}, None,
                                NOON + 120, "receive"))
    return p, [r.to_dict() for r in recs]


def test_apply_active_timeline_history(store):
    _, recs = lifecycle()
    store.apply(recs)
    active = store.active()
    assert [(a["kind"], a["tier"], a["status"]) for a in active] == [("backlog_growth", "red", "firing")]
    w1 = recs[0]["alert_id"]
    row = store.get(w1)
    assert row["status"] == "resolved" and row["max_tier"] == "orange" and row["acked_by"] == "zhang"
    assert [r["status"] for r in store.timeline(w1)] == ["firing", "tier_changed", "acknowledged", "resolved"]
    assert [h["alert_id"] for h in store.history()] == [recs[1]["alert_id"], w1]  # newest first
    assert [h["alert_id"] for h in store.history(region="north", status="resolved")] == [w1]
    assert store.history(tier="red", region="north") == []
    assert [h["kind"] for h in store.history(since=NOON + 5)] == ["backlog_growth"]
    assert store.history(department="d1")[0]["alert_id"] == w1
    assert "13812345678" not in str(store.timeline(w1))


def test_apply_is_idempotent_and_order_tolerant(store):
    _, recs = lifecycle()
    store.apply(recs[:3])
    store.apply(recs)          # re-applying after a "restart"
    store.apply(list(reversed(recs)))
    w1 = recs[0]["alert_id"]
    assert len(store.timeline(w1)) == 4
    assert store.get(w1)["status"] == "resolved" and store.get(w1)["records"] == 4
    assert len(store.active()) == 1


def test_rebuild_replays_the_topic(store):
    _, recs = lifecycle()
    store.apply(recs[:2])
    store.rebuild(recs)
    assert len(store.history()) == 2 and len(store.active()) == 1


def test_commands_deliveries_audit_labels(store):
    p, recs = lifecycle()
    cid = store.send_command({"action": "ack", "alert_id": recs[1]["alert_id"], "by": "li"})
    got = store.read_commands("0")
    assert got == [(cid, {"action": "ack", "alert_id": recs[1]["alert_id"], "by": "li"})]
    assert store.read_commands(cid) == []
    # the worker applies it: one writer
    out = p.apply_command(got[0][1], NOON + 200)
    store.apply([r.to_dict() for r in out])
    p.apply_command({"action": "label", "alert_id": recs[1]["alert_id"], "by": "qa", "label": "false_alarm"},
                    NOON + 201)
    store.apply(p.drain_labels())
    assert [lb["label"] for lb in store.labels(kind="backlog_growth")] == ["false_alarm"]
    store.record_delivery(recs[1]["alert_id"], {"ok": True, "receiver": "staff", "attempts": 1, "key": "k1"})
    store.record_delivery(recs[1]["alert_id"], {"ok": False, "receiver": "lead", "attempts": 5, "error": "boom",
                                                "key": "k2"})
    assert [d["ok"] for d in store.deliveries(recs[1]["alert_id"])] == [True, False]
    assert [d["error"] for d in store.deliveries(failed_only=True)] == ["boom"]
    store.audit("li", "ack", {"alert_id": recs[1]["alert_id"]}, ts=NOON)
    assert store.audit_log()[0]["who"] == "li"


def test_a_record_emitted_again_with_its_seq_but_another_time_is_folded_not_added(store):
    """After a restart the pipeline replays from its checkpoint and emits the same lifecycle step again (same
    ``seq``); a step made on the live clock (escalation, ack timeout, stale resolve) carries another ``ts`` then.
    The timeline keeps one record per seq and the row counts it once (MTTA/MTTR read the first)."""
    _, recs = lifecycle()
    w1 = [r for r in recs if r["alert_id"] == recs[0]["alert_id"]]
    store.apply(w1)
    again = {**w1[-1], "ts": "2026-07-14T12:09:30+08:00"}   # the resolve, re-emitted 90 s later
    store.apply([again])
    store.apply([again, {**again, "ts": "2026-07-14T12:10:00+08:00"}])
    assert len(store.timeline(w1[0]["alert_id"])) == len(w1) and store.get(w1[0]["alert_id"])["records"] == len(w1)
    store.rebuild(w1 + [again])   # both in one batch: the topic replayed
    timeline = store.timeline(w1[0]["alert_id"])
    assert [r["seq"] for r in timeline] == [r["seq"] for r in w1] and timeline[-1] == w1[-1]
    row = store.get(w1[0]["alert_id"])
    assert row["records"] == len(w1) and row["resolved_ts"] == w1[-1]["ts"]
