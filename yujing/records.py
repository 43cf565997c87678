"""The records that flow between the core's parts and leave it (``../shared/contracts/alerts.md``).

``Condition`` is what a detector says about one (kind, scope) at one moment: active at a tier, or clear.
The alert pipeline (``alerts/``) turns the stream of conditions into alert lifecycle records. ``RiskRecord``
is the per-order complaint-risk estimate. Times inside the core are float epoch seconds; they become
RFC 3339 strings only when a record is written out (:func:`fmt_ts`).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Literal

import orjson

Tier = Literal["blue", "yellow", "orange", "red"]
TIERS: tuple[str, ...] = ("blue", "yellow", "orange", "red")
TIER_RANK: dict[str | None, int] = {None: 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}
BOARD_TIERS = frozenset({"yellow", "orange", "red"})
"""Risk tiers the board lists among its riskiest orders: the live worker keeps these in ``risk:latest`` / ``risk:top``
(``streams.agents.board_risk_keys``) and the board reads them back (``dashboard.data``)."""
TIER_LEVEL = {"blue": "IV", "yellow": "III", "orange": "II", "red": "I"}
Stage = Literal["receive", "decompose", "feedback"]
STAGES: tuple[str, ...] = ("receive", "decompose", "feedback")
SCOPE_KEYS: tuple[str, ...] = ("region", "department", "category", "channel", "order_id", "customer_id")
AlertStatus = Literal["firing", "tier_changed", "acknowledged", "escalated", "silenced", "resolved"]


def fingerprint(kind: str, scope: dict[str, str]) -> str:
    """Stable identity of a condition: same kind + scope -> same fingerprint, across restarts and replays.

    >>> fingerprint("receive_lag", {"region": "north"}) == fingerprint("receive_lag", {"region": "north"})
    True
    >>> len(fingerprint("receive_lag", {"region": "north"}))
    16
    """
    raw = kind + "|" + orjson.dumps(scope, option=orjson.OPT_SORT_KEYS).decode()
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def zone_name(utc_offset_h: float) -> str:
    """``UTC+8``, ``UTC+5:30``, ``UTC-3``, ``UTC``: a business clock's name as the board and messages show it.

    >>> zone_name(8.0), zone_name(5.5), zone_name(-3), zone_name(0)
    ('UTC+8', 'UTC+5:30', 'UTC-3', 'UTC')
    """
    if utc_offset_h == 0:
        return "UTC"
    whole, minutes = divmod(round(abs(utc_offset_h) * 60), 60)
    return f"UTC{'+' if utc_offset_h > 0 else '-'}{whole}" + (f":{minutes:02d}" if minutes else "")


def fmt_ts(t: float, utc_offset_h: float = 8.0) -> str:
    """Epoch seconds -> RFC 3339 with the given offset, whole seconds (floor).

    Remembered per second (the live order worker writes thousands of risk records a second, each with its time:
    formatting was ~6 % of its time at 5k events/s).

    >>> fmt_ts(1783992760.0), fmt_ts(1783992760.9), fmt_ts(1783992760.0, 0.0)
    ('2026-07-14T09:32:40+08:00', '2026-07-14T09:32:40+08:00', '2026-07-14T01:32:40+00:00')
    """
    return _fmt_second(math.floor(t), utc_offset_h)


@lru_cache(maxsize=4096)
def _fmt_second(second: int, utc_offset_h: float) -> str:
    return datetime.fromtimestamp(second, timezone(timedelta(hours=utc_offset_h))).isoformat()


@dataclass(slots=True)
class Condition:
    """A detector's verdict on one (kind, scope) at time ``ts``; ``tier=None`` means the condition is clear."""

    kind: str
    scope: dict[str, str]
    tier: str | None
    ts: float
    stage: str | None = None
    score: float = 0.0
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.scope)

    @property
    def active(self) -> bool:
        return self.tier is not None


@dataclass(slots=True)
class AlertRecord:
    """One state change of one alert episode (contract: alert lifecycle record)."""

    alert_id: str
    fingerprint: str
    status: str
    ts: float
    kind: str
    stage: str | None
    scope: dict[str, str]
    tier: str
    score: float
    summary: str
    evidence: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    """Compatible extensions (documented in the README), e.g. ``by`` for an acknowledgement."""

    def to_dict(self, utc_offset_h: float = 8.0) -> dict[str, Any]:
        d = {"record": "alert", "alert_id": self.alert_id, "fingerprint": self.fingerprint,
             "status": self.status, "ts": fmt_ts(self.ts, utc_offset_h), "kind": self.kind, "stage": self.stage,
             "scope": self.scope, "tier": self.tier, "score": round(float(self.score), 4),
             "summary": self.summary, "evidence": self.evidence}
        d.update(self.extra)
        return d


@dataclass(slots=True)
class RiskRecord:
    """Per-order complaint-risk estimate (contract: risk record)."""

    order_id: str
    ts: float
    risk: float
    tier: str | None
    top_factors: list[str]
    opened: float | None = None
    """Extension: when the order was created (event time), so a reader of the record knows how long it is open."""
    region: str | None = None
    """Extension: the order's region."""
    stage: str | None = None
    """Extension: the order's stage when the estimate was made (receive, decompose, feedback, closed)."""

    def to_dict(self, utc_offset_h: float = 8.0) -> dict[str, Any]:
        """The contract's record; ``opened``, ``region`` and ``stage`` follow when known (README: extensions).

        >>> RiskRecord("WO-1", 3600.0, 0.61234, "orange", ["overdue"], 600.0, "north", "feedback").to_dict(0.0)
        ... # doctest: +NORMALIZE_WHITESPACE
        {'record': 'risk', 'order_id': 'WO-1', 'ts': '1970-01-01T01:00:00+00:00', 'risk': 0.6123,
         'tier': 'orange', 'top_factors': ['overdue'], 'opened': '1970-01-01T00:10:00+00:00', 'region': 'north',
         'stage': 'feedback'}
        """
        d = {"record": "risk", "order_id": self.order_id, "ts": fmt_ts(self.ts, utc_offset_h),
             "risk": round(float(self.risk), 4), "tier": self.tier, "top_factors": self.top_factors}
        if self.opened is not None:
            d["opened"] = fmt_ts(self.opened, utc_offset_h)
        if self.region:
            d["region"] = self.region
        if self.stage:
            d["stage"] = self.stage
        return d
