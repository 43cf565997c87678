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
    assert text.index("receive\\_lag") < text.index("backlog\\_growth") < text.index("sentiment\\_drop")
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
    assert "receive\\_lag" in text and "backlog\\_growth" in text and "sentiment\\_drop" not in text
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
