"""The history page as a quality team reviews a week of alerts: failures of the period, the per-kind review table."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from tests.dash_fixtures import app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401

pytest.importorskip("alerts.store")

DAY = 86400.0


def _step(alert: dict, status: str, seq: int, at: float, **extra) -> dict:
    from yujing.records import fmt_ts
    return {**alert, "status": status, "seq": seq, "ts": fmt_ts(at), **extra}


def _alert(redis_url: str, name: str, age_s: float, tier: str = "red", kind: str = "receive_lag",
           region: str = "south") -> dict:
    """One more firing alert (``name`` in its id) that fired ``age_s`` ago, written as the worker writes it."""
    from tests.dash_seed import writer
    from yujing.records import AlertRecord, fingerprint
    scope = {"region": region}
    fp = fingerprint(kind, scope)
    rec = AlertRecord(alert_id=f"{fp}-{name}", fingerprint=fp, status="firing", ts=time.time() - age_s,
                      kind=kind, stage="receive", scope=scope, tier=tier, score=0.9,
                      summary="受理超时", evidence={"overdue": 3}, extra={"seq": 1}).to_dict()
    writer(redis_url).apply([rec])
    return rec


def _label(alert: dict, label: str, by: str) -> dict:
    from yujing.records import fmt_ts
    return {"record": "label", "label": label, "by": by, "ts": fmt_ts(time.time()), "alert_id": alert["alert_id"],
            "fingerprint": alert["fingerprint"]}


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
    old = _alert(board_env["redis_url"], "old", 10 * DAY)
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


def test_the_tile_says_at_least_when_the_store_no_longer_keeps_all_of_the_periods_failures(board_env, monkeypatch):
    """The store keeps the newest FAILURES_KEPT failed rows: when they do not reach back to the period's start, the
    period's count is a lower bound and the tile says so."""
    from dashboard import data
    from tests.dash_seed import seed, writer
    put_snapshot(board_env["redis_url"], snapshot())
    red = seed(board_env["redis_url"])[0]
    store, now = writer(board_env["redis_url"]), time.time()
    for i in range(3):
        _failed(store, red, f"k{i}", "dingtalk", now - 500 + i)
    monkeypatch.setattr(data, "FAILURES_KEPT", 3)         # as if the store kept only these three
    at = app_test("qa").run()
    assert not at.exception, at.exception
    assert _tiles(at)["Notification failures"] == "≥ 3"
    monkeypatch.setattr(data, "FAILURES_KEPT", 4)
    data.refresh()
    at.run()
    assert _tiles(at)["Notification failures"] == "3"


def _review(at):
    return next(d.value for d in at.dataframe if "Never acked" in d.value.columns)


def _seed_week(redis_url: str) -> None:
    """Seven alerts of four kinds with known acks, escalations, labels, resolutions and failed messages.

    receive_lag: r1 red north (ack +2 min, resolved +5, useful), r2 orange south (never acked, escalated to step 1,
    resolved +20, false alarm), r3 yellow north (escalated to step 1, ack +6, taken back, then assigned: the row's
    step is 0 again; labelled useful by one reviewer and false alarm by another). backlog_growth: orange north,
    ack +1, useful. sentiment_drop: yellow south, escalated twice, nobody acked. repeat_contact: blue, untouched.
    Failed: one group message about r1 and backlog_growth on dingtalk (two rows), one about r2 by mail."""
    from dashboard.data import epoch
    from tests.dash_seed import seed, writer
    r1, backlog, mood, _repeat = seed(redis_url)
    r2 = _alert(redis_url, "r2", 3000, tier="orange", region="south")
    r3 = _alert(redis_url, "r3", 3600, tier="yellow", region="north")
    f = {a["alert_id"]: epoch(a["ts"]) for a in (r1, r2, r3, backlog, mood)}
    at = lambda a, s: f[a["alert_id"]] + s   # noqa: E731 - seconds after the alert fired
    store = writer(redis_url)
    store.apply([
        _step(r1, "acknowledged", 2, at(r1, 120), by="duty"), _step(r1, "resolved", 3, at(r1, 300), reason="cleared"),
        _step(r2, "escalated", 2, at(r2, 900), escalation_step=1, escalated_to="lead", reason="unacknowledged"),
        _step(r2, "resolved", 3, at(r2, 1200), reason="cleared"),
        _step(r3, "escalated", 2, at(r3, 300), escalation_step=1, escalated_to="lead", reason="unacknowledged"),
        _step(r3, "acknowledged", 3, at(r3, 360), by="duty"),
        _step(r3, "acknowledged", 4, at(r3, 600), acknowledged=False, reason="unack", by="duty"),
        _step(r3, "escalated", 5, at(r3, 700), escalation_step=0, assigned_to="zhang", by="duty", reason="assigned"),
        _step(backlog, "acknowledged", 2, at(backlog, 60), by="zhang"),
        _step(mood, "escalated", 2, at(mood, 900), escalation_step=1, escalated_to="lead", reason="unacknowledged"),
        _step(mood, "escalated", 3, at(mood, 1500), escalation_step=2, escalated_to="head", reason="unacknowledged"),
        _label(r1, "useful", "qa"), _label(r2, "false_alarm", "qa"), _label(r3, "useful", "qa"),
        _label(r3, "false_alarm", "li"), _label(backlog, "useful", "qa")])
    now = time.time()
    _failed(store, r1, "g1", "dingtalk", now - 400)
    _failed(store, backlog, "g1", "dingtalk", now - 400)
    _failed(store, r2, "k2", "mailto", now - 2000)
    _failed(store, mood, "k5", "dingtalk", now - 900, ok=True)


