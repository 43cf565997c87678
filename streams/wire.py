"""How records look on yujing's internal topics: packed arrays of signals and customer requests, conditions,
dead letters, and Kafka's key hash (which partition a keyed record goes to).

Packing many objects into one record saves, per object, the producer's append, the broker's record and the
consumer's unpacking and acknowledgement; a record of one object (written before the packing) reads the same.
"""
from __future__ import annotations

import dataclasses
import struct
import time
from typing import Any

import orjson

from streams.signals import ScopeSignal
from yujing.heap import kept_dumps
from yujing.records import Condition, fmt_ts

SIGNALS_PER_RECORD = 100
"""ScopeSignals packed into one record of ``scope-signals`` (a JSON array; :func:`encode_signals`)."""
PER_RECORD = 100
"""Customer requests (and contexts) of one partition packed into one record (a JSON array; :func:`unpack`)."""
RAW_KEEP = 2000
"""Characters of a rejected input kept in the dead letter (a 1 MB line is not copied whole)."""


def encode_condition(c: Condition) -> bytes:
    return kept_dumps(dataclasses.asdict(c))


def decode_condition(raw: bytes) -> Condition:
    return Condition(**orjson.loads(raw))


def encode_signals(signals: list[ScopeSignal]) -> list[bytes]:
    """A step's ScopeSignals as records of up to :data:`SIGNALS_PER_RECORD` signals each (JSON arrays, in order).

    One record per signal cost the order worker ~3 µs a signal (~2.6 per event): an orjson result kept alive
    is a fresh ~1 KB allocation shrunk to fit, ten times the cost of serialising the signal; the scope stage
    read a consumer record per signal too.

    >>> s = ScopeSignal("arrival", 5.0, "WO-1", None, "north", None, "complaint", "app")
    >>> [decode_signals(r) == [s] * n for r, n in zip(encode_signals([s] * 150), (100, 50))]
    [True, True]
    >>> decode_signals(orjson.dumps(s.to_dict())) == [s]   # a record of one signal (written before packing)
    True
    """
    dumps = kept_dumps
    return [dumps([s.to_dict() for s in signals[i:i + SIGNALS_PER_RECORD]])
            for i in range(0, len(signals), SIGNALS_PER_RECORD)]


def decode_signals(raw: bytes) -> list[ScopeSignal]:
    """The ScopeSignals of one ``scope-signals`` record (see :func:`encode_signals`)."""
    v = orjson.loads(raw)
    from_dict = ScopeSignal.from_dict
    return [from_dict(d) for d in v] if isinstance(v, list) else [from_dict(v)]


def unpack(raw: bytes) -> list[Any]:
    """The objects of one packed record: a JSON array of them, or one object (written before the packing).

    >>> unpack(b'[{"a": 1}, {"a": 2}]'), unpack(b'{"a": 1}')
    ([{'a': 1}, {'a': 2}], [{'a': 1}])
    """
    v = orjson.loads(raw)
    return v if isinstance(v, list) else [v]


def pack(items: list[tuple[bytes, Any]]) -> list[tuple[bytes, bytes]]:
    """Objects bound for one partition as records of up to :data:`PER_RECORD` of them (JSON arrays, in order),
    each keyed by its first object's key: per record, not per object, the producer's append, the broker's
    record, the consumer's unpacking and acknowledgement.

    >>> [(k, unpack(v)) for k, v in pack([(b"c1", {"n": 1}), (b"c2", {"n": 2})])]
    [(b'c1', [{'n': 1}, {'n': 2}])]
    >>> [len(unpack(v)) for _, v in pack([(b"k", {})] * 250)]
    [100, 100, 50]
    """
    dumps = kept_dumps
    return [(items[i][0], dumps([obj for _, obj in items[i:i + PER_RECORD]]))
            for i in range(0, len(items), PER_RECORD)]


def dead_letter(raw: bytes, reason: str, topic: str, partition: int, offset: int, utc_offset_h: float) -> bytes:
    """The dead-letter record of one rejected input (raw text truncated to ``RAW_KEEP`` characters)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else str(raw)
    return orjson.dumps({"reason": reason, "raw": text[:RAW_KEEP], "raw_bytes": len(raw or b""),
                         "topic": topic, "partition": partition, "offset": offset,
                         "ts": fmt_ts(time.time(), utc_offset_h)})


def murmur2(data: bytes) -> int:
    """Kafka's key hash (``aiokafka.partitioner.murmur2``, the Java client's), four bytes at a time: the same
    value in about half the time (aiokafka's is pure Python byte by byte; every new order's risk record and
    customer request has a key never seen before).

    >>> from aiokafka.partitioner import murmur2 as reference
    >>> keys = [b"", b"a", b"ab", b"abc", b"WO-20260714-000123", "客户-7".encode(), bytes(range(256))]
    >>> [murmur2(k) for k in keys] == [reference(k) for k in keys]
    True
    """
    length = len(data)
    m = 0x5BD1E995
    h = 0x9747B28C ^ length
    n4 = length >> 2
    if n4:
        for k in struct.unpack_from(f"<{n4}I", data):
            k = (k * m) & 0xFFFFFFFF
            k = ((k ^ (k >> 24)) * m) & 0xFFFFFFFF
            h = ((h * m) & 0xFFFFFFFF) ^ k
    rest = length & 3
    if rest:
        i = length - rest
        if rest == 3:
            h ^= data[i + 2] << 16
        if rest >= 2:
            h ^= data[i + 1] << 8
        h = ((h ^ data[i]) * m) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * m) & 0xFFFFFFFF
    return h ^ (h >> 15)
