"""The pipeline's memory of one alert episode, and the notification intent it produces."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from alerts.matchers import alert_labels
from yujing.records import TIER_RANK, AlertRecord, fmt_ts


@dataclass(slots=True)
class Alert:
    """One episode of one condition, from its first active verdict (pending) to its resolution.

    ``phase`` is internal: ``pending`` (held down, nothing emitted yet), ``firing`` or ``resolved``.
    """

    fingerprint: str
    alert_id: str
    kind: str
    stage: str | None
    scope: dict[str, str]
    tier: str
    score: float
    summary: str
    evidence: dict[str, Any]
    started: float
    last_seen: float
    phase: str = "pending"
    seq: int = 0
    last_status: str = ""
    fired_at: float | None = None
    clear_since: float | None = None
    acked_by: str | None = None
    acked_at: float | None = None
    assignee: str | None = None
    silence_id: str | None = None
    escalation_step: int = 0
    escalation_base: float = 0.0
    """Steps fall due at ``escalation_base + after_s``: the fire (or chain restart) time, moved on by the time the
    alert was muted and by a step taken late (``alerts/escalate.py``)."""
    escalation_since: float = 0.0
    """When the escalation clock last started: the fire, a chain restart, or the end of a mute."""
    escalation_paused: float | None = None
    """When the escalation clock stopped for a mute (None while it runs)."""
    escalation_muted_until: float = 0.0
    """While paused: until when the mute is known to last (a silence's or a window's end, a minute for
    inhibition); the clock's pause counts up to here at most."""
    notified: bool = False
    last_record_ts: float = 0.0
    paged: list[str] = field(default_factory=list)
    """Receivers an escalation step of this episode paged: they hear when it resolves
    (``AlertPipeline._all_clear``)."""

    @property
    def labels(self) -> dict[str, str]:
        return alert_labels(self.kind, self.tier, self.stage, self.scope, self.fingerprint)

    @property
    def severity(self) -> int:
        return TIER_RANK.get(self.tier, 0)

    def record(self, status: str, ts: float, **extra: Any) -> AlertRecord:
        """Emit the next lifecycle record of this episode (``seq`` numbers them from 1)."""
        self.seq += 1
        self.last_status = status
        # an episode's story never runs backwards: a late event (a milestone older than the timer that already
        # raised the tier) is recorded when it was learned, not before what came earlier
        ts = max(ts, self.last_record_ts)
        self.last_record_ts = ts
        return AlertRecord(alert_id=self.alert_id, fingerprint=self.fingerprint, status=status, ts=ts,
                           kind=self.kind, stage=self.stage, scope=dict(self.scope), tier=self.tier,
                           score=self.score, summary=self.summary, evidence=self.evidence,
                           extra={"seq": self.seq, **extra})

    def snapshot(self, now: float, utc_offset_h: float = 8.0) -> dict[str, Any]:
        """What a notification or the ``active()`` view shows of this alert."""
        return {"alert_id": self.alert_id, "fingerprint": self.fingerprint,
                "status": "resolved" if self.phase == "resolved" else self.last_status or "pending",
                "ts": fmt_ts(now, utc_offset_h), "since": fmt_ts(self.fired_at or self.started, utc_offset_h),
                "kind": self.kind, "stage": self.stage, "scope": dict(self.scope), "tier": self.tier,
                "score": round(float(self.score), 4), "summary": self.summary, "evidence": self.evidence,
                "acked_by": self.acked_by, "assignee": self.assignee, "silence_id": self.silence_id,
                "escalation_step": self.escalation_step, "seq": self.seq}

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> "Alert":
        return cls(**d)


@dataclass(slots=True)
class Notification:
    """One message to send to one receiver: the unit of delivery, rate limiting and idempotency.

    ``key`` is deterministic (group or alert, plus its step), so a restarted worker that replays the same
    input produces the same keys and the sent-log in Redis stops the second send.
    """

    key: str
    receiver: str
    reason: str
    """``group`` (new/changed alerts), ``repeat``, ``ack_timeout``, ``escalation``, ``assigned`` (a hand-over from
    the board; its alert snapshot also carries ``assigned_by`` and the command's ``note``), ``resolved`` (the
    all-clear to a receiver an escalation paged) or ``digest`` (rate limit)."""
    ts: float
    alerts: list[dict[str, Any]]
    group: dict[str, str] = field(default_factory=dict)
    step: int = 0
    firing_left: int | None = None
    """Group messages: how many alerts the group was told of still fire after this one (so a message listing only
    resolved alerts says whether that is the all-clear); None where unknown (other reasons, digests)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Notification":
        return cls(**d)
