"""The heap of long runs whose objects mostly live on (``yujing replay``, ``yujing worker``): garbage collection,
JSON bytes that are kept, and where the C library puts large blocks.

Nearly everything they allocate lives on (imported modules and models, events, orders, customers), yet with
Python's default thresholds (700, 10, 10) every full collection scans all of it again: about 9 % of the CPU
time of a public-1 replay, and 14 % of the order worker's while it drains a topic (three full collections of
~0.1 s each per 30k events, mostly over what the boot imported: faust, aiokafka, river, scipy).
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from typing import Any

import orjson

GC_THRESHOLDS = (50_000, 50, 100)
"""Collection thresholds of a long run (Python's default is 700, 10, 10)."""

MMAP_THRESHOLD = 1024 * 1024
"""Blocks at least this large get pages of their own: the tables of many thousand orders and customers, not the
buffers every take allocates and frees (256 KiB socket reads, ~0.5 MiB responses). At glibc's initial 128 KiB
those took fresh pages each time too: ~1,300 mmap/munmap pairs per 90k new orders, ~150-300 µs each here (page
faults), against 16 at 1 MiB."""
_M_MMAP_THRESHOLD = -3   # mallopt parameter, glibc's malloc.h


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


def pin_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Keep glibc's mmap threshold at ``threshold``: blocks that large get pages of their own, returned to the
    system when freed. False where the C library has no ``mallopt`` (not glibc).

    glibc raises the threshold (up to 32 MiB) whenever such a block is freed, so once a worker's big dicts and
    lists (the tables of open orders and customers, the timer heap) have outgrown a few tables, the next ones come
    from the heap, and each table they outgrow stays there: free, but resident, since pymalloc (its own arenas) does
    not reuse it. The order worker taking 10k → 100k new orders grew by ~130 bytes per open order less with the
    threshold pinned (of ~1,630)."""
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    return bool(mallopt is not None and mallopt(_M_MMAP_THRESHOLD, threshold))
