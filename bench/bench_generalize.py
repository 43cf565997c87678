"""Generalisation: yujing vs the static baseline on labelled streams other than public-1/2.

    PYTHONPATH=. .venv/bin/python -m bench.bench_generalize [--k 4] [--hours 48] [--quick] [--keep DIR]

Issue #7's targets are judged on the shared scenarios *and* on other streams "with other regions, parameters and
overlapping incidents". This bench makes such streams with ``yujing simulate --truth`` (our own simulator, an
independent model of the province), replays each through ``python -m yujing.cli replay`` and through
``../shared/scenarios/tools/baseline.py``, scores both with ``score.py --json`` and prints one table.

Each stream comes from a seeded recipe (:func:`plan`): 4 / 6 / 8 built-in regions or a list of named ones in
turn, scale 0.7-1.5, a start date that moves through the week, and five incidents of rotating types with drawn
strengths and durations — one at the morning peak, one at night, two overlapping ones in different regions on
day two, one in the evening. Writes ``bench/out/generalize.json``; ``--quick`` = two one-day streams.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
TOOLS = ROOT.parent / "shared" / "scenarios" / "tools"

TYPES = ("understaffed_receive", "outage_surge", "department_stall", "misclassification_wave", "sentiment_storm",
         "slow_feedback", "gradual_drift")
STRENGTH = {"understaffed_receive": (0.2, 0.4), "outage_surge": (2.5, 5.0), "department_stall": (0.0, 0.0),
            "misclassification_wave": (0.25, 0.45), "sentiment_storm": (2.0, 3.5), "slow_feedback": (2.5, 5.0),
            "gradual_drift": (0.02, 0.05)}
DURATION = {"understaffed_receive": 100, "outage_surge": 180, "department_stall": 150,
            "misclassification_wave": 240, "sentiment_storm": 240, "slow_feedback": 200, "gradual_drift": 900}
REGION_SPECS = ("4", "6", "8", "north,harbor,valley,ridge,delta")
BUILTIN = ("north", "east", "south", "west", "lakeside", "highland", "coast", "plain")
METERING = {"north", "east", "south", "west", "coast"}   # built-ins with a metering department
CHANNELS = ("hotline", "app", "wechat", "web")
SLOTS = (("morning peak", 8 * 60, 9 * 60 + 30), ("night", 23 * 60, 27 * 60),
         ("overlap A", 24 * 60 + 9 * 60, 24 * 60 + 14 * 60), ("overlap B", None, None),
         ("evening", 24 * 60 + 18 * 60, 24 * 60 + 20 * 60))
"""(label, earliest start, latest start) in minutes after the stream start (midnight); overlap B starts within
30 minutes of overlap A, in another region."""


def regions_of(spec: str) -> list[str]:
    return list(BUILTIN[:int(spec)]) if spec.isdigit() else spec.split(",")


def scope_for(kind: str, region: str, rng: random.Random) -> str:
    if kind == "misclassification_wave":
        return rng.choice(CHANNELS)
    if kind == "department_stall":
        has_metering = region in METERING or region not in BUILTIN
        return f"{region}-{rng.choice(['marketing', 'metering']) if has_metering else 'marketing'}"
    if kind == "slow_feedback":
        return f"{region}-repair-1"
    return region


def plan(i: int, hours: float = 48.0) -> dict[str, Any]:
    """The recipe of stream ``i``: simulate options and incident specs (deterministic in ``i``)."""
    rng = random.Random(7919 * (i + 1))
    spec = REGION_SPECS[i % len(REGION_SPECS)]
    names = regions_of(spec)
    start = datetime(2026, 8, 3) + timedelta(days=3 * i)       # Monday, Thursday, Sunday, Wednesday, ...
    scale = round(0.7 + 0.8 * ((i * 0.37 + rng.random() * 0.3) % 1.0), 2)
    kinds = [TYPES[(5 * i + j) % len(TYPES)] for j in range(len(SLOTS))]
    incidents, labels, used = [], [], []
    a_start = 0
    for (label, lo, hi), kind in zip(SLOTS, kinds):
        if label == "overlap B":
            begin = a_start + rng.randint(0, 30)
        else:
            begin = rng.randint(lo, hi)
        if label == "overlap A":
            a_start = begin
        if begin >= hours * 60 - 120:      # an incident needs time to show before the stream ends
            continue
        region = rng.choice([r for r in names if r not in used[-1:]] if label == "overlap B" else names)
        used.append(region)
        lo_f, hi_f = STRENGTH[kind]
        strength = round(rng.uniform(lo_f, hi_f), 3)
        duration = round(DURATION[kind] * rng.uniform(0.7, 1.3))
        incidents.append(f"{kind}:{scope_for(kind, region, rng)}:{begin}:{duration}:{strength}")
        labels.append(label)
    return {"name": f"gen-{i + 1}", "seed": 1000 + 17 * i, "regions": spec, "scale": scale,
            "start": start.strftime("%Y-%m-%dT%H:%M:%S"), "weekday": start.strftime("%a"), "hours": hours,
            "incidents": incidents, "slots": labels}


def _run(args: list[str], timeout: float = 900) -> float:
    t = time.monotonic()
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... failed: {p.stderr[-1500:]}")
    return round(time.monotonic() - t, 1)


def _score(truth: Path, result: Path) -> dict[str, Any]:
    p = subprocess.run([sys.executable, str(TOOLS / "score.py"), "--truth", str(truth), "--result", str(result),
                        "--json"], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-1500:])
    return json.loads(p.stdout)


def false_alarm_detail(truth: Path, result: Path) -> list[dict[str, Any]]:
    """yujing's aggregate false alarms: time, kind, tier, stage, scope (score.py's own matching)."""
    sys.path.insert(0, str(TOOLS))
    import score  # type: ignore[import-not-found]

    t = score.Truth(str(truth))
    alerts, _ = score.load_alerts(str(result / "alerts.jsonl"))
    fa, _ = score.false_alarms(t, alerts)
    return [{"ts": a["ts"], "kind": a.get("kind"), "tier": a.get("tier"), "stage": a.get("stage"),
             "scope": a["scope"]} for a in fa]


def run_stream(p: dict[str, Any], work: Path) -> dict[str, Any]:
    d = work / p["name"]
    d.mkdir(parents=True, exist_ok=True)
    events, truth = d / "events.jsonl", d / "truth"
    sim = [sys.executable, "-m", "yujing.cli", "simulate", "--out", str(events), "--speed", "0",
           "--start", p["start"], "--hours", str(p["hours"]), "--seed", str(p["seed"]), "--regions", p["regions"],
           "--scale", str(p["scale"]), "--truth", str(truth)]
    for spec in p["incidents"]:
        sim += ["--incident", spec]
    row: dict[str, Any] = {"plan": p, "seconds": {"simulate": _run(sim)}}
    row["events"] = sum(1 for _ in events.open("rb"))
    for who, cmd in (("yujing", [sys.executable, "-m", "yujing.cli", "replay", str(events), "--no-progress",
                                 "--out", str(d / "yujing")]),
                     ("baseline", [sys.executable, str(TOOLS / "baseline.py"), str(events), "--out",
                                   str(d / "baseline")])):
        row["seconds"][who] = _run(cmd)
        row[who] = _score(truth, d / who)
    row["false_alarms_yujing"] = false_alarm_detail(truth, d / "yujing")
    row["incidents"] = json.loads((truth / "incidents.json").read_text())
    return row


# --------------------------------------------------------------------------------------------- report
COLUMNS = (("recall", lambda s: s.get("recall")), ("lead", lambda s: s.get("median_lead_min")),
           ("FA/day", lambda s: s.get("false_alarms_per_day")), ("NAB", lambda s: (s.get("nab") or {}).get("score")),
           ("AUC", lambda s: (s.get("risk") or {}).get("auc")),
           ("AUC30", lambda s: (s.get("risk") or {}).get("auc_30min")),
           ("prec", lambda s: (s.get("order_alerts") or {}).get("precision")))


def figures(score: dict[str, Any]) -> dict[str, Any]:
    return {name: get(score) for name, get in COLUMNS}


def mean(xs: list[Any]) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(statistics.fmean(xs), 3) if xs else None


def recall_by_harm(rows: list[dict[str, Any]], who: str) -> dict[str, list[int]]:
    """[detected, incidents] for incidents that did harm (a ``harm_ts``: an affected order breached, or a storm's
    escalation), for those with two or more breached orders, and for those without harm. The scorer's recall counts
    every incident; a drawn incident can be too faint to touch a single order (night drifts, a stall of a desk
    nobody is dispatched to), and these say whether the misses are incidents anyone would have felt.

    >>> inc = lambda harm, b: {"harm_ts": harm, "stats": {"breached_orders": b}}
    >>> rows = [{"x": {"incident_detail": [{"detected": True}, {"detected": False}, {"detected": False}]},
    ...          "incidents": [inc("t1", 5), inc(None, 0), inc("t2", 1)]}]
    >>> recall_by_harm(rows, "x")
    {'with_harm': [1, 2], 'two_or_more_breached': [1, 1], 'no_harm': [0, 1]}
    """
    out = {"with_harm": [0, 0], "two_or_more_breached": [0, 0], "no_harm": [0, 0]}
    for r in rows:
        for d, inc in zip(r[who]["incident_detail"], r["incidents"]):
            keys = ["with_harm" if inc.get("harm_ts") else "no_harm"]
            if inc["stats"]["breached_orders"] >= 2:
                keys.append("two_or_more_breached")
            for k in keys:
                out[k][0] += bool(d["detected"])
                out[k][1] += 1
    return out


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over streams, and per incident type over all streams (detected / total, median lead)."""
    out: dict[str, Any] = {"mean": {}, "per_type": {}, "false_alarms": {}}
    for who in ("yujing", "baseline"):
        out["mean"][who] = {name: mean([figures(r[who])[name] for r in rows]) for name, _ in COLUMNS}
        per: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            for d in r[who]["incident_detail"]:
                per.setdefault(d["type"], []).append(d)
        out["per_type"][who] = {t: {"incidents": len(ds), "detected": sum(d["detected"] for d in ds),
                                    "median_lead_min": (statistics.median(ls) if (ls := [
                                        d["lead_min"] for d in ds if d["lead_min"] is not None]) else None),
                                    "leads": [d["lead_min"] if d["detected"] else "miss" for d in ds]}
                                for t, ds in sorted(per.items())}
    out["missed"] = {who: [{"stream": r["plan"]["name"], "id": d["id"], "type": d["type"], "scope": d["scope"],
                            "start": d["start"], "harm_ts": d["harm_ts"],
                            "breached_orders": inc["stats"]["breached_orders"]}
                           for r in rows for d, inc in zip(r[who]["incident_detail"], r["incidents"])
                           if not d["detected"]] for who in ("yujing", "baseline")}
    out["recall_by_harm"] = {who: recall_by_harm(rows, who) for who in ("yujing", "baseline")}
    fas = [a for r in rows for a in r["false_alarms_yujing"]]
    out["false_alarms"] = {
        "by_kind": dict(Counter(a["kind"] for a in fas).most_common()),
        "by_scope_type": dict(Counter("department" if "department" in a["scope"] else
                                      "channel" if "channel" in a["scope"] else "region" for a in fas).most_common()),
        "by_hour": dict(sorted(Counter(int(a["ts"][11:13]) for a in fas).items())),
        "by_tier": dict(Counter(a["tier"] for a in fas).most_common())}
    return out


