"""Notification delivery to real receivers on 127.0.0.1: an aiohttp JSON endpoint (apprise ``json://``), an
aiosmtpd mail server (``mailto://``) and a redis-server for the sent-log and the delivery records."""
import asyncio
import re
import time

import pytest
import redis
import redis.asyncio as aredis
from aiohttp import web
from aiosmtpd.controller import Controller

from alerts.config import AlertsConfig, RateLimit, Retry
from alerts.notify import Notifier
from alerts.pipeline import AlertPipeline
from alerts.state import Notification
from alerts.store import AlertStore
from yujing.records import Condition

HTTP_PORT, SMTP_PORT, DEAD_PORT = 18101, 18102, 18109
NOON = 1784001600.0
PHONE, ID_NO = "13912345678", "110101199003071234"


@pytest.fixture(scope="module")
def redis_url(redis_server: str) -> str:
    """The session's real redis-server (tests/conftest.py)."""
    return redis_server


@pytest.fixture()
async def aredis_client(redis_url):
    client = aredis.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


class HttpReceiver:
    """A JSON webhook that can be stopped and started again on the same port."""

    def __init__(self, port: int):
        self.port, self.posts, self.runner = port, [], None

    async def start(self):
        app = web.Application()

        async def hook(request):
            self.posts.append(await request.json())
            return web.Response(text="ok")

        app.router.add_post("/hook", hook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self):
        if self.runner:
            await self.runner.cleanup()
            self.runner = None


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture()
def smtp():
    box = Mailbox()
    ctl = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    ctl.start()
    yield box
    ctl.stop()


HOOK = f"json://127.0.0.1:{HTTP_PORT}/hook"
MAIL = f"mailto://127.0.0.1:{SMTP_PORT}?from=yujing@example.com&to=duty@example.com&mode=insecure&format=text"
FAST = Retry(attempts=6, backoff_s=0.2, factor=2.0, backoff_max_s=1.0, timeout_s=5.0)


def ids_in(text: str) -> list[str]:
    return re.findall(r"\?alert=([0-9a-f]{16}-\d+)", text)


def storm_pipeline(n: int):
    p = AlertPipeline(AlertsConfig(mute_windows=[], hold_down={}, group_by=["kind", "order_id"], timing_by_tier={}))
    records = []
    for i in range(n):
        records += p.process(Condition("receive_lag", {"order_id": f"W{i}", "region": "north"}, "red", NOON + i,
                                       "receive", 1.0, f"客户{PHONE}身份证{ID_NO}第{i}单 住址 北京市朝阳区建国路88号"))
    records += p.tick(NOON + n + 60)
    return p, records


async def test_http_and_mail_delivered_masked_and_recorded(aredis_client, redis_url, smtp):
    hook = HttpReceiver(HTTP_PORT)
    await hook.start()
    store = AlertStore(redis.Redis.from_url(redis_url), prefix="n1:")
    cfg = AlertsConfig(receivers={"staff": [HOOK, MAIL]}, retry=FAST)
    p, records = storm_pipeline(3)
    store.apply([r.to_dict() for r in records])
    notifier = Notifier(cfg, aredis_client, prefix="n1:", on_result=store.record_delivery)
    notifier.start()
    notes = p.drain_notifications()
    assert len(notes) == 3
    notifier.submit(notes)
    await notifier.drain(20)
    await notifier.close()
    await hook.stop()
    bodies = [x["title"] + x["message"] for x in hook.posts]
    assert sorted(i for b in bodies for i in ids_in(b)) == sorted(r.alert_id for r in records)
    assert len(smtp.messages) == 3
    import email
    mails = [email.message_from_string(m) for m in smtp.messages]
    texts = [part.get_payload(decode=True).decode() for m in mails for part in m.walk()
             if part.get_content_type() == "text/plain"]
    for text in bodies + texts + [str(m) for m in smtp.messages]:
        assert PHONE not in text and ID_NO not in text and "建国路88号" not in text
    assert any("139****5678" in t for t in bodies)
    assert "红色预警" in bodies[0]
    dl = store.deliveries(records[0].alert_id)
    assert sorted(d["target"] for d in dl) == [f"json://127.0.0.1:{HTTP_PORT}", f"mailto://127.0.0.1:{SMTP_PORT}"]
    assert all(d["ok"] and d["attempts"] == 1 for d in dl)


