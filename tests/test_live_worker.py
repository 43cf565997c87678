"""The live shell end to end: a real Tansu broker, a real redis-server, ``yujing worker`` in a subprocess.

One worker run (module fixture) serves every test, to keep the module well under 90 s.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from bench.bench_live import stop_all
from streams.live import LiveClock
from yujing.events import InvalidEvent, parse_event
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[1]
TZ = timezone(timedelta(hours=8))
SPEED = 60.0  # event seconds per wall second: a 5-minute hotline deadline passes in 5 s
SILENT_FEED_S = 15.0  # wall seconds without any input event before the heartbeat (dead-man's switch) alert


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, TZ).isoformat()


def _events(tmp: Path) -> list[bytes]:
    out = tmp / "ev.jsonl"
    subprocess.run([sys.executable, "-m", "yujing.cli", "simulate", "--out", str(out), "--speed", "0",
                    "--hours", "1", "--seed", "7", "--start", "2026-07-14T08:00:00"], check=True, cwd=ROOT,
                   capture_output=True)
    return out.read_bytes().splitlines()


def _bad_lines(first: dict) -> list[tuple[bytes, str]]:
    """(line, expected reason fragment) for each way an input can break the contract."""
    base = {"event_id": "bad-1", "order_id": "WO-BAD", "type": "accepted", "ts": "2026-07-14T08:00:00+08:00"}

    def j(**kw: object) -> bytes:
        d = dict(base, **kw)
        return orjson.dumps({k: v for k, v in d.items() if v is not None})

    return [(b"{not json", "not valid JSON"),
            (j(order_id=None), "order_id"),
            (j(type="exploded"), "type"),
            (j(type="created", category="complaint", channel="pigeon", customer_id="C", customer_tier="regular",
               region="north", area="urban"), "channel"),
            (j(ts="yesterday"), "ts"),
            (j(type="customer_message", text="x" * 1_000_000), "too long")]


def _legal_oddities(lines: list[bytes]) -> list[bytes]:
    """A duplicate, an event before its order's created, an event after closed, and three customers who threaten
    to go to the regulator (risky orders for the board): legal, processed."""
    first = orjson.loads(lines[0])
    t0 = datetime.fromisoformat(first["ts"]).timestamp()
    early = {"event_id": "odd-early", "order_id": "WO-ODD-1", "type": "accepted", "ts": _iso(t0 + 60)}
    created = {"event_id": "odd-created", "order_id": "WO-ODD-1", "type": "created", "ts": _iso(t0 + 30),
               "category": "consultation", "channel": "app", "customer_id": "C-ODD", "customer_tier": "regular",
               "region": first["region"], "area": "urban"}
    closed = {"event_id": "odd-closed", "order_id": "WO-ODD-1", "type": "closed", "ts": _iso(t0 + 90),
              "resolution": "resolved"}
    after = {"event_id": "odd-after", "order_id": "WO-ODD-1", "type": "replied", "ts": _iso(t0 + 120)}
    angry = []
    for i in range(3):
        oid = f"WO-ANGRY-{i}"
        angry += [{"event_id": f"angry-{i}", "order_id": oid, "type": "created", "ts": _iso(t0 + 40 + i),
                   "category": "fault_repair", "channel": "hotline", "customer_id": f"C-ANGRY-{i}",
                   "customer_tier": "regular", "region": first["region"], "area": "urban"},
                  {"event_id": f"angry-urge-{i}", "order_id": oid, "type": "urged", "ts": _iso(t0 + 600 + i),
                   "text": "再不来我就打12398投诉你们！"}]
    return [lines[0], orjson.dumps(early), orjson.dumps(created), orjson.dumps(closed), orjson.dumps(after),
            *map(orjson.dumps, angry)]


async def _produce(bootstrap: str, topic: str, lines: list[bytes]) -> None:
    from aiokafka import AIOKafkaProducer

    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_request_size=4_000_000)
    await p.start()
    try:
        for line in lines:
            try:
                key = str(orjson.loads(line).get("order_id") or "").encode() or None
            except (orjson.JSONDecodeError, AttributeError):
                key = None
            await p.send(topic, line, key=key)
        await p.flush()
    finally:
        await p.stop()


async def _consume_all(bootstrap: str, topic: str, expect: int, timeout: float = 20) -> list[dict]:
    from aiokafka import AIOKafkaConsumer

    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                         group_id=f"t-{uuid.uuid4().hex[:6]}", fetch_max_bytes=8_000_000)
    await c.start()
    out: list[dict] = []
    try:
        deadline = time.monotonic() + timeout
        while len(out) < expect and time.monotonic() < deadline:
            batch = await c.getmany(timeout_ms=500)
            for msgs in batch.values():
                out.extend(orjson.loads(m.value) for m in msgs)
    finally:
        await c.stop()
    return out


@pytest.fixture(scope="module")
def live_run(kafka_broker: str, redis_server: str, tmp_path_factory: pytest.TempPathFactory):
    import redis

    tmp = tmp_path_factory.mktemp("live")
    app_id = f"yjt{uuid.uuid4().hex[:6]}"
    topic = f"{app_id}-events"
    prefix = f"{app_id}:"
    cfg = tmp / "live.toml"
    cfg.write_text(f'[kafka]\nbroker = "kafka://{kafka_broker}"\napp_id = "{app_id}"\nevents_topic = "{topic}"\n'
                   f'dlq_topic = "{topic}.dlq"\nalerts_topic = "{app_id}-alerts"\npartitions = 4\n'
                   f'[redis]\nurl = "{redis_server}"\nprefix = "{prefix}"\n[clock]\nspeed = {SPEED}\n'
                   f'heartbeat_after_s = {SILENT_FEED_S}\n'
                   # 50 orders kept decoded: most of the run's orders are kept encoded and decoded again for their
                   # next event or timer, so the comparisons with the core below cover that path too
                   '[worker]\nhot_orders = 50\n')
    lines = _events(tmp)
    bad = _bad_lines(orjson.loads(lines[0]))
    odd = _legal_oddities(lines)
    log = open(tmp / "worker.log", "wb")
    procs = [subprocess.Popen([sys.executable, "-m", "yujing.cli", "worker", "--config", str(cfg), "--workers-dir",
                               str(tmp / "faust"), "--name", name, "--role", role, "--metrics-port", str(port),
                               "--loglevel", "info"],
                              cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
             for name, role, port in (("w1", "orders", 19540), ("agg", "aggregates", 19541))]
    r = redis.Redis.from_url(redis_server, decode_responses=True)
    try:
        t_start = time.monotonic()
        asyncio.run(_produce(kafka_broker, topic, lines + [b for b, _ in bad] + odd))
        valid = len(lines) + len(odd)
        wait_until(lambda: int(r.hget(prefix + "stats", "events") or 0) >= valid, 60, "all events processed")
        elapsed = time.monotonic() - t_start
        yield {"r": r, "prefix": prefix, "lines": lines, "bad": bad, "odd": odd, "topic": topic, "procs": procs,
               "bootstrap": kafka_broker, "elapsed": elapsed, "log": tmp / "worker.log"}
    finally:
        stop_all(procs)
        log.close()
        r.close()


def test_live_counts_equal_in_process_core(live_run):
    """The worker's order-stage counters in Redis equal the same core run in-process on the same events."""
    from streams.order_stage import OrderStage
    from yujing.config import load_config

    st = OrderStage(load_config(None))
    for line in live_run["lines"] + live_run["odd"] + [b for b, _ in live_run["bad"]]:
        try:
            ev = parse_event(line)
        except InvalidEvent:
            continue
        st.ingest(ev)
    stats = {k: int(v) for k, v in live_run["r"].hgetall(live_run["prefix"] + "stats").items()}
    for key in ("events", "duplicates", "orphans_held", "orphans_applied", "after_close"):
        assert stats.get(key, 0) == st.stats[key], key
    assert stats["duplicates"] >= 1 and stats["orphans_applied"] >= 1 and stats["after_close"] >= 1
    assert int(live_run["r"].get(live_run["prefix"] + "dlq:count")) == len(live_run["bad"])
    print(f"\n{stats['events']} events end to end in {live_run['elapsed']:.1f} s (incl. group join)")


