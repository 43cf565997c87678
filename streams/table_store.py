"""Per-order state kept in a faust Table, seen by the core as a plain ``MutableMapping``.

``OrderStage`` reads and mutates ``OrderState`` objects in place; it does not tell anyone what it changed.
:class:`TableStore` therefore treats every key it handed out (or was given) during a batch as *touched*, and
at the end of the batch encodes the touched states once and writes only those whose bytes changed: one
changelog record per changed order per batch, however many events the batch held for it (coalesced writes).

Where the bytes go is left to the caller: :meth:`flush` returns the changelog records grouped by partition; the
live shell sends them (``streams.outbox.ChangelogWriter``) to the partition the order's events come from, so that a
worker that takes over a partition recovers exactly the orders of that partition.

The local store (the faust table's ``data``, which recovery fills with encoded values) is the only mapping of
keys: it holds the decoded object itself once a key is read, and recovery's bytes until then. What the store must
remember of a key, its last encoded value's digest (``hash(bytes)``, enough to tell whether a touched object
changed) and the partition it was written to, is one int on the object (:class:`Stored`), not a second and third
dict of every key (~35 bytes each per open order) nor a copy of its bytes (~400). A key recovery refilled holds
bytes again, so it is decoded from the changelog's version.

With ``hot`` > 0 only that many values stay decoded: the keys touched most recently (at :meth:`flush`). The
others are kept *frozen* (:class:`Frozen`: the value's own compact bytes, ``freeze``, behind its mark) and thawed
when the key is read again. An open order decoded is ~900 bytes of objects, frozen ~300: a province's open
orders are mostly waiting (on a crew, a reply, a revisit), and the worker's memory is theirs.

Reading with ``[]`` or :meth:`get` hands out a value to change (it is touched, and written if its bytes changed);
:meth:`items` and :meth:`values` are a read-only look (an hourly eviction scan): they touch nothing and a frozen
value is thawed for the look only, not kept.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from typing import Generic, Protocol, TypeVar

PARTITION_BITS = 16
"""Low bits of a :attr:`Stored.table_mark` that hold the partition (the digest is shifted above them)."""
_PARTITION_MASK = (1 << PARTITION_BITS) - 1


class Stored(Protocol):
    """A value a :class:`TableStore` holds: it carries the store's mark of its last written bytes."""

    table_mark: int | None
    """``hash(bytes) << PARTITION_BITS | partition`` of the value as last written (or read from recovery);
    ``None``: not in the changelog."""


V = TypeVar("V", bound=Stored)

Record = tuple[str, "bytes | None"]

MARK_BYTES = 11
"""A :class:`Frozen` value starts with its mark, signed little-endian (a mark is under 2**80 in size)."""


class Frozen(bytes):
    """A value kept encoded: its mark (:data:`MARK_BYTES`), then the bytes of the store's ``freeze``. A type of
    its own, told apart from recovery's changelog bytes (``bytes``) and from decoded values."""

    __slots__ = ()

    @classmethod
    def of(cls, mark: int, raw: bytes) -> "Frozen":
        return cls(mark.to_bytes(MARK_BYTES, "little", signed=True) + raw)

    @property
    def mark(self) -> int:
        return int.from_bytes(self[:MARK_BYTES], "little", signed=True)


def table_mark(raw: bytes, partition: int) -> int:
    """The mark of ``raw`` written to ``partition``.

    >>> m = table_mark(b"x", 11); m & 0xFFFF, m >> PARTITION_BITS == hash(b"x")
    (11, True)
    """
    if not 0 <= partition <= _PARTITION_MASK:
        raise ValueError(f"partition {partition} out of range")
    return hash(raw) << PARTITION_BITS | partition


