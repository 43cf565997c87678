"""Delivery of notification intents with apprise, off the stream's path.

``Notifier.submit()`` / ``accept()`` only hand intents over (to an asyncio queue, or first to a Redis stream:
below); background tasks send them. Each apprise URL
of a receiver is one *target* with its own retries (exponential backoff), so a target that is down does not
make the others receive duplicates. Per receiver a token bucket limits the rate; what exceeds it waits and
leaves as one digest. A sent-log in Redis (``SET NX`` claim, then ``ok`` with a TTL) makes delivery idempotent
by (notification key, target): a restarted worker that re-submits the same intents sends nothing twice that was
sent, and takes over the claims its predecessor left mid-send (:class:`SentLog`).
Every outcome (ok / failed + error + attempts) goes to ``on_result(alert_id, result)``, which the worker
wires to ``AlertStore.record_delivery``.

**Durable intents** (with a Redis client). An intent handed over is first written to a Redis stream,
``<prefix>notify:intents`` (:meth:`Notifier.accept`, one ``XADD`` per intent in one MULTI), and only read back
from it by the consumer group ``notifier`` (``XREADGROUP``; the consumer is the run, the same name as its
sent-log claims). An entry is acknowledged and deleted (``XACK`` + ``XDEL``) only once every target's outcome is
known and reported through ``on_result`` (or when its receiver has no targets), so a worker killed between its
alert checkpoint (which has drained the intents) and their delivery leaves them in the stream: never read ones
for whoever reads next, read ones in the dead run's pending list. Each run keeps a key
``<prefix>notify:alive:<run>`` that expires after ``claim_after_s`` (``alerts.takeover_after_s``, 60 s) and is
renewed on every poll (at least four times per ``claim_after_s``, also while it retries a receiver that is down; the consumers' idle time of ``XINFO
CONSUMERS`` is no such sign: Redis 7.0 does not renew it on an empty read). A notifier takes over with
``XCLAIM`` the pending entries of a consumer of the group whose key is gone (a dead run), then forgets that
consumer; the sent-log stops a second send of what the dead run had sent (a run whose event loop stalled longer
than ``claim_after_s`` is taken for dead too: then a message in its hands may go out twice). Bounded:
acknowledged entries are deleted at once, so the stream holds only intents without an outcome; ``XADD MAXLEN ~``
:data:`STREAM_CAP` is a last-resort ceiling (intents beyond it, the oldest first, would be lost: only if
delivery stalls for that many). Without a client everything stays in process memory (unit tests).
"""
from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable

import apprise
import orjson

from alerts.config import AlertsConfig
from alerts.state import Notification
from alerts.templates import render

log = logging.getLogger(__name__)
ResultCallback = Callable[[str, dict[str, Any]], "Awaitable[None] | None"]

STREAM = "notify:intents"
"""The stream of intents (after the Redis key prefix)."""
GROUP = "notifier"
ALIVE = "notify:alive:"
READ_BLOCK_MS = 1000
"""A notifier polls the stream at least this often (and at least four times per ``claim_after_s``), so that it
is seen alive."""
READ_COUNT = 100
STREAM_CAP = 100_000
"""``XADD MAXLEN ~``: far above any backlog of intents in delivery (acknowledged entries are deleted)."""


def target_name(url: str) -> str:
    """A URL without credentials or query, safe to store and show: ``mailto://host``."""
    scheme, _, rest = url.partition("://")
    host = rest.split("?", 1)[0].split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}"


