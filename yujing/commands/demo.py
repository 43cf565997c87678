"""``yujing demo``: broker, redis, simulator, workers and board on this machine, supervised."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def demo(workers: int = typer.Option(1, "--workers", min=1, help="order workers (they split the partitions)"),
         split: bool = typer.Option(True, "--split/--one-process",
                                    help="aggregates and alerts in a worker of their own (default), or every "
                                         "worker running the whole pipeline"),
         config: Optional[Path] = typer.Option(None, "--config", help="TOML configuration (default: the shipped "
                                                                      "sample yujing/default.toml)"),
         speed: float = typer.Option(30.0, "--speed", min=0.1, help="simulated seconds per wall second"),
         warmup_hours: float = typer.Option(3.0, "--warmup-hours", min=0.0,
                                            help="simulated hours sent at once first, so the detectors' baselines "
                                                 "are warm when the demo's incidents start"),
         board_port: int = typer.Option(8501, "--board-port", help="port of the board"),
         kafka_port: int = typer.Option(19092, "--kafka-port", help="port of the embedded Kafka-protocol broker"),
         redis_port: int = typer.Option(16379, "--redis-port", help="port of the embedded redis-server"),
         metrics_port: int = typer.Option(9108, "--metrics-port",
                                          help="Prometheus port of worker-1 (+1 each, the aggregator last)"),
         inbox_port: int = typer.Option(8599, "--inbox-port",
                                        help="port of the local push inbox every receiver delivers to (messages "
                                             "in DATA_DIR/inbox.jsonl); 0 = the configuration's own receivers"),
         data_dir: Path = typer.Option(Path("var"), "--data-dir", help="redis AOF, worker state, logs"),
         keep_data: bool = typer.Option(False, "--keep-data", help="keep the board's Redis data of the last run"),
         no_board: bool = typer.Option(False, "--no-board", help="run without the board"),
         sim: List[str] = typer.Option([], "--sim", help="extra option for yujing simulate (repeatable), "
                                                         "e.g. --sim=--scale --sim=2")) -> None:
    """Run the whole system locally with simulated 95598 traffic; Ctrl-C stops everything."""
    import asyncio

    from yujing.config import DEFAULT_CONFIG
    from yujing.runtime.demo import DemoPlan, run_demo

    cfg = config or DEFAULT_CONFIG
    if not Path(cfg).is_file():
        typer.echo(f"error: config file not found: {cfg}", err=True)
        raise typer.Exit(2)
    plan = DemoPlan(config=Path(cfg), workers=workers, split=split, kafka_port=kafka_port, redis_port=redis_port,
                    board_port=board_port, metrics_port=metrics_port, inbox_port=inbox_port, speed=speed,
                    warmup_hours=warmup_hours, data_dir=data_dir, keep_data=keep_data,
                    board=not no_board, simulate_args=list(sim))
    raise typer.Exit(asyncio.run(run_demo(plan)))
