"""An empty alert list says "all clear" only when the board knows it: not when the alert store cannot be read,
not when the data has stalled."""
from __future__ import annotations

import time

from tests.dash_fixtures import all_text, app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401


def _greens(at) -> list[str]:
    return [str(s.value) for s in at.success]


def test_wall_board_with_redis_unreachable_does_not_say_no_active_alerts(board_env, monkeypatch):
    from dashboard import data
    monkeypatch.setenv("YUJING_REDIS__URL", "redis://127.0.0.1:1/0")    # nothing listens there
    data.settings.cache_clear()
    at = app_test("duty").run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert "No active alerts" not in text and _greens(at) == []
    assert "Cannot read the alert store: whether there are alerts is unknown" in text
    assert "Active alerts · —" in text and "Active alerts · 0" not in text
    tiles = next(m.value for m in at.markdown if m.value.startswith('<div class="yj-tiles">'))
    assert '<div class="n">—</div>' in tiles and '<div class="n">0</div>' not in tiles   # not "0 red"


def test_my_alerts_on_stalled_data_is_not_an_all_clear(board_env):
    put_snapshot(board_env["redis_url"], snapshot(now=time.time() - 300))   # the worker stopped 5 min ago
    at = app_test("zhang").run()                                            # staff: lands on "My alerts"
    assert not at.exception, at.exception
    assert _greens(at) == []
    assert any("No alerts routed to you — but the data has stalled" in str(w.value) for w in at.warning)


def test_my_alerts_on_fresh_data_with_nothing_routed_is_an_all_clear(board_env):
    put_snapshot(board_env["redis_url"], snapshot())
    at = app_test("zhang").run()
    assert not at.exception, at.exception
    assert _greens(at) == ["No alerts routed to you"] and not at.warning


def test_my_alerts_on_stalled_data_say_the_list_may_be_incomplete(board_env):
    from tests.dash_seed import seed
    put_snapshot(board_env["redis_url"], snapshot(now=time.time() - 300))
    seed(board_env["redis_url"])
    at = app_test("zhang").run()
    assert not at.exception, at.exception
    assert "Receive overdue" in all_text(at)                  # the alerts routed to zhang are still listed
    assert any("The data has stalled: these are the alerts from before it stalled" in str(w.value) for w in at.warning)


def test_with_redis_unreachable_the_freshness_caption_says_so(board_env, monkeypatch):
    """It said "the worker has not written a board snapshot": the worker may be fine; Redis is what is down."""
    from dashboard import data
    monkeypatch.setenv("YUJING_REDIS__URL", "redis://127.0.0.1:1/0")    # nothing listens there
    data.settings.cache_clear()
    at = app_test("duty").run()
    assert not at.exception, at.exception
    captions = [str(c.value).replace("\\", "") for c in at.caption]     # as read: markdown escapes dropped
    assert not any("has not written" in c for c in captions)
    (why,) = [c for c in captions if c.startswith("No data: cannot read the board snapshot from Redis (ConnectionError")]
    assert "Connection refused" in why
    # nor do the figures read as zero: unknown is "—" (the stage cards said "Backlog 0", the table "No risky orders")
    assert {m.label: m.value for m in at.metric if m.label in ("Backlog", "Overdue")} == {"Backlog": "—",
                                                                                         "Overdue": "—"}
    assert [m.value for m in at.metric if m.label == "Backlog"] == ["—"] * 3
    assert "No risky orders" not in captions and "No board data: the riskiest orders are unknown" in captions


def test_with_redis_up_and_no_snapshot_yet_the_caption_names_the_worker(board_env):
    at = app_test("duty").run()                                              # Redis empty: no worker has written
    assert not at.exception, at.exception
    assert "No data: the worker has not written a board snapshot" in [str(c.value) for c in at.caption]