def test_invalid_events_land_in_dlq_with_reasons(live_run):
    bad = live_run["bad"]
    dead = asyncio.run(_consume_all(live_run["bootstrap"], live_run["topic"] + ".dlq", len(bad)))
    assert len(dead) == len(bad)
    by_raw = {d["raw"][:50]: d for d in dead}
    for line, fragment in bad:
        d = by_raw[line.decode("utf-8", "replace")[:50]]
        assert fragment.lower() in d["reason"].lower(), (fragment, d["reason"])
        assert d["topic"] == live_run["topic"] and d["offset"] >= 0 and len(d["raw"]) <= 2000
    assert max(d["raw_bytes"] for d in dead) > 1_000_000


def test_board_snapshot_and_heartbeat_in_redis(live_run):
    r, prefix = live_run["r"], live_run["prefix"]
    wait_until(lambda: r.get(prefix + "board:snapshot") is not None, 10, "board snapshot")
    snap = orjson.loads(r.get(prefix + "board:snapshot"))
    assert set(snap["stages"]) == {"receive", "decompose", "feedback"}
    assert snap["runtime"]["dlq"] == len(live_run["bad"])
    w1, agg = snap["runtime"]["workers"]["w1"], snap["runtime"]["workers"]["agg"]
    assert (w1["role"], agg["role"]) == ("orders", "aggregates")
    # the order worker holds the input's partitions and its orders; the aggregator the two one-partition stages
    assert w1["partitions"] == [0, 1, 2, 3] and w1["orders"] > 0 and w1["last_event_wall"] is not None
    assert not (w1["scope_stage"] or w1["alert_pipeline"]) and agg["scope_stage"] and agg["alert_pipeline"]
    assert agg["partitions"] == [] and agg["orders"] == 0 and agg["model"] is None
    # events per minute measured by the aggregator, so the first viewer of a freshly started board sees a rate
    wait_until(lambda: orjson.loads(r.get(prefix + "board:snapshot")).get("events_per_min") is not None, 10,
               "events per minute in the snapshot")
    snap = orjson.loads(r.get(prefix + "board:snapshot"))
    assert snap["events_per_min"] >= 0 and snap["event_idle_s"] >= 0


