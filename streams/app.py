"""The one faust App of the live shell, and the topics it reads and writes.

Created once per worker process by :func:`create_app` (the ``yujing worker`` command calls it with the loaded
settings); ``streams.agents.install`` then attaches the agents, the table and the timers. Values travel as raw
bytes and are decoded with orjson by the agents themselves: faust's codecs would add a JSON round trip per
message and the input has to be validated by :func:`yujing.events.parse_event` anyway.

Topics (the event path, one concern each):

====================  ==========  ==============================================================
topic                 partitions  carries
====================  ==========  ==============================================================
workorder-events      12 (conf)   input events, keyed by order_id (contract)
workorder-events.dlq  1           rejected input with the reason
scope-signals         1           ScopeSignal JSON from the order stage to the scope stage
alert-conditions      1           Condition JSON from both stages to the alert pipeline
alerts                12 (conf)   alert lifecycle and risk records: the log of record
<app_id>-orders-changelog  12     per-order state (faust table changelog, written by TableStore)
====================  ==========  ==============================================================

``scope-signals`` and ``alert-conditions`` have one partition on purpose: the scope stage keeps the
aggregates of a whole province (a few dozen regions × departments × categories, each a handful of floats),
which one worker updates far faster than the order stage can produce signals; and the alert pipeline must
see every condition of a fingerprint in order, like a single Alertmanager. Partitioning them would split
aggregates that detectors compare against each other (region vs. total) for no gain at this volume.
A second installation on the same broker (another ``app_id``) gets its own copies of these two topics.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import faust

from yujing.config import Settings

SIGNALS = "scope-signals"
CONDITIONS = "alert-conditions"
ORDERS_TABLE = "orders"

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
               workers_dir: str | Path = "var/faust", **overrides: Any) -> faust.App:
    """The faust App for this process (created once; a second call returns the same App).

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
    _APP = faust.App(k.app_id, **conf)
    return _APP


def reset_app() -> None:
    """Forget the App (tests that build several in one process)."""
    global _APP
    _APP = None