async def test_receiver_down_then_back_gets_everything_exactly_once_even_after_restart(aredis_client):
    hook = HttpReceiver(HTTP_PORT)
    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=FAST, rate_limit=RateLimit(burst=50, per_minute=600))
    results = []
    notifier = Notifier(cfg, aredis_client, prefix="n2:", on_result=lambda a, r: results.append((a, r)))
    notifier.start()
    p, records = storm_pipeline(5)
    notes = p.drain_notifications()
    notifier.submit(notes)
    await asyncio.sleep(0.5)  # the receiver is down: first attempts fail
    assert hook.posts == []
    await hook.start()
    await notifier.drain(30)
    await notifier.close()
    got = [i for x in hook.posts for i in ids_in(x["message"])]
    assert sorted(got) == sorted(r.alert_id for r in records)
    assert all(r["ok"] for _, r in results) and max(r["attempts"] for _, r in results) >= 2
    # a restarted worker re-submits the same intents: the sent-log in Redis stops every second send
    again = Notifier(cfg, aredis_client, prefix="n2:")
    again.start()
    again.submit(notes)
    await again.drain(10)
    await again.close()
    await hook.stop()
    assert len(hook.posts) == len(notes) and again.stats["duplicate"] == len(notes)


async def test_failed_delivery_is_recorded(aredis_client, redis_url):
    store = AlertStore(redis.Redis.from_url(redis_url), prefix="n3:")
    cfg = AlertsConfig(receivers={"staff": [f"json://127.0.0.1:{DEAD_PORT}/hook"]},
                       retry=Retry(attempts=2, backoff_s=0.05, timeout_s=2.0))
    notifier = Notifier(cfg, aredis_client, prefix="n3:", on_result=store.record_delivery)
    notifier.start()
    p, records = storm_pipeline(1)
    notifier.submit(p.drain_notifications())
    await notifier.drain(20)
    await notifier.close()
    [failed] = store.deliveries(failed_only=True)
    assert failed["alert_id"] == records[0].alert_id and not failed["ok"] and failed["attempts"] == 2
    assert failed["error"]
    # the claim was released (no sent-log entry at all): a later retry of the same intent may still be delivered
    assert [k async for k in aredis_client.scan_iter(match="n3:sent:*")] == []


async def test_storm_collapses_into_a_digest(aredis_client):
    hook = HttpReceiver(HTTP_PORT)
    await hook.start()
    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=FAST, rate_limit=RateLimit(burst=2, per_minute=60))
    notifier = Notifier(cfg, aredis_client, prefix="n4:")
    notifier.start()
    notes = [Notification(f"k{i}", "staff", "group", NOON, [{
        "alert_id": f"{i:016x}-1", "fingerprint": f"{i:016x}", "status": "firing", "since": "", "kind": "anomaly",
        "stage": None, "scope": {"region": "north"}, "tier": "yellow", "summary": "surge", "evidence": {}}])
        for i in range(30)]
    t0 = time.monotonic()
    notifier.submit(notes)
    await notifier.drain(20)
    await notifier.close()
    await hook.stop()
    assert len(hook.posts) == 3  # two within the burst, then one digest
    assert notifier.stats["digests"] == 1 and time.monotonic() - t0 < 5
    listed = [i for x in hook.posts for i in ids_in(x["message"])]
    assert len(listed) == 22 and set(listed) <= {n.alerts[0]["alert_id"] for n in notes}
    assert "另有 8 条未列出" in hook.posts[-1]["message"] and "汇总" in hook.posts[-1]["title"]


