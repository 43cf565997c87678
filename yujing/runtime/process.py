"""What every server this project starts for itself shares: one child process, stopped politely (SIGTERM, then
SIGKILL after a grace period) or killed the way a crash would, and usable as a context manager."""
from __future__ import annotations

import subprocess
from typing import Any


class OwnedProcess:
    """Base of :class:`~yujing.runtime.tansu.TansuBroker` and :class:`~yujing.runtime.redis_server.RedisServer`;
    subclasses set ``self.proc`` in ``start()`` and may release more in :meth:`_after_stop`."""

    proc: "subprocess.Popen[bytes] | None" = None

    def start(self) -> Any:  # pragma: no cover - every subclass starts its own server
        raise NotImplementedError

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, grace: float = 5.0) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()
        self._after_stop()

    def _after_stop(self) -> None:
        """Release what the server held besides its process (a log file …)."""

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
