"""``yujing replay``: the full monitor on event time over a JSON Lines file, no broker, Redis or network.

Input may be unsorted: valid events are stably sorted by ``ts`` (ties keep file order, as the contract asks),
and the replayed clock advances with them, running every timer due in between at its due time. Output is
deterministic: the same input and configuration give the same files, byte for byte (wall-clock timing goes to
standard error, not into the files).
"""
from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import IO, Any, Iterator

import orjson

from streams.monitor import Monitor
from yujing.config import load_config
from yujing.events import Event, InvalidEvent, parse_event
from yujing.heap import long_lived_heap
from yujing.records import fmt_ts

DUMP = orjson.OPT_APPEND_NEWLINE
PLAUSIBLE_SPAN_S = 400 * 86400.0
"""Events further than this from the stream's median time are rejected as implausible."""


def _lines(source: str) -> Iterator[bytes]:
    if source == "-":
        yield from sys.stdin.buffer
        return
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"events file not found: {source}")
    if path.is_dir():
        raise IsADirectoryError(f"events path is a directory: {source}")
    opener: Any = open
    if path.suffix == ".gz":
        import gzip
        opener = gzip.open
    with opener(path, "rb") as fh:
        yield from fh


def read_events(source: str, dead: list[dict[str, Any]]) -> tuple[list[Event], int]:
    """Parse every line; rejected lines go to ``dead`` with the reason. Returns (events sorted by ts, lines)."""
    parsed: list[tuple[Event, int]] = []
    n = 0
    for i, raw in enumerate(_lines(source), 1):
        line = raw.strip()
        if not line:
            continue
        n += 1
        try:
            parsed.append((parse_event(line), i))
        except InvalidEvent as exc:
            dead.append({"line": i, "reason": str(exc), "raw": line[:2000].decode("utf-8", "replace")})
    parsed.sort(key=lambda p: p[0].t)
    events = [e for e, _ in parsed]
    if events:
        # a bogus year (2999, 1970) would drag the replayed clock through centuries of empty minutes:
        # timestamps implausibly far from the rest of the stream are dead-lettered like any bad input
        mid = events[len(events) // 2].t
        far = [(e, i) for e, i in parsed if abs(e.t - mid) > PLAUSIBLE_SPAN_S]
        if far:
            for e, i in sorted(far, key=lambda p: p[1]):
                dead.append({"line": i, "reason": f"ts: {e.ts} is more than {PLAUSIBLE_SPAN_S / 86400:.0f} days "
                             "from the middle of the stream", "raw": e.to_json().decode()[:2000]})
            dead.sort(key=lambda d: d["line"])
            events = [e for e in events if abs(e.t - mid) <= PLAUSIBLE_SPAN_S]
    return events, n


def run_replay(source: str, out_dir: Path, config: Path | None = None, progress: bool = False) -> dict[str, Any]:
    with long_lived_heap():
        return _run_replay(source, out_dir, config, progress)


def _run_replay(source: str, out_dir: Path, config: Path | None, progress: bool) -> dict[str, Any]:
    settings = load_config(config)
    offset = settings.clock.utc_offset_h
    wall0 = time.perf_counter()
    dead: list[dict[str, Any]] = []
    events, n_lines = read_events(source, dead)
    gc.freeze()   # the events (and the loaded model) live to the end: collections need not scan them
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mon = Monitor(settings)
    alerts: list[Any] = []
    risks: list[Any] = []
    bar = None
    if progress and events:
        from rich.progress import Progress
        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("replay", total=len(events))
    for i, ev in enumerate(events):
        o = mon.ingest(ev)
        alerts.extend(o.alerts)
        risks.extend(o.risks)
        if bar is not None and i % 5000 == 0:
            bar.update(task, completed=i)
    if bar is not None:
        bar.stop()
    alerts.sort(key=lambda a: a.ts)
    risks.sort(key=lambda r: r.ts)
    with open(out_dir / "alerts.jsonl", "wb") as fh:
        for a in alerts:
            fh.write(orjson.dumps(a.to_dict(offset), option=DUMP))
    with open(out_dir / "risk.jsonl", "wb") as fh:
        for r in risks:
            fh.write(orjson.dumps(r.to_dict(offset), option=DUMP))
    with open(out_dir / "dead_letter.jsonl", "wb") as fh:
        for d in dead:
            fh.write(orjson.dumps(d, option=DUMP))
    by_kind: dict[str, int] = {}
    by_tier: dict[str, int] = {}
    for a in alerts:
        if a.status == "firing":
            by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
            by_tier[a.tier] = by_tier.get(a.tier, 0) + 1
    st = mon.orders.stats
    summary = {
        "events_read": n_lines, "rejected": len(dead), "duplicates": st["duplicates"],
        "events_applied": st["events"] - st["duplicates"], "orders": len(mon.orders.orders),
        "orphans_held": st["orphans_held"], "orphans_never_created": sum(
            1 for o in mon.orders.orders.values() if o.created is None),
        "late_events": st["late"], "evicted_orders": st["evicted"],
        "labels": {"positive": st["labels_pos"], "negative": st["labels_neg"]},
        "alert_records": len(alerts), "risk_records": len(risks),
        "alerts_by_kind": dict(sorted(by_kind.items())), "alerts_by_tier": dict(sorted(by_tier.items())),
        "timing": {"first_event_ts": fmt_ts(events[0].t, offset) if events else None,
                   "last_event_ts": fmt_ts(events[-1].t, offset) if events else None,
                   "event_time_span_s": round(events[-1].t - events[0].t, 3) if events else 0.0},
    }
    (out_dir / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2 | DUMP))
    wall = time.perf_counter() - wall0
    print(f"replay: {n_lines} events ({len(dead)} rejected, {st['duplicates']} duplicates), "
          f"{len(alerts)} alert records, {len(risks)} risk records in {wall:.1f}s "
          f"({n_lines / max(wall, 1e-9):,.0f} events/s)", file=sys.stderr)
    return summary