async def test_a_failed_group_message_is_recorded_per_alert_and_sent_when_submitted_again(aredis_client, redis_url):
    """A message for two alerts to a receiver that is down: each alert gets its own failed row (its status and seq);
    the failure is not marked sent, so the same intent submitted again once the receiver is back is delivered."""
    store = AlertStore(redis.Redis.from_url(redis_url), prefix="n5:")
    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=Retry(attempts=2, backoff_s=0.05, timeout_s=2.0))
    base = {"fingerprint": "f", "since": "", "kind": "anomaly", "stage": None, "scope": {"region": "north"},
            "summary": "surge", "evidence": {}}
    both = Notification("g1", "staff", "group", NOON, [
        {**base, "alert_id": "00000000000000a1-1", "status": "firing", "tier": "red", "seq": 1},
        {**base, "alert_id": "00000000000000b2-1", "status": "tier_changed", "tier": "orange", "seq": 3}])
    notifier = Notifier(cfg, aredis_client, prefix="n5:", on_result=store.record_delivery)
    notifier.start()
    notifier.submit([both])
    await notifier.drain(20)
    hook = HttpReceiver(HTTP_PORT)
    await hook.start()
    notifier.submit([both])
    await notifier.drain(20)
    await notifier.close()
    await hook.stop()
    assert len(hook.posts) == 1 and sorted(ids_in(hook.posts[0]["message"])) == [a["alert_id"] for a in both.alerts]
    a1 = [(d["ok"], d["status"], d["seq"], d["key"]) for d in store.deliveries("00000000000000a1-1")]
    b2 = [(d["ok"], d["status"], d["seq"], d["key"]) for d in store.deliveries("00000000000000b2-1")]
    assert a1 == [(False, "firing", 1, "g1"), (True, "firing", 1, "g1")]
    assert b2 == [(False, "tier_changed", 3, "g1"), (True, "tier_changed", 3, "g1")]
    assert sorted(d["alert_id"] for d in store.deliveries(failed_only=True)) == [a["alert_id"] for a in both.alerts]


async def test_an_intent_whose_sender_died_mid_send_is_sent_by_the_restarted_worker(aredis_client, redis_url):
    """A worker killed while a send is in flight leaves its sent-log claim behind; the restarted worker re-submits
    the intent (it replays from its checkpoint) and must send it, not take the dead claim for a sent message."""
    writers = []

    async def swallow(reader, writer):   # accepts and reads, never answers: the send is in flight
        writers.append(writer)
        await reader.read()

    hang = await asyncio.start_server(swallow, "127.0.0.1", HTTP_PORT)
    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=Retry(attempts=1, timeout_s=30.0))
    p, records = storm_pipeline(1)
    [intent] = p.drain_notifications()
    killed = Notifier(cfg, aredis_client, prefix="n6:")
    killed.start()
    killed.submit([intent])
    for _ in range(100):
        if writers:
            break
        await asyncio.sleep(0.05)
    await killed.close()   # cancels the send: as far as Redis knows, a worker died mid-delivery
    for w in writers:
        w.close()
    hang.close()
    assert [k async for k in aredis_client.scan_iter(match="n6:sent:*")] != []   # the dead claim is there

    store = AlertStore(redis.Redis.from_url(redis_url), prefix="n6:")
    hook = HttpReceiver(HTTP_PORT)
    await hook.start()
    restarted = Notifier(cfg, aredis_client, prefix="n6:", on_result=store.record_delivery)
    restarted.start()
    restarted.submit([intent, intent])   # a duplicate within one worker is still stopped
    await restarted.drain(20)
    await restarted.close()
    await hook.stop()
    assert [ids_in(x["message"]) for x in hook.posts] == [[records[0].alert_id]]
    assert [(d["ok"], d["key"]) for d in store.deliveries(records[0].alert_id)] == [(True, intent.key)]
    assert restarted.stats["duplicate"] == 1


