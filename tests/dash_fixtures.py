"""Fixtures for the board's tests: a real redis-server on a free port, users, a snapshot, AppTest helpers."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-9"


def _wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server (no persistence); yields its URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server not installed")
    workdir = tmp_path_factory.mktemp("redis")
    with socket.socket() as s:   # a free port: a fixed one met another run's server and flushed its data
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server on {port} exited at start ({proc.returncode})")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def redis_url(redis_server: str) -> str:
    """The test Redis, emptied before each test."""
    import redis
    redis.Redis.from_url(redis_server).flushdb()
    return redis_server


@pytest.fixture()
def board_env(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Environment of a board process: Redis URL, a users file with one user per role, fresh caches."""
    from dashboard.auth import add_user
    users = tmp_path / "users.toml"
    add_user(users, "duty", "duty_manager", PASSWORD, lang="en")
    add_user(users, "zhang", "staff", PASSWORD, region="north", department="ops-north", lang="en")
    add_user(users, "qa", "quality", PASSWORD, lang="en")
    add_user(users, "root", "admin", PASSWORD, lang="zh")
    monkeypatch.setenv("YUJING_REDIS__URL", redis_url)
    monkeypatch.setenv("YUJING_USERS_FILE", str(users))
    monkeypatch.delenv("YUJING_CONFIG", raising=False)
    _reset_caches()
    yield {"redis_url": redis_url, "users": users}
    _reset_caches()


def _reset_caches() -> None:
    import streamlit as st
    from dashboard import data
    data.settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()


def spark(v: float) -> list[float]:
    return [v * (0.5 + i / 120) for i in range(60)]


def snapshot(now: float | None = None, **over: Any) -> dict[str, Any]:
    """A board snapshot in the worker's format (fresh unless told otherwise)."""
    now = time.time() if now is None else now
    stage = {"backlog": 120, "backlog_growth_per_h": 35.0, "arrivals_per_min": 4.2, "age_p50_min": 3.0,
             "age_p90_min": 11.0, "share_p50": 0.4, "share_p90": 0.93, "overdue": 7, "negativity": 0.31,
             "spark": {"backlog": spark(120), "overdue": spark(7), "negativity": spark(0.3)}}
    snap = {
        "now": now, "wall": now, "newest_event_ts": now - 2, "events_total": 12345, "events_per_min": 250.0,
        "dlq_total": 3, "duplicates_total": 1, "consumer_lag": 12,
        "stages": {"receive": dict(stage), "decompose": dict(stage, backlog=40, overdue=1, share_p90=0.55),
                   "feedback": dict(stage, backlog=300, overdue=22, share_p90=1.2)},
        "regions": {"north": {"receive": {"backlog": 50, "overdue": 5, "share_p90": 1.1, "tier": "red"},
                              "feedback": {"backlog": 90, "overdue": 2, "share_p90": 0.8, "tier": "yellow"}},
                    "south": {"receive": {"backlog": 10, "overdue": 0, "share_p90": 0.3, "tier": None}}},
        "risky_orders": [{"order_id": "WO-77", "risk": 0.91, "tier": "red", "top_factors": ["urged", "repeat"],
                          "region": "north", "department": "ops-north", "category": "complaint",
                          "channel": "hotline", "stage": "feedback", "age_min": 95,
                          "text": "<script>alert(1)</script> 再不来我就打12398，电话13812345678"}],
        "model": {"risk_auc": 0.83, "labels": 40, "positives": 6},
        "runtime": {"workers": {"worker-1": {"role": "orders", "wall": now}, "aggregator": {"role": "aggregates",
                                                                                            "wall": now}},
                    "restarts": 0, "broker_ok": True, "events": []},
    }
    snap.update(over)
    return snap


def put_snapshot(redis_url: str, snap: dict[str, Any], prefix: str = "yj:") -> None:
    import redis
    redis.Redis.from_url(redis_url).set(prefix + "board:snapshot", orjson.dumps(snap))


def app_test(user: str | None = None, page: str = "app") -> Any:
    """An AppTest of the whole app, logged in as ``user`` (by session state) if given."""
    from streamlit.testing.v1 import AppTest
    from dashboard.auth import load_users
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=30)
    if user is not None:
        at.session_state["user"] = load_users(Path(os.environ["YUJING_USERS_FILE"]))[user]
    return at


def all_text(at: Any) -> str:
    """Every markdown/caption/text/error/... value on the page, one string (for assertions)."""
    parts = []
    for kind in ("markdown", "caption", "text", "error", "warning", "info", "success", "title", "subheader",
                 "header"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)
