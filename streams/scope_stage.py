"""The scope stage: aggregates per stage × scope (region, department, category, channel, total) and the
aggregate detectors that watch them.

Counters are kept incrementally from the order stage's signals, so a minute tick costs O(scopes), not
O(open orders): open SLA checks, how many of them passed 50 / 75 / 90 / 100 % of their deadline, and one-minute
buckets of arrivals, outage reports, reclassifications, bounces, urges, repeat contacts, escalations and text
negativity. Every ``tick_s`` of event time the detectors in :mod:`detectors.scope_rules` read them and say
which scopes are in trouble (conditions for the alert pipeline).
"""
from __future__ import annotations

import math
from collections import deque
from typing import Any, Callable, Sequence

from detectors.scope_rules import ScopeDetectors
from streams import signals as S
from streams.deadlines import LEVELS
from streams.signals import ScopeSignal
from yujing.config import Settings
from yujing.records import Condition, STAGES

EVENT_METRICS = ("arrivals", "faults", "affected", "outages", "reclass", "bounces", "urges", "repeats", "escalations",
                 "texts", "neg_sum", "neg_hi", "threats", "closes", "ctexts", "dispatches", "judged",
                 "misfiled")
WINDOW_MIN = 60
TOPIC_PREFIX, ANGRY_PREFIX = "topic:", "angry:"
"""Per-topic counts of new contacts, all and strongly negative ones, are metrics named so (``ctexts`` counts
the new contacts with a text, the trials of detectors/share_cusum.py)."""
_COUNTED = {S.RECLASS: "reclass", S.BOUNCE: "bounces", S.URGE: "urges", S.REPEAT: "repeats",
            S.ESCALATED: "escalations", S.CLOSED: "closes"}
"""Signal kinds that only count one in a per-minute metric."""
_CROSSED = {lv: tuple(i for i, x in enumerate(LEVELS) if lv >= x) for lv in (0.0,) + LEVELS}
"""The share levels a check had crossed when it closed, by the highest (a CLOSE signal's value)."""
_OPEN, _CROSS, _CLOSE, _ARRIVAL, _TEXT = S.OPEN, S.CROSS, S.CLOSE, S.ARRIVAL, S.TEXT
STAGE_SET = frozenset(STAGES)
TEXT_DECAY = math.exp(-1.0 / 60.0)
"""Per-minute decay of a stage's text counters: an exponentially weighted hour."""
MAX_CATCHUP_S = 3 * 3600.0
"""Longest stretch of event time the minute ticks catch up on after a gap in the input."""
NEGATIVE = 0.7
"""Negativity from which a customer text counts as strongly negative (angry; streams/sentiment.py's scale)."""
DEPARTMENT_CHECKS = frozenset(("dept_accept", "feedback"))
"""The checks a department is answerable for (taking the order; a crew's arrival): watched for stalls."""
SHORT_CHECK_S = 4 * 3600.0
"""Checks up to this long (arrival of a repair crew, accepting, dispatching) are watched by their share used;
for multi-day checks (a reply within 5 days) passing half the deadline overnight is normal, so only their
overdue count matters."""


