"""The live shell under load: real Tansu, real redis-server, ``yujing worker`` subprocesses.

What it measures (one broker, one Redis; each topology drains its own 12-partition topic holding the same
simulator events):

* ``raw_consume_eps``: a bare aiokafka consumer reading the whole topic (first record → last record), the
  ceiling any worker on this broker and machine can reach;
* two topologies of the same core: ``one_process`` (one ``yujing worker --role all``) and ``split``, the
  production one (an order worker ``--role orders`` and the aggregator ``--role aggregates``: scope stage and
  alert pipeline in their own process). ``worker_eps`` is the split order worker's (``worker_eps_one_process``
  next to it), timed by the Redis counter ``<prefix>stats.events`` (first increase → reaching the topic's
  size), so group join is excluded on both;
* e2e latency per topology: new ``created`` orders produced at a fixed rate (1k/s, 5k/s); each one's risk
  record lands in the hash ``<prefix>risk:latest`` under its order id (the bench's workers keep every order's
  record there, ``redis.board_risks = "all"``: more Redis writes than the default, which keeps only the risky
  ones). A Lua script polls every ~10 ms, partition by partition, which of the next orders are there, up to
  the first that is not (:data:`_SEEN_FROM`), so every event gets its own latency (due time on the paced
  schedule → visible in Redis; see :data:`TICK_S`), p50/p99, at an observer cost of about one lookup per order;
* ``silent_breach_alert_s``: hall orders nobody accepts, with the hall receive deadline set to 6 s by the
  bench's config: seconds from each deadline to the red ``receive_lag`` alert in the AlertStore, the median of
  five orders whose deadlines fall at different phases of the 1-s tick (``silent_breach_worst_s``: the worst);
* two order workers + the aggregator in another consumer group on the split run's topic: throughput, and
  that the per-order counters (``stats``) equal the single order worker's;
* ``worker_bytes_per_open_order``: the split order worker's resident memory growth per open order while it
  drains 10k, then 100k new orders (quick: 5k, 30k) that are never accepted nor closed — the live worker holds
  each order in its table (encoded) and its stages, more than the replay core ``bench_memory`` measures;
* CPU seconds of every worker process over each drain (``/proc``): with broker, producer and workers sharing two
  cores, wall-clock throughput cannot show scale-out, so ``*_eps_core_each`` gives events per CPU second of the
  busiest process — the throughput if each worker had a core of its own.

Ports: broker 19610, redis 19611 (``--port-base``). Run alone: ``.venv/bin/python -m bench.bench_live [--quick]``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import orjson

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "live.json"
PROFILE_OUT = ROOT / "bench" / "out" / "worker_profile.json"
TZ = timezone(timedelta(hours=8))
PARTITIONS = 12
SILENT_DEADLINE_MIN = 0.1  # hall receive deadline in the bench config: 6 s
COUNTERS = ("events", "duplicates", "orphans_held", "after_close")
"""Counters that do not depend on how partitions interleave (``late`` does; see README)."""
_SEEN_FROM = ("local out, i = {}, 2 "
              "while i <= #ARGV do "
              "local n, hits, missed = tonumber(ARGV[i]), 0, false "
              "for j = i + 1, i + n do "
              "if not missed and redis.call('HEXISTS', KEYS[1], ARGV[1] .. ARGV[j]) == 1 then hits = hits + 1 "
              "else missed = true end end "
              "out[#out + 1] = hits; i = i + n + 1 end "
              "return out")
"""For each partition's group in ``ARGV`` (after the prefix ``ARGV[1]``: a count, then that many orders, the
partition's next unseen ones in the order they were sent), how many have a risk record in the hash ``KEYS[1]``,
counted up to the first that has none. A worker applies one partition's records in order and writes a take's
records at once, so the first miss is that partition's frontier: a poll costs one script call, the records that
became visible and one lookup per partition.

