"""The live board against a real Redis: what it shows, freshness, and that customer text stays text."""
from __future__ import annotations

import time

import streamlit as st
from streamlit.proto.Metric_pb2 import Metric

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
    workers = next(m for m in at.metric if m.label == "Workers")
    assert workers.value == "2" and workers.proto.delta == "" and workers.proto.help == ("Live processes (heartbeat within 15 s): "
                                                          "orders ×1 · aggregates & alerts ×1")


def test_a_worker_restoring_its_tables_is_named_on_the_workers_tile(board_env):
    snap = snapshot()
    snap["runtime"]["workers"]["worker-2"] = {"role": "orders", "wall": time.time(), "recovering": True}
    put_snapshot(board_env["redis_url"], snap)
    at = app_test("duty").run()
    workers = next(m for m in at.metric if m.label == "Workers")
    assert workers.value == "3" and workers.proto.delta == "1 restoring state"


def test_a_worker_retrying_a_write_is_named_with_how_long_and_what(board_env):
    """streams.retrying: a worker whose writes fail says so in its heartbeat; the tile turns red and its help
    names the worker, the write and the tries (a blocked write beats "restoring" on the tile)."""
    snap = snapshot()
    snap["runtime"]["workers"]["worker-2"] = {"role": "orders", "wall": time.time(), "recovering": True,
                                              "blocked": {"output": {"since": time.time() - 42, "tries": 7,
                                                                     "error": "KafkaTimeoutError()", "for_s": 42.0}}}
    put_snapshot(board_env["redis_url"], snap)
    at = app_test("duty").run()
    workers = next(m for m in at.metric if m.label == "Workers")
    assert workers.proto.delta == "1 blocked writing, retrying for 42 s"
    assert "worker-2: output (7×)" in workers.proto.help and workers.proto.color == Metric.RED   # inverse: "up" is bad
    assert "unable to write" not in all_text(at), "blocked less than a minute: the tile only"
    assert "Live data" in all_text(at) and "Data may lag" not in all_text(at)
    snap["runtime"]["workers"]["worker-2"]["blocked"]["output"]["for_s"] = 95.0
    put_snapshot(board_env["redis_url"], snap)
    st.cache_data.clear()   # the board reads Redis at most every 1.5 s
    at = app_test("duty").run()
    assert "1 worker(s) unable to write for 95 s, retrying" in all_text(at), "a minute or more: a banner at the top"
    assert "Data may lag" in all_text(at) and "Live data" not in all_text(at), "the pill is no longer green"


def test_backlog_trend_shows_only_once_there_is_history_for_it(board_env):
    snap = snapshot()
    snap["stages"]["decompose"]["backlog_growth_per_h"] = None    # a board that has just opened
    snap["stages"]["feedback"]["backlog_growth_per_h"] = 0.2      # flat: no alarm colour
    put_snapshot(board_env["redis_url"], snap)
    at = app_test("duty").run()
    backlogs = {m.value: m for m in at.metric if m.label == "Backlog"}
    assert backlogs["120"].proto.delta == "+35/h"                  # receive: an hour of history, growing
    assert backlogs["40"].proto.delta == ""                        # decompose: no trend yet, no chip
    assert "Theil–Sen" in backlogs["40"].proto.help
    assert backlogs["300"].proto.delta == "+0/h" and backlogs["300"].proto.color != backlogs["120"].proto.color


def test_stale_snapshot_turns_red(board_env):
    old = time.time() - 300
    put_snapshot(board_env["redis_url"], snapshot(now=old))
    at = app_test("duty").run()
    assert "DATA STALLED" in all_text(at)


def _freshness_caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("snapshot "))


def test_freshness_caption_gives_the_newest_events_age_as_of_now(board_env):
    """The snapshot's newest event was 2 s old when it was written 611 s ago: the caption said "newest event 2s
    ago" under a red pill. Its age now is 613 s. And a snapshot 40 s old whose newest event was 30 s older has
    had no event for 70 s: past the 60 s limit, stalled (the pill stayed green, each gap under 60 s alone)."""
    put_snapshot(board_env["redis_url"], snapshot(now=time.time() - 611))
    at = app_test("duty").run()
    assert not at.exception, at.exception
    caption = _freshness_caption(at)
    assert caption.startswith(("snapshot 611s ago · newest event 613s ago", "snapshot 612s ago · newest event 614s ago"))
    assert "DATA STALLED" in all_text(at)

    wrote = time.time() - 40
    put_snapshot(board_env["redis_url"], snapshot(now=wrote, newest_event_ts=wrote - 30))
    st.cache_data.clear()
    at = app_test("duty").run()
    caption = _freshness_caption(at)
    assert caption.startswith(("snapshot 40s ago · newest event 70s ago", "snapshot 41s ago · newest event 71s ago"))
    assert "DATA STALLED" in all_text(at) and "Live data" not in all_text(at)


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
                                            "时限已用: 100% · 风险因素: 催办 2 次, 施压表述（录音、最后通牒、追究到底等）")
    assert evidence_text(ev, lang="en") == ("category: fault repair · channel: hotline · deadline step: receive ack · "
                                            "customer tier: potential · deadline used: 100% · "
                                            "risk factors: urged 2x, escalation intent")


def _model(**over):
    bins = [{"lo": 0.0, "hi": 0.1, "n": 1500, "predicted": 0.03, "observed": 0.02},
            {"lo": 0.5, "hi": 0.6, "n": 60, "predicted": 0.55, "observed": 0.48},
            {"lo": 0.9, "hi": 1.0, "n": 40, "predicted": 0.93, "observed": 0.85}]
    return {"risk_auc": 0.87, "brier": 0.041, "labels": 5200, "positives": 310, "window": 2000,
            "calibration": bins, "blend": 1.0, "category_labels": 4800, "category_mature": True, **over}


