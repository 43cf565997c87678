"""Exactly-once counters for a worker that may be killed between its changelog and its Redis counters.

A take's counters (events, duplicates, dead letters, …) go to Redis *before* the take's changelog, in one
MULTI/EXEC with the last offset counted of each input partition (hash ``<prefix>stats:through``). A worker that
re-reads a take after a crash then knows which of its records were counted already, whatever the restored
state says about them: it applies them again (their state may be missing) but rolls their counter increments
back, so nothing is counted twice and — because the count precedes the changelog — nothing applied goes
uncounted. Only the worker owning a partition writes its offset; a rebalance forgets the cache
(:meth:`CountedThrough.forget`) so a partition that comes back is read from Redis again.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def partition_key(topic: str, partition: int) -> str:
    """The ``stats:through`` field of one input partition."""
    return f"{topic}:{partition}"


class CountedThrough:
    """Last counted offset per input partition, as Redis holds it.

    >>> ct = CountedThrough()
    >>> ct.missing([("events", 0), ("events", 1)])
    ['events:0', 'events:1']
    >>> ct.load({"events:0": b"41", "events:1": None})      # partition 1 never counted
    >>> ct.counted("events", 0, 41), ct.counted("events", 0, 42), ct.counted("events", 1, 0)
    (True, False, False)
    >>> ct.advance([("events", 0, 42), ("events", 0, 45), ("events", 1, 3)])
    {'events:0': 45, 'events:1': 3}
    >>> ct.counted("events", 0, 45), ct.missing([("events", 0)])
    (True, [])
    >>> ct.forget(); ct.missing([("events", 0)])
    ['events:0']
    """

    def __init__(self) -> None:
        self.through: dict[str, int] = {}

    def missing(self, partitions: Iterable[tuple[str, int]]) -> list[str]:
        """Fields of ``partitions`` not loaded yet (read them from Redis and :meth:`load` them)."""
        return sorted({partition_key(t, p) for t, p in partitions} - self.through.keys())

    def load(self, values: dict[str, Any]) -> None:
        """Redis's values (bytes, str or None for a partition never counted)."""
        for key, v in values.items():
            self.through[key] = -1 if v is None else int(v)

    def counted(self, topic: str, partition: int, offset: int) -> bool:
        """Whether the record at ``offset`` is in the Redis counters already (a re-read after a crash)."""
        return offset <= self.through.get(partition_key(topic, partition), -1)

    def advance(self, records: Iterable[tuple[str, int, int]]) -> dict[str, int]:
        """Take ``(topic, partition, offset)`` of a take as counted; return the new offsets to write."""
        out: dict[str, int] = {}
        for topic, partition, offset in records:
            key = partition_key(topic, partition)
            if offset > max(out.get(key, -1), self.through.get(key, -1)):
                out[key] = offset
        self.through.update(out)
        return out

    def forget(self) -> None:
        """Partitions may have moved (a rebalance): read them from Redis again before counting."""
        self.through.clear()


class StatsRollback:
    """Undo the counter increments of records that were counted before (see :class:`CountedThrough`).

    >>> stats = {"events": 5, "duplicates": 1}
    >>> with StatsRollback(stats, active=True):
    ...     stats["events"] += 1; stats["duplicates"] += 1; stats["late"] = 1
    >>> stats
    {'events': 5, 'duplicates': 1}
    >>> with StatsRollback(stats, active=False):
    ...     stats["events"] += 1
    >>> stats["events"]
    6
    """

    def __init__(self, stats: dict[str, int], active: bool) -> None:
        self.stats = stats
        self.before = dict(stats) if active else None

    def __enter__(self) -> StatsRollback:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.before is not None:
            self.stats.clear()
            self.stats.update(self.before)
