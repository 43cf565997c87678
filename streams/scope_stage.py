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
from typing import Any

from detectors.scope_rules import ScopeDetectors
from streams import signals as S
from streams.signals import ScopeSignal
from yujing.config import Settings
from yujing.records import Condition, STAGES

LEVELS = (0.5, 0.75, 0.9, 1.0)
EVENT_METRICS = ("arrivals", "faults", "affected", "reclass", "bounces", "urges", "repeats", "escalations",
                 "texts", "neg_sum", "neg_hi", "threats", "closes", "ctexts", "dispatches", "judged",
                 "misfiled")
WINDOW_MIN = 60
TOPIC_PREFIX, ANGRY_PREFIX = "topic:", "angry:"
"""Per-topic counts of new contacts, all and strongly negative ones, are metrics named so (``ctexts`` counts
the new contacts with a text, the trials of detectors/share_cusum.py)."""
_COUNTED = {S.RECLASS: "reclass", S.BOUNCE: "bounces", S.URGE: "urges", S.REPEAT: "repeats",
            S.ESCALATED: "escalations", S.CLOSED: "closes"}
"""Signal kinds that only count one in a per-minute metric."""
_OPEN, _CROSS, _CLOSE, _ARRIVAL, _TEXT = S.OPEN, S.CROSS, S.CLOSE, S.ARRIVAL, S.TEXT
STAGE_SET = frozenset(STAGES)
TEXT_DECAY = math.exp(-1.0 / 60.0)
"""Per-minute decay of a stage's text counters: an exponentially weighted hour."""
MAX_CATCHUP_S = 3 * 3600.0
"""Longest stretch of event time the minute ticks catch up on after a gap in the input."""
NEGATIVE = 0.7
"""Negativity from which a customer text counts as strongly negative (angry; streams/sentiment.py's scale)."""
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

    __slots__ = ("stages", "minute", "cur", "hist", "sum30", "sum60", "sum15", "today", "day", "offset_s",
                 "metrics", "empty", "day_start", "day_end")

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
        self.sum15 = dict.fromkeys(metrics, 0.0)
        self.sum30 = dict.fromkeys(metrics, 0.0)
        self.sum60 = dict.fromkeys(metrics, 0.0)

    def roll(self, minute: int) -> None:
        """Close one-minute buckets up to ``minute`` (gaps become empty minutes); keep running window sums.

        A closed minute goes into the history as the tuple of its non-zero ``(metric, value)`` pairs, in metric
        order: most minutes of most scopes are empty (``()``) or touch a few metrics, and leaving a window
        then costs nothing or a few subtractions."""
        last = self.minute
        if last < 0:
            self.minute = minute
            return
        steps = minute - last
        if steps > WINDOW_MIN + 1:
            steps = WINDOW_MIN + 1
        cur = self.cur
        closing: tuple[tuple[str, float], ...] = ()
        if steps > 0 and cur != self.empty:   # the closing minute counts for its own (local) day
            closing = tuple([kv for kv in cur.items() if kv[1]])
            self._new_day(last)
            today = self.today
            for k, v in closing:
                today[k] += v
            self.cur = dict.fromkeys(self.metrics, 0.0)
        hist = self.hist
        sum15, sum30, sum60 = self.sum15, self.sum30, self.sum60
        for _ in range(steps):
            n = len(hist)
            if n == WINDOW_MIN:
                for k, v in hist[0]:
                    sum60[k] -= v
            if n >= 15:
                for k, v in hist[-15]:
                    sum15[k] -= v
                if n >= 30:
                    for k, v in hist[-30]:
                        sum30[k] -= v
            hist.append(closing)
            if closing:
                for k, v in closing:
                    sum15[k] += v
                    sum30[k] += v
                    sum60[k] += v
                closing = ()
        if minute > last:
            self.minute = minute
        self._new_day(self.minute)

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
        sums = self.sum15 if minutes <= 15 else self.sum30 if minutes <= 30 else self.sum60
        return max(0.0, sums[metric])


