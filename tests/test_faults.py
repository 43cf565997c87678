"""Crashes: ``kill -9`` of a live worker mid-run, and of redis-server (AOF).

Real parts only: the session's Tansu broker, ``yujing worker`` subprocesses (the rig of ``bench.bench_live``)
and, for the Redis test, a redis-server of our own that we may kill. The worker's hall receive deadline is
6 s (bench config), so silent orders breach while the worker is dead.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.bench_faults import clean_run, drained, read_topic
from bench.bench_live import COUNTERS, _created, iso, produce, sim_lines, stop
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rig(kafka_broker: str, redis_server: str, tmp_path: Path):
    """A worker config on the session broker and Redis, with its own topic, consumer group and prefix."""
    with _rig(kafka_broker, redis_server, tmp_path) as r:
        yield r


@contextlib.contextmanager
def _rig(kafka_broker: str, redis_server: str, tmp_path: Path, worker: str = "") -> Iterator[dict]:
    """The rig of :func:`rig` on any Redis (a test that stops its own server); ``worker``: more keys of
    ``[worker]``. The worker keeps only 20 orders decoded, so the orders recovered, counted and compared here have
    mostly been kept encoded (``hot_orders``) on the way."""
    import redis

    from bench.bench_live import SILENT_DEADLINE_MIN
    from yujing.runtime.tansu import ensure_topics

    app_id = f"flt{uuid.uuid4().hex[:6]}"
    topic = f"{app_id}-events"
    asyncio.run(ensure_topics(kafka_broker, {topic: 4}))
    chans = {"hotline": 5, "hall": SILENT_DEADLINE_MIN, "app": 30, "wechat": 30, "web": 30, "sms": 30,
             "12345": 30, "12398": 30, "other": 30}
    cfg = tmp_path / "w.toml"
    cfg.write_text(f'[kafka]\nbroker = "kafka://{kafka_broker}"\napp_id = "{app_id}"\nevents_topic = "{topic}"\n'
                   f'dlq_topic = "{app_id}-dlq"\nalerts_topic = "{app_id}-alerts"\npartitions = 4\n'
                   f'[redis]\nurl = "{redis_server}"\nprefix = "{app_id}:"\n[clock]\nspeed = 1.0\n'
                   "[sla.receive_ack_min]\n" + "".join(f'"{k}" = {v}\n' for k, v in chans.items())
                   + "[worker]\nhot_orders = 20\n" + worker)
    r = redis.Redis.from_url(redis_server, decode_responses=True)
    procs: list[subprocess.Popen] = []

    def start(name: str = "w1", role: str = "all", failpoint: str = "") -> subprocess.Popen:
        log = open(tmp_path / f"{name}-{len(procs)}.log", "wb")
        env = {**os.environ, "YUJING_FAILPOINT": failpoint}   # streams.failpoints: SIGKILL at an exact place
        p = subprocess.Popen([sys.executable, "-m", "yujing.cli", "worker", "--config", str(cfg), "--workers-dir",
                              str(tmp_path / "faust" / name), "--name", name, "--role", role, "--metrics-port", "0"],
                             cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        procs.append(p)
        return p

    try:
        yield {"bootstrap": kafka_broker, "topic": topic, "prefix": f"{app_id}:", "r": r, "start": start,
               "tmp": tmp_path}
    finally:
        for p in procs:
            stop(p)
        r.close()


def _stats(rig: dict) -> dict[str, int]:
    return {k: int(v) for k, v in rig["r"].hgetall(rig["prefix"] + "stats").items()}


def _beat(rig: dict, worker: str = "w1") -> dict:
    """The worker's heartbeat fields that say whether it has caught up."""
    b = orjson.loads(rig["r"].hget(rig["prefix"] + "workers", worker) or b"{}")
    return {k: b.get(k) for k in ("pid", "recovering", "orders", "lag", "lagging", "last_event_wall", "events")}


