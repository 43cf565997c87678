"""Contract clauses as an outside tool exercises them (``shared/contracts/{cli,alerts,events}.md``): what the
event schema allows is accepted, what it forbids is dead-lettered with a reason; replay's records have every
field with its type and allowed values; the commands' flags, exit codes and standard streams."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from tests.test_replay import read, simulate
from yujing.events import InvalidEvent, parse_event
from yujing.replay import run_replay

YJ = [sys.executable, "-m", "yujing.cli"]
TS = "2026-07-14T09:00:00+08:00"
MINIMAL = {   # per type: exactly the schema's required fields, every optional one absent
    "created": {"category": "complaint", "channel": "web", "customer_id": "C-1", "customer_tier": "regular",
                "region": "north", "area": "urban"},
    "accepted": {}, "dispatched": {"department": "d1"}, "reassigned": {"department": "d2"},
    "dept_accepted": {}, "arrived": {}, "replied": {}, "customer_message": {"text": "还没来"}, "urged": {},
    "paused": {}, "resumed": {}, "closed": {}, "reopened": {}, "revisited": {"satisfaction": "neutral"},
    "escalated": {"to": "12398"},
}


def ev(type_: str = "accepted", **kw) -> dict:
    return {"event_id": "e-1", "order_id": "WO-1", "type": type_, "ts": TS, **MINIMAL[type_], **kw}


@pytest.mark.parametrize("type_", sorted(MINIMAL))
def test_every_type_with_only_its_required_fields_is_accepted(type_):
    assert parse_event(orjson.dumps(ev(type_))).type == type_


@pytest.mark.parametrize("ts, utc", [
    ("2026-07-14T01:00:00Z", "2026-07-14T01:00:00"), ("2026-07-14T01:00:00z", "2026-07-14T01:00:00"),
    ("2026-07-14t01:00:00Z", "2026-07-14T01:00:00"), ("2026-07-14T09:00:00+08:00", "2026-07-14T01:00:00"),
    ("2026-07-13T19:30:00-05:30", "2026-07-14T01:00:00"), ("2026-07-14T01:00:00-00:00", "2026-07-14T01:00:00"),
    ("2026-07-14T09:00:00.5+08:00", "2026-07-14T01:00:00.500000"),
    ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00"), ("2017-01-01T07:59:60.5+08:00", "2017-01-01T00:00:00.500000")])
def test_rfc3339_timestamps_with_any_offset_are_accepted_at_the_right_instant(ts, utc):
    """RFC 3339 5.6: any offset, Z or z, t or T, fractional and leap seconds; event time is the absolute instant."""
    got = datetime.fromtimestamp(parse_event(orjson.dumps(ev(ts=ts))).t, timezone.utc)
    assert got.replace(tzinfo=None).isoformat() == utc


@pytest.mark.parametrize("extra", [
    {"unknown_field": {"nested": [1, None]}, "x-trace": "abc"},           # extra fields are ignored
    {"event_id": "事件-😀" * 10, "order_id": "工单-😀" * 16},               # unicode ids at their limits
    {"event_id": "é" * 128, "agent_id": "", "text": "😀" * 10_000},       # limits count characters
    {"affected_customers": 0}, {"affected_customers": 3.0},               # JSON Schema: 3.0 is an integer
    {"reason": "r" * 1000, "channel": "12398"},
    {"x-note": None, "t": None},                                          # null in a field the schema does not define
])
def test_schema_allowed_variants_are_accepted(extra):
    e = ev("created" if "affected_customers" in extra else "urged", **extra)
    parsed = parse_event(orjson.dumps(e))
    assert parsed.event_id == e["event_id"] and parsed.order_id == e["order_id"]
    if "affected_customers" in extra:
        assert parsed.affected_customers == int(extra["affected_customers"])


OPTIONAL = ("category", "channel", "customer_id", "customer_tier", "region", "area", "department", "agent_id",
            "affected_customers", "text", "reason", "resolution", "satisfaction", "to")   # for an "accepted" event
REJECTED = [(ev(), drop, f) for drop in ("event_id", "order_id", "type", "ts") for f in [drop]] + [
    (ev(t), drop, drop) for t, req in MINIMAL.items() for drop in req] + [
    (ev("created", **{f: "bogus"}), None, f) for f in ("category", "channel", "customer_tier", "area")] + [
    (ev("closed", resolution="done"), None, "resolution"), (ev("revisited", satisfaction="meh"), None, "satisfaction"),
    (ev("escalated", to="police"), None, "to"), (ev(type="exploded"), None, "type"),
    (ev(ts="2026-07-14T09:00:00"), None, "ts"), (ev(ts="tomorrow"), None, "ts"), (ev(ts=1783990800), None, "ts"),
    (ev(ts="2026-07-14T09:00:61+08:00"), None, "ts"), (ev(ts="2026-07-14T09:60:00+08:00"), None, "ts"),
    (ev(event_id="x" * 129), None, "event_id"), (ev(event_id=""), None, "event_id"),
    (ev(order_id="x" * 65), None, "order_id"), (ev(text="x" * 10_001), None, "text"),
    (ev("created", affected_customers=-1), None, "affected_customers"),
    (ev("created", affected_customers=True), None, "affected_customers"),
    (ev("created", affected_customers=2.5), None, "affected_customers"),
    (ev("escalated", to=None), None, "to"), (ev("dispatched", department=""), None, "department"),
    (ev(event_id=None), None, "event_id")] + [
    # the schema gives no field a null type: an optional field is left out, not sent as null
    (ev(**{f: None}), None, f) for f in OPTIONAL] + [
    (ev("created", text=None, affected_customers=None), None, "affected_customers, text"),
]


@pytest.mark.parametrize("event, drop, field", REJECTED, ids=[f"{e['type']}-{d or f}" for e, d, f in REJECTED])
def test_schema_forbidden_events_are_rejected_naming_the_field(event, drop, field):
    event = {k: v for k, v in event.items() if k != drop}
    with pytest.raises(InvalidEvent) as err:
        parse_event(orjson.dumps(event))
    assert field in str(err.value) and "\n" not in str(err.value)


def test_null_reason_names_the_field_and_says_to_leave_it_out():
    with pytest.raises(InvalidEvent) as err:
        parse_event(orjson.dumps(ev("replied", text=None)))
    assert str(err.value) == "text: null is not allowed (leave an absent field out)"


SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "contracts" / "events.schema.json"


@pytest.mark.skipif(not SCHEMA.exists(), reason="shared/contracts/events.schema.json is not beside the repository")
def test_null_is_accepted_exactly_where_the_schema_accepts_it():
    """Cross-check with the real schema: every field it defines set to null, on every event type."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for type_ in MINIMAL:
        for field in [*schema["properties"], "x-note"]:
            e = ev(type_, **{field: None})
            try:
                parse_event(orjson.dumps(e))
                accepted = True
            except InvalidEvent:
                accepted = False
            assert accepted == validator.is_valid(e), (type_, field)


