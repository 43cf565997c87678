"""Times on the board are on the business's clock (UTC+8 by default) and say so, whatever the server's zone."""
from __future__ import annotations

import time
from datetime import datetime

import pytest

from tests.dash_fixtures import all_text, app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401

pytest.importorskip("alerts.store")


@pytest.fixture()
def server_in_utc(monkeypatch):
    """The board process in UTC, as in the shipped image (python:3.11-slim sets no TZ)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_history_and_wall_clock_show_beijing_time_on_a_utc_server(board_env, server_in_utc):
    from tests.dash_seed import seed
    now = datetime.fromisoformat("2026-11-24T14:05:09+08:00").timestamp()
    put_snapshot(board_env["redis_url"], snapshot(now=time.time()) | {"now": now})
    red = seed(board_env["redis_url"])[0]                 # its ts: "2026-…T…+08:00", the worker's own format
    fired_in_beijing = red["ts"][:19].replace("T", " ")

    at = app_test("qa").run()                             # the quality team's history
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Summary" in d.value.columns)
    assert table.iloc[0]["Fired"] == fired_in_beijing
    story = next(d.value for d in at.dataframe if list(d.value.columns) == ["Time", "What", "Who", "Detail"])
    assert story.iloc[0]["Time"] == fired_in_beijing
    assert "Times in UTC+8" in all_text(at)

    at = app_test("duty").run()                           # the wall board's clock
    assert not at.exception, at.exception
    clock = next(m.value for m in at.markdown if m.value.startswith("<span class=\"yj-clock\">"))
    assert ">14:05:09</span>" in clock and ">UTC+8</span>" in clock


def test_how_long_an_alert_has_been_open_keeps_counting_when_the_data_stalls(board_env):
    """The worker stopped 5 minutes ago; the red alert fired 10 minutes ago and nobody could close it since. The
    board said "Since 5 min" (measured to the frozen snapshot), on the wall board and on staff's page alike, and
    the riskiest order stayed as old as its last record. Now: to now, on the alerts' clock."""
    from tests.dash_seed import seed
    stalled_at = time.time() - 300
    snap = snapshot(now=stalled_at)
    snap["risky_orders"][0].update(age_min=95, updated=stalled_at)
    put_snapshot(board_env["redis_url"], snap)
    seed(board_env["redis_url"])                           # the red fired 600 s ago, the orange 1200 s ago

    at = app_test("duty").run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert "DATA STALLED" in text
    assert "Receive overdue** · Region north · Since 10 min" in text and "Since 5 min" not in text
    assert "Backlog growing** · Department ops\\-north · Region north · Since 20 min" in text
    risky = next(d.value for d in at.dataframe if "Top factors" in d.value.columns)
    assert risky.iloc[0]["Age (min)"] == 100                # 95 when last written + the 5 minutes since

    at = app_test("zhang").run()                           # staff's "My alerts"
    assert not at.exception, at.exception
    assert "Receive overdue** · Region north · Since 10 min" in all_text(at)
