"""SLA deadlines of each stage, from the configuration (defaults: ``../shared/domain.md``).

Four checks follow an order through its stages; each opens at a milestone and closes at the next:

=============  ==========  ==============================  ==============================================
check          stage       opens at                        closes at
=============  ==========  ==============================  ==============================================
receive_ack    receive     ``created``                     ``accepted``
dispatch       decompose   ``accepted``                    first ``dispatched``
dept_accept    decompose   first ``dispatched``            ``dept_accepted``
feedback       feedback    ``created``                     ``arrived`` (fault repair) / first ``replied``
=============  ==========  ==============================  ==============================================

Customer tiers shorten every deadline (premium ×0.67, potential ×0.8). The feedback clock stops while an
order is paused. Working-day deadlines skip weekends and holidays of the business calendar.

>>> from yujing.config import load_config
>>> sla = Sla(load_config(None).sla)
>>> sla.span("receive_ack", channel="hotline", tier="regular", category="complaint", area="urban") / 60
5.0
>>> sla.span("feedback", channel="app", tier="premium", category="fault_repair", area="rural") / 60
60.3
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from yujing.config import SlaConfig

MIN = 60.0
LEVELS: tuple[float, ...] = (0.5, 0.75, 0.9, 1.0)
"""The shares of a check's deadline at which it is reported (and the tiers of lag alerts counted)."""
HOUR = 3600.0
DAY = 86400.0

CHECK_STAGE: dict[str, str] = {"receive_ack": "receive", "dispatch": "decompose", "dept_accept": "decompose",
                               "feedback": "feedback"}
CHECK_MILESTONE: dict[str, str] = {"receive_ack": "accepted", "dispatch": "dispatched",
                                   "dept_accept": "dept_accepted", "feedback": "arrived/replied"}


class Sla:
    """Deadline arithmetic for one configuration (pure; times are epoch seconds)."""

    def __init__(self, cfg: SlaConfig, utc_offset_h: float = 8.0) -> None:
        self.cfg = cfg
        self.offset = utc_offset_h * HOUR
        self.weekend = frozenset(cfg.calendar.weekend)
        self.holidays = frozenset(date.fromisoformat(d) for d in cfg.calendar.holidays)
        self.extra_workdays = frozenset(date.fromisoformat(d) for d in cfg.calendar.extra_workdays)
        self._tz = timezone(timedelta(seconds=self.offset))
        self._spans: dict[tuple[str, str, str, str, str], tuple[float, bool]] = {}
        self._workdays: dict[float, bool] = {}   # local day number -> working day?

    def factor(self, tier: str) -> float:
        return self.cfg.tier_factor.get(tier, 1.0)

    def span(self, check: str, *, channel: str, tier: str, category: str, area: str) -> float:
        """Length of a check in seconds (calendar time; working-day checks use :meth:`deadline`)."""
        c = self.cfg
        f = self.factor(tier)
        if check == "receive_ack":
            return c.receive_ack_min.get(channel, c.receive_ack_min.get("other", 30.0)) * MIN * f
        if check == "dispatch":
            base = c.dispatch_fault_min if (category == "fault_repair" and c.dispatch_fault_min) else c.dispatch_min
            return base * MIN * f
        if check == "dept_accept":
            return c.dept_accept_min.get(category, c.dept_accept_min.get("default", 120.0)) * MIN * f
        if check == "feedback":
            if category == "fault_repair":
                return c.arrival_min.get(area, c.arrival_min.get("urban", 45.0)) * MIN * f
            if category in c.reply_working_h:
                return c.reply_working_h[category] * HOUR * f
            return c.reply_h.get(category, c.reply_h.get("default", 120.0)) * HOUR * f
        raise ValueError(f"unknown check {check!r}")

    def deadline(self, check: str, start: float, *, channel: str, tier: str, category: str, area: str) -> float:
        """Absolute deadline of ``check`` opened at ``start`` (before any pause)."""
        key = (check, channel, tier, category, area)
        rule = self._spans.get(key)
        if rule is None:   # a few hundred combinations recur for every order: work each out once
            span = self.span(check, channel=channel, tier=tier, category=category, area=area)
            working = check == "feedback" and category != "fault_repair" and category in self.cfg.reply_working_h
            rule = self._spans[key] = (span, working)
        if rule[1]:
            return self.add_working_time(start, rule[0])
        return start + rule[0]

    # -------------------------------------------------------------------------------- business calendar
    def is_workday(self, t: float) -> bool:
        day = (t + self.offset) // DAY
        known = self._workdays.get(day)
        if known is None:
            d = datetime.fromtimestamp(t, self._tz).date()
            known = d in self.extra_workdays or (d.weekday() not in self.weekend and d not in self.holidays)
            self._workdays[day] = known
        return known

    def add_working_time(self, t0: float, seconds: float) -> float:
        """``t0`` + ``seconds`` of working time: days off (weekend, holidays) do not count.

        >>> from yujing.config import load_config
        >>> s = Sla(load_config(None).sla)
        >>> fri_noon = datetime(2026, 7, 17, 12, tzinfo=s._tz).timestamp()
        >>> datetime.fromtimestamp(s.add_working_time(fri_noon, 24 * HOUR), s._tz).isoformat()
        '2026-07-20T12:00:00+08:00'
        """
        t = t0
        remaining = seconds
        for _ in range(400):
            day_start = t - ((t + self.offset) % DAY)
            if not self.is_workday(t):
                t = day_start + DAY
                continue
            left_today = day_start + DAY - t
            if remaining <= left_today:
                return t + remaining
            remaining -= left_today
            t = day_start + DAY
        return t + remaining