def test_replay_dead_letters_each_forbidden_line_with_its_number_reason_and_raw(tmp_path):
    good = [dict(ev("created"), event_id="g1"), dict(ev("urged"), event_id="g2", ts="2026-07-14T01:05:00z")]
    bad = [{k: v for k, v in e.items() if k != d} for e, d, _ in REJECTED]
    lines = [orjson.dumps(e) for e in good + bad]
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    summary = run_replay(str(tmp_path / "in.jsonl"), tmp_path / "out")
    dead = read(tmp_path / "out" / "dead_letter.jsonl")
    assert summary["rejected"] == len(bad) and summary["events_read"] - summary["rejected"] == len(good)
    assert [d["line"] for d in dead] == list(range(len(good) + 1, len(lines) + 1))
    assert all(d["reason"] and d["raw"] == lines[d["line"] - 1].decode()[:2000] for d in dead)   # README: raw cut at 2,000


ALERT_TYPES = {"record": str, "alert_id": str, "fingerprint": str, "status": str, "ts": str, "kind": str,
               "scope": dict, "tier": str, "score": (int, float), "summary": str, "evidence": dict}
SCOPE_KEYS = {"region", "department", "category", "channel", "order_id", "customer_id"}


def check_rfc3339(ts: str) -> None:
    assert "T" in ts and datetime.fromisoformat(ts).tzinfo is not None, ts