def _assert_like_clean_run(rig: dict, clean: Any, w: subprocess.Popen, what: str) -> dict[str, int]:
    """Wait until worker ``w`` (its heartbeat) holds the clean run's open orders with nothing left to read or
    blocked, then require the clean run's counters; returns the ``stats`` hash."""
    def caught_up() -> bool:
        b = orjson.loads(rig["r"].hget(rig["prefix"] + "workers", "w1") or b"{}")
        return (b.get("pid") == w.pid and drained(b) and b.get("orders") == len(clean.orders)
                and not b.get("blocked"))

    wait_until(caught_up, 90, what, show=lambda: (_beat(rig), w.poll(), len(clean.orders)))
    time.sleep(1.5)   # a counter written late would show now
    st = _stats(rig)
    expected = clean.stats["events"] - clean.stats["duplicates"]
    assert st.get("events", 0) - st.get("duplicates", 0) == expected, (st, expected)
    assert {k: st.get(k, 0) for k in COUNTERS} == {k: clean.stats[k] for k in COUNTERS}
    return st


def _escalations(n: int, t: float) -> list[tuple[bytes, bytes]]:
    """``n`` complaints escalated to 12398 ten seconds after filing: positive labels for the risk model."""
    out = []
    for i in range(n):
        oid = f"ESC-{uuid.uuid4().hex[:4]}-{i}"
        out.append((oid.encode(), _created(oid, t, "app")))
        out.append((oid.encode(), orjson.dumps({"event_id": f"x-{oid}", "order_id": oid, "type": "escalated",
                                                "ts": iso(t + 10), "to": "12398"})))
    return out


def _model_ckpt(rig: dict, worker: str = "w1") -> dict[str, int]:
    raw = rig["r"].hget(rig["prefix"] + "ckpt:models:labels", worker)
    return orjson.loads(raw) if raw else {"risk": 0, "category": 0}


def test_kill_9_worker_mid_run_loses_no_alert_and_duplicates_no_record(rig: dict) -> None:
    lines = sim_lines(3000, end=time.time() - 30, seed=5)
    half = len(lines) // 2
    escalations = _escalations(6, time.time() - 60)
    lines = lines[:half] + escalations + lines[half:]
    half += len(escalations)
    w = rig["start"]()
    asyncio.run(produce(rig["bootstrap"], rig["topic"], lines[:half]))
    wait_until(lambda: _stats(rig).get("events", 0) >= half, 60, "first half processed")
    # the learned models are checkpointed (every 10 s) before the crash: 6 positives (held, as escalations are
    # for a day: detectors.risk.positive_delay_h), texts → categories
    wait_until(lambda: _model_ckpt(rig)["risk"] >= 6, 25, "models checkpointed")
    before = _model_ckpt(rig)

    # silent hall orders whose 6-s deadline passes while the worker is dead, and the second half of the stream
    silent = [f"SIL-{uuid.uuid4().hex[:4]}-{i}" for i in range(3)]
    now = time.time()
    asyncio.run(produce(rig["bootstrap"], rig["topic"],
                        [(s.encode(), _created(s, now, "hall")) for s in silent] + lines[half:]))
    wait_until(lambda: _stats(rig).get("events", 0) >= half + 200, 30, "part of the second half processed")
    w.kill()  # SIGKILL mid-run: no flush, no commit, no goodbye
    w.wait(5)
    at_kill = _model_ckpt(rig)   # the last model checkpoint before the crash
    time.sleep(7)  # the silent orders' deadlines pass while nobody is running
    rig["start"]()

    # every event applied exactly once: the state the replaced worker holds = a clean in-process run of the stream
    clean = clean_run(lines[:half] + [(s.encode(), _created(s, now, "hall")) for s in silent] + lines[half:])
    expected = clean.stats["events"] - clean.stats["duplicates"]

    def caught_up() -> bool:
        b = orjson.loads(rig["r"].hget(rig["prefix"] + "workers", "w1") or b"{}")
        return b.get("pid") not in (None, w.pid) and drained(b) and b.get("orders") == len(clean.orders)

    def counted() -> int:
        st = _stats(rig)
        return st.get("events", 0) - st.get("duplicates", 0)

    wait_until(lambda: counted() >= expected, 90, "every event applied and counted once after the restart")
    wait_until(lambda: _receive_lag_alerted(rig, silent) == set(silent), 30,
               "receive_lag alerts for the orders that breached while down")

    # the replaced worker resumed the learned models from the checkpoint instead of starting from the prior
    beat = orjson.loads(rig["r"].hget(rig["prefix"] + "workers", "w1"))
    assert beat["pid"] != w.pid and beat["model_origin"] == {"worker": "w1", **at_kill}
    assert beat["model"]["held_positives"] >= 6
    assert beat["model"]["labels"] + beat["model"]["held_positives"] >= before["risk"]
    assert beat["model"]["category_labels"] >= at_kill["category"] >= before["category"] > 0
    snap = orjson.loads(rig["r"].get(rig["prefix"] + "board:snapshot"))
    assert snap["model"]["held_positives"] >= 6 and snap["model"]["label_delay_h"] == 24

    wait_until(caught_up, 30, "the replaced worker holds the clean run's open orders, nothing left to read",
               show=lambda: (_beat(rig), len(clean.orders)))
    # exactly once in the counters too: a take re-read after the kill is recognised as counted (streams.counted)
    st = _stats(rig)
    assert counted() == expected, (st, expected)

    n = _assert_no_repeated_lifecycle_record(rig)
    print(f"\nafter kill -9: {st} ; {n} lifecycle records, all unique")


