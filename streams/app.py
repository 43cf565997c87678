"""The one faust App of the live shell, and the topics it reads and writes.

Created once per worker process by :func:`create_app` (the ``yujing worker`` command calls it with the loaded
settings); ``streams.agents.install`` then attaches the agents, the table and the timers. Values travel as raw
bytes and are decoded with orjson by the agents themselves: faust's codecs would add a JSON round trip per
message and the input has to be validated by :func:`yujing.events.parse_event` anyway. The agents' topics
do not even pass through faust's per-message conductor and streams: :class:`BatchConsumer` hands whole fetched
chunks to each agent's :class:`Inbox` (faust still owns the group, assignment, table recovery and commits).

Topics (the event path, one concern each):

====================  ==========  ==============================================================
topic                 partitions  carries
====================  ==========  ==============================================================
workorder-events      12 (conf)   input events, keyed by order_id (contract)
workorder-events.dlq  1           rejected input with the reason
scope-signals         1           ScopeSignal JSON from the order stage to the scope stage
alert-conditions      1           Condition JSON from both stages to the alert pipeline
customer-contacts     12 (conf)   contacts and escalations from the order stage, keyed by customer_id
customer-context      12 (conf)   CustomerContext JSON back to the order's own partition (by order_id)
alerts                12 (conf)   alert lifecycle and risk records: the log of record
<app_id>-orders-changelog  12     per-order state (faust table changelog, written by TableStore)
<app_id>-customers-changelog 12   per-customer history (the same, by customer_id)
====================  ==========  ==============================================================

``customer-contacts`` repartitions the order stage's questions by customer: a customer's orders land on any
partition of ``workorder-events``, but all of their contacts meet in one partition of this topic, whose owner
keeps the customer's history (streams/customer_stage.py) in the changelogged ``customers`` table. The answer
goes to ``customer-context`` at the partition number the order's events came from; faust assigns topics of
equal partition count co-partitioned, so it reaches the worker that holds the order.

``scope-signals`` and ``alert-conditions`` have one partition on purpose: the scope stage keeps the
aggregates of a whole province (a few dozen regions × departments × categories, each a handful of floats),
which one worker updates far faster than the order stage can produce signals; and the alert pipeline must
see every condition of a fingerprint in order, like a single Alertmanager. Partitioning them would split
aggregates that detectors compare against each other (region vs. total) for no gain at this volume.
A second installation on the same broker (another ``app_id``) gets its own copies of these two topics.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread as _AioKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as _AioKafkaConsumer
from faust.transport.drivers.aiokafka import Transport as _AioKafkaTransport
from faust.types import TP
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

from yujing.config import Settings

SIGNALS = "scope-signals"
CONDITIONS = "alert-conditions"
ORDERS_TABLE = "orders"
CUSTOMER_CONTACTS = "customer-contacts"
CUSTOMER_CONTEXT = "customer-context"
CUSTOMERS_TABLE = "customers"

_APP: faust.App | None = None


def internal_topic(settings: Settings, name: str) -> str:
    """Name of an app-internal topic: bare for the default app id, prefixed by the app id otherwise.

    >>> from yujing.config import load_config
    >>> internal_topic(load_config(None), SIGNALS)
    'scope-signals'
    >>> internal_topic(load_config(None, kafka={"app_id": "yj-test"}), SIGNALS)
    'yj-test.scope-signals'
    """
    app_id = settings.kafka.app_id
    return name if app_id == "yujing" else f"{app_id}.{name}"


def create_app(settings: Settings, worker_name: str = "worker-1", *, web_port: int | None = None,
               workers_dir: str | Path = "var/faust", group: str | None = None, **overrides: Any) -> faust.App:
    """The faust App for this process (created once; a second call returns the same App).

    ``group`` is the consumer group (faust's app id), ``kafka.app_id`` by default; the aggregates role has its
    own (``streams.agents.group_id``). Topic names always derive from ``kafka.app_id``.
    ``web_port=None`` disables faust's own web server (our metrics are served by prometheus_client).
    State lives under ``<workers_dir>/<worker_name>``; the supervisor wipes it after a broker restart.
    """
    global _APP
    if _APP is not None:
        return _APP
    k = settings.kafka
    datadir = Path(workers_dir) / worker_name
    datadir.mkdir(parents=True, exist_ok=True)
    conf: dict[str, Any] = dict(
        broker=k.broker,
        broker_session_timeout=k.session_timeout_s,   # Tansu's first group join waits session-timeout / 2
        broker_heartbeat_interval=min(3.0, k.session_timeout_s / 3),
        topic_partitions=k.partitions,
        topic_replication_factor=k.replication,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
        store="memory://",
        datadir=str(datadir),
        table_standby_replicas=0,       # two CPU cores: recover from the changelog instead of mirroring it
        stream_wait_empty=False,
        web_enabled=web_port is not None,
        web_port=web_port or 6066,
        web_bind="127.0.0.1",
        producer_acks=1,
    )
    conf.update(overrides)
    _APP = faust.App(group or k.app_id, **conf)
    _APP.transport = BatchTransport(_APP.conf.broker_consumer, _APP)
    _APP.fetch_max_wait_ms = k.fetch_max_wait_ms   # read by the consumer thread (:class:`_ConsumerThread`)
    _APP.inboxes = {}    # topic name → Inbox (see :class:`BatchConsumer`), filled by ``streams.agents.install``
    return _APP


def reset_app() -> None:
    """Forget the App (tests that build several in one process)."""
    global _APP
    _APP = None


# ------------------------------------------------------------------------------------------- batch path
class Take:
    """Records of one topic handed to an agent at once, acknowledged together after the agent is done."""

    __slots__ = ("records", "parts", "generation")

    def __init__(self, generation: int) -> None:
        self.records: list[Any] = []
        self.parts: list[tuple[Any, list[int]]] = []
        """(TP, offsets) of each fetched chunk, for the bulk ack."""
        self.generation = generation


class Inbox:
    """Fetched record chunks of one topic, waiting for the one agent that owns the topic.

    The consumer puts whole fetch results (one chunk per partition) here instead of handing faust's conductor
    and stream one message at a time (two asyncio tasks, an Event, a queue hop and an ack per message: ~90 %
    of a worker's time before). The agent takes everything queued in one go, so batches grow by themselves
    when the agent falls behind and stay small (low latency) when it keeps up. More than ``high`` queued
    records pause fetching of the partitions that delivered them until the agent has taken half of them
    (faust's own buffer-full mechanism). Putting never waits: a busy agent must not stall the fetches of the
    other agents' topics (an alert storm would otherwise delay every event's risk record).
    """

    def __init__(self, app: faust.App, high: int = 20_000) -> None:
        self.app = app
        self.high = high
        self.queue: "asyncio.Queue[tuple[int, Any, list[Any]]]" = asyncio.Queue()
        self.queued = 0
        self.paused: set[Any] = set()

    def put(self, generation: int, tp: Any, records: list[Any]) -> None:
        self.queue.put_nowait((generation, tp, records))
        self.queued += len(records)
        if self.queued >= self.high and tp not in self.paused:
            self.app.consumer.on_buffer_full(tp)
            self.paused.add(tp)

    def _taken(self, n: int) -> None:
        self.queued -= n
        if self.paused and self.queued < self.high // 2:
            for tp in self.paused:
                self.app.consumer.on_buffer_drop(tp)
            self.paused.clear()

    async def takes(self, stream: Any, max_records: int, *, ack: bool = True) -> "AsyncIterator[Take]":
        """Batches of at most about ``max_records`` records; chunks of an older consumer generation are dropped
        (their partitions were revoked; the new owner reads them again from the committed offset).

        A take is acknowledged when the agent asks for the next one, unless ``ack=False``: a stage whose
        state is checkpointed acknowledges (:meth:`ack`) only what its last checkpoint contains, so a worker
        that takes over replays everything after the checkpoint."""
        aiter(stream.channel)   # subscribes the agent's topic (faust subscribes to topics once iterated)
        queue = self.queue
        consumer = self.app.consumer
        while True:
            chunk = await queue.get()
            take = Take(self.app.consumer_generation_id)
            while True:
                generation, tp, records = chunk
                self._taken(len(records))
                if generation == take.generation:
                    take.records.extend(records)
                    take.parts.append((tp, [r.offset for r in records]))
                if len(take.records) >= max_records or queue.empty():
                    break
                chunk = queue.get_nowait()
            if take.records:
                yield take
                if ack:
                    consumer.ack_offsets(take.parts)

    def ack(self, takes: list[Take]) -> None:
        """Acknowledge held takes of the current consumer generation (older ones belong to revoked partitions)."""
        generation = self.app.consumer_generation_id
        parts = [p for t in takes if t.generation == generation for p in t.parts]
        if parts:
            self.app.consumer.ack_offsets(parts)


class _ConsumerThread(_AioKafkaConsumerThread):
    """Tansu does not answer a waiting fetch when data arrives: it always waits the full ``fetch.max.wait``.
    faust's 1500 ms added ~0.75 s on average to every topic hop (events, signals, conditions); the configured
    ``kafka.fetch_max_wait_ms`` (100 ms by default) costs ten empty fetches a second on an idle worker."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.app.fetch_max_wait_ms   # read when the consumer starts its fetcher
        return consumer


class BatchConsumer(_AioKafkaConsumer):
    """faust's aiokafka consumer, with whole fetched chunks of the topics in ``app.inboxes`` put into their
    :class:`Inbox` (no per-message conductor, Event or stream work). Other topics (the table's changelog
    during recovery) take faust's ordinary per-message path."""

    def _new_consumer_thread(self) -> Any:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def ack_offsets(self, parts: list[tuple[Any, list[int]]]) -> None:
        """:meth:`ack` for many offsets at once (same bookkeeping; commits follow faust's usual schedule)."""
        enabled = self.app.topics.acks_enabled_for
        with ack_lock:
            for tp, offsets in parts:
                if not enabled(tp.topic):
                    continue
                committed = self._committed_offset[tp]
                index = self._acked_index[tp]
                if offsets and (committed is None or offsets[0] >= committed) and index.isdisjoint(offsets):
                    new = offsets   # the common case (a chunk's offsets ascend), tested in C instead of per offset
                else:
                    new = [o for o in offsets if (committed is None or o >= committed) and o not in index]
                index.update(new)
                self._acked[tp].extend(new)
                self._n_acked += len(new)
        notify(self._waiting_for_ack)

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - exercised by the live tests
        inboxes: dict[str, Inbox] = getattr(self.app, "inboxes", {})
        callback = self.callback
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records, active = await self._wait_next_records(1.0)
                await self.sleep(0)
                if records is None or self.should_stop:
                    continue
                if not self.flow_active:
                    try:
                        await self.perform_seek()
                    except Exception as exc:
                        self.log.warning("seek when flow not active failed: %r", exc)
                    continue
                generation = self.app.consumer_generation_id
                for atp, recs in records.items():
                    tp = TP(atp.topic, atp.partition)   # faust's TP (the fetcher's keys are aiokafka's)
                    if self.app.consumer_generation_id != generation or not self.flow_active:
                        break
                    if not (active is None or tp in active or tp in self._buffered_partitions):
                        continue
                    r_offset = read_offset[tp]
                    if r_offset is not None:
                        recs = [r for r in recs if r.offset >= r_offset]
                    if not recs:
                        continue
                    self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                    if acks_enabled_for(tp.topic):
                        prev = r_offset
                        for r in recs:
                            if prev and r.offset - prev > 1:
                                await self._add_gap(tp, prev + 1, r.offset - 1)
                            prev = r.offset
                    if self._commit_every is not None and self._n_acked >= self._commit_every:
                        self._n_acked = 0
                        await self.commit()
                    inbox = inboxes.get(tp.topic)
                    if inbox is not None:
                        inbox.put(generation, tp, recs)
                        read_offset[tp] = recs[-1].offset
                    else:
                        for r in recs:
                            await self.wait_first(callback(self._to_message(tp, r)), self.suspend_flow.wait())
                            read_offset[tp] = r.offset
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)


class BatchTransport(_AioKafkaTransport):
    Consumer = BatchConsumer