Session 13's scan walked all partitions' orders together from the oldest unseen one and stopped after 600 misses
in a row; while one partition lagged, every poll looked up again the thousands of orders already seen behind it.
Its cost grew with the latency it measured (8.9 → 20 lookups per order over four 5k/s runs, the Lua script 15 → 33
µs of Redis CPU per order against the worker's own 3–4), on the two cores the system under test shares (session
17). Session 12's poller sent every id not yet seen a hundred times a second."""
LANE_CHUNK = (8, 1024)
"""Orders of one partition sent per poll: from 8, doubled while a partition's whole group was visible (polled
again at once), at most 1,024."""
E2E_RUNS_5K = 3
"""The 5k/s latency run is repeated and the run with the median p99 stands for it, all three p99s beside it: at
5k/s two cores are nearly full, and one run's p99 ranged 302–1,031 ms for the same code (docs/history.md, session
14). Each run has a broker of its own (:data:`FRESH_BROKER`)."""
FRESH_BROKER = True
"""Why each topology, and each 5k/s run, has a broker of its own (session 18).

The embedded broker (Tansu 0.6, ``memory://``) spends more CPU on every request the more record batches it holds:
``bench.bench_broker`` (a paced 5k/s producer and one consumer, no yujing) measures it at ~27 µs of broker CPU per
record on an empty broker and ~195 µs after 150k records in ~4-record batches, one core at 5k/s, after which
latency is the broker's queue. Runs that followed each other on one broker measured that: session 17's three
split runs 383 / 742 / 985 ms, with the broker's CPU per event rising 125 → 186 µs while the worker's fell. A Kafka
log's cost per request does not grow with its length (an offset index per segment), and production runs Kafka
(docker-compose.yml). A fresh broker still carries the 40k-event fill and its drain, as every run does. The 1k/s
run leaves ~20k one-to-five-record batches behind: a 5k/s run after it on the same broker read p99 601 ms against
280 and 376 on fresh ones, its broker at 149 µs per event against 115 (session 18)."""
TICK_S = 0.005
"""The e2e load generator hands the producer the records due every 5 ms, one batch per partition (as an upstream
system's producer with ``linger_ms=5`` would). Each record's latency runs from its *due* time on the paced schedule,
never later than its hand-over, so the batching wait counts against yujing. Session 13's generator sent record by
record (``await producer.send`` per record): 0.34 of a core at 5k/s on the two cores the system under test shares;
batched, 0.19."""

def iso(t: float) -> str:
    return datetime.fromtimestamp(t, TZ).isoformat(timespec="milliseconds")


def pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


