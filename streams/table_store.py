"""Per-order state kept in a faust Table, seen by the core as a plain ``MutableMapping``.

``OrderStage`` reads and mutates ``OrderState`` objects in place; it does not tell anyone what it changed.
:class:`TableStore` therefore treats every key it handed out (or was given) during a batch as *touched*, and
at the end of the batch encodes the touched states once and writes only those whose bytes changed: one
changelog record per changed order per batch, however many events the batch held for it (coalesced writes).

Where the bytes go is left to the caller: :meth:`flush` returns the changelog records grouped by partition; the
live shell sends them (``streams.outbox.ChangelogWriter``) to the partition the order's events come from, so that a
worker that takes over a partition recovers exactly the orders of that partition.

The local store (the faust table's ``data``, which recovery fills with encoded values) keeps, for every key whose
object is decoded here, only a digest of its last encoded value (``hash(bytes)``, 64 bits): enough to tell whether
a touched object changed, without a second copy of every open order (~400 bytes each) next to the object itself.
A value recovery wrote stays bytes until its key is decoded; :meth:`reload` after a rebalance forgets the objects
whose key recovery refilled, so they are decoded from the changelog's version.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Generic, TypeVar

V = TypeVar("V")

Record = tuple[str, "bytes | None"]


class TableStore(MutableMapping[str, V], Generic[V]):
    """Decoded cache over a bytes store; touched keys are re-encoded and flushed once per batch.

    >>> local: dict = {}                       # stands in for the faust table's local store
    >>> store = TableStore(local, encode=lambda v: str(v).encode(), decode=lambda b: int(b),
    ...                    partition_for=lambda k: len(k) % 2)
    >>> store["WO-1"] = 1; store["WO-22"] = 5
    >>> store.flush()
    {0: [('WO-1', b'1')], 1: [('WO-22', b'5')]}
    >>> store["WO-1"]                          # read, not changed: nothing to write
    1
    >>> store.flush()
    {}
    >>> del store["WO-22"]; store.flush()      # a deletion is a tombstone
    {1: [('WO-22', None)]}
    >>> sorted(local), len(store), "WO-22" in store
    (['WO-1'], 1, False)
    >>> local["WO-1"] == hash(b"1")           # a digest, not a second copy of the encoded value
    True
    >>> local["WO-3"] = b"7"; store.reload()   # recovery refilled WO-3: decoded from its bytes; WO-1 kept
    >>> store["WO-3"], store["WO-1"], store.flush()
    (7, 1, {})
    """

    def __init__(self, local: MutableMapping, encode: Callable[[V], bytes], decode: Callable[[bytes], V],
                 partition_for: Callable[[str], int]) -> None:
        self.local = local
        self.encode = encode
        self.decode = decode
        self.partition_for = partition_for
        self.cache: dict[str, V] = {}
        self.touched: dict[str, None] = {}  # insertion-ordered set
        self.deleted: set[str] = set()
        self.partitions: dict[str, int] = {}
        """Partition each key's events came from (:meth:`note_partition`); else ``partition_for(key)``."""
        self.writes = 0

    # -- MutableMapping -------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> V:
        value = self.cache.get(key)
        if value is None:
            value = self.cache[key] = self._decode(key, self.local[key])   # KeyError if absent
        self.touched[key] = None              # the caller may mutate it in place
        return value

    def get(self, key: str, default: V | None = None) -> V | None:
        """``store[key]`` (touching it), ``default`` if absent, without a KeyError: a new order's key is absent."""
        value = self.cache.get(key)
        if value is None:
            raw = self.local.get(key)
            if raw is None:
                return default
            value = self.cache[key] = self._decode(key, raw)
        self.touched[key] = None
        return value

    def _decode(self, key: str, raw: bytes | int) -> V:
        if type(raw) is int:   # a digest: the object must be in the cache (see reload); never read as new
            raise RuntimeError(f"table store: {key!r} has a digest but no decoded object")
        return self.decode(raw)

    def __setitem__(self, key: str, value: V) -> None:
        self.cache[key] = value
        self.touched[key] = None
        self.deleted.discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.cache.pop(key, None)
        self.touched.pop(key, None)
        self.deleted.add(key)

    def __contains__(self, key: object) -> bool:
        return key not in self.deleted and (key in self.cache or key in self.local)

    def __iter__(self) -> Iterator[str]:
        seen = set()
        for key in list(self.cache):
            seen.add(key)
            yield key
        for key in list(self.local):
            key = key.decode() if isinstance(key, bytes) else key
            if key not in seen and key not in self.deleted:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    # -- batch bookkeeping ----------------------------------------------------------------------------
    def note_partition(self, key: str, partition: int) -> None:
        """Remember which source partition ``key`` lives in (the partition its events arrive on)."""
        self.partitions[key] = partition

    def partition_of(self, key: str) -> int:
        p = self.partitions.get(key)
        return self.partition_for(key) if p is None else p

    def flush(self) -> dict[int, list[Record]]:
        """Write touched states whose bytes changed and deletions to the local store; return them by partition."""
        out: dict[int, list[Record]] = {}
        local = self.local
        for key in self.touched:
            value = self.cache.get(key)
            if value is None:
                continue
            raw = self.encode(value)
            digest = hash(raw)
            old = local.get(key)
            if old is not None and (old == digest if type(old) is int else old == raw):
                if type(old) is not int:
                    local[key] = digest   # recovered bytes, now decoded: keep the digest only
                continue
            local[key] = digest
            out.setdefault(self.partition_of(key), []).append((key, raw))
        for key in self.deleted:
            self.local.pop(key, None)
            out.setdefault(self.partition_of(key), []).append((key, None))
            self.partitions.pop(key, None)
        self.writes += sum(len(v) for v in out.values())
        self.touched.clear()
        self.deleted.clear()
        return out

    def forget_touches(self) -> None:
        """Drop the touched marks without writing (after a read-only sweep such as rebuilding timers)."""
        self.touched.clear()

    def drop_partitions(self, partitions: set[int]) -> int:
        """Forget the keys of partitions this worker no longer owns (local only, no tombstones)."""
        gone = [k for k in self if self.partition_of(k) in partitions]
        for key in gone:
            self.cache.pop(key, None)
            self.local.pop(key, None)
            self.touched.pop(key, None)
            self.partitions.pop(key, None)
        return len(gone)

    def reload(self) -> None:
        """After recovery refilled the local store: forget the decoded objects of keys it refilled (they hold the
        changelog's bytes again, decoded on the next read); keep those whose key still holds our digest."""
        local = self.local
        self.cache = {k: v for k, v in self.cache.items() if type(local.get(k)) is int}
        self.touched.clear()
        self.deleted.clear()
