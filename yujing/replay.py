"""``yujing replay``: the full monitor on event time over a JSON Lines file, no broker, Redis or network.

Input may be unsorted: valid events are stably sorted by ``ts`` (ties keep file order, as the contract asks),
and the replayed clock advances with them, running every timer due in between at its due time. Output is
deterministic: the same input and configuration give the same files, byte for byte (wall-clock timing goes to
standard error, not into the files).

Memory stays bounded on long streams (a month of a large province is tens of millions of events): up to
``hold`` events are sorted in memory; beyond that, sorted runs of events (their lines) and of output records spill
to temporary files and are merged back in order (:func:`heapq.merge`, keys ``(time, position)``, so ties keep their
order), giving the same files byte for byte.
"""
from __future__ import annotations

import gc
import heapq
import shutil
import sys
import tempfile
import time
from array import array
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson

from streams.monitor import Monitor
from yujing.config import load_config
from yujing.events import Event, InvalidEvent, parse_event
from yujing.heap import long_lived_heap
from yujing.records import fmt_ts

DUMP = orjson.OPT_APPEND_NEWLINE
PLAUSIBLE_SPAN_S = 400 * 86400.0
"""Events further than this from the stream's median time are rejected as implausible."""
HOLD = 250_000
"""Events (and output records of each kind) held in memory before sorted runs spill to temporary files."""


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


def _parsed(source: str, dead: list[dict[str, Any]], count: list[int]) -> Iterator[tuple[Event, int, bytes]]:
    """(event, line number, line) of every valid line; rejected lines go to ``dead`` with the reason, and every
    non-empty line is counted in ``count[0]``."""
    for i, raw in enumerate(_lines(source), 1):
        line = raw.strip()
        if not line:
            continue
        count[0] += 1
        try:
            yield parse_event(line), i, line
        except InvalidEvent as exc:
            dead.append({"line": i, "reason": str(exc), "raw": line[:2000].decode("utf-8", "replace")})


def _far(e: Event, i: int) -> dict[str, Any]:
    return {"line": i, "reason": f"ts: {e.ts} is more than {PLAUSIBLE_SPAN_S / 86400:.0f} days from the middle of "
            "the stream", "raw": e.to_json().decode()[:2000]}


class _Runs:
    """Sorted runs of ``(time, position, line)`` spilled to temporary files, merged back in that order."""

    def __init__(self, tmp: Path, name: str) -> None:
        self.tmp, self.name, self.paths = tmp, name, []

    def spill(self, items: Iterable[tuple[float, int, bytes]]) -> None:
        """Write one run (``items`` already in order; a line holds no newline)."""
        path = self.tmp / f"{self.name}-{len(self.paths)}"
        with open(path, "wb") as fh:
            fh.writelines(b"%r\t%d\t%s\n" % item for item in items)   # repr of a float reads back exactly
        self.paths.append(path)

    @staticmethod
    def _read(path: Path) -> Iterator[tuple[float, int, bytes]]:
        with open(path, "rb") as fh:
            for row in fh:
                t, i, line = row.split(b"\t", 2)   # a line's own tabs (JSON whitespace) stay in it
                yield float(t), int(i), line[:-1]

    def merged(self, rest: list[tuple[float, int, bytes]]) -> Iterator[tuple[float, int, bytes]]:
        """Every run and ``rest`` (sorted here) in ``(time, position)`` order."""
        rest.sort(key=_KEY)
        return heapq.merge(*(self._read(p) for p in self.paths), rest, key=_KEY)


_KEY = itemgetter(0, 1)
"""Runs are ordered by (time, position): ties keep file order (events) or the order they were made (records)."""


