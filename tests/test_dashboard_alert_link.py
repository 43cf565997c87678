"""The link in a push message (``<board>/?alert=<id>``) opens that alert, for every role, after a login if needed."""
from __future__ import annotations

import time

import pytest

from tests.test_dashboard_actions import commands

from tests.dash_fixtures import PASSWORD, all_text, app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401

pytest.importorskip("alerts.store")


def _story(at):
    return next(d.value for d in at.dataframe if list(d.value.columns) == ["Time", "What", "Who", "Detail"])


def _opened(user: str | None, alert_id: str):
    at = app_test(user)
    at.query_params["alert"] = alert_id
    return at.run()


def test_the_push_link_opens_the_active_alert_with_its_actions_and_story(board_env):
    from tests.dash_seed import seed
    put_snapshot(board_env["redis_url"], snapshot())
    orange = seed(board_env["redis_url"])[1]          # not the newest: the live board would not open on it
    at = _opened("duty", orange["alert_id"])
    assert not at.exception, at.exception
    acks = [b for b in at.button if b.key == f"ack-{orange['alert_id']}"]
    assert len(acks) == 1, [b.key for b in at.button]  # its card, with the duty manager's Acknowledge
    assert list(_story(at)["What"]) == ["firing"]
    assert orange["summary"][:9] in all_text(at)
    acks[0].click().run()                              # acknowledged from the page the push opened
    assert not at.exception, at.exception
    assert [(c["action"], c["alert_id"], c["by"]) for c in commands(board_env["redis_url"])] == [
        ("ack", orange["alert_id"], "duty")]


def test_a_staff_member_opens_a_resolved_alert_and_reads_why_it_is_over(board_env):
    from tests.dash_seed import seed, writer
    from yujing.records import fmt_ts
    put_snapshot(board_env["redis_url"], snapshot())
    red = seed(board_env["redis_url"])[0]
    writer(board_env["redis_url"]).apply([{**red, "status": "resolved", "seq": 2, "ts": fmt_ts(time.time() - 60),
                                           "reason": "cleared"}])
    at = _opened("zhang", red["alert_id"])
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key == f"ack-{red['alert_id']}"]
    assert "no longer active (resolved)" in all_text(at)
    assert list(_story(at)["What"]) == ["firing", "resolved"]


def test_an_unknown_alert_says_so(board_env):
    put_snapshot(board_env["redis_url"], snapshot())
    at = _opened("qa", "0123456789abcdef-99")
    assert not at.exception, at.exception
    assert "has no alert 0123456789abcdef-99" in all_text(at)


def test_the_link_survives_the_login(board_env):
    from tests.dash_seed import seed
    put_snapshot(board_env["redis_url"], snapshot())
    red = seed(board_env["redis_url"])[0]
    at = _opened(None, red["alert_id"])
    assert not at.exception, at.exception
    at.text_input(key="login_name").input("qa")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert list(_story(at)["What"]) == ["firing"]       # the alert, not the quality team's landing page
    assert at.query_params["alert"] in (red["alert_id"], [red["alert_id"]])


def test_a_mangled_link_shows_nothing_of_what_it_holds(board_env):
    put_snapshot(board_env["redis_url"], snapshot())
    at = _opened("duty", "<b>13812345678</b>")
    assert not at.exception, at.exception
    text = all_text(at)
    assert "no valid alert id" in text and "13812345678" not in text and "<b>" not in text