def test_board_risk_keys_hold_the_risky_orders_only(live_run):
    """``risk:latest`` / ``risk:top`` hold the orders the board lists (latest risk yellow or above), not every
    order ever scored: they grew by one record per order for good (a province's every order, never removed)."""
    from streams.order_stage import OrderStage
    from yujing.config import load_config

    st = OrderStage(load_config(None))
    last_tier: dict[str, str | None] = {}
    for line in live_run["lines"] + live_run["odd"]:
        ev = parse_event(line)
        st.advance(ev.t)
        for rec in st.ingest(ev).risks:
            last_tier[rec.order_id] = rec.tier
    risky = {oid for oid, tier in last_tier.items() if tier in ("yellow", "orange", "red")}
    assert {f"WO-ANGRY-{i}" for i in range(3)} <= risky and len(risky) < len(last_tier) / 2   # both kinds

    r, prefix = live_run["r"], live_run["prefix"]
    latest = {oid: orjson.loads(raw) for oid, raw in r.hgetall(prefix + "risk:latest").items()}
    assert {f"WO-ANGRY-{i}" for i in range(3)} <= set(latest)
    assert {rec["tier"] for rec in latest.values()} <= {"yellow", "orange", "red"}
    assert set(r.zrange(prefix + "risk:top", 0, -1)) == set(latest)
    assert len(latest) < len(last_tier) / 2


def test_live_aggregates_equal_in_process_core(live_run):
    """The aggregates the board reads from Redis (open orders per stage, province-wide and per region) equal
    those of the same core run in-process on the same events (backlogs move with events only, not timers)."""
    from streams.order_stage import OrderStage
    from streams.scope_stage import ScopeStage
    from yujing.config import load_config

    settings = load_config(None)
    orders, scopes = OrderStage(settings), ScopeStage(settings)
    for line in live_run["lines"] + live_run["odd"] + [b for b, _ in live_run["bad"]]:
        try:
            ev = parse_event(line)
        except InvalidEvent:
            continue
        for sig in orders.ingest(ev).signals:
            scopes.apply(sig)
    want = scopes.snapshot(scopes.now)
    r, prefix = live_run["r"], live_run["prefix"]
    wait_until(lambda: r.get(prefix + "board:snapshot") is not None, 10, "board snapshot")

    def backlogs(snap: dict) -> dict:
        out = {("total", s): f.get("backlog") for s, f in snap["stages"].items()}
        out.update({(reg, s): f.get("backlog") for reg, st in snap["regions"].items() for s, f in st.items()})
        return out

    wait_until(lambda: backlogs(orjson.loads(r.get(prefix + "board:snapshot"))) == backlogs(want), 15,
          "live backlogs equal to the in-process core's")
    assert sum(v or 0 for v in backlogs(want).values()) > 0


