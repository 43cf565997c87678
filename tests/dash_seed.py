"""Seed active alerts into Redis through ``alerts.store.AlertStore`` (the worker's writer), for board tests."""
from __future__ import annotations

import time
from typing import Any

from yujing.records import AlertRecord, fingerprint

ALERTS = (
    ("red", "receive_lag", "receive", {"region": "north"}, "北区热线受理超时 12 单，p90 已用时限 130%",
     {"overdue": 12, "share_p90": 1.3, "baseline": 0.6}),
    ("orange", "backlog_growth", "feedback", {"region": "north", "department": "ops-north"},
     "北区抢修积压每小时 +40，预计 35 分钟后超时", {"growth_per_h": 40.0, "forecast_breach_min": 35}),
    ("yellow", "sentiment_drop", "feedback", {"region": "south"},
     "南区客户负面情绪升高 <b>客户原话</b> 电话13812345678", {"negativity": 0.62, "baseline": 0.3}),
    ("blue", "repeat_contact", "receive", {"customer_id": "C-42", "category": "complaint"},
     "客户 24 小时内重复来电 2 次", {"contacts": 2}),
)


def seed(redis_url: str, prefix: str = "yj:") -> list[dict[str, Any]]:
    """Write one firing record per alert in :data:`ALERTS`; returns their dicts (as the board reads them)."""
    now = time.time()
    out = []
    for i, (tier, kind, stage, scope, summary, evidence) in enumerate(ALERTS):
        fp = fingerprint(kind, scope)
        rec = AlertRecord(alert_id=f"{fp}-{i}", fingerprint=fp, status="firing", ts=now - 600 * (i + 1), kind=kind,
                          stage=stage, scope=scope, tier=tier, score=0.9 - i / 10, summary=summary,
                          evidence=evidence, extra={"seq": 1})
        out.append(rec.to_dict())
    writer(redis_url, prefix).apply(out)
    return out


def writer(redis_url: str, prefix: str = "yj:") -> Any:
    """The worker's alert store on ``redis_url``."""
    import redis
    from alerts.store import AlertStore
    return AlertStore(redis.Redis.from_url(redis_url, decode_responses=True), prefix=prefix)
