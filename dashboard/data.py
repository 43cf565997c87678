"""What the board reads from Redis, once per refresh per process (``st.cache_data`` with a short TTL).

Every page reads through :func:`board_data` (snapshot + active alerts) or :func:`history_data`, never from a
widget, so a wall screen with forty widgets costs two Redis round trips per refresh, shared by all sessions
of the process. Writes (commands, audit) go straight to the store: they must never be cached.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
import streamlit as st

from yujing.config import Settings, load_config


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The configuration (``$YUJING_CONFIG`` and ``YUJING_*`` env), read once per process."""
    return load_config(None)


@st.cache_resource(show_spinner=False)
def _store(url: str, prefix: str) -> Any:
    import redis
    from alerts.store import AlertStore
    if hasattr(AlertStore, "from_url"):
        return AlertStore.from_url(url, prefix=prefix)
    return AlertStore(redis.Redis.from_url(url, decode_responses=True), prefix=prefix)


def store() -> Any:
    """The shared :class:`alerts.store.AlertStore` of this process."""
    cfg = settings()
    return _store(cfg.redis.url, cfg.redis.prefix)


def epoch(ts: Any) -> float | None:
    """An alert's ``ts`` (RFC 3339 string or epoch number) as epoch seconds.

    >>> epoch("2026-07-14T09:32:40+08:00"), epoch(12.5), epoch(None)
    (1783992760.0, 12.5, None)
    """
    if ts is None or ts == "":
        return None
    if isinstance(ts, (int, float)):
        return float(ts)
    try:
        return datetime.fromisoformat(str(ts)).timestamp()
    except ValueError:
        return None


def fired_at(alert: dict[str, Any]) -> float | None:
    """When this alert episode started (the store's ``fired_at``/``started`` if kept, else its ``ts``)."""
    for key in ("since", "fired_at", "started_at", "started", "first_ts"):
        if alert.get(key) is not None:
            return epoch(alert[key])
    return epoch(alert.get("ts"))


@dataclass(slots=True)
class BoardData:
    """One refresh worth of live data: the worker's snapshot, the active alerts, when it was read."""

    snapshot: dict[str, Any] | None
    active: list[dict[str, Any]]
    read_at: float
    error: str | None = None


def _ttl() -> float:
    return max(0.5, settings().dashboard.refresh_s * 0.8)


@st.cache_data(ttl=1.5, show_spinner=False, max_entries=4)
def _read_board(url: str, prefix: str, bucket: int) -> BoardData:
    import redis
    r = redis.Redis.from_url(url)
    try:
        raw = r.get(prefix + "board:snapshot")
        snapshot = orjson.loads(raw) if raw else None
    except (redis.RedisError, orjson.JSONDecodeError) as exc:
        return BoardData(None, [], time.time(), f"{type(exc).__name__}: {exc}")
    finally:
        r.close()
    try:
        active = list(store().active())
    except Exception as exc:  # the store is another team's module: show its failure, don't crash the wall
        return BoardData(snapshot, [], time.time(), f"{type(exc).__name__}: {exc}")
    return BoardData(snapshot, active, time.time())


def board_data() -> BoardData:
    """Snapshot and active alerts, read at most once per refresh interval per process."""
    cfg = settings()
    bucket = int(time.time() / _ttl())
    return _read_board(cfg.redis.url, cfg.redis.prefix, bucket)


@st.cache_data(ttl=5, show_spinner=False, max_entries=16)
def _read_history(url: str, prefix: str, since: float, until: float, limit: int) -> list[dict[str, Any]]:
    s = store()
    rows = list(s.history(since, until, limit=limit))
    labels: dict[str, list[str]] = {}
    for lb in s.labels(since):
        if lb.get("alert_id"):
            labels.setdefault(str(lb["alert_id"]), []).append(str(lb.get("label")))
    for row in rows:
        row["labels"] = labels.get(str(row.get("alert_id")), [])
        if row.get("acked_by") and row.get("acked_at") is None:  # first ack time, for MTTA
            row["acked_at"] = next((epoch(r.get("ts")) for r in s.timeline(row["alert_id"])
                                    if r.get("status") == "acknowledged"), None)
    return rows


def history_data(since: float, until: float, limit: int = 5000) -> list[dict[str, Any]]:
    """Alerts between ``since`` and ``until`` (epoch s), filtered further on the page."""
    cfg = settings()
    return _read_history(cfg.redis.url, cfg.redis.prefix, since, until, limit)


def refresh() -> None:
    """Forget cached reads (after this session sent a command, so its effect shows on the next run)."""
    _read_board.clear()
    _read_history.clear()
