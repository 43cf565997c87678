"""The live board's riskiest orders against a real Redis: five columns that fit the right-hand column, the rest of
an order on demand, the customer's words as masked text."""
from __future__ import annotations

import json
import time

import orjson
import pandas as pd
import pytest

from tests.dash_fixtures import app_test, board_env, put_snapshot, redis_server, redis_url, snapshot  # noqa: F401

pytest.importorskip("alerts.store")

ESSENTIAL = ["Order", "Risk", "Top factors", "Age (min)", "Customer text (masked)"]


def _risky_table(at):
    return next(d for d in at.dataframe if "Top factors" in d.value.columns)


def test_the_riskiest_orders_table_shows_five_columns_that_fit_the_right_hand_column(board_env):
    """At 1680 px the right-hand column is about 600 px wide: the old 11 columns pushed the customer text and the
    age off-screen. Now: which order, how risky, why, how long open, what the customer said — in 600 px."""
    put_snapshot(board_env["redis_url"], snapshot())
    at = app_test("duty").run()
    assert not at.exception, at.exception
    table = _risky_table(at)
    assert list(table.value.columns) == ESSENTIAL
    row = table.value.iloc[0]
    assert (row["Order"], row["Risk"], row["Top factors"], row["Age (min)"]) == ("WO-77", 91, "urged, repeat", 95)
    assert json.loads(table.proto.columns)["Risk"]["type_config"]["format"] == "%d%%"   # 91%, as summaries say
    assert "<script>" in row["Customer text (masked)"] and "138****5678" in row["Customer text (masked)"]
    widths = [c["width"] for name, c in json.loads(table.proto.columns).items() if name in ESSENTIAL]
    assert len(widths) == 5 and all(isinstance(w, int) for w in widths) and sum(widths) <= 600, widths
    assert json.loads(table.proto.columns)["Order"]["width"] >= 170   # a whole order number, not 'WO-20261124-b3830'



def test_picking_an_order_shows_the_rest_of_it_as_text(board_env):
    put_snapshot(board_env["redis_url"], snapshot())
    at = app_test("duty").run()
    assert at.selectbox(key="risky_pick").value is None          # nothing picked: no detail yet
    assert not [x for x in at.text if "12398" in x.value]
    at.selectbox(key="risky_pick").set_value("WO-77").run()
    assert not at.exception, at.exception
    detail = "\n".join(str(c.value) for c in at.caption) + "\n".join(str(m.value) for m in at.markdown)
    assert "Region north · Department ops\\-north · Category complaint · Channel hotline · Stage Feedback" in detail
    assert "open for 1 h 35 min" in detail and "Order WO\\-77" in detail
    (said,) = [x.value for x in at.text if "12398" in x.value]   # st.text: never markup
    assert said == "<script>alert(1)</script> 再不来我就打12398，电话138****5678"


def test_live_worker_records_get_the_customer_words_from_the_orders_alert(board_env):
    """The live worker's risk records (risk:latest) carry no region, stage or text; the order's active
    complaint_risk alert has them (its evidence's last_text, masked by the worker): the table shows them."""
    from tests.dash_seed import writer
    from yujing.records import AlertRecord, fingerprint
    url = board_env["redis_url"]
    snap = snapshot()
    del snap["risky_orders"]                                       # as the worker writes it
    put_snapshot(url, snap)
    import redis
    r = redis.Redis.from_url(url)
    for oid, risk in (("WO2026112400001", 0.88), ("WO2026112400002", 0.7)):
        r.hset("yj:risk:latest", oid, orjson.dumps({"record": "risk", "order_id": oid, "ts": time.time() - 60,
                                                   "risk": risk, "tier": "red" if risk > 0.8 else "orange",
                                                   "top_factors": ["urged_2x", "negative_text"]}))
        r.zadd("yj:risk:top", {oid: risk})
    scope = {"order_id": "WO2026112400001", "region": "east"}
    fp = fingerprint("complaint_risk", scope)
    writer(url).apply([AlertRecord(
        alert_id=f"{fp}-1", fingerprint=fp, status="firing", ts=time.time() - 300, kind="complaint_risk",
        stage="receive", scope=scope, tier="red", score=0.88, summary="工单 WO2026112400001 投诉风险 88%",
        evidence={"risk": 0.88, "department": "ops-east", "category": "fault_repair",
                  "last_text": "停电三小时没人管，电话139****5678"}, extra={"seq": 1}).to_dict()])
    at = app_test("duty").run()
    assert not at.exception, at.exception
    table = _risky_table(at).value
    assert list(table.columns) == ["Order", "Risk", "Top factors", "Customer text (masked)"]   # no age known
    assert list(table["Customer text (masked)"]) == ["停电三小时没人管，电话139****5678", ""]
    at.selectbox(key="risky_pick").set_value("WO2026112400001").run()
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "Region east · Department ops\\-east · Category fault repair · Stage Receive" in captions


