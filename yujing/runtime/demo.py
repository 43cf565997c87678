"""``yujing demo``: the whole system on one machine, supervised.

redis-server (AOF, ``var/redis``) and Tansu (memory) start first; the broker's readiness hook creates the
topics; then the simulator (``yujing simulate --kafka ... --demo``), N faust workers (``yujing worker``) and
the Streamlit board (``yujing board``). All children get the same configuration: the shipped sample
(``yujing/default.toml``) or ``--config``, with the demo's ports and clock speed as ``YUJING_*`` env overrides.

Tansu keeps topics in memory, so a broker restart loses every record and offset. The supervisor then
restarts the broker, recreates the topics (readiness hook), wipes the workers' local table state
(``var/faust/worker-N``; faust refuses to start on state newer than the changelog: ConsistencyError) and
restarts workers and simulator. Each step is written to the Redis stream ``<prefix>runtime:events`` so the
board can show the outage and the recovery.
"""
from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from rich.console import Console

from yujing.config import DEFAULT_CONFIG, load_config
from yujing.runtime.net import wait_for_port
from yujing.runtime.redis_server import redis_argv, redis_url, wait_for_ping
from yujing.runtime.supervisor import Child, Supervisor
from yujing.runtime.tansu import broker_argv, broker_env, ensure_topics, wait_until_ready, yujing_topics

EVENTS_KEY = "runtime:events"
"""Redis stream (after the configured prefix) of runtime events: fields ts, kind, child, detail."""
EVENTS_MAXLEN = 1000


@dataclass
class DemoPlan:
    """What ``yujing demo`` starts and where."""

    config: Path = DEFAULT_CONFIG
    workers: int = 1
    """Order workers (they split the input's partitions)."""
    split: bool = True
    """The scope stage and the alert pipeline in a worker of their own (``aggregator``, role ``aggregates``;
    the order workers run role ``orders``); False: one process runs both halves (role ``all``)."""
    kafka_port: int = 19092
    redis_port: int = 16379
    board_port: int = 8501
    inbox_port: int = 8599
    """The local push inbox (``yujing inbox``): every receiver of the configuration delivers to it; 0 = off (the
    configuration's own receivers, which are empty in the shipped sample: no pushes)."""
    metrics_port: int = 9108
    """Prometheus port of worker-1 (worker-N: +N-1, the aggregator: +workers); 0 = off."""
    speed: float = 30.0
    warmup_hours: float = 3.0
    """Simulated hours sent at once before the paced stream: the board opens on a monitor that has learned an
    ordinary morning (baselines warm), and the demo's incidents start after it."""
    data_dir: Path = Path("var")
    keep_data: bool = False
    board: bool = True
    simulate_args: list[str] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return redis_url(self.redis_port)

    @property
    def board_url(self) -> str:
        return f"http://127.0.0.1:{self.board_port}"

    @property
    def inbox_file(self) -> Path:
        return self.data_dir / "inbox.jsonl"

    @property
    def users_file(self) -> Path:
        return self.data_dir / "demo-users.toml"



def yujing_argv(*args: str) -> list[str]:
    """Run a ``yujing`` sub-command with this interpreter (no reliance on PATH)."""
    return [sys.executable, "-m", "yujing.cli", *args]


def missing_parts() -> dict[str, str]:
    """Parts of the system not built yet: name -> what is missing."""
    missing = {}
    for name in ("simulate", "worker", "board"):
        if importlib.util.find_spec(f"yujing.commands.{name}") is None:
            missing[name] = f"yujing/commands/{name}.py"
    spec = importlib.util.find_spec("dashboard")
    app = Path(next(iter(spec.submodule_search_locations))) / "app.py" if spec and spec.submodule_search_locations \
        else None
    if app is None or not app.is_file():
        missing["board"] = "dashboard/app.py"
    return missing


