"""Display names of region and department ids: summaries, the board and push messages show the names an
installation configures; records keep the ids (the contracts), so scopes and fingerprints do not change."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from alerts.state import Notification
from alerts.templates import render
from dashboard.components import evidence_text, scope_md, scope_plain
from tests.test_replay import read, simulate
from yujing import names
from yujing.config import load_config
from yujing.replay import run_replay
from yujing.simulator import default_regions


@pytest.fixture(autouse=True)
def _no_names_after():
    yield
    names.install({})


def _config(path: Path, regions: dict[str, str], departments: dict[str, str]) -> Path:
    lines = ["[names.region]"] + [f'"{k}" = "{v}"' for k, v in regions.items()]
    lines += ["[names.department]"] + [f'"{k}" = "{v}"' for k, v in departments.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_replay_summaries_use_the_configured_names_and_records_keep_the_ids(tmp_path):
    dept = default_regions()[0].departments[0].name
    events = simulate(tmp_path / "ev.jsonl", hours=8, incidents=[f"department_stall:{dept}:300:120"])
    plain = run_replay(str(events), tmp_path / "ids")
    before = read(tmp_path / "ids" / "alerts.jsonl")
    regions = sorted({a["scope"]["region"] for a in before if "region" in a["scope"]})
    depts = sorted({a["scope"]["department"] for a in before if "department" in a["scope"]})
    assert regions and depts, "the stream must give region and department alerts to name"
    cfg = _config(tmp_path / "names.toml", {r: f"{r}供电所" for r in regions}, {d: f"{d}班组" for d in depts})
    named = run_replay(str(events), tmp_path / "names", config=cfg)
    after = read(tmp_path / "names" / "alerts.jsonl")
    assert named["alert_records"] == plain["alert_records"]
    for a, b in zip(before, after):   # the records' ids, scopes, tiers and evidence are the same
        assert {k: v for k, v in a.items() if k != "summary"} == {k: v for k, v in b.items() if k != "summary"}
    said = "\n".join(b["summary"] for b in after)
    for r in regions:
        assert f"{r}供电所" in said
        assert not re.search(rf"(区域 |（){re.escape(r)}(?!供电所)", said), r   # 区域 north, （north·故障报修·…）
    for d in depts:
        assert not re.search(rf"部门 {re.escape(d)}(?!班组)", said), d
    assert any(f"部门 {d}班组" in said for d in depts)
    assert (tmp_path / "ids" / "risk.jsonl").read_bytes() == (tmp_path / "names" / "risk.jsonl").read_bytes()


def test_the_board_and_the_messages_show_names_and_keep_unnamed_ids(tmp_path):
    load_config(_config(tmp_path / "names.toml", {"north": "城北供电公司"}, {"ops-north": "城北运维班"}))
    scope = {"department": "ops-north", "region": "north"}
    assert scope_md(scope, "zh") == "部门 城北运维班 · 区域 城北供电公司"
    assert scope_plain({"region": "south"}, "en") == "Region south"          # no name given: the id
    assert evidence_text({"department": "ops-north", "overdue": 3}, lang="zh") == "部门: 城北运维班 · 超时: 3"
    alert = {"alert_id": "a-1", "fingerprint": "f", "status": "firing", "ts": "2026-07-14T09:40:00+08:00",
             "since": "2026-07-14T09:32:40+08:00", "kind": "backlog_growth", "stage": "feedback", "scope": scope,
             "tier": "orange", "score": 1.0, "summary": "", "evidence": {"department": "ops-north"}}
    title, body = render(Notification("k", "staff", "group", 0.0, [alert]), "zh", "http://board")
    assert "部门 城北运维班 · 区域 城北供电公司" in title and "部门=城北运维班" in body
    load_config(None)                                                        # defaults: ids again
    assert scope_md(scope, "zh") == "部门 ops\\-north · 区域 north"


def test_a_staff_profile_may_be_given_by_name_and_keeps_the_id(tmp_path):
    """`yujing users add --region 城北` routes the north region's alerts to the user: routing matches ids."""
    from typer.testing import CliRunner

    from dashboard.auth import load_users
    from yujing.cli import app
    cfg = _config(tmp_path / "names.toml", {"north": "城北"}, {"north-repair-2": "城北抢修二班"})
    path = tmp_path / "u.toml"
    r = CliRunner().invoke(app, ["users", "add", "li", "--role", "staff", "--password", "pw-123456", "--region",
                                 "城北", "--department", "城北抢修二班", "--file", str(path), "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    li = load_users(path)["li"]
    assert (li.region, li.department) == ("north", "north-repair-2")
    r = CliRunner().invoke(app, ["users", "add", "wu", "--role", "staff", "--password", "pw-123456", "--region",
                                 "harbour", "--file", str(path), "--config", str(cfg)])
    assert r.exit_code == 0 and load_users(path)["wu"].region == "harbour"   # an id without a name: as typed
