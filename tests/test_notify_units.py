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


async def deliver(notifier: Notifier, notes: list) -> None:
    """Start ``notifier``, hand it ``notes``, wait until they are delivered (or given up), close it."""
    notifier.start()
    try:
        notifier.submit(notes)
        await notifier.drain(20)
    finally:
        await notifier.close()


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
    runner, port, hooked = await start_hook()
    results: list[tuple[str, dict]] = []
    cfg = AlertsConfig(receivers={"staff": [f"json://127.0.0.1:{port}/hook"], "nobody": []},
                       retry=Retry(attempts=2, backoff_s=0.05, timeout_s=5.0),
                       rate_limit=RateLimit(burst=10, per_minute=600))
    notifier = Notifier(cfg, on_result=lambda a, r: results.append((a, r)))
    try:
        await deliver(notifier, [note("k1"), note("k1"), Notification("k2", "nobody", "group", 0.0, [])])
    finally:
        await runner.cleanup()
    posts = [body for _, body in hooked]
    assert len(posts) == 1 and "13912345678" not in str(posts) and "00000000000000aa-1" in posts[0]["message"]
    assert notifier.stats == {"sent": 1, "failed": 0, "duplicate": 1, "skipped": 1, "digests": 0,
                              "unrecorded": 0, "unclaimed": 0, "volatile": 0, "taken_over": 0, "pending": 0,
                              "stream": 0}
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
    try:
        await deliver(notifier, [note("k9")])
    finally:
        server.close()
    [row] = results
    assert row["ok"] is False and row["attempts"] == 3 and row["error"]
    assert notifier.stats["failed"] == 1 and notifier.sent.memory == {}


