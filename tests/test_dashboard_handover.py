"""The shift handover page against a real Redis and the real AlertStore: what is open and who has it, what the
shift saw, the report to paste, and handover notes (masked) that the next shift reads."""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

from tests.dash_fixtures import board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401


def _step(alert: dict, status: str, seq: int, at: float, **extra) -> dict:
    from yujing.records import fmt_ts
    return {**alert, "status": status, "seq": seq, "ts": fmt_ts(at), **extra}


def _page() -> None:
    from dashboard.views import handover
    handover.render()


def _handover(user: str):
    from streamlit.testing.v1 import AppTest

    from dashboard.auth import load_users
    at = AppTest.from_function(_page, default_timeout=30)
    at.session_state["user"] = load_users(Path(os.environ["YUJING_USERS_FILE"]))[user]
    return at


def _shift_began_hours_ago(monkeypatch, hours: float) -> None:
    start = datetime.now(timezone(timedelta(hours=8))) - timedelta(hours=hours)
    monkeypatch.setenv("YUJING_DASHBOARD__SHIFT_STARTS", json.dumps([start.strftime("%H:%M")]))
    from dashboard import data
    data.settings.cache_clear()


def _seed_shift(redis_url: str) -> list[dict]:
    """Four alerts fired 10-40 min ago; the red one acknowledged by duty, the yellow one resolved."""
    from tests.dash_seed import seed, writer
    put_snapshot(redis_url, snapshot())
    red, orange, yellow, blue = seed(redis_url)
    now = time.time()
    writer(redis_url).apply([_step(red, "acknowledged", 2, now - 540, by="duty"),
                             _step(yellow, "resolved", 2, now - 300, reason="cleared")])
    return [red, orange, yellow, blue]


def test_the_handover_lists_what_is_open_and_who_has_it_and_counts_the_shift(board_env, monkeypatch):
    _shift_began_hours_ago(monkeypatch, 2)
    _seed_shift(board_env["redis_url"])
    at = _handover("duty").run()
    assert not at.exception, at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles == {"Still open": "3", "Nobody on it": "2", "Fired this shift": "4", "Resolved this shift": "1",
                     "Never acknowledged": "3", "Failed pushes": "0"}
    table = next(d.value for d in at.dataframe if "Who has it" in d.value.columns)
    assert list(table["Tier"]) == ["Red · I", "Orange · II", "Blue · IV"]          # most severe first
    assert list(table["Who has it"]) == ["acknowledged by duty", "nobody on it", "nobody on it"]
    assert [round(v) for v in table["Open (min)"]] == [10, 20, 40]
    report = at.code[0].value
    assert report.splitlines()[1] == "Still open: 3"
    assert "This shift: 4 fired (Red · I 1, Orange · II 1, Yellow · III 1, Blue · IV 1), 1 resolved, " \
           "3 never acknowledged, 0 escalated, 0 failed pushes, 1 risky orders" in report


def test_the_report_counts_every_risky_order_not_only_the_fifteen_the_board_lists(board_env, monkeypatch):
    import redis
    _shift_began_hours_ago(monkeypatch, 2)
    _seed_shift(board_env["redis_url"])
    r = redis.Redis.from_url(board_env["redis_url"])
    r.zadd("yj:risk:top", {**{f"WO-R{i}": 0.3 + i / 100 for i in range(22)},
                           **{f"WO-L{i}": 0.05 for i in range(5)}})
    at = _handover("duty").run()
    assert not at.exception, at.exception
    assert "22 risky orders" in at.code[0].value          # yellow (0.2) and above; the board lists 15 at most


def test_an_alert_that_fired_before_the_shift_is_handed_over_but_not_counted_as_the_shifts(board_env, monkeypatch):
    _shift_began_hours_ago(monkeypatch, 0.25)          # 15 min ago: red fired within it, the others before
    _seed_shift(board_env["redis_url"])
    at = _handover("duty").run()
    assert not at.exception, at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Still open"], tiles["Fired this shift"], tiles["Resolved this shift"]) == ("3", "1", "1")


def test_a_handover_note_is_kept_masked_and_goes_into_the_report(board_env, monkeypatch):
    _shift_began_hours_ago(monkeypatch, 2)
    _seed_shift(board_env["redis_url"])
    at = _handover("duty").run()
    at.text_area(key="ho_note_text").input("北区抢修队缺 2 人；客户 13912345678 要回电 <b>x</b>")
    next(b for b in at.button if b.label == "Save handover note").click().run()
    assert not at.exception, at.exception
    assert any(s.value == "Handover note saved" for s in at.success)

    import redis
    entries = [orjson.loads(x) for x in redis.Redis.from_url(board_env["redis_url"]).lrange("yj:audit", 0, -1)]
    note = next(e for e in entries if e["action"] == "handover")
    assert note["who"] == "duty" and "13912345678" in note["detail"]["note"]    # the log keeps what was typed

    at = _handover("duty").run()                         # the next shift opens the page
    notes = next(d.value for d in at.dataframe if "Handover note" in d.value.columns)
    assert list(notes["Who"]) == ["duty"]
    assert list(notes["Handover note"]) == ["北区抢修队缺 2 人；客户 139****5678 要回电 <b>x</b>"]   # text, masked
    report = at.code[0].value
    assert "Handover notes:\n  - duty: 北区抢修队缺 2 人；客户 139****5678 要回电 <b>x</b>" in report
    assert "13912345678" not in report


def test_staff_read_the_handover_but_write_no_note_and_the_previous_shift_has_no_open_list(board_env, monkeypatch):
    _shift_began_hours_ago(monkeypatch, 2)
    _seed_shift(board_env["redis_url"])
    at = _handover("zhang").run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "Save handover note"] and not at.text_area
    at = _handover("duty").run()
    at.segmented_control(key="ho_which").set_value(1).run()
    assert not at.exception, at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Still open"], tiles["Fired this shift"]) == ("—", "0")    # all four fired in this shift
    assert not [d for d in at.dataframe if "Who has it" in d.value.columns]
