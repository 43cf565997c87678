"""The alert history page against a real Redis and the real AlertStore: one page never contradicts itself."""
from __future__ import annotations

import json
import time

import pytest

from tests.dash_fixtures import app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401

pytest.importorskip("alerts.store")


def _step(alert: dict, status: str, seq: int, at: float, **extra) -> dict:
    from yujing.records import fmt_ts
    return {**alert, "status": status, "seq": seq, "ts": fmt_ts(at), **extra}


def _history_table(at):
    """The history table as the screen shows it: a missing minute reads "—" (the table's placeholder), a minute
    one decimal (its column's format); the cells themselves stay numbers, so the columns sort."""
    element = next(d for d in at.dataframe if "Summary" in d.value.columns)
    assert element.proto.placeholder == "—"
    formats = {c: v.get("type_config", {}).get("format") for c, v in json.loads(element.proto.columns).items()}
    df = element.value.copy()
    for col in ("Time to ack (min)", "Time to resolve (min)"):
        assert formats[col] == "%.1f" and df[col].dtype.kind == "f"
        df[col] = ["—" if v != v else f"{v:.1f}" for v in df[col]]
    return df


def _story(at):
    return next(d.value for d in at.dataframe if list(d.value.columns) == ["Time", "What", "Who", "Detail"])


def test_history_row_and_story_of_the_picked_alert_agree_when_it_changed_since_the_table_was_read(board_env):
    """The history rows are read at most every 5 s (st.cache_data); the alert's story is read on every run. The
    red alert is resolved between two runs, within those 5 s: its row, the statistics and its story all say
    resolved, at the same time (the lead's screenshot: the row said "acknowledged", the story below "resolved")."""
    from tests.dash_seed import seed, writer
    put_snapshot(board_env["redis_url"], snapshot())
    red = seed(board_env["redis_url"])[0]           # the newest alert: the story panel opens on it
    fired = time.time() - 600
    store = writer(board_env["redis_url"])
    store.apply([_step(red, "acknowledged", 2, fired + 90, by="duty")])
    at = app_test("qa").run()
    assert not at.exception, at.exception
    row = _history_table(at).iloc[0]
    assert (row["Tier"], row["Status"], row["Ack"], row["Time to resolve (min)"]) == ("Red · I", "acknowledged",
                                                                                       "duty", "—")
    assert list(_story(at)["What"]) == ["firing", "acknowledged"]

    store.apply([_step(red, "resolved", 3, fired + 300, reason="cleared")])
    at.run()                                        # well within the history read's 5 s
    assert not at.exception, at.exception
    row = _history_table(at).iloc[0]
    assert (row["Status"], row["Time to ack (min)"], row["Time to resolve (min)"]) == ("resolved", "1.5", "5.0")
    assert list(_story(at)["What"]) == ["firing", "acknowledged", "resolved"]
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["MTTA"], tiles["MTTR"]) == ("1.5 min", "5.0 min")   # as the row says (was "2 min": rounded)


def test_the_alert_picked_further_down_is_the_one_read_as_of_now(board_env):
    from tests.dash_seed import seed, writer
    put_snapshot(board_env["redis_url"], snapshot())
    orange = seed(board_env["redis_url"])[1]
    at = app_test("qa").run()
    at.selectbox(key="h_pick").set_value(orange["alert_id"]).run()
    writer(board_env["redis_url"]).apply([_step(orange, "resolved", 2, time.time() - 1200 + 180, reason="cleared")])
    at.run()
    assert not at.exception, at.exception
    table = _history_table(at)
    assert list(table["Status"]) == ["firing", "resolved", "firing", "firing"]   # newest first: red, orange, ...
    assert list(table["Time to resolve (min)"])[1] == "3.0"
    assert list(_story(at)["What"]) == ["firing", "resolved"]


def test_notifications_of_an_alert_read_as_words_and_counts_are_whole(board_env):
    from tests.dash_seed import seed, writer
    put_snapshot(board_env["redis_url"], snapshot())
    red = seed(board_env["redis_url"])[0]
    writer(board_env["redis_url"]).record_delivery(red["alert_id"], {
        "ok": False, "attempts": 3, "error": "timeout after 5s", "target": "dingtalk", "receiver": "duty-north",
        "key": "k1", "reason": "firing", "status": "firing", "seq": 1, "ts": time.time()})
    at = app_test("qa").run()
    assert not at.exception, at.exception
    sent = next(d.value for d in at.dataframe if "Attempts" in d.value.columns)
    assert list(sent.columns) == ["Time", "What", "Receiver", "Channel", "Result", "Attempts", "Error"]
    assert list(sent.iloc[0])[1:] == ["firing", "duty-north", "dingtalk", "✗ failed", 3, "timeout after 5s"]
    assert sent.iloc[0]["Time"].startswith("20")   # a date, not an epoch number
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]   # alerts per day, alerts per kind
    axes = [enc["axis"] for spec in specs for enc in spec["encoding"].values() if enc.get("aggregate") == "count"]
    assert len(axes) == 2 and all(a == {"format": "d", "tickMinStep": 1} for a in axes)   # no "0.2 alerts" ticks