def test_live_worker_records_say_how_long_the_order_is_open(board_env):
    """A risk record carries when its order was opened, its region and stage (compatible extensions): the table's
    minutes open run from ``opened`` to now (45 min before the record, written 2 min ago → 47), and the detail
    names the region and stage without any alert."""
    url = board_env["redis_url"]
    snap = snapshot()
    del snap["risky_orders"]                                       # as the worker writes it
    put_snapshot(url, snap)
    import redis
    from yujing.records import RiskRecord
    r = redis.Redis.from_url(url)
    written = time.time() - 120
    rec = RiskRecord("WO2026112400009", written, 0.86, "red", ["overdue"], written - 45 * 60, "west", "decompose")
    r.hset("yj:risk:latest", rec.order_id, orjson.dumps(rec.to_dict()))
    r.zadd("yj:risk:top", {rec.order_id: rec.risk})
    at = app_test("duty").run()
    assert not at.exception, at.exception
    table = _risky_table(at).value
    assert list(table.columns) == ["Order", "Risk", "Top factors", "Age (min)"]
    assert list(table["Age (min)"]) == [47]
    at.selectbox(key="risky_pick").set_value("WO2026112400009").run()
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "Region west · Stage Decompose · open for 47 min" in captions, captions


def test_a_closed_order_says_it_is_closed_and_stops_counting_minutes_open(board_env):
    """A closed order keeps its risk on the board until it settles (a revisit or an escalation may still come);
    before, its "minutes open" counted on from the close, and its detail read "Stage stage.closed"."""
    url = board_env["redis_url"]
    snap = snapshot()
    del snap["risky_orders"]                                       # as the worker writes it
    put_snapshot(url, snap)
    import redis
    from yujing.records import RiskRecord
    r = redis.Redis.from_url(url)
    written = time.time() - 3 * 3600                               # closed three hours ago, after 45 min open
    for rec in (RiskRecord("WO2026112400031", written, 0.83, "red", ["dissatisfied_revisit"], written - 45 * 60,
                           "west", "closed"),
                RiskRecord("WO2026112400032", time.time() - 60, 0.71, "orange", ["overdue"], time.time() - 600,
                           "west", "feedback")):
        r.hset("yj:risk:latest", rec.order_id, orjson.dumps(rec.to_dict()))
        r.zadd("yj:risk:top", {rec.order_id: rec.risk})
    at = app_test("duty").run()
    assert not at.exception, at.exception
    table = _risky_table(at).value
    assert list(table["Order"]) == ["WO2026112400031 · Closed", "WO2026112400032"]
    ages = list(table["Age (min)"])
    assert pd.isna(ages[0]) and ages[1] == 10                    # 9 min open when written, 1 min ago
    assert list(table["Risk"]) == [83, 71]
    at.selectbox(key="risky_pick").set_value("WO2026112400031").run()
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "Stage Closed" in captions and "open for" not in captions and "stage.closed" not in captions, captions
    head = "\n".join(str(m.value) for m in at.markdown)
    assert "Risk 83%" in head
