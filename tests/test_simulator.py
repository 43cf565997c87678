"""The simulator: contract-valid, deterministic, lifelike in shape, and incidents visibly change the stream."""
from __future__ import annotations

import io
import json
import statistics
import time
from collections import Counter, defaultdict
from datetime import datetime

import orjson
import pytest
from typer.testing import CliRunner

from yujing.events import InvalidEvent, parse_event
from yujing.simulator import SimOptions, default_regions, iter_events, iter_timed, parse_incident
from yujing.simulator.sinks import write_jsonl

MONDAY = datetime.fromisoformat("2026-07-13T00:00:00+08:00").timestamp()
MORNING = datetime.fromisoformat("2026-07-13T08:00:00+08:00").timestamp()


def run(**kw) -> list[dict]:
    kw.setdefault("start", MORNING)
    return list(iter_events(SimOptions(**kw)))


@pytest.fixture(scope="module")
def day() -> list[dict]:
    """A whole Monday, six regions, in order (no late deliveries)."""
    return run(start=MONDAY, hours=24, seed=11, late_rate=0.0)


def test_every_event_parses_even_with_incidents_and_late_deliveries():
    regions = default_regions(6)
    incidents = [parse_incident(s, regions) for s in (
        "understaffed_receive:north:0:60", "outage_surge:east:0:90", "department_stall:south:10:60",
        "misclassification_wave:app:0:120", "sentiment_storm:west:0:120", "slow_feedback:east-repair-1:0:120",
        "gradual_drift:lakeside")]
    events = run(hours=2, seed=5, incidents=incidents, late_rate=0.01)
    assert len(events) > 1000
    for ev in events:
        parse_event(ev)
        parse_event(orjson.dumps(ev))
    assert len({ev["event_id"] for ev in events}) == len(events)


def test_same_seed_same_events_other_seed_other_events():
    a = run(hours=0.5, seed=7)
    assert a == run(hours=0.5, seed=7)
    assert a != run(hours=0.5, seed=8)


def test_lifecycle_order_per_order(day):
    by_order: dict[str, list[dict]] = defaultdict(list)
    for ev in day:
        by_order[ev["order_id"]].append(ev)
    assert len(by_order) > 3000
    rank = {"created": 0, "accepted": 1, "dispatched": 2, "dept_accepted": 3, "closed": 5}
    for events in by_order.values():
        types = [e["type"] for e in events]
        assert types[0] == "created"
        assert types.count("created") == 1
        ts = [e["ts"] for e in events]
        assert ts == sorted(ts)
        milestones = [rank[t] for t in types if t in rank and t != "closed"]
        assert milestones == sorted(milestones)
        if "closed" in types:
            assert types.index("accepted") < types.index("dispatched") < types.index("dept_accepted") \
                < types.index("closed")
            assert "replied" in types[:types.index("closed")]
        if "revisited" in types:
            assert types.index("closed") < types.index("revisited")
        if "arrived" in types:
            assert types.index("dept_accepted") < types.index("arrived")
        if "reassigned" in types:
            assert types.index("dispatched") < types.index("reassigned")
        if "resumed" in types:
            assert types.index("paused") < types.index("resumed")


def test_a_lifelike_mix(day):
    types = Counter(e["type"] for e in day)
    created = [e for e in day if e["type"] == "created"]
    assert types["escalated"] > 0 and 0.005 < types["escalated"] / types["created"] < 0.06
    assert types["reassigned"] > 0 and types["urged"] > 0 and types["customer_message"] > 0
    assert types["reopened"] > 0 and types["paused"] > 0 and types["revisited"] > 0
    assert {e["to"] for e in day if e["type"] == "escalated"} >= {"complaint", "12398"}
    cats = Counter(e["category"] for e in created)
    assert cats.most_common(1)[0][0] in ("fault_repair", "consultation") and len(cats) == 8
    assert len({e["region"] for e in created}) == 6
    assert Counter(e["customer_tier"] for e in created)["premium"] > 0
    assert any(e.get("affected_customers") for e in created)
    dispatched_cat = {e["order_id"]: e["category"] for e in day if e["type"] == "dispatched"}
    reclassified = sum(1 for e in created if dispatched_cat.get(e["order_id"], e["category"]) != e["category"])
    assert 0.01 < reclassified / len(created) < 0.08
    repeat_customers = Counter(e["customer_id"] for e in created)
    assert any(n >= 2 for n in repeat_customers.values())
    english = sum(1 for e in day if "text" in e and e["text"].isascii())
    assert 0.08 < english / sum(1 for e in day if "text" in e) < 0.25


