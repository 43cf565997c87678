"""The live board against a real Redis: what it shows, freshness, and that customer text stays text."""
from __future__ import annotations

import time

from tests.dash_fixtures import all_text, app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401


def test_login_required_then_landing_page(board_env):
    at = app_test().run()
    assert not at.exception
    assert at.text_input(key="login_name") is not None
    at.text_input(key="login_name").input("duty")
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    assert "Wrong user name or password" in all_text(at) or "用户名或密码错误" in all_text(at)
    assert "user" not in at.session_state


def test_board_shows_snapshot_figures_and_fresh_pill(board_env):
    put_snapshot(board_env["redis_url"], snapshot())
    at = app_test("duty").run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Live data" in text and "DATA STALLED" not in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Backlog"] in ("120", "40", "300")
    assert metrics["Events/min"] == "250"


def test_stale_snapshot_turns_red(board_env):
    old = time.time() - 300
    put_snapshot(board_env["redis_url"], snapshot(now=old))
    at = app_test("duty").run()
    assert "DATA STALLED" in all_text(at)


def test_customer_markup_is_text_and_pii_masked(board_env):
    put_snapshot(board_env["redis_url"], snapshot())
    at = app_test("duty").run()
    for m in at.markdown:
        if m.allow_html:
            assert "script" not in m.value and "1381234" not in m.value
    risky = at.dataframe[0].value
    cell = risky.iloc[0][risky.columns[-1]]
    assert "<script>" in cell  # shown literally, as text, in an escaped dataframe
    assert "13812345678" not in cell and "138****5678" in cell


def test_alert_evidence_reads_in_chinese_on_a_chinese_board():
    from dashboard.components import evidence_text
    ev = {"category": "fault_repair", "channel": "hotline", "check": "receive_ack", "customer_tier": "potential",
          "share_used": 1.0, "top_factors": ["urged_2x", "escalation_intent"]}
    assert evidence_text(ev, lang="zh") == ("分类: 故障报修 · 渠道: 95598 · 时限节点: 受理确认 · 客户等级: 潜在优质客户 · "
                                            "时限已用: 1.00 · 风险因素: 催办 2 次, 施压表述（录音、最后通牒、追究到底等）")
    assert evidence_text(ev, lang="en").startswith("category: fault_repair · channel: hotline")
