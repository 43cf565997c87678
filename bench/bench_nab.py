"""Measure ``yujing detect-series`` on the NAB files in ../shared/data/nab and write bench/out/nab.json.

Runs :func:`detectors.anomaly.detect_series_cli` (the contract command's code path) on every labelled file,
scores the three NAB profiles with :mod:`bench.nab_score`, and prints them beside NAB's published results.
The published figures cover NAB's full 58-file corpus; these 18 files are a subset (realKnownCause and the
artificial series), so the comparison is indicative, not like for like.

    .venv/bin/python -m bench.bench_nab [--data DIR]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import time
from pathlib import Path

from bench.nab_score import PROFILES, score_corpus
from detectors.anomaly import detect_series_cli

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab"
OUT = Path(__file__).resolve().parent / "out" / "nab.json"
PUBLISHED = {  # numenta/NAB README: standard / reward_low_FP_rate / reward_low_FN_rate, full corpus
    "ARTime": (74.9, 65.1, 80.4), "Numenta HTM": (70.5, 62.6, 75.2), "CAD OSE": (69.9, 67.0, 73.2),
    "earthgecko Skyline": (58.2, 46.2, 63.9), "KNN CAD": (58.0, 43.4, 64.8),
    "Relative Entropy": (54.6, 47.6, 58.8), "Random Cut Forest": (51.7, 38.4, 59.7),
    "Twitter ADVec": (47.1, 33.6, 53.5), "Windowed Gaussian": (39.6, 20.9, 47.4),
    "Etsy Skyline": (35.7, 27.1, 44.5), "random": (11.0, 1.2, 19.5),
}


def _norm_ts(text: str) -> str:
    """NAB writes window edges as '2014-04-10 07:15:00.000000'; data rows have no fraction."""
    return text.split(".")[0]


def run(data: Path = DATA) -> dict:
    windows = json.loads((data / "combined_windows.json").read_text())
    corpus = {}
    rows_total, seconds = 0, 0.0
    for name in sorted(windows):
        buf = io.StringIO()
        t0 = time.perf_counter()
        detect_series_cli(str(data / "data" / name), buf)
        seconds += time.perf_counter() - t0
        buf.seek(0)
        rows = list(csv.DictReader(buf))
        rows_total += len(rows)
        ts = [r["timestamp"] for r in rows]
        scores = [float(r["anomaly_score"]) for r in rows]
        corpus[name] = (ts, scores, [(_norm_ts(a), _norm_ts(b)) for a, b in windows[name]])
    results = {profile: score_corpus(corpus, cost) for profile, cost in PROFILES.items()}
    return {
        "scores": {p: round(r["score"], 2) for p, r in results.items()},
        "thresholds": {p: r["threshold"] for p, r in results.items()},
        "files": {n: results["standard"]["files"][n] for n in corpus},
        "rows": rows_total,
        "us_per_row_cli": round(1e6 * seconds / rows_total, 2),
        "published_full_corpus": {k: dict(zip(PROFILES, v)) for k, v in PUBLISHED.items()},
        "note": "18 of NAB's 58 files (realKnownCause + artificial); published figures are on all 58.",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    report = run(args.data)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2))
    print(f"{'file':58} {'win':>3} {'hit':>3} {'fp':>4} {'raw':>7}")
    for name, f in report["files"].items():
        print(f"{name:58} {f['windows']:3} {f['hit']:3} {f['fp']:4} {f['raw']:7.3f}")
    s = report["scores"]
    print(f"\nyujing (18 files)      standard {s['standard']:5.1f}  low_FP {s['reward_low_FP_rate']:5.1f}  "
          f"low_FN {s['reward_low_FN_rate']:5.1f}   thresholds {report['thresholds']}")
    for k, v in PUBLISHED.items():
        print(f"{k:22} standard {v[0]:5.1f}  low_FP {v[1]:5.1f}  low_FN {v[2]:5.1f}   (58 files)")
    print(f"\n{report['rows']} rows, {report['us_per_row_cli']} us/row through the CLI path -> {OUT}")


if __name__ == "__main__":
    main()
