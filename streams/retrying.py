"""Retry a take's writes in place until they succeed, so a blip of Redis or the broker loses nothing.

A take's writes (its counters, its changelog, its output records, the board's risk keys) must all succeed
before the take is acknowledged. If one raised out of the agent, faust would restart the agent in the same
process: the take's state is already applied in memory, so its counter deltas, changelog entries and outputs
would be lost, and its offsets would stay unacknowledged while later takes are acknowledged (the commit stuck
there until the next restart). So each write is retried where it stands, with exponential backoff
(tenacity), and while it is retried the worker says so (``blocked`` in its heartbeat, gauges on ``/metrics``).
A write that still fails after ``give_up_s`` ends the process (exit status 75): the supervisor (the demo's, or
the container's restart policy) starts it again, and it resumes from its last committed offset and restored
tables — the path the kill tests prove exact.

Every write retried here is safe to repeat: counters are guarded (:meth:`Live._count` checks whether an
ambiguous MULTI/EXEC went through), changelog records are idempotent (the same key, the same value, in order)
and only the output batches that failed are sent again.

>>> import asyncio
>>> tries = []
>>> async def flaky():
...     tries.append(1)
...     if len(tries) < 3:
...         raise ConnectionError("redis down")
...     return "written"
>>> r = Retry(give_up_s=10, first_wait_s=0.001)
>>> asyncio.run(r("stats", flaky)), len(tries), r.blocked, r.retries["stats"]
('written', 3, {}, 2)
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_delay, wait_exponential

log = logging.getLogger(__name__)
T = TypeVar("T")

GIVE_UP_EXIT = 75
"""Exit status of a worker that gave up a write (EX_TEMPFAIL): restart me."""


def give_up(step: str, exc: BaseException) -> None:  # pragma: no cover - ends the process
    """Default end of a write that never succeeded: log it and exit at once, like a crash (no commit, no
    flush: what the take did is re-read from the last committed offset by the restarted worker)."""
    log.critical("giving up %s after retries (%r): exiting for a restart", step, exc)
    logging.shutdown()
    os._exit(GIVE_UP_EXIT)


class Retry:
    """Runs a write until it succeeds; remembers which writes are blocked, since when and why.

    ``blocked``: step -> {"since": wall time of the first failure, "tries": failed attempts, "error": last
    error}; empty when every write goes through. ``retries``: failed attempts per step since the start.
    """

    def __init__(self, give_up_s: float = 300.0, first_wait_s: float = 0.2, max_wait_s: float = 5.0,
                 on_give_up: Callable[[str, BaseException], None] = give_up,
                 on_retry: Callable[[str], None] | None = None) -> None:
        self.give_up_s = give_up_s
        self.first_wait_s = first_wait_s
        self.max_wait_s = max_wait_s
        self.on_give_up = on_give_up
        self.on_retry = on_retry
        self.blocked: dict[str, dict[str, Any]] = {}
        self.retries: dict[str, int] = {}

    async def __call__(self, step: str, write: Callable[[], Awaitable[T]]) -> T:
        """``await write()`` until it returns; ``step`` names it in logs, heartbeat and metrics."""
        try:
            return await write()   # the common case: no retry machinery at all
        except Exception as exc:
            self._failed(step, exc)
        await asyncio.sleep(self.first_wait_s)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Exception), reraise=True,
            wait=wait_exponential(multiplier=self.first_wait_s, min=self.first_wait_s, max=self.max_wait_s),
            stop=stop_after_delay(self.give_up_s),
            before_sleep=lambda state: self._failed(step, _error(state)))
        try:
            async for attempt in retrying:
                with attempt:
                    result = await write()
        except Exception as exc:
            self.on_give_up(step, exc)
            raise
        # two agents may be blocked on the same kind of write: the first through clears it for both
        b = self.blocked.pop(step, None)
        if b is not None:
            log.warning("%s went through again after %.1f s", step, time.time() - b["since"])
        return result

    def _failed(self, step: str, exc: BaseException) -> None:
        b = self.blocked.setdefault(step, {"since": time.time(), "tries": 0})
        b["tries"] += 1
        b["error"] = repr(exc)[:200]
        self.retries[step] = self.retries.get(step, 0) + 1
        if self.on_retry is not None:
            self.on_retry(step)
        log.warning("%s failed (%d so far, blocked %.1f s), retrying: %r", step, b["tries"],
                    time.time() - b["since"], exc)

    def blocked_for(self) -> float:
        """Seconds the longest-blocked write has been failing (0 when none is)."""
        return max((time.time() - b["since"] for b in self.blocked.values()), default=0.0)


class Outage:
    """``async with`` around a timer's work that runs again next tick anyway: a failure is swallowed and logged
    when the outage starts (``traceback``: with it), and once more when the work goes through again.

    >>> import asyncio
    >>> o = Outage("heartbeat")
    >>> async def beat(ok):
    ...     async with o:
    ...         if not ok:
    ...             raise ConnectionError("redis down")
    >>> asyncio.run(beat(False)); asyncio.run(beat(False)); o.since is not None   # swallowed, logged once
    True
    >>> asyncio.run(beat(True)); o.since is None
    True
    """

    def __init__(self, what: str, traceback: bool = False) -> None:
        self.what = what
        self.traceback = traceback
        self.since: float | None = None
        """Wall time the outage started, None while the work goes through."""

    async def __aenter__(self) -> Outage:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None:
            if self.since is not None:
                log.warning("%s goes through again after %.0f s", self.what, time.time() - self.since)
                self.since = None
            return False
        if not isinstance(exc, Exception):
            return False   # cancellation, exit: not ours to swallow
        if self.since is None:
            self.since = time.time()
            log.warning("%s failed (retried every tick): %r", self.what, exc, exc_info=exc if self.traceback else None)
        return True


def _error(state: RetryCallState) -> BaseException:
    exc = state.outcome.exception() if state.outcome is not None else None
    return exc if exc is not None else RuntimeError("unknown failure")