class TableStore(MutableMapping[str, V], Generic[V]):
    """Decoded values over a bytes store; touched keys are re-encoded and flushed once per batch.

    >>> class Box:                              # a value with a slot for the store's mark
    ...     def __init__(self, n): self.n, self.table_mark = n, None
    >>> local: dict = {}                        # stands in for the faust table's local store
    >>> store = TableStore(local, encode=lambda v: str(v.n).encode(), decode=lambda b: Box(int(b)),
    ...                    partition_for=lambda k: len(k) % 2)
    >>> store["WO-1"] = Box(1); store["WO-22"] = Box(5)
    >>> store.flush()
    {0: [('WO-1', b'1')], 1: [('WO-22', b'5')]}
    >>> store["WO-1"].n                         # read, not changed: nothing to write
    1
    >>> store.flush()
    {}
    >>> del store["WO-22"]; store.flush()       # a deletion is a tombstone
    {1: [('WO-22', None)]}
    >>> sorted(local), len(store), "WO-22" in store, local["WO-1"] is store["WO-1"]   # one mapping, no copies
    (['WO-1'], 1, False, True)
    >>> local["WO-3"] = b"7"; store.reload()    # recovery refilled WO-3: decoded from its bytes; WO-1 kept
    >>> store["WO-3"].n, store["WO-1"].n, store.flush()
    (7, 1, {})

    Keeping one value decoded (``hot=1``), the other frozen until it is read:

    >>> cold = TableStore({}, encode=lambda v: str(v.n).encode(), decode=lambda b: Box(int(b)),
    ...                   partition_for=lambda k: 0, freeze=lambda v: bytes([v.n]), thaw=lambda b: Box(b[0]), hot=1)
    >>> cold["A"] = Box(1); cold["B"] = Box(2); _ = cold.flush()
    >>> type(cold.local["A"]).__name__, type(cold.local["B"]).__name__, cold.frozen
    ('Frozen', 'Box', 1)
    >>> [(k, v.n) for k, v in cold.items()], type(cold.local["A"]).__name__   # a look thaws for the look only
    ([('A', 1), ('B', 2)], 'Frozen')
    >>> cold["A"].n, cold.flush(), type(cold.local["B"]).__name__, cold.frozen   # A read (unchanged: not written)
    (1, {}, 'Frozen', 2)
    """

    def __init__(self, local: MutableMapping, encode: Callable[[V], bytes], decode: Callable[[bytes], V],
                 partition_for: Callable[[str], int], freeze: Callable[[V], bytes] | None = None,
                 thaw: Callable[[bytes], V] | None = None, hot: int = 0) -> None:
        self.local = local
        self.encode = encode
        self.decode = decode
        self.partition_for = partition_for
        self.freeze = freeze
        self.thaw = thaw
        self.hot = hot if freeze is not None and thaw is not None else 0
        """How many values stay decoded (0: all)."""
        self._recent: OrderedDict[str, None] = OrderedDict()
        """The decoded keys, least recently touched first (kept only with ``hot``)."""
        self.frozen = 0
        self.thawed = 0
        """Values frozen and thawed so far (counters)."""
        self.touched: dict[str, None] = {}  # insertion-ordered set
        self.deleted: dict[str, int] = {}
        """Keys deleted in this batch, with the partition of their tombstone."""
        self.noted: dict[str, int] = {}
        """Partitions this batch's events came from (:meth:`note_partition`), until :meth:`flush` marks them."""
        self.writes = 0

    # -- MutableMapping -------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> V:
        value = self.local[key]               # KeyError if absent
        if type(value) is bytes:
            value = self._decode(key, value)
        elif type(value) is Frozen:
            value = self._thaw(key, value)
        self.touched[key] = None              # the caller may mutate it in place
        return value

    def get(self, key: str, default: V | None = None) -> V | None:
        """``store[key]`` (touching it), ``default`` if absent, without a KeyError: a new order's key is absent."""
        value = self.local.get(key)
        if value is None:
            return default
        if type(value) is bytes:
            value = self._decode(key, value)
        elif type(value) is Frozen:
            value = self._thaw(key, value)
        self.touched[key] = None
        return value

    def _decode(self, key: str, raw: bytes) -> V:
        """Recovery's bytes of ``key`` as an object, marked as written (unchanged, it is not written again)."""
        value = self.decode(raw)
        value.table_mark = table_mark(raw, self.partition_for(key))
        self.local[key] = value
        return value

    def _thaw(self, key: str, frozen: "Frozen") -> V:
        """A frozen value decoded again and kept so (it is about to be touched)."""
        value = self.thaw(frozen[MARK_BYTES:])  # type: ignore[misc]
        value.table_mark = frozen.mark
        self.local[key] = value
        self.thawed += 1
        return value

    def peek(self, key: str) -> V | None:
        """The value of ``key`` to look at, not to change: nothing is touched or kept decoded."""
        value = self.local.get(key)
        if type(value) is bytes:
            return self.decode(value)
        if type(value) is Frozen:
            return self.thaw(value[MARK_BYTES:])  # type: ignore[misc]
        return value

    def items(self) -> list[tuple[str, V]]:  # type: ignore[override]
        """Every key and value, to look at (:meth:`peek`): a list, so the caller may delete keys afterwards."""
        return [(k, v) for k in self if (v := self.peek(k)) is not None]

    def values(self) -> list[V]:  # type: ignore[override]
        """Every value, to look at (:meth:`peek`)."""
        return [v for k in self if (v := self.peek(k)) is not None]

    def __setitem__(self, key: str, value: V) -> None:
        local = self.local
        old = local.get(key)
        if old is not value:                  # (the stage writes back the object it read: nothing to store)
            if old is not None:               # a new object for the key: written only if its bytes differ
                value.table_mark = (table_mark(old, self.partition_for(key)) if type(old) is bytes
                                    else old.mark if type(old) is Frozen else old.table_mark)
            local[key] = value
        self.touched[key] = None
        if self.deleted:
            self.deleted.pop(key, None)

    def __delitem__(self, key: str) -> None:
        value = self.local.get(key)
        if value is None:
            raise KeyError(key)
        self.deleted[key] = self.partition_of(key)
        if type(value) is not bytes and type(value) is not Frozen:
            value.table_mark = None           # after the tombstone its bytes are no longer in the changelog
        self.local.pop(key, None)
        self.touched.pop(key, None)
        self._recent.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self.local

    def __iter__(self) -> Iterator[str]:
        for key in list(self.local):
            yield key.decode() if isinstance(key, bytes) else key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    # -- batch bookkeeping ----------------------------------------------------------------------------
    def note_partition(self, key: str, partition: int) -> None:
        """Remember which source partition ``key`` lives in (the partition its events arrive on)."""
        self.noted[key] = partition

    def partition_of(self, key: str) -> int:
        """The partition ``key`` is written to: where its events came from (noted in this batch or marked when
        last written), else ``partition_for(key)``."""
        p = self.noted.get(key)
        if p is not None:
            return p
        value = self.local.get(key)
        mark = value.mark if type(value) is Frozen else getattr(value, "table_mark", None)
        return self.partition_for(key) if mark is None else mark & _PARTITION_MASK

    def flush(self) -> dict[int, list[Record]]:
        """Write touched states whose bytes changed and deletions; return them by partition."""
        out: dict[int, list[Record]] = {}
        local, noted = self.local, self.noted
        for key in self.touched:
            value = local.get(key)
            if value is None or type(value) is bytes or type(value) is Frozen:
                continue
            raw = self.encode(value)
            old = value.table_mark
            p = noted.get(key)
            if p is None:
                p = self.partition_for(key) if old is None else old & _PARTITION_MASK
            mark = value.table_mark = table_mark(raw, p)
            if old is not None and old >> PARTITION_BITS == mark >> PARTITION_BITS:
                continue                      # the same bytes (perhaps noted in another partition from now on)
            out.setdefault(p, []).append((key, raw))
        for key, p in self.deleted.items():
            out.setdefault(p, []).append((key, None))
        self.writes += sum(len(v) for v in out.values())
        self._cool()
        self.touched.clear()
        self.deleted.clear()
        noted.clear()
        return out

    def forget_touches(self) -> None:
        """Drop the touched marks without writing (after a sweep that changed nothing worth writing, such as
        rebuilding timers); values decoded for it stay decoded only up to ``hot``."""
        self._cool()
        self.touched.clear()

    def _cool(self) -> None:
        """Move the touched keys to the recent end; freeze the least recent beyond ``hot``."""
        if not self.hot:
            return
        recent, local = self._recent, self.local
        for key in self.touched:
            recent[key] = None
            recent.move_to_end(key)
        for key in self.deleted:
            recent.pop(key, None)
        freeze = self.freeze
        while len(recent) > self.hot:
            key = recent.popitem(last=False)[0]
            value = local.get(key)
            if value is None or type(value) is bytes or type(value) is Frozen or value.table_mark is None:
                continue   # gone, not decoded, or never written (stays decoded: rare)
            try:
                raw = freeze(value)  # type: ignore[misc]
            except ValueError:   # a field ``freeze`` cannot hold: kept decoded
                continue
            local[key] = Frozen.of(value.table_mark, raw)
            self.frozen += 1

    def drop_partitions(self, partitions: set[int]) -> int:
        """Forget the keys of partitions this worker no longer owns (local only, no tombstones)."""
        gone = [k for k in self if self.partition_of(k) in partitions]
        for key in gone:
            self.local.pop(key, None)
            self.touched.pop(key, None)
            self.noted.pop(key, None)
            self._recent.pop(key, None)
        return len(gone)

    def reload(self) -> None:
        """After recovery refilled the local store: the keys it refilled hold the changelog's bytes again (decoded
        on the next read), the others still our objects; only this batch's bookkeeping is dropped."""
        self.touched.clear()
        self.deleted.clear()
        self.noted.clear()


