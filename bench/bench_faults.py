"""Soak run under faults: live workers killed with ``kill -9`` again and again, redis-server killed once.

    .venv/bin/python -m bench.bench_faults [--events 20000] [--kills 5] [--topology split|one_process]

The default topology is production's: an order worker and the aggregator (scope stage + alert pipeline),
killed in turn (order worker, aggregator, order worker, …); ``one_process`` kills the one ``--role all`` worker.

Real parts only (the rig of :mod:`bench.bench_live`: embedded Tansu broker, our own redis-server with AOF,
``yujing worker`` subprocesses). The stream is produced in chunks; during each chunk the worker is killed
(SIGKILL: no flush, no commit) once it has made some progress, and restarted; half-way, redis-server is killed
and restarted on its AOF. Afterwards it checks what the reliability promises say:

* every event applied exactly once: the open orders the order workers hold (restored from their changelogs) =
  a clean in-process order stage on the same events, and the ``stats`` counter = the clean run's events
  (counted once across the kills: :mod:`streams.counted`; ``counter_short`` says by how much it is not);
* no lifecycle record twice in any alert timeline (idempotent by alert id, status, time and escalation step);
* Redis wiped → the read model rebuilt from the ``alerts`` topic holds the same episodes;
* notifications (a real HTTP receiver, apprise ``json://``): messages arrive, no intent is left undelivered in
  the stream of intents, none failed, none recorded as delivered twice; identical messages received are counted.

Figures go to ``bench/out/faults.json``: the kills, time from each restart to the first progress, the checks.
Takes 3–6 minutes on the 2-core development machine; not part of ``run_all`` (its result is quoted in the
README's reliability table).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from bench.bench_live import TOPOLOGIES, Rig, produce, sim_lines, stop, stop_all

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


class Receiver:
    """The demo's push inbox (``yujing inbox``, its own process) on ``port``: what apprise's ``json://`` posts."""

    def __init__(self, port: int, path: Path):
        import subprocess
        import sys

        from yujing.runtime.inbox import inbox_urls
        self.path, self.url = path, inbox_urls(port, ["staff"])["staff"][0]
        self.proc = subprocess.Popen([sys.executable, "-m", "yujing.cli", "inbox", "--port", str(port), "--out",
                                      str(path)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def posts(self) -> list[dict[str, Any]]:
        from yujing.runtime.inbox import read_inbox
        return read_inbox(self.path)


def notifications(rig: Rig, app_id: str, receiver: Receiver) -> dict[str, Any]:
    """What the receiver got against what the store recorded (``AlertStore.record_delivery`` rows) and what is
    left in the stream of intents (``alerts.notify``)."""
    from collections import Counter

    rows = [orjson.loads(x) for x in rig.r.lrange(f"{app_id}:dl", 0, -1)]
    ok = Counter((r.get("key"), r.get("target"), r.get("alert_id")) for r in rows if r.get("ok"))
    left = rig.r.xlen(f"{app_id}:notify:intents") if rig.r.exists(f"{app_id}:notify:intents") else 0
    posts = receiver.posts
    bodies = Counter((p.get("title"), p.get("body")) for p in posts)
    # one post may carry many intents (a rate-limited receiver's digest), so posts and intents are not compared;
    # identical posts are a figure, not a failure: a group re-sent unchanged after its repeat interval is one too
    return {"messages_received": len(posts), "identical_messages": sum(n - 1 for n in bodies.values()),
            "intents_delivered": len({(k, t) for k, t, _ in ok}),
            "intents_recorded_twice": sum(1 for n in ok.values() if n > 1),
            "failed": sum(1 for r in rows if not r.get("ok")), "intents_left": left}


def applied(rig: Rig, app_id: str) -> int:
    c = rig.counters(app_id)
    return c.get("events", 0) - c.get("duplicates", 0)


def beats(rig: Rig, app_id: str) -> dict[str, dict[str, Any]]:
    return {k: orjson.loads(v) for k, v in rig.r.hgetall(f"{app_id}:workers").items()}


def clean_run(lines: Iterable[tuple[bytes, bytes]], signals: list | None = None) -> Any:
    """An in-process order stage fed the same (key, value) lines once, without a crash: the state to compare with
    (and, in ``signals``, the scope signals its events gave)."""
    from streams.order_stage import OrderStage
    from yujing.config import load_config
    from yujing.events import InvalidEvent, parse_event

    clean = OrderStage(load_config(None))
    for _, v in lines:
        try:
            out = clean.ingest(parse_event(v))
        except InvalidEvent:
            continue
        if signals is not None:
            signals.extend(out.signals)
    return clean


def drained(beat: dict[str, Any]) -> bool:
    """A worker's heartbeat says it has restored its tables, has heard events and has nothing left to read."""
    return not beat.get("recovering", True) and beat.get("last_event_wall") is not None and beat.get("lag") == 0


def order_worker_back(rig: Rig, app_id: str, name: str, pid: int, at: int) -> bool:
    """The restarted order worker ``name`` (process ``pid``) has applied something new, or is :func:`drained`
    (every event it re-read was already in its restored state)."""
    if applied(rig, app_id) > at:
        return True
    b = beats(rig, app_id).get(name) or {}
    return b.get("pid") == pid and drained(b)


def holds_alert_stages(rig: Rig, app_id: str, name: str, pid: int) -> bool:
    """The worker ``name`` (process ``pid``) runs the scope stage and the alert pipeline again."""
    b = beats(rig, app_id).get(name) or {}
    return b.get("pid") == pid and bool(b.get("scope_stage")) and bool(b.get("alert_pipeline"))


def caught_up(rig: Rig, app_id: str, procs: dict[str, Any]) -> bool:
    """Every worker process has reported within 3 s with nothing left to read on its input topics."""
    now, bs = time.time(), beats(rig, app_id)
    return all(bs.get(n, {}).get("pid") == p.pid and now - bs[n]["wall"] < 3 and bs[n]["lag"] == 0
               and not bs[n].get("recovering", True) for n, p in procs.items())


def wait_for(pred: Any, timeout: float, poll: float = 0.2) -> float | None:
    """Seconds until ``pred()`` held, or None after ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if pred():
                return time.monotonic() - t0
        except Exception:  # noqa: BLE001 - Redis restarting: keep polling
            pass
        time.sleep(poll)
    return None


def repeated_records(r: Any, prefix: str) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Lifecycle records in the AlertStore's timelines, and the pairs recorded twice.

    A record is one lifecycle step: alert, status, time and escalation step (two escalation steps may share a
    time when the clock passes both at once). Two tier changes of one alert at one instant count as a repeat too:
    that is the flap a replaced worker's catch-up used to cause (orange → red → orange at one second) before late
    verdicts were held to settle (``alerts/late.py``)."""
    seen: dict[tuple[Any, ...], bytes] = {}
    dups: list[tuple[bytes, bytes]] = []
    n = 0
    for key in r.scan_iter(match=f"{prefix}tl:*", count=1000):
        for raw in r.zrange(key, 0, -1):
            rec = orjson.loads(raw)
            ident = (rec["alert_id"], rec["status"], rec["ts"], rec.get("escalation_step"))
            if ident in seen:
                dups.append((seen[ident], raw))
            seen[ident] = raw
            n += 1
    return n, dups


async def read_topic(bootstrap: str, topic: str, idle_s: float = 5.0) -> list[dict[str, Any]]:
    """Every record of ``topic`` from the start (until it is idle for ``idle_s``)."""
    from aiokafka import AIOKafkaConsumer

    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await c.start()
    out: list[dict[str, Any]] = []
    try:
        while True:
            batch = await c.getmany(timeout_ms=int(idle_s * 1000), max_records=5000)
            if not batch:
                break
            for msgs in batch.values():
                out.extend(orjson.loads(m.value) for m in msgs)
    finally:
        await c.stop()
    return out


def run(events: int = 20000, kills: int = 5, port_base: int = 19650, seed: int = 11,
        topology: str = "split", keep: bool = False) -> dict[str, Any]:
    from alerts.store import AlertStore

    rng = random.Random(seed)
    app_id = "soak"
    lines = sim_lines(events, end=time.time() - 60, seed=seed)
    chunks = [lines[i * len(lines) // kills:(i + 1) * len(lines) // kills] for i in range(kills)]
    result: dict[str, Any] = {"events": len(lines), "topology": topology, "kills": [], "redis_restart": None}
    roles = dict(TOPOLOGIES[topology])
    with Rig(port_base, keep=keep) as rig:
        receiver = Receiver(port_base + 9, rig.tmp / "inbox.jsonl")
        rig.procs.append(receiver.proc)   # stopped with the workers, also when the run fails
        rig.extra_toml = f'[alerts]\nreceivers = {{staff = ["{receiver.url}"]}}\n'
        if keep:
            print("logs and data in", rig.tmp, flush=True)
        procs = {name: rig.start_worker(app_id, name, role) for name, role in roles.items()}
        sent = 0
        for i, chunk in enumerate(chunks):
            victim = list(roles)[i % len(roles)]
            asyncio.run(produce(rig.broker.bootstrap, rig.topic, chunk))
            sent += len(chunk)
            time.sleep(rng.uniform(0.0, 1.5))        # the workers are draining the chunk …
            at = applied(rig, app_id)
            stop(procs[victim], kill=True)           # … SIGKILL: no flush, no commit, no goodbye
            time.sleep(rng.uniform(0.5, 3.0))
            if i == kills // 2:                      # and once, redis-server too (AOF)
                rig.redis_server.kill()
                rig.redis_server.start()
                result["redis_restart"] = {"after_chunk": i}
            procs[victim] = rig.start_worker(app_id, victim, roles[victim])
            # the restarted worker resumes from its last committed offsets; the next chunk gives it new work
            pending = at < sent
            if not pending and i + 1 < len(chunks):
                asyncio.run(produce(rig.broker.bootstrap, rig.topic, chunks[i + 1][:1]))
                chunks[i + 1] = chunks[i + 1][1:]
                sent += 1
            if roles[victim] == "aggregates":   # its progress: the one-partition stages running again
                p = procs[victim].pid
                back = wait_for(lambda: holds_alert_stages(rig, app_id, victim, p), 120)
            else:
                p = procs[victim].pid
                back = (wait_for(lambda: order_worker_back(rig, app_id, victim, p, at), 120)
                        if i + 1 < len(chunks) or pending else 0.0)
            result["kills"].append({"chunk": i, "victim": victim, "killed_at_applied": at, "sent": sent,
                                    "restart_to_progress_s": round(back, 1) if back is not None else None})
            print(f"kill {i + 1}/{kills} ({victim}): {at} of {sent} applied; progress again after "
                  f"{back if back is None else round(back, 1)} s", flush=True)
        clean = clean_run(lines)
        expected = clean.stats["events"] - clean.stats["duplicates"]
        done = wait_for(lambda: applied(rig, app_id) >= expected, 240)
        # every worker caught up (a restarted aggregator rejoins its group only when the killed member's session
        # has timed out, then replays its topics from the checkpoint), then the last timers and alert records
        result["caught_up_s"] = wait_for(lambda: caught_up(rig, app_id, procs), 240)
        time.sleep(5)
        final = {n: b for n, b in beats(rig, app_id).items() if n in procs}
        result["final_beats"] = {n: {"pid_matches": b.get("pid") == procs[n].pid, "lag": b.get("lag_by_topic"),
                                     "lagging": b.get("lagging"), "recovering": b.get("recovering"),
                                     "age_s": round(time.time() - b["wall"], 1)} for n, b in final.items()}
        # the state itself: open orders the order workers hold (restored from their changelogs) vs the clean run
        held = sum(int(b.get("orders", 0)) for n, b in final.items() if roles[n] in ("orders", "all"))
        got = applied(rig, app_id)
        # the last notifications: delivered, or still in the stream of intents (a restarted aggregator takes a
        # killed one's over once its liveness key has expired, alerts.notify.CLAIM_AFTER_S)
        wait_for(lambda: notifications(rig, app_id, receiver)["intents_left"] == 0, 120)
        time.sleep(2)
        result["notifications"] = notifications(rig, app_id, receiver)
        n, repeated = repeated_records(rig.r, f"{app_id}:")
        store = AlertStore(rig.r, f"{app_id}:")
        before_wipe = {a["alert_id"] for a in store.history(limit=100000)}
        stop_all(procs.values())
        records = asyncio.run(read_topic(rig.broker.bootstrap, f"{app_id}-alerts"))
        store.rebuild(r for r in records if r.get("record", "alert") == "alert")
        after_wipe = {a["alert_id"] for a in store.history(limit=100000)}
        result.update({
            "orders_held": held, "orders_clean": len(clean.orders), "state_matches": held == len(clean.orders),
            "applied": got, "expected_applied": expected, "exactly_once": got == expected, "counter_short": expected - got,
            "all_applied_s": round(done, 1) if done is not None else None,
            "lifecycle_records": n, "lifecycle_duplicates": len(repeated),
            "episodes_in_redis": len(before_wipe), "episodes_after_rebuild_from_topic": len(after_wipe),
            "rebuild_matches": before_wipe == after_wipe,
        })
    sent = result["notifications"]
    # exactly once is judged on the state (open orders held = the clean run's) and on the counter
    result["ok"] = bool(result["state_matches"] and result["counter_short"] == 0
                        and sent["messages_received"] > 0 and sent["intents_left"] == 0 and sent["failed"] == 0
                        and sent["intents_recorded_twice"] == 0
                        and result["lifecycle_duplicates"] == 0 and result["rebuild_matches"]
                        and all(k["restart_to_progress_s"] is not None for k in result["kills"]))
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--port-base", type=int, default=19650)
    ap.add_argument("--topology", choices=sorted(TOPOLOGIES), default="split")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--keep", action="store_true", help="keep the workers' logs and data (path printed)")
    a = ap.parse_args(argv)
    res = run(a.events, a.kills, a.port_base, seed=a.seed, topology=a.topology, keep=a.keep)
    OUT.mkdir(parents=True, exist_ok=True)
    res["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    (OUT / "faults.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=2))
    raise SystemExit(0 if res["ok"] else 1)


if __name__ == "__main__":
    main()