EVENT_SIGNALS = ("arrival", "text", "urge", "closed", "escalated")
"""Scope signals an event gives by itself (not a timer, not a customer context): the same in any run."""


@pytest.mark.parametrize("point", ["orders.counted", "orders.sent", "orders.changelogged"])
def test_a_crash_between_a_takes_writes_loses_no_output_and_counts_every_event_once(rig: dict, point: str) -> None:
    """SIGKILL exactly between a take's Redis counters and its outputs, its outputs and their mark with the
    changelog, or after those (streams.failpoints): the replaced worker re-reads the take. State, counters and
    the customer stage's contacts = a clean run; every scope signal an event gives reached the aggregates once —
    or, for a kill in the round trip between the outputs and their mark, at least once."""
    lines = sim_lines(3000, end=time.time() - 30, seed=9) + [(b"BAD-1", b"{not json"), (b"BAD-2", b'{"type": 1}')]
    clean_signals: list = []
    clean = clean_run(lines, clean_signals)
    asyncio.run(produce(rig["bootstrap"], rig["topic"], lines[:1500]))
    w = rig["start"](failpoint=f"{point}:2")   # dies in its second take of events
    asyncio.run(produce(rig["bootstrap"], rig["topic"], lines[1500:]))
    assert w.wait(60) == -9, "the failpoint killed the worker"
    w2 = rig["start"]()
    st = _assert_like_clean_run(rig, clean, w2,
                                "the replaced worker holds the clean run's open orders, nothing to read")
    assert int(rig["r"].get(rig["prefix"] + "dlq:count") or 0) == 2, "each bad line counted once"
    # the outputs: a take killed after its changelog and before its outputs used to lose them for good (its
    # events were in the restored state, so the re-read gave nothing): contacts never reached the customer stage
    assert st.get("customer_contacts", 0) == clean.customers.stats["contacts"], (st, clean.customers.stats)
    sent = Counter((s["k"], s["o"]) for rec in asyncio.run(read_topic(rig["bootstrap"], rig["prefix"][:-1]
                                                                       + ".scope-signals", idle_s=3))
                   for s in (rec if isinstance(rec, list) else [rec]) if s["k"] in EVENT_SIGNALS)
    want = Counter((s.kind, s.order_id) for s in clean_signals if s.kind in EVENT_SIGNALS)
    assert not want - sent, f"signals lost: {list((want - sent).items())[:5]}"
    if point != "orders.sent":
        assert not sent - want, f"signals sent twice: {list((sent - want).items())[:5]}"
    dead = asyncio.run(read_topic(rig["bootstrap"], rig["prefix"][:-1] + "-dlq", idle_s=2))
    assert len(dead) == 2 or (point == "orders.sent" and len(dead) >= 2), [(d["partition"], d["offset"]) for d in dead]


