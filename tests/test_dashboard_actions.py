"""Board actions against a real Redis and the real AlertStore: the right command lands in yj:commands,
roles are enforced on the page, every action is audited."""
from __future__ import annotations

import json

import pytest

from tests.dash_fixtures import all_text, app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401

pytest.importorskip("alerts.store")


def commands(redis_url: str) -> list[dict]:
    import redis
    out = []
    for _id, fields in redis.Redis.from_url(redis_url, decode_responses=True).xrange("yj:commands"):
        if len(fields) == 1:
            (value,) = fields.values()
            try:
                out.append(json.loads(value))
                continue
            except ValueError:
                pass
        out.append(fields)
    return out


@pytest.fixture()
def seeded(board_env):
    from tests.dash_seed import seed
    put_snapshot(board_env["redis_url"], snapshot())
    return seed(board_env["redis_url"])


def test_board_lists_active_alerts_most_urgent_first(board_env, seeded):
    at = app_test("duty").run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Active alerts · 4" in text
    assert text.index("Receive overdue") < text.index("Backlog growing") < text.index("Sentiment worsening")
    assert "13812345678" not in text and "138\\*\\*\\*\\*5678" in text  # masked, and escaped as markdown
    for m in at.markdown:
        assert not (m.allow_html and ("客户原话" in m.value or "<b>" in m.value))


def test_ack_red_writes_command_and_audit(board_env, seeded):
    red = seeded[0]
    at = app_test("duty").run()
    at.button(key=f"ack-{red['alert_id']}").click().run()
    assert not at.exception, at.exception
    cmds = commands(board_env["redis_url"])
    assert [(c["action"], c["alert_id"], c["by"]) for c in cmds] == [("ack", red["alert_id"], "duty")]
    from dashboard import data
    log = data.store().audit_log(10)
    assert any(e.get("who") == "duty" and e.get("action") == "ack" for e in log)


def test_staff_sees_only_routed_alerts_and_cannot_silence_red(board_env, seeded):
    at = app_test("zhang").run()  # staff: region north, lands on "My alerts"
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Receive overdue" in text and "Backlog growing" in text and "Sentiment worsening" not in text
    assert "add agents" in text.lower() or "overflow" in text  # the playbook
    red, orange = seeded[0]["alert_id"], seeded[1]["alert_id"]
    keys = {b.key for b in at.button}
    inputs = {w.key for w in at.number_input} | {w.key for w in at.text_input}
    assert f"ack-{red}" in keys
    assert f"sh-{red}" not in inputs and f"rr-{red}" not in inputs  # no silence / resolve form on a red
    assert f"sh-{orange}" in inputs and f"rr-{orange}" in inputs
    assert "Only a duty manager may silence or resolve a red alert" in text


def test_duty_manager_silence_requires_reason_and_expiry(board_env, seeded):
    red = seeded[0]
    at = app_test("duty").run()
    at.number_input(key=f"sh-{red['alert_id']}").set_value(4.0)
    at.button(key=f"FormSubmitter:silence-{red['alert_id']}-Silence").click().run()
    assert commands(board_env["redis_url"]) == []  # no reason: nothing sent
    at.text_input(key=f"sr-{red['alert_id']}").input("planned outage in north")
    at.button(key=f"FormSubmitter:silence-{red['alert_id']}-Silence").click().run()
    (cmd,) = commands(board_env["redis_url"])
    assert cmd["action"] == "silence" and cmd["reason"] == "planned outage in north"
    assert float(cmd["until"]) > float(cmd["ts"]) + 3.9 * 3600


def _order_alerts(redis_url: str, n: int, region: str = "east") -> list[dict]:
    """``n`` red complaint-risk alerts of single orders in one region, written by the worker's AlertStore."""
    import time as _time

    from tests.dash_seed import writer
    from yujing.records import AlertRecord, fingerprint
    now = _time.time()
    out = []
    for i in range(n):
        scope = {"order_id": f"WO-20261123-9{i:05d}", "region": region}
        fp = fingerprint("complaint_risk", scope)
        out.append(AlertRecord(alert_id=f"{fp}-1", fingerprint=fp, status="firing", ts=now - 60 * i,
                               kind="complaint_risk", stage="feedback", scope=scope, tier="red", score=0.5 + i / 100,
                               summary=f"工单 {i} 投诉风险 客户电话13912345678", evidence={"urges": i},
                               extra={"seq": 1}).to_dict())
    writer(redis_url).apply(out)
    return out


