"""Writes retried in place (streams.retrying): what is sent again, what is not, and giving up.

The Redis path runs against a real server in tests/test_faults.py (an outage mid-run); here the producer is a
stand-in that refuses chosen batches, to show that only the batches that failed are sent again.
"""
from __future__ import annotations

import asyncio

import pytest

from streams.outbox import ChangelogWriter, Outbox
from streams.retrying import Retry


class Batch:
    def __init__(self) -> None:
        self.records: list[tuple[bytes | None, bytes]] = []

    def append(self, key: bytes | None, value: bytes, timestamp: None) -> object:
        self.records.append((key, value))
        return object()

    def close(self) -> None:
        pass


class Producer:
    """Delivers every batch except the first ``fail[(topic, partition)]`` sent to that partition."""

    def __init__(self, fail: dict[tuple[str, int], int]) -> None:
        self.fail = dict(fail)
        self.delivered: list[tuple[str, int, list]] = []
        self.attempts: list[tuple[str, int]] = []

    def create_batch(self) -> Batch:
        return Batch()

    async def send_batch(self, batch: Batch, topic: str, partition: int) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self.attempts.append((topic, partition))
        if self.fail.get((topic, partition), 0) > 0:
            self.fail[(topic, partition)] -= 1
            fut.set_exception(ConnectionError(f"{topic}:{partition} not delivered"))
        else:
            self.delivered.append((topic, partition, batch.records))
            fut.set_result(None)
        return fut

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1}


def test_only_the_batches_that_failed_are_sent_again() -> None:
    prod = Producer({("signals", 1): 2})
    retry = Retry(give_up_s=10, first_wait_s=0.001)
    out = Outbox(prod, retry)
    out.extend_to("signals", [(0, "a", b"1"), (1, "b", b"2"), (1, "c", b"3"), (0, "d", b"4")])
    asyncio.run(out.flush())
    assert prod.attempts == [("signals", 0), ("signals", 1), ("signals", 1), ("signals", 1)]
    assert sorted((p, recs) for _, p, recs in prod.delivered) == [(0, [(b"a", b"1"), (b"d", b"4")]),
                                                                 (1, [(b"b", b"2"), (b"c", b"3")])]
    assert out.records == 4 and retry.retries == {"output": 2} and retry.blocked == {}


def test_a_changelog_write_that_fails_is_written_whole_again_and_counted_once() -> None:
    prod = Producer({("orders-changelog", 0): 1})
    retry = Retry(give_up_s=10, first_wait_s=0.001)
    cl = ChangelogWriter(prod, "orders-changelog", retry)
    asyncio.run(cl.write({0: [("o1", b"x"), ("o2", b"y")], 1: [("o3", None)]}))
    last = {(p, k): v for _, p, recs in prod.delivered for k, v in recs}
    assert last == {(0, b'"o1"'): b"x", (0, b'"o2"'): b"y", (1, b'"o3"'): None}
    assert cl.records == 3 and retry.retries["changelog orders-changelog"] == 1


def test_a_write_that_never_goes_through_gives_up_after_its_time() -> None:
    gave_up: list[str] = []
    retry = Retry(give_up_s=0.3, first_wait_s=0.01, max_wait_s=0.05, on_give_up=lambda step, exc: gave_up.append(step))

    async def down() -> None:
        raise ConnectionError("redis down")

    with pytest.raises(ConnectionError):
        asyncio.run(retry("counters", down))
    assert gave_up == ["counters"] and retry.retries["counters"] >= 3
    assert retry.blocked["counters"]["error"] == "ConnectionError('redis down')"


def test_two_writers_blocked_on_the_same_step_both_go_through() -> None:
    """Two agents (the order stage's take and a tick) may retry the same kind of write at once: the first one
    through must not break the other's bookkeeping."""
    retry = Retry(give_up_s=10, first_wait_s=0.01)
    fails = {"a": 1, "b": 3}

    def writer(name: str):
        async def write() -> str:
            if fails[name]:
                fails[name] -= 1
                raise ConnectionError(f"{name}: broker away")
            return name
        return write

    async def both() -> list[str]:
        return await asyncio.gather(retry("output", writer("a")), retry("output", writer("b")))

    assert asyncio.run(both()) == ["a", "b"]
    assert retry.blocked == {} and retry.retries["output"] == 4


def test_a_flush_returns_only_when_the_flushes_before_it_are_delivered() -> None:
    """Two agents share the outbox: agent B queues its record, agent A's flush takes it on its way; B's own flush
    must not call B's output safe before A's delivery is acknowledged (a kill then lost it)."""
    class SlowProducer(Producer):
        def __init__(self) -> None:
            super().__init__({})
            self.pending: list[asyncio.Future] = []

        async def send_batch(self, batch: Batch, topic: str, partition: int) -> asyncio.Future:
            fut = asyncio.get_running_loop().create_future()
            self.pending.append(fut)   # acknowledged when the test says so
            return fut

    async def scenario() -> list[str]:
        prod = SlowProducer()
        out = Outbox(prod, Retry(give_up_s=10, first_wait_s=0.001))
        seen: list[str] = []
        out.extend_to("signals", [(0, "a", b"from A")])
        out.extend_to("signals", [(1, "b", b"from B")])   # queued by B before A flushes
        a = asyncio.create_task(out.flush())
        await asyncio.sleep(0)
        b = asyncio.create_task(out.flush())             # B: nothing left to send of its own
        b.add_done_callback(lambda _: seen.append("B returned"))
        for _ in range(5):
            await asyncio.sleep(0)
        seen.append("acknowledged")
        for fut in prod.pending:
            fut.set_result(None)
        await asyncio.gather(a, b)
        return seen

    assert asyncio.run(scenario()) == ["acknowledged", "B returned"]