def test_a_redis_outage_blocks_the_worker_which_then_counts_every_event_once(kafka_broker: str,
                                                                            tmp_path: Path) -> None:
    """Redis goes away for longer than the client's own retries while events keep coming. The worker neither
    crashes nor drops the take it was writing (streams.retrying): it waits, says ``blocked`` while Redis is
    back but output is not, and once Redis returns its counters and open orders equal a clean run's, with no
    restart of the process."""
    from yujing.runtime.redis_server import RedisServer

    lines = sim_lines(3000, end=time.time() - 30, seed=10)
    clean = clean_run(lines)
    server = RedisServer(data_dir=tmp_path / "redis").start()
    try:
        with _rig(kafka_broker, server.url, tmp_path) as rig:
            w = rig["start"]()
            asyncio.run(produce(rig["bootstrap"], rig["topic"], lines[:1000]))
            wait_until(lambda: _stats(rig).get("events", 0) >= 1000, 60, "the first thousand counted")
            server.stop()   # SIGTERM: redis-server writes its AOF and exits; nothing is lost on its side
            asyncio.run(produce(rig["bootstrap"], rig["topic"], lines[1000:]))
            time.sleep(15)   # longer than redis-py's own retries: the take's writes fail and are retried
            assert w.poll() is None, "the worker rode the outage out"
            server.start()
            _assert_like_clean_run(rig, clean, w, "the same worker holds the clean run's open orders, nothing blocked")
            beat = orjson.loads(rig["r"].hget(rig["prefix"] + "workers", "w1"))
            assert beat["pid"] == w.pid and w.poll() is None, "no restart was needed"
            assert beat["write_retries"] > 0, "the outage was met by retries, not luck"
            log = (rig["tmp"] / "w1-0.log").read_text(errors="replace")
            assert "went through again" in log
    finally:
        server.stop()


def test_a_write_that_keeps_failing_ends_the_worker_for_a_restart_that_counts_exactly(kafka_broker: str,
                                                                                     tmp_path: Path) -> None:
    """Redis stays away longer than ``[worker] write_give_up_s``: the worker exits with status 75 (no commit of
    the take it could not write), and a worker started once Redis is back re-reads from the committed offset:
    counters and open orders = a clean run's."""
    from streams.retrying import GIVE_UP_EXIT
    from yujing.runtime.redis_server import RedisServer

    lines = sim_lines(2000, end=time.time() - 30, seed=12)
    clean = clean_run(lines)
    server = RedisServer(data_dir=tmp_path / "redis").start()
    try:
        with _rig(kafka_broker, server.url, tmp_path, "write_give_up_s = 4\n") as rig:
            w = rig["start"]()
            asyncio.run(produce(rig["bootstrap"], rig["topic"], lines[:800]))
            wait_until(lambda: _stats(rig).get("events", 0) >= 800, 60, "the first 800 counted")
            server.stop()
            asyncio.run(produce(rig["bootstrap"], rig["topic"], lines[800:]))
            # redis-py's own retries (a few seconds) + 4 s of ours, then the exit
            assert w.wait(60) == GIVE_UP_EXIT
            server.start()
            w2 = rig["start"]()
            _assert_like_clean_run(rig, clean, w2, "the restarted worker holds the clean run's open orders")
            assert "exiting for a restart" in (rig["tmp"] / "w1-0.log").read_text(errors="replace")
    finally:
        server.stop()


def _assert_no_repeated_lifecycle_record(rig: dict) -> int:
    """No lifecycle record twice (``bench.bench_faults.repeated_records``); on failure the first one's timeline."""
    from bench.bench_faults import repeated_records

    r = rig["r"]
    n, dups = repeated_records(r, rig["prefix"])
    assert n > 0
    if dups:   # the whole timeline of the first one, to see where it came from
        aid = orjson.loads(dups[0][0])["alert_id"]
        story = [raw for key in r.scan_iter(match=rig["prefix"] + "tl:*", count=1000)
                 for raw in r.zrange(key, 0, -1) if orjson.loads(raw)["alert_id"] == aid]
        keep = ("seq", "ts", "status", "tier", "direction", "escalation_step", "evidence")
        print("\n".join(str({k: v for k, v in orjson.loads(x).items() if k in keep}) for x in story))
    assert not dups, f"{len(dups)} duplicate lifecycle records of {n}, e.g.\n{dups[0][0]}\n{dups[0][1]}"
    return n