def test_silent_order_alerts_within_two_seconds_of_deadline(live_run):
    """A hotline order nobody accepts: receive deadline 5 min = 5 s of wall time at speed 60."""
    r, prefix = live_run["r"], live_run["prefix"]
    last = max(datetime.fromisoformat(orjson.loads(x)["ts"]).timestamp() for x in live_run["lines"])
    t0 = last + 5
    ev = {"event_id": "silent-1", "order_id": "WO-SILENT", "type": "created", "ts": _iso(t0),
          "category": "fault_repair", "channel": "hotline", "customer_id": "C-S", "customer_tier": "regular",
          "region": "north", "area": "urban"}
    sent = time.monotonic()
    asyncio.run(_produce(live_run["bootstrap"], live_run["topic"], [orjson.dumps(ev)]))

    from alerts.store import AlertStore
    store = AlertStore(r, prefix)

    def red_alert() -> bool:
        return any(a.get("kind") == "receive_lag" and a.get("scope", {}).get("order_id") == "WO-SILENT"
                   and a.get("tier") == "red" for a in store.active())

    wait_until(red_alert, 5 * 60 / SPEED + 10, "red receive_lag alert for the silent order")
    waited = time.monotonic() - sent
    assert waited < 5 * 60 / SPEED + 2 + 3, waited   # deadline + 2 s tick slack + produce/group latency


def test_silent_feed_raises_the_heartbeat_alert_on_the_aggregator_and_an_event_clears_it(live_run):
    """The dead-man's switch lives with the alert pipeline, on a worker that reads no events itself: it judges
    the feed by every worker's heartbeat (last event seen), so a silent feed alerts and one event clears it."""
    from alerts.store import AlertStore

    r, prefix = live_run["r"], live_run["prefix"]
    store = AlertStore(r, prefix)

    def heartbeat() -> list[dict]:
        return [a for a in store.active() if a.get("kind") == "heartbeat"]

    wait_until(lambda: heartbeat(), SILENT_FEED_S + 20, "heartbeat alert on a silent feed")
    assert heartbeat()[0]["tier"] == "orange"
    ev = {"event_id": "feed-back", "order_id": "WO-FEED", "type": "created", "ts": _iso(time.time()),
          "category": "consultation", "channel": "app", "customer_id": "C-F", "customer_tier": "regular",
          "region": "north", "area": "urban"}
    asyncio.run(_produce(live_run["bootstrap"], live_run["topic"], [orjson.dumps(ev)]))
    wait_until(lambda: not heartbeat(), 15, "heartbeat alert resolved once events arrive again")


def test_live_clock_follows_events_not_wall():
    wall = [0.0]
    c = LiveClock(speed=SPEED, wall=lambda: wall[0])
    c.observe(1000.0)
    wall[0] = 1.0
    assert c.now() == 1000.0 + SPEED


# ------------------------------------------------------------------------------------ customers across workers
def _created_event(oid: str, ts: str, customer: str) -> dict:
    return {"event_id": f"e-{oid}", "order_id": oid, "type": "created", "ts": ts, "category": "fault_repair",
            "channel": "hotline", "customer_id": customer, "customer_tier": "regular", "region": "north",
            "area": "urban"}


def _order_on(partitions: set[int], n: int, tag: str) -> str:
    """An order id the default partitioner puts on one of ``partitions`` (of ``n``)."""
    from aiokafka.partitioner import murmur2

    for i in range(10_000):
        oid = f"WO-{tag}-{i}"
        if (murmur2(oid.encode()) & 0x7FFFFFFF) % n in partitions:
            return oid
    raise AssertionError("no order id found")


async def _partitions_of(bootstrap: str, topics: list[str]) -> dict[str, int]:
    from aiokafka import AIOKafkaProducer

    p = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await p.start()
    try:
        return {t: len(await p.partitions_for(t)) for t in topics}
    finally:
        await p.stop()


