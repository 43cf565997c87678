"""The history page as a quality team reviews a week of alerts: failures of the period, the per-kind review table."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.dash_fixtures import app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401

pytest.importorskip("alerts.store")

DAY = 86400.0


def _step(alert: dict, status: str, seq: int, at: float, **extra) -> dict:
    from yujing.records import fmt_ts
    return {**alert, "status": status, "seq": seq, "ts": fmt_ts(at), **extra}


def _old_alert(redis_url: str, age_s: float) -> dict:
    """A red receive_lag alert in the south that fired ``age_s`` ago (before the page's default 7 days if older)."""
    from tests.dash_seed import writer
    from yujing.records import AlertRecord, fingerprint
    scope = {"region": "south"}
    fp = fingerprint("receive_lag", scope)
    rec = AlertRecord(alert_id=f"{fp}-old", fingerprint=fp, status="firing", ts=time.time() - age_s,
                      kind="receive_lag", stage="receive", scope=scope, tier="red", score=0.9,
                      summary="南区受理超时", evidence={"overdue": 3}, extra={"seq": 1}).to_dict()
    writer(redis_url).apply([rec])
    return rec


def _failed(store, alert: dict, key: str, target: str, ts: float, ok: bool = False) -> None:
    store.record_delivery(alert["alert_id"], {"ok": ok, "attempts": 3, "error": None if ok else "timeout after 5s",
                                              "target": target, "receiver": "duty", "key": key, "reason": "group",
                                              "status": "firing", "seq": 1, "ts": ts})


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_notification_failures_tile_counts_the_periods_failed_messages_of_the_alerts_shown(board_env):
    """The tile counted every failed delivery row ever stored (up to 1000), whatever the period or filters: an alert
    from ten days ago still counted in "the last 7 days", and a message about two alerts (one row per alert)
    counted twice. Now: the messages (key, channel) that failed, for the alerts shown, in the period."""
    from dashboard import clock
    from tests.dash_seed import seed, writer
    put_snapshot(board_env["redis_url"], snapshot())
    red, orange, yellow, _blue = seed(board_env["redis_url"])
    old = _old_alert(board_env["redis_url"], 10 * DAY)
    store, now = writer(board_env["redis_url"]), time.time()
    _failed(store, red, "g1", "dingtalk", now - 500)         # one group message about red and orange, failed:
    _failed(store, orange, "g1", "dingtalk", now - 500)      # one row per alert, one message
    _failed(store, red, "g1", "mailto", now - 500)           # the same message on another channel: another failure
    _failed(store, yellow, "k3", "dingtalk", now - 1700)
    _failed(store, yellow, "k4", "dingtalk", now - 1600, ok=True)   # delivered: not a failure
    _failed(store, old, "k-old", "dingtalk", now - 10 * DAY + 60)   # ten days ago: not this week's
    at = app_test("qa").run()
    assert not at.exception, at.exception
    assert _tiles(at)["Notification failures"] == "3"        # g1/dingtalk, g1/mailto, k3/dingtalk (was 5)

    at.multiselect(key="h_kind").set_value(["sentiment_drop"]).run()   # the yellow alert alone
    assert not at.exception, at.exception
    assert _tiles(at)["Notification failures"] == "1"

    at.multiselect(key="h_kind").set_value([]).run()
    today = clock.today()
    at.date_input(key="h_range").set_value((today - timedelta(days=12), today - timedelta(days=8))).run()
    assert not at.exception, at.exception
    assert _tiles(at)["Notification failures"] == "1"        # the old alert's week: its own failure only