def _receive_lag_alerted(rig: dict, orders: list[str]) -> set[str]:
    """Which of ``orders`` have a ``receive_lag`` alert in the AlertStore's history."""
    from alerts.store import AlertStore

    return {a["scope"].get("order_id") for a in AlertStore(rig["r"], rig["prefix"]).history()
            if a.get("kind") == "receive_lag" and a.get("scope", {}).get("order_id") in orders}


def test_kill_9_aggregator_mid_run_alerts_what_breached_meanwhile(rig: dict) -> None:
    """Production topology: the aggregator (scope stage + alert pipeline) dies with ``kill -9`` while orders
    breach. The replaced one resumes from its Redis checkpoints and replays the conditions after them: the
    breaches are alerted, nothing is recorded twice, and the order worker never stopped."""
    lines = sim_lines(2000, end=time.time() - 30, seed=8)
    half = len(lines) // 2
    rig["start"]("w1", "orders")
    agg = rig["start"]("agg", "aggregates")
    asyncio.run(produce(rig["bootstrap"], rig["topic"], lines[:half]))
    wait_until(lambda: _stats(rig).get("events", 0) >= half, 60, "first half processed")
    wait_until(lambda: rig["r"].get(rig["prefix"] + "ckpt:alerts") is not None, 30, "alert pipeline checkpointed")
    agg.kill()  # SIGKILL: no flush, no commit, no goodbye
    agg.wait(5)

    silent = [f"SIL-{uuid.uuid4().hex[:4]}-{i}" for i in range(3)]
    asyncio.run(produce(rig["bootstrap"], rig["topic"],
                        [(s.encode(), _created(s, time.time(), "hall")) for s in silent] + lines[half:]))
    wait_until(lambda: _stats(rig).get("events", 0) >= len(lines) + len(silent), 60,
               "the order worker carries on alone")
    time.sleep(7)  # the silent orders' 6-s deadlines pass; their conditions wait in the topic
    rig["start"]("agg", "aggregates")
    # a replaced member rejoins its group once the dead one's session (10 s) has expired
    wait_until(lambda: _receive_lag_alerted(rig, silent) == set(silent), 90, "receive_lag alerts for the orders that breached")
    # its alerts may land before its first heartbeat (the conditions agent runs before the first tick)
    wait_until(lambda: _beat(rig, "agg")["pid"] != agg.pid, 10, "the replaced aggregator's heartbeat",
               show=lambda: _beat(rig, "agg"))
    beat = orjson.loads(rig["r"].hget(rig["prefix"] + "workers", "agg"))
    assert beat["alert_pipeline"] and beat["scope_stage"]
    n = _assert_no_repeated_lifecycle_record(rig)
    print(f"\nafter kill -9 of the aggregator: {n} lifecycle records, all unique")


def test_redis_kill_9_keeps_alert_history(tmp_path: Path) -> None:
    """AOF with appendfsync everysec: what was written more than a second before the crash survives."""
    import redis

    from alerts.store import AlertStore
    from yujing.runtime.redis_server import RedisServer

    server = RedisServer(19621, data_dir=tmp_path / "redis").start()
    try:
        store = AlertStore(redis.Redis.from_url(server.url, decode_responses=True), "yj:")
        base = {"record": "alert", "fingerprint": "fp", "kind": "receive_lag", "stage": "receive",
                "scope": {"region": "north"}, "tier": "red", "score": 1.0, "summary": "s", "evidence": {}}
        recs = []
        for i in range(200):
            recs.append(dict(base, alert_id=f"a{i}", status="firing", ts="2026-07-14T09:00:00+08:00"))
            if i % 2:
                recs.append(dict(base, alert_id=f"a{i}", status="resolved", ts="2026-07-14T09:30:00+08:00"))
        store.apply(recs)
        before = {a["alert_id"]: a["status"] for a in store.history()}
        time.sleep(1.5)  # one fsync period
        server.kill()
        server.proc.wait(5)
        server.start()
        store = AlertStore(redis.Redis.from_url(server.url, decode_responses=True), "yj:")
        after = {a["alert_id"]: a["status"] for a in store.history()}
        assert after == before and len(after) == 200
        assert [x["status"] for x in store.timeline("a1")] == ["firing", "resolved"]
        assert len(store.active()) == 100
    finally:
        server.stop()
