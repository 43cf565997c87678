"""Hostile input never crashes the monitor: every line is processed or dead-lettered with a reason.

Hypothesis builds streams mixing valid events with every way an input can go wrong (wrong types, missing or
unknown fields, huge, binary-ish, emoji and markup text, far-future and ancient timestamps, duplicate ids,
floods for one order) and runs them through :func:`yujing.events.parse_event` and ``yujing replay``
(:func:`yujing.replay.run_replay`, the command's code path). The bookkeeping must add up:
lines in = events applied + duplicates + rejected, and ``dead_letter.jsonl`` holds one line with a non-empty
reason per rejected line.
"""
from __future__ import annotations

import contextlib
import io
import signal
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yujing.events import CATEGORIES, CHANNELS, EVENT_TYPES, InvalidEvent, parse_event

T0 = datetime(2026, 7, 14, 9, 0, tzinfo=timezone(timedelta(hours=8)))

i64 = st.integers(-(2**63), 2**63 - 1)
texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), max_size=30),  # emoji
    st.sampled_from(["<script>alert(1)</script>停电了", "<b>**投诉**</b> [x](javascript:1)", "电话13812345678",
                     "\u202e\u200b\ufeff", "\x00\x01\x7f", "我要找12398投诉！媒体曝光！", "x" * 10_000,
                     "y" * 10_001, "断电" * 5000]),
)
timestamps = st.one_of(
    st.integers(-7200, 7200).map(lambda s: (T0 + timedelta(seconds=s)).isoformat()),
    st.sampled_from(["2026-07-14T09:00:00", "2026-02-30T09:00:00+08:00", "yesterday", "", "2026-07-14T25:00:00Z",
                     "2026-07-14T09:00:00+25:00", "２０２６-07-14T09:00:00+08:00", "2026-07-14 09:00:00+08:00"]),
    i64, st.floats(allow_nan=True), st.none(),
)
junk = st.one_of(st.none(), st.booleans(), i64, st.floats(), st.text(max_size=20),
                 st.lists(i64, max_size=3), st.dictionaries(st.text(max_size=5), i64, max_size=2))


@st.composite
def event_dicts(draw: st.DrawFn, order_ids: list[str]) -> dict:
    """A contract-shaped event with some fields perturbed, dropped or added."""
    typ = draw(st.sampled_from(EVENT_TYPES + ("exploded",)))
    d = {"event_id": draw(st.sampled_from(["dup-1", "dup-2"]) | st.text(min_size=1, max_size=12)),
         "order_id": draw(st.sampled_from(order_ids)), "type": typ, "ts": draw(timestamps),
         "category": draw(st.sampled_from(CATEGORIES)), "channel": draw(st.sampled_from(CHANNELS)),
         "customer_id": "C-1", "customer_tier": draw(st.sampled_from(["premium", "potential", "regular"])),
         "region": draw(st.sampled_from(["north", "south", "区域🙂"])), "area": "urban", "department": "d-1",
         "text": draw(texts), "satisfaction": "dissatisfied", "to": "12398", "resolution": "resolved",
         "affected_customers": draw(st.integers(-5, 10**12))}
    # (integers beyond 64 bits cannot be dumped by orjson; they come as raw lines in _lines)
    for key in draw(st.lists(st.sampled_from(sorted(d)), max_size=3)):
        if draw(st.booleans()):
            d.pop(key, None)
        else:
            d[key] = draw(junk)
    if draw(st.booleans()):
        d["unknown_field"] = draw(junk)
    return d


_BIG_INT = (b'{"event_id":"big","order_id":"WO-1","type":"created","ts":"2026-07-14T09:00:00+08:00",'
            b'"category":"complaint","channel":"app","customer_id":"C","customer_tier":"regular","region":"n",'
            b'"area":"urban","affected_customers":123456789012345678901234567890}')


def _lines(draw: st.DrawFn) -> list[bytes]:
    order_ids = ["WO-1", "WO-2", "WO-" + "9" * 64, "WO-" + "9" * 65, "单-3"]
    out: list[bytes] = []
    for d in draw(st.lists(event_dicts(order_ids), min_size=1, max_size=25)):
        out.append(orjson.dumps(d))
    raw = draw(st.lists(st.binary(min_size=1, max_size=200), max_size=4))
    out += [b.replace(b"\n", b" ") + b"#" for b in raw]                # binary junk, never blank
    out += draw(st.lists(st.sampled_from([b"[]", b"null", b"42", b'"x"', b"{", b"{}", b'{"a":1}' * 3,
                                          b"\xff\xfe{}", b'{"event_id":1}', _BIG_INT, b'{"ts":1e400}']), max_size=3))
    return draw(st.permutations(out))