async def test_a_send_claim_outlives_the_longest_delivery_the_retry_policy_allows(aredis_client):
    """A claim that expired while its sender still retried would let another sender in (twice, not once): with
    20 tries of 30 s (a patient policy for a flaky SMS gateway) the claim holds for twice the 1,443-s budget, not
    the fixed 600 s it had."""
    writers = []

    async def swallow(reader, writer):   # accepts and reads, never answers: the first try is in flight
        writers.append(writer)
        await reader.read()

    hang = await asyncio.start_server(swallow, "127.0.0.1", HTTP_PORT)
    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=Retry(attempts=20, backoff_max_s=60.0, timeout_s=30.0))
    p, _ = storm_pipeline(1)
    notifier = Notifier(cfg, aredis_client, prefix="n9:")
    notifier.start()
    notifier.submit(p.drain_notifications())
    try:
        for _ in range(100):
            if writers:
                break
            await asyncio.sleep(0.05)
        [key] = [k async for k in aredis_client.scan_iter(match="n9:sent:*")]
        assert 2 * 1443 <= await aredis_client.ttl(key) <= 2 * 1443 + 1
    finally:
        await notifier.close()
        for w in writers:
            w.close()
        hang.close()


async def test_customer_markup_reaches_an_html_mail_escaped_and_masked(aredis_client, smtp):
    """Customer text with markup, a phone, an ID number and an address, sent to a mail receiver that wants HTML:
    the mail shows the markup as text (escaped), never as HTML, and none of the personal data."""
    html_mail = MAIL.replace("format=text", "format=html")
    cfg = AlertsConfig(receivers={"staff": [html_mail]}, retry=FAST)
    text = (f'<a href="http://evil.example">点我</a><script>x()</script> 客户{PHONE} 身份证{ID_NO} '
            '北京市朝阳区建国路88号')
    intent = Notification("h1", "staff", "group", NOON, [{
        "alert_id": "00000000000000c3-1", "fingerprint": "c3", "status": "firing", "since": "", "kind": "anomaly",
        "stage": None, "scope": {"region": "<i>north</i>"}, "tier": "red", "summary": text,
        "evidence": {"原话": text}}])
    notifier = Notifier(cfg, aredis_client, prefix="n7:")
    notifier.start()
    notifier.submit([intent])
    await notifier.drain(20)
    await notifier.close()
    import email
    [mail] = [email.message_from_string(m) for m in smtp.messages]
    html = "".join(part.get_payload(decode=True).decode() for part in mail.walk()
                   if part.get_content_type() == "text/html")
    assert "&lt;script&gt;" in html and "&lt;i&gt;north" in html
    assert "<script" not in html and "<a href" not in html and "<i>" not in html
    assert PHONE not in str(mail) + html and ID_NO not in html and "建国路88号" not in html


# ---- durable intents: a Redis stream with a consumer group (<prefix>notify:intents) --------------------------------
STREAM_KEY = "notify:intents"


async def undelivered(client, prefix: str) -> int:
    """Intents the stream still holds (entries are deleted once acknowledged)."""
    return await client.xlen(prefix + STREAM_KEY)


async def next_notifier(cfg: AlertsConfig, client, prefix: str, hook: HttpReceiver, **kw) -> Notifier:
    """A notifier started after another (killed, or never started) on the same Redis: it runs until the stream of
    intents is empty, then it and the receiver ``hook`` stop. A dead run is taken for dead after 0.3 s."""
    restarted = Notifier(cfg, client, prefix=prefix, claim_after_s=0.3, **kw)
    restarted.start()
    try:
        await restarted.drain(20, stream=True)
    finally:
        await restarted.close()
        await hook.stop()
    return restarted


