"""What the board reads from Redis, once per refresh per process (``st.cache_data`` with a short TTL).

Every page reads through :func:`board_data` (snapshot + active alerts) or :func:`history_data`, never from a
widget, so a wall screen with forty widgets costs two Redis round trips per refresh, shared by all sessions
of the process. Writes (commands, audit) go straight to the store: they must never be cached.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
import streamlit as st

from alerts.store import DELIVERIES_KEPT
from yujing.config import Settings, load_config
from yujing.flow import EventFlow
from yujing.records import BOARD_TIERS


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


_FLOW = EventFlow()


def role_counts(beats: dict[str, Any]) -> dict[str, int]:
    """Live workers per role (``all`` for a heartbeat that names none), in pipeline order.

    >>> role_counts({"w1": {"role": "orders"}, "w2": {"role": "orders"}, "agg": {"role": "aggregates"}})
    {'orders': 2, 'aggregates': 1}
    >>> role_counts({"old": {}})
    {'all': 1}
    """
    counts: dict[str, int] = {}
    for beat in beats.values():
        role = (beat or {}).get("role") or "all"
        counts[role] = counts.get(role, 0) + 1
    order = ("orders", "aggregates", "all")
    return dict(sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))


def normalise(snap: dict[str, Any] | None, flow: EventFlow | None = None) -> dict[str, Any] | None:
    """The worker's snapshot with the board's headline fields filled in (existing fields are kept).

    The live worker (``streams/agents.py``) writes wall time, lag, dead letters, workers and the event count
    under ``runtime``, and the events per minute it measures itself; the board reads ``wall``, ``consumer_lag``,
    ``dlq_total``, ``events_per_min`` and a worker count (and measures the rate from the count for a snapshot
    that has none).

    >>> s = normalise({"now": 5.0, "runtime": {"wall": 9.0, "lag": 3, "dlq": 1, "clock_speed": 30.0,
    ...                "workers": {"w1": {}, "w2": {}}, "stats": {"events": 10}}}, EventFlow())
    >>> s["wall"], s["consumer_lag"], s["dlq_total"], s["runtime"]["workers"], s["clock_speed"], s["event_idle_s"]
    (9.0, 3, 1, 2, 30.0, 0.0)
    """
    if not snap:
        return snap
    rt = snap.setdefault("runtime", {})
    snap.setdefault("wall", rt.get("wall"))
    snap.setdefault("consumer_lag", rt.get("lag"))
    snap.setdefault("dlq_total", rt.get("dlq"))
    snap.setdefault("clock_speed", rt.get("clock_speed"))
    if isinstance(rt.get("workers"), dict):
        rt["worker_beats"] = rt["workers"]
        rt["workers"] = len(rt["workers"])
    total = (rt.get("stats") or {}).get("events")
    if "events_per_min" not in snap and total is not None and snap.get("wall"):
        rate, idle = (flow or _FLOW).observe(float(snap["wall"]), int(total))
        snap["events_per_min"], snap["event_idle_s"] = rate, idle
    return snap


def _risky_orders(r: Any, prefix: str, limit: int = 15) -> list[dict[str, Any]]:
    """The riskiest orders from the worker's ``risk:top``/``risk:latest`` (yellow tier and above)."""
    ids = r.zrevrange(prefix + "risk:top", 0, limit * 2 - 1)
    if not ids:
        return []
    out = []
    for raw in r.hmget(prefix + "risk:latest", ids):
        rec = orjson.loads(raw) if raw else None
        if rec and rec.get("tier") in BOARD_TIERS:
            updated, opened = epoch(rec.get("ts")), epoch(rec.get("opened"))
            age = {"age_min": (updated - opened) / 60} if updated is not None and opened is not None else {}
            out.append({**rec, "updated": updated, **age})
    return out[:limit]


def _ttl() -> float:
    return max(0.5, settings().dashboard.refresh_s * 0.8)