def test_a_lapsed_acknowledgement_is_not_an_acknowledgement(board_env):
    """The worker writes an ack timeout (and an un-acknowledge) as an "acknowledged" record with
    acknowledged=False. It is not an acknowledgement: not in the status, not in the time to acknowledge."""
    from tests.dash_seed import seed, writer
    put_snapshot(board_env["redis_url"], snapshot())
    red, orange = seed(board_env["redis_url"])[:2]
    fired_red, fired_orange = time.time() - 600, time.time() - 1200
    writer(board_env["redis_url"]).apply([
        _step(red, "acknowledged", 2, fired_red + 300, acknowledged=False, reason="ack_timeout"),   # +5 min
        _step(red, "acknowledged", 3, fired_red + 480, acknowledged=True, by="duty"),                    # +8 min
        _step(orange, "acknowledged", 2, fired_orange + 300, acknowledged=False, reason="ack_timeout")])
    at = app_test("qa").run()
    assert not at.exception, at.exception
    table = _history_table(at)
    red_row, orange_row = table.iloc[0], table.iloc[1]
    assert (red_row["Status"], red_row["Ack"], red_row["Time to ack (min)"]) == ("acknowledged", "duty", "8.0")
    assert (orange_row["Status"], orange_row["Ack"], orange_row["Time to ack (min)"]) == ("firing", "", "—")
    assert list(_story(at)["What"]) == ["firing", "ack timed out", "acknowledged"]
    assert {m.label: m.value for m in at.metric}["MTTA"] == "8.0 min"


def test_mtta_counts_every_alert_ever_acknowledged_from_firing_to_its_first_ack(board_env):
    """MTTA is firing to the first acknowledgement over every alert acknowledged at some point: an ack taken back or
    lapsed still counted (only alerts acknowledged now were, which made MTTA look better than it was), and the
    share of alerts nobody ever acknowledged is shown beside it."""
    from tests.dash_seed import seed, writer
    put_snapshot(board_env["redis_url"], snapshot())
    red, orange, yellow, _blue = seed(board_env["redis_url"])   # fired 10, 20, 30, 40 min ago; blue: never acked
    now = time.time()
    fired_red, fired_orange, fired_yellow = now - 600, now - 1200, now - 1800
    writer(board_env["redis_url"]).apply([
        _step(red, "acknowledged", 2, fired_red + 120, by="duty"),                                       # +2 min
        _step(red, "acknowledged", 3, fired_red + 240, acknowledged=False, reason="unack", by="duty"),  # taken back
        _step(orange, "acknowledged", 2, fired_orange + 360, by="zhang"),                                # +6 min
        _step(orange, "acknowledged", 3, fired_orange + 960, acknowledged=False, reason="ack_timeout"),  # lapsed
        _step(yellow, "acknowledged", 2, fired_yellow + 180, by="duty"),                                 # +3 min
        _step(yellow, "acknowledged", 3, fired_yellow + 600, by="duty")])                                # again
    at = app_test("qa").run()
    assert not at.exception, at.exception
    table = _history_table(at)                                  # newest first: red, orange, yellow, blue
    assert list(table["Status"]) == ["firing", "firing", "acknowledged", "firing"]
    assert list(table["Time to ack (min)"]) == ["2.0", "6.0", "3.0", "—"]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["MTTA"] == "3.7 min"                           # (2 + 6 + 3) / 3, not 3.0 (yellow alone)
    assert tiles["Never acknowledged"] == "25%"                 # blue: 1 of 4


