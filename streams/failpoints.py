"""Crash points for the fault tests: kill -9 at an exact place instead of somewhere.

A worker started with ``YUJING_FAILPOINT=<name>:<n>`` sends itself SIGKILL the n-th time it passes
``failpoint(<name>)`` (no flush, no commit, no goodbye: what a power cut does). Unset, a pass costs one string
comparison. The points sit between the writes a crash must not tear apart (``streams.agents.Live.flush_orders``).
"""
from __future__ import annotations

import os
import signal

_NAME, _, _COUNT = os.environ.get("YUJING_FAILPOINT", "").partition(":")
_left = int(_COUNT or 1) if _NAME else 0


def failpoint(name: str) -> None:
    """Die here if this is the armed point's n-th pass."""
    global _left
    if name == _NAME:
        _left -= 1
        if _left == 0:
            os.kill(os.getpid(), signal.SIGKILL)
