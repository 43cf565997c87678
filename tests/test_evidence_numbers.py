"""Evidence numbers read alike on the board and in push messages: shares in per cent, multiples with 倍."""
from __future__ import annotations

from alerts.state import Notification
from alerts.templates import render
from dashboard.components import evidence_text

SURGE = {"alert_id": "s-1", "fingerprint": "s", "status": "firing", "ts": "2026-07-14T09:40:00+08:00",
         "since": "2026-07-14T09:32:40+08:00", "kind": "arrival_surge", "stage": "feedback",
         "scope": {"region": "east"}, "tier": "yellow", "score": 0.318,
         "summary": "区域 east 在全省 30 分钟故障报修中的占比 32%（正常约 25%）",
         "evidence": {"value": 0.318, "baseline": 0.25, "threshold": 0.38, "faults_30min": 15}}
ANGRY = {**SURGE, "alert_id": "a-1", "kind": "sentiment_drop", "stage": "receive",
         "evidence": {"value": 2.04, "baseline": 1.0, "threshold": 1.8, "negative_texts_60min": 9}}


def test_a_surge_share_is_a_percentage_on_the_board_and_in_the_message():
    board = evidence_text(SURGE["evidence"], lang="zh", kind="arrival_surge")
    _, body = render(Notification("k", "staff", "group", 0.0, [SURGE]), "zh", "http://board")
    assert board == "数值: 32% · 正常水平: 25% · 阈值: 38% · 30 分钟报修: 15"
    assert "依据: 数值=32%, 正常水平=25%, 阈值=38%, 30 分钟报修=15" in body
    assert "0.32" not in board + body and "0.318" not in body


def test_an_anger_lift_is_a_multiple_and_a_count_stays_whole():
    board = evidence_text(ANGRY["evidence"], lang="zh", kind="sentiment_drop")
    _, body = render(Notification("k", "staff", "group", 0.0, [ANGRY]), "zh", "http://board")
    assert board.startswith("数值: 2.0 倍 · 正常水平: 1.0 倍 · 阈值: 1.8 倍")
    assert "数值=2.0 倍" in body and "近 1 小时负面留言=9" in body
    _, en = render(Notification("k", "staff", "group", 0.0, [ANGRY]), "en", "http://board")
    assert "value=2.0×" in en


def test_the_deadline_used_by_an_order_reads_the_same_everywhere():
    order = {**SURGE, "alert_id": "o-1", "kind": "receive_lag", "scope": {"order_id": "WO-1", "region": "east"},
             "evidence": {"share_used": 0.9, "check": "receive_ack"}}
    board = evidence_text(order["evidence"], lang="zh", kind="receive_lag")
    _, body = render(Notification("k", "staff", "group", 0.0, [order]), "zh", "http://board")
    assert "时限已用: 90%" in board and "时限已用=90%" in body


def test_a_deadline_is_a_time_on_the_business_clock_on_the_board_and_in_the_message():
    """A lag alert's ``deadline`` is an epoch time: staff's message showed ``时限=1783992760``."""
    order = {**SURGE, "alert_id": "o-2", "kind": "feedback_lag", "scope": {"order_id": "WO-2", "region": "east"},
             "evidence": {"check": "arrival", "share_used": 0.9, "deadline": 1783992760.0}}
    board = evidence_text(order["evidence"], lang="zh", kind="feedback_lag")
    _, body = render(Notification("k", "staff", "group", 0.0, [order]), "zh", "http://board", utc_offset_h=8.0)
    assert "时限: 07-14 09:32" in board and "时限=07-14 09:32" in body
    assert "1783992760" not in board + body
    _, utc = render(Notification("k", "staff", "group", 0.0, [order]), "zh", "http://board", utc_offset_h=0.0)
    assert "时限=07-14 01:32" in utc   # on the clock the message is written on (UTC+0 here), said in its header


def test_a_topic_surge_message_reads_as_people_write_it():
    """Staff's message read ``话题=billing, 话题=billing``, ``近 1 小时强烈不满=9.00`` and ``部门=None``."""
    surge = {**SURGE, "alert_id": "t-1", "kind": "topic_surge", "stage": "receive",
             "evidence": {"topic": "billing", "topics": ["billing", "meter"], "angry_contacts_60min": 9.0,
                          "share_60min": 0.257, "department": None, "cusum": 10.48}}
    board = evidence_text(surge["evidence"], lang="zh", kind="topic_surge")
    _, body = render(Notification("k", "staff", "group", 0.0, [surge]), "zh", "http://board", utc_offset_h=8.0)
    assert "话题=电费/账单, 同时升温的话题=电费/账单、电表/计量, 近 1 小时强烈不满=9, 近 1 小时占比=26%" in body
    assert "话题: 电费/账单 · 同时升温的话题: 电费/账单, 电表/计量 · 近 1 小时强烈不满: 9" in board
    assert "None" not in body + board and "9.00" not in body + board and "billing" not in body + board
