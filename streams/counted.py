"""Exactly-once counters for a worker that may be killed between its changelog and its Redis counters.

A take's counters (events, duplicates, dead letters, …) go to Redis *before* the take's changelog, in one
MULTI/EXEC with the last offset counted of each input partition (hash ``<prefix>stats:through``). A worker that
re-reads a take after a crash then knows which of its records were counted already, whatever the restored
state says about them: it applies them again (their state may be missing) but rolls their counter increments
back, so nothing is counted twice and — because the count precedes the changelog — nothing applied goes
uncounted. Only the worker owning a partition writes its offset; a rebalance forgets the cache
(:meth:`CountedThrough.forget`) so a partition that comes back is read from Redis again.

A take holds the records of one topic (``streams.app.Inbox``), so the per-record test is a dict lookup by
partition; field names are built once per partition, not per record.
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
    >>> ct.missing("events", {0, 1})
    ['events:0', 'events:1']
    >>> ct.load({"events:0": b"41", "events:1": None})      # partition 1 never counted
    >>> limit = ct.limits("events", {0, 1})
    >>> limit, 41 <= limit[0], 42 <= limit[0]
    ({0: 41, 1: -1}, True, False)
    >>> ct.advance("events", {0: 45, 1: 3})
    {'events:0': 45, 'events:1': 3}
    >>> ct.advance("events", {0: 40})                        # a re-read below what was counted: nothing new
    {}
    >>> ct.missing("events", {0}), ct.forget(), ct.missing("events", {0})
    ([], None, ['events:0'])
    """

    def __init__(self) -> None:
        self.through: dict[str, int] = {}

    def missing(self, topic: str, partitions: Iterable[int]) -> list[str]:
        """Fields of ``partitions`` not loaded yet (read them from Redis and :meth:`load` them)."""
        return sorted(k for k in (partition_key(topic, p) for p in partitions) if k not in self.through)

    def load(self, values: dict[str, Any]) -> None:
        """Redis's values (bytes, str or None for a partition never counted)."""
        for key, v in values.items():
            self.through[key] = -1 if v is None else int(v)

    def limits(self, topic: str, partitions: Iterable[int]) -> dict[int, int]:
        """partition -> last counted offset: a record at or below it is a re-read (counted already)."""
        through = self.through
        return {p: through.get(partition_key(topic, p), -1) for p in partitions}

    def advance(self, topic: str, last: dict[int, int]) -> dict[str, int]:
        """Take a take's last offset per partition as counted; return the fields to write (those that moved)."""
        out: dict[str, int] = {}
        for p, offset in last.items():
            key = partition_key(topic, p)
            if offset > self.through.get(key, -1):
                out[key] = offset
        self.through.update(out)
        return out

    def forget(self) -> None:
        """Partitions may have moved (a rebalance): read them from Redis again before counting."""
        self.through.clear()


def last_offsets(records: list[Any]) -> tuple[str, dict[int, int]]:
    """A take's topic and last offset per partition (records of a partition come in offset order).

    >>> from types import SimpleNamespace as R
    >>> last_offsets([R(topic="e", partition=0, offset=5), R(topic="e", partition=1, offset=2),
    ...               R(topic="e", partition=0, offset=6)])
    ('e', {0: 6, 1: 2})
    >>> last_offsets([])
    ('', {})
    """
    if not records:
        return "", {}
    return records[0].topic, {r.partition: r.offset for r in records}


class StatsRollback:
    """Undo the counter increments made inside the block (a record counted before: :class:`CountedThrough`).

    >>> stats = {"events": 5, "duplicates": 1}
    >>> with StatsRollback(stats):
    ...     stats["events"] += 1; stats["duplicates"] += 1; stats["late"] = 1
    >>> stats
    {'events': 5, 'duplicates': 1}
    """

    def __init__(self, stats: dict[str, int]) -> None:
        self.stats = stats
        self.before = dict(stats)

    def __enter__(self) -> StatsRollback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def restore(self) -> None:
        """Put the counters back as they were (outside a ``with`` block: a loop body that may ``continue``)."""
        self.stats.clear()
        self.stats.update(self.before)