def test_model_quality_section_shows_auc_and_reliability_chart(board_env):
    put_snapshot(board_env["redis_url"], snapshot(model=_model()))
    at = app_test("duty").run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert {m.label: m.value for m in at.metric}["Risk model AUC"] == "0.87"
    assert "Model quality" in text and "AUC 0.87: the chance that an order which escalated" in text
    assert "last 2000 labels · 5200 in all (310 escalated) · Brier 0.041" in text
    assert "risk = 100% learned model + 0% expert rules" in text and "misfiling hints on" in text
    charts = [c for c in at.get("vega_lite_chart") if "Observed escalation rate" in c.proto.spec]
    assert len(charts) == 1   # the reliability chart (the heat map is the other one), with its dashed diagonal
    assert "Predicted risk" in charts[0].proto.spec and "strokeDash" in charts[0].proto.spec


def test_model_quality_says_learning_in_plain_words_when_labels_are_few(board_env):
    young = _model(risk_auc=None, labels=12, positives=2, window=12, category_labels=30, category_mature=False,
                   blend=0.03)
    put_snapshot(board_env["redis_url"], snapshot(model=young))
    at = app_test("root").run()   # a Chinese board
    assert not at.exception, at.exception
    text = all_text(at)
    assert "模型质量" in text and "模型学习中：已有 12 个标签（其中升级 2 个）" in text
    assert "风险 = 3% 学习模型 + 97% 专家规则" in text and "学习中，暂不提示" in text
    assert "升级标签" not in text                     # none waiting: nothing said
    assert {m.label: m.value for m in at.metric}["风险模型 AUC"] == "—"
    assert not [c for c in at.get("vega_lite_chart") if "实际升级比例" in c.proto.spec]


def test_model_quality_says_how_many_escalations_wait_to_be_learned(board_env):
    first_day = _model(risk_auc=None, labels=0, positives=0, window=0, blend=0.0, held_positives=37,
                       label_delay_h=24)
    put_snapshot(board_env["redis_url"], snapshot(model=first_day))
    for user, words in (("root", "另有 37 个升级标签将在到达 24 小时后学习"),
                        ("duty", "37 escalations will be learned 24 h after they arrived")):
        at = app_test(user).run()
        assert not at.exception, at.exception
        assert words in all_text(at)


def test_every_evidence_key_the_detectors_write_reads_in_chinese_and_in_english_words():
    """A Chinese board shows no English evidence key: replay a simulator stream with incidents and collect the
    keys of every alert's evidence."""
    from detectors.fusion import EVIDENCE_ZH, evidence_label
    from streams.monitor import Monitor
    from yujing.config import load_config
    from yujing.events import parse_event
    from yujing.simulator import SimOptions, iter_events, parse_incident, regions_from_spec

    regions = regions_from_spec("6")
    specs = ["outage_surge:east:300:120", "department_stall:south-marketing:320:120", "sentiment_storm:west:280:200",
             "misclassification_wave:wechat:300:200", "slow_feedback:north:330:150"]
    opts = SimOptions(start=1783958400.0, hours=10, seed=5, regions=regions,
                      incidents=[parse_incident(s, regions) for s in specs])
    monitor = Monitor(load_config(None))
    keys: dict[str, str] = {}
    for raw in iter_events(opts):
        for a in monitor.ingest(parse_event(raw)).alerts:
            for k in (a.evidence or {}):
                keys.setdefault(k, a.kind)
    assert len({kind for kind in keys.values()}) >= 4, keys   # several detectors spoke
    assert {k: kind for k, kind in keys.items() if k not in EVIDENCE_ZH} == {}
    # an English board and message label them in words, not as the detectors' snake_case keys
    assert [evidence_label(k, "en") for k in keys if "_" in evidence_label(k, "en")] == []


def test_notifications_that_failed_after_their_retries_put_a_banner_on_the_wall(board_env):
    """Staff not being reached is the duty manager's problem now, not the quality team's next week: messages that
    failed after every retry in the last 15 min are counted (one per message and channel, a digest once) with
    their channels, and what still waits in the stream of intents; older failures are history, not a banner."""
    from tests.dash_seed import seed, writer
    snap = snapshot()
    snap["runtime"]["workers"]["aggregator"] = {"role": "aggregates", "wall": time.time(), "notify": {"stream": 4}}
    put_snapshot(board_env["redis_url"], snap)
    alerts = seed(board_env["redis_url"])
    store = writer(board_env["redis_url"])
    at = app_test("duty").run()
    assert "Push failing" not in all_text(at)
    row = {"ok": False, "attempts": 6, "error": "connection refused", "receiver": "staff", "status": "firing"}
    store.record_delivery(alerts[0]["alert_id"], {**row, "key": "old", "target": "json://hook:80",
                                                  "ts": time.time() - 3600})
    st.cache_data.clear()
    at = app_test("duty").run()
    assert "Push failing" not in all_text(at), "an hour-old failure is history"
    for a in alerts[:2]:   # one digest of two alerts to the mail server, and a webhook
        store.record_delivery(a["alert_id"], {**row, "key": "g7", "target": "mailto://smtp.example.cn",
                                              "ts": time.time() - 120})
    store.record_delivery(alerts[0]["alert_id"], {**row, "key": "k9", "target": "json://hook:80", "ts": time.time()})
    st.cache_data.clear()
    at = app_test("duty").run()
    assert not at.exception, at.exception
    (banner,) = [w.value for w in at.warning if "Push failing" in w.value]
    assert "2 notification(s) failed after all retries in the last 15 min" in banner
    assert "json hook\\:80, mailto smtp\\.example\\.cn" in banner and "4 waiting to be sent" in banner   # md-escaped