async def start_hook(paths: tuple[str, ...] = ("/hook",)) -> tuple[web.AppRunner, int, list[tuple[str, dict]]]:
    """A JSON webhook on a free port; returns its runner, port and the (path, body) of every post."""
    posts: list[tuple[str, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        posts.append((request.path, await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    for path in paths:
        app.router.add_post(path, hook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    await web.SockSite(runner, sock).start()
    return runner, port, posts


async def test_a_failing_result_callback_does_not_stop_delivery_to_the_other_targets():
    """The store write behind ``on_result`` may fail (Redis away): the other targets are still sent to, and each
    delivered target is marked sent in the sent-log."""
    runner, port, posts = await start_hook(("/a", "/b"))
    urls = [f"json://127.0.0.1:{port}/a", f"json://127.0.0.1:{port}/b"]
    calls: list[str] = []

    def flaky_store(alert_id: str, row: dict) -> None:
        calls.append(row["target"])
        if len(calls) == 1:
            raise ConnectionError("redis away")

    cfg = AlertsConfig(receivers={"staff": urls}, retry=Retry(attempts=1, timeout_s=5.0),
                       rate_limit=RateLimit(burst=10, per_minute=600))
    notifier = Notifier(cfg, on_result=flaky_store)
    try:
        await deliver(notifier, [note("k1")])
    finally:
        await runner.cleanup()
    assert sorted(path for path, _ in posts) == ["/a", "/b"]
    assert len(calls) == 2 and sorted(notifier.sent.memory.values()) == ["ok", "ok"]
    assert notifier.stats["unrecorded"] == 1


async def test_a_rate_limited_burst_is_delayed_into_a_digest_and_every_intent_is_reported():
    """Over the limit nothing is dropped: the excess leaves later as one digest, and each intent in it gets its own
    result row (with ``digest`` true) for its own alert."""
    runner, port, posts = await start_hook()
    results: list[tuple[str, dict]] = []
    cfg = AlertsConfig(receivers={"staff": [f"json://127.0.0.1:{port}/hook"]}, retry=Retry(attempts=1, timeout_s=5.0),
                       rate_limit=RateLimit(burst=1, per_minute=120))
    notifier = Notifier(cfg, on_result=lambda a, r: results.append((a, r)))
    ids = [f"{i:016x}-1" for i in range(4)]
    try:
        await deliver(notifier, [note(f"k{i}", alert_id) for i, alert_id in enumerate(ids)])
    finally:
        await runner.cleanup()
    assert len(posts) == 2 and "汇总" in posts[1][1]["title"]
    assert all(alert_id in posts[1][1]["message"] for alert_id in ids[1:])
    assert sorted((a, r["key"], r["digest"], r["ok"]) for a, r in results) == \
        [(alert_id, f"k{i}", i > 0, True) for i, alert_id in enumerate(ids)]
    # which message each row went out in: the first on its own, the other three in one digest (one message, for
    # the board's count of failed messages and the quality team's)
    messages = [r["message"] for _, r in sorted(results, key=lambda x: x[1]["key"])]
    assert messages[0] == "k0" and messages[1].startswith("digest:") and len(set(messages[1:])) == 1


async def test_a_sent_log_that_cannot_be_reached_does_not_swallow_the_message():
    """Redis (the sent-log) away: the message is still sent and its result reported (rather twice than never)."""
    import redis.asyncio as aredis
    from redis.asyncio.retry import Retry as RedisRetry
    from redis.backoff import NoBackoff

    runner, port, posts = await start_hook()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    nobody_listens = closed.getsockname()[1]
    client = aredis.Redis(host="127.0.0.1", port=nobody_listens, socket_connect_timeout=0.5,
                          retry=RedisRetry(NoBackoff(), 0))
    results: list[dict] = []
    cfg = AlertsConfig(receivers={"staff": [f"json://127.0.0.1:{port}/hook"]}, retry=Retry(attempts=1, timeout_s=5.0))
    notifier = Notifier(cfg, client, on_result=lambda a, r: results.append(r))
    try:
        await deliver(notifier, [note("k1")])
    finally:
        await runner.cleanup()
        await client.aclose()
        closed.close()
    assert len(posts) == 1 and [r["ok"] for r in results] == [True]
    assert notifier.stats["sent"] == 1 and notifier.stats["unclaimed"] == 1


async def test_a_message_to_a_wecom_bot_fits_its_2048_bytes():
    """Twenty alerts with long masked summaries made a 29 KB message; a WeCom bot takes 2,048 bytes (apprise hands
    a longer body on unchanged by default, and the bot rejects it), so the whole push failed. Each target gets a
    message within its service's limit; a webhook still gets every listed alert in full."""
    long = ("客户反复来电称停电三天无人处理，要打12398投诉并找媒体曝光，" * 10)[:300]
    alerts = [{"alert_id": f"{i:016x}-1", "fingerprint": f"{i:016x}", "status": "firing",
               "since": "2026-07-14T09:32:40+08:00", "kind": "complaint_risk", "stage": "feedback",
               "scope": {"region": "north", "order_id": f"WO-20260714-{i:06d}"}, "tier": "red",
               "summary": long, "evidence": {"last_text": long[:80]}} for i in range(200)]
    urls = ["wecombot://0123456789abcdef", "json://127.0.0.1:9/hook"]
    cfg = AlertsConfig(receivers={"staff": urls}, retry=Retry(attempts=1, timeout_s=5.0))
    notifier = Notifier(cfg)
    bodies: dict[str, tuple[str, str]] = {}

    async def capture(url: str, title: str, body: str) -> tuple[bool, str]:
        bodies[url.split(":")[0]] = (title, body)
        return True, ""

    notifier._send_once = capture
    await deliver(notifier, [Notification("k1", "staff", "group", 1784001600.0, alerts)])
    title, body = bodies["wecombot"]
    assert len((title + "\r\n" + body).encode()) <= 2048 and "(200)" in title and "条未列出" in body
    assert notifier.size_limit(urls[0]) == 2048
    title, body = bodies["json"]
    assert body.count("摘要") == 20 and "另有 180 条未列出" in body
