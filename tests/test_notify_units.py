"""The notifier's parts that need no Redis: the rate limit's token bucket, the sent-log kept in memory, the target
names recorded with deliveries, and one delivery to a real webhook on a port of the system's choosing."""
from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from alerts.config import AlertsConfig, RateLimit, Retry
from alerts.notify import Notifier, SentLog, TokenBucket, target_name
from alerts.state import Notification


def test_a_token_bucket_lets_a_burst_through_then_says_how_long_to_wait():
    bucket = TokenBucket(burst=2, rate=1 / 60)
    assert [bucket.take(0.0), bucket.take(0.0)] == [0.0, 0.0]
    assert bucket.take(0.0) == 60.0
    assert bucket.take(30.0) == 30.0                    # half a token came back
    assert bucket.take(60.0) == 0.0
    assert bucket.take(6000.0) == 0.0 and bucket.take(6000.0) == 0.0 and bucket.take(6000.0) > 0   # refills to burst


def test_target_names_keep_scheme_host_and_port_but_never_credentials():
    assert target_name("mailto://user:secret@smtp.example.com:587/?to=duty@example.com") == \
        "mailto://smtp.example.com:587"
    assert target_name("json://127.0.0.1:8080/hook?token=abc") == "json://127.0.0.1:8080"


async def test_the_memory_sent_log_claims_once_and_frees_a_failed_claim():
    log = SentLog()
    assert await log.claim("k") is True and await log.claim("k") is False
    await log.release("k")
    assert await log.claim("k") is True
    await log.done("k")
    assert await log.claim("k") is False and log.memory == {"k": "ok"}


def note(key: str, alert_id: str = "00000000000000aa-1") -> Notification:
    return Notification(key, "staff", "group", 1784001600.0, [{
        "alert_id": alert_id, "fingerprint": alert_id[:16], "status": "firing", "since": "", "kind": "anomaly",
        "stage": None, "scope": {"region": "north"}, "tier": "yellow", "summary": "客户 13912345678 停电",
        "evidence": {}}])


async def test_a_notification_is_delivered_once_masked_and_reported():
    posts: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        posts.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    await web.SockSite(runner, sock).start()
    results: list[tuple[str, dict]] = []
    cfg = AlertsConfig(receivers={"staff": [f"json://127.0.0.1:{port}/hook"], "nobody": []},
                       retry=Retry(attempts=2, backoff_s=0.05, timeout_s=5.0),
                       rate_limit=RateLimit(burst=10, per_minute=600))
    notifier = Notifier(cfg, on_result=lambda a, r: results.append((a, r)))
    notifier.start()
    try:
        notifier.submit([note("k1"), note("k1"), Notification("k2", "nobody", "group", 0.0, [])])
        await notifier.drain(20)
    finally:
        await notifier.close()
        await runner.cleanup()
    assert len(posts) == 1 and "13912345678" not in str(posts) and "00000000000000aa-1" in posts[0]["message"]
    assert notifier.stats == {"sent": 1, "failed": 0, "duplicate": 1, "skipped": 1, "digests": 0}
    [(alert_id, row)] = results
    assert alert_id == "00000000000000aa-1" and row["ok"] and row["attempts"] == 1
    assert row["target"] == f"json://127.0.0.1:{port}" and row["key"] == "k1"


async def test_a_failed_delivery_is_retried_then_reported_and_its_claim_released():
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)   # accepts, then hangs up
    port = server.sockets[0].getsockname()[1]
    results: list[dict] = []
    cfg = AlertsConfig(receivers={"staff": [f"json://127.0.0.1:{port}/hook"]},
                       retry=Retry(attempts=3, backoff_s=0.01, timeout_s=5.0))
    notifier = Notifier(cfg, on_result=lambda a, r: results.append(r))
    notifier.start()
    try:
        notifier.submit([note("k9")])
        await notifier.drain(20)
    finally:
        await notifier.close()
        server.close()
    [row] = results
    assert row["ok"] is False and row["attempts"] == 3 and row["error"]
    assert notifier.stats["failed"] == 1 and notifier.sent.memory == {}