def test_diurnal_shape_more_at_ten_than_at_three(day):
    hours = Counter(int(e["ts"][11:13]) for e in day if e["type"] == "created")
    assert hours[10] > 3 * hours[3]
    assert hours[20] > hours[15] * 0.9          # an evening peak, not a monotone decline


def test_texts_with_personal_data_and_markup_exist(day):
    texts = [e["text"] for e in day if "text" in e]
    pii = [t for t in texts if any(k in t for k in ("联系电话", "身份证号", "地址：", "Call me on", "ID number",
                                                     "Address:"))]
    assert 0.05 < len(pii) / len(texts) < 0.15
    assert any("<script>" in t or "<b>" in t for t in texts)
    threats = [e for e in day if e["type"] in ("urged", "customer_message")
               and any(k in e.get("text", "") for k in ("12398", "12345", "曝光", "regulator", "press"))]
    assert threats


def test_anger_grows_with_the_wait(day):
    created = {e["order_id"]: e["ts"] for e in day if e["type"] == "created"}
    polite, angry = [], []
    for e in day:
        if e["type"] == "customer_message":
            wait = datetime.fromisoformat(e["ts"]) - datetime.fromisoformat(created[e["order_id"]])
            (angry if any(k in e["text"] for k in ("太差", "受够", "12398", "曝光", "terrible", "fed up"))
             else polite).append(wait.total_seconds())
    assert polite and angry and statistics.median(angry) > statistics.median(polite)


def _receive_gaps(events: list[dict], region: str) -> list[float]:
    created = {e["order_id"]: datetime.fromisoformat(e["ts"]) for e in events
               if e["type"] == "created" and e["region"] == region}
    return [(datetime.fromisoformat(e["ts"]) - created[e["order_id"]]).total_seconds()
            for e in events if e["type"] == "accepted" and e["order_id"] in created]


def test_understaffed_receive_lengthens_created_to_accepted_in_that_region():
    regions = default_regions(6)
    base = run(hours=2, seed=3, late_rate=0.0)
    hit = run(hours=2, seed=3, late_rate=0.0, incidents=[parse_incident("understaffed_receive:north:0:120", regions)])
    assert statistics.mean(_receive_gaps(hit, "north")) > 3 * statistics.mean(_receive_gaps(base, "north"))
    assert statistics.mean(_receive_gaps(hit, "east")) < 2 * statistics.mean(_receive_gaps(base, "east"))


def test_outage_surge_floods_fault_reports_with_many_affected_customers():
    regions = default_regions(6)
    base = run(hours=2, seed=4, late_rate=0.0)
    hit = run(hours=2, seed=4, late_rate=0.0, incidents=[parse_incident("outage_surge:east:0:120", regions)])

    def faults(evs):
        return [e for e in evs if e["type"] == "created" and e["region"] == "east" and e["category"] == "fault_repair"]
    assert len(faults(hit)) > 3 * len(faults(base))
    assert sum(1 for e in faults(hit) if e.get("affected_customers", 0) >= 200) > 20


def test_department_stall_stops_department_acceptance():
    regions = default_regions(6)
    hit = run(hours=2, seed=6, late_rate=0.0,
              incidents=[parse_incident("department_stall:south-marketing:30:60", regions)])
    accepted = [e["ts"][11:16] for e in hit if e["type"] == "dept_accepted" and e["department"] == "south-marketing"]
    assert any(t < "08:30" for t in accepted)
    assert not [t for t in accepted if "08:31" <= t < "09:30"]
    assert any(t >= "09:30" for t in accepted)                  # the backlog is taken after the stall


def test_misclassification_wave_reclassifies_on_its_channel():
    regions = default_regions(6)
    hit = run(hours=2, seed=9, late_rate=0.0, incidents=[parse_incident("misclassification_wave:app:0:120", regions)])
    created = {e["order_id"]: e for e in hit if e["type"] == "created"}
    first_dispatch: dict[str, str] = {}
    for e in hit:
        if e["type"] == "dispatched":
            first_dispatch.setdefault(e["order_id"], e["category"])

    def rate(channel: str) -> float:
        ids = [o for o, c in created.items() if c["channel"] == channel and o in first_dispatch]
        return sum(first_dispatch[o] != created[o]["category"] for o in ids) / len(ids)
    assert rate("app") > 0.2 and rate("hotline") < 0.1