class SortedEvents:
    """The valid events of ``source`` in ``ts`` order (ties in file order), implausible timestamps taken out
    (dead-lettered). Up to ``hold`` events are parsed and sorted in memory. A longer source is read again from
    the start keeping only each event's time, position and line, in sorted runs on disk, and each line is parsed
    again as the runs are merged (the same function on the same bytes makes the same event). Standard input is
    copied to a temporary file first, so that it can be read again."""

    def __init__(self, source: str, dead: list[dict[str, Any]], tmp: Path, hold: int = HOLD) -> None:
        self.dead = dead
        self.runs: _Runs | None = None
        self._tmp = tmp
        """A private temporary directory for the runs (and standard input)."""
        if source == "-":
            source = str(self._spool_stdin())
        count = [0]
        times = array("d")
        held: list[tuple[Event, int]] = []
        for e, i, _ in _parsed(source, dead, count):
            times.append(e.t)
            held.append((e, i))
            if len(held) > hold:
                break
        else:   # it all fits: the events stay parsed, in the layout the core reads them fastest
            held.sort(key=lambda p: p[0].t)   # stable: ties keep file order
            self._set(times, count[0])
            self._held = held
            return
        held.clear()
        dead.clear()
        count[0] = 0
        times = array("d")
        self._held = []
        self.runs = _Runs(self._tmp, "events")
        lines: list[tuple[float, int, bytes]] = []
        for e, i, line in _parsed(source, dead, count):
            times.append(e.t)
            lines.append((e.t, i, line))
            if len(lines) >= hold:
                lines.sort(key=_KEY)
                self.runs.spill(lines)
                lines = []
        self._lines = lines
        self._set(times, count[0])

    def _spool_stdin(self) -> Path:
        path = self._tmp / "stdin.jsonl"
        with open(path, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
        return path

    def _set(self, times: array, lines: int) -> None:
        self.lines = lines
        """Non-empty lines read."""
        self.mid = sorted(times)[len(times) // 2] if times else 0.0
        self.count = len(times) - sum(1 for t in times if abs(t - self.mid) > PLAUSIBLE_SPAN_S)
        """Events that will be applied (valid and plausible)."""

    def __iter__(self) -> Iterator[Event]:
        mid, far = self.mid, []
        if self.runs is None:
            items: Iterable[tuple[Event, int]] = iter(self._held)
        else:
            merged = self.runs.merged(self._lines)
            self._lines = []
            items = ((parse_event(line), i) for _, i, line in merged)
        for e, i in items:
            if abs(e.t - mid) > PLAUSIBLE_SPAN_S:
                # a bogus year (2999, 1970) would drag the replayed clock through centuries of empty minutes:
                # timestamps implausibly far from the rest of the stream are dead-lettered like any bad input
                far.append(_far(e, i))
                continue
            yield e
        if far:
            self.dead.extend(far)
            self.dead.sort(key=lambda d: d["line"])


def read_events(source: str, dead: list[dict[str, Any]]) -> tuple[list[Event], int]:
    """Parse every line; rejected lines go to ``dead`` with the reason. Returns (events sorted by ts, lines)."""
    with tempfile.TemporaryDirectory(prefix="yujing-replay-") as tmp:
        stream = SortedEvents(source, dead, Path(tmp), hold=sys.maxsize)
        return list(stream), stream.lines


class _Records:
    """Output records of one kind in ``ts`` order (ties in the order they were made), written as JSON Lines:
    held in memory up to ``hold``, in sorted runs on disk beyond that."""

    def __init__(self, name: str, offset: float, hold: int, tmp: Path) -> None:
        self.name, self.offset, self.hold, self.tmp = name, offset, hold, tmp
        self.held: list[tuple[float, int, Any]] = []
        self.runs: _Runs | None = None
        self.n = 0

    def extend(self, records: Iterable[Any]) -> None:
        held = self.held
        for r in records:
            held.append((r.ts, self.n, r))
            self.n += 1
        if len(held) >= self.hold:
            if self.runs is None:
                self.runs = _Runs(self.tmp, self.name)
            held.sort(key=_KEY)
            self.runs.spill((t, n, orjson.dumps(r.to_dict(self.offset))) for t, n, r in held)
            self.held = []

    def write(self, path: Path) -> None:
        with open(path, "wb") as fh:
            if self.runs is None:
                self.held.sort(key=_KEY)
                for _, _, r in self.held:
                    fh.write(orjson.dumps(r.to_dict(self.offset), option=DUMP))
                return
            rest = [(t, n, orjson.dumps(r.to_dict(self.offset))) for t, n, r in self.held]
            self.held = []
            for _, _, line in self.runs.merged(rest):
                fh.write(line + b"\n")


def run_replay(source: str, out_dir: Path, config: Path | None = None, progress: bool = False,
               hold: int = HOLD) -> dict[str, Any]:
    """Replay ``source`` into ``out_dir`` (see the module's docstring); ``hold``: events and records of each kind
    kept in memory before sorted runs spill to temporary files (the output is the same whatever it is)."""
    with long_lived_heap(), tempfile.TemporaryDirectory(prefix="yujing-replay-") as tmp:
        return _run_replay(source, out_dir, config, progress, hold, Path(tmp))


def _run_replay(source: str, out_dir: Path, config: Path | None, progress: bool, hold: int,
                tmp: Path) -> dict[str, Any]:
    settings = load_config(config)
    offset = settings.clock.utc_offset_h
    wall0 = time.perf_counter()
    dead: list[dict[str, Any]] = []
    events = SortedEvents(source, dead, tmp, hold=hold)
    n_lines = events.lines
    gc.freeze()   # the events (and the loaded model) live to the end: collections need not scan them
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mon = Monitor(settings)
    alerts = _Records("alerts", offset, hold, tmp)
    risks = _Records("risks", offset, hold, tmp)
    by_kind: dict[str, int] = {}
    by_tier: dict[str, int] = {}
    first_t = last_t = None
    bar = None
    if progress and events.count:
        from rich.progress import Progress
        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("replay", total=events.count)
    for i, ev in enumerate(events):
        if first_t is None:
            first_t = ev.t
        last_t = ev.t
        o = mon.ingest(ev)
        if o.alerts:
            alerts.extend(o.alerts)
            for a in o.alerts:
                if a.status == "firing":
                    by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
                    by_tier[a.tier] = by_tier.get(a.tier, 0) + 1
        if o.risks:
            risks.extend(o.risks)
        if bar is not None and i % 5000 == 0:
            bar.update(task, completed=i)
    if bar is not None:
        bar.stop()
    alerts.write(out_dir / "alerts.jsonl")
    risks.write(out_dir / "risk.jsonl")
    with open(out_dir / "dead_letter.jsonl", "wb") as fh:
        for d in dead:
            fh.write(orjson.dumps(d, option=DUMP))
    st = mon.orders.stats
    summary = {
        "events_read": n_lines, "rejected": len(dead), "duplicates": st["duplicates"],
        "events_applied": st["events"] - st["duplicates"], "orders": len(mon.orders.orders),
        "orphans_held": st["orphans_held"], "orphans_never_created": sum(
            1 for o in mon.orders.orders.values() if o.created is None),
        "late_events": st["late"], "evicted_orders": st["evicted"],
        "labels": {"positive": st["labels_pos"], "negative": st["labels_neg"]},
        "alert_records": alerts.n, "risk_records": risks.n,
        "alerts_by_kind": dict(sorted(by_kind.items())), "alerts_by_tier": dict(sorted(by_tier.items())),
        "timing": {"first_event_ts": fmt_ts(first_t, offset) if first_t is not None else None,
                   "last_event_ts": fmt_ts(last_t, offset) if last_t is not None else None,
                   "event_time_span_s": round(last_t - first_t, 3) if first_t is not None else 0.0},
    }
    (out_dir / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2 | DUMP))
    wall = time.perf_counter() - wall0
    print(f"replay: {n_lines} events ({len(dead)} rejected, {st['duplicates']} duplicates), "
          f"{alerts.n} alert records, {risks.n} risk records in {wall:.1f}s "
          f"({n_lines / max(wall, 1e-9):,.0f} events/s)", file=sys.stderr)
    return summary