def test_order_alerts_of_one_kind_and_region_fold_into_one_card(board_env, seeded):
    _order_alerts(board_env["redis_url"], 30)
    at = app_test("duty").run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Active alerts · 34" in text
    assert "30 orders" in text and "30 unacknowledged" in text
    # one card for the thirty, not thirty cards: the aggregate alerts of lower tiers are still on the first screen
    assert "Sentiment worsening" in text and "Repeat contacts" in text
    assert not [b for b in at.button if b.key and b.key.startswith("ack-") and "WO-20261123-9" in b.key]
    # the aggregate red leads its tier, the group comes next; the riskiest order is quoted first
    assert text.index("Receive overdue") < text.index("30 orders") < text.index("工单 29 投诉风险")
    assert "13912345678" not in text
    table = next(d.value for d in at.dataframe if "Order" in d.value.columns)
    assert len(table) == 30 and table.iloc[0]["Order"] == "WO-20261123-900029"


def test_acknowledge_all_sends_one_audited_ack_per_unacknowledged_order(board_env, seeded):
    orders = _order_alerts(board_env["redis_url"], 4)
    at = app_test("duty").run()
    at.button(key="ackall-red|complaint_risk|east").click().run()
    assert not at.exception, at.exception
    acks = [(c["action"], c["alert_id"]) for c in commands(board_env["redis_url"])]
    assert sorted(acks) == sorted(("ack", o["alert_id"]) for o in orders)
    from dashboard import data
    log = [e for e in data.store().audit_log(50) if e.get("action") == "ack"]
    assert len(log) == 4 and {e.get("who") for e in log} == {"duty"}


def test_few_order_alerts_stay_single_cards(board_env, seeded):
    orders = _order_alerts(board_env["redis_url"], 2)
    at = app_test("duty").run()
    assert not at.exception, at.exception
    keys = {b.key for b in at.button if b.key}
    assert {f"ack-{o['alert_id']}" for o in orders} <= keys
    assert not any(k.startswith("ackall-") for k in keys)


def test_tiles_say_how_many_alerts_are_about_a_region_or_department(board_env, seeded):
    _order_alerts(board_env["redis_url"], 5)
    at = app_test("duty").run()
    tiles = next(m.value for m in at.markdown if m.allow_html and m.value.startswith("<div class=\"yj-tiles\">"))
    assert ">6</div>" in tiles                      # red: the seeded region alert and five orders
    assert tiles.count("about a region, department or channel") == 3   # red, orange, yellow; the blue one is a customer


def test_quality_team_filters_history_to_region_level_alerts(board_env, seeded):
    _order_alerts(board_env["redis_url"], 5)
    at = app_test("qa").run()                         # the quality team lands on the alert history
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Summary" in d.value.columns)
    assert len(table) == 9
    at.multiselect(key="h_level").select("scope").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Summary" in d.value.columns)
    assert len(table) == 3 and not table["Scope"].str.contains("Order|customer_id").any()


def test_a_command_the_worker_never_applies_is_reported_on_its_card(board_env, seeded, monkeypatch):
    """No worker runs here, so an ack sent from the board is never applied: the card says 'waiting' at first,
    then, past the bounded wait, that it was not applied (it used to wait for the rest of the session), and the
    button stays to send it again."""
    from dashboard import alert_card
    red = seeded[0]
    at = app_test("duty").run()
    at.button(key=f"ack-{red['alert_id']}").click().run()
    at.run()                                                     # the board's next refresh
    assert "Sent, waiting for the worker: acknowledge" in all_text(at)
    monkeypatch.setattr(alert_card, "ACTION_WAIT_S", -1.0)      # the wait has passed
    at.run()
    text = all_text(at)
    assert "was not applied" in text and "waiting for the worker" not in text
    assert at.button(key=f"ack-{red['alert_id']}")               # it can be sent again


def test_a_command_the_alert_shows_leaves_no_pending_mark(board_env, seeded):
    """Once the alert shows the command's effect (here an ack the store has applied), the card no longer says
    it is waiting; an un-acknowledge that was applied (no acker any more) clears its mark the same way."""
    from dashboard import alert_card
    assert alert_card.applied("unack", {"acked_by": None}) and not alert_card.applied("unack", {"acked_by": "duty"})
    red = seeded[0]
    at = app_test("duty").run()
    at.button(key=f"ack-{red['alert_id']}").click().run()
    at.run()
    assert "waiting for the worker" in all_text(at)
    from dashboard import data
    from tests.dash_seed import writer
    writer(board_env["redis_url"]).apply([{**red, "status": "acknowledged", "by": "duty", "seq": 2}])
    data.refresh()
    at.run()
    assert "duty" in all_text(at)
    assert "waiting for the worker" not in all_text(at)