def test_bad_rate_adds_duplicates_and_broken_events_late_rate_reorders():
    events = run(hours=1, seed=2, bad_rate=0.05, late_rate=0.02)
    broken = 0
    for ev in events:
        try:
            parse_event(ev)
        except InvalidEvent:
            broken += 1
    ids = Counter(e["event_id"] for e in events)
    assert broken > 10 and any(n > 1 for n in ids.values())
    ts = [e["ts"] for e in events]
    assert any(b < a for a, b in zip(ts, ts[1:]))


def test_throughput_smoke_one_hour_six_regions():
    t0 = time.perf_counter()
    buf = io.BytesIO()
    n = write_jsonl(iter_timed(SimOptions(start=MORNING, hours=1, seed=1)), buf, speed=0)
    assert n > 500 and buf.getvalue().count(b"\n") == n
    assert time.perf_counter() - t0 < 20


def test_speed_paces_simulated_time():
    opts = SimOptions(start=MORNING, hours=1 / 60, seed=1)        # one simulated minute
    t0 = time.perf_counter()
    write_jsonl(iter_timed(opts), io.BytesIO(), speed=200)        # ~0.3 s of wall time
    assert time.perf_counter() - t0 > 0.15


def test_cli_writes_jsonl(tmp_path):
    from yujing.cli import app

    out = tmp_path / "ev.jsonl"
    res = CliRunner().invoke(app, ["simulate", "--out", str(out), "--speed", "0", "--hours", "0.5", "--seed", "4",
                                   "--start", "2026-07-14T09:00:00", "--demo", "--regions", "4"])
    assert res.exit_code == 0, res.output
    lines = out.read_bytes().splitlines()
    assert len(lines) > 200
    events = [parse_event(line) for line in lines]
    assert {e.region for e in events if e.type == "created"} == {"north", "east", "south", "west"}
    assert min(e.ts for e in events).startswith("2026-07-14T09:0")
    bad = CliRunner().invoke(app, ["simulate", "--out", str(out), "--incident", "volcano:north"])
    assert bad.exit_code != 0


async def test_kafka_sink_creates_topic_and_keys_by_order(kafka_broker):
    import uuid

    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

    from yujing.simulator.sinks import produce_kafka

    topic = f"sim-{uuid.uuid4().hex[:8]}"
    events = list(iter_timed(SimOptions(start=MORNING, hours=0.25, seed=12)))
    sent = await produce_kafka(iter(events), f"kafka://{kafka_broker}", topic, speed=0, partitions=3)
    assert sent == len(events) > 50
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker)
    await admin.start()
    try:
        meta = await admin.describe_topics([topic])
        assert len(meta[0]["partitions"]) == 3
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_broker, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    got = []
    try:
        deadline = time.monotonic() + 20
        while len(got) < sent and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                got.extend(records)
    finally:
        await consumer.stop()
    assert len(got) == sent
    partition_of: dict[str, set[int]] = defaultdict(set)
    for rec in got:
        ev = parse_event(rec.value)
        assert rec.key.decode() == ev.order_id
        partition_of[ev.order_id].add(rec.partition)
    assert all(len(p) == 1 for p in partition_of.values())
    assert len({p for ps in partition_of.values() for p in ps}) == 3


# --- ground truth (--truth) ----------------------------------------------------------------------------------
SCORE_TOOLS = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "scenarios" / "tools"


@pytest.fixture(scope="module")
def truth_run(tmp_path_factory):
    """Six simulated hours with two overlapping incidents, written with and without --truth."""
    from yujing.cli import app

    d = tmp_path_factory.mktemp("truth")
    args = ["simulate", "--speed", "0", "--hours", "6", "--seed", "21", "--start", "2026-07-14T06:00:00",
            "--regions", "4", "--incident", "understaffed_receive:east:60:120:0.25",
            "--incident", "department_stall:south-marketing:90:150", "--incident", "sentiment_storm:west:30:200"]
    plain = CliRunner().invoke(app, args + ["--out", str(d / "plain.jsonl")])
    assert plain.exit_code == 0, plain.output
    res = CliRunner().invoke(app, args + ["--out", str(d / "events.jsonl"), "--truth", str(d / "truth")])
    assert res.exit_code == 0, res.output
    return d


def test_truth_leaves_the_events_unchanged(truth_run):
    assert (truth_run / "plain.jsonl").read_bytes() == (truth_run / "events.jsonl").read_bytes()


