"""`yujing replay` end to end: contract files, dead letters, determinism, and the detectors on simulated
incidents (the simulator is independent of the detectors: it only produces events)."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from yujing.replay import run_replay
from yujing.simulator import SimOptions, default_regions, iter_events, parse_incident

TZ = timezone(timedelta(hours=8))
ALERT_KEYS = {"record", "alert_id", "fingerprint", "status", "ts", "kind", "stage", "scope", "tier", "score",
              "summary", "evidence"}
STATUSES = {"firing", "tier_changed", "acknowledged", "escalated", "silenced", "resolved"}


def simulate(path: Path, hours: float, incidents: list[str] = (), seed: int = 7, start_h: int = 4) -> Path:
    regions = default_regions()[:4]
    start = datetime(2026, 7, 14, start_h, tzinfo=TZ).timestamp()
    opts = SimOptions(start=start, hours=hours, seed=seed, regions=regions,
                      incidents=[parse_incident(s, regions) for s in incidents])
    with open(path, "wb") as fh:
        for e in iter_events(opts):
            fh.write(orjson.dumps(e, option=orjson.OPT_APPEND_NEWLINE))
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def calm_day(tmp_path_factory) -> Path:
    return simulate(tmp_path_factory.mktemp("sim") / "calm.jsonl", hours=10)


def test_replay_writes_the_contract_files(calm_day, tmp_path):
    summary = run_replay(str(calm_day), tmp_path)
    for name in ("alerts.jsonl", "risk.jsonl", "dead_letter.jsonl", "summary.json"):
        assert (tmp_path / name).exists()
    alerts, risks = read(tmp_path / "alerts.jsonl"), read(tmp_path / "risk.jsonl")
    assert summary["events_read"] > 5000 and summary["rejected"] == 0
    assert alerts and risks
    for a in alerts:
        assert ALERT_KEYS <= set(a) and a["record"] == "alert" and a["status"] in STATUSES
        assert a["tier"] in ("blue", "yellow", "orange", "red") and a["stage"] in (None, "receive", "decompose",
                                                                                  "feedback")
        datetime.fromisoformat(a["ts"])
    for r in risks:
        assert r["record"] == "risk" and 0.0 <= r["risk"] <= 1.0 and isinstance(r["top_factors"], list)
    assert [a["ts"] for a in alerts] == sorted(a["ts"] for a in alerts)
    created = {json.loads(line)["order_id"] for line in calm_day.read_text().splitlines() if '"created"' in line}
    assert created <= {r["order_id"] for r in risks}   # every order gets a risk record at creation


def test_calm_morning_raises_few_aggregate_alerts(calm_day, tmp_path):
    """A simulated morning without incidents (04:00-14:00, the daily peak included): the peak itself is no
    incident. Brief crew or desk hiccups (three orders past 75 % of a deadline at once) may warn yellow; nothing
    more severe, and not more than twice."""
    run_replay(str(calm_day), tmp_path)
    agg = [a for a in read(tmp_path / "alerts.jsonl") if a["status"] == "firing" and "order_id" not in a["scope"]]
    assert len(agg) <= 2, [(a["kind"], a["scope"], a["ts"]) for a in agg]
    assert all(a["tier"] in ("blue", "yellow") for a in agg), [(a["kind"], a["tier"]) for a in agg]


def test_department_stall_is_warned_about(tmp_path):
    regions = default_regions()[:4]
    dept = regions[0].departments[0].name
    events = simulate(tmp_path / "stall.jsonl", hours=8, incidents=[f"department_stall:{dept}:300:120"])
    run_replay(str(events), tmp_path / "out")
    start = datetime(2026, 7, 14, 9, tzinfo=TZ)
    hits = [a for a in read(tmp_path / "out" / "alerts.jsonl")
            if a["status"] == "firing" and a["kind"] == "dispatch_lag" and a["scope"].get("department") == dept]
    assert hits, "no dispatch_lag alert on the stalled department"
    first = datetime.fromisoformat(hits[0]["ts"])
    assert start <= first <= start + timedelta(minutes=90)


def test_replay_is_deterministic_byte_for_byte(calm_day, tmp_path):
    run_replay(str(calm_day), tmp_path / "a")
    run_replay(str(calm_day), tmp_path / "b")
    for name in ("alerts.jsonl", "risk.jsonl", "dead_letter.jsonl", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_unsorted_input_gives_the_same_result(calm_day, tmp_path):
    lines = calm_day.read_bytes().splitlines(keepends=True)
    shuffled = tmp_path / "shuffled.jsonl"
    # reverse blocks of events: sorting must restore event time (ties keep file order within an order)
    shuffled.write_bytes(b"".join(reversed(lines)))
    run_replay(str(calm_day), tmp_path / "a")
    run_replay(str(shuffled), tmp_path / "b")
    a = read(tmp_path / "a" / "alerts.jsonl")
    b = read(tmp_path / "b" / "alerts.jsonl")
    assert len(a) == pytest.approx(len(b), rel=0.02)


def test_a_stream_longer_than_memory_holds_gives_the_same_files(calm_day, tmp_path):
    """Past ``hold`` events (and records of a kind), sorted runs spill to temporary files and are merged back:
    the same files byte for byte, for a shuffled stream with bad lines and a timestamp centuries off too."""
    lines = calm_day.read_bytes().splitlines(keepends=True)
    far = orjson.loads(lines[10])
    far.update(event_id="far-1", ts="2999-01-01T00:00:00+08:00")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(b"".join(lines[i] for i in range(len(lines) - 1, -1, -7))   # every 7th line, backwards ...
                      + b"{broken\n" + orjson.dumps(far) + b"\n\n"
                      + b"".join(l for i, l in enumerate(lines) if i % 7))        # ... then the rest in order
    held = run_replay(str(mixed), tmp_path / "held")
    spilled = run_replay(str(mixed), tmp_path / "spilled", hold=97)
    assert held["events_read"] > 50 * 97 and held["risk_records"] > 50 * 97 and held["alert_records"] > 97
    assert held["rejected"] == 2 and spilled == held
    for name in ("alerts.jsonl", "risk.jsonl", "dead_letter.jsonl", "summary.json"):
        assert (tmp_path / "held" / name).read_bytes() == (tmp_path / "spilled" / name).read_bytes(), name


def test_standard_input_is_sorted_as_a_file_is_even_past_what_memory_holds(calm_day, tmp_path, monkeypatch):
    import io

    from yujing.replay import SortedEvents
    data = b"".join(reversed(calm_day.read_bytes().splitlines(keepends=True)))
    (tmp_path / "rev.jsonl").write_bytes(data)
    from_file = [e.event_id for e in SortedEvents(str(tmp_path / "rev.jsonl"), [], tmp_path, hold=10**9)]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    from_stdin = [e.event_id for e in SortedEvents("-", [], tmp_path, hold=500)]
    assert from_stdin == from_file and len(from_file) > 10 * 500


def test_malformed_lines_go_to_dead_letters_with_reasons(tmp_path):
    good = {"event_id": "e1", "order_id": "WO-1", "type": "created", "ts": "2026-07-14T09:00:00+08:00",
            "category": "complaint", "channel": "web", "customer_id": "C-1", "customer_tier": "regular",
            "region": "north", "area": "urban", "text": "电话13812345678，地址人民路12号"}
    bad = [
        b"{not json",
        orjson.dumps({"order_id": "WO-2", "type": "created", "ts": "2026-07-14T09:00:00+08:00"}),
        orjson.dumps({**good, "event_id": "e2", "type": "teleported"}),
        orjson.dumps({**good, "event_id": "e3", "channel": "pigeon"}),
        orjson.dumps({**good, "event_id": "e4", "ts": "yesterday"}),
        orjson.dumps({**good, "event_id": "e5", "text": "x" * 1_000_000}),
        b"[1, 2, 3]",
        "\u4e2d\u6587\ufffd\x00".encode(),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join([orjson.dumps(good), *bad, orjson.dumps(good)]) + b"\n")
    summary = run_replay(str(path), tmp_path / "out")
    dead = read(tmp_path / "out" / "dead_letter.jsonl")
    assert summary["rejected"] == len(bad) == len(dead)
    assert summary["duplicates"] == 1
    reasons = " | ".join(d["reason"] for d in dead)
    for word in ("JSON", "event_id", "type", "channel", "ts", "too long", "object"):
        assert word in reasons, (word, reasons)


def test_cli_contract_exit_codes(tmp_path):
    yj = [sys.executable, "-m", "yujing.cli"]
    missing = subprocess.run([*yj, "replay", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")],
                             capture_output=True, text=True)
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1
    ok = subprocess.run([*yj, "replay", "-", "--out", str(tmp_path / "o")], capture_output=True, text=True,
                        input='{"event_id":"e","order_id":"o","type":"urged","ts":"2026-07-14T09:00:00+08:00"}\n')
    assert ok.returncode == 0, ok.stderr
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["orphans_never_created"] == 1


def test_billing_storm_is_warned_about_as_a_topic_surge(tmp_path):
    """A simulated billing storm in one region (angry contacts about their bills, 2.5× the usual share, from
    10:00): a topic_surge on that region's billing contacts within three hours, on no other region or topic."""
    regions = default_regions()[:4]
    region = regions[1].name
    events = simulate(tmp_path / "storm.jsonl", hours=12, incidents=[f"sentiment_storm:{region}:360:300"])
    run_replay(str(events), tmp_path / "out")
    start = datetime(2026, 7, 14, 10, tzinfo=TZ)
    surges = [a for a in read(tmp_path / "out" / "alerts.jsonl")
              if a["status"] == "firing" and a["kind"] == "topic_surge"]
    assert surges, "no topic_surge alert for the billing storm"
    assert {(a["scope"].get("region"), a["evidence"]["topic"]) for a in surges} == {(region, "billing")}
    first = datetime.fromisoformat(surges[0]["ts"])
    assert start <= first <= start + timedelta(hours=3)
    assert surges[0]["stage"] == "receive" and "电费" in surges[0]["summary"]
