"""Configuration of the alert pipeline: hold-down, inhibition, silences/mute windows, routing, grouping,
acknowledgement, escalation and notification delivery (the ``[alerts]`` section of the TOML file).

Matchers (used by inhibition rules, mute windows, routes and silences) map an alert label to one value or a
list of accepted values. Labels are ``kind``, ``tier``, ``stage``, the scope fields (``region``,
``department``, ``category``, ``channel``, ``order_id``, ``customer_id``) and ``level`` (``order`` when the
scope names an order, ``customer`` when it names a customer, otherwise ``aggregate``). A value starting with
``!`` negates it (``"!order"``).

>>> cfg = AlertsConfig()
>>> cfg.timing_for("red").group_wait_s, cfg.timing_for("blue").group_wait_s
(0.0, 30.0)
>>> [s.receiver for s in cfg.escalation["red"]]
['team_lead', 'duty_manager']
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

Matchers = dict[str, str | list[str]]
ORDER_LAG_KINDS = ["receive_lag", "dispatch_lag", "feedback_lag"]


class HoldDown(BaseModel):
    """Flap damping for one kind: fire only after ``for_s`` of continuous activity, keep firing after a clear."""

    for_s: float = Field(0.0, ge=0, description="the condition must hold this long before the alert fires")
    keep_firing_for_s: float = Field(0.0, ge=0, description="after the condition clears, keep firing this long "
                                     "(a re-activation within it continues the same episode)")


class Timing(BaseModel):
    """Alertmanager grouping timers (seconds)."""

    group_wait_s: float = Field(30.0, ge=0, description="wait before the first notification of a new group, "
                                "to collect alerts that fire together")
    group_interval_s: float = Field(300.0, ge=0, description="wait before notifying about changes in a group "
                                    "that was already notified")
    repeat_interval_s: float = Field(4 * 3600.0, gt=0, description="re-send a still-firing, unacknowledged group "
                                     "after this long")


class TimingOverride(BaseModel):
    """Per-tier override of the grouping timers; unset fields keep the route's value."""

    group_wait_s: float | None = Field(None, ge=0, description="group_wait for groups holding this tier")
    group_interval_s: float | None = Field(None, ge=0, description="group_interval for groups holding this tier")
    repeat_interval_s: float | None = Field(None, gt=0, description="repeat_interval for groups holding this tier")


class InhibitRule(BaseModel):
    """A firing alert matching ``source`` mutes alerts matching ``target`` that agree on every ``equal`` label."""

    name: str = Field(..., description="shown on the board as the reason an alert is muted")
    source: Matchers = Field(..., description="matchers the muting alert must satisfy")
    target: Matchers = Field(..., description="matchers the muted alert must satisfy")
    equal: list[str] = Field(["scope"], description="labels that must be equal on both; 'scope' = the whole scope")


class MuteWindow(BaseModel):
    """A recurring time window in which matching alerts are not notified (they still fire and are recorded)."""

    name: str = Field(..., description="window name, shown as the reason a notification was held")
    matchers: Matchers = Field({}, description="which alerts the window applies to (empty = all)")
    weekdays: list[int] = Field([0, 1, 2, 3, 4, 5, 6], description="local weekdays it applies on (Mon=0)")
    start: str = Field("00:00", description="local start time HH:MM")
    end: str = Field("24:00", description="local end time HH:MM; earlier than start = crosses midnight")
    dates: list[str] = Field([], description="if set, only on these local ISO dates (holidays), ignoring weekdays")


class Route(BaseModel):
    """Routes an alert to a receiver, Alertmanager style: routes are tried in order; the first that matches
    wins unless it says ``continue``."""

    receiver: str = Field(..., description="name of a receiver in AlertsConfig.receivers")
    match: Matchers = Field({}, description="matchers on alert labels (empty = everything)")
    continue_: bool = Field(False, alias="continue", description="keep trying later routes after this one matched")
    group_by: list[str] | None = Field(None, description="labels to group by (default: AlertsConfig.group_by)")
    timing: Timing | None = Field(None, description="grouping timers for this route (default: AlertsConfig.timing)")
    send_resolved: bool = Field(True, description="also notify when alerts resolve")

    model_config = {"populate_by_name": True}