class RuntimeEvents:
    """Writes supervisor events to the Redis stream the board reads (best effort: Redis may be the one down)."""

    def __init__(self, url: str, prefix: str, console: Console) -> None:
        import redis.asyncio as aredis

        self.client = aredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.key = f"{prefix}{EVENTS_KEY}"
        self.console = console
        self.broker_down_since: float | None = None

    async def __call__(self, kind: str, child: str, detail: str) -> None:
        if child == "broker" and kind == "died":
            self.broker_down_since = time.time()
            await self.write("outage", "broker", "Kafka broker died: restarting it, recreating topics, "
                                                 "restarting workers with fresh local state")
        elif child == "broker" and kind == "ready" and self.broker_down_since is not None:
            down = time.time() - self.broker_down_since
            self.broker_down_since = None
            self.console.log(f"[green]broker recovered after {down:.1f}s; workers restart fresh")
            # checkpoints name offsets of the old, lost topics: a fresh broker makes them meaningless
            try:
                keys = [k async for k in self.client.scan_iter(match=self.key.replace(EVENTS_KEY, "ckpt:*"))]
                if keys:
                    await self.client.delete(*keys)
            except Exception as exc:  # noqa: BLE001 - Redis may be down too; the worker then checks offsets
                self.console.log(f"[yellow]could not drop worker checkpoints: {exc}")
            await self.write("recovered", "broker", f"broker back after {down:.1f}s, topics recreated")
        if not (kind == "stopped" and child in ("broker", "redis")):  # they stop last, together
            await self.write(kind, child, detail)

    async def write(self, kind: str, child: str, detail: str) -> None:
        if child == "redis" and kind in ("died", "restarting", "stopped"):
            return  # nobody to write to
        await self.client.xadd(self.key, {"ts": f"{time.time():.3f}", "kind": kind, "child": child,
                                          "detail": detail}, maxlen=EVENTS_MAXLEN, approximate=True)


def worker_roles(plan: DemoPlan) -> list[tuple[str, str]]:
    """(name, role) of each worker the demo starts.

    >>> worker_roles(DemoPlan(workers=2))
    [('worker-1', 'orders'), ('worker-2', 'orders'), ('aggregator', 'aggregates')]
    >>> worker_roles(DemoPlan(split=False))
    [('worker-1', 'all')]
    """
    if not plan.split:
        return [(f"worker-{i}", "all") for i in range(1, plan.workers + 1)]
    return [(f"worker-{i}", "orders") for i in range(1, plan.workers + 1)] + [("aggregator", "aggregates")]


REGION_ZH = {"north": "城北", "east": "城东", "south": "城南", "west": "城西", "lakeside": "湖滨", "highland": "高新"}
DEPARTMENT_ZH = {"repair": "抢修", "marketing": "营销", "metering": "计量"}
_NUMBER_ZH = "一二三四五六七八九"


def demo_names() -> dict[str, dict[str, str]]:
    """Display names for the simulator's regions and departments (``[names]``), as a supply company's staff say
    them: the demo shows 城北 and 城北抢修一班 where the events carry ``north`` and ``north-repair-1``.

    >>> n = demo_names()
    >>> n["region"]["north"], n["department"]["north-repair-1"], n["department"]["east-marketing"]
    ('城北', '城北抢修一班', '城东营销班')
    """
    from yujing.simulator import default_regions

    regions: dict[str, str] = {}
    departments: dict[str, str] = {}
    for r in default_regions():
        where = regions[r.name] = REGION_ZH.get(r.name, r.name)
        for d in r.departments:
            kind, _, n = d.name.removeprefix(r.name + "-").partition("-")
            team = DEPARTMENT_ZH.get(kind, kind)
            number = _NUMBER_ZH[int(n) - 1] if n.isdigit() and 0 < int(n) <= len(_NUMBER_ZH) else n
            departments[d.name] = f"{where}{team}{number}班"
    return {"region": regions, "department": departments}


