"""Delivery of notification intents with apprise, off the stream's path.

``Notifier.submit()`` only puts intents on an asyncio queue; a background task sends them. Each apprise URL
of a receiver is one *target* with its own retries (exponential backoff), so a target that is down does not
make the others receive duplicates. Per receiver a token bucket limits the rate; what exceeds it waits and
leaves as one digest. A sent-log in Redis (``SET NX`` claim, then ``ok`` with a TTL) makes delivery idempotent
by (notification key, target): a restarted worker that re-submits the same intents sends nothing twice that was
sent, and takes over the claims its predecessor left mid-send (:class:`SentLog`).
Every outcome (ok / failed + error + attempts) goes to ``on_result(alert_id, result)``, which the worker
wires to ``AlertStore.record_delivery``.
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

from alerts.config import AlertsConfig
from alerts.state import Notification
from alerts.templates import render

log = logging.getLogger(__name__)
ResultCallback = Callable[[str, dict[str, Any]], "Awaitable[None] | None"]


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


@dataclass
class _Backlog:
    items: list[Notification] = field(default_factory=list)
    task: asyncio.Task | None = None


class Notifier:
    """Send notifications in the background; see the module docstring."""

    def __init__(self, config: AlertsConfig, redis_client: Any = None, prefix: str = "yj:",
                 on_result: ResultCallback | None = None):
        self.config = config
        self.sent = SentLog(redis_client, prefix, config.sent_log_ttl_s)
        self.on_result = on_result
        self.queue: asyncio.Queue[Notification | None] = asyncio.Queue()
        self.buckets: dict[str, TokenBucket] = {}
        self.backlog: dict[str, _Backlog] = {}
        self.tasks: set[asyncio.Task] = set()
        self.stats = {"sent": 0, "failed": 0, "duplicate": 0, "skipped": 0, "digests": 0, "unrecorded": 0,
                      "unclaimed": 0}
        self._runner: asyncio.Task | None = None

    # ---- public ----------------------------------------------------------------------------------------------
    def submit(self, notes: Iterable[Notification]) -> None:
        """Queue intents; never blocks the caller."""
        for n in notes:
            self.queue.put_nowait(n)

    def start(self) -> None:
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="yujing-notifier")

    async def drain(self, timeout: float = 60.0) -> None:
        """Wait until everything queued so far has been delivered or has failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = (not self.queue.empty()) or any(not t.done() for t in self.tasks) or any(
                b.items for b in self.backlog.values())
            if not busy:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("notifications still pending")

    async def close(self) -> None:
        if self._runner is not None:
            self.queue.put_nowait(None)
            await self._runner
            self._runner = None
        for t in list(self.tasks):
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    # ---- internals -------------------------------------------------------------------------------------------
    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self) -> None:
        while True:
            n = await self.queue.get()
            if n is None:
                return
            urls = self.config.receivers.get(n.receiver) or []
            if not urls:
                self.stats["skipped"] += 1
                log.debug("receiver %s has no URLs; notification %s skipped", n.receiver, n.key)
                continue
            rl = self.config.rate_for(n.receiver)
            bucket = self.buckets.setdefault(n.receiver, TokenBucket(rl.burst, rl.per_minute / 60.0))
            b = self.backlog.setdefault(n.receiver, _Backlog())
            if b.items:
                b.items.append(n)
                continue
            wait = bucket.take(time.monotonic())
            if wait == 0:
                self._spawn(self._deliver([n], urls))
            else:
                b.items.append(n)
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

    async def _deliver(self, items: list[Notification], urls: list[str]) -> None:
        for url in urls:
            mine = []
            for n in items:
                try:
                    claimed = await self.sent.claim(self._target_key(n.key, url))
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
                await self._report(n, result)

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
        title, body = render(n, self.config.language, self.config.board_url or "http://127.0.0.1:8501")
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