def _f(v: Any, nd: int = 3) -> str:
    if v is None:
        return "n/a"
    return f"{v:.{nd}f}" if isinstance(v, float) else str(v)


def table(rows: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    head = "| stream | regions | scale | incidents | " + " | ".join(
        f"{n} yj / base" for n, _ in COLUMNS) + " |"
    lines = [head, "|" + " --- |" * (4 + len(COLUMNS))]
    for r in rows:
        p, y, b = r["plan"], figures(r["yujing"]), figures(r["baseline"])
        lines.append(f"| {p['name']} ({p['weekday']}) | {p['regions']} | {p['scale']} | {len(p['incidents'])} | "
                     + " | ".join(f"{_f(y[n], 1 if n in ('lead', 'NAB') else 3)} / "
                                  f"{_f(b[n], 1 if n in ('lead', 'NAB') else 3)}" for n, _ in COLUMNS) + " |")
    y, b = summary["mean"]["yujing"], summary["mean"]["baseline"]
    lines.append("| **mean** | | | | " + " | ".join(
        f"**{_f(y[n], 1 if n in ('lead', 'NAB') else 3)}** / {_f(b[n], 1 if n in ('lead', 'NAB') else 3)}"
        for n, _ in COLUMNS) + " |")
    lines += ["", "| incident type | yujing detected | yujing median lead | baseline detected | baseline median lead |"
              " yujing leads (min; n/a = no harm) |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    py, pb = summary["per_type"]["yujing"], summary["per_type"]["baseline"]
    for t in py:
        lines.append(f"| {t} | {py[t]['detected']}/{py[t]['incidents']} | {_f(py[t]['median_lead_min'], 1)} | "
                     f"{pb[t]['detected']}/{pb[t]['incidents']} | {_f(pb[t]['median_lead_min'], 1)} | "
                     f"{', '.join('n/a' if x is None else str(x) for x in py[t]['leads'])} |")
    lines += ["", "yujing missed: " + "; ".join(
        f"{m['stream']} {m['type']} on {'/'.join(m['scope'].values())} at {m['start'][11:16]} "
        f"({m['breached_orders']} orders breached)" for m in summary["missed"]["yujing"])]
    rh = summary["recall_by_harm"]
    lines += ["", "recall by harm, yujing / baseline: " + "; ".join(
        f"{label} {rh['yujing'][k][0]}/{rh['yujing'][k][1]} / {rh['baseline'][k][0]}/{rh['baseline'][k][1]}"
        for k, label in (("with_harm", "incidents that did harm"), ("two_or_more_breached", "two or more orders "
                         "breached"), ("no_harm", "no harm")))]
    fa = summary["false_alarms"]
    lines += ["", f"yujing false alarms by kind {fa['by_kind']}; by scope {fa['by_scope_type']}; "
                  f"by tier {fa['by_tier']}; by local hour {fa['by_hour']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=4, help="number of streams")
    ap.add_argument("--hours", type=float, default=48.0, help="simulated hours per stream")
    ap.add_argument("--quick", action="store_true", help="two one-day streams")
    ap.add_argument("--keep", help="keep events, truth and results in this directory (for fa.py and the like)")
    a = ap.parse_args(argv)
    k, hours = (2, 24.0) if a.quick else (a.k, a.hours)
    if not (TOOLS / "score.py").exists():
        print(f"bench_generalize: {TOOLS} not found", file=sys.stderr)
        return {"skipped": f"{TOOLS} not found"}
    t0 = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory(prefix="yj-gen-") as tmp:
        work = Path(a.keep) if a.keep else Path(tmp)
        for i in range(k):
            p = plan(i, hours)
            rows.append(run_stream(p, work))
            r = rows[-1]
            print(f"bench_generalize: {p['name']} {r['events']} events, {r['seconds']}: yujing "
                  f"{figures(r['yujing'])} baseline {figures(r['baseline'])}", file=sys.stderr)
    summary = summarise(rows)
    res = {"quick": a.quick, "k": k, "hours": hours, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "total_s": round(time.monotonic() - t0, 1), **summary,
           "streams": [{k2: v for k2, v in r.items()} for r in rows]}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "generalize.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    md = table(rows, summary)
    (OUT / "generalize.md").write_text(md)
    print(md)
    print(f"bench_generalize: {res['total_s']} s -> bench/out/generalize.json", file=sys.stderr)
    return res


if __name__ == "__main__":
    main()