def test_repeat_contact_seen_across_workers(kafka_broker: str, redis_server: str, tmp_path: Path) -> None:
    """Two workers share a 12-partition topic; a customer's two orders land on partitions of different workers.
    The contacts meet in the customer's partition of ``customer-contacts`` (one worker, changelogged table), so the
    second order is a repeat contact of a customer who escalated before — as ``yujing replay`` says."""
    import redis

    from streams.app import CUSTOMER_CONTACTS, CUSTOMER_CONTEXT
    from streams.monitor import Monitor
    from yujing.config import load_config

    n = 12
    app_id = f"yjc{uuid.uuid4().hex[:6]}"
    topic, prefix = f"{app_id}-events", f"{app_id}:"
    cfg = tmp_path / "two.toml"
    cfg.write_text(f'[kafka]\nbroker = "kafka://{kafka_broker}"\napp_id = "{app_id}"\nevents_topic = "{topic}"\n'
                   f'dlq_topic = "{topic}.dlq"\nalerts_topic = "{app_id}-alerts"\npartitions = {n}\n'
                   f'[redis]\nurl = "{redis_server}"\nprefix = "{prefix}"\n[clock]\nspeed = {SPEED}\n')
    r = redis.Redis.from_url(redis_server, decode_responses=True)
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        for name in ("wa", "wb"):
            logs.append(open(tmp_path / f"{name}.log", "wb"))
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "yujing.cli", "worker", "--config", str(cfg), "--workers-dir",
                 str(tmp_path / "faust"), "--name", name, "--metrics-port", "0", "--loglevel", "info"],
                cwd=ROOT, stdout=logs[-1], stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}))

        def owned() -> dict[str, set[int]]:
            beats = {k: orjson.loads(v) for k, v in r.hgetall(prefix + "workers").items()}
            return {k: set(b["partitions"]) for k, b in beats.items() if time.time() - b["wall"] < 3}

        def split() -> bool:
            o = owned()
            return (set(o) == {"wa", "wb"} and all(o.values()) and not (o["wa"] & o["wb"])
                    and o["wa"] | o["wb"] == set(range(n)))

        wait_until(split, 45, "both workers in the group, each with its own partitions")
        mine = owned()
        first, second = _order_on(mine["wa"], n, "A"), _order_on(mine["wb"], n, "B")
        customer = "C-TWO-WORKERS"
        evs = [_created_event(first, "2026-07-14T10:00:00+08:00", customer),
               {"event_id": "e-esc", "order_id": first, "type": "escalated", "ts": "2026-07-14T10:05:00+08:00",
                "to": "12398"},
               _created_event(second, "2026-07-14T10:30:00+08:00", customer)]

        def stat(key: str) -> int:
            return int(r.hget(prefix + "stats", key) or 0)

        # the first order's contact and escalation reach the customer stage before the second order is created
        # (half an hour apart in real life; here the two workers' sends would otherwise race)
        asyncio.run(_produce(kafka_broker, topic, [orjson.dumps(e) for e in evs[:2]]))
        wait_until(lambda: stat("customer_contacts") >= 1 and stat("customer_escalations") >= 1, 20,
                   "first contact and escalation at the customer stage")
        sent = time.monotonic()
        asyncio.run(_produce(kafka_broker, topic, [orjson.dumps(evs[2])]))
        wait_until(lambda: stat("contexts") >= 2, 20, "both orders' customer contexts applied", every=0.02)
        print(f"\nsecond order's customer context applied {time.monotonic() - sent:.2f} s after its produce")

        # the same events through `yujing replay`'s core
        mon = Monitor(load_config(None))
        risks = []
        for e in evs:
            risks.extend(mon.ingest(parse_event(e)).risks)
        want = mon.scopes.snapshot(mon.now)["stages"]["receive"]["today"]["repeats"]
        assert want == 1
        o2 = mon.orders.orders[second]
        assert (o2.repeat_24h, o2.repeat_7d, o2.prior_esc) == (1, 1, 1)

        def repeats() -> float:
            snap = r.get(prefix + "board:snapshot")
            # a snapshot written before the aggregator has its first signal has an empty stage: not yet
            return orjson.loads(snap)["stages"]["receive"].get("today", {}).get("repeats", -1) if snap else -1

        wait_until(lambda: repeats() == want, 15, "the board's REPEAT count equal to replay's")
        live_risks = [d for d in asyncio.run(_consume_all(kafka_broker, f"{app_id}-alerts", 4, timeout=10))
                      if d.get("record") == "risk" and d["order_id"] == second]
        replay_factors = {f for rr in risks if rr.order_id == second for f in rr.top_factors}
        live_factors = {f for d in live_risks for f in d["top_factors"]}
        for factor in ("repeat_contact_24h", "customer_escalated_before"):
            assert factor in replay_factors and factor in live_factors, (factor, live_risks)
        assert stat("customer_contacts") == 2 and stat("customer_escalations") == 1
        parts = asyncio.run(_partitions_of(kafka_broker, [f"{app_id}.{CUSTOMER_CONTACTS}",
                                                          f"{app_id}.{CUSTOMER_CONTEXT}"]))
        assert set(parts.values()) == {n}, parts
    finally:
        stop_all(procs)
        for f in logs:
            f.close()
        r.close()