class Rig:
    """Broker + Redis + a scratch directory; workers are started per consumer group (``app_id``)."""

    def __init__(self, port_base: int = 19610, keep: bool = False) -> None:
        from yujing.runtime.redis_server import RedisServer
        from yujing.runtime.tansu import TansuBroker

        self.tmp = Path(tempfile.mkdtemp(prefix="yj-bench-live-"))
        self.keep = keep
        self.broker = TansuBroker(port_base, log=self.tmp / "tansu.log")
        self.redis_server = RedisServer(port_base + 1, data_dir=self.tmp / "redis")
        self.procs: list[subprocess.Popen] = []
        self.topic = f"bench-{uuid.uuid4().hex[:6]}-events"
        self.extra_toml = ""
        """Appended to every worker config written from now on (say an ``[alerts]`` table with receivers)."""

    def __enter__(self) -> "Rig":
        self.broker.start()
        self.redis_server.start()
        import redis
        self.r = redis.Redis.from_url(self.redis_server.url, decode_responses=True)
        self.use_topic(self.topic)
        return self

    def use_topic(self, name: str) -> None:
        """Create ``name`` (12 partitions) and make it the input of the workers started from now on."""
        from yujing.runtime.tansu import ensure_topics
        asyncio.run(ensure_topics(self.broker.bootstrap, {name: PARTITIONS}))
        self.topic = name

    def __exit__(self, *exc: Any) -> None:
        stop_all(self.procs)
        self.r.close()
        self.redis_server.stop()
        self.broker.stop()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def config(self, app_id: str) -> Path:
        """A worker config for consumer group ``app_id``: its own prefix and output topics, same input."""
        cfg = self.tmp / f"{app_id}.toml"
        chans = {"hotline": 5, "hall": SILENT_DEADLINE_MIN, "app": 30, "wechat": 30, "web": 30, "sms": 30,
                 "12345": 30, "12398": 30, "other": 30}
        cfg.write_text(
            f'[kafka]\nbroker = "kafka://{self.broker.bootstrap}"\napp_id = "{app_id}"\n'
            f'events_topic = "{self.topic}"\ndlq_topic = "{app_id}-dlq"\nalerts_topic = "{app_id}-alerts"\n'
            f'commands_topic = "{app_id}-commands"\npartitions = {PARTITIONS}\n'
            f'[redis]\nurl = "{self.redis_server.url}"\nprefix = "{app_id}:"\nboard_risks = "all"\n'
            f'[clock]\nspeed = 1.0\n[sla.receive_ack_min]\n'
            + "".join(f'"{k}" = {v}\n' for k, v in chans.items()) + self.extra_toml)
        return cfg

    def start_worker(self, app_id: str, name: str, role: str = "all") -> subprocess.Popen:
        log = open(self.tmp / f"{app_id}-{name}.log", "ab")
        p = subprocess.Popen(
            [sys.executable, "-m", "yujing.cli", "worker", "--config", str(self.config(app_id)), "--workers-dir",
             str(self.tmp / "faust" / app_id / name), "--name", name, "--role", role, "--metrics-port", "0",
             "--loglevel", "info"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True)
        log.close()
        self.procs.append(p)
        return p

    def counters(self, app_id: str) -> dict[str, int]:
        return {k: int(v) for k, v in self.r.hgetall(f"{app_id}:stats").items()}


def stop(p: subprocess.Popen, kill: bool = False) -> None:
    if p.poll() is not None:
        return
    if kill:
        p.kill()
    else:
        p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def stop_all(procs: Iterable[subprocess.Popen]) -> None:
    """Stop several workers at once: SIGTERM to all first, so their graceful shutdowns overlap."""
    procs = [p for p in procs if p.poll() is None]
    for p in procs:
        p.terminate()
    for p in procs:
        stop(p)


# --------------------------------------------------------------------------------------------- kafka i/o
def sim_lines(n: int, end: float, seed: int = 3) -> list[tuple[bytes, bytes]]:
    """Up to ``n`` simulator events (key, value) whose times end before ``end`` (a busy province, scale 10)."""
    from yujing.simulator.engine import SimOptions, iter_events

    hours = max(1.0, n / 3500)
    out: list[tuple[bytes, bytes]] = []
    for ev in iter_events(SimOptions(start=end - hours * 3600, hours=hours, seed=seed, scale=10.0)):
        out.append((ev["order_id"].encode(), orjson.dumps(ev)))
        if len(out) >= n:
            break
    return out


async def produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes]],
                  rate: float | None = None) -> list[float]:
    """Send ``records``; paced at ``rate`` per second if given. Returns each record's send time (monotonic)."""
    from aiokafka import AIOKafkaProducer

    p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2 if rate else 20, acks=1,
                         max_batch_size=512 * 1024)
    await p.start()
    sent: list[float] = []
    try:
        t0 = time.monotonic()
        for i, (key, value) in enumerate(records):
            if rate:
                due = t0 + i / rate
                delay = due - time.monotonic()
                if delay > 0.001:
                    await asyncio.sleep(delay)
            sent.append(time.monotonic())
            await p.send(topic, value, key=key)
        await p.flush()
    finally:
        await p.stop()
    return sent


async def raw_consume(bootstrap: str, topic: str, expect: int, timeout: float = 120) -> dict:
    """A bare consumer group reading the whole topic: records/s from the first record to the last."""
    from aiokafka import AIOKafkaConsumer

    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                         group_id=f"raw-{uuid.uuid4().hex[:6]}", enable_auto_commit=False,
                         fetch_max_bytes=16 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024)
    t_start = time.monotonic()
    await c.start()
    n = 0
    try:
        deadline = time.monotonic() + timeout
        while len(c.assignment()) < PARTITIONS and time.monotonic() < deadline:
            await c.getmany(timeout_ms=100, max_records=1)  # drives the group join; records are re-read below
        joined = time.monotonic()
        await c.seek_to_beginning()
        first = time.monotonic()
        while n < expect and time.monotonic() < deadline:
            batch = await c.getmany(timeout_ms=200, max_records=10_000)
            for msgs in batch.values():
                for m in msgs:
                    orjson.loads(m.value)  # what any consumer must at least do
                n += len(msgs)
        last = time.monotonic()
    finally:
        await c.stop()
    span = last - first
    return {"records": n, "seconds": round(span, 2), "eps": round(n / span) if span > 0 else None,
            "join_s": round(joined - t_start, 1)}


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_events(rig: Rig, app_id: str, target: int, timeout: float,
                procs: dict[str, subprocess.Popen] | None = None) -> dict:
    """Poll ``stats.events`` until it reaches ``target``; records/s from its first increase.

    With ``procs`` (name → worker process), also the CPU seconds each spent over the same span: on a machine
    with fewer cores than processes (broker, producer and workers share two here) wall-clock throughput hides
    scale-out, while CPU per event shows what each worker would do with a core of its own."""
    first = None
    start = time.monotonic()
    deadline = start + timeout
    n0 = rig.counters(app_id).get("events", 0)
    n = n0
    cpu0: dict[str, float] = {}
    while time.monotonic() < deadline:
        n = rig.counters(app_id).get("events", 0)
        if n > n0 and first is None:
            first, n_first = time.monotonic(), n
            cpu0 = {name: cpu_s(p.pid) for name, p in (procs or {}).items()}
        if n >= target:
            break
        time.sleep(0.05)
    last = time.monotonic()
    if first is None:
        return {"events": n, "eps": None, "seconds": None, "complete": False}
    span = max(last - first, 1e-3)
    # the first poll that saw progress already included n_first events: count them at the average rate
    eps = (n - n_first) / span if n > n_first else None
    out = {"events": n, "eps": round(eps) if eps else None, "seconds": round(span, 2),
           "startup_s": round(first - start, 1), "complete": n >= target}
    if cpu0 and n > n_first:
        cpu = {name: round(cpu_s(p.pid) - cpu0[name], 2) for name, p in procs.items()}
        out["cpu_s"] = cpu
        out["cpu_ms_per_1k_events"] = {name: round(1e6 * c / (n - n_first), 1) for name, c in cpu.items()}
        # the busiest process with a core to itself limits the group (the events spread over the order workers)
        out["eps_core_each"] = round((n - n_first) / max(cpu.values())) if max(cpu.values()) > 0 else None
    return out


