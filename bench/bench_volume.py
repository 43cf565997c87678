"""False alarms at a large province's volume: simulator streams without incidents at 1, 5 and 10 times the volume.

The labelled streams (public-1/2, bench_generalize) hold 4,000–8,000 orders a day; a large province holds ten times
that. Tests that count contacts or orders see ten times as many chances a day there (a CUSUM's false alarms come
per observation), so a monitor tuned on small streams can cry wolf on a big one. Here every aggregate alert is a
false alarm: the streams have no incident. Each figure stands next to the static baseline's on the same stream.

    python -m bench.bench_volume            # scales 1, 5, 10 x seeds 77, 78, 48 hours each (~7 min)
    python -m bench.bench_volume --quick    # 10 x, seed 77, 24 hours

Writes ``bench/out/volume.json``: per stream the scale, seed, orders a day, events, and for yujing and the
baseline the aggregate false alarms a day; yujing's by kind; the mean per scale.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.bench_generalize import OUT, ROOT, TOOLS, _run, _score, false_alarm_detail

START = "2026-07-14T00:00:00"
"""A Tuesday, local time: the same streams every run (the simulator's default start is today)."""


def run_stream(scale: float, seed: int, hours: float, work: Path) -> dict[str, Any]:
    d = work / f"x{scale:g}-s{seed}"
    d.mkdir(parents=True, exist_ok=True)
    events, truth = d / "events.jsonl", d / "truth"
    row: dict[str, Any] = {"scale": scale, "seed": seed, "start": START, "hours": hours, "seconds": {}}
    row["seconds"]["simulate"] = _run([sys.executable, "-m", "yujing.cli", "simulate", "--out", str(events),
                                       "--speed", "0", "--start", START, "--hours", str(hours), "--seed", str(seed),
                                       "--scale", str(scale), "--truth", str(truth)], timeout=1800)
    row["events"] = sum(1 for _ in events.open("rb"))
    orders = json.loads((truth / "orders.json").read_text())
    row["orders_per_day"] = round(len(orders) / (hours / 24))
    for who, cmd in (("yujing", [sys.executable, "-m", "yujing.cli", "replay", str(events), "--no-progress",
                                 "--out", str(d / "yujing")]),
                     ("baseline", [sys.executable, str(TOOLS / "baseline.py"), str(events), "--out",
                                   str(d / "baseline")])):
        row["seconds"][who] = _run(cmd, timeout=3600)
        score = _score(truth, d / who)
        row[who] = {"false_alarms": score.get("false_alarms"),
                    "false_alarms_per_day": score.get("false_alarms_per_day")}
    detail = false_alarm_detail(truth, d / "yujing")
    row["yujing"]["by_kind"] = dict(Counter(a["kind"] for a in detail))
    row["yujing"]["alarms"] = detail
    print(f"bench_volume: x{scale:g} seed {seed}: {row['orders_per_day']} orders/day, {row['events']} events, "
          f"false alarms/day yujing {row['yujing']['false_alarms_per_day']} baseline "
          f"{row['baseline']['false_alarms_per_day']} {row['yujing']['by_kind']} {row['seconds']}", file=sys.stderr)
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean false alarms a day per scale, yujing and baseline."""
    out: dict[str, Any] = {}
    for scale in sorted({r["scale"] for r in rows}):
        rs = [r for r in rows if r["scale"] == scale]
        out[f"{scale:g}"] = {who: round(statistics.fmean(r[who]["false_alarms_per_day"] for r in rs), 3)
                             for who in ("yujing", "baseline")}
        out[f"{scale:g}"]["orders_per_day"] = round(statistics.fmean(r["orders_per_day"] for r in rs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default="1,5,10", help="volume multiples of the simulator's province")
    ap.add_argument("--seeds", default="77,78")
    ap.add_argument("--hours", type=float, default=48.0)
    ap.add_argument("--quick", action="store_true", help="10 x, seed 77, 24 hours")
    a = ap.parse_args()
    scales = [10.0] if a.quick else [float(x) for x in a.scales.split(",")]
    seeds = [77] if a.quick else [int(x) for x in a.seeds.split(",")]
    hours = 24.0 if a.quick else a.hours
    if not TOOLS.is_dir():
        sys.exit(f"bench_volume: the scorer is not at {TOOLS} (../shared/scenarios/tools)")
    with tempfile.TemporaryDirectory(prefix="yj-volume-") as tmp:
        rows = [run_stream(s, seed, hours, Path(tmp)) for s in scales for seed in seeds]
    res = {"scales": scales, "seeds": seeds, "hours": hours, "mean_false_alarms_per_day": summarise(rows),
           "streams": rows}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "volume.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    for scale, v in res["mean_false_alarms_per_day"].items():
        print(f"x{scale} ({v['orders_per_day']} orders/day): false alarms a day yujing {v['yujing']} "
              f"baseline {v['baseline']}")
    print(f"bench_volume -> {(OUT / 'volume.json').relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
