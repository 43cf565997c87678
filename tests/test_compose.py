"""What can be checked of the production deployment without Docker: structure, names, commands, ports."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from yujing.config import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
KNOWN_BINARIES = {"redis-server", "/bin/sh", "python"}
SPECIAL_ENV = {"YUJING_CONFIG", "YUJING_USERS_FILE"}


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _settings_path_exists(parts: list[str]) -> bool:
    model: type[BaseModel] = Settings
    for i, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            return False
        ann = fields[part].annotation
        if i < len(parts) - 1:
            if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
                return False
            model = ann
    return True


def _yujing_commands() -> dict[str, Any]:
    import typer.main

    from yujing.cli import app

    return typer.main.get_command(app).commands  # type: ignore[attr-defined]


def test_services_are_the_production_set() -> None:
    assert {"kafka", "redis", "topics", "worker", "aggregator", "board", "simulator"} <= set(SERVICES)
    assert SERVICES["simulator"]["profiles"] == ["demo"]
    assert all("profiles" not in s for name, s in SERVICES.items() if name != "simulator")


def test_order_workers_scale_out_and_the_aggregator_runs_the_one_partition_stages() -> None:
    def role(service: str) -> str:
        cmd = SERVICES[service]["command"]
        return cmd[cmd.index("--role") + 1]

    from streams.agents import ROLES

    assert (role("worker"), role("aggregator")) == ("orders", "aggregates") and {"orders", "aggregates"} <= set(ROLES)
    assert "container_name" not in SERVICES["worker"] and "ports" not in SERVICES["worker"]   # --scale worker=N
    assert "replicas" not in (SERVICES["aggregator"].get("deploy") or {})                     # exactly one


def test_an_unknown_worker_role_is_refused_before_anything_starts() -> None:
    from typer.testing import CliRunner

    from yujing.cli import app

    res = CliRunner().invoke(app, ["worker", "--role", "aggregator", "--metrics-port", "0"])
    assert res.exit_code == 2 and "role must be one of all, orders, aggregates" in res.output


def test_kafka_is_a_single_kraft_node() -> None:
    kafka = SERVICES["kafka"]
    env = _env(kafka)
    assert kafka["image"].startswith("apache/kafka:")
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "ZOOKEEPER" not in " ".join(env).upper()


def test_redis_persists_with_aof_behind_a_password() -> None:
    cmd = " ".join(SERVICES["redis"]["command"])
    assert "--appendonly yes" in cmd and "--appendfsync everysec" in cmd
    assert re.search(r"--requirepass \$\{REDIS_PASSWORD", cmd)
    assert any(v.endswith(":/data") for v in SERVICES["redis"]["volumes"])
    assert "${REDIS_PASSWORD" in _env(SERVICES["worker"])["YUJING_REDIS__URL"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_yujing_env_var_is_a_settings_field(name: str) -> None:
    for var in _env(SERVICES[name]):
        if not var.startswith("YUJING_") or var in SPECIAL_ENV:
            continue
        parts = var.removeprefix("YUJING_").lower().split("__")
        assert len(parts) >= 2 and _settings_path_exists(parts), f"{name}: {var} is no Settings field"


def test_the_env_values_parse_as_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from yujing.config import load_config

    for var, value in _env(SERVICES["worker"]).items():
        monkeypatch.setenv(var, re.sub(r"\$\{(\w+):?[-?]?([^}]*)\}", lambda m: m.group(2) or "x", value))
    cfg = load_config(None)
    assert cfg.kafka.broker == "kafka://kafka:9092" and cfg.kafka.partitions >= 12
    assert cfg.redis.url.startswith("redis://:") and cfg.redis.url.endswith("@redis:6379/0")
    # the board's public URL set for the stack is the one the workers' push messages link to (it was not: the
    # messages kept alerts.board_url's default, http://127.0.0.1:8501, which no phone can open)
    assert cfg.alerts.board_url == cfg.dashboard.base_url == "http://localhost:8501"


def test_an_explicit_link_base_for_messages_wins_over_the_boards_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from alerts.templates import alert_link
    from yujing.config import load_config

    monkeypatch.setenv("YUJING_DASHBOARD__BASE_URL", "https://board.example.cn")
    assert alert_link(load_config(None).alerts.board_url, "ab-1") == "https://board.example.cn/?alert=ab-1"
    monkeypatch.setenv("YUJING_ALERTS__BOARD_URL", "https://m.example.cn/yj/")
    assert alert_link(load_config(None).alerts.board_url, "ab-1") == "https://m.example.cn/yj/?alert=ab-1"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_command_exists(name: str) -> None:
    service = SERVICES[name]
    argv = service.get("entrypoint") or service.get("command")
    if argv is None:
        return  # the image's own entry point (kafka)
    if argv[0] == "yujing":
        commands = _yujing_commands()
        assert argv[1] in commands, f"{name}: yujing {argv[1]} does not exist"
        options = {o for p in commands[argv[1]].params for o in p.opts}
        used = {a for a in argv[2:] if a.startswith("--")}
        assert used <= options, f"{name}: yujing {argv[1]} has no {sorted(used - options)}"
    else:
        assert argv[0] in KNOWN_BINARIES, f"{name}: unknown program {argv[0]}"
    for test in [service.get("healthcheck", {}).get("test", [])]:
        if test and test[0] == "CMD-SHELL":
            assert "/opt/kafka/bin/" in test[1]


def test_topics_are_created_with_room_to_scale() -> None:
    script = SERVICES["topics"]["command"][0]
    assert SERVICES["topics"]["image"] == SERVICES["kafka"]["image"]
    assert SERVICES["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    default_partitions = int(re.search(r"YUJING_PARTITIONS:-(\d+)", SERVICES["topics"]["environment"]["PARTITIONS"])[1])
    assert default_partitions >= 12
    s = Settings()
    for topic in (s.kafka.events_topic, s.kafka.alerts_topic, s.kafka.dlq_topic, s.kafka.commands_topic):
        assert f"--topic {topic} " in script
    assert "--if-not-exists" in script


def test_workers_scale_and_the_board_is_published() -> None:
    worker, board = SERVICES["worker"], SERVICES["board"]
    assert "ports" not in worker and "container_name" not in worker
    assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert board["ports"] == ["${YUJING_BOARD_PORT:-8501}:8501"]
    assert board["command"][board["command"].index("--port") + 1] == "8501"


def test_volumes_are_declared_and_long_running_services_have_health_checks() -> None:
    declared = set(COMPOSE.get("volumes") or {})
    for name, service in SERVICES.items():
        for vol in service.get("volumes", []):
            source = vol.split(":")[0]
            assert source in declared, f"{name}: volume {source} not declared"
        if name not in ("topics", "simulator"):
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        for dep in service.get("depends_on", {}):
            assert dep in SERVICES


def test_dockerfile_builds_the_package_on_python_311_slim() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert re.search(r"pip install \.", text)
    for package in ("yujing", "streams", "detectors", "alerts", "dashboard"):
        assert f"COPY {package} " in text
    assert re.search(r"^USER (?!root)", text, re.M)


def test_the_shipped_sample_config_loads_and_names_only_real_fields() -> None:
    """The sample may lag behind changed defaults (regenerate: make sample-config), but never names a field
    that does not exist: nested sections would ignore it silently."""
    import tomllib

    from yujing.config import DEFAULT_CONFIG, load_config

    load_config(DEFAULT_CONFIG)

    def walk(table: dict[str, Any], model: type[BaseModel], path: str) -> None:
        for key, value in table.items():
            assert key in model.model_fields, f"{path}{key} is no field of {model.__name__}"
            ann = model.model_fields[key].annotation
            if isinstance(value, dict) and isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(value, ann, f"{path}{key}.")

    sample = tomllib.loads(DEFAULT_CONFIG.read_text())
    assert {"kafka", "redis", "clock", "sla", "tiers", "tracking"} <= set(sample)
    walk(sample, Settings, "")