def test_a_label_has_no_default_verdict_and_shows_as_pending_until_the_store_has_it(board_env):
    """The label choice defaulted to "useful" (a default verdict biases the review) and a label sent showed only as a
    toast: until the worker applied it, the page said nothing. Now the reviewer must choose; a sent label reads
    "waiting for the worker" until the store has it, then it is in the row and under the story."""
    from tests.dash_seed import seed, writer
    from tests.test_dashboard_actions import commands
    from yujing.records import fmt_ts
    put_snapshot(board_env["redis_url"], snapshot())
    red = seed(board_env["redis_url"])[0]                  # the newest: the story panel opens on it
    aid = red["alert_id"]
    at = app_test("qa").run()
    assert not at.exception, at.exception
    assert at.radio(key=f"lbl-{aid}").value is None         # no verdict until the reviewer picks one
    assert at.button(key=f"lblbtn-{aid}").disabled
    assert "Not labelled yet" in [c.value for c in at.caption]

    at.radio(key=f"lbl-{aid}").set_value("false_alarm").run()
    at.button(key=f"lblbtn-{aid}").click().run()
    assert not at.exception, at.exception
    assert [(c["action"], c["alert_id"], c["label"], c["by"]) for c in commands(board_env["redis_url"])] == [
        ("label", aid, "false_alarm", "qa")]
    assert "Not labelled yet · :material/hourglass_top: Sent, waiting for the worker: False alarm" in [
        c.value for c in at.caption]
    at.run()                                                # the worker has not applied it yet: still pending
    assert any("waiting for the worker: False alarm" in c.value for c in at.caption)
    assert _history_table(at).iloc[0]["Labels"] == ""

    writer(board_env["redis_url"]).apply([{"record": "label", "label": "false_alarm", "by": "qa",
                                            "ts": fmt_ts(time.time()), "alert_id": aid,
                                            "fingerprint": red["fingerprint"]}])   # as the worker writes it
    at.run()
    assert not at.exception, at.exception
    assert not any("waiting for the worker" in c.value for c in at.caption)
    assert "Labels\\: False alarm \\(qa\\)" in [c.value for c in at.caption]
    assert _history_table(at).iloc[0]["Labels"] == "False alarm"


def _history_element(at):
    return next(d for d in at.dataframe if "Summary" in d.value.columns or "摘要" in d.value.columns)


def test_labels_read_as_words_in_the_story_and_have_room_in_the_table(board_env):
    """The story showed the label command's code ("label: false_alarm") where the rest of the board says "False
    alarm", and the Labels column, sized to the empty column it first was, cut a label that landed to "False alar"."""
    from tests.dash_seed import seed
    put_snapshot(board_env["redis_url"], snapshot())
    aid = seed(board_env["redis_url"])[0]["alert_id"]
    at = app_test("qa").run()
    at.radio(key=f"lbl-{aid}").set_value("false_alarm").run()
    at.button(key=f"lblbtn-{aid}").click().run()
    assert not at.exception, at.exception
    assert list(_story(at)["Detail"])[-1] == "label: False alarm"
    assert json.loads(_history_element(at).proto.columns)["Labels"]["width"] == 150

    at = app_test("qa")
    at.session_state["lang"] = "zh"                          # the same reviewer reading the board in Chinese
    at.run()
    assert not at.exception, at.exception
    story = next(d.value for d in at.dataframe if list(d.value.columns) == ["时间", "事件", "人员", "详情"])
    assert list(story["详情"])[-1] == "标注: 误报"
    assert json.loads(_history_element(at).proto.columns)["标注"]["width"] == 150


def test_a_label_the_worker_never_applies_is_reported_after_a_bounded_wait(board_env, monkeypatch):
    """The worker answers nothing for a command it cannot apply (it logs a rejection; a stopped worker reads
    none): the label read "waiting for the worker" for the rest of the session. After LABEL_WAIT_S the page says
    it was not applied and the reviewer can send it again; a label the worker stores late clears the notice."""
    from dashboard.views import history
    from tests.dash_seed import seed, writer
    from tests.test_dashboard_actions import commands
    from yujing.records import fmt_ts
    assert history.LABEL_WAIT_S == 30.0
    monkeypatch.setattr(history, "LABEL_WAIT_S", 1.0)        # the same wait, shortened for the test
    put_snapshot(board_env["redis_url"], snapshot())
    red = seed(board_env["redis_url"])[0]
    aid = red["alert_id"]
    at = app_test("qa").run()
    at.radio(key=f"lbl-{aid}").set_value("false_alarm").run()
    at.button(key=f"lblbtn-{aid}").click().run()
    assert any("waiting for the worker: False alarm" in c.value for c in at.caption)
    assert not at.warning

    time.sleep(1.2)                                          # nothing stores it: no worker
    at.run()
    assert not at.exception, at.exception
    assert not any("waiting for the worker" in c.value for c in at.caption)
    assert [w.value for w in at.warning] == ["The label “False alarm” was not applied: the worker has not stored it "
                                             "within 1 s (it may be down, or have rejected the command). Send it again."]
    assert "Not labelled yet" in [c.value for c in at.caption]
    assert not at.button(key=f"lblbtn-{aid}").disabled

    at.button(key=f"lblbtn-{aid}").click().run()             # try again: sent again, pending again
    assert [c["label"] for c in commands(board_env["redis_url"])] == ["false_alarm", "false_alarm"]
    assert any("waiting for the worker: False alarm" in c.value for c in at.caption) and not at.warning

    time.sleep(1.2)
    at.run()
    assert len(at.warning) == 1
    writer(board_env["redis_url"]).apply([{"record": "label", "label": "false_alarm", "by": "qa",
                                            "ts": fmt_ts(time.time()), "alert_id": aid,
                                            "fingerprint": red["fingerprint"]}])   # the worker, late
    at.run()
    assert not at.warning
    assert "Labels\\: False alarm \\(qa\\)" in [c.value for c in at.caption]