def test_replay_records_have_every_contract_field_with_its_type_and_values(tmp_path):
    """alerts.md, field by field, over a replay with a real incident (a stalled department)."""
    from yujing.simulator import default_regions
    dept = default_regions()[0].departments[0].name
    src = simulate(tmp_path / "stall.jsonl", hours=6, incidents=[f"department_stall:{dept}:240:120"])
    run_replay(str(src), tmp_path / "out")
    alerts, risks = read(tmp_path / "out" / "alerts.jsonl"), read(tmp_path / "out" / "risk.jsonl")
    assert alerts and risks
    fingerprints: dict[tuple, str] = {}
    episodes: dict[str, str] = {}
    for a in alerts:
        for key, typ in ALERT_TYPES.items():
            assert isinstance(a[key], typ) and not isinstance(a[key], bool), (key, a)
        assert a["record"] == "alert" and a["status"] in {"firing", "tier_changed", "acknowledged", "escalated",
                                                          "silenced", "resolved"}
        assert a["stage"] in (None, "receive", "decompose", "feedback") and a["tier"] in ("blue", "yellow",
                                                                                         "orange", "red")
        assert set(a["scope"]) <= SCOPE_KEYS and "\n" not in a["summary"]
        check_rfc3339(a["ts"])
        cond = (a["kind"], json.dumps(a["scope"], sort_keys=True))
        assert fingerprints.setdefault(cond, a["fingerprint"]) == a["fingerprint"]   # same kind+scope, same fp
        assert episodes.setdefault(a["alert_id"], a["fingerprint"]) == a["fingerprint"]  # one episode, one cond
    for r in risks:
        assert r["record"] == "risk" and isinstance(r["order_id"], str) and r["tier"] in (None, "blue", "yellow",
                                                                                          "orange", "red")
        assert isinstance(r["risk"], float | int) and 0 <= r["risk"] <= 1 and not isinstance(r["risk"], bool)
        assert isinstance(r["top_factors"], list) and all(isinstance(f, str) for f in r["top_factors"])
        check_rfc3339(r["ts"])
    for records in (alerts, risks):   # "in ts order" as instants, not only as strings
        instants = [datetime.fromisoformat(x["ts"]) for x in records]
        assert instants == sorted(instants)
    src_ts = [datetime.fromisoformat(json.loads(x)["ts"]) for x in src.read_text().splitlines()]
    assert all(min(src_ts) <= datetime.fromisoformat(a["ts"]) for a in alerts)   # replayed clock, not wall


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*YJ, *args], capture_output=True, text=True, input=stdin, timeout=120, cwd=cwd,
                          env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[1])})


def one_line_error(res: subprocess.CompletedProcess) -> bool:
    return res.returncode != 0 and len(res.stderr.strip().splitlines()) == 1 and res.stdout == ""


def test_replay_config_flag_and_output_files(tmp_path):
    """`--config FILE` is honoured; DIR is created and holds exactly the four named files; stdout stays empty."""
    (tmp_path / "ev.jsonl").write_text(json.dumps(ev("created")) + "\n")
    (tmp_path / "utc.toml").write_text("[clock]\nutc_offset_h = 0.0\n")   # records then carry +00:00
    res = run(["replay", "ev.jsonl", "--out", "new/dir", "--config", "utc.toml"], tmp_path)
    assert res.returncode == 0 and res.stdout == "", res.stderr
    assert sorted(p.name for p in (tmp_path / "new" / "dir").iterdir()) == [
        "alerts.jsonl", "dead_letter.jsonl", "risk.jsonl", "summary.json"]
    assert [r["ts"] for r in read(tmp_path / "new" / "dir" / "risk.jsonl")] == ["2026-07-14T01:00:00+00:00"]
    summary = json.loads((tmp_path / "new" / "dir" / "summary.json").read_text())
    assert summary["events_read"] == 1 and summary["rejected"] == 0 and summary["duplicates"] == 0


@pytest.mark.parametrize("args", [["replay", "ev.jsonl", "--out", "o", "--config", "nope.toml"],
                                  ["replay", "ev.jsonl", "--out", "o", "--config", "bad.toml"],
                                  ["replay", ".", "--out", "o"], ["replay", "missing.jsonl", "--out", "o"],
                                  ["detect-series", "nope.csv"]])
def test_unusable_input_exits_non_zero_with_one_line_error(tmp_path, args):
    (tmp_path / "ev.jsonl").write_text(json.dumps(ev()) + "\n")
    (tmp_path / "bad.toml").write_text("nonsense = [\n")
    assert one_line_error(run(args, tmp_path))


def test_replay_without_out_is_a_usage_error_on_stderr(tmp_path):
    """`--out` is required: exit 2, nothing on stdout, nothing written, and one line on stderr (the contract's
    "one-line error"; click drew a box of five lines)."""
    (tmp_path / "ev.jsonl").write_text(json.dumps(ev()) + "\n")
    res = run(["replay", "ev.jsonl"], tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.splitlines() == ["error: Missing option '--out'. (try 'yujing replay --help')"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev.jsonl"]


@pytest.mark.parametrize("args", [["sentiment"], ["detect-series", "--window", "3"], ["replay", "--nope"]])
def test_every_contract_usage_error_is_one_line(tmp_path, args):
    res = run(args, tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    assert len(res.stderr.splitlines()) == 1 and res.stderr.startswith("error: "), res.stderr


def test_detect_series_reads_standard_input(tmp_path):
    res = run(["detect-series", "-"], tmp_path, stdin="timestamp,value\n2026-07-14T09:00:00+08:00,1\n")
    assert res.returncode == 0 and res.stdout.splitlines() == ["timestamp,value,anomaly_score",
                                                               "2026-07-14T09:00:00+08:00,1,0.000000"]