class EscalationStep(BaseModel):
    """One step of an escalation chain: notify ``receiver`` when the alert is still unacknowledged."""

    after_s: float = Field(..., gt=0, description="seconds since the alert fired (or was re-triggered), not "
                           "counting the time it was muted (silenced, inhibited, in a mute window); a step taken "
                           "late keeps the next one its own gap after it")
    receiver: str = Field(..., description="receiver to notify at this step")


class RateLimit(BaseModel):
    """Token bucket per receiver: a storm beyond it collapses into one digest message."""

    burst: int = Field(5, ge=1, description="messages that may be sent at once")
    per_minute: float = Field(6.0, gt=0, description="refill rate, messages per minute")


class Retry(BaseModel):
    """Delivery retries with exponential backoff."""

    attempts: int = Field(5, ge=1, description="attempts before a delivery is recorded as failed")
    backoff_s: float = Field(1.0, gt=0, description="delay before the first retry")
    backoff_max_s: float = Field(60.0, gt=0, description="upper bound of the delay")
    factor: float = Field(2.0, ge=1, description="delay multiplier per attempt")
    timeout_s: float = Field(10.0, gt=0, description="timeout of one send attempt")

    def budget_s(self) -> float:
        """The longest one delivery can take: every attempt timing out, with every backoff between them.

        >>> Retry().budget_s()   # 5 × 10 s + 1 + 2 + 4 + 8 s
        65.0
        >>> Retry(attempts=20, backoff_max_s=60.0, timeout_s=30.0).budget_s()   # 600 s + 1 + 2 + … + 32 + 13 × 60 s
        1443.0
        """
        delays = [min(self.backoff_s * self.factor ** i, self.backoff_max_s) for i in range(self.attempts - 1)]
        return self.attempts * self.timeout_s + sum(delays)


