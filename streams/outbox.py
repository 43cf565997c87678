"""Output of a step, safe before its input is acknowledged: the tables' changelog records
(:class:`ChangelogWriter`) and every other output record (:class:`Outbox`), handed to the producer as whole
batches per topic-partition and awaited until the broker has them; what fails is sent again, and only that
(:mod:`streams.retrying`)."""
from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from streams.retrying import Retry
from streams.wire import murmur2, pack
from yujing.heap import kept_dumps

log = logging.getLogger("yujing.live")

PARTITION_CACHE = 16_384
"""Keys whose default partition is remembered (least recently used first out). murmur2 is pure Python (~1.4 µs a
key); on public-1 this many keep 98 % of the hits of an unbounded cache (keys repeat within minutes: an order's
risk records, a customer's contacts), and the cache stays a few MB however many orders are open. The cache it replaces
kept up to 200,000 keys, ~175 bytes per new order (its risk record's key and its customer's) in a worker holding
100k."""


@functools.lru_cache(maxsize=PARTITION_CACHE)
def default_partition(key: bytes, n: int) -> int:
    """Where the default partitioner (aiokafka's, the Java client's) puts ``key`` among ``n`` partitions.

    >>> default_partition(b"WO-1", 12) == (murmur2(b"WO-1") & 0x7FFFFFFF) % 12
    True
    """
    return (murmur2(key) & 0x7FFFFFFF) % n


class ChangelogWriter:
    """Sends TableStore flushes to the table's changelog, one partition per order's source partition.

    Tansu reports a partition's end offset as *start of its last batch + 1*, so a restarted worker whose
    faust recovery reads "up to the end" would miss the rest of a multi-record last batch. The writer
    therefore builds the batches itself (``send_batch``): per partition one batch with all records but the
    last, then one batch with the last record alone. The end offset Tansu reports is then exact, and the
    other output topics keep their normal (large) batches.

    Every partition's head goes first, then every last record: the producer holds a second batch of a
    partition until the first is in a request, and sends one request at a time, so head and last partition
    by partition cost a broker round trip per partition (two requests a write instead of ~24 for 12).
    """

    def __init__(self, producer: Any, topic: str, retry: Retry | None = None) -> None:
        self.producer = producer
        self.topic = topic
        self.retry = retry or Retry()
        self.records = 0

    async def write(self, by_partition: dict[int, list[tuple[str, bytes | None]]]) -> None:
        """Send the records and wait until the broker has them (the take is acknowledged after this); a failed
        send is sent again (:mod:`streams.retrying`: a table record repeated in order changes nothing)."""
        if by_partition:
            await self.retry("changelog " + self.topic, lambda: self._write(by_partition))
            self.records += sum(len(recs) for recs in by_partition.values())

    async def _write(self, by_partition: dict[int, list[tuple[str, bytes | None]]]) -> None:
        dumps = kept_dumps
        keyed = {p: [(dumps(key), value) for key, value in recs] for p, recs in by_partition.items()}
        sent = []
        for p, recs in keyed.items():
            if len(recs) > 1:
                sent.extend(await send_records(self.producer, self.topic, p, recs[:-1]))
        for p, recs in keyed.items():
            sent.extend(await send_records(self.producer, self.topic, p, recs[-1:]))
        await delivered(sent)


async def send_records(producer: Any, topic: str, partition: int, recs: list[tuple[bytes | None, bytes | None]]
                       ) -> list:
    """Hand one topic-partition's records to the producer in as few batches as fit; their delivery futures."""
    sent = []
    batch = producer.create_batch()
    for key, value in recs:
        if batch.append(key=key, value=value, timestamp=None) is None:
            batch.close()
            sent.append(await producer.send_batch(batch, topic, partition=partition))
            batch = producer.create_batch()
            batch.append(key=key, value=value, timestamp=None)
    batch.close()
    sent.append(await producer.send_batch(batch, topic, partition=partition))
    return sent


