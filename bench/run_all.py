"""Every benchmark in one command; figures next to their reference measured in the same run.

    .venv/bin/python -m bench.run_all [--quick]

Runs, each in its own subprocess (so one crash does not hide the others): bench_live, bench_broker, bench_replay,
bench_memory, bench_sentiment, bench_nab, bench_models, the scenario comparison (``yujing replay`` vs the static-rule
baseline ``../shared/scenarios/tools/baseline.py`` on public-1 and public-2, both scored by ``score.py --json``) and
bench_generalize (the same comparison on simulator streams with other regions, parameters and overlapping incidents)
and bench_volume (false alarms on streams without incidents at 1, 5 and 10 times the volume).
Writes ``bench/results.json`` and ``bench/out/table.md`` (also printed). Full run about 22 min on the 2-core
machine; ``--quick`` (smaller inputs, no scenarios/sentiment/NAB) about 3 min.
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SCENARIOS = ROOT.parent / "shared" / "scenarios"


def _run(args: list[str], timeout: float) -> tuple[bool, float, str]:
    t = time.monotonic()
    try:
        p = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        ok, err = p.returncode == 0, p.stderr[-2000:]
    except subprocess.TimeoutExpired:
        ok, err = False, f"timed out after {timeout:.0f} s"
    return ok, round(time.monotonic() - t, 1), err


def _load(name: str) -> dict:
    try:
        return json.loads((OUT / name).read_text())
    except (OSError, ValueError):
        return {}


def scenarios() -> dict[str, Any]:
    """yujing replay vs the baseline on public-1/2, both scored by score.py --json."""
    if not (SCENARIOS / "tools" / "score.py").exists():
        return {"skipped": f"{SCENARIOS} not found"}
    tools = SCENARIOS / "tools"
    res: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="yj-bench-scen-") as tmp:
        for name in ("public-1", "public-2"):
            src = SCENARIOS / name
            if not src.exists():
                res[name] = {"skipped": "missing"}
                continue
            truth = Path(tmp) / name
            truth.mkdir()
            for f in src.iterdir():
                if f.suffix == ".gz":
                    with gzip.open(f, "rb") as a, open(truth / f.stem, "wb") as b:
                        shutil.copyfileobj(a, b)
                else:
                    shutil.copy(f, truth / f.name)
            row: dict[str, Any] = {}
            for who, cmd in (("baseline", [str(tools / "baseline.py"), str(truth / "events.jsonl"), "--out"]),
                             ("yujing", ["-m", "yujing.cli", "replay", str(truth / "events.jsonl"), "--out"])):
                out = Path(tmp) / f"{name}-{who}"
                ok, secs, err = _run(cmd + [str(out)], 600)
                if not ok:
                    row[who] = {"error": err}
                    continue
                p = subprocess.run([sys.executable, str(tools / "score.py"), "--truth", str(truth), "--result",
                                    str(out), "--json"], capture_output=True, text=True)
                row[who] = {"seconds": secs, "score": json.loads(p.stdout) if p.returncode == 0 else p.stderr}
            res[name] = row
    return res


def _flat_scores(score: Any) -> dict[str, Any]:
    """The headline numbers of one score.py report (whatever of them it has)."""
    if not isinstance(score, dict):
        return {}
    out = {}
    for k, v in score.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = v
        elif isinstance(v, dict):
            for k2, v2 in v.items():
                if isinstance(v2, (int, float)) and not isinstance(v2, bool):
                    out[f"{k}.{k2}"] = v2
    return out


def _ratio(a: Any, b: Any) -> str:
    try:
        return f"{a / b:.3g}"
    except (TypeError, ZeroDivisionError):
        return ""


def sentiment_figures(sent: dict[str, Any]) -> dict[str, Any]:
    """bench_sentiment's numbers, its AUCs (a nested dict there) as ``auc <set>``."""
    out = {k: v for k, v in sent.items() if isinstance(v, (int, float))}
    out.update({f"auc {name}": v for name, v in (sent.get("auc") or {}).items()})
    return out


