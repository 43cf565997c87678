"""Where simulated events go, at what pace: a JSON Lines file (or stdout) or a Kafka topic.

The pace maps simulated seconds to wall seconds: ``speed=1`` is real time, ``speed=60`` one simulated hour a
minute, ``speed=0`` as fast as possible. Both sinks are thin: serialise with orjson, send, report progress.

>>> import io
>>> buf = io.BytesIO()
>>> write_jsonl([(0.0, {"event_id": "e-1"}), (1.0, {"event_id": "e-2"})], buf, speed=0)
2
>>> buf.getvalue()
b'{"event_id":"e-1"}\\n{"event_id":"e-2"}\\n'
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, BinaryIO, Callable, Iterable

import orjson

Progress = Callable[[int, float], None]
"""Called now and then with (events so far, simulated time of the last one)."""


class Pacer:
    """Maps simulated time to wall time: :meth:`delay` says how long to wait before emitting at ``t``.

    Events before ``pace_from`` (a warm-up prelude) go out at once; pacing starts at the first one after it.

    >>> p = Pacer(speed=60.0, pace_from=1_000.0)
    >>> p.delay(10.0), p.delay(999.0)          # the prelude: no waiting
    (0.0, 0.0)
    >>> p.delay(1_000.0)                       # the first paced event anchors simulated to wall time
    0.0
    >>> 0.9 < p.delay(1_060.0) <= 1.0          # one simulated minute later = one wall second at 60x
    True
    """

    def __init__(self, speed: float, pace_from: float | None = None) -> None:
        self.speed = speed
        self.pace_from = pace_from
        self.sim0: float | None = None
        self.wall0 = 0.0

    def delay(self, t: float) -> float:
        if self.speed <= 0 or (self.pace_from is not None and t < self.pace_from):
            return 0.0
        if self.sim0 is None:
            self.sim0, self.wall0 = t, time.monotonic()
            return 0.0
        return self.wall0 + (t - self.sim0) / self.speed - time.monotonic()


def write_jsonl(stream: Iterable[tuple[float, dict[str, Any]]], out: BinaryIO, speed: float = 0.0,
                progress: Progress | None = None, every_s: float = 5.0, pace_from: float | None = None) -> int:
    """Write ``(time, event)`` pairs as JSON Lines to a binary file, paced from ``pace_from`` on; return the
    number written."""
    pacer, dumps, write = Pacer(speed, pace_from), orjson.dumps, out.write
    n, last_report, last_t = 0, time.monotonic(), 0.0
    pending: list[bytes] = []
    for t, ev in stream:
        if speed > 0:
            wait = pacer.delay(t)
            if wait > 0.005:
                if pending:
                    write(b"".join(pending))
                    pending.clear()
                out.flush()
                time.sleep(wait)
        pending.append(dumps(ev, option=orjson.OPT_APPEND_NEWLINE))
        n += 1
        last_t = t
        if len(pending) >= 2048:
            write(b"".join(pending))
            pending.clear()
            if progress is not None and time.monotonic() - last_report >= every_s:
                last_report = time.monotonic()
                progress(n, t)
    if pending:
        write(b"".join(pending))
    out.flush()
    if progress is not None:
        progress(n, last_t)
    return n


def bootstrap_servers(broker: str) -> list[str]:
    """``kafka://a:9092;b:9092`` or ``a:9092,b:9092`` -> ``["a:9092", "b:9092"]``.

    >>> bootstrap_servers("kafka://127.0.0.1:9092;10.0.0.2:9093")
    ['127.0.0.1:9092', '10.0.0.2:9093']
    """
    out = []
    for part in broker.replace(";", ",").split(","):
        part = part.strip()
        if "://" in part:
            part = part.split("://", 1)[1]
        if part:
            out.append(part)
    if not out:
        raise ValueError(f"no broker address in {broker!r}")
    return out


async def ensure_topic(servers: list[str], topic: str, partitions: int, replication: int) -> bool:
    """Create ``topic`` if it does not exist; return True if it was created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        if topic in await admin.list_topics():
            return False
        try:
            await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=replication)])
        except TopicAlreadyExistsError:
            return False
        return True
    finally:
        await admin.close()


async def produce_kafka(stream: Iterable[tuple[float, dict[str, Any]]], broker: str, topic: str,
                        speed: float = 1.0, partitions: int = 12, replication: int = 1,
                        progress: Progress | None = None, every_s: float = 5.0,
                        pace_from: float | None = None) -> int:
    """Send events to ``topic`` keyed by ``order_id`` (JSON bytes), paced from ``pace_from`` on; return the
    number sent."""
    from aiokafka import AIOKafkaProducer

    servers = bootstrap_servers(broker)
    await ensure_topic(servers, topic, partitions, replication)
    producer = AIOKafkaProducer(bootstrap_servers=servers, linger_ms=20, max_batch_size=256 * 1024,
                                max_request_size=4 * 1024 * 1024, acks=1, request_timeout_ms=30000)
    await producer.start()
    pacer, dumps = Pacer(speed, pace_from), orjson.dumps
    n, last_report, last_t = 0, time.monotonic(), 0.0
    inflight: list[asyncio.Future[Any]] = []
    try:
        for t, ev in stream:
            wait = pacer.delay(t)
            if wait > 0.005:
                await asyncio.sleep(wait)
            key = ev.get("order_id")
            inflight.append(await producer.send(topic, dumps(ev),
                                                key=key.encode() if isinstance(key, str) else None))
            n += 1
            last_t = t
            if len(inflight) >= 5000:
                await asyncio.gather(*inflight)
                inflight.clear()
            if progress is not None and n % 512 == 0 and time.monotonic() - last_report >= every_s:
                last_report = time.monotonic()
                progress(n, t)
        await producer.flush()
        if inflight:
            await asyncio.gather(*inflight)
    finally:
        await producer.stop()
    if progress is not None:
        progress(n, last_t)
    return n