async def test_intents_accepted_by_a_killed_notifier_are_delivered_once_by_the_next_one(aredis_client, redis_url):
    """The worker hands intents over, its alert state is checkpointed (they are drained from it), and it is killed
    while the receiver is down: the restarted worker (a new notifier, a new run) delivers every one of them, once,
    and records each outcome; nothing is left in the stream."""
    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=FAST, rate_limit=RateLimit(burst=50, per_minute=600))
    p, records = storm_pipeline(4)
    notes = p.drain_notifications()
    killed = Notifier(cfg, aredis_client, prefix="d1:")
    killed.claim_after_s = 0.3   # its run is taken for dead after this silence (default: a minute)
    killed.start()
    killed.submit(notes)
    await asyncio.sleep(0.5)   # the receiver is down: the first attempts fail, the sends wait for their retries
    await killed.close()       # killed without a drain
    assert await undelivered(aredis_client, "d1:") == len(notes)

    hook = HttpReceiver(HTTP_PORT)
    await hook.start()
    store = AlertStore(redis.Redis.from_url(redis_url), prefix="d1:")
    restarted = await next_notifier(cfg, aredis_client, "d1:", hook, on_result=store.record_delivery)
    got = sorted(i for x in hook.posts for i in ids_in(x["message"]))
    assert got == sorted(r.alert_id for r in records)
    assert len(hook.posts) == len(notes) and restarted.stats["sent"] == len(notes)
    for r in records:
        assert [d["ok"] for d in store.deliveries(r.alert_id)] == [True]
    assert await undelivered(aredis_client, "d1:") == 0


async def test_intents_written_but_never_read_are_delivered_by_the_next_notifier(aredis_client):
    """The worker wrote the intents (durable before its checkpoint) but died before its notifier had read them."""
    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=FAST, rate_limit=RateLimit(burst=50, per_minute=600))
    p, records = storm_pipeline(3)
    notes = p.drain_notifications()
    never_started = Notifier(cfg, aredis_client, prefix="d2:")
    await never_started.accept(notes)   # what the worker awaits before its checkpoint
    assert await undelivered(aredis_client, "d2:") == len(notes)
    hook = HttpReceiver(HTTP_PORT)
    await hook.start()
    await next_notifier(cfg, aredis_client, "d2:", hook)
    assert sorted(i for x in hook.posts for i in ids_in(x["message"])) == sorted(r.alert_id for r in records)
    assert len(hook.posts) == len(notes) and await undelivered(aredis_client, "d2:") == 0


async def test_a_crash_after_the_send_but_before_the_ack_does_not_send_twice(aredis_client):
    """The message went out and the sent-log says so, but the worker died before the intent was acknowledged
    (here: while its outcome was being recorded): the next notifier takes the intent over and the sent-log stops it."""
    hook = HttpReceiver(HTTP_PORT)
    await hook.start()
    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=FAST)
    p, records = storm_pipeline(1)
    [intent] = p.drain_notifications()
    recording = asyncio.Event()

    async def record_forever(alert_id, row):
        recording.set()
        await asyncio.Event().wait()   # the store write never returns: the worker is killed meanwhile

    killed = Notifier(cfg, aredis_client, prefix="d3:", on_result=record_forever)
    killed.claim_after_s = 0.3
    killed.start()
    killed.submit([intent])
    await asyncio.wait_for(recording.wait(), 10)
    await killed.close()
    assert len(hook.posts) == 1 and await undelivered(aredis_client, "d3:") == 1

    restarted = await next_notifier(cfg, aredis_client, "d3:", hook)
    assert len(hook.posts) == 1 and restarted.stats["duplicate"] == 1 and restarted.stats["sent"] == 0
    assert await undelivered(aredis_client, "d3:") == 0


async def test_a_live_notifier_slow_to_deliver_keeps_its_intents(aredis_client):
    """A second notifier on the same stream does not take over the intents of one that is alive but retrying a
    receiver that is down (only a consumer silent for ``claim_after_s`` is dead)."""
    cfg = AlertsConfig(receivers={"staff": [f"json://127.0.0.1:{DEAD_PORT}/hook"]},
                       retry=Retry(attempts=20, backoff_s=0.3, factor=1.0, timeout_s=2.0))
    p, _ = storm_pipeline(2)
    notes = p.drain_notifications()
    first, second = Notifier(cfg, aredis_client, prefix="d4:"), Notifier(cfg, aredis_client, prefix="d4:")
    first.claim_after_s = second.claim_after_s = 1.0
    first.start()
    first.submit(notes)
    await asyncio.sleep(0.3)
    second.start()
    await asyncio.sleep(2.5)   # over two claim times: the first keeps polling, so it is not taken for dead
    try:
        assert first.stats["pending"] == len(notes) and second.stats["pending"] == 0
        assert second.stats["sent"] + second.stats["failed"] + second.stats["duplicate"] == 0
    finally:
        await first.close()
        await second.close()


