"""The live shell's agents: decode → call the core → publish. No monitoring logic lives here.

One event's path: ``workorder-events`` → :func:`track_orders` (``yujing.events.parse_event``, then
``OrderStage.ingest``) → ScopeSignals on ``scope-signals`` → :func:`aggregate_scopes` (``ScopeStage.apply``)
→ Conditions on ``alert-conditions`` (per-order conditions go there directly) → :func:`run_alerts`
(``AlertPipeline.process``) → alert records on ``alerts`` and in Redis, notifications via apprise.
A timer advances the clock of each stage so that silent orders and minute ticks happen without events.

Customer history is partitioned by customer, not order: a ``created`` order's contact (and an order's
escalation) goes to ``customer-contacts`` keyed by ``customer_id`` → :func:`track_customers`
(``CustomerStage.contact`` / ``escalated``, changelogged ``customers`` table) → ``CustomerContext`` on
``customer-context`` at the order's own partition → :func:`apply_customer_context`
(``OrderStage.apply_customer``: repeat/prior-escalation features, REPEAT signal, risk re-scored).

Every agent takes its input in batches straight from the consumer's fetches (``streams.app.Inbox``: no faust
Event, stream or ack per message): per batch one changelog flush (coalesced per order), one Redis pipeline,
and one produce batch per topic-partition (:class:`streams.outbox.Outbox`); nothing per event waits on the network.
"""
from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import faust
import orjson
from faust.types import TP

from streams.app import (CONDITIONS, CUSTOMER_CONTACTS, CUSTOMER_CONTEXT, CUSTOMERS_TABLE, ORDERS_TABLE, SIGNALS,
                         Inbox, internal_topic)
from streams.counted import CountedThrough, StatsRollback, last_offsets
from streams.failpoints import failpoint
from streams.live import Checkpoint, DeadMansSwitch, LiveClock
from streams.outbox import ChangelogWriter, Outbox
from streams.metrics import Metrics
from streams.retrying import Outage, Retry
from streams.table_store import customer_store, order_store
from streams.wire import (dead_letter, decode_condition, decode_signals, encode_condition, encode_signals, murmur2,
                          unpack)
from yujing.config import Settings
from yujing.flow import EventFlow
from yujing.records import BOARD_TIERS
from yujing.events import InvalidEvent, parse_event
from yujing.heap import kept_dumps

log = logging.getLogger("yujing.live")

BATCH = 2000
"""Most input events one order-stage step takes (it takes whatever is queued, up to this: small when keeping up)."""
SIGNALS_BATCH = 10
"""Records (so at most about 1,000 signals) one scope-stage step takes."""
CUSTOMERS_BATCH = 40
"""Records one customer-stage step takes: each holds up to :data:`streams.wire.PER_RECORD` requests (so about 2,000 when
busy); a record of one request, written before the packing, counts the same."""
CONTEXTS_BATCH = 40
"""Records of customer contexts one step takes (packed like the requests)."""
CONDITIONS_BATCH = 250
"""Smaller steps for the scope and alert agents: one step runs without a break on the shared event loop, and an
alert storm (~2 ms per condition with its AlertStore writes) must not hold back the events' risk records."""
RISK_TOP_KEEP = 2000
"""Riskiest orders kept in the ``risk:top`` sorted set."""


def board_risk_keys(keyed: list[tuple[str, bytes]], risks: list, settled: list[str],
                    every: bool = False) -> tuple[dict[str, tuple[bytes, float]], list[str]]:
    """(orders to show: id → (latest record, risk), orders to take off the board's risk keys) for one take's
    risk records (``keyed``, ``Worker.encode_risks``, in order with ``risks``) and settled orders. An order's
    last record in the take decides: shown if its tier is one the board lists (any tier if ``every``), else
    taken off; a settled order is taken off whatever its records.

    >>> from types import SimpleNamespace as R
    >>> risks = [R(tier="yellow", risk=0.5), R(tier=None, risk=0.1), R(tier=None, risk=0.2),
    ...          R(tier="red", risk=0.9)]
    >>> keyed = [("a", b"a1"), ("a", b"a2"), ("b", b"b1"), ("c", b"c1")]
    >>> board_risk_keys(keyed, risks, ["c"])
    ({}, ['a', 'b', 'c'])
    >>> board_risk_keys(keyed[2:], risks[2:], [])
    ({'c': (b'c1', 0.9)}, ['b'])
    >>> board_risk_keys(keyed, risks, [], every=True)[0]["a"]
    (b'a2', 0.1)
    """
    last = {oid: (rec, r) for (oid, rec), r in zip(keyed, risks)}
    gone = set(settled)
    shown = {oid: (rec, float(r.risk)) for oid, (rec, r) in last.items()
             if oid not in gone and (every or r.tier in BOARD_TIERS)}
    hidden = [oid for oid in last if oid not in shown] + [oid for oid in settled if oid not in last]
    return shown, hidden


_RAW = {"key_serializer": "raw", "value_serializer": "raw"}


SCOPE_CKPT_EVERY_S = 10.0
"""The aggregates (a few hundred KB of JSON) are checkpointed this often; signals after it are replayed."""
SNAPSHOT_EVERY_S = 0.95
"""The board snapshot is written about once a second, however often the clock ticks."""
ALERTS_CKPT_EVERY_S = 5.0
"""The alert pipeline's state is checkpointed this often (``state_dict`` of every episode and group was ~20 %
of a busy worker's time when written every tick); conditions after it are replayed by a successor."""
MODELS_CKPT_EVERY_S = 10.0
"""The order stage's learned models (risk, text → category, quality) are checkpointed this often, when they have
learned since (streams/model_state.py: a replaced worker resumes them; labels of the last interval are lost)."""
MODEL_REPORT_EVERY_S = 5.0
"""The risk model's quality report in the heartbeat is recomputed this often (~10 ms over a 2,000-label window)."""


