"""Small helpers shared by the integration tests."""
from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(pred: Callable[[], object], timeout: float, what: str, every: float = 0.2,
               show: Callable[[], object] | None = None) -> None:
    """Poll ``pred`` until it is true; fail the test with ``what`` (and ``show()``: the state seen last) after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}" + (f"; last seen: {show()}" if show else ""))