@dataclass(slots=True)
class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second."""

    burst: float
    rate: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """0 if a token was taken, else seconds until one is available."""
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


_TAKE_OVER = ("if redis.call('GET', KEYS[1]) == ARGV[1] then "
              "return redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end")


class SentLog:
    """Idempotency log: Redis (``redis.asyncio``) when given, else process memory.

    A claim names the run that holds it (``claim:<run>``). A claim of another run is one a dead worker left
    mid-send (there is one alert pipeline per installation): the restarted worker takes it over and sends, so a
    kill mid-delivery gives at least once (twice if the dead one's send had gone through), never nothing.
    """

    def __init__(self, client: Any = None, prefix: str = "yj:", ttl_s: float = 7 * 86400):
        self.client, self.prefix, self.ttl = client, prefix, int(ttl_s)
        self.memory: dict[str, str] = {}
        self.mine = "claim:" + uuid.uuid4().hex[:12]

    def _k(self, key: str) -> str:
        return f"{self.prefix}sent:{key}"

    async def claim(self, key: str, hold_s: int = 600) -> bool:
        if self.client is None:
            if key in self.memory:
                return False
            self.memory[key] = "claim"
            return True
        k = self._k(key)
        if await self.client.set(k, self.mine, nx=True, ex=hold_s):
            return True
        held = await self.client.get(k)
        held = held.decode() if isinstance(held, bytes) else held
        if held is None:   # expired in between
            return bool(await self.client.set(k, self.mine, nx=True, ex=hold_s))
        if held == "ok" or held == self.mine:
            return False
        return bool(await self.client.eval(_TAKE_OVER, 1, k, held, self.mine, hold_s))   # a dead run's claim

    async def done(self, key: str) -> None:
        if self.client is None:
            self.memory[key] = "ok"
        else:
            await self.client.set(self._k(key), "ok", ex=self.ttl)

    async def release(self, key: str) -> None:
        if self.client is None:
            self.memory.pop(key, None)
        else:
            await self.client.delete(self._k(key))


@dataclass(slots=True)
class _Intent:
    """A notification with the id of its stream entry (None when it lives in process memory only)."""

    note: Notification
    entry: str | None = None


@dataclass
class _Backlog:
    items: list[_Intent] = field(default_factory=list)
    task: asyncio.Task | None = None


def _s(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


class Notifier:
    """Send notifications in the background; see the module docstring."""

    def __init__(self, config: AlertsConfig, redis_client: Any = None, prefix: str = "yj:",
                 on_result: ResultCallback | None = None, claim_after_s: float | None = None,
                 utc_offset_h: float | None = None):
        self.config = config
        self.utc_offset_h = utc_offset_h
        """The business clock of the times in messages (None: the clock the alert records carry, which the
        pipeline writes on ``clock.utc_offset_h``)."""
        self._limits: dict[str, int | None] = {}
        self.client = redis_client
        self.stream = prefix + STREAM
        self.alive_prefix = prefix + ALIVE
        self.sent = SentLog(redis_client, prefix, config.sent_log_ttl_s)
        self.consumer = self.sent.mine   # this run: its stream consumer and its sent-log claims
        self.claim_after_s = config.takeover_after_s if claim_after_s is None else claim_after_s
        self._claim_hold_s = max(600, int(2 * config.retry.budget_s()) + 1)
        """A sent-log claim outlives the longest delivery the retry policy allows (a claim that expired mid-send
        would let a second sender in)."""
        self.on_result = on_result
        self.queue: asyncio.Queue[_Intent | None] = asyncio.Queue()
        self.buckets: dict[str, TokenBucket] = {}
        self.backlog: dict[str, _Backlog] = {}
        self.tasks: set[asyncio.Task] = set()
        self.stats = {"sent": 0, "failed": 0, "duplicate": 0, "skipped": 0, "digests": 0, "unrecorded": 0,
                      "unclaimed": 0, "volatile": 0, "taken_over": 0, "pending": 0, "stream": 0}
        """Counters, and two gauges: ``pending`` = intents this notifier holds without an outcome yet (queued,
        rate-limited, in delivery); ``stream`` = entries of the Redis stream without an outcome (everybody's,
        a dead run's included), as of the last poll. ``volatile``: intents kept in memory only because the
        stream could not be written (:meth:`submit`); ``taken_over``: entries claimed from a dead run."""
        self._runner: asyncio.Task | None = None
        self._reader: asyncio.Task | None = None
        self._group_ready = False
        self._unacked: list[str] = []
        self._written: set[str] = set()
        """Entries written here and not yet done here (for :meth:`drain`); those another notifier read are
        dropped when the reader sees them gone from the stream."""

    # ---- public ----------------------------------------------------------------------------------------------
    async def accept(self, notes: Iterable[Notification]) -> None:
        """Take intents over durably: when this returns they are in the Redis stream (one MULTI), so the caller
        may make the state that produced them durable. Raises when Redis cannot be written (the caller retries;
        a retried write may add an intent twice, which the sent-log delivers once). Intents for a receiver
        without targets are counted as skipped and not written. Without a client: queued in memory."""
        notes = list(notes)
        if self.client is None:
            self._enqueue([_Intent(n) for n in notes])
            return
        keep = [n for n in notes if self._urls(n)]
        self.stats["skipped"] += len(notes) - len(keep)
        if not keep:
            return
        await self._ensure_group()
        pipe = self.client.pipeline(transaction=True)
        for n in keep:
            pipe.xadd(self.stream, {"n": orjson.dumps(n.to_dict())}, maxlen=STREAM_CAP, approximate=True)
        self._written.update(_s(i) for i in await pipe.execute())

    def submit(self, notes: Iterable[Notification]) -> None:
        """Queue intents; never blocks the caller. With Redis they are written to the stream in the background
        (the worker awaits :meth:`accept` instead); if that fails they are delivered from memory (``volatile``):
        rather without a crash guarantee than never."""
        notes = list(notes)
        if self.client is None:
            self._enqueue([_Intent(n) for n in notes])
        elif notes:
            self._spawn(self._accept_or_keep(notes))

    def start(self) -> None:
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="yujing-notifier")
        if self.client is not None and self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="yujing-notifier-reader")

    async def drain(self, timeout: float = 60.0, stream: bool = False) -> None:
        """Wait until everything queued so far has been delivered or has failed. ``stream``: also until the Redis
        stream holds no intent without an outcome (a dead run's included, once taken over)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = (not self.queue.empty()) or any(not t.done() for t in self.tasks) or any(
                b.items for b in self.backlog.values()) or self.stats["pending"] > 0
            if not busy and self.client is not None:
                try:
                    busy = bool(self._unacked) or await self._written_left() or (
                        stream and await self.client.xlen(self.stream) > 0)
                except Exception:
                    log.debug("stream unknown (Redis away)", exc_info=True)
            if not busy:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("notifications still pending")

    async def _written_left(self) -> bool:
        """Whether an entry this notifier wrote is still in the stream (read by nobody yet, or without outcome)."""
        if self._written:
            ids = list(self._written)
            pipe = self.client.pipeline(transaction=False)
            for i in ids:
                pipe.xrange(self.stream, i, i, count=1)
            self._written.difference_update(i for i, rows in zip(ids, await pipe.execute()) if not rows)
        return bool(self._written)

    async def close(self) -> None:
        """Stop. Intents without an outcome stay in the stream, pending for this run: a later notifier takes
        them over once this run has been silent for ``claim_after_s``."""
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        if self._runner is not None:
            self.queue.put_nowait(None)
            await self._runner
            self._runner = None
        for t in list(self.tasks):
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    # ---- the stream ------------------------------------------------------------------------------------------
    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:   # from id 0: entries written before the group existed are read too
            await self.client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except Exception as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _accept_or_keep(self, notes: list[Notification]) -> None:
        try:
            await self.accept(notes)
        except Exception:
            self.stats["volatile"] += len(notes)
            log.warning("notification stream unreachable; %d intents kept in memory only", len(notes),
                        exc_info=True)
            self._enqueue([_Intent(n) for n in notes])

    async def _read(self) -> None:
        """Read the group's new entries and take over dead runs' pending ones, until cancelled."""
        checked, outage = 0.0, False
        while True:
            try:
                await self._ensure_group()
                if self._unacked:
                    ids, self._unacked = self._unacked, []
                    await self._ack_entries(ids)
                await self.client.set(self.alive_prefix + self.consumer, 1, px=max(1, int(self.claim_after_s * 1000)))
                if time.monotonic() - checked >= min(max(self.claim_after_s / 2, 0.1), 10.0):
                    checked = time.monotonic()
                    await self._take_over()
                    await self._written_left()
                # polled well within the claim time, so that others see this run alive while it delivers
                block = max(10, min(READ_BLOCK_MS, int(self.claim_after_s * 250)))
                res = await self.client.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=READ_COUNT,
                                                   block=block)
                for _, entries in res or []:
                    self._enqueue_entries(entries)
                self.stats["stream"] = await self.client.xlen(self.stream)
                if outage:
                    log.warning("notification stream readable again")
                    outage = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if "NOGROUP" in str(exc):
                    self._group_ready = False   # the stream was deleted under us: create it again
                if not outage:
                    log.warning("notification stream unreadable (retried every second): %r", exc)
                    outage = True
                await asyncio.sleep(1.0)

    async def _take_over(self) -> None:
        """Claim the pending entries of consumers whose liveness key is gone (dead runs), then forget them."""
        limit = int(self.claim_after_s * 1000)
        others = [_s(c["name"]) for c in await self.client.xinfo_consumers(self.stream, GROUP)]
        others = [name for name in others if name != self.consumer]
        alive = await self.client.mget([self.alive_prefix + name for name in others]) if others else []
        for name, sign in zip(others, alive):
            if sign is not None:
                continue
            while True:
                rows = await self.client.xpending_range(self.stream, GROUP, min="-", max="+", count=READ_COUNT,
                                                        consumername=name)
                if not rows:
                    break
                ids = [_s(r["message_id"]) for r in rows]
                # min idle: if another notifier claimed them meanwhile, they are not claimed twice
                got = await self.client.xclaim(self.stream, GROUP, self.consumer, limit, ids)
                got = [(i, f) for i, f in got if f]   # an entry deleted meanwhile comes back empty (or not at all)
                self.stats["taken_over"] += len(got)
                if got:
                    log.warning("took over %d notification intents of dead run %s", len(got), name)
                self._enqueue_entries(got)
                if len(got) < len(ids):
                    break
            if not await self.client.xpending_range(self.stream, GROUP, min="-", max="+", count=1,
                                                    consumername=name):
                await self.client.xgroup_delconsumer(self.stream, GROUP, name)

    def _enqueue_entries(self, entries: list) -> None:
        intents, bad = [], []
        for entry_id, fields in entries:
            entry_id = _s(entry_id)
            try:
                raw = fields.get(b"n", fields.get("n"))
                intents.append(_Intent(Notification.from_dict(orjson.loads(raw)), entry_id))
            except Exception:
                log.exception("unreadable notification intent %s dropped", entry_id)
                bad.append(entry_id)
        self._unacked.extend(bad)
        self._enqueue(intents)

    async def _ack_entries(self, ids: list[str]) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(self.stream, GROUP, *ids)
        pipe.xdel(self.stream, *ids)
        await pipe.execute()

    def _enqueue(self, intents: list[_Intent]) -> None:
        self.stats["pending"] += len(intents)
        for it in intents:
            self.queue.put_nowait(it)

    async def _finish(self, items: list[_Intent]) -> None:
        """Every target's outcome of ``items`` is reported: they are done (their stream entries acknowledged)."""
        self.stats["pending"] -= len(items)
        ids = [it.entry for it in items if it.entry is not None]
        if not ids:
            return
        self._written.difference_update(ids)
        try:
            await self._ack_entries(ids)
        except Exception:   # acknowledged by the reader when Redis is back
            log.warning("notification intents %s not acknowledged (Redis away); retried", ids, exc_info=True)
            self._unacked.extend(ids)

    # ---- internals -------------------------------------------------------------------------------------------
    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _urls(self, n: Notification) -> list[str]:
        return self.config.receivers.get(n.receiver) or []

    async def _run(self) -> None:
        while True:
            it = await self.queue.get()
            if it is None:
                return
            n = it.note
            urls = self._urls(n)
            if not urls:
                self.stats["skipped"] += 1
                log.debug("receiver %s has no URLs; notification %s skipped", n.receiver, n.key)
                self._spawn(self._finish([it]))
                continue
            rl = self.config.rate_for(n.receiver)
            bucket = self.buckets.setdefault(n.receiver, TokenBucket(rl.burst, rl.per_minute / 60.0))
            b = self.backlog.setdefault(n.receiver, _Backlog())
            if b.items:
                b.items.append(it)
                continue
            wait = bucket.take(time.monotonic())
            if wait == 0:
                self._spawn(self._deliver([it], urls))
            else:
                b.items.append(it)
                b.task = asyncio.ensure_future(self._release_digest(n.receiver, wait))
                self.tasks.add(b.task)
                b.task.add_done_callback(self.tasks.discard)

    async def _release_digest(self, receiver: str, wait: float) -> None:
        """After the bucket refills, everything that queued up for ``receiver`` leaves as one message."""
        await asyncio.sleep(wait)
        b = self.backlog[receiver]
        items, b.items = b.items, []
        self.buckets[receiver].take(time.monotonic())
        if items:
            await self._deliver(items, self.config.receivers.get(receiver) or [])

    async def _deliver(self, intents: list[_Intent], urls: list[str]) -> None:
        items = [it.note for it in intents]
        for url in urls:
            mine = []
            for n in items:
                try:
                    claimed = await self.sent.claim(self._target_key(n.key, url), self._claim_hold_s)
                except Exception:   # the sent-log (Redis) away: rather twice than never
                    self.stats["unclaimed"] += 1
                    log.warning("sent-log unreachable; %s sent to %s without a claim", n.key, target_name(url),
                                exc_info=True)
                    claimed = True
                if claimed:
                    mine.append(n)
                else:
                    self.stats["duplicate"] += 1
            if not mine:
                continue
            message = mine[0] if len(mine) == 1 else self._digest(mine)
            result = await self._send_with_retry(message, url)
            for n in mine:
                key = self._target_key(n.key, url)
                try:
                    await (self.sent.done(key) if result["ok"] else self.sent.release(key))
                except Exception:
                    log.warning("sent-log unreachable; %s to %s not marked", n.key, target_name(url), exc_info=True)
                # ``message``: the key of what was sent (a digest's own key when several intents left as one)
                await self._report(n, {**result, "message": message.key})
        await self._finish(intents)

    @staticmethod
    def _target_key(key: str, url: str) -> str:
        return key + ":" + hashlib.sha1(url.encode()).hexdigest()[:8]

    def _digest(self, items: list[Notification]) -> Notification:
        self.stats["digests"] += 1
        latest: dict[str, dict[str, Any]] = {}
        for n in items:
            for a in n.alerts:
                latest[a["alert_id"]] = a
        keys = ",".join(n.key for n in items)
        return Notification(key="digest:" + hashlib.sha1(keys.encode()).hexdigest()[:12], receiver=items[0].receiver,
                            reason="digest", ts=items[-1].ts, alerts=list(latest.values()), step=len(items))

    async def _send_with_retry(self, n: Notification, url: str) -> dict[str, Any]:
        title, body = render(n, self.config.language, self.config.board_url or "http://127.0.0.1:8501",
                             utc_offset_h=self.utc_offset_h, max_bytes=self.size_limit(url))
        retry = self.config.retry
        delay, error = retry.backoff_s, ""
        for attempt in range(1, retry.attempts + 1):
            try:
                ok, error = await asyncio.wait_for(self._send_once(url, title, body), retry.timeout_s)
            except asyncio.TimeoutError:
                ok, error = False, f"timeout after {retry.timeout_s}s"
            except Exception as exc:  # an integration bug must not kill the notifier
                ok, error = False, f"{type(exc).__name__}: {exc}"
            if ok:
                self.stats["sent"] += 1
                return {"ok": True, "attempts": attempt, "error": None, "target": target_name(url),
                        "digest": n.reason == "digest"}
            if attempt < retry.attempts:
                await asyncio.sleep(delay)
                delay = min(delay * retry.factor, retry.backoff_max_s)
        self.stats["failed"] += 1
        return {"ok": False, "attempts": retry.attempts, "error": error or "delivery failed",
                "target": target_name(url), "digest": n.reason == "digest"}

    def size_limit(self, url: str) -> int | None:
        """The most a message to ``url`` may hold, title and body together, in UTF-8 bytes: the apprise service's
        own body limit (a WeCom bot 2,048, Telegram 4,096, an SMS service 160; mail and webhooks 32,768), taken
        as bytes, which a WeCom bot counts and which is never more than the characters other services count.
        Apprise passes a longer body on as it is by default, and the service rejects or cuts it."""
        if url not in self._limits:
            try:
                plugin = apprise.Apprise.instantiate(url)
            except Exception:   # an invalid URL fails at the send, with its reason
                plugin = None
            limit = getattr(plugin, "body_maxlen", 0) if plugin is not None else 0
            self._limits[url] = int(limit) if limit and limit > 0 else None
        return self._limits[url]

    async def _send_once(self, url: str, title: str, body: str) -> tuple[bool, str]:
        ap = apprise.Apprise()
        if not ap.add(url):
            return False, f"invalid apprise URL for {target_name(url)}"
        with apprise.LogCapture(level=logging.WARNING) as logs:
            ok = await ap.async_notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
            text = logs.getvalue().strip().splitlines()
        return bool(ok), (text[-1].split(" - ", 2)[-1] if text else "")

    async def _report(self, n: Notification, result: dict[str, Any]) -> None:
        if self.on_result is None:
            return
        row = {"key": n.key, "receiver": n.receiver, "reason": n.reason, "ts": time.time(), **result}
        for a in n.alerts:
            try:   # a failed record (Redis away) must not stop the sent-log marks and the other targets' sends
                out = self.on_result(a["alert_id"], {**row, "status": a["status"], "seq": a.get("seq")})
                if inspect.isawaitable(out):
                    await out
            except Exception:
                self.stats["unrecorded"] += 1
                log.exception("delivery result of %s for alert %s not recorded", n.key, a["alert_id"])