async def test_intents_for_a_receiver_without_targets_are_not_kept(aredis_client):
    """An intent whose receiver has no URLs is skipped (counted) and leaves nothing behind in the stream, whether
    it is seen when accepted or only when read (the receiver's URLs were removed in between)."""
    p, _ = storm_pipeline(2)
    notes = p.drain_notifications()
    writer = Notifier(AlertsConfig(receivers={"staff": [HOOK]}), aredis_client, prefix="d5:")
    await writer.accept(notes)
    nobody = Notifier(AlertsConfig(receivers={"staff": []}), aredis_client, prefix="d5:")
    await nobody.accept(notes)   # not even written
    assert nobody.stats["skipped"] == len(notes) and await undelivered(aredis_client, "d5:") == len(notes)
    nobody.start()
    try:
        await nobody.drain(10, stream=True)
    finally:
        await nobody.close()
    assert nobody.stats["skipped"] == 2 * len(notes) and nobody.stats["pending"] == 0
    assert await undelivered(aredis_client, "d5:") == 0


async def test_the_worker_writes_drained_intents_to_the_stream_before_its_checkpoint_holds_the_drain(
        aredis_client, redis_url):
    """``Live.send_notifications`` drains the pipeline's intents and writes them to the stream; an alert checkpoint
    due meanwhile waits for that write, so no checkpoint holds a drained pipeline whose intents Redis has not."""
    from types import SimpleNamespace

    import orjson

    from streams.agents import Live
    from streams.live import Checkpoint
    from streams.metrics import Metrics
    from streams.retrying import Retry as WriteRetry

    cfg = AlertsConfig(receivers={"staff": [HOOK]}, retry=FAST)
    p, _ = storm_pipeline(3)
    live = Live.__new__(Live)   # the parts of a worker these two steps use, without faust
    live.settings, live.redis, live.prefix, live.pipeline = SimpleNamespace(alerts=cfg), aredis_client, "d6:", p
    live.alert_store = AlertStore(redis.Redis.from_url(redis_url), prefix="d6:")
    live.retry, live.metrics, live.notifier = WriteRetry(give_up_s=5, on_give_up=lambda step, exc: None), Metrics(), None
    live.notify_lock, live.alert_cp, live.cmd_last_id = asyncio.Lock(), Checkpoint(7), "0"
    live.held_conditions, live.conditions_topic, acked = ["take"], None, []
    live.inbox = lambda topic: SimpleNamespace(ack=acked.extend)
    gate = asyncio.Event()
    notifier = live.notifier = Notifier(cfg, aredis_client, prefix="d6:")   # not started: nothing is delivered
    accept = notifier.accept

    async def slow_accept(notes):
        await gate.wait()   # Redis is slow to take the intents
        await accept(notes)

    notifier.accept = slow_accept
    sending = asyncio.ensure_future(live.send_notifications())
    await asyncio.sleep(0.05)
    assert p.drain_notifications() == []   # drained: the intents are in nobody's hands but the write's
    checkpoint = asyncio.ensure_future(live.checkpoint_alerts())
    await asyncio.sleep(0.2)
    assert not checkpoint.done() and await aredis_client.get("d6:ckpt:alerts") is None
    gate.set()
    await asyncio.wait_for(asyncio.gather(sending, checkpoint), 10)
    ck = orjson.loads(await aredis_client.get("d6:ckpt:alerts"))
    assert ck["offset"] == 7 and ck["state"]["outbox"] == [] and acked == ["take"]
    assert await undelivered(aredis_client, "d6:") == 3