class ScopeStage:
    """Aggregates + aggregate detectors. ``apply`` signals, ``advance`` the clock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.scopes: dict[tuple[str, str], ScopeState] = {}
        self.detectors = ScopeDetectors(settings)
        self.tick_s = settings.detectors.scope.tick_s
        self.next_tick: float | None = None
        self.now = 0.0
        self.track_ages = False
        self.metrics = EVENT_METRICS + tuple(prefix + name for name in settings.tracking.topics
                                             for prefix in (TOPIC_PREFIX, ANGRY_PREFIX))
        self._dims_cache: dict[tuple[str, str, str, str | None], list[ScopeState]] = {}

    def _scope(self, key: tuple[str, str]) -> ScopeState:
        s = self.scopes.get(key)
        if s is None:
            s = self.scopes[key] = ScopeState(self.settings.clock.utc_offset_h * 3600.0, self.metrics)
        return s

    def _scopes_of(self, sig: ScopeSignal) -> list[ScopeState]:
        """The scopes a signal counts in (``sig.dims()``), cached by the signal's dimensions: a few hundred
        combinations recur for every signal. Scopes are never removed, so a cached list stays valid."""
        key = (sig.region, sig.category, sig.channel, sig.department)
        scopes = self._dims_cache.get(key)
        if scopes is None:
            scopes = self._dims_cache[key] = [self._scope(k) for k in sig.dims()]
            if sig.department:
                self.detectors.dept_region.setdefault(sig.department, sig.region)
        return scopes

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
        kind = sig.kind
        scopes = self._dims_cache.get((sig.region, sig.category, sig.channel, sig.department))
        if scopes is None:
            scopes = self._scopes_of(sig)
        for sc in scopes:
            if minute > sc.minute:
                sc.roll(minute)
        # the same update in every scope of the signal: decide what it is once, then apply it to each
        if kind == _OPEN:
            moved = sig.check.endswith("~")  # moved between departments, not a new arrival
            span = sig.value - sig.value2
            short = span <= SHORT_CHECK_S
            age_key = sig.order_id + sig.check.rstrip("~") if self.track_ages else None
            stage = sig.stage
            for sc in scopes:
                st = sc.stages[stage]
                st.open += 1
                if not moved:
                    st.opened_min += 1
                if short:
                    st.short_open += 1
                    st.span_sum += span
                    st.span_n += 1
                if age_key is not None:
                    st.ages[age_key] = (sig.value2, sig.value)
        elif kind == _CROSS:
            i = LEVELS.index(sig.value)
            short = sig.value2 <= SHORT_CHECK_S
            stage = sig.stage
            for sc in scopes:
                st = sc.stages[stage]
                st.at[i] += 1
                if short:
                    st.short[i] += 1
                    if not i:
                        st.half_min += 1
        elif kind == _CLOSE:
            moved = sig.check.endswith("~")
            short = sig.value2 <= SHORT_CHECK_S
            crossed = [i for i, lv in enumerate(LEVELS) if sig.value >= lv]
            age_key = sig.order_id + sig.check.rstrip("~") if self.track_ages else None
            first_dispatch = sig.check == "dispatch"   # the order's first routing decision
            stage = sig.stage
            for sc in scopes:
                st = sc.stages[stage]
                st.open -= 1
                if not moved:
                    st.closed_min += 1
                    if first_dispatch:
                        sc.cur["dispatches"] += 1
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
        elif kind == _ARRIVAL:
            fault = sig.category == "fault_repair"
            for sc in scopes:
                cur = sc.cur
                cur["arrivals"] += 1
                if fault:
                    cur["faults"] += 1
                    cur["affected"] += sig.value
        elif kind == _TEXT:
            hi = sig.value >= NEGATIVE
            stage = sig.stage if sig.stage in STAGE_SET else None
            for sc in scopes:
                if stage is not None:
                    st = sc.stages[stage]
                    st.texts_ew += 1.0
                    st.neg_ew += sig.value
                cur = sc.cur
                cur["texts"] += 1
                cur["neg_sum"] += sig.value
                if hi:
                    cur["neg_hi"] += 1
                if sig.value2:
                    cur["threats"] += 1
        elif kind == S.TOPIC:
            names = sig.check.split("|") if sig.check else ()
            angry = sig.value >= NEGATIVE
            # the text → category model judged the category filed (once it has learned enough), and the text
            # reads calmly as another category: an angry text reads as a complaint whatever was asked (a
            # sentiment storm is topic_surge's, not a misfiling wave)
            judged = sig.value2 != S.FILING_UNJUDGED
            misfiled = sig.value2 == S.FILING_MISFILED and not angry
            for sc in scopes:
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
        else:
            metric = _COUNTED.get(kind)
            if metric is not None:
                for sc in scopes:
                    sc.cur[metric] += 1
        return out

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
                for st in sc.stages.values():
                    st.service += 0.05 * (st.closed_min - st.service)
                    st.closed_hist.append(st.closed_min)
                    st.opened_hist.append(st.opened_min)
                    st.closed_min = 0
                    st.opened_min = 0
                    st.half_last, st.quick_last, st.half_min, st.quick_min = st.half_min, st.quick_min, 0, 0
                    st.backlog_hist.append(st.open)
                    st.risk_hist.append(st.short[0])
                    if st.texts_ew:
                        st.texts_ew *= TEXT_DECAY
                        st.neg_ew *= TEXT_DECAY
            out.extend(self.detectors.evaluate(t, self.scopes))
            self.next_tick = t + self.tick_s
        if now > self.now:
            self.now = now
        return out

    # ------------------------------------------------------------------------------------------ board
    def stage_figures(self, key: tuple[str, str], stage: str, now: float) -> dict[str, Any]:
        sc = self.scopes.get(key)
        if sc is None:
            return {}
        st = sc.stages[stage]
        hours = max(1, len(st.backlog_hist)) / 60.0
        growth = (st.backlog_hist[-1] - st.backlog_hist[0]) / hours if len(st.backlog_hist) > 1 else 0.0
        fig: dict[str, Any] = {
            "backlog": st.open, "backlog_growth_per_h": round(growth, 2),
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
                regions[name] = {s: {k: v for k, v in self.stage_figures((kind, name), s, now).items()
                                     if k in ("backlog", "overdue", "share_p90", "at_75")} for s in STAGES}
        return {"now": now, "stages": stages, "regions": regions,
                "anomaly_scores": self.detectors.anomaly_scores,
                "active_scope_conditions": self.detectors.active_summary()}


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
            "minute": sc.minute, "cur": sc.cur, "hist": list(sc.hist), "sum15": sc.sum15, "sum30": sc.sum30,
            "sum60": sc.sum60, "today": sc.today, "day": sc.day,
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
            "province_half": {st: list(h) for st, h in det._province_half.items()}}


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
    from detectors.scope_rules import Baseline, Debounce

    stage = ScopeStage(settings)
    stage.next_tick = state["next_tick"]
    stage.now = state["now"]
    for key, d in state["scopes"].items():
        sc = ScopeState(settings.clock.utc_offset_h * 3600.0, stage.metrics)
        # merged into fresh dicts: metrics added to the configuration since the checkpoint start at zero
        sc.minute, sc.cur = d["minute"], {**sc.cur, **d["cur"]}
        # minutes as (metric, value) pairs; a checkpoint of an older version holds them as dicts
        sc.hist.extend(tuple((k, v) for k, v in (h.items() if isinstance(h, dict) else h) if v) for h in d["hist"])
        sc.sum15, sc.sum30, sc.sum60 = ({**sc.sum15, **d["sum15"]}, {**sc.sum30, **d["sum30"]},
                                        {**sc.sum60, **d["sum60"]})
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
    return stage
