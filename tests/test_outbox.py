"""The outbox's partitioning of keyed records: the default partitioner's choice, remembered for a bounded set of keys."""
from __future__ import annotations

import asyncio

from aiokafka.partitioner import murmur2 as reference

from streams.outbox import PARTITION_CACHE, Outbox, default_partition
from tests.test_retrying import Producer


class TwelvePartitions(Producer):
    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(12))


def test_keyed_records_go_where_the_default_partitioner_puts_them() -> None:
    prod = TwelvePartitions({})
    out = Outbox(prod)
    keys = [f"WO-{i}" for i in range(50)]
    out.extend_keyed("risk", [(k, b"r") for k in keys])
    asyncio.run(out.flush())
    got = {key.decode(): p for _, p, recs in prod.delivered for key, _ in recs}
    assert got == {k: (reference(k.encode()) & 0x7FFFFFFF) % 12 for k in keys}


def test_the_partitions_remembered_are_bounded_however_many_keys_pass() -> None:
    default_partition.cache_clear()
    for i in range(PARTITION_CACHE + 5_000):   # a worker with more open orders than that: each key new
        default_partition(f"WO-{i}".encode(), 12)
    assert default_partition.cache_info().currsize == PARTITION_CACHE   # was up to 200,000 keys per outbox
