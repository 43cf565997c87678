"""Garbage collection for long runs whose heap is mostly long-lived (``yujing replay``, ``yujing worker``).

Nearly everything they allocate lives on (imported modules and models, events, orders, customers), yet with
Python's default thresholds (700, 10, 10) every full collection scans all of it again: about 9 % of the CPU
time of a public-1 replay, and 14 % of the order worker's while it drains a topic (three full collections of
~0.1 s each per 30k events, mostly over what the boot imported: faust, aiokafka, river, scipy).
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

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
