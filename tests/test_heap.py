"""Large blocks of a long run go back to the system when freed (yujing.heap.pin_mmap_threshold)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_OUTGROW = """
import os, sys
from yujing.heap import pin_mmap_threshold

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

pinned = sys.argv[1] == "pin" and pin_mmap_threshold()
big = bytearray(8 << 20)
del big                                # a big block freed: glibc raises its threshold unless pinned
tables, kept = [], []
for i in range(10):                    # tables outgrown while small blocks that live on come after each
    tables.append(bytearray(2 << 20))
    kept.append(bytes(100_000) + bytes([i]))
before = rss()
tables.clear()                         # outgrown: freed
print(int(pinned), (before - rss()) >> 20)
"""


def _freed_mb(mode: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", _OUTGROW, mode], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT)})
    pinned, mb = out.stdout.split()
    return int(pinned), int(mb)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt, /proc")
def test_freed_tables_leave_the_resident_set_when_the_threshold_is_pinned() -> None:
    pinned, freed = _freed_mb("pin")
    if not pinned:
        pytest.skip("not glibc")
    assert freed >= 18                    # 10 tables of 2 MiB: 20 MiB back to the system
    assert _freed_mb("default")[1] <= 2   # glibc's rising threshold: they stay, as holes in the heap