ROLES = ("all", "orders", "aggregates")
"""What a worker process runs. ``orders``: the order and customer stages (input events, the changelogged
tables, risk records), any number of them in one consumer group. ``aggregates``: the scope stage and the
alert pipeline (the two one-partition topics), one per installation, in a consumer group of its own
(``<app_id>-aggregates``). ``all``: both in one process (a single worker, the tests, a small site).
Splitting them keeps the aggregates' minute ticks and checkpoints off the event path (the risk records'
latency) and lets the two halves use two cores."""


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`, else a ValueError saying which are."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def group_id(app_id: str, role: str) -> str:
    """The consumer group (faust app id) of a role: the aggregates have their own, so that the order workers'
    assignment (events, contacts, contexts, their tables) never has to place the one-partition topics.

    >>> group_id("yujing", "all"), group_id("yujing", "orders"), group_id("yujing", "aggregates")
    ('yujing', 'yujing', 'yujing-aggregates')
    """
    return f"{app_id}-aggregates" if check_role(role) == "aggregates" else app_id


def partition_lag(highwater: int, read: int | None, committed: int | None) -> int:
    """Records of one partition not yet handed to the agent: from the later of the last offset handed over
    (``read``) and the group's committed offset (the next to read); a partition never read nor committed counts
    whole. The committed offset bounds it too: faust's read offset of a replaced worker was seen stuck at the
    offset it sought to while the worker had read, applied and committed everything (soak, session 8).

    >>> partition_lag(100, read=89, committed=50), partition_lag(100, read=None, committed=100)
    (10, 0)
    >>> partition_lag(100, read=None, committed=None), partition_lag(100, read=120, committed=None)
    (100, 0)
    >>> partition_lag(1562, read=1250, committed=1562)
    0
    """
    start = max(read + 1 if read is not None else 0, committed if committed is not None else 0)
    return max(0, highwater - start)


class Live:
    """What one worker process holds: the stages it owns, the clock, Redis, metrics and its topics."""

    def __init__(self, app: faust.App, settings: Settings, worker_name: str, role: str = "all") -> None:
        import redis.asyncio as aioredis

        from streams.customer_stage import DeferredCustomers

        self.app, self.settings, self.worker = app, settings, worker_name
        self.role = check_role(role)
        self.runs_orders = role in ("all", "orders")
        self.runs_aggregates = role in ("all", "aggregates")
        k = settings.kafka
        self.utc = settings.clock.utc_offset_h
        self.clock = LiveClock(settings.clock.speed)
        self.redis = aioredis.Redis.from_url(settings.redis.url)
        self.prefix = settings.redis.prefix
        self.metrics = Metrics()
        self.retry = Retry(settings.worker.write_give_up_s,
                           on_retry=lambda step: self.metrics.write_retries.labels(step=step.split(" ")[0]).inc())
        """Every write a take waits for goes through this: retried in place, shown as ``blocked`` meanwhile."""
        raw = dict(key_serializer="raw", value_serializer="raw")
        self.events_topic = app.topic(k.events_topic, partitions=k.partitions, **raw)
        self.dlq_topic = app.topic(k.dlq_topic, partitions=1, **raw)
        self.alerts_topic = app.topic(k.alerts_topic, partitions=k.partitions, **raw)
        self.signals_topic = app.topic(internal_topic(settings, SIGNALS), partitions=1, **raw)
        self.conditions_topic = app.topic(internal_topic(settings, CONDITIONS), partitions=1, **raw)
        # keyed like the input and co-partitioned with it (same partition count): declared by faust
        self.contacts_topic = app.topic(internal_topic(settings, CUSTOMER_CONTACTS), partitions=k.partitions,
                                        internal=True, **raw)
        self.context_topic = app.topic(internal_topic(settings, CUSTOMER_CONTEXT), partitions=k.partitions,
                                       internal=True, **raw)
        inputs = ((self.events_topic, self.contacts_topic, self.context_topic) if self.runs_orders else ()) + \
            ((self.signals_topic, self.conditions_topic) if self.runs_aggregates else ())
        for topic in inputs:
            app.inboxes[topic.get_topic_name()] = Inbox(app)
        self.input_topics = [t.get_topic_name() for t in inputs]
        self.table: Any = None
        self.customers_table: Any = None
        self.store: Any = None
        self.customer_store: Any = None
        self.order_stage: Any = None
        self.customer_stage: Any = None
        self.customer_requests = DeferredCustomers()
        if self.runs_orders:
            self._order_stages(app, settings)
        self.producer: Any = None       # our own aiokafka producer: faust's send costs ~2 ms per record
        self.changelog: ChangelogWriter | None = None
        self.customer_changelog: ChangelogWriter | None = None
        self.outbox: Outbox | None = None
        self.sent_customer_stats: dict[str, int] = {}
        self.scope_stage: Any = None
        self.pipeline: Any = None
        self.alert_store: Any = None
        self.notifier: Any = None
        self.alert_cp = Checkpoint()
        self.scope_cp = Checkpoint()
        self.deadman = DeadMansSwitch(settings.clock.heartbeat_after_s)
        self.scope_ckpt_at = 0.0
        self.snapshot_at = 0.0
        self.alerts_ckpt_at = 0.0
        self.models_ckpt_at = 0.0
        self.models_saved: dict[str, int] = {"risk": 0, "category": 0}   # label counts of the last model checkpoint
        self.models_restored = not self.runs_orders   # the models' start (a checkpoint or empty) is decided
        self.models_origin: dict[str, Any] | None = None   # the checkpoint they were restored from
        self.model_report: dict[str, Any] = {}
        self.model_report_at = 0.0
        self.tick_outage = Outage("tick", traceback=True)
        self.heartbeat_outage = Outage("heartbeat")
        """Timers that fail while Redis is away: logged once per outage, not twice a second."""
        self.lagging: dict[str, list] = {}
        self.event_flow = EventFlow()   # events per minute for the board's snapshot (write_snapshot)
        """Input partitions that lag: ``topic:partition`` -> [high-water, last read, committed] (heartbeat)."""
        self.held_signals: list = []
        self.held_conditions: list = []
        """Takes applied but not yet in a checkpoint: acknowledged (committable) once a checkpoint holds them."""
        self.cmd_last_id = "0"  # board commands applied so far (Redis stream id)
        self.sent_stats: dict[str, int] = {}
        self.counted = CountedThrough()
        """Input offsets the Redis counters hold (exactly-once counts across a crash)."""
        self.sent_through = CountedThrough()
        """Input offsets whose outputs the broker holds (``out:through``: outputs sent once across a crash)."""
        self.dlq_total = 0
        self.started = time.time()
        self.lock = asyncio.Lock()
        """Serialises order-stage work: a batch, a tick and a rebalance never interleave at an await."""
        self.stage_start_lock = asyncio.Lock()
        """Starts of the one-partition stages (rebalance handler and agents may both try)."""
        self.customer_lock = asyncio.Lock()
        """The same for the customer stage (taken inside ``lock`` by a rebalance, never the other way round)."""
        self.notify_lock = asyncio.Lock()
        """Held from draining the pipeline's notification intents until they are in Redis, and while the alert
        checkpoint takes the pipeline's state: no checkpoint holds a pipeline that drained intents Redis has not."""

    def _order_stages(self, app: faust.App, settings: Settings) -> None:
        """The order and customer stages over their changelogged tables (``orders`` and ``customers``)."""
        from streams.customer_stage import CustomerStage
        from streams.order_stage import OrderStage

        n = settings.kafka.partitions
        self.table = app.Table(ORDERS_TABLE, default=None, partitions=n, key_type=str, value_type=bytes)
        self.table.value_serializer = "raw"   # OrderState JSON bytes; keys stay faust's JSON strings
        self.customers_table = app.Table(CUSTOMERS_TABLE, default=None, partitions=n, key_type=str,
                                         value_type=bytes)
        self.customers_table.value_serializer = "raw"   # CustomerState JSON bytes

        def partitioner(table: Any) -> Any:
            def partition_for(key: str) -> int:
                p = getattr(table.data, "_key_partition", {}).get(key)
                return p if p is not None else (murmur2(key.encode()) & 0x7FFFFFFF) % n
            return partition_for

        hot = settings.worker.hot_orders
        self.store = order_store(_LocalStore(self.table), partitioner(self.table), hot)
        self.customer_store = customer_store(_LocalStore(self.customers_table), partitioner(self.customers_table), hot)
        self.order_stage = OrderStage(settings, self.store, customers=self.customer_requests)
        self.customer_stage = CustomerStage(settings, self.customer_store)

    # ---------------------------------------------------------------------------------------- ownership
    def owns(self, topic: Any, partition: int = 0) -> bool:
        return TP(topic.get_topic_name(), partition) in self.app.consumer.assignment()

    def owned_partitions(self, topic: Any) -> set[int]:
        name = topic.get_topic_name()
        return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == name}

    async def on_rebalanced(self) -> None:
        """After recovery: keep only the orders of our partitions, rebuild timers, take or drop 1-partition stages."""
        async with self.lock:
            await self._on_rebalanced()

    async def _on_rebalanced(self) -> None:
        if self.runs_orders:
            await self._rebalance_orders()
        if not self.owns(self.signals_topic):
            self.scope_stage = None
        if not self.owns(self.conditions_topic):
            self.pipeline = None
        await self.ensure_one_partition_stages()

    async def ensure_one_partition_stages(self) -> None:
        """Start (restore) the scope stage and the alert pipeline when this worker owns their partition.

        Called after a rebalance and by their agents before each step: the first signals and conditions may
        arrive before the rebalance handler has run, and dropping them would lose them for good (their offsets
        are committed with the next checkpoint)."""
        if self.scope_stage is not None and self.pipeline is not None:
            return   # the common case, once per step: both running
        async with self.stage_start_lock:
            if self.scope_stage is None and self.owns(self.signals_topic):
                self.scope_stage = await self._restore_scopes()
            if self.pipeline is None and self.owns(self.conditions_topic):
                await self._start_alerts()

    async def _rebalance_orders(self) -> None:
        self.counted.forget()
        self.sent_through.forget()
        mine = self.owned_partitions(self.events_topic)
        gone = set(range(self.settings.kafka.partitions)) - mine
        dropped = self.store.drop_partitions(gone)
        self.store.reload()
        self.order_stage.rebuild_timers()
        self.store.forget_touches()
        log.info("rebalanced: events partitions %s, %d orders held, %d dropped", sorted(mine),
                 len(self.store.local), dropped)
        async with self.customer_lock:
            gone = set(range(self.settings.kafka.partitions)) - self.owned_partitions(self.contacts_topic)
            dropped = self.customer_store.drop_partitions(gone)
            self.customer_store.reload()
            self.customer_stage.restored()
            log.info("rebalanced: %d customers held, %d dropped", len(self.customer_store.local), dropped)

    async def _restore_scopes(self) -> Any:
        """Take over the aggregates: from the last checkpoint when it is consistent with the topic, else empty."""
        from streams.scope_stage import ScopeStage, scope_from_state

        state = await self.redis.get(self.prefix + "ckpt:scopes")
        if state:
            ck = orjson.loads(state)
            ends = await self.app.consumer.highwaters(TP(self.signals_topic.get_topic_name(), 0))
            end = next(iter(ends.values()), 0) if ends else 0
            cp = Checkpoint(ck["offset"])
            if cp.valid_for(end + BATCH):
                self.scope_cp = cp
                log.info("scope stage restored from checkpoint at offset %d", cp.offset)
                return scope_from_state(self.settings, ck["state"])
        self.scope_cp = Checkpoint()
        return ScopeStage(self.settings)

    async def _restore_models(self) -> None:
        """Start empty models from the richest checkpoint of ``ckpt:models`` (rule: streams/model_state.py).
        Called under ``lock`` before the first step that could learn."""
        from streams.model_state import (CKPT_KEY, LABELS_KEY, choose_checkpoint, is_empty, label_counts,
                                         restore_models)

        self.models_restored = True
        stage = self.order_stage
        if not is_empty(stage):
            return
        raw_counts = await self.redis.hgetall(self.prefix + LABELS_KEY)
        counts = {k.decode(): orjson.loads(v) for k, v in raw_counts.items()}
        name = choose_checkpoint(counts, self.worker)
        raw = await self.redis.hget(self.prefix + CKPT_KEY, name) if name is not None else None
        if not raw:
            return
        restore_models(stage, orjson.loads(raw))
        self.models_saved = label_counts(stage)
        self.models_origin = {"worker": name, **self.models_saved}
        self.model_report_at = 0.0   # the next heartbeat reports the restored models
        log.info("learned models restored from the checkpoint of %s: %s", name, self.models_saved)

    async def _checkpoint_models(self) -> None:
        """Write this worker's learned models to Redis when they have learned since the last checkpoint."""
        from streams.model_state import CKPT_KEY, LABELS_KEY, label_counts, models_state

        counts = label_counts(self.order_stage)
        if counts == self.models_saved:
            return
        # dumped at once, before any await: the models are not touched meanwhile (we hold ``lock`` anyway)
        blob = orjson.dumps(models_state(self.order_stage, self.worker, time.time()))
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.prefix + CKPT_KEY, self.worker, blob)
        pipe.hset(self.prefix + LABELS_KEY, self.worker, orjson.dumps(counts))
        await pipe.execute()
        self.models_saved = counts

    async def _start_alerts(self) -> None:
        try:
            from alerts.pipeline import AlertPipeline
            from alerts.store import AlertStore
        except ImportError as exc:  # pragma: no cover - until the alerts package lands
            log.warning("alert pipeline unavailable: %s", exc)
            return
        import redis
        self.alert_store = AlertStore(redis.Redis.from_url(self.settings.redis.url, decode_responses=True),
                                      self.prefix)
        state = await self.redis.get(self.prefix + "ckpt:alerts")
        pipeline = None
        if state:
            ck = orjson.loads(state)
            ends = await self.app.consumer.highwaters(TP(self.conditions_topic.get_topic_name(), 0))
            end = next(iter(ends.values()), 0) if ends else 0
            cp = Checkpoint(ck["offset"])
            if cp.valid_for(end + BATCH):  # Tansu may under-report the end by up to a batch
                pipeline = AlertPipeline.from_state(self.settings.alerts, ck["state"], self.utc)
                self.alert_cp = cp
                self.cmd_last_id = ck.get("cmd_last_id", "0")
                log.info("alert pipeline restored from checkpoint at offset %d", cp.offset)
        self.pipeline = pipeline or AlertPipeline(self.settings.alerts, self.utc)
        self._notifier()   # at once: it takes over the intents a dead predecessor accepted but did not deliver

    # ---------------------------------------------------------------------------------------- publishing
    async def start_producer(self) -> None:
        """Start the output producer (on first use: it needs the worker's event loop)."""
        if self.producer is not None:
            return
        from aiokafka import AIOKafkaProducer
        bootstrap = ",".join(u.split("://", 1)[-1] for u in self.settings.kafka.broker.split(";"))
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks=1,
                                    max_batch_size=256 * 1024, max_request_size=4 * 1024 * 1024)
        await producer.start()
        if self.producer is not None:  # started concurrently by another agent
            await producer.stop()
            return
        self.producer = producer
        self.outbox = Outbox(producer, self.retry)
        if self.runs_orders:
            self.changelog = ChangelogWriter(producer, self.table.changelog_topic.get_topic_name(), self.retry)
            self.customer_changelog = ChangelogWriter(producer, self.customers_table.changelog_topic.get_topic_name(),
                                                      self.retry)

    def inbox(self, topic: Any) -> Inbox:
        return self.app.inboxes[topic.get_topic_name()]

    def send(self, topic: Any, value: bytes, key: bytes | None = None) -> None:
        """Queue one record in the step's :class:`Outbox` (sent by :meth:`flush_out`)."""
        self.outbox.add(topic.get_topic_name(), value, key)

    async def flush_out(self) -> None:
        await self.outbox.flush()

    def publish_stage_out(self, signals: list, conditions: list, risks: list[tuple[str, bytes]]) -> None:
        """Queue a step's signals, conditions and risk records (``(order id, encoded record)``, :meth:`encode_risks`)."""
        out = self.outbox
        if signals:
            out.extend(self.signals_topic.get_topic_name(), encode_signals(signals))
        if conditions:
            out.extend(self.conditions_topic.get_topic_name(), [encode_condition(c) for c in conditions])
        if risks:
            out.extend_keyed(self.alerts_topic.get_topic_name(), risks)
        self.metrics.signals.inc(len(signals))
        self.metrics.conditions.inc(len(conditions))
        self.metrics.risks.inc(len(risks))

    def encode_risks(self, risks: list) -> list[tuple[str, bytes]]:
        """Risk records as (order id, contract JSON): the alerts topic's records and the board's latest ones."""
        dumps, utc = kept_dumps, self.utc
        return [(r.order_id, dumps(r.to_dict(utc))) for r in risks]

    def add_risk_keys(self, pipe: Any, keyed: list[tuple[str, bytes]], risks: list,
                      settled: list[str]) -> None:
        """The board's risk keys (idempotent: a re-read take writes the same again): each shown order's latest
        record and the top-risk ranking. Which orders are shown is ``redis.board_risks``
        (:func:`board_risk_keys`); the others, and the orders that ``settled``, are taken off."""
        shown, hidden = board_risk_keys(keyed, risks, settled, self.settings.redis.board_risks == "all")
        latest, top = self.prefix + "risk:latest", self.prefix + "risk:top"
        if hidden:
            pipe.hdel(latest, *hidden)
            pipe.zrem(top, *hidden)
        if shown:
            pipe.hset(latest, mapping={oid: rec for oid, (rec, _) in shown.items()})
            pipe.zadd(top, {oid: risk for oid, (_, risk) in shown.items()})
            pipe.zremrangebyrank(top, 0, -RISK_TOP_KEEP - 1)

    async def emit_alerts(self, records: list) -> None:
        if not records:
            return
        dicts = [r.to_dict(self.utc) for r in records]
        for r, d in zip(records, dicts):
            self.send(self.alerts_topic, orjson.dumps(d), key=r.fingerprint.encode())
            self.metrics.alerts.labels(status=r.status, tier=r.tier).inc()
        await self.flush_out()
        await self.retry("alert store", lambda: _maybe_await(self.alert_store.apply(dicts)))

    async def emit_labels(self) -> None:
        labels = self.pipeline.drain_labels()
        if labels:
            await _maybe_await(self.alert_store.apply(labels))

    def _notifier(self) -> Any:
        if self.notifier is None:
            from alerts.notify import Notifier
            self.notifier = Notifier(self.settings.alerts, self.redis, self.prefix, on_result=self._delivered,
                                     utc_offset_h=self.settings.clock.utc_offset_h)
            self.notifier.start()
        return self.notifier

    async def send_notifications(self) -> None:
        """Hand the pipeline's notification intents to alerts.notify (background delivery, retries, sent-log).

        Order against the alert checkpoint (:meth:`checkpoint_alerts`): the intents drained here are written to
        the Redis stream of intents (``Notifier.accept``, retried in place like every write a take waits for)
        before ``notify_lock`` is released, and the checkpoint takes ``pipeline.state_dict()`` under the same
        lock. So a checkpoint either still holds an intent in the pipeline's outbox (a restart from it produces
        it again; the sent-log sends it once) or was taken after the intent was in the stream, where a restarted
        notifier finds it: a kill between the checkpoint and the delivery drops nothing."""
        await self.emit_labels()
        async with self.notify_lock:
            if self.pipeline is None:   # revoked meanwhile: its new owner restores the outbox from the checkpoint
                return
            notes = self.pipeline.drain_notifications()
            if not notes:
                return
            notifier = self._notifier()
            await self.retry("notification intents", lambda: notifier.accept(notes))

    def _delivered(self, alert_id: str, result: dict[str, Any]) -> None:
        if result.get("ok"):
            self.metrics.notifications.inc()
        else:
            self.metrics.notify_failures.inc()
        self.alert_store.record_delivery(alert_id, result)

    def send_customer_requests(self) -> None:
        """Queue the order stage's contacts and escalations for the customer stage, keyed by customer (packed per
        partition, :meth:`Outbox.extend_packed`); each carries the partition its order lives in, where the answer
        must go."""
        reqs = self.customer_requests.drain()
        if reqs:
            part = self.store.partition_of
            for _, req in reqs:   # drained: ours to complete in place
                req["p"] = part(req["order_id"])
            self.outbox.extend_packed(self.contacts_topic.get_topic_name(), reqs)

    async def flush_orders(self, out_signals: list, out_conditions: list, out_risks: list,
                           taken: tuple[str, dict[int, int]] = ("", {}), new_dead: int = 0,
                           dead: list[bytes] = (), settled: list[str] = ()) -> None:
        """A take's counters (with its last offsets ``taken``, :mod:`streams.counted`) and the board's risk keys
        in one MULTI/EXEC; then its outputs; then, together, the mark that its outputs went out (``out:through``)
        and its changelog. A kill anywhere in between neither loses nor doubles a count, and loses no output: a
        re-read take whose outputs went out sends none again (:meth:`_on_events`); only a kill in the one round
        trip after the outputs and before either mark can send them twice (at least once there, never lost).
        The board sees a risk after one Redis round trip (the keys only ever hold an order's latest record: a
        re-read take writes the same again)."""
        delta = {k: v - self.sent_stats.get(k, 0) for k, v in self.order_stage.stats.items()}
        self.sent_stats = dict(self.order_stage.stats)
        keyed = self.encode_risks(out_risks)
        await self._count(delta, taken, new_dead,
                          (lambda pipe: self.add_risk_keys(pipe, keyed, out_risks, settled))
                          if keyed or settled else None)
        if taken[1]:
            failpoint("orders.counted")
        for d in dead:   # queued after the count: another agent's flush may send what is queued at any time
            self.send(self.dlq_topic, d)
        self.send_customer_requests()
        self.publish_stage_out(out_signals, out_conditions, keyed)
        await self.flush_out()
        if taken[1]:
            failpoint("orders.sent")
        await asyncio.gather(self._mark_sent(taken), self.changelog.write(self.store.flush()))
        if taken[1]:
            failpoint("orders.changelogged")

    async def _mark_sent(self, taken: tuple[str, dict[int, int]]) -> None:
        """Record that the outputs of the take's records (up to its last offsets) are with the broker."""
        through = self.sent_through.advance(*taken)
        if through:
            await self.retry("outputs mark", lambda: self.redis.hset(self.prefix + "out:through", mapping=through))

    async def _sent_limits(self, taken: tuple[str, dict[int, int]]) -> dict[int, int]:
        """Per partition of the take, the last offset whose outputs went out (``out:through``)."""
        return await self._through(self.sent_through, "out:through", taken)

    async def _through(self, cache: CountedThrough, key: str, taken: tuple[str, dict[int, int]]) -> dict[int, int]:
        """Per partition of the take, the last offset the Redis hash ``key`` holds (read from Redis for partitions
        not seen since this worker's last rebalance, then from ``cache``)."""
        topic, last = taken
        fields = cache.missing(topic, last.keys())
        if fields:
            values = await self.retry(key + " read", lambda: self.redis.hmget(self.prefix + key, fields))
            cache.load(dict(zip(fields, values)))
        return cache.limits(topic, last.keys())

    async def _count(self, delta: dict[str, int], taken: tuple[str, dict[int, int]], dead: int = 0,
                     also: Callable[[Any], None] | None = None) -> None:
        """Add ``delta`` to the ``stats`` hash (and ``dead`` to ``dlq:count``) and mark the take's last offsets
        ``taken`` counted, atomically (MULTI/EXEC; ``also`` adds idempotent commands to it), retried until it is
        written. A retry first asks whether the failed attempt went through after all (its reply lost): then
        ``stats:through`` holds the take already."""
        through = self.counted.advance(*taken)
        delta = {k: v for k, v in delta.items() if v}
        if not (delta or through or dead or also):
            return
        tried = False

        async def write() -> None:
            nonlocal tried
            if tried and through and await self._counted_already(through):
                return
            tried = True
            pipe = self.redis.pipeline(transaction=True)
            for k, v in delta.items():
                pipe.hincrby(self.prefix + "stats", k, v)
            if dead:
                pipe.incrby(self.prefix + "dlq:count", dead)
            if through:
                pipe.hset(self.prefix + "stats:through", mapping=through)
            if also is not None:
                also(pipe)
            await pipe.execute()

        await self.retry("counters", write)

    async def _counted_already(self, through: dict[str, int]) -> bool:
        values = await self.redis.hmget(self.prefix + "stats:through", list(through))
        return all(v is not None and int(v) >= through[k] for k, v in zip(through, values))

    async def _counted_limits(self, records: list) -> tuple[tuple[str, dict[int, int]], dict[int, int]]:
        """The take's (topic, last offset per partition) and, per partition, the last offset the counters hold
        (read from Redis for partitions not counted on since this worker's last rebalance)."""
        taken = last_offsets(records)
        return taken, await self._through(self.counted, "stats:through", taken)

    # ---------------------------------------------------------------------------------------- steps
    async def on_events(self, events: list) -> None:
        await self.start_producer()
        async with self.lock:
            if not self.models_restored:
                await self._restore_models()
            await self._on_events(events)

    async def _on_events(self, events: list) -> None:
        sigs: list = []
        conds: list = []
        risks: list = []
        dead: list[bytes] = []
        new_dead = 0
        stage = self.order_stage
        note_partition = self.store.note_partition
        observe = self.clock.observe
        taken, limit = await self._counted_limits(events)
        sent = await self._sent_limits(taken)
        requests = self.customer_requests.requests
        for rec in events:
            raw = rec.value
            again = rec.offset <= limit[rec.partition]   # re-read after a crash: applied again, counted once
            quiet = rec.offset <= sent[rec.partition]    # ... and its outputs went out before: not sent twice
            rollback = StatsRollback(stage.stats) if again else None
            try:
                ev = parse_event(raw)
            except InvalidEvent as exc:
                if not quiet:
                    dead.append(dead_letter(raw, str(exc), rec.topic, rec.partition, rec.offset, self.utc))
                new_dead += not again
                continue
            observe(ev.t)
            note_partition(ev.order_id, rec.partition)
            asked = len(requests)
            out = stage.ingest(ev)
            if rollback is not None:
                rollback.restore()
            if quiet:
                del requests[asked:]   # its customer requests went out too
                continue
            sigs.extend(out.signals)
            conds.extend(out.conditions)
            risks.extend(out.risks)
        self.clock.heard()   # the feed is alive (the dead-man's switch), whatever the events' times
        if dead:
            self.dlq_total += len(dead)
            self.metrics.dlq.inc(len(dead))
        self.metrics.events.inc(len(events) - len(dead))
        await self.flush_orders(sigs, conds, risks, taken, new_dead, dead)

    async def on_contexts(self, records: list) -> None:
        """Customer contexts of this worker's orders → ``OrderStage.apply_customer``."""
        await self.start_producer()
        from streams.customer_stage import CustomerContext
        async with self.lock:
            if not self.models_restored:
                await self._restore_models()
            sigs: list = []
            conds: list = []
            risks: list = []
            apply = self.order_stage.apply_customer
            taken, limit = await self._counted_limits(records)
            sent = await self._sent_limits(taken)
            from_dict = CustomerContext.from_dict
            for rec in records:
                again = rec.offset <= limit[rec.partition]   # re-read after a crash: counted once
                quiet = rec.offset <= sent[rec.partition]    # ... and its outputs went out before
                with StatsRollback(self.order_stage.stats) if again else nullcontext():
                    for d in unpack(rec.value):
                        out = apply(from_dict(d))
                        if quiet:
                            continue
                        sigs.extend(out.signals)
                        conds.extend(out.conditions)
                        risks.extend(out.risks)
            await self.flush_orders(sigs, conds, risks, taken)

    async def on_customer_requests(self, records: list) -> None:
        """Contacts and escalations of this worker's customers → CustomerStage; contexts back to the orders."""
        await self.start_producer()
        from streams.customer_stage import apply_request
        async with self.customer_lock:
            stage = self.customer_stage
            note_partition = self.customer_store.note_partition
            contexts: list[tuple[int, str, Any]] = []
            taken, limit = await self._counted_limits(records)
            for rec in records:
                again = rec.offset <= limit[rec.partition]   # re-read after a crash: counted once
                with StatsRollback(stage.stats) if again else nullcontext():
                    for req in unpack(rec.value):
                        note_partition(req["customer_id"], rec.partition)
                        ctx = apply_request(stage, req)
                        if ctx is not None:
                            contexts.append((req["p"], ctx.order_id, ctx.to_dict()))
            await self.flush_customers(taken)
            self.outbox.extend_packed_to(self.context_topic.get_topic_name(), contexts)
            await self.flush_out()

    async def flush_customers(self, taken: tuple[str, dict[int, int]] = ("", {})) -> None:
        """The customer stage's counters in Redis (``stats``: customer_*), then the customer table's changelog."""
        stats = self.customer_stage.stats
        delta = {"customer_" + k: v - self.sent_customer_stats.get(k, 0) for k, v in stats.items()}
        self.sent_customer_stats = dict(stats)
        await self._count(delta, taken)
        await self.customer_changelog.write(self.customer_store.flush())

    async def on_signals(self, events: list) -> None:
        await self.start_producer()
        await self.ensure_one_partition_stages()
        scope = self.scope_stage
        if scope is None:   # the partition was revoked meanwhile: its new owner reads these again
            return
        conds: list = []
        cp = self.scope_cp
        follow = self.clock.follow
        for rec in events:
            if cp.seen(rec.offset):
                continue
            cp.offset = rec.offset
            for sig in decode_signals(rec.value):
                follow(sig.t)
                conds.extend(scope.apply(sig))
        for c in conds:
            self.send(self.conditions_topic, encode_condition(c))
        await self.flush_out()
        self.metrics.conditions.inc(len(conds))

    async def on_conditions(self, events: list) -> None:
        await self.start_producer()
        await self.ensure_one_partition_stages()
        if self.pipeline is None:   # the partition was revoked meanwhile: its new owner reads these again
            return
        records: list = []
        conds = []
        for rec in events:
            if self.alert_cp.seen(rec.offset):
                continue
            cond = decode_condition(rec.value)
            self.clock.follow(cond.ts)
            conds.append(cond)
            last_offset = rec.offset
        records.extend(self.pipeline.process_all(conds))
        if conds:
            self.alert_cp.offset = last_offset
        await self.emit_alerts(records)
        await self.send_notifications()

    async def tick(self) -> None:
        """Advance every owned stage to the live clock; write the snapshot and checkpoints (the heartbeat has a
        timer of its own)."""
        await self.start_producer()
        now = self.clock.now()
        if now is None:
            return
        if self.order_stage is not None:
            await self._tick_orders(now)
        if self.scope_stage is not None:
            conds = self.scope_stage.advance(now)
            for c in conds:
                self.send(self.conditions_topic, encode_condition(c))
            await self.flush_out()
            if time.time() - self.snapshot_at >= SNAPSHOT_EVERY_S:   # the board reads it once a second
                self.snapshot_at = time.time()
                await self.write_snapshot(now)
            if time.time() - self.scope_ckpt_at >= SCOPE_CKPT_EVERY_S:
                from streams.scope_stage import scope_state_dict
                self.scope_ckpt_at = time.time()
                held, self.held_signals = self.held_signals, []
                ckpt = orjson.dumps({"offset": self.scope_cp.offset, "state": scope_state_dict(self.scope_stage)})
                await self.retry("scope checkpoint", lambda: self.redis.set(self.prefix + "ckpt:scopes", ckpt))
                self.inbox(self.signals_topic).ack(held)
        if self.pipeline is not None:
            records = list(self.pipeline.tick(now))
            beat = self.deadman.check(await self.feed_silent_for(), now)
            if beat is not None:
                records.extend(self.pipeline.process(beat))
            for cmd in await self.read_commands():
                try:
                    records.extend(self.pipeline.apply_command(cmd, now) or [])
                except ValueError as exc:  # CommandError: a stale or malformed board command
                    log.warning("board command rejected: %s (%s)", exc, cmd.get("action"))
            await self.emit_alerts(records)
            await self.send_notifications()
            if time.time() - self.alerts_ckpt_at >= ALERTS_CKPT_EVERY_S:
                self.alerts_ckpt_at = time.time()
                await self.checkpoint_alerts()

    async def checkpoint_alerts(self) -> None:
        """Write the alert pipeline's state (``ckpt:alerts``), then acknowledge the takes it holds.

        The state is taken under ``notify_lock``: every notification intent drained from it is already in the
        Redis stream of intents (:meth:`send_notifications`)."""
        held, self.held_conditions = self.held_conditions, []
        async with self.notify_lock:
            pipeline = self.pipeline
            ck = pipeline and {"offset": self.alert_cp.offset, "cmd_last_id": self.cmd_last_id,
                               "state": pipeline.state_dict()}
        if not ck:   # the partition was revoked while waiting: its new owner restores the last checkpoint
            self.held_conditions[:0] = held
            return
        raw = orjson.dumps(ck)
        await self.retry("alert checkpoint", lambda: self.redis.set(self.prefix + "ckpt:alerts", raw))
        self.inbox(self.conditions_topic).ack(held)

    async def _tick_orders(self, now: float) -> None:
        async with self.lock:
            if not self.models_restored:
                await self._restore_models()
            out = self.order_stage.advance(now)
            await self.flush_orders(out.signals, out.conditions, out.risks, settled=out.settled)
            if time.time() - self.models_ckpt_at >= MODELS_CKPT_EVERY_S:
                self.models_ckpt_at = time.time()
                await self._checkpoint_models()
        async with self.customer_lock:
            self.customer_stage.advance(now)   # housekeeping: forget customers quiet past the horizon
            await self.flush_customers()

    def last_event_wall(self) -> float | None:
        """Wall time (epoch s) this worker last received an input event, None before the first."""
        heard = self.clock.heard_wall
        return None if heard is None else time.time() - (self.clock.wall() - heard)

    async def feed_silent_for(self) -> float | None:
        """Seconds since any worker of the installation last received an event (the dead-man's switch).

        Read from every worker's heartbeat, stale ones included: the alert pipeline's worker may run no order
        stage at all (role ``aggregates``), or own only some quiet partitions, and a worker that died stays
        the last witness of the feed."""
        beats = await self.redis.hvals(self.prefix + "workers")
        walls = [w for w in (orjson.loads(b).get("last_event_wall") for b in beats) if w is not None]
        own = self.last_event_wall()
        if own is not None:
            walls.append(own)
        return time.time() - max(walls) if walls else None

    async def read_commands(self) -> list:
        res = await _maybe_await(self.alert_store.read_commands(self.cmd_last_id, 0))
        if not res:
            return []
        last_id, cmds = res if isinstance(res, tuple) else (res[-1][0], [c for _, c in res])
        self.cmd_last_id = last_id
        return list(cmds)

    async def heartbeat(self, now: float | None) -> None:
        from streams.model_state import model_report

        if self.order_stage is not None and time.time() - self.model_report_at >= MODEL_REPORT_EVERY_S:
            self.model_report_at = time.time()
            self.model_report = model_report(self.order_stage)
        mine = sorted(self.owned_partitions(self.events_topic))
        lags = self.lag_by_topic()
        lag = sum(lags.values())
        self.metrics.lag.set(lag)
        self.metrics.write_blocked.set(self.retry.blocked_for())
        orders = self.order_stage is not None
        beat = {"worker": self.worker, "role": self.role, "pid": os.getpid(), "wall": time.time(), "now": now,
                "partitions": mine, "recovering": bool(self.app.in_recovery or self.app.rebalancing),
                "orders": len(self.store.local) if orders else 0,
                "customers": len(self.customer_store.local) if orders else 0, "lag": lag,
                "events": self.order_stage.stats.get("events", 0) if orders else 0,
                "last_event_wall": self.last_event_wall(), "lag_by_topic": lags, "lagging": self.lagging,
                "scope_stage": self.scope_stage is not None, "alert_pipeline": self.pipeline is not None,
                "model": self.model_report if orders else None, "model_origin": self.models_origin,
                "blocked": {step: {**b, "for_s": round(time.time() - b["since"], 1)}
                            for step, b in self.retry.blocked.items()},
                "write_retries": sum(self.retry.retries.values()),
                "notify": dict(self.notifier.stats) if self.notifier is not None else None}
        await self.redis.hset(self.prefix + "workers", self.worker, orjson.dumps(beat))

    def lag_by_topic(self) -> dict[str, int]:
        """Records of this worker's input topics not yet handed to its agents, per topic; the partitions that
        lag, with their high-water mark, last read and committed offsets, go to ``self.lagging`` (heartbeat)."""
        consumer = self.app.consumer
        inputs = set(self.input_topics)
        lags: dict[str, int] = {}
        lagging: dict[str, list] = {}
        for tp in consumer.assignment():
            if tp.topic not in inputs:
                continue
            try:
                hw = consumer.highwater(tp)
            except Exception:
                continue
            if hw is not None:
                read, committed = consumer._read_offset.get(tp), consumer._committed_offset.get(tp)
                n = partition_lag(hw, read, committed)
                lags[tp.topic] = lags.get(tp.topic, 0) + n
                if n and len(lagging) < 16:
                    lagging[f"{tp.topic}:{tp.partition}"] = [hw, read, committed]
        self.lagging = lagging
        return lags

    async def write_snapshot(self, now: float) -> None:
        snap = self.scope_stage.snapshot(now)
        workers = {}
        for name, raw in (await self.redis.hgetall(self.prefix + "workers")).items():
            w = orjson.loads(raw)
            if time.time() - w["wall"] < 15:
                workers[name.decode()] = w
        dlq = await self.redis.get(self.prefix + "dlq:count")
        stats = {k.decode(): int(v) for k, v in (await self.redis.hgetall(self.prefix + "stats")).items()}
        from streams.model_state import pool_model_reports

        snap["model"] = pool_model_reports([w.get("model") for w in workers.values()])
        snap["runtime"] = {"workers": workers, "lag": sum(w.get("lag", 0) for w in workers.values()),
                           "dlq": int(dlq or 0), "stats": stats, "wall": time.time(),
                           "clock_speed": self.settings.clock.speed}
        if "events" in stats:
            snap["events_per_min"], snap["event_idle_s"] = self.event_flow.observe(time.time(), stats["events"])
        await self.redis.set(self.prefix + "board:snapshot", orjson.dumps(snap, default=_jsonable))


_ABSENT = object()


class _LocalStore:
    """The faust table's local store as a plain mapping with ``str`` keys (recovery may hand back bytes)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    @property
    def _d(self) -> dict:
        return self.table.data.data

    def __getitem__(self, key: str) -> bytes:
        d = self._d
        if key in d:
            return d[key]
        return d[key.encode()]

    def get(self, key: str, default: Any = None) -> Any:
        d = self._d   # without KeyError: new orders and customers (most keys asked for at 5k new orders/s) miss
        value = d.get(key, _ABSENT)
        return d.get(key.encode(), default) if value is _ABSENT else value

    def __setitem__(self, key: str, value: bytes) -> None:
        self._d.pop(key.encode(), None)
        self._d[key] = value

    def pop(self, key: str, default: Any = None) -> Any:
        v = self._d.pop(key, default)
        v2 = self._d.pop(key.encode(), default)
        return v if v is not default else v2

    def __contains__(self, key: object) -> bool:
        return key in self._d or (isinstance(key, str) and key.encode() in self._d)

    def __iter__(self):
        return iter(list(self._d))

    def __len__(self) -> int:
        return len(self._d)


def _jsonable(o: Any) -> Any:
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if dataclasses.is_dataclass(o):
        return dataclasses.asdict(o)
    return str(o)


async def _maybe_await(x: Any) -> Any:
    if inspect.isawaitable(x):
        return await x
    return x


def install(app: faust.App, settings: Settings, worker_name: str, role: str = "all") -> Live:
    """Attach the agents of ``role`` (see :data:`ROLES`), their tables and the timer to ``app``; returns the
    process's :class:`Live`."""
    live = Live(app, settings, worker_name, role)
    if live.runs_orders:
        _install_order_agents(app, live)
    if live.runs_aggregates:
        _install_aggregate_agents(app, live)

    @app.timer(settings.clock.tick_s, name="advance_clock")
    async def advance_clock() -> None:
        """Silent orders, minute ticks and alert timers happen here, on the live clock."""
        async with live.tick_outage:
            await live.tick()

    @app.timer(settings.clock.tick_s, name="heartbeat")
    async def heartbeat() -> None:
        """The worker's heartbeat (board, dead-man's switch), on a timer of its own: it goes on while a tick
        or a take waits for a blocked write, and says so (``blocked``)."""
        async with live.heartbeat_outage:
            await live.heartbeat(live.clock.now())

    @app.on_rebalance_complete.connect
    async def on_rebalance_complete(sender: Any, **kwargs: Any) -> None:
        asyncio.ensure_future(live.on_rebalanced())

    return live


def _install_order_agents(app: faust.App, live: Live) -> None:
    @app.agent(live.events_topic, name="track_orders")
    async def track_orders(stream: faust.StreamT) -> None:
        """Input events → OrderStage (per-order state, SLA clocks, risk); invalid input → DLQ."""
        async for take in live.inbox(live.events_topic).takes(stream, BATCH):
            await live.on_events(take.records)

    @app.agent(live.contacts_topic, name="track_customers")
    async def track_customers(stream: faust.StreamT) -> None:
        """Contacts and escalations, keyed by customer → CustomerStage (changelogged table) → customer contexts."""
        async for take in live.inbox(live.contacts_topic).takes(stream, CUSTOMERS_BATCH):
            await live.on_customer_requests(take.records)

    @app.agent(live.context_topic, name="apply_customer_context")
    async def apply_customer_context(stream: faust.StreamT) -> None:
        """Customer contexts, at the order's partition → OrderStage.apply_customer (repeats, risk re-scored)."""
        async for take in live.inbox(live.context_topic).takes(stream, CONTEXTS_BATCH):
            await live.on_contexts(take.records)


def _install_aggregate_agents(app: faust.App, live: Live) -> None:
    @app.agent(live.signals_topic, name="aggregate_scopes")
    async def aggregate_scopes(stream: faust.StreamT) -> None:
        """ScopeSignals → ScopeStage aggregates and their detectors (one partition: see streams.app)."""
        async for take in live.inbox(live.signals_topic).takes(stream, SIGNALS_BATCH, ack=False):
            await live.on_signals(take.records)
            live.held_signals.append(take)   # acknowledged with the next scope checkpoint

    @app.agent(live.conditions_topic, name="run_alerts")
    async def run_alerts(stream: faust.StreamT) -> None:
        """Conditions → AlertPipeline → alert lifecycle records (topic + Redis) and notifications."""
        async for take in live.inbox(live.conditions_topic).takes(stream, CONDITIONS_BATCH, ack=False):
            await live.on_conditions(take.records)
            live.held_conditions.append(take)   # acknowledged with the next alert checkpoint