def table(r: dict) -> str:
    rows = [("worker_eps (order worker + aggregator, 12 partitions)", r.get("worker_eps"), "raw_consume_eps",
             r.get("raw_consume_eps")),
            ("worker_eps_one_process (role all)", r.get("worker_eps_one_process"), "worker_eps", r.get("worker_eps")),
            ("two_workers_eps (2 order workers + aggregator)", r.get("two_workers_eps"), "worker_eps",
             r.get("worker_eps")),
            ("worker_eps_core_each (events / CPU s of the busiest process)", r.get("worker_eps_core_each"),
             "worker_eps", r.get("worker_eps")),
            ("two_workers_eps_core_each", r.get("two_workers_eps_core_each"), "worker_eps_core_each",
             r.get("worker_eps_core_each")),
            ("replay_eps (wall, simulator stream)", r.get("replay_eps"), "replay_eps_cpu (1 dedicated core)",
             r.get("replay_eps_cpu")),
            ("replay_eps public-1 (wall)", r.get("replay_eps_public1"), "worker_eps", r.get("worker_eps")),
            ("e2e_p50_ms_1k", r.get("e2e_p50_ms_1k"), "target 1000 ms", 1000),
            ("e2e_p99_ms_1k", r.get("e2e_p99_ms_1k"), "target 2000 ms", 2000),
            ("e2e_p99_ms_5k (median of the runs' p99)", r.get("e2e_p99_ms_5k"), "target 500 ms", 500),
            (f"e2e_p99_ms_5k, each run {r.get('e2e_p99_ms_5k_runs')}", max(r.get("e2e_p99_ms_5k_runs") or [0]) or None,
             "target 500 ms", 500),
            ("e2e_p99_ms_1k_one_process", r.get("e2e_p99_ms_1k_one_process"), "e2e_p99_ms_1k", r.get("e2e_p99_ms_1k")),
            ("e2e_p99_ms_5k_one_process", r.get("e2e_p99_ms_5k_one_process"), "e2e_p99_ms_5k", r.get("e2e_p99_ms_5k")),
            (f"embedded broker CPU µs per event in the 5k/s runs {r.get('e2e_broker_us_per_event_5k_runs')}",
             max(r.get("e2e_broker_us_per_event_5k_runs") or [0]) or None, "", None),
            (f"embedded broker alone at 5k/s: CPU µs per record holding {r.get('records_held_last') or 0:,} records "
             "(bench_broker)", r.get("broker_us_per_record_last"), "on an empty broker", r.get("broker_us_per_record_first")),
            ("silent_breach_alert_s (median of 5, after deadline)", r.get("silent_breach_alert_s"), "tick_s + 1 s", 2.0),
            ("silent_breach_worst_s (worst of 5)", r.get("silent_breach_worst_s"), "tick_s + 1 s", 2.0),
            ("bytes_per_open_order (largest size)", r.get("bytes_per_open_order"), "tracemalloc B/order (smallest)",
             r.get("tracemalloc_bytes_per_order")),
            ("worker_bytes_per_open_order (order worker RSS growth, new orders)", r.get("worker_bytes_per_open_order"),
             "bytes_per_open_order (replay core)", r.get("bytes_per_open_order"))]
    for n, b in (r.get("memory_by_size") or {}).items():
        rows.append((f"bytes/open order at {int(n):,}", b, "", None))
    for n, b in (r.get("worker_memory_by_size") or {}).items():
        rows.append((f"order worker bytes/open order, 10k → {int(n):,}", b, "", None))
    cold = r.get("cold_store") or {}
    if cold:
        rows.append((f"order worker core µs per event, all but {cold.get('hot')} orders kept encoded "
                     f"({cold.get('orders_decoded_again_per_event')} decoded again per event)",
                     cold.get("us_per_event_encoded"), "all decoded", cold.get("us_per_event_all_decoded")))
    for name, row in (r.get("scenarios") or {}).items():
        if not isinstance(row, dict):
            continue
        y = _flat_scores((row.get("yujing") or {}).get("score"))
        b = _flat_scores((row.get("baseline") or {}).get("score"))
        for k in sorted(set(y) & set(b)):
            rows.append((f"{name} {k} (yujing)", y[k], "baseline", b[k]))
    if "sentiment" in r:
        for k, v in r["sentiment"].items():
            rows.append((f"sentiment {k}", v, "", None))
    m = r.get("models") or {}
    if m:
        rows.append(("replay µs per event (public-1, in-process core)", m.get("replay_us_per_event"), "", None))
        for k in ("risk_score_order_us", "risk_learn_us", "sentiment_text_us", "share_cusum_minute_us",
                  "anomaly_point_us", "scope_tick_us"):
            rows.append((f"model cost: {k}", m.get(k), "replay µs per event", m.get("replay_us_per_event")))
        for k, v in (m.get("per_event") or {}).items():
            rows.append((f"model cost per replayed event: {k} (µs)", v, "replay µs per event",
                         m.get("replay_us_per_event")))
    g = r.get("generalize") or {}
    gy, gb = (g.get("mean") or {}).get("yujing") or {}, (g.get("mean") or {}).get("baseline") or {}
    for k in gy:
        rows.append((f"generalize mean of {g.get('k')} simulator streams: {k} (yujing)", gy[k], "baseline", gb.get(k)))
    rh = g.get("recall_by_harm") or {}
    for k in ("with_harm", "two_or_more_breached"):
        y, b = (rh.get("yujing") or {}).get(k), (rh.get("baseline") or {}).get(k)
        if y and b and y[1] and b[1]:
            rows.append((f"generalize recall on incidents {k.replace('_', ' ')} ({y[0]}/{y[1]}, yujing)",
                         round(y[0] / y[1], 3), f"baseline ({b[0]}/{b[1]})", round(b[0] / b[1], 3)))
    for scale, v in (r.get("volume_false_alarms_per_day") or {}).items():
        rows.append((f"aggregate false alarms a day, {scale} x volume without incidents ({v.get('orders_per_day')} "
                     f"orders a day, yujing)", v.get("yujing"), "baseline", v.get("baseline")))
    if "nab_standard" in r:
        rows.append(("NAB standard (18 files)", r["nab_standard"], "Numenta HTM (58 files)", 70.5))
    lines = ["| figure | value | reference | ref value | ratio |", "| --- | ---: | --- | ---: | ---: |"]
    for name, v, ref, rv in rows:
        lines.append(f"| {name} | {v if v is not None else 'n/a'} | {ref} | {rv if rv is not None else ''} | "
                     f"{_ratio(v, rv) if rv else ''} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    q = a.quick
    t0 = time.monotonic()
    runs: dict[str, Any] = {}
    steps = [
        ("live", ["-m", "bench.bench_live"] + (["--quick"] if q else []), 1200),
        ("broker", ["-m", "bench.bench_broker"] + (["--rounds", "4"] if q else []), 300),
        ("replay", ["-m", "bench.bench_replay"] + (["--limit", "10000", "--sim-events", "20000"] if q
                                                    else ["--sim-events", "200000", "--profile"]), 400),
        ("memory", ["-m", "bench.bench_memory", "--sizes", "10000,100000" if q else "10000,100000,1000000"], 400),
    ]
    if not q:
        steps += [("sentiment", ["-m", "bench.bench_sentiment", "--n", "0"], 600), ("nab", ["-m", "bench.bench_nab"], 300),
                  ("models", ["-m", "bench.bench_models"], 400), ("generalize", ["-m", "bench.bench_generalize", "--k", "8"], 900),
                  ("volume", ["-m", "bench.bench_volume"], 1800)]
    for name, args, timeout in steps:
        ok, secs, err = _run(args, timeout)
        runs[name] = {"ok": ok, "seconds": secs, **({} if ok else {"error": err})}
        print(f"run_all: {name}: {'ok' if ok else 'FAILED'} in {secs} s", file=sys.stderr)
    live, rep, mem = _load("live.json"), _load("replay.json"), _load("memory.json")
    res: dict[str, Any] = {"quick": q, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": runs}
    for k in ("worker_eps", "raw_consume_eps", "two_workers_eps", "e2e_p50_ms_1k", "e2e_p99_ms_1k",
              "e2e_p50_ms_5k", "e2e_p99_ms_5k", "silent_breach_alert_s", "silent_breach_worst_s",
              "worker_eps_one_process", "e2e_p50_ms_1k_one_process", "e2e_p99_ms_1k_one_process",
              "e2e_p50_ms_5k_one_process", "e2e_p99_ms_5k_one_process", "silent_breach_alert_s_one_process",
              "worker_eps_core_each", "two_workers_eps_core_each", "worker_bytes_per_open_order",
              "e2e_p99_ms_5k_runs", "e2e_p99_ms_5k_runs_one_process", "worker_memory_by_size"):
        res[k] = live.get(k) if runs["live"]["ok"] else None
    res["two_workers_counters_match"] = (live.get("two_workers") or {}).get("counters_match_one_worker")
    res["e2e_broker_us_per_event_5k_runs"] = ((live.get("split") or {}).get("e2e_5k") or {}).get(
        "broker_us_per_event_runs") if runs["live"]["ok"] else None
    broker = _load("broker.json") if runs["broker"]["ok"] else {}
    for k in ("broker_us_per_record_first", "broker_us_per_record_last", "records_held_last"):
        res[k] = broker.get(k)
    res["replay_eps"] = rep.get("replay_eps") if runs["replay"]["ok"] else None
    res["replay_eps_cpu"] = rep.get("replay_eps_cpu") if runs["replay"]["ok"] else None
    res["replay_eps_public1"] = (rep.get("public1") or {}).get("eps_wall") if runs["replay"]["ok"] else None
    res["bytes_per_open_order"] = mem.get("bytes_per_open_order") if runs["memory"]["ok"] else None
    res["memory_by_size"] = mem.get("by_size") if runs["memory"]["ok"] else None
    res["tracemalloc_bytes_per_order"] = mem.get("tracemalloc_bytes_per_order")
    res["cold_store"] = mem.get("cold_store") if runs["memory"]["ok"] else None
    if not q:
        nab = _load("nab.json")
        res["nab_standard"] = (nab.get("scores") or {}).get("standard") if runs["nab"]["ok"] else None
        res["models"] = _load("models.json") if runs["models"]["ok"] else {}
        sent = _load("sentiment.json")
        res["sentiment"] = sentiment_figures(sent) if runs["sentiment"]["ok"] else {}
        gen = _load("generalize.json")
        res["generalize"] = {k: gen.get(k) for k in ("k", "hours", "mean", "per_type", "false_alarms",
                                                         "recall_by_harm")} \
            if runs["generalize"]["ok"] else {}
        vol = _load("volume.json")
        res["volume_false_alarms_per_day"] = vol.get("mean_false_alarms_per_day") if runs["volume"]["ok"] else None
        t = time.monotonic()
        res["scenarios"] = scenarios()
        runs["scenarios"] = {"ok": True, "seconds": round(time.monotonic() - t, 1)}
    else:
        res["scenarios"] = {"skipped": "--quick"}
    res["total_s"] = round(time.monotonic() - t0, 1)
    (ROOT / "bench" / "results.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    md = table(res)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "table.md").write_text(md)
    print(md)
    print(f"run_all: {res['total_s']} s -> bench/results.json, bench/out/table.md", file=sys.stderr)


if __name__ == "__main__":
    main()
