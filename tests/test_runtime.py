"""The embedded runtime against real parts: Tansu, redis-server and real child processes."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import redis

from yujing.runtime.redis_server import RedisServer
from yujing.runtime.supervisor import Child, Supervisor
from yujing.runtime.tansu import ensure_topics, yujing_topics

PY = sys.executable


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); its state letter says it is gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _pids(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _script(tmp: Path, name: str, body: str) -> list[str]:
    path = tmp / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return [PY, str(path)]


# ── broker ───────────────────────────────────────────────────────────────────────────────────────────────
async def test_broker_round_trips_records(kafka_broker: str, new_topic) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    topic = new_topic(3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker)
    await producer.start()
    try:
        for i in range(30):
            await producer.send(topic, f"v{i}".encode(), key=f"WO-{i}".encode())
        await producer.flush()
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_broker, auto_offset_reset="earliest",
                                group_id=f"g-{topic}")
    await consumer.start()
    got: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 20
        while len(got) < 30 and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                got.update({m.key.decode(): m.value.decode() for m in batch})
    finally:
        await consumer.stop()
    assert got == {f"WO-{i}": f"v{i}" for i in range(30)}


async def test_topics_are_created_with_their_partitions_once(kafka_broker: str) -> None:
    from aiokafka import AIOKafkaConsumer

    from yujing.config import KafkaConfig

    kafka = KafkaConfig(events_topic="events-parts-test", dlq_topic="dlq-parts-test",
                        alerts_topic="alerts-parts-test", commands_topic="cmd-parts-test", partitions=6)
    created = await ensure_topics(kafka_broker, yujing_topics(kafka))
    assert sorted(created) == sorted(yujing_topics(kafka))
    assert await ensure_topics(kafka_broker, yujing_topics(kafka)) == []  # idempotent
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_broker)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        assert consumer.partitions_for_topic("events-parts-test") == set(range(6))
        assert consumer.partitions_for_topic("alerts-parts-test") == {0}
    finally:
        await consumer.stop()


# ── redis ────────────────────────────────────────────────────────────────────────────────────────────────
def test_redis_fixture_is_real_and_flushed(redis_client: redis.Redis) -> None:
    assert redis_client.dbsize() == 0
    redis_client.hset("yj:test", mapping={"a": "1"})
    assert redis_client.hgetall("yj:test") == {"a": "1"}
    assert redis_client.config_get("appendonly")["appendonly"] == "yes"


def test_redis_data_survives_kill_9_through_the_aof(tmp_path: Path) -> None:
    server = RedisServer(data_dir=tmp_path / "redis", password="pw").start()
    try:
        client = redis.Redis.from_url(server.url)
        client.set("yj:alert:A-1", "open")
        client.xadd("yj:runtime:events", {"kind": "ready"})
        time.sleep(1.5)  # appendfsync everysec
        assert any(server.aof_dir.glob("*.aof")), list(server.aof_dir.iterdir())
        server.kill()
        server.start()
        client = redis.Redis.from_url(server.url)
        assert client.get("yj:alert:A-1") == b"open"
        assert client.xlen("yj:runtime:events") == 1
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(port=server.port).ping()
    finally:
        server.stop()


# ── supervisor ───────────────────────────────────────────────────────────────────────────────────────────
async def test_a_child_that_dies_is_restarted_and_logged(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    argv = _script(tmp_path, "flaky", f"""
        import os, time
        with open({str(starts)!r}, "a") as f:
            f.write(f"{{os.getpid()}} ")
        time.sleep(0.3)
        raise SystemExit(3)
    """)
    events: list[tuple[str, str]] = []
    sup = Supervisor([Child("flaky", argv)], backoff_s=0.1, max_restarts=50,
                     on_event=lambda kind, name, detail: events.append((kind, name)))
    run = asyncio.create_task(sup.run())
    deadline = time.monotonic() + 15
    while len(_pids(starts)) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    sup.request_stop()
    assert await run == 0
    assert len(set(_pids(starts))) >= 3
    assert ("died", "flaky") in events and ("restarting", "flaky") in events


async def test_a_restart_storm_is_capped(tmp_path: Path) -> None:
    argv = [PY, "-c", "raise SystemExit(1)"]
    events: list[str] = []
    sup = Supervisor([Child("crashy", argv, critical=True)], backoff_s=0.01, backoff_max_s=0.05,
                     max_restarts=3, window_s=30, on_event=lambda kind, name, detail: events.append(kind))
    assert await asyncio.wait_for(sup.run(), 20) == 1
    assert events.count("started") == 4 and events[-2:] == ["gave_up", "stopped"]


async def test_a_dependency_restart_restarts_dependents_fresh(tmp_path: Path) -> None:
    broker_pids, worker_pids = tmp_path / "broker", tmp_path / "worker"
    broker = _script(tmp_path, "broker", f"""
        import os, time
        with open({str(broker_pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}} ")
        time.sleep(600)
    """)
    worker = _script(tmp_path, "worker", f"""
        import os, time
        with open({str(worker_pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}} ")
        time.sleep(600)
    """)
    wiped: list[float] = []
    sup = Supervisor([Child("broker", broker), Child("worker", worker, depends_on=("broker",),
                                                     fresh=lambda: wiped.append(time.time()))],
                     backoff_s=0.1)
    run = asyncio.create_task(sup.run())
    await sup.wait_ready(timeout=10)
    deadline = time.monotonic() + 10
    while not _pids(worker_pids) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    os.kill(sup.pid("broker"), signal.SIGKILL)  # the memory-only broker crashes
    deadline = time.monotonic() + 15
    while (len(_pids(worker_pids)) < 2 or sup.pid("worker") is None) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    sup.request_stop()
    assert await run == 0
    assert len(_pids(broker_pids)) == 2 and len(_pids(worker_pids)) == 2 and len(wiped) == 1
    assert not any(_alive(p) for p in _pids(broker_pids) + _pids(worker_pids))


def test_sigterm_stops_every_child_including_stubborn_ones(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    polite = _script(tmp_path, "polite", f"""
        import os, time
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}} ")
        time.sleep(600)
    """)
    stubborn = _script(tmp_path, "stubborn", f"""
        import os, signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}} {{grandchild.pid}} ")
        time.sleep(600)
    """)
    runner = _script(tmp_path, "runner", f"""
        import asyncio
        from yujing.runtime.supervisor import Child, Supervisor
        sup = Supervisor([Child("polite", {polite!r}), Child("stubborn", {stubborn!r})], grace_s=1.0)
        raise SystemExit(asyncio.run(sup.run()))
    """)
    proc = subprocess.Popen(runner, cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 20
        while len(_pids(pids)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        children = _pids(pids)
        assert len(children) == 3 and all(_alive(p) for p in children)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert time.monotonic() - t0 < 5  # grace 1 s, then SIGKILL
        time.sleep(0.2)
        assert not any(_alive(p) for p in children)
    finally:
        proc.kill()


# ── the demo, end to end (without the browser) ───────────────────────────────────────────────────────────
@pytest.mark.integration
def test_demo_reaches_the_board_read_model_within_a_minute_and_stops_cleanly(tmp_path: Path) -> None:
    from yujing.runtime.demo import missing_parts
    from yujing.runtime.net import free_port

    if {"simulate", "worker"} & set(missing_parts()):
        pytest.skip(f"not built yet: {missing_parts()}")
    kafka = free_port(19300, 19399)
    rport = free_port(kafka + 1, 19399)
    metrics = free_port(rport + 1, 19399)
    proc = subprocess.Popen([PY, "-m", "yujing.cli", "demo", "--no-board", "--kafka-port", str(kafka),
                             "--redis-port", str(rport), "--metrics-port", str(metrics),
                             "--data-dir", str(tmp_path / "var")],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    client = redis.Redis(port=rport, decode_responses=True)
    t0 = time.monotonic()
    try:
        snapshot = None
        while time.monotonic() - t0 < 60 and proc.poll() is None:
            try:
                snapshot = client.get("yj:board:snapshot")
            except redis.exceptions.ConnectionError:
                snapshot = None
            if snapshot:
                break
            time.sleep(0.5)
        assert snapshot, f"no board snapshot after {time.monotonic() - t0:.0f}s"
        kinds = {(e["child"], e["kind"]) for _, e in client.xrange("yj:runtime:events")}
        assert {("broker", "ready"), ("redis", "ready"), ("worker-1", "started")} <= kinds
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
        assert b"all children stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