COLS = ["Kind", "Alerts", "Red/orange", "Labelled", "Useful", "False alarms", "False-alarm share", "Never acked",
        "Median time to ack (min)", "Median time to resolve (min)", "Escalated", "Notification failures"]


def _rows(df) -> list[list]:
    return [[None if isinstance(v, float) and v != v else v for v in row] for row in df.itertuples(index=False)]


def test_the_review_table_has_one_row_per_kind_noisiest_first_with_the_periods_figures(board_env):
    _seed_week(board_env["redis_url"])
    put_snapshot(board_env["redis_url"], snapshot())
    at = app_test("qa").run()
    assert not at.exception, at.exception
    df = _review(at)
    assert list(df.columns) == COLS
    assert _rows(df) == [
        # kind, alerts, red/orange %, labelled, useful, false, false %, never %, MTTA, MTTR, escalated %, failures
        ["Receive overdue", 3, 66.7, 3, 1, 2, 66.7, 33.3, 4.0, 12.5, 66.7, 2],
        ["Repeat contacts", 1, 0.0, 0, 0, 0, None, 100.0, None, None, 0.0, 0],
        ["Sentiment worsening", 1, 0.0, 0, 0, 0, None, 100.0, None, None, 100.0, 0],
        ["Backlog growing", 1, 100.0, 1, 1, 0, 0.0, 0.0, 1.0, None, 0.0, 1]]
    assert _tiles(at)["Notification failures"] == "2"        # g1 on dingtalk (two alerts, one message), k2 by mail
    element = next(d for d in at.dataframe if "Never acked" in d.value.columns)
    assert element.proto.placeholder == "—"                  # a figure not known yet reads "—", not "None"
    columns = json.loads(element.proto.columns)
    assert columns["Never acked"]["type_config"]["format"] == "%.0f%%"
    assert columns["Median time to ack (min)"]["type_config"]["format"] == "%.1f"

    at.toggle(key="h_review_region").set_value(True).run()    # the same alerts, per kind and region
    assert not at.exception, at.exception
    df = _review(at)
    assert list(df.columns) == COLS[:1] + ["Region"] + COLS[1:]
    assert _rows(df)[:2] == [
        ["Receive overdue", "south", 1, 100.0, 1, 0, 1, 100.0, 100.0, None, 20.0, 100.0, 1],
        ["Receive overdue", "north", 2, 50.0, 2, 1, 1, 50.0, 0.0, 4.0, 5.0, 50.0, 1]]
    assert [tuple(r[:2]) for r in _rows(df)[2:]] == [("Repeat contacts", "—"), ("Sentiment worsening", "south"),
                                                     ("Backlog growing", "north")]

    at.multiselect(key="h_region").set_value(["north"]).run()   # the page's filters apply to the review
    assert not at.exception, at.exception
    assert [tuple(r[:3]) for r in _rows(_review(at))] == [("Receive overdue", "north", 2), ("Backlog growing", "north", 1)]
    assert _tiles(at)["Notification failures"] == "1"


def test_the_review_reads_in_chinese_by_default(board_env):
    from detectors.fusion import KIND_ZH
    _seed_week(board_env["redis_url"])
    put_snapshot(board_env["redis_url"], snapshot())
    at = app_test("qa")
    at.session_state["lang"] = "zh"                           # the same reviewer reading the board in Chinese
    at.run()
    assert not at.exception, at.exception
    df = next(d.value for d in at.dataframe if "从未确认" in d.value.columns)
    assert list(df.columns)[:3] == ["类型", "预警数", "红/橙"]
    assert list(df["类型"]) == [KIND_ZH[k] for k in ("receive_lag", "repeat_contact", "sentiment_drop",
                                                     "backlog_growth")]
    assert list(df["误报率"])[0] == 66.7
