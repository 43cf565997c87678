"""Loopback ports: pick a free one, wait for one to open."""
from __future__ import annotations

import asyncio
import socket
import time


def free_port(lo: int = 0, hi: int = 0, host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on: any (``lo=0``) or the first free one in ``[lo, hi]``.

    >>> 1024 <= free_port() < 65536
    True
    """
    candidates = [0] if not lo else range(lo, (hi or lo) + 1)
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError(f"no free port in {lo}-{hi}")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


async def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
    """Wait until ``host:port`` accepts connections; ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not port_open(port, host):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{host}:{port} did not open within {timeout:.0f}s")
        await asyncio.sleep(0.1)