class AlertsConfig(BaseModel):
    """Alert lifecycle, routing and notification settings."""

    hold_down: dict[str, HoldDown] = Field(
        {"backlog_growth": HoldDown(for_s=120, keep_firing_for_s=300),
         "anomaly": HoldDown(for_s=60, keep_firing_for_s=300),
         "breach_forecast": HoldDown(for_s=60, keep_firing_for_s=120)},
        description="flap damping per kind; kinds not listed use default_hold_down (the scope detectors of "
                    "detectors/scope_rules.py debounce their own verdicts, so their kinds need none here)")
    default_hold_down: HoldDown = Field(HoldDown(), description="per-order alerts fire at once by default")
    late_settle_s: float = Field(15.0, ge=0, description="a verdict older than its alert's last record (a worker "
                                 "catching up after a restart, an out-of-order event) waits this long for newer "
                                 "views of the alert and only the newest counts, so a catch-up changes an alert "
                                 "once instead of flapping its tier (longer: fewer flaps after long outages; "
                                 "shorter: a late event that raises a tier goes out sooner); 0 applies late "
                                 "verdicts at once")
    stale_after_s: float = Field(24 * 3600.0, ge=0, description="resolve an alert (reason stale) when no "
                                 "verdict came for this long; 0 disables")
    stale_after_s_by_kind: dict[str, float] = Field({}, description="per-kind stale timeout, overriding "
                                                    "stale_after_s (0 disables for that kind)")
    inhibit: list[InhibitRule] = Field(
        [InhibitRule(name="red_mutes_lower_on_same_scope", source={"tier": "red"},
                     target={"tier": ["yellow", "blue"]}, equal=["scope"]),
         InhibitRule(name="regional_surge_mutes_order_lag",
                     source={"level": "aggregate", "kind": ["backlog_growth", "anomaly"], "tier": ["orange", "red"]},
                     target={"level": "order", "kind": ORDER_LAG_KINDS}, equal=["region"])],
        description="inhibition rules (a more important alert mutes less important related ones)")
    mute_windows: list[MuteWindow] = Field(
        [MuteWindow(name="blue_at_night", matchers={"tier": "blue"}, start="22:00", end="07:00")],
        description="recurring windows without notifications")
    receivers: dict[str, list[str]] = Field(
        {"staff": [], "team_lead": [], "duty_manager": []},
        description="named receivers, each a list of apprise URLs (e.g. mailto://, json://, dingtalk://)")
    assignee_receivers: dict[str, str] = Field({}, description="board user -> receiver told when an alert is "
                                               "assigned to that user; a user without one is told through the "
                                               "receiver named like them, else through the receivers the alert "
                                               "is routed to (the message names the assignee)")
    routes: list[Route] = Field([], description="routing rules tried in order; nothing matched -> default_receiver")
    default_receiver: str = Field("staff", description="receiver of alerts no route matched")
    group_by: list[str] = Field(["kind", "region", "tier"], description="default grouping labels")
    timing: Timing = Field(Timing(), description="default grouping timers")
    timing_by_tier: dict[str, TimingOverride] = Field(
        {"red": TimingOverride(group_wait_s=0, group_interval_s=60, repeat_interval_s=1800),
         "orange": TimingOverride(group_wait_s=10, group_interval_s=120, repeat_interval_s=3600)},
        description="grouping timers per tier; a group uses its most severe tier's override")
    ack_timeout_s: float = Field(1800.0, ge=0, description="an acknowledgement lapses after this long if the alert "
                                 "is still firing: it is re-triggered and re-notified (0 = never)")
    escalation: dict[str, list[EscalationStep]] = Field(
        {"red": [EscalationStep(after_s=900, receiver="team_lead"),
                 EscalationStep(after_s=1800, receiver="duty_manager")],
         "orange": [EscalationStep(after_s=1800, receiver="team_lead")]},
        description="escalation chains per tier while unacknowledged")
    rate_limit: RateLimit = Field(RateLimit(), description="default token bucket per receiver")
    rate_limit_by_receiver: dict[str, RateLimit] = Field({}, description="per-receiver token buckets")
    retry: Retry = Field(Retry(), description="delivery retry policy")
    takeover_after_s: float = Field(60.0, gt=0, description="a notifier silent this long is taken for dead: "
                                    "another takes over the intents it had accepted (alerts/notify.py)")
    sent_log_ttl_s: float = Field(7 * 24 * 3600.0, gt=0, description="how long the Redis sent-log remembers a "
                                  "delivered notification (idempotency across worker restarts)")
    board_url: str | None = Field(None, description="base URL of the board for the links in messages (unset: "
                                                    "dashboard.base_url, the board's public URL)")
    language: Literal["zh", "en"] = Field("zh", description="language of notification messages")
    max_summary_chars: int = Field(300, ge=20, description="summary length limit in records and messages")

    @model_validator(mode="after")
    def _assignee_receivers_exist(self) -> "AlertsConfig":
        unknown = sorted({r for r in self.assignee_receivers.values() if r not in self.receivers})
        if unknown:
            raise ValueError(f"assignee_receivers name receivers that do not exist: {unknown}")
        return self

    def assignee_receiver(self, user: str) -> str | None:
        """The receiver that tells ``user`` an alert was assigned to them (None: none of their own).

        >>> AlertsConfig(receivers={"staff": [], "wang": []}).assignee_receiver("wang")
        'wang'
        >>> AlertsConfig(assignee_receivers={"li": "staff"}).assignee_receiver("li")
        'staff'
        >>> AlertsConfig().assignee_receiver("li") is None
        True
        """
        own = self.assignee_receivers.get(user)
        if own is not None:
            return own
        return user if user in self.receivers else None

    def hold_for(self, kind: str) -> HoldDown:
        """Hold-down settings of one kind."""
        return self.hold_down.get(kind, self.default_hold_down)

    def stale_for(self, kind: str) -> float:
        """Stale timeout of one kind (0 = never)."""
        return self.stale_after_s_by_kind.get(kind, self.stale_after_s)

    def timing_for(self, tier: str | None, base: Timing | None = None) -> Timing:
        """Grouping timers for a group whose most severe tier is ``tier``."""
        t = base or self.timing
        o = self.timing_by_tier.get(tier or "")
        if o is None:
            return t
        return Timing(group_wait_s=t.group_wait_s if o.group_wait_s is None else o.group_wait_s,
                      group_interval_s=t.group_interval_s if o.group_interval_s is None else o.group_interval_s,
                      repeat_interval_s=t.repeat_interval_s if o.repeat_interval_s is None else o.repeat_interval_s)

    def rate_for(self, receiver: str) -> RateLimit:
        return self.rate_limit_by_receiver.get(receiver, self.rate_limit)