# --------------------------------------------------------------------------------------------- e2e
def _created(order_id: str, t: float, channel: str = "app") -> bytes:
    return orjson.dumps({"event_id": f"e-{order_id}", "order_id": order_id, "type": "created", "ts": iso(t),
                         "category": "consultation", "channel": channel, "customer_id": f"C-{order_id}",
                         "customer_tier": "regular", "region": "north", "area": "urban"})


async def e2e_latency(rig: Rig, app_id: str, rate: float, seconds: float, drain_s: float = 30,
                      procs: dict[str, subprocess.Popen] | None = None) -> dict:
    """Produce ``rate``×``seconds`` new orders; latency from each one's due time (:data:`TICK_S`) to its risk
    record in Redis.

    With ``procs`` (name → worker process), also each one's CPU per event over the run (paced, the take sizes
    of a worker that keeps up: per-take costs weigh more than in a drain)."""
    import redis.asyncio as aioredis

    n = int(rate * seconds)
    tag = uuid.uuid4().hex[:5]
    ids = [f"E2E-{tag}-{i}" for i in range(n)]
    now = time.time()

    def records() -> Iterable[tuple[bytes, bytes]]:
        for i, oid in enumerate(ids):
            yield oid.encode(), _created(oid, now + i / rate)

    r = aioredis.Redis.from_url(rig.redis_server.url)
    seen_from = r.register_script(_SEEN_FROM)
    seen: dict[int, float] = {}
    sent: list[float] = []
    lanes: dict[int, list[int]] = {}
    """Partition → its orders (indices into ``ids``) in the order they were sent."""
    done = asyncio.Event()

    async def poll() -> None:
        key, prefix = f"{app_id}:risk:latest", f"E2E-{tag}-"
        heads: dict[int, int] = {}
        chunk: dict[int, int] = {}
        while not done.is_set() or len(seen) < len(sent):
            again = True
            while again:   # until no partition's whole group was visible
                args: list[Any] = [prefix]
                asked = []
                for part, lane in list(lanes.items()):
                    head = heads.get(part, 0)
                    group = lane[head:head + chunk.get(part, LANE_CHUNK[0])]
                    if group:
                        args += [len(group), *group]
                        asked.append((part, group))
                if not asked:
                    break
                hits = await seen_from(keys=[key], args=args)
                t = time.monotonic()
                again = False
                for (part, group), n in zip(asked, hits):
                    for i in group[:int(n)]:
                        seen[i] = t
                    heads[part] = heads.get(part, 0) + int(n)
                    full = int(n) == len(group)
                    chunk[part] = min(LANE_CHUNK[1], max(LANE_CHUNK[0], 2 * int(n))) if not full else \
                        min(LANE_CHUNK[1], 2 * len(group))
                    again = again or full
            if done.is_set() and time.monotonic() > drain_deadline:
                break
            await asyncio.sleep(0.01)

    drain_deadline = float("inf")
    poller = asyncio.ensure_future(poll())

    async def send() -> None:
        from aiokafka import AIOKafkaProducer
        from streams.wire import murmur2   # Kafka's key hash, as the producer's default partitioner
        recs = list(records())
        acks: list[Any] = []
        p = AIOKafkaProducer(bootstrap_servers=rig.broker.bootstrap, acks=1)
        await p.start()
        try:
            parts = sorted(await p.partitions_for(rig.topic))
            t0 = window[0] = time.monotonic()
            i = 0
            while i < n:  # every tick: the records due by now, one batch per partition
                due = min(n, int((time.monotonic() - t0) * rate) + 1)
                batches: dict[int, Any] = {}
                for j in range(i, due):
                    k, v = recs[j]
                    part = parts[(murmur2(k) & 0x7FFFFFFF) % len(parts)]
                    b = batches.get(part) or batches.setdefault(part, p.create_batch())
                    b.append(key=k, value=v, timestamp=None)
                    sent.append(t0 + j / rate)  # its due time: never later than the hand-over
                    lanes.setdefault(part, []).append(j)
                for part, b in batches.items():
                    acks.append((await p.send_batch(b, rig.topic, partition=part), b.record_count()))
                i = due
                await asyncio.sleep(max(TICK_S, t0 + i / rate - time.monotonic()))
            await p.flush()
            window[1] = time.monotonic()
            for fut, count in acks:   # a batch the broker did not take is the generator's loss, not the worker's
                try:
                    await fut
                except Exception as exc:
                    send_errors.append(f"{type(exc).__name__}: {exc}")
                    failed[0] += count
        finally:
            await p.stop()

    send_errors: list[str] = []
    failed = [0]
    cpu0 = {name: cpu_s(p.pid) for name, p in (procs or {}).items()}
    broker0 = cpu_s(rig.broker.proc.pid) if rig.broker.proc else None
    window = [0.0, 0.0]
    await send()
    achieved = n / (window[1] - window[0])
    drain_deadline = time.monotonic() + drain_s
    done.set()
    await poller
    cpu = {name: round(1e6 * (cpu_s(p.pid) - cpu0[name]) / n, 1) for name, p in (procs or {}).items()}
    if broker0 is not None and rig.broker.proc:
        cpu["broker"] = round(1e6 * (cpu_s(rig.broker.proc.pid) - broker0) / n, 1)
    await r.aclose()
    lat = [1000 * (seen[i] - sent[i]) for i in seen]
    tenth = max(1, n // 10)
    first_t = [1000 * (seen[i] - sent[i]) for i in range(tenth) if i in seen]
    last_t = [1000 * (seen[i] - sent[i]) for i in range(n - tenth, n) if i in seen]
    return {"rate": rate, "seconds": seconds, "sent": n, "achieved_rate": round(achieved),
            "visible": len(lat), "missing": n - len(lat), "send_errors": len(send_errors), "send_failed_records": failed[0],
            "_unseen": [ids[i] for i in range(n) if i not in seen],
            **({"send_error": send_errors[0]} if send_errors else {}),
            "p50_ms": round(pct(lat, 0.5), 1) if lat else None, "p99_ms": round(pct(lat, 0.99), 1) if lat else None,
            "max_ms": round(max(lat), 1) if lat else None,
            "p50_ms_first_tenth": round(pct(first_t, 0.5), 1) if first_t else None,
            "p50_ms_last_tenth": round(pct(last_t, 0.5), 1) if last_t else None,
            "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
            **({"cpu_us_per_event": cpu} if cpu else {})}


def silent_breach(rig: Rig, app_id: str, timeout: float = 30, n: int = 5) -> dict:
    """Hall orders nobody accepts: deadline (6 s) → red receive_lag alert visible in the AlertStore.

    ``n`` orders, created 0.37 s apart so their deadlines fall at different phases of the worker's 1-s tick;
    the figure is their median delay after the deadline (and the worst one is reported next to it)."""
    from alerts.store import AlertStore

    store = AlertStore(rig.r, f"{app_id}:")
    due: dict[str, float] = {}
    for i in range(n):
        oid = f"SILENT-{uuid.uuid4().hex[:5]}"
        t_ev, mono_ev = time.time(), time.monotonic()
        asyncio.run(produce(rig.broker.bootstrap, rig.topic, [(oid.encode(), _created(oid, t_ev, "hall"))]))
        due[oid] = mono_ev + SILENT_DEADLINE_MIN * 60
        time.sleep(0.37)
    seen: dict[str, float] = {}
    end = max(due.values()) + timeout
    while time.monotonic() < end and len(seen) < n:
        for a in store.active():
            oid = a.get("scope", {}).get("order_id")
            if oid in due and oid not in seen and a.get("kind") == "receive_lag" and a.get("tier") == "red":
                seen[oid] = round(time.monotonic() - due[oid], 2)
        time.sleep(0.05)
    delays = sorted(seen.values())
    return {"deadline_s": SILENT_DEADLINE_MIN * 60, "orders": n, "delays_s": delays,
            "alert_after_deadline_s": delays[len(delays) // 2] if delays else None,
            "worst_s": delays[-1] if delays else None, **({} if len(seen) == n else {"timeout": True})}


def settle(rig: Rig, app_id: str, expected: int, quiet_s: float = 3.0) -> None:
    """Wait until the worker has processed ``expected`` events, then ``quiet_s`` more for its timers."""
    wait_events(rig, app_id, expected, timeout=180)
    time.sleep(quiet_s)


def alert_count(rig: Rig, app_id: str) -> int:
    return int(rig.r.zcard(f"{app_id}:idx:time"))


# --------------------------------------------------------------------------------------------- run
def top_frames(stacks: Path, n: int = 25) -> dict:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks (``-f raw``)."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    if not stacks.exists():
        return {"error": "py-spy wrote nothing (ptrace not permitted?)"}
    for line in stacks.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        k = int(count)
        total += k
        frames = [f.split(" (")[0] + " " + f.split("(")[-1].split(":")[0].rsplit("/", 1)[-1]
                  for f in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + k
        for f in set(frames):
            incl[f] = incl.get(f, 0) + k
    share = lambda d: {f: round(100 * c / total, 1) for f, c in sorted(d.items(), key=lambda x: -x[1])[:n]}
    return {"samples": total, "self_pct": share(own), "inclusive_pct": share(incl)}


TOPOLOGIES = {"one_process": (("w1", "all"),), "split": (("w1", "orders"), ("agg", "aggregates"))}
"""One process running the whole pipeline, and the production topology: an order worker + the aggregator."""


def _start(rig: Rig, lines: list, topology: str, profile: bool = False) -> tuple[str, dict[str, subprocess.Popen], dict]:
    """A fresh topic holding ``lines``, the topology's workers draining it, and the clock primed to now:
    (app_id, name → process, the drain's figures)."""
    rig.use_topic(f"bench-{uuid.uuid4().hex[:6]}-events")
    asyncio.run(produce(rig.broker.bootstrap, rig.topic, lines))
    app_id = topology[:3] + uuid.uuid4().hex[:4]
    procs = {name: rig.start_worker(app_id, name, role) for name, role in TOPOLOGIES[topology]}
    spy = None
    if profile:
        spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "-p",
                                str(next(iter(procs.values())).pid), "-r", "50", "-f", "raw", "-o",
                                str(rig.tmp / f"{topology}.stacks"), "-d", "600"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    drain = wait_events(rig, app_id, len(lines), timeout=240, procs=procs)
    if spy is not None:
        spy.send_signal(2)  # SIGINT: py-spy writes what it has
        spy.wait(30)
        drain["profile"] = top_frames(rig.tmp / f"{topology}.stacks")
    print(f"live[{topology}]: drain {drain}", file=sys.stderr)
    drain["counters"] = rig.counters(app_id)
    # the fill ends in the past: one event at "now" moves the clock and fires the fill's overdue timers,
    # which must be done before the latency runs start
    asyncio.run(produce(rig.broker.bootstrap, rig.topic, [(b"PRIMER", _created("PRIMER", time.time()))]))
    settle(rig, app_id, len(lines) + 1)
    return app_id, procs, drain


def _latency_run(rig: Rig, app_id: str, procs: dict[str, subprocess.Popen], rate: float, secs: float,
                 expected: int, topology: str) -> tuple[dict, int]:
    """One paced run, then its settle: (its figures, the events the worker has now been given)."""
    run = asyncio.run(e2e_latency(rig, app_id, rate, secs, procs=procs))
    expected += run["sent"] - run["send_failed_records"]
    unseen = run.pop("_unseen")
    print(f"live[{topology}]: e2e at {rate:.0f}/s {run}", file=sys.stderr)
    settle(rig, app_id, expected)
    # late is not lost: after the settle, an order still without its record never made it
    if unseen:
        there = rig.r.hmget(f"{app_id}:risk:latest", unseen)
        run["never_visible"] = [oid for oid, v in zip(unseen, there) if v is None][:20]
    return run, expected


def fresh_5k_run(port_base: int, lines: list, topology: str, secs: float) -> dict:
    """A 5k/s run on a broker and Redis of their own, after the same fill: see :data:`FRESH_BROKER`."""
    with Rig(port_base) as rig:
        app_id, procs, _ = _start(rig, lines, topology)
        run, _ = _latency_run(rig, app_id, procs, 5000, secs, len(lines) + 1, topology)
        stop_all(procs.values())
        rig.procs.clear()
    return run


def measure_topology(rig: Rig, lines: list, topology: str, e2e_s: tuple[int, int], profile: bool,
                     fresh_port_base: int) -> dict:
    """Drain a fresh topic holding ``lines`` with the topology's workers, then the 1k/s latency run and the silent
    breach; the 5k/s runs each on a broker of its own after the same fill and drain (:data:`FRESH_BROKER`)."""
    app_id, procs, drain = _start(rig, lines, topology, profile)
    res: dict[str, Any] = {"roles": [role for _, role in TOPOLOGIES[topology]], "app_id": app_id, "worker": drain}
    if "profile" in drain:
        res["worker_profile"] = drain.pop("profile")
    expected = len(lines) + 1
    for rate, secs in zip((1000, 5000), e2e_s):
        if rate == 5000:
            runs = [fresh_5k_run(fresh_port_base, lines, topology, secs) for _ in range(E2E_RUNS_5K)]
        else:
            run, expected = _latency_run(rig, app_id, procs, rate, secs, expected, topology)
            runs = [run]
        # the run with the median p99 stands for the rate; every run's p99 is kept next to it
        by_p99 = sorted(runs, key=lambda r: float("inf") if r["p99_ms"] is None else r["p99_ms"])
        res[f"e2e_{rate // 1000}k"] = {**by_p99[len(by_p99) // 2], "p99_ms_runs": [r["p99_ms"] for r in runs],
                                      "broker_us_per_event_runs": [r.get("cpu_us_per_event", {}).get("broker")
                                                                   for r in runs]}
    res["silent_breach"] = silent_breach(rig, app_id)
    print(f"live[{topology}]: silent breach {res['silent_breach']}", file=sys.stderr)
    settle(rig, app_id, expected + res["silent_breach"]["orders"])
    stop_all(procs.values())
    rig.procs.clear()
    res["worker"]["counters_whole_run"] = rig.counters(app_id)
    res["worker"]["alert_episodes"] = alert_count(rig, app_id)
    return res


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc)."""
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def worker_memory(rig: Rig, sizes: tuple[int, ...]) -> dict:
    """Bytes of the order worker's resident memory per open order: the split topology drains ``sizes[0]`` new
    orders (never accepted nor closed), then more up to each next size; the RSS growth from the first size to
    each later one, per order (the replay core's figure, ``bench_memory``, has no table, changelog encoding,
    customer stage nor shell). The worker keeps its configured ``[worker] hot_orders`` (10,000) decoded and the
    others encoded, so the growth from 10k on is that of orders kept encoded, as most of a province's open orders
    are. ``bytes_per_open_order`` is the growth to the second size (the figure since session 13), ``by_size``
    the curve."""
    rig.use_topic(f"bench-{uuid.uuid4().hex[:6]}-events")
    app_id = "mem" + uuid.uuid4().hex[:4]
    now = time.time()
    lines = [(f"M-{i}".encode(), _created(f"M-{i}", now + i * 1e-4)) for i in range(sizes[-1])]
    asyncio.run(produce(rig.broker.bootstrap, rig.topic, lines[:sizes[0]]))
    procs = [rig.start_worker(app_id, name, role) for name, role in TOPOLOGIES["split"]]
    settle(rig, app_id, sizes[0])
    rss = [rss_bytes(procs[0].pid)]
    for a, b in zip(sizes, sizes[1:]):
        asyncio.run(produce(rig.broker.bootstrap, rig.topic, lines[a:b]))
        settle(rig, app_id, b)
        rss.append(rss_bytes(procs[0].pid))
    stop_all(procs)
    rig.procs.clear()
    by_size = {str(n): round((r - rss[0]) / (n - sizes[0])) for n, r in zip(sizes[1:], rss[1:])}
    return {"orders": list(sizes), "rss_mb": [round(r / 2**20) for r in rss],
            "bytes_per_open_order": by_size[str(sizes[1])], "by_size": by_size}


def run(quick: bool = False, port_base: int = 19610, fill: int | None = None, profile: bool = False) -> dict:
    fill = fill or (8_000 if quick else 40_000)
    e2e_s = (4, 4) if quick else (20, 10)
    res: dict[str, Any] = {"partitions": PARTITIONS, "quick": quick}
    lines = sim_lines(fill, end=time.time() - 60)
    # each topology on a broker of its own: the embedded broker's cost per request grows with the batches it
    # holds (FRESH_BROKER), so the second topology would be measured on the first one's leftovers
    with Rig(port_base) as rig:
        res["one_process"] = measure_topology(rig, lines, "one_process", e2e_s, False, port_base + 10)
    with Rig(port_base) as rig:
        t = time.monotonic()
        asyncio.run(produce(rig.broker.bootstrap, rig.topic, lines))
        res["fill"] = {"events": len(lines), "produce_s": round(time.monotonic() - t, 2)}
        print(f"live: topic filled with {len(lines)} events", file=sys.stderr)
        res["raw_consume"] = asyncio.run(raw_consume(rig.broker.bootstrap, rig.topic, len(lines)))
        print(f"live: raw consume {res['raw_consume']}", file=sys.stderr)
        res["split"] = measure_topology(rig, lines, "split", e2e_s, profile, port_base + 10)
        if profile:
            PROFILE_OUT.write_text(json.dumps(res["split"].get("worker_profile"), indent=2, ensure_ascii=False))

        # two order workers + the aggregator on the split run's topic (fill + its latency runs)
        split = res["split"]["worker"]
        total = split["counters_whole_run"].get("events", 0)
        two = "two" + uuid.uuid4().hex[:4]
        procs2 = {name: rig.start_worker(two, name, role)
                  for name, role in (("w1", "orders"), ("w2", "orders"), ("agg", "aggregates"))}
        res["two_workers"] = wait_events(rig, two, total, timeout=240, procs=procs2)
        time.sleep(2)
        c1 = {k: split["counters_whole_run"].get(k, 0) for k in COUNTERS}
        c2 = {k: rig.counters(two).get(k, 0) for k in COUNTERS}
        res["two_workers"]["counters"] = rig.counters(two)
        res["two_workers"]["counters_match_one_worker"] = c2 == c1
        res["two_workers"]["alert_episodes"] = alert_count(rig, two)
        print(f"live: two order workers {res['two_workers']} (one, whole run: {c1})", file=sys.stderr)
        stop_all(procs2.values())
        rig.procs.clear()
        res["worker_memory"] = worker_memory(rig, (5_000, 30_000) if quick else (10_000, 100_000, 300_000))
        print(f"live: order worker memory {res['worker_memory']}", file=sys.stderr)
    one, split = res["one_process"], res["split"]
    res["raw_consume_eps"] = res["raw_consume"]["eps"]
    res["worker_eps"] = split["worker"]["eps"]
    res["worker_eps_one_process"] = one["worker"]["eps"]
    res["two_workers_eps"] = res["two_workers"]["eps"]
    # throughput if each worker process had a core of its own: events / CPU seconds of the busiest one
    res["worker_eps_core_each"] = split["worker"].get("eps_core_each")
    res["two_workers_eps_core_each"] = res["two_workers"].get("eps_core_each")
    for name, r in (("", split), ("_one_process", one)):
        res[f"e2e_p50_ms_1k{name}"] = r["e2e_1k"]["p50_ms"]
        res[f"e2e_p99_ms_1k{name}"] = r["e2e_1k"]["p99_ms"]
        res[f"e2e_p50_ms_5k{name}"] = r["e2e_5k"]["p50_ms"]
        res[f"e2e_p99_ms_5k{name}"] = r["e2e_5k"]["p99_ms"]
        res[f"e2e_p99_ms_5k_runs{name}"] = r["e2e_5k"].get("p99_ms_runs")
    res["silent_breach_alert_s"] = split["silent_breach"]["alert_after_deadline_s"]
    res["silent_breach_worst_s"] = split["silent_breach"].get("worst_s")
    res["silent_breach_alert_s_one_process"] = one["silent_breach"]["alert_after_deadline_s"]
    res["worker_bytes_per_open_order"] = res["worker_memory"]["bytes_per_open_order"]
    res["worker_memory_by_size"] = res["worker_memory"]["by_size"]
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--fill", type=int, default=None, help="events in the topic (default 40k, quick 8k)")
    ap.add_argument("--port-base", type=int, default=19610)
    ap.add_argument("--profile", action="store_true", help="py-spy the single worker while it drains the fill")
    a = ap.parse_args(argv)
    res = run(a.quick, a.port_base, a.fill, a.profile)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2))
    print(json.dumps({k: v for k, v in res.items() if not isinstance(v, dict)}, indent=2))


if __name__ == "__main__":
    main()
