"""``yujing worker``: one live stream-processing worker (faust) around the core.

Start as many as there are cores to spare: workers with the same ``kafka.app_id`` share the partitions of
the input topic; a replaced worker recovers its orders from the table's changelog. ``--role`` splits the
pipeline over processes: any number of ``orders`` workers and one ``aggregates`` worker (scope stage and
alert pipeline, off the event path); ``all`` (the default) runs both halves in one process.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Optional

import typer


def worker(config: Optional[Path] = typer.Option(None, "--config", help="TOML configuration file"),
           workers_dir: Path = typer.Option(Path("var/faust"), "--workers-dir",
                                            help="local state of the workers (wiped after a broker restart)"),
           name: Optional[str] = typer.Option(None, "--name", help="worker name (default: host-pid)"),
           metrics_port: int = typer.Option(9108, "--metrics-port", help="Prometheus /metrics port, 0 = off"),
           web_port: Optional[int] = typer.Option(None, "--web-port", help="faust web port (default: off)"),
           loglevel: str = typer.Option("warning", "--loglevel", help="debug, info, warning, error"),
           role: str = typer.Option("all", "--role",
                                    help="all; orders (order and customer stages: start as many as needed); "
                                         "aggregates (scope stage and alert pipeline: one per installation)")
           ) -> None:
    """Run one live worker: consume work-order events, keep the board and alerts in Redis current."""
    import gc

    import faust

    from streams.agents import check_role, group_id, install
    from streams.app import create_app
    from yujing.config import load_config
    from yujing.heap import long_lived_heap, pin_mmap_threshold

    try:
        settings = load_config(config)
        check_role(role)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(2)
    _ensure_topics(settings)
    worker_name = name or f"{socket.gethostname()}-{os.getpid()}"
    app = create_app(settings, worker_name, web_port=web_port, workers_dir=workers_dir,
                     group=group_id(settings.kafka.app_id, role))
    live = install(app, settings, worker_name, role)
    if metrics_port:
        live.metrics.serve(metrics_port)
    runner = faust.Worker(app, loglevel=loglevel.upper(), quiet=True)
    pin_mmap_threshold()   # outgrown tables of orders and customers go back to the system, not into holes
    with long_lived_heap():
        gc.freeze()   # what the boot loaded (faust, aiokafka, river, scipy, the models) lives as long as the worker
        runner.execute_from_commandline()


def _ensure_topics(settings: "Settings") -> None:  # type: ignore[name-defined]  # noqa: F821
    """Create the topics with their partition counts before faust subscribes (a broker that auto-creates
    topics on first metadata request would otherwise give them its default partition count)."""
    import asyncio

    from streams.app import CONDITIONS, CUSTOMER_CONTACTS, CUSTOMER_CONTEXT, SIGNALS, internal_topic
    from yujing.runtime.tansu import ensure_topics, yujing_topics

    k = settings.kafka
    topics = dict(yujing_topics(k))
    topics[internal_topic(settings, SIGNALS)] = 1
    topics[internal_topic(settings, CONDITIONS)] = 1
    # partitioned like the events topic: faust co-assigns equal partition numbers of equally-partitioned topics
    topics[internal_topic(settings, CUSTOMER_CONTACTS)] = k.partitions
    topics[internal_topic(settings, CUSTOMER_CONTEXT)] = k.partitions
    bootstrap = ",".join(u.split("://", 1)[-1] for u in k.broker.split(";"))
    asyncio.run(ensure_topics(bootstrap, topics, k.replication))
