"""Replay throughput on one core: ``yujing replay``'s code path (:func:`yujing.replay.run_replay`) in-process.

Two inputs: the labelled scenario stream ``../shared/scenarios/public-1`` (116k events, read gzipped as the
command does) and a simulator stream (``iter_events``) written to a JSONL file first, so that generation is
not timed. Both wall-clock and CPU (``time.process_time``) rates are reported: the machine is shared, and the
CPU rate is the one that says what one dedicated core would do. ``--profile`` adds a cProfile of a second,
separate public-1 run (top functions by own time) to ``bench/out/replay_profile.txt``.

    .venv/bin/python -m bench.bench_replay [--sim-events 200000] [--limit N] [--profile]
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT.parent / "shared" / "scenarios"
OUT = ROOT / "bench" / "out" / "replay.json"
PROFILE_OUT = ROOT / "bench" / "out" / "replay_profile.txt"


def timed_replay(source: str, out_dir: Path, profile: bool = False) -> dict:
    """Run one replay; events/s over wall and CPU time (parse, sort, core, writing the files)."""
    from yujing.replay import run_replay

    prof = None
    if profile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    w0, c0 = time.perf_counter(), time.process_time()
    with contextlib.redirect_stderr(io.StringIO()):
        summary = run_replay(source, out_dir)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    if prof is not None:
        import pstats
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(30)
        pstats.Stats(prof, stream=buf).sort_stats("cumtime").print_stats(30)
        PROFILE_OUT.parent.mkdir(parents=True, exist_ok=True)
        PROFILE_OUT.write_text(buf.getvalue())
    n = summary["events_read"]
    return {"events": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "eps_wall": round(n / wall),
            "eps_cpu": round(n / cpu), "alert_records": summary["alert_records"],
            "risk_records": summary["risk_records"], "rejected": summary["rejected"]}


def write_sim(path: Path, n: int) -> int:
    """``n`` simulator events (scale 3: a busy province) to ``path``; returns the count written."""
    from yujing.simulator.engine import SimOptions, iter_events

    opts = SimOptions(start=1783958400.0, hours=24 * 30, seed=11, scale=3.0)
    k = 0
    with open(path, "wb") as fh:
        for ev in iter_events(opts):
            fh.write(orjson.dumps(ev, option=orjson.OPT_APPEND_NEWLINE))
            k += 1
            if k >= n:
                break
    return k


def _head(src: Path, dst: Path, limit: int) -> None:
    with gzip.open(src, "rb") as fh, open(dst, "wb") as out:
        for i, line in enumerate(fh):
            if i >= limit:
                break
            out.write(line)


def _warm() -> None:
    """Import the core and load the sentiment model once, so the timed runs measure steady-state work."""
    from streams.monitor import Monitor
    from yujing.config import load_config

    Monitor(load_config(None)).orders.scorer


def run(sim_events: int = 200_000, limit: int | None = None, profile: bool = False) -> dict:
    res: dict = {}
    _warm()
    with tempfile.TemporaryDirectory(prefix="yj-bench-replay-") as tmp:
        tmpd = Path(tmp)
        p1 = SCENARIOS / "public-1" / "events.jsonl.gz"
        if p1.exists():
            src = str(p1)
            if limit:
                _head(p1, tmpd / "p1.jsonl", limit)
                src = str(tmpd / "p1.jsonl")
            res["public1"] = timed_replay(src, tmpd / "out-p1")
            if profile:   # profiled separately: cProfile roughly halves the speed it would be measuring
                timed_replay(src, tmpd / "out-p1-profiled", profile=True)
            print(f"replay public-1: {res['public1']}", file=sys.stderr)
        else:
            res["public1"] = {"skipped": f"{p1} not found"}
        if sim_events:
            sim = tmpd / "sim.jsonl"
            t = time.perf_counter()
            n = write_sim(sim, sim_events)
            res["sim_generate_s"] = round(time.perf_counter() - t, 1)
            res["sim"] = timed_replay(str(sim), tmpd / "out-sim")
            print(f"replay simulator ({n} events): {res['sim']}", file=sys.stderr)
    main_run = res.get("sim") if "eps_wall" in res.get("sim", {}) else res.get("public1", {})
    res["replay_eps"] = main_run.get("eps_wall")
    res["replay_eps_cpu"] = main_run.get("eps_cpu")
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim-events", type=int, default=200_000)
    ap.add_argument("--limit", type=int, default=None, help="replay only the first N lines of public-1")
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args(argv)
    result = run(a.sim_events, a.limit, a.profile)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
