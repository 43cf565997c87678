"""Shared pytest fixtures: REAL parts started with ``yujing.runtime`` (no mocks), once per test session.

Fixtures (import nothing, just name them as test arguments):

``kafka_broker`` (session) -> ``"127.0.0.1:PORT"``
    A Tansu broker (Kafka protocol, memory storage) on a free port. Pass it to aiokafka as
    ``bootstrap_servers`` or to faust as ``f"kafka://{kafka_broker}"``. It is shared by the whole session:
    use your own topic names (``new_topic``), never delete others' topics.
``new_topic`` (function) -> ``new_topic(partitions=1, prefix="t") -> str``
    Creates a uniquely named topic on ``kafka_broker`` and returns its name (works in sync and async tests).
``redis_server`` (session) -> ``"redis://127.0.0.1:PORT/0"``
    A real ``redis-server`` (AOF on) with its data in a temporary directory.
``redis_client`` (function) -> ``redis.Redis`` (``decode_responses=True``)
    Connected to ``redis_server`` and flushed (FLUSHALL) before each test.

Every test that uses one of these is marked ``integration`` automatically, so ``pytest -m "not integration"``
runs the quick unit tests only. The broker's log is in the session's temp dir (``tansu.log``), shown by
``pytest --basetemp=DIR`` if you need it.

Measured here: the broker is ready in < 0.1 s and redis in < 0.1 s, so the session pays about a second.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

_REAL_PART_FIXTURES = {"kafka_broker", "new_topic", "redis_server", "redis_client"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _REAL_PART_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from yujing.runtime.tansu import TansuBroker

    broker = TansuBroker(log=tmp_path_factory.mktemp("tansu") / "tansu.log").start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def new_topic(kafka_broker: str) -> Callable[..., str]:
    import asyncio

    from yujing.runtime.tansu import ensure_topics

    counter = itertools.count()

    def make(partitions: int = 1, prefix: str = "t") -> str:
        import uuid

        name = f"{prefix}-{uuid.uuid4().hex[:8]}-{next(counter)}"
        coro = ensure_topics(kafka_broker, {name: partitions})
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(coro)
        else:  # called from an async test: run on a thread of its own
            import concurrent.futures

            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, coro).result()
        return name

    return make


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from yujing.runtime.redis_server import RedisServer

    server = RedisServer(data_dir=tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_server: str) -> Iterator["redis.Redis"]:  # type: ignore[name-defined]  # noqa: F821
    import redis

    client = redis.Redis.from_url(redis_server, decode_responses=True)
    client.flushall()
    try:
        yield client
    finally:
        client.close()