def order_store(local: MutableMapping, partition_for: Callable[[str], int], hot: int = 0) -> "TableStore":
    """The order worker's store of orders: changelog values ``OrderState.to_record`` as JSON, the others kept
    encoded by ``OrderState.freeze`` beyond the ``hot`` most recent (``[worker] hot_orders``; 0: all decoded)."""
    import orjson

    from streams.orders import OrderState
    from yujing.heap import kept_dumps

    return TableStore(local, encode=lambda o: kept_dumps(o.to_record()),
                      decode=lambda b: OrderState.from_record(orjson.loads(b)), partition_for=partition_for,
                      freeze=OrderState.freeze, thaw=OrderState.thaw, hot=hot)


def customer_store(local: MutableMapping, partition_for: Callable[[str], int], hot: int = 0) -> "TableStore":
    """The order worker's store of customers (``CustomerState``), as :func:`order_store` keeps orders."""
    import orjson

    from streams.customer_stage import CustomerState
    from yujing.heap import kept_dumps

    return TableStore(local, encode=lambda c: kept_dumps(c.to_dict()),
                      decode=lambda b: CustomerState.from_dict(orjson.loads(b)), partition_for=partition_for,
                      freeze=CustomerState.freeze, thaw=CustomerState.thaw, hot=hot)