class StageCounters:
    """Open SLA checks of one stage in one scope, by the highest share of deadline each has used."""

    __slots__ = ("open", "at", "short", "closed_min", "opened_min", "span_sum", "span_n", "service",
                 "backlog_hist", "ages", "opened_hist", "closed_hist", "risk_hist", "short_open", "texts_ew",
                 "neg_ew", "half_min", "quick_min", "half_last", "quick_last")

    def __init__(self) -> None:
        self.open = 0
        self.at = [0, 0, 0, 0]            # counts at >= 50 %, 75 %, 90 %, 100 %
        self.short = [0, 0, 0, 0]         # the same for short checks (deadline within SHORT_CHECK_S)
        self.short_open = 0               # open short checks
        self.closed_min = 0               # checks closed in the current minute
        self.opened_min = 0               # checks opened in the current minute
        self.opened_hist: deque[int] = deque(maxlen=15)
        self.closed_hist: deque[int] = deque(maxlen=15)
        self.risk_hist: deque[int] = deque(maxlen=10)   # short checks past 50 %, one value per minute
        self.span_sum = 0.0               # for the mean deadline span of opened checks
        self.span_n = 0
        self.service = 0.0                # EWMA of checks closed per minute
        self.backlog_hist: deque[int] = deque(maxlen=WINDOW_MIN)
        self.ages: dict[str, tuple[float, float]] = {}   # order_id/check -> (start, deadline), for the board
        self.texts_ew = 0.0               # customer texts of orders in this stage, decaying over about an hour
        self.neg_ew = 0.0                 # ... and their negativity (the board's per-stage sentiment)
        self.half_min = 0                 # short checks that reached half their deadline this minute ...
        self.quick_min = 0                # ... and that closed before it: one of the two per check
        self.half_last = 0                # the same for the last closed minute (what the detectors read)
        self.quick_last = 0

    def mean_span(self) -> float:
        return self.span_sum / self.span_n if self.span_n else 0.0

    def time_in_stage_min(self) -> float:
        """Little's law: mean time an order spends in this stage now = backlog ÷ arrival rate (minutes)."""
        lam = sum(self.opened_hist) / max(1, len(self.opened_hist))
        return self.open / lam if lam > 0 else (float(self.open) * 15.0)


