"""The heap of long runs whose objects mostly live on (``yujing replay``, ``yujing worker``): garbage collection,
and JSON bytes that are kept.

Nearly everything they allocate lives on (imported modules and models, events, orders, customers), yet with
Python's default thresholds (700, 10, 10) every full collection scans all of it again: about 9 % of the CPU
time of a public-1 replay, and 14 % of the order worker's while it drains a topic (three full collections of
~0.1 s each per 30k events, mostly over what the boot imported: faust, aiokafka, river, scipy).
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import orjson

GC_THRESHOLDS = (50_000, 50, 100)
"""Collection thresholds of a long run (Python's default is 700, 10, 10)."""


@contextlib.contextmanager
def long_lived_heap() -> Iterator[None]:
    """Collect less often inside the block; the caller freezes (:func:`gc.freeze`) what lives to the end, so
    that collections need not scan it. The thresholds are restored and frozen objects unfrozen afterwards
    (tests replay in-process)."""
    old = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def kept_dumps(obj: Any) -> bytes:
    """``orjson.dumps(obj)`` as a right-sized copy, for JSON that outlives the call (a table value, a queued record).

    orjson writes into a buffer of at least 1 KiB and shrinks it to fit at the end. Results that stay alive leave
    the shrunk-off tails as holes the next results cannot use, so every new one takes fresh memory: 5.6-8.6 µs a
    1 KB result on the development machine, against 0.7-1.3 µs with the copy (the temporary buffer is freed and
    reused at once; a result not kept costs 0.3 µs). The order worker keeps an encoded order or customer per
    change (its table) and every output record until its step is sent.

    >>> kept_dumps({"a": [1, 2.5, None]})
    b'{"a":[1,2.5,null]}'
    """
    return memoryview(orjson.dumps(obj)).tobytes()