def test_truth_loads_in_the_scorer_and_harm_lies_in_the_incident(truth_run):
    import sys

    if not (SCORE_TOOLS / "score.py").exists():
        pytest.skip("shared/scenarios/tools not here")
    sys.path.insert(0, str(SCORE_TOOLS))
    import score  # type: ignore[import-not-found]

    truth = score.Truth(str(truth_run / "truth"))
    assert truth.days == pytest.approx(0.25)
    by_type = {i["type"]: i for i in truth.incidents}
    assert set(by_type) == {"understaffed_receive", "department_stall", "sentiment_storm"}
    assert by_type["department_stall"]["scope"] == {"region": "south", "department": "south-marketing"}
    assert by_type["department_stall"]["stage"] == "decompose" and by_type["understaffed_receive"]["stage"] == "receive"
    for kind in ("understaffed_receive", "department_stall"):
        inc = by_type[kind]
        assert inc["_h"] is not None and inc["stats"]["breached_orders"] > 0
        assert inc["_s"] <= inc["_h"] <= inc["_e"] + 30 * 60
    assert truth.dept_region["south-marketing"] == "south"
    # every order is there, with the departments it was sent to
    created = [orjson.loads(x) for x in (truth_run / "events.jsonl").read_bytes().splitlines()]
    orders = {e["order_id"] for e in created if e["type"] == "created"}
    assert set(truth.orders) == orders
    sent: dict[str, set] = defaultdict(set)
    for e in created:
        if e["type"] in ("dispatched", "reassigned"):
            sent[e["order_id"]].add(e["department"])
    assert all(set(truth.orders[o]["departments"]) == sent[o] for o in orders)
    # the scorer runs on it: a result that alerts on the stalled department at the stall's start detects it
    res = truth_run / "result"
    res.mkdir()
    stall = by_type["department_stall"]
    (res / "alerts.jsonl").write_text(json.dumps({"record": "alert", "status": "firing", "ts": stall["start"],
                                                  "stage": "decompose", "scope": {"department": "south-marketing"},
                                                  "kind": "dispatch_lag", "tier": "yellow"}) + "\n")
    got = score.score(str(truth_run / "truth"), str(res))
    assert got["per_type"]["department_stall"]["recall"] == 1.0 and got["false_alarms"] == 0


def test_truth_escalations_and_breaches_match_the_stream(truth_run):
    truth_dir = truth_run / "truth"
    orders = json.loads((truth_dir / "orders.json").read_text())
    events = [orjson.loads(x) for x in (truth_run / "events.jsonl").read_bytes().splitlines()]
    escalated = {e["order_id"]: e["ts"] for e in events if e["type"] == "escalated"}
    assert escalated
    assert {o: v["escalation_ts"] for o, v in orders.items() if v["escalation_ts"]} == escalated
    # a receive breach: the order was accepted after its deadline, or not at all by the end
    accepted = {e["order_id"]: e["ts"] for e in events if e["type"] == "accepted"}
    receive = [(o, b) for o, v in orders.items() for b in v["breaches"] if b["check"] == "receive_ack"]
    assert receive
    for o, b in receive:
        assert b["done"] == accepted.get(o) and (b["done"] is None or b["done"] > b["deadline"])
    meta = json.loads((truth_dir / "meta.json").read_text())
    assert meta["counts"]["orders"] == len(orders) and meta["counts"]["escalated_orders"] == len(escalated)
    stall = next(i for i in json.loads((truth_dir / "incidents.json").read_text()) if i["type"] == "department_stall")
    members = [v for v in orders.values() if stall["id"] in v["incidents"]]
    assert len(members) == stall["stats"]["affected_orders"] > 5
    assert all("south-marketing" in v["departments"] for v in members)


def test_a_strong_outage_drains_instead_of_feeding_itself():
    """Reports of one large outage share its repair, and a customer opens a second order only once: a 5x outage for
    three hours used to leave a queue whose urges and repeat orders outgrew the region's capacity, ten times the
    normal events a day later and growing."""
    from collections import Counter

    from yujing.simulator import SimOptions, iter_events, parse_incident, regions_from_spec

    regions = regions_from_spec("4")
    start = 1783958400.0                                              # a Monday, 00:00 +08:00
    opts = SimOptions(start=start, hours=72, seed=21, regions=regions, scale=0.8,
                      incidents=[parse_incident("outage_surge:north:540:180:5", regions)])
    per_day: Counter[int] = Counter()
    reports = 0
    for ev in iter_events(opts):
        day = int((datetime.fromisoformat(ev["ts"]).timestamp() - start) // 86400)
        per_day[day] += 1
        reports += ev["type"] == "created" and ev.get("affected_customers", 0) >= 900
    assert reports > 100                                             # the outage happened, loudly
    assert per_day[2] < 1.3 * per_day[0], per_day                    # two days later: an ordinary day again
