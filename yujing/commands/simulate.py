"""``yujing simulate``: a province's work-order events to Kafka, a JSON Lines file or stdout."""
from __future__ import annotations

from typing import List, Optional

import typer


def _parse_start(start: str) -> float:
    from datetime import datetime, timedelta, timezone

    if start.strip().lower() in ("", "now"):
        return float(int(datetime.now(timezone.utc).timestamp()))
    try:
        d = datetime.fromisoformat(start.strip())
    except ValueError:
        raise typer.BadParameter(f"not an ISO date-time: {start!r}", param_hint="--start") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone(timedelta(hours=8)))
    return d.timestamp()


def simulate(
    out: Optional[str] = typer.Option(None, "--out", help="JSON Lines file, or - for stdout"),
    kafka: Optional[str] = typer.Option(None, "--kafka", help="broker, e.g. kafka://127.0.0.1:9092 or host:port"),
    topic: Optional[str] = typer.Option(None, "--topic", help="Kafka topic (default: config kafka.events_topic)"),
    speed: float = typer.Option(1.0, "--speed", help="simulated seconds per wall second; 0 = as fast as possible"),
    start: str = typer.Option("now", "--start", help="simulated start, ISO date-time (+08:00 if no offset) or now"),
    hours: float = typer.Option(24.0, "--hours", help="simulated duration in hours; 0 = until interrupted"),
    seed: int = typer.Option(1, "--seed", help="same seed and options = same events"),
    regions: str = typer.Option("6", "--regions", help="number of built-in regions (1-8) or comma-separated names"),
    scale: float = typer.Option(1.0, "--scale", help="order volume multiplier (staff and crews scale with it)"),
    incident: List[str] = typer.Option([], "--incident",
                                       help="TYPE[:region|department|channel[:start_min[:duration_min]]], repeatable"),
    demo: bool = typer.Option(False, "--demo", help="schedule visible incidents in the first 20 simulated minutes"),
    warmup_hours: float = typer.Option(0.0, "--warmup-hours",
                                       help="first simulate this many hours before --start as fast as possible "
                                            "(a monitor that has seen an ordinary morning), then pace; incident "
                                            "start minutes still count from --start"),
    bad_rate: float = typer.Option(0.0, "--bad-rate", help="share of events followed by a duplicate or broken copy"),
    late_rate: float = typer.Option(0.005, "--late-rate", help="share of events delivered 20-180 s late"),
    config: Optional[str] = typer.Option(None, "--config", help="TOML configuration (Kafka topic, partitions, SLA)"),
    truth: Optional[str] = typer.Option(None, "--truth",
                                        help="also write ground truth (incidents.json, orders.json, meta.json) "
                                             "for shared/scenarios/tools/score.py into this directory"),
) -> None:
    """Simulate work-order events (discrete-event model of a province with queues, customers and incidents)."""
    import asyncio
    import gc
    import sys
    from dataclasses import replace

    from rich.console import Console

    from yujing.records import fmt_ts
    from yujing.simulator import SimOptions, demo_incidents, iter_timed, parse_incident, regions_from_spec
    from yujing.simulator.sinks import produce_kafka, write_jsonl

    console = Console(stderr=True)
    if (out is None) == (kafka is None):
        raise typer.BadParameter("give exactly one of --out FILE|- or --kafka BROKER")
    if scale <= 0 or hours < 0 or speed < 0 or warmup_hours < 0 or not 0 <= bad_rate <= 1 or not 0 <= late_rate <= 1:
        raise typer.BadParameter("--scale must be > 0; --hours, --speed, --warmup-hours >= 0; rates in [0, 1]")
    try:
        region_list = regions_from_spec(regions)
        incidents = [parse_incident(s, region_list) for s in incident]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if demo:
        incidents = demo_incidents(region_list) + incidents
    warmup_s = warmup_hours * 3600.0
    if warmup_s:   # the stream starts earlier; incidents keep their place after --start
        incidents = [replace(inc, start_min=inc.start_min + warmup_hours * 60.0) for inc in incidents]
    t0 = _parse_start(start)
    opts = SimOptions(start=t0 - warmup_s, hours=hours + warmup_hours if hours else 0.0, seed=seed,
                      regions=region_list, scale=scale, incidents=incidents, bad_rate=bad_rate, late_rate=late_rate)
    for inc in incidents:
        scope = inc.department or inc.channel or inc.region
        console.log(f"incident {inc.type} on {scope}: from {fmt_ts(opts.start + inc.start_min * 60.0)} "
                    f"for {inc.duration_min:g} min")
    import time

    t_start = time.monotonic()

    def progress(n: int, t: float) -> None:
        rate = n / max(time.monotonic() - t_start, 1e-9)
        console.log(f"{n} events ({rate:,.0f}/s), simulated time {fmt_ts(t)}")

    gc.set_threshold(100_000, 50, 100)   # the simulation's garbage is acyclic: collecting often only costs time
    sim = None
    if truth is not None:
        from yujing.simulator.truth import TruthSimulation

        sim = TruthSimulation(opts)
    stream = iter_timed(opts, sim=sim)
    try:
        if kafka is not None:
            from yujing.config import load_config

            kcfg = load_config(config).kafka
            n = asyncio.run(produce_kafka(stream, kafka, topic or kcfg.events_topic, speed=speed,
                                          partitions=kcfg.partitions, replication=kcfg.replication,
                                          progress=progress, pace_from=t0))
            console.log(f"done: {n} events to {topic or kcfg.events_topic}")
        elif out == "-":
            write_jsonl(stream, sys.stdout.buffer, speed=speed, progress=progress if sys.stderr.isatty() else None,
                        pace_from=t0)
        else:
            with open(out, "wb") as fh:  # type: ignore[arg-type]
                n = write_jsonl(stream, fh, speed=speed, progress=progress, pace_from=t0)
            console.log(f"done: {n} events to {out}")
    except KeyboardInterrupt:
        console.log("interrupted")
    except BrokenPipeError:
        pass
    if sim is not None and truth is not None:
        from streams.deadlines import Sla
        from yujing.config import load_config

        meta = sim.write_truth(truth, Sla(load_config(config).sla))
        c = meta["counts"]
        console.log(f"truth: {c['incidents']} incidents, {c['orders']} orders ({c['escalated_orders']} escalated, "
                    f"{c['orders_with_breach']} with a breach) to {truth}")