class Outbox:
    """Output records of one step, grouped by topic-partition and handed to the producer as whole batches.

    ``AIOKafkaProducer.send`` costs an await, a future and a partitioner call per record (~4 records per input
    event: signals, conditions, risk); here each topic-partition gets one ``send_batch`` per step. :meth:`flush`
    returns once the broker has every batch (one round trip per step, not per record), so a step's input is
    acknowledged only after its output is safe. Batches that fail are sent again, and only those
    (:mod:`streams.retrying`), so a broker blip neither loses nor repeats output.

    The agents of a worker share one outbox, so a flush may send records another agent queued; it therefore
    also waits for every flush started before it. Without that, an agent whose records an earlier flush had
    taken returned at once and took its output as safe while it was still on its way (a kill then lost it).
    """

    def __init__(self, producer: Any, retry: Retry | None = None) -> None:
        self.producer = producer
        self.retry = retry or Retry()
        self.pending: dict[tuple[str, int | None], list[tuple[bytes | None, bytes]]] = {}
        self.partitions: dict[str, int] = {}
        self.records = 0
        self.packed: dict[str, list[tuple[bytes, Any]]] = {}
        """Objects to pack per partition at :meth:`flush` (:meth:`extend_packed`), per topic."""
        self._last: asyncio.Future | None = None
        """Done when the latest flush and all before it are (each flush waits for its predecessor)."""

    def add(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """Queue one record: keyed records go where the default partitioner puts them, others to partition 0."""
        self.pending.setdefault((topic, None if key is not None else 0), []).append((key, value))

    def extend(self, topic: str, values: list[bytes]) -> None:
        """Queue unkeyed records (partition 0: the one-partition internal topics)."""
        self.pending.setdefault((topic, 0), []).extend([(None, v) for v in values])

    def extend_keyed(self, topic: str, pairs: list[tuple[str, bytes]]) -> None:
        """Queue (key, value) records, keys as text."""
        self.pending.setdefault((topic, None), []).extend([(k.encode(), v) for k, v in pairs])

    def extend_packed(self, topic: str, items: list[tuple[str, Any]]) -> None:
        """Queue (key, object) pairs; at :meth:`flush` those the default partitioner puts in one partition go
        as records of up to :data:`streams.wire.PER_RECORD` objects (:func:`streams.wire.pack`), so every object
        reaches the partition its key would have taken it to alone, in order."""
        self.packed.setdefault(topic, []).extend([(k.encode(), obj) for k, obj in items])

    def extend_packed_to(self, topic: str, items: list[tuple[int, str, Any]]) -> None:
        """Queue (partition, key, object) triples as packed records per partition (:func:`streams.wire.pack`), in
        order."""
        by_p: dict[int, list[tuple[bytes, Any]]] = {}
        for p, k, obj in items:
            by_p.setdefault(p, []).append((k.encode(), obj))
        pending = self.pending
        for p, objs in by_p.items():
            pending.setdefault((topic, p), []).extend(pack(objs))

    def extend_to(self, topic: str, records: list[tuple[int, str, bytes]]) -> None:
        """Queue (partition, key, value) records for the partitions given (keys as text)."""
        pending = self.pending
        for p, k, v in records:
            pending.setdefault((topic, p), []).append((k.encode(), v))

    async def _count_of(self, topic: str) -> int:
        n = self.partitions.get(topic)
        if n is None:
            n = await self.retry("topic metadata", lambda: self.producer.partitions_for(topic))
            n = self.partitions[topic] = len(n)
        return n

    async def flush(self) -> None:
        """Send everything queued and return once the broker has all of it (retrying what failed), and every
        flush started before this one is done too (it may hold records the caller queued)."""
        prev = self._last
        pending, self.pending = self.pending, {}
        packed, self.packed = self.packed, {}
        if not (pending or packed):
            if prev is not None and not prev.done():
                await asyncio.shield(prev)
            return
        mine = self._last = asyncio.get_running_loop().create_future()
        try:
            await self._send(pending, packed)
            if prev is not None and not prev.done():
                await asyncio.shield(prev)
        finally:
            if not mine.done():
                mine.set_result(None)

    async def _send(self, pending: dict[tuple[str, int | None], list[tuple[bytes | None, bytes]]],
                    packed: dict[str, list[tuple[bytes, Any]]]) -> None:
        groups: list[tuple[str, int, list[tuple[bytes | None, bytes]]]] = []
        for topic, items in packed.items():
            groups.extend((topic, q, pack(objs)) for q, objs in (await self._by_partition(topic, items)).items())
        for (topic, p), recs in pending.items():
            if p is None:
                groups.extend((topic, q, part) for q, part in (await self._by_partition(topic, recs)).items())
            else:
                groups.append((topic, p, recs))
        await self.retry("output", lambda: self._deliver(groups))

    async def _by_partition(self, topic: str, keyed: list[tuple[bytes, Any]]) -> dict[int, list[tuple[bytes, Any]]]:
        """Keyed items grouped by the partition the default partitioner gives their keys, in order."""
        n = await self._count_of(topic)
        partition = default_partition
        by_p: dict[int, list[tuple[bytes, Any]]] = {}
        for key, item in keyed:
            by_p.setdefault(partition(key, n), []).append((key, item))
        return by_p

    async def _deliver(self, groups: list[tuple[str, int, list[tuple[bytes | None, bytes]]]]) -> None:
        """Send ``groups`` (topic, partition, records) in order and wait for the broker; those that failed stay
        in ``groups`` (the next attempt sends only them) and the first failure is raised."""
        sent: list = []   # per group: the delivery futures of its batches, or the error that stopped it
        for topic, p, recs in groups:
            try:
                sent.append(await send_records(self.producer, topic, p, recs))
            except Exception as exc:   # the producer refused the batch outright (closed, timed out waiting)
                sent.append(exc)
        results = [r if isinstance(r, Exception) else await _outcome(r) for r in sent]
        failed = [g for g, r in zip(groups, results) if r is not None]
        self.records += sum(len(g[2]) for g, r in zip(groups, results) if r is None)
        groups[:] = failed
        if failed:
            raise next(r for r in results if r is not None)


async def _outcome(futures: list) -> Exception | None:
    """None once every future succeeded, else the first error (logged)."""
    for r in await asyncio.gather(*futures, return_exceptions=True):
        if isinstance(r, Exception):
            log.error("produce failed: %r", r)
            return r
    return None


async def delivered(futures: list) -> None:
    """Wait for the broker's acknowledgement of every batch sent; the first failure is logged and raised."""
    exc = await _outcome(futures)
    if exc is not None:
        raise exc