@st.cache_data(ttl=1.5, show_spinner=False, max_entries=4)
def _read_board(url: str, prefix: str, bucket: int) -> tuple:
    """(snapshot, active, read_at, error): plain values, because st.cache_data pickles what it keeps and a
    class of this module would stop pickling once Streamlit reloads the module (after an edit or deploy)."""
    import redis
    r = redis.Redis.from_url(url)
    try:
        raw = r.get(prefix + "board:snapshot")
        snapshot = normalise(orjson.loads(raw)) if raw else None
        if snapshot is not None and "risky_orders" not in snapshot:
            snapshot["risky_orders"] = _risky_orders(r, prefix)
        if snapshot is not None:   # how many, not the few listed (``risk:top`` keeps the riskiest 2,000)
            yellow = settings().detectors.order_tiers.risk_yellow
            snapshot["risky_total"] = int(r.zcount(prefix + "risk:top", yellow, "+inf"))
    except (redis.RedisError, orjson.JSONDecodeError) as exc:
        return None, [], time.time(), f"{type(exc).__name__}: {exc}"
    finally:
        r.close()
    try:
        active = list(store().active())
    except Exception as exc:  # the store is another team's module: show its failure, don't crash the wall
        return snapshot, [], time.time(), f"{type(exc).__name__}: {exc}"
    return snapshot, active, time.time(), None


def board_data() -> BoardData:
    """Snapshot and active alerts, read at most once per refresh interval per process."""
    cfg = settings()
    bucket = int(time.time() / _ttl())
    return BoardData(*_read_board(cfg.redis.url, cfg.redis.prefix, bucket))


@st.cache_data(ttl=5, show_spinner=False, max_entries=16)
def _read_history(url: str, prefix: str, since: float, until: float | None, limit: int) -> list[dict[str, Any]]:
    s = store()
    rows = list(s.history(since, until, limit=limit))
    labels: dict[str, list[str]] = {}
    for lb in s.labels(since):
        if lb.get("alert_id"):
            labels.setdefault(str(lb["alert_id"]), []).append(str(lb.get("label")))
    for row in rows:
        row["labels"] = labels.get(str(row.get("alert_id")), [])
    # MTTA counts the first acknowledgement even when it was taken back or lapsed since (the row then has no
    # acked_by): every alert's timeline is read, in one round trip
    # and the highest escalation step it ever reached (the row keeps only the latest escalated record's step:
    # an assignment after an unack writes step 0 over it)
    for row, timeline in zip(rows, s.timelines([str(row["alert_id"]) for row in rows])):
        row["acked_at"] = first_ack(timeline)
        row["escalated_to_step"] = top_step(timeline)
    return rows


@st.cache_data(ttl=5, show_spinner=False, max_entries=4)
def _read_failures(url: str, prefix: str, bucket: int, limit: int) -> list[dict[str, Any]]:
    return store().deliveries(failed_only=True, limit=limit)


FAILURES_KEPT = DELIVERIES_KEPT
"""The store keeps this many failed delivery rows (``dl:failed`` is trimmed to it): the history reads them all."""


def message_of(delivery: dict[str, Any]) -> str:
    """The message a delivery row belongs to: a digest sends many intents as one message (``message``, written since
    session 16), older rows name only their intent (``key``).

    >>> message_of({"key": "k1", "message": "digest:ab"}), message_of({"key": "k1"})
    ('digest:ab', 'k1')
    """
    return str(delivery.get("message") or delivery.get("key"))


def failed_deliveries(limit: int | None = None) -> list[dict[str, Any]]:
    """The newest notification outcomes that failed after all their tries (newest first; one row per alert of a
    message, ``ts`` on the wall clock), at most ``limit`` (None: every one the store keeps), read at most once per
    refresh interval per process."""
    cfg = settings()
    return _read_failures(cfg.redis.url, cfg.redis.prefix, int(time.time() / _ttl()),
                          FAILURES_KEPT if limit is None else limit)


def is_ack(rec: dict[str, Any]) -> bool:
    """Is this lifecycle record an acknowledgement? The worker writes an ack timeout and an un-acknowledge as
    ``acknowledged`` records too, with ``acknowledged: false``: those are not.

    >>> is_ack({"status": "acknowledged", "by": "li"}), is_ack({"status": "acknowledged", "acknowledged": False})
    (True, False)
    """
    return rec.get("status") == "acknowledged" and rec.get("acknowledged") is not False