class ScopeState:
    """Everything counted for one scope (e.g. ``("region", "north")``)."""

    __slots__ = ("stages", "minute", "cur", "hist", "cum", "marks", "today", "day", "offset_s", "metrics", "empty",
                 "day_start", "day_end")

    def __init__(self, offset_s: float = 8 * 3600.0, metrics: tuple[str, ...] = EVENT_METRICS) -> None:
        self.offset_s = offset_s          # local time zone: "today" starts at local midnight
        self.metrics = metrics
        self.empty = dict.fromkeys(metrics, 0.0)  # a minute in which nothing happened (compare only)
        self.day = -1
        self.day_start = self.day_end = 0.0   # minutes [start, end) of the local day ``day``
        self.today = dict.fromkeys(metrics, 0.0)
        self.stages = {s: StageCounters() for s in STAGES}
        self.minute = -1
        self.cur = dict.fromkeys(metrics, 0.0)
        self.hist: deque[tuple[tuple[str, float], ...]] = deque(maxlen=WINDOW_MIN)
        self.cum = dict.fromkeys(metrics, 0.0)   # all closed minutes summed
        # ``cum`` as it stood after each of the last closed minutes (and before them): marks[-1 - w] is ``cum``
        # w minutes ago, so a window is one subtraction; a minute without counts shares its predecessor's dict
        self.marks: deque[dict[str, float]] = deque([self.cum.copy()], maxlen=WINDOW_MIN + 1)

    def roll(self, minute: int) -> None:
        """Close one-minute buckets up to ``minute`` (gaps become empty minutes); keep running window sums.

        A closed minute goes into the history as the tuple of its non-zero ``(metric, value)`` pairs, in metric
        order: most minutes of most scopes are empty (``()``) or touch a few metrics, and leaving a window
        then costs nothing or a few subtractions. One minute is the usual step (the scope stage rolls every
        scope every minute), so that case is written out without the loop of a gap."""
        last = self.minute
        if last < 0:
            self.minute = minute
            return
        steps = minute - last
        if steps <= 0:
            self._new_day(last)
            return
        if steps == 1 and self.cur == self.empty:   # the usual step of a quiet scope: one empty minute
            self.hist.append(())
            marks = self.marks
            marks.append(marks[-1])
            self.minute = minute
            if not self.day_start <= minute < self.day_end:
                self._new_day(minute)
            return
        closing = self._close_minute(last)
        if steps == 1:
            self._shift(closing)
        else:
            for _ in range(min(steps, WINDOW_MIN + 1)):
                self._shift(closing)
                closing = ()
        self.minute = minute
        if not self.day_start <= minute < self.day_end:
            self._new_day(minute)

    def _close_minute(self, last: int) -> tuple[tuple[str, float], ...]:
        """The current bucket as non-zero pairs, counted into its own local day; the bucket starts anew."""
        cur = self.cur
        if cur == self.empty:
            return ()
        closing = tuple([kv for kv in cur.items() if kv[1]])
        if not self.day_start <= last < self.day_end:
            self._new_day(last)
        today = self.today
        for k, v in closing:
            today[k] += v
        self.cur = self.empty.copy()
        return closing

    def _shift(self, closing: tuple[tuple[str, float], ...]) -> None:
        """Append one closed minute to the history and to the running total, marking where the total stands.

        Prefix sums instead of three running window sums: a closed minute costs one addition per metric it
        counted, not three additions now and three subtractions as it leaves the 15/30/60-minute windows.
        Counts are whole numbers, so the differences are exact (the same figures as summing the minutes)."""
        self.hist.append(closing)
        marks = self.marks
        if closing:
            cum = self.cum
            for k, v in closing:
                cum[k] += v
            marks.append(cum.copy())
        else:
            marks.append(marks[-1])

    def _new_day(self, minute: int) -> None:
        if minute < self.day_end and minute >= self.day_start:   # still the same local day (nearly always)
            return
        day = int((minute * 60 + self.offset_s) // 86400)
        self.day_start = (day * 86400 - self.offset_s) / 60
        self.day_end = ((day + 1) * 86400 - self.offset_s) / 60
        if day != self.day:
            if day > self.day:
                self.today = dict.fromkeys(self.metrics, 0.0)
            self.day = max(self.day, day)

    def last_minute(self) -> dict[str, float]:
        """The counts of the last closed minute (only the metrics that were not zero)."""
        return dict(self.hist[-1]) if self.hist else {}

    def today_total(self, metric: str) -> float:
        """``metric`` since local midnight, the current minute included."""
        return self.today[metric] + self.cur[metric]

    def window(self, metric: str, minutes: int) -> float:
        """Sum of ``metric`` over the last 15, 30 or 60 complete minutes."""
        w = 15 if minutes <= 15 else 30 if minutes <= 30 else WINDOW_MIN
        marks = self.marks
        v = self.cum[metric] - marks[-1 - w if len(marks) > w else 0][metric]
        return v if v > 0.0 else 0.0   # max(0.0, v) without the call: the detectors read dozens a minute

    def sums(self, minutes: int) -> dict[str, float]:
        """Every metric's :meth:`window` (checkpoints keep them, as they kept the running sums before)."""
        w = 15 if minutes <= 15 else 30 if minutes <= 30 else WINDOW_MIN
        marks = self.marks
        base = marks[-1 - w if len(marks) > w else 0]
        return {k: v - base.get(k, 0.0) for k, v in self.cum.items()}

    def restore_hist(self, minutes: list[tuple[tuple[str, float], ...]]) -> None:
        """Refill the history (and the totals) from a checkpoint's closed minutes, oldest first."""
        for closing in minutes:
            for k, _ in closing:
                if k not in self.cum:   # a metric dropped from the configuration since the checkpoint
                    self.cum[k] = 0.0
            self._shift(closing)


class _Dims:
    """The scopes of one combination of a signal's dimensions, and their counters of each stage (looked up
    once, not per signal)."""

    __slots__ = ("scopes", "stages")

    def __init__(self, scopes: list[ScopeState]) -> None:
        self.scopes = scopes
        self.stages = {s: [sc.stages[s] for sc in scopes] for s in STAGES}


class ScopeStage:
    """Aggregates + aggregate detectors. ``apply`` signals, ``advance`` the clock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.scopes: dict[tuple[str, str], ScopeState] = {}
        self.detectors = ScopeDetectors(settings)
        self.tick_s = settings.detectors.scope.tick_s
        self.outage_customers = settings.detectors.scope.outage_customers
        """Customers a fault report must say are affected to count as a large outage (metric ``outages``)."""
        self.next_tick: float | None = None
        self.now = 0.0
        self.track_ages = False
        self.metrics = EVENT_METRICS + tuple(prefix + name for name in settings.tracking.topics
                                             for prefix in (TOPIC_PREFIX, ANGRY_PREFIX))
        self._dims_cache: dict[tuple[str, str, str, str | None], _Dims] = {}
        self._rolled = -1   # every scope has rolled at least to this minute (no scope needs a roll before it)
        self._counters: list[StageCounters] = []   # all scopes' stage counters, for the minute tick ...
        self._counted = 0                          # ... built when there were this many scopes
        self._on: dict[str, Callable[[ScopeSignal, _Dims], None]] = {
            _OPEN: self._on_open, _CROSS: self._on_cross, _CLOSE: self._on_close, _ARRIVAL: self._on_arrival,
            _TEXT: self._on_text, S.TOPIC: self._on_topic, S.ONSITE: self._on_onsite, S.DONE: self._on_done,
            S.AGENT: self._on_agent}

    def _scope(self, key: tuple[str, str]) -> ScopeState:
        s = self.scopes.get(key)
        if s is None:
            s = self.scopes[key] = ScopeState(self.settings.clock.utc_offset_h * 3600.0, self.metrics)
        return s

    def _scopes_of(self, sig: ScopeSignal) -> _Dims:
        """The scopes a signal counts in (``sig.dims()``), cached by the signal's dimensions: a few hundred
        combinations recur for every signal. Scopes are never removed, so a cached list stays valid."""
        key = (sig.region, sig.category, sig.channel, sig.department)
        dims = self._dims_cache.get(key)
        if dims is None:
            dims = self._dims_cache[key] = _Dims([self._scope(k) for k in sig.dims()])
            if sig.department:
                self.detectors.dept_region.setdefault(sig.department, sig.region)
        return dims

    def apply(self, sig: ScopeSignal) -> list[Condition]:
        t = sig.t
        next_tick = self.next_tick
        if next_tick is None:
            self.next_tick = (math.floor(t / self.tick_s) + 1) * self.tick_s
            out: list[Condition] = []
        elif t >= next_tick:
            out = self.advance(t)
        else:
            out = []
        minute = int(t // 60)
        dims = self._dims_cache.get((sig.region, sig.category, sig.channel, sig.department))
        if dims is None:   # perhaps new scopes: they start at this minute
            dims = self._scopes_of(sig)
            self._roll(dims.scopes, minute)
            if minute < self._rolled:
                self._rolled = minute
        elif minute > self._rolled:
            self._roll(dims.scopes, minute)
        # the same update in every scope of the signal: decide what it is once, then apply it to each
        handler = self._on.get(sig.kind)
        if handler is not None:
            handler(sig, dims)
        else:
            metric = _COUNTED.get(sig.kind)
            if metric is not None:
                for sc in dims.scopes:
                    sc.cur[metric] += 1
        return out

    @staticmethod
    def _roll(scopes: list[ScopeState], minute: int) -> None:
        for sc in scopes:
            if minute > sc.minute:
                sc.roll(minute)

    def _age_key(self, sig: ScopeSignal) -> str | None:
        """The board's key of a check (only while ages are tracked)."""
        return sig.order_id + sig.check.rstrip("~") if self.track_ages else None  # type: ignore[operator]

    def _on_open(self, sig: ScopeSignal, dims: _Dims) -> None:
        moved = sig.check.endswith("~")  # type: ignore[union-attr]  # moved between departments, not a new arrival
        span = sig.value - sig.value2
        short = span <= SHORT_CHECK_S
        age_key = self._age_key(sig)
        for st in dims.stages[sig.stage]:  # type: ignore[index]
            st.open += 1
            if not moved:
                st.opened_min += 1
            if short:
                st.short_open += 1
                st.span_sum += span
                st.span_n += 1
            if age_key is not None:
                st.ages[age_key] = (sig.value2, sig.value)
        waits = self.detectors.receive_wait
        if waits is not None and not moved and sig.check == "receive_ack":
            waits.opened(sig.region, sig.order_id, sig.value2, sig.channel)
        watch = self.detectors.stall
        if watch is not None and short and sig.department:
            check = sig.check.rstrip("~")  # type: ignore[union-attr]
            if check in DEPARTMENT_CHECKS:
                # a check moved to this department waits here from the move on
                watch.opened(sig.department, check, sig.order_id, sig.t if moved else sig.value2, sig.value,
                             sig.category)

    def _on_cross(self, sig: ScopeSignal, dims: _Dims) -> None:
        i = LEVELS.index(sig.value)
        short = sig.value2 <= SHORT_CHECK_S
        for st in dims.stages[sig.stage]:  # type: ignore[index]
            st.at[i] += 1
            if short:
                st.short[i] += 1
                if not i:
                    st.half_min += 1

    def _on_close(self, sig: ScopeSignal, dims: _Dims) -> None:
        moved = sig.check.endswith("~")  # type: ignore[union-attr]
        short = sig.value2 <= SHORT_CHECK_S
        crossed = _CROSSED.get(sig.value)
        if crossed is None:
            crossed = tuple(i for i, lv in enumerate(LEVELS) if sig.value >= lv)
        age_key = self._age_key(sig)
        if not moved and sig.check == "dispatch":   # the order's first routing decision
            for sc in dims.scopes:
                sc.cur["dispatches"] += 1
        for st in dims.stages[sig.stage]:  # type: ignore[index]
            st.open -= 1
            if not moved:
                st.closed_min += 1
            if short:
                st.short_open -= 1
                if not moved and not crossed:
                    st.quick_min += 1
            for i in crossed:
                st.at[i] -= 1
                if short:
                    st.short[i] -= 1
            if age_key is not None:
                st.ages.pop(age_key, None)
        waits = self.detectors.receive_wait
        if waits is not None and not moved and sig.check == "receive_ack":
            waits.closed(sig.order_id, sig.t)
        watch = self.detectors.stall
        if watch is not None and short and sig.department:
            watch.closed(sig.department, sig.check.rstrip("~"), sig.order_id, sig.t,  # type: ignore[union-attr]
                         moved=moved)

    def _on_onsite(self, sig: ScopeSignal, dims: _Dims) -> None:
        work = self.detectors.work
        if work is not None and sig.department:
            work.started(sig.department, sig.order_id, sig.t)

    def _on_agent(self, sig: ScopeSignal, dims: _Dims) -> None:
        staffing = self.detectors.staffing
        if staffing is not None and sig.check:
            staffing.update(sig.region, sig.check, sig.t)
        share = self.detectors.desk_share
        if share is not None and sig.check:
            share.update(sig.region, sig.check, sig.t)

    def _on_done(self, sig: ScopeSignal, dims: _Dims) -> None:
        work = self.detectors.work
        if work is not None and sig.department:
            work.finished(sig.department, sig.order_id, sig.t)

    def _on_arrival(self, sig: ScopeSignal, dims: _Dims) -> None:
        staffing = self.detectors.staffing
        if staffing is not None and sig.region:
            staffing.arrived(sig.region, sig.t)
        fault = sig.category == "fault_repair"
        large = fault and self.outage_customers > 0 and sig.value >= self.outage_customers
        for sc in dims.scopes:
            cur = sc.cur
            cur["arrivals"] += 1
            if fault:
                cur["faults"] += 1
                cur["affected"] += sig.value
                if large:
                    cur["outages"] += 1

    def _on_text(self, sig: ScopeSignal, dims: _Dims) -> None:
        value = sig.value
        if sig.stage in STAGE_SET:
            for st in dims.stages[sig.stage]:  # type: ignore[index]
                st.texts_ew += 1.0
                st.neg_ew += value
        hi = value >= NEGATIVE
        threat = bool(sig.value2)
        for sc in dims.scopes:
            cur = sc.cur
            cur["texts"] += 1
            cur["neg_sum"] += value
            if hi:
                cur["neg_hi"] += 1
            if threat:
                cur["threats"] += 1

    def _on_topic(self, sig: ScopeSignal, dims: _Dims) -> None:
        names = sig.check.split("|") if sig.check else ()
        angry = sig.value >= NEGATIVE
        # the text → category model judged the category filed (once it has learned enough), and the text
        # reads calmly as another category: an angry text reads as a complaint whatever was asked (a
        # sentiment storm is topic_surge's, not a misfiling wave)
        judged = sig.value2 != S.FILING_UNJUDGED
        misfiled = sig.value2 == S.FILING_MISFILED and not angry
        for sc in dims.scopes:
            cur = sc.cur
            cur["ctexts"] += 1
            if judged:
                cur["judged"] += 1
                if misfiled:
                    cur["misfiled"] += 1
            for name in names:
                if TOPIC_PREFIX + name in cur:  # else a topic dropped from the configuration meanwhile
                    cur[TOPIC_PREFIX + name] += 1
                    if angry:
                        cur[ANGRY_PREFIX + name] += 1

    def advance(self, now: float) -> list[Condition]:
        """Run the minute ticks due up to ``now``."""
        out: list[Condition] = []
        if self.next_tick is None:
            return out
        if now < self.next_tick:  # no tick due (the common case between events)
            if now > self.now:
                self.now = now
            return out
        if now - self.next_tick > MAX_CATCHUP_S:
            # a long silence (or a bogus far-future timestamp): tick only through its last stretch; the minutes
            # before it had no signals and their buckets would all be empty anyway
            self.next_tick = math.floor((now - MAX_CATCHUP_S) / self.tick_s) * self.tick_s
        while self.next_tick <= now:
            t = self.next_tick
            self.now = t
            minute = int(t // 60)
            for sc in self.scopes.values():
                if minute > sc.minute:
                    sc.roll(minute)
            self._rolled = minute
            self._tick_counters()
            out.extend(self.detectors.evaluate(t, self.scopes))
            self.next_tick = t + self.tick_s
        if now > self.now:
            self.now = now
        return out

    def _tick_counters(self) -> None:
        """Close the minute of every stage counter: its per-minute figures move into their histories."""
        if self._counted != len(self.scopes):   # scopes are only ever added (or restored from a checkpoint)
            self._counters = [st for sc in self.scopes.values() for st in sc.stages.values()]
            self._counted = len(self.scopes)
        for st in self._counters:
            closed = st.closed_min
            st.service += 0.05 * (closed - st.service)
            st.closed_hist.append(closed)
            st.opened_hist.append(st.opened_min)
            st.closed_min = st.opened_min = 0
            st.half_last, st.quick_last, st.half_min, st.quick_min = st.half_min, st.quick_min, 0, 0
            st.backlog_hist.append(st.open)
            st.risk_hist.append(st.short[0])
            if st.texts_ew:
                st.texts_ew *= TEXT_DECAY
                st.neg_ew *= TEXT_DECAY

    # ------------------------------------------------------------------------------------------ board
    def stage_figures(self, key: tuple[str, str], stage: str, now: float, trend: bool = True) -> dict[str, Any]:
        """One scope's figures of one stage for the board (``trend=False``: without the backlog trend)."""
        sc = self.scopes.get(key)
        if sc is None:
            return {}
        st = sc.stages[stage]
        fig: dict[str, Any] = {
            "backlog": st.open, "backlog_growth_per_h": backlog_trend_per_h(st.backlog_hist) if trend else None,
            "arrivals_per_min": round(sum(st.opened_hist) / max(1, len(st.opened_hist)), 3),   # into this stage
            "at_50": st.at[0], "at_75": st.at[1], "at_90": st.at[2], "overdue": st.at[3],
            "negativity": round(st.neg_ew / st.texts_ew, 3) if st.texts_ew >= 0.5 else None,   # this stage's texts
            "service_per_min": round(st.service, 3), "mean_deadline_min": round(st.mean_span() / 60, 1),
            "spark": {"backlog": list(st.backlog_hist)},
            "today": {m: sc.today_total(m) for m in ("arrivals", "faults", "urges", "repeats", "reclass", "bounces",
                                                     "escalations", "closes")},
        }
        if st.ages:
            ages = sorted((now - s) / 60.0 for s, _ in st.ages.values())
            shares = sorted((now - s) / max(60.0, d - s) for s, d in st.ages.values())
            fig.update(age_p50_min=round(_q(ages, 0.5), 1), age_p90_min=round(_q(ages, 0.9), 1),
                       share_p50=round(_q(shares, 0.5), 3), share_p90=round(_q(shares, 0.9), 3))
        return fig

    def snapshot(self, now: float) -> dict[str, Any]:
        """The board's view of the aggregates (see dashboard/ for the consumer)."""
        stages = {s: self.stage_figures(("total", "all"), s, now) for s in STAGES}
        regions: dict[str, Any] = {}
        for (kind, name), sc in sorted(self.scopes.items()):
            if kind == "region":
                regions[name] = {s: {k: v for k, v in self.stage_figures((kind, name), s, now, trend=False).items()
                                     if k in ("backlog", "overdue", "share_p90", "at_75")} for s in STAGES}
        return {"now": now, "stages": stages, "regions": regions,
                "anomaly_scores": self.detectors.anomaly_scores,
                "active_scope_conditions": self.detectors.active_summary()}


GROWTH_MIN_MINUTES = 15
"""A backlog trend needs this much history: a few minutes extrapolated to an hour read "+588/小时" on a board
that had just opened, from the orders that were already open when it started."""


def backlog_trend_per_h(levels: Sequence[int], min_minutes: int = GROWTH_MIN_MINUTES) -> float | None:
    """How fast a backlog grows now, per hour: the Theil–Sen slope of its per-minute levels (the median of the
    slopes between every two minutes), so a burst that landed once and then stayed flat is not growth and a
    queue that keeps rising is; ``None`` until the levels cover ``min_minutes``.

    >>> backlog_trend_per_h([0, 49] + [50] * 14), backlog_trend_per_h(list(range(0, 40, 2)))
    (0.0, 120.0)
    >>> backlog_trend_per_h([0, 5, 9]) is None
    True
    """
    if len(levels) < min_minutes:
        return None
    from scipy.stats import theilslopes   # loaded already (river needs scipy)

    return round(float(theilslopes(levels).slope) * 60.0, 2)


def _q(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    return xs[min(len(xs) - 1, int(q * len(xs)))]


# ---------------------------------------------------------------------------------------------- checkpoints
_SEP = "\x1f"
_STAGE_FIELDS = ("open", "at", "short", "short_open", "closed_min", "opened_min", "span_sum", "span_n", "service",
                 "texts_ew", "neg_ew")
_STAGE_DEQUES = ("backlog_hist", "opened_hist", "closed_hist", "risk_hist")


def scope_state_dict(stage: ScopeStage) -> dict[str, Any]:
    """JSON-able state of a scope stage, so a worker that takes over the aggregates resumes where the last
    one stopped (the live shell checkpoints it together with the offset of the signals it has applied)."""
    scopes = {}
    for key, sc in stage.scopes.items():
        scopes[_SEP.join(key)] = {
            "minute": sc.minute, "cur": sc.cur, "hist": list(sc.hist), "sum15": sc.sums(15),
            "sum30": sc.sums(30), "sum60": sc.sums(60), "today": sc.today, "day": sc.day,
            "stages": {name: {**{f: getattr(st, f) for f in _STAGE_FIELDS},
                              **{f: list(getattr(st, f)) for f in _STAGE_DEQUES}}
                       for name, st in sc.stages.items()},
        }
    det = stage.detectors
    return {"version": 1, "next_tick": stage.next_tick, "now": stage.now, "scopes": scopes,
            "baselines": {_SEP.join(map(str, k)): [b.mean, b.dev, b.n] for k, b in det.baselines.items()},
            "debounce": {_SEP.join(map(str, k)): [d.tier, d.candidate, d.since, d.clear_since, d.hits]
                         for k, d in det.debounce.items()},
            "last": [[_SEP.join(map(str, k)), v] for k, v in det.last.items()],
            "topic_cusum": [[region, topic, c.state()] for (region, topic), c in det.topic_cusum.items()],
            "topic_minute": det.topic_minute,
            "lag_cusum": [[_SEP.join(map(str, k)), c.state()] for k, c in det.lag_cusum.items()],
            "province_half": {st: list(h) for st, h in det._province_half.items()},
            "stall": det.stall.state() if det.stall is not None else None,
            "work": det.work.state() if det.work is not None else None,
            "receive_wait": det.receive_wait.state() if det.receive_wait is not None else None,
            "staffing": det.staffing.state() if det.staffing is not None else None,
            "desk_share": det.desk_share.state() if det.desk_share is not None else None,
            "hourly": [[_SEP.join(map(str, k)), [None if h is None else [h[0].mean, h[0].dev, h[0].n, h[1]] for h in hb]]
                       for k, hb in det.hourly.items()]}


def scope_from_state(settings: Settings, state: dict[str, Any]) -> ScopeStage:
    """The inverse of :func:`scope_state_dict`.

    >>> from yujing.config import load_config
    >>> s = ScopeStage(load_config(None))
    >>> _ = s.apply(ScopeSignal(S.ARRIVAL, 60.0, "WO-1", None, "north", None, "complaint", "web"))
    >>> _ = s.advance(200.0)
    >>> r = scope_from_state(load_config(None), scope_state_dict(s))
    >>> r.scopes[("region", "north")].window("arrivals", 60), r.next_tick == s.next_tick
    (1.0, True)
    """
    from detectors.baseline import Baseline
    from detectors.debounce import Debounce
    from detectors.scope_rules import HOURLY_ALPHA

    stage = ScopeStage(settings)
    stage.next_tick = state["next_tick"]
    stage.now = state["now"]
    for key, d in state["scopes"].items():
        sc = ScopeState(settings.clock.utc_offset_h * 3600.0, stage.metrics)
        # merged into fresh dicts: metrics added to the configuration since the checkpoint start at zero
        sc.minute, sc.cur = d["minute"], {**sc.cur, **d["cur"]}
        # minutes as (metric, value) pairs; a checkpoint of an older version holds them as dicts. The window
        # sums it holds ("sum15" ...) are those of these minutes, so they are summed anew from them
        sc.restore_hist([tuple((k, v) for k, v in (h.items() if isinstance(h, dict) else h) if v)
                         for h in d["hist"]])
        sc.today, sc.day = {**sc.today, **d.get("today", {})}, d.get("day", -1)
        for name, sd in d["stages"].items():
            st = sc.stages[name]
            for f in _STAGE_FIELDS:
                if f in sd:   # fields added since an older checkpoint keep their defaults
                    setattr(st, f, sd[f])
            for f in _STAGE_DEQUES:
                getattr(st, f).extend(sd[f])
        stage.scopes[tuple(key.split(_SEP))] = sc  # type: ignore[index]
    det = stage.detectors

    def key_of(k: str) -> tuple[str, ...]:
        return tuple(k.split(_SEP))

    for k, (mean, dev, n) in state["baselines"].items():
        b = det.baselines[key_of(k)] = Baseline()
        b.mean, b.dev, b.n = mean, dev, n
    for k, (tier, cand, since, clear_since, hits) in state["debounce"].items():
        d = det.debounce[key_of(k)] = Debounce()
        d.tier, d.candidate, d.since, d.clear_since, d.hits = tier, cand, since, clear_since, hits
    for k, v in state["last"]:
        det.last[key_of(k)] = v
    for region, topic, st in state.get("topic_cusum", []):
        c = det.topic_cusum[(region, topic)] = det._new_cusum()
        c.restore(st)
    det.topic_minute.update(state.get("topic_minute", {}))
    for k, st in state.get("lag_cusum", []):
        c = det.lag_cusum[key_of(k)] = det.new_lag_cusum()
        c.restore(st)
    for st_name, hist in state.get("province_half", {}).items():
        det._province_half[st_name].extend(tuple(x) for x in hist)
    if det.stall is not None and state.get("stall"):
        det.stall.restore(state["stall"])
    if det.work is not None and state.get("work"):
        det.work.restore(state["work"])
    if det.receive_wait is not None and state.get("receive_wait"):
        det.receive_wait.restore(state["receive_wait"])
    if det.staffing is not None and state.get("staffing"):
        det.staffing.restore(state["staffing"])
    if det.desk_share is not None and state.get("desk_share"):
        det.desk_share.restore(state["desk_share"])
    for k, hb in state.get("hourly", []):
        hours: list = []
        for h in hb:
            if h is None:
                hours.append(None)
                continue
            b = Baseline(alpha=HOURLY_ALPHA)
            b.mean, b.dev, b.n = h[0], h[1], h[2]
            hours.append((b, h[3]))
        det.hourly[key_of(k)] = hours
    return stage