def build_children(plan: DemoPlan, console: Console) -> tuple[list[Child], dict[str, str]]:
    """The supervised children of the demo, and the parts that are missing (name -> file)."""
    settings = load_config(plan.config)
    logs = plan.data_dir / "log"
    env = {**os.environ, "YUJING_CONFIG": str(Path(plan.config).resolve()),
           "YUJING_KAFKA__BROKER": f"kafka://{plan.bootstrap}", "YUJING_REDIS__URL": plan.redis_url,
           "YUJING_CLOCK__SPEED": str(plan.speed), "YUJING_DASHBOARD__BASE_URL": plan.board_url,
           "YUJING_USERS_FILE": str(plan.users_file.resolve()),
           "PYTHONUNBUFFERED": "1"}
    if plan.inbox_port:   # staff phones: every receiver (escalation chains and assignees' too) posts to the inbox
        from yujing.runtime.inbox import inbox_urls
        names = {*settings.alerts.receivers, settings.alerts.default_receiver,
                 *(s.receiver for chain in settings.alerts.escalation.values() for s in chain),
                 *(r.receiver for r in settings.alerts.routes)}
        env["YUJING_ALERTS__RECEIVERS"] = orjson.dumps(inbox_urls(plan.inbox_port, sorted(names))).decode()
    if not (settings.names.region or settings.names.department):   # the simulator's ids, named as people say them
        for key, table in demo_names().items():
            env[f"YUJING_NAMES__{key.upper()}"] = orjson.dumps(table).decode()
    topics = yujing_topics(settings.kafka)

    async def broker_ready() -> None:
        await wait_until_ready(plan.bootstrap)
        created = await ensure_topics(plan.bootstrap, topics, settings.kafka.replication)
        if created:
            console.log(f"topics created: {', '.join(sorted(created))}")

    async def redis_ready() -> None:
        await asyncio.to_thread(wait_for_ping, plan.redis_url)

    async def board_ready() -> None:
        await wait_for_port(plan.board_port, timeout=60)

    redis_dir = plan.data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    children = [
        Child("redis", redis_argv(plan.redis_port, redis_dir), log=logs / "redis.log", ready=redis_ready,
              critical=True),
        Child("broker", broker_argv(plan.kafka_port), env=broker_env(), log=logs / "broker.log",
              ready=broker_ready, critical=True),
    ]
    if plan.inbox_port:
        async def inbox_ready() -> None:
            await wait_for_port(plan.inbox_port, timeout=30)

        children.append(Child("inbox", yujing_argv("inbox", "--port", str(plan.inbox_port),
                                                   "--out", str(plan.inbox_file)),
                              env=env, log=logs / "inbox.log", ready=inbox_ready))
    missing = missing_parts()
    if "simulate" not in missing:
        children.append(Child("simulator", yujing_argv("simulate", "--kafka", f"kafka://{plan.bootstrap}",
                                                       "--speed", f"{plan.speed:g}", "--demo", "--hours", "0",
                                                       "--warmup-hours", f"{plan.warmup_hours:g}",
                                                       *plan.simulate_args),
                              env=env, log=logs / "simulator.log", depends_on=("broker",)))
    if "worker" not in missing:
        for i, (name, role) in enumerate(worker_roles(plan)):
            argv = yujing_argv("worker", "--name", name, "--workers-dir", str(plan.data_dir / "faust"),
                               "--metrics-port", str(plan.metrics_port + i if plan.metrics_port else 0),
                               "--role", role)
            wdir = plan.data_dir / "faust" / name
            children.append(Child(name, argv, env={**env, "YUJING_WORKER_NAME": name},
                                  log=logs / f"{name}.log", depends_on=("broker", "redis"),
                                  fresh=lambda d=wdir: shutil.rmtree(d, ignore_errors=True)))
    if plan.board and "board" not in missing:
        children.append(Child("board", yujing_argv("board", "--port", str(plan.board_port)), env=env,
                              log=logs / "board.log", ready=board_ready, depends_on=("redis",)))
    return children, missing


def fresh_start(plan: DemoPlan) -> None:
    """The broker starts empty, so the workers' local state must too; the read model follows unless kept."""
    shutil.rmtree(plan.data_dir / "faust", ignore_errors=True)
    if not plan.keep_data:
        shutil.rmtree(plan.data_dir / "redis", ignore_errors=True)
        plan.inbox_file.unlink(missing_ok=True)


def demo_users(plan: DemoPlan) -> dict[str, str]:
    """Board logins for this demo run: a users file of its own, new random passwords each run."""
    try:
        from dashboard.auth import demo_init
    except ImportError:
        return {}
    path = plan.users_file
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return demo_init(path, None)


async def run_demo(plan: DemoPlan, console: Console | None = None) -> int:
    """Start everything, print where to look, run until Ctrl-C; returns the exit code."""
    console = console or Console(stderr=True)
    import logging

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # "broker not up yet" is expected while waiting
    fresh_start(plan)
    logins = demo_users(plan)
    children, missing = build_children(plan, console)
    settings = load_config(plan.config)
    events = RuntimeEvents(plan.redis_url, settings.redis.prefix, console)
    sup = Supervisor(children, console=console, on_event=events)
    for part, file in missing.items():
        console.log(f"[yellow]not started: {part} ({file} is missing)")
    t0 = time.monotonic()
    run = asyncio.create_task(sup.run())
    try:
        await sup.wait_ready("redis", "broker", timeout=60)
        console.log(f"redis {plan.redis_url}  kafka {plan.bootstrap}  logs {plan.data_dir / 'log'}/")
        if any(c.name == "board" for c in children):
            await sup.wait_ready("board", timeout=90)
            console.rule(f"[bold green]board: {plan.board_url}  (ready after {time.monotonic() - t0:.1f}s)")
            for user, pw in logins.items():
                console.print(f"  login {user:<10} password {pw}")
        if plan.inbox_port:
            console.print(f"  push messages to staff, team leads and duty managers: {plan.inbox_file} "
                          f"(the inbox on port {plan.inbox_port} stands in for their phones)")
        console.print(f"[bold]yujing demo running: {plan.workers} order worker(s){' + the aggregator' if plan.split else ' (each the whole pipeline)'}, simulator at {plan.speed:g}x. "
                      "Ctrl-C stops everything.")
    except (asyncio.TimeoutError, TimeoutError):
        if not run.done():
            console.log("[red]a part did not become ready; see the logs. Still supervising.")
    return await run