def first_ack(timeline: list[dict[str, Any]]) -> float | None:
    """When the alert was first acknowledged (epoch s), from its lifecycle records; None if never.

    >>> first_ack([{"status": "firing", "ts": 10}, {"status": "acknowledged", "acknowledged": False, "ts": 40},
    ...            {"status": "acknowledged", "ts": 70}, {"status": "acknowledged", "ts": 90}])
    70.0
    """
    return next((epoch(r.get("ts")) for r in timeline if is_ack(r)), None)


def top_step(timeline: list[dict[str, Any]]) -> int:
    """The highest escalation step an alert reached (0: never escalated; an assignment is an ``escalated`` record
    too, carrying the step the chain was at, so it only counts if the chain had moved on).

    >>> top_step([{"status": "firing"}, {"status": "escalated", "escalation_step": 2},
    ...           {"status": "escalated", "escalation_step": 0, "reason": "assigned"}])
    2
    >>> top_step([{"status": "escalated", "escalation_step": 0, "reason": "assigned"}])
    0
    """
    return max((int(r.get("escalation_step") or 0) for r in timeline if r.get("status") == "escalated"), default=0)


def alert_now(alert_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """One alert as of now: its row and its timeline from a single read of the timeline, never cached.

    The row is folded from the timeline with the store's own :func:`alerts.store.fold`, so it is exactly the row
    the store holds (or is about to hold: the worker writes the timeline before the row), and the row and the
    story drawn from the timeline cannot disagree. ``(None, [])`` for an alert the store does not know.
    """
    from alerts.store import fold
    timeline = store().timeline(alert_id)
    row: dict[str, Any] | None = None
    for rec in timeline:
        row = fold(row, rec)
    if row is not None:
        row["acked_at"] = first_ack(timeline)   # the first ack, even one taken back or lapsed since (MTTA)
        row["escalated_to_step"] = top_step(timeline)
    return row, timeline


def history_data(since: float, until: float | None, limit: int = 5000) -> list[dict[str, Any]]:
    """Alerts between ``since`` and ``until`` (epoch s; None = up to now), filtered further on the page."""
    cfg = settings()
    return _read_history(cfg.redis.url, cfg.redis.prefix, since, until, limit)


def on_alert_clock(wall_ts: float | None, snapshot: dict[str, Any] | None) -> float | None:
    """A wall-clock time (a board action) on the alerts' clock, which runs faster in an accelerated demo.

    >>> on_alert_clock(110.0, {"now": 5000.0, "wall": 100.0, "clock_speed": 30.0})
    5300.0
    >>> on_alert_clock(110.0, {"now": 110.0, "wall": 110.0, "clock_speed": 1.0})
    110.0
    """
    if wall_ts is None or not snapshot:
        return wall_ts
    speed = float(snapshot.get("clock_speed") or 1.0)
    now, wall = snapshot.get("now"), snapshot.get("wall")
    if speed == 1.0 or now is None or wall is None:
        return wall_ts
    return float(now) + (wall_ts - float(wall)) * speed


def alerts_now(snapshot: dict[str, Any] | None, wall: float | None = None) -> float:
    """Now on the alerts' clock, for "open for" durations: the snapshot's time carried on by the wall seconds
    since, at the clock's speed — how the worker's own live clock runs through a quiet feed (newest event time +
    wall time since × speed, ``streams.live.LiveClock``).

    Not the snapshot's time: on stalled data that freezes, and every "since" on the board with it, understating
    how long an alert has been open just when nobody can close it (the worker that resolves alerts is the thing
    that stopped; the freshness pill says the data has stalled). An alert open when the data stopped has been
    open, as far as anyone knows, until now.

    >>> alerts_now({"now": 1000.0, "wall": 1000.0, "clock_speed": 1.0}, wall=1300.0)   # stalled 5 min ago
    1300.0
    >>> alerts_now({"now": 5000.0, "wall": 100.0, "clock_speed": 30.0}, wall=110.0)   # a 30x demo
    5300.0
    >>> alerts_now(None, wall=42.0)
    42.0
    """
    wall = time.time() if wall is None else wall
    return float(on_alert_clock(wall, snapshot) or wall)


def refresh() -> None:
    """Forget cached reads (after this session sent a command, so its effect shows on the next run)."""
    _read_board.clear()
    _read_history.clear()
    _read_failures.clear()