stream = st.composite(_lines)()


class ReplayHung(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise ReplayHung("replay still running after the watchdog's limit")


def _replay(lines: list[bytes], limit_s: int = 60) -> tuple[dict, list[dict], Path]:
    """Run ``yujing replay`` in-process under a SIGALRM watchdog (a hang fails the test instead of the suite)."""
    from yujing.replay import run_replay

    tmp = Path(tempfile.mkdtemp(prefix="yj-fuzz-"))
    src = tmp / "events.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(limit_s)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            summary = run_replay(str(src), tmp / "out")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    dead = [orjson.loads(x) for x in (tmp / "out" / "dead_letter.jsonl").read_bytes().splitlines()]
    return summary, dead, tmp / "out"


def _check_books(lines: list[bytes], summary: dict, dead: list[dict], out: Path) -> None:
    assert summary["events_read"] == len(lines)
    assert summary["events_read"] == summary["events_applied"] + summary["duplicates"] + summary["rejected"]
    assert len(dead) == summary["rejected"]
    assert all(isinstance(d["reason"], str) and d["reason"].strip() for d in dead)
    for name in ("alerts.jsonl", "risk.jsonl"):
        for row in (out / name).read_bytes().splitlines():
            orjson.loads(row)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300), st.builds(orjson.dumps, event_dicts(["WO-1"]))))
def test_parser_raises_only_invalid_event(raw: bytes | str) -> None:
    try:
        ev = parse_event(raw)
    except InvalidEvent as exc:
        assert str(exc).strip()
    else:
        assert ev.t == ev.t and ev.order_id  # not NaN, non-empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(stream)
def test_replay_never_crashes_and_accounts_for_every_line(lines: list[bytes]) -> None:
    summary, dead, out = _replay(lines, limit_s=15)  # a hang took minutes; a loaded CI box takes a few s
    _check_books(lines, summary, dead, out)


def _ev(i: int, typ: str, t: float, **kw: object) -> bytes:
    ts = datetime.fromtimestamp(t, timezone(timedelta(hours=8))).isoformat()
    return orjson.dumps({"event_id": f"f-{i}", "order_id": "WO-FLOOD", "type": typ, "ts": ts, **kw})


def test_flood_for_one_order_is_processed_in_bounded_time() -> None:
    """5,000 urges, messages and duplicates for one order: all accounted for, no quadratic blow-up."""
    import time

    t0 = T0.timestamp()
    lines = [_ev(0, "created", t0, category="complaint", channel="hotline", customer_id="C-F",
                 customer_tier="premium", region="north", area="urban")]
    for i in range(1, 5000):
        typ = ("urged", "customer_message")[i % 2]
        lines.append(_ev(i, typ, t0 + i, text="还没人来修！" * (i % 7 + 1)))
    lines += lines[100:600]  # 500 duplicate deliveries
    start = time.perf_counter()
    summary, dead, out = _replay(lines)
    elapsed = time.perf_counter() - start
    _check_books(lines, summary, dead, out)
    assert summary["duplicates"] >= 500 and summary["rejected"] == 0
    assert elapsed < 30, elapsed


@pytest.mark.parametrize("ts", [
    pytest.param("1970-01-02T00:00:00+08:00", id="1970"),
    pytest.param("2026-07-21T09:00:00+08:00", id="gap-1-week"),
    pytest.param("2027-07-14T09:00:00+08:00", id="gap-1-year"),
    pytest.param("9999-12-31T23:59:59-14:00", id="far-future-overflow"),  # year 10000 at +08:00
    pytest.param("9999-12-31T23:59:59+08:00", id="far-future"),
    pytest.param("0001-01-01T00:00:00+14:00", id="ancient-before-year-1"),
    pytest.param("0001-01-01T00:00:00+00:00", id="ancient")])
def test_extreme_timestamps_are_rejected_or_processed(ts: str) -> None:
    """One event far from the others must be dead-lettered or processed, within seconds."""
    created = {"event_id": "x-1", "order_id": "WO-X", "type": "created", "ts": ts, "category": "complaint",
               "channel": "hotline", "customer_id": "C", "customer_tier": "regular", "region": "north",
               "area": "urban"}
    normal = orjson.loads(_ev(2, "created", T0.timestamp(), category="complaint", channel="app",
                              customer_id="C2", customer_tier="regular", region="north", area="urban"))
    lines = [orjson.dumps(created), orjson.dumps(dict(normal, order_id="WO-N"))]
    summary, dead, out = _replay(lines, limit_s=15)  # a hang took minutes; a loaded CI box takes a few s
    _check_books(lines, summary, dead, out)
