"""Bytes per open order: how many orders one worker can hold before memory, not CPU, is the limit.

Each size runs in a fresh subprocess: an :class:`OrderStage` ingests N ``created`` events (orders that are
never accepted nor closed, all opened within one simulated hour so that none is evicted), then the resident
set size (``/proc/self/statm``) after ``gc.collect()`` is compared with the RSS before the loop. The figure
includes everything the stage keeps per order: the ``OrderState``, its SLA checks, the timer-heap entries,
the customer index and the dict slots. A tracemalloc cross-check runs on the smallest size (it slows
allocation ~2x, so not on the big ones), with the bytes per order of the allocating lines that hold the most
(``top_lines``: where to look next).

    .venv/bin/python -m bench.bench_memory [--sizes 10000,100000,1000000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "memory.json"
T0 = 1783990800.0  # 2026-07-14T09:00:00+08:00
CHANNELS = ("hotline", "app", "wechat", "web", "hall", "sms", "12345")
CATEGORIES = ("fault_repair", "complaint", "consultation", "service_request", "report", "opinion")


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _events(n: int):
    from yujing.events import Event

    for i in range(n):
        t = T0 + 3600.0 * i / n
        yield Event.model_construct(
            event_id=f"e-{i}", order_id=f"WO-{i:08d}", type="created", ts="", t=t,
            category=CATEGORIES[i % len(CATEGORIES)], channel=CHANNELS[i % len(CHANNELS)],
            customer_id=f"C-{i % (n // 3 + 1)}", customer_tier="regular", region=f"r{i % 6}", area="urban",
            department=None, agent_id=None, affected_customers=None, text=None, reason=None, resolution=None,
            satisfaction=None, to=None)


def measure_one(n: int, trace: bool) -> dict:
    """In this process: RSS (and optionally tracemalloc) growth for ``n`` open orders."""
    import gc

    from streams.order_stage import OrderStage
    from yujing.config import load_config

    st = OrderStage(load_config(None))
    for ev in _events(1000):  # warm caches, lazy imports, the risk model
        st.ingest(ev)
    st.orders.clear()
    st.heap.clear()
    st.customers.clear()
    gc.collect()
    if trace:
        import tracemalloc
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
    base = _rss()
    t = time.process_time()
    for ev in _events(n):
        st.ingest(ev)
    cpu = time.process_time() - t
    gc.collect()
    rss = _rss() - base
    out = {"orders": n, "open": sum(1 for o in st.orders.values() if o.is_open), "rss_bytes": rss,
           "bytes_per_open_order": round(rss / n), "heap_entries": len(st.heap),
           "ingest_cpu_s": round(cpu, 2), "created_eps_cpu": round(n / cpu)}
    if trace:
        import tracemalloc
        cur, _ = tracemalloc.get_traced_memory()
        out["tracemalloc_bytes_per_order"] = round(cur / n)
        out["top_lines"] = _top_lines(tracemalloc.take_snapshot().compare_to(before, "lineno"), n)
    return out


def _top_lines(stats: list, n: int, top: int = 12) -> dict[str, float]:
    """Bytes per order held by each of the ``top`` allocating lines (file:line  source)."""
    import linecache

    rows = {}
    for s in stats[:top]:
        f = s.traceback[0]
        where = f"{Path(f.filename).name}:{f.lineno}  {linecache.getline(f.filename, f.lineno).strip()[:70]}"
        rows[where] = round(s.size_diff / n, 1)
    return rows


def cold_store_cost(events: int = 40_000, hot: int = 1_000, rounds: int = 2) -> dict:
    """CPU per event of the order worker's core over its table stores (``streams.table_store``), all orders
    decoded (``hot`` 0) against all but the ``hot`` latest encoded (``[worker] hot_orders``): what keeping an
    open order in ~300 bytes instead of ~900 costs the events that find it encoded. Simulator events (the live
    bench's fill), flushed every 200 like a take; the best of ``rounds`` alternating runs each."""
    import gc

    from bench.bench_live import sim_lines
    from streams.customer_stage import CustomerStage
    from streams.order_stage import OrderStage
    from streams.table_store import customer_store, order_store
    from yujing.config import load_config
    from yujing.events import InvalidEvent, parse_event

    evs = []
    for _, v in sim_lines(events, end=T0):
        try:
            evs.append(parse_event(v))
        except InvalidEvent:
            continue
    settings = load_config(None)

    def once(n: int) -> tuple[float, int]:
        part = lambda k: len(k) % 12   # noqa: E731
        orders, customers = order_store({}, part, n), customer_store({}, part, n)
        stage = OrderStage(settings, orders, customers=CustomerStage(settings, customers))
        gc.collect()
        t = time.process_time()
        for i, ev in enumerate(evs):
            stage.advance(ev.t)
            stage.ingest(ev)
            if i % 200 == 199:
                orders.flush()
                customers.flush()
        return (time.process_time() - t) / len(evs) * 1e6, orders.thawed

    decoded, encoded, thawed = [], [], 0
    for _ in range(rounds):
        decoded.append(once(0)[0])
        us, thawed = once(hot)
        encoded.append(us)
    return {"events": len(evs), "orders": len({e.order_id for e in evs}), "hot": hot,
            "us_per_event_all_decoded": round(min(decoded), 1), "us_per_event_encoded": round(min(encoded), 1),
            "orders_decoded_again_per_event": round(thawed / len(evs), 3)}


def run(sizes: list[int]) -> dict:
    def one(n: int, trace: bool = False) -> dict:
        res = subprocess.run([sys.executable, "-m", "bench.bench_memory", "--one", str(n)]
                             + (["--trace"] if trace else []),
                             cwd=ROOT, capture_output=True, text=True, check=True)
        return json.loads(res.stdout.strip().splitlines()[-1])

    rows = []
    for n in sizes:
        rows.append(one(n))
        print(f"memory: {n:>9,} open orders: {rows[-1]['bytes_per_open_order']:,} B/order (RSS)", file=sys.stderr)
    traced = one(min(sizes), trace=True)
    per = {str(r["orders"]): r["bytes_per_open_order"] for r in rows}
    cold = cold_store_cost()
    print(f"memory: the worker's encoded orders: {cold}", file=sys.stderr)
    return {"rows": rows, "bytes_per_open_order": rows[-1]["bytes_per_open_order"], "by_size": per,
            "tracemalloc_bytes_per_order": traced["tracemalloc_bytes_per_order"], "tracemalloc_size": min(sizes),
            "top_lines": traced["top_lines"], "cold_store": cold}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(measure_one(a.one, a.trace)))
        return
    result = run([int(s) for s in a.sizes.split(",")])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
