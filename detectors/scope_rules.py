"""Aggregate detectors: per-scope rules on the scope stage's counters, each against its own learned baseline.

Each detector looks at one figure of one scope once a minute and compares it with what is normal for that
scope (an exponentially weighted mean and deviation, learned while the scope is calm and with bounded influence
while its alert is on, so an incident does not teach the baseline that it is normal). A verdict must hold for
``hold_minutes`` before it fires and stay clear ``clear_minutes`` before it resolves (Merlion-style alarm
post-processing), which keeps false alarms rare. What is watched, and why it warns before harm:

=====================  ==========  ==========================================================================
kind                   stage       figure
=====================  ==========  ==========================================================================
receive/dispatch/      its own     open orders past 50 % of their deadline (before any breach), and past
feedback_lag                       75 / 90 / 100 % for the tier
breach_forecast        its own     queue view: backlog ÷ service rate vs. the scope's mean deadline
arrival_surge          feedback    fault reports in 30 min vs. normal (an outage is coming to the crews)
reclassification       decompose   share of a channel's dispatches that change the category, CUSUM vs. normal
reassignment_bounce    decompose   reassignments in 60 min vs. normal
sentiment_drop         receive     share of strongly negative texts in 60 min vs. normal
topic_surge            receive     one topic's share of new contacts (billing, meter …), CUSUM vs. normal
=====================  ==========  ==========================================================================
"""
from __future__ import annotations

import math
from collections import deque
from typing import Any, Callable

from detectors.anomaly import SeriesAnomalyDetector
from detectors.baseline import Baseline
from detectors.debounce import Debounce, is_firing
from detectors.forecast import BreachForecast
from detectors.receive_wait import ReceiveWaitWatch
from detectors.share_cusum import ShareCusum
from detectors.desk_share import DeskShareWatch
from detectors.staffing import StaffingWatch
from detectors.fusion import CHECK_ZH, KIND_ZH, TOPIC_ZH, evidence_number, scope_zh
from detectors.stall import StallWatch
from detectors.work import WorkWatch
from streams.deadlines import CHECK_STAGE
from yujing.config import Settings
from yujing.records import STAGES, TIER_RANK, Condition

LAG_KIND = {"receive": "receive_lag", "decompose": "dispatch_lag", "feedback": "feedback_lag"}
STRAY_CHECK = {"decompose": "dept_accept", "feedback": "feedback"}
"""The check of a department's stage whose strays (orders of a category it seldom takes) its lag leaves out
(``lag_stray_share``): its take of the orders sent to it, and the crews' arrival."""
ALERT_SCOPES = ("region", "department", "channel")
LAG_SCOPES = ("region", "department")
ANOMALY_SCOPES = ("region", "total")
ANOMALY_METRICS = ("arrivals_15min", "backlog", "order_minutes_at_risk")
STAGE_ZH = {"receive": "受理", "decompose": "派单/接单", "feedback": "处理反馈"}
TIER_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}


SEQUENTIAL_KINDS = frozenset(("reclassification", "topic_surge"))
"""Kinds whose verdict is a sequential test's (a CUSUM has already weighed the evidence over time): they hold for
``sequential_hold_minutes``, not ``hold_minutes``."""
HOURLY_ALPHA = 1 / 120
"""Learning rate of an hour-of-day baseline per minute of that hour: about the last two days' hour."""
HOURLY_MIN = 45
"""Minutes of an hour of the day a scope must have seen before that hour's baseline counts."""


def binomial_margin(p: float, n: float, z: float) -> float:
    """``z`` binomial deviations of a share ``p`` among ``n`` trials: how far chance moves it (0 when ``z`` is 0
    or ``p`` and ``n`` say nothing). At night a region's share of 33 fault reports, or of 82 texts, moves further
    than the spread learned over busy hours allows.

    >>> round(binomial_margin(0.14, 33, 4.0), 3), binomial_margin(0.14, 33, 0.0), binomial_margin(0.0, 33, 4.0)
    (0.242, 0.0, 0.0)
    """
    return z * math.sqrt(p * (1.0 - p) / n) if z > 0 and n > 0 and 0.0 < p < 1.0 else 0.0


def keeps_pace(backlog: Any, closed: Any, minutes: int, min_closed: int, routed: Any = None) -> bool:
    """The stage's open checks did not grow over the last ``minutes`` (``backlog``: open checks at the end of each
    minute, newest last) while it cleared at least ``min_closed`` (``closed``: closes per minute): its queue is not
    growing, whatever its lag. A desk or crew that stopped or slowed lets its queue grow; a burst of orders at a
    desk that keeps its pace (one clerk at an evening peak, crews catching up after an incident) drains.
    ``routed``: orders sent per minute, each of which also closed a check in ``closed`` on its way in (a
    department's dispatch stage closes the order's routing check as it opens its acceptance check), so only the
    closes beyond them were cleared.

    >>> keeps_pace([9, 12, 10, 8, 7], [0, 3, 3, 2, 1], 4, 3)      # 9 open, then 7: draining
    True
    >>> keeps_pace([4, 5, 6, 7, 8], [0, 1, 0, 0, 0], 4, 3)        # a stalled desk: the queue grows
    False
    >>> keeps_pace([3, 3, 2, 2, 2], [0, 1, 0, 1, 0], 4, 3)        # too few cleared to say anything
    False
    >>> keeps_pace([9, 9, 9, 9, 9], [0, 2, 2, 2, 2], 4, 3, routed=[0, 2, 2, 2, 2])   # all 8 closes were routing
    False
    """
    n = len(backlog)
    if n <= minutes or backlog[-1] > backlog[n - 1 - minutes]:
        return False
    m = len(closed)
    k = minutes if minutes < m else m
    done = 0
    for i in range(m - k, m):
        done += closed[i]
    if routed is not None:
        r = len(routed)
        for i in range(r - (k if k < r else r), r):
            done -= routed[i]
    return done >= min_closed


_EMPTY: dict[str, float] = {}
"""A minute without counts (read only)."""


class _LagWatch:
    """What :meth:`ScopeDetectors._lags` needs of one stage of one scope, looked up once (not every minute): the
    stage's counters, the lag key, its baseline, and (made on first use) its sequential test and its baselines
    per local hour of the day."""

    __slots__ = ("stage", "st", "key", "baseline", "cusum", "hours")

    def __init__(self, det: "ScopeDetectors", stage: str, st: Any, key: tuple[Any, ...]) -> None:
        self.stage = stage
        self.st = st
        self.key = key
        self.baseline = det._b(key)
        self.cusum: ShareCusum | None = None                        # det.lag_cusum[key]
        self.hours: list[tuple[Baseline, int] | None] | None = None  # det.hourly[key]


class _ScopePlan:
    """What :meth:`ScopeDetectors.evaluate` needs of one alert scope, built once (not every minute): its scope
    dict, board label, and per stage its lag detector (:class:`_LagWatch`)."""

    __slots__ = ("sc", "skind", "name", "scope", "label", "lags", "rate_keys", "series", "topic_keys",
                 "topic_cusums")

    def __init__(self, det: "ScopeDetectors", skind: str, name: str, sc: Any) -> None:
        self.sc = sc
        self.skind = skind
        self.name = name
        self.scope = {skind: name}
        self.label = f"{skind}={name}"
        self.lags: list[_LagWatch] = []
        self.series: list[tuple[str, SeriesAnomalyDetector]] | None = None   # made on first use
        self.topic_cusums: list[ShareCusum] | None = None                     # made on first use
        self.topic_keys: tuple[tuple[str, str, str, tuple[str, str]], ...] = tuple(
            (topic, "angry:" + topic, "topic:" + topic, (name, topic)) for topic in det.topic_names)
        if skind in LAG_SCOPES:
            for stage in STAGES:
                self.lags.append(_LagWatch(det, stage, sc.stages[stage], ("lag", skind, name, stage)))
        self.rate_keys = {kind: (kind, name) for kind in ("surge", "sentiment", "bounce")}


class ScopeDetectors:
    """All aggregate detectors over all scopes; :meth:`evaluate` once per tick."""

    def __init__(self, settings: Settings) -> None:
        self.cfg = settings.detectors.scope
        self.baselines: dict[tuple[Any, ...], Baseline] = {}
        self.debounce: dict[tuple[Any, ...], Debounce] = {}
        self.last: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.series: list[tuple[float, str, str, str, str, float, float]] | None = None  # tuning log
        self.forecaster = BreachForecast(self.cfg.forecast_min_orders, self.cfg.forecast_horizon_share)
        self.anomaly: dict[tuple[str, str], SeriesAnomalyDetector] = {}
        self.anomaly_scores: dict[str, dict[str, float]] = {}
        self._utc_offset_h = settings.clock.utc_offset_h
        self.topic_names = tuple(settings.tracking.topics)
        self._angry_keys = tuple((topic, "angry:" + topic) for topic in self.topic_names)
        self.topic_cusum: dict[tuple[str, str], ShareCusum] = {}
        self.topic_minute: dict[str, int] = {}
        self.dept_region: dict[str, str] = {}   # department -> its region (told by the scope stage)
        self._dept_stage: dict[tuple[str, str], Any] = {}
        self.lag_cusum: dict[tuple[Any, ...], ShareCusum] = {}
        self.hourly: dict[tuple[Any, ...], list[tuple[Baseline, int] | None]] = {}
        """Per lag key and local hour of the day: the order-minutes at risk of that hour, and the local day it
        was first seen (it counts from the next day on)."""
        self._province_half: dict[str, deque[tuple[int, int]]] = {st: deque(maxlen=60) for st in STAGES}
        self.province_half_share: dict[str, float | None] = {st: None for st in STAGES}
        self._province_sums: dict[str, list[int]] | None = None
        """Running sums of ``_province_half`` per stage (half, quick); counts, so exactly the sums of the
        history. Made on the first tick: before it a checkpoint may refill the history."""
        self.topic_shown: dict[str, str] = {}   # region -> the topic its topic_surge alert is about
        self.rest_rise: dict[tuple[str, str], float] = {}
        """Per (stage, region): how many times its recent normal the rest of the province's order-minutes at
        risk stand at now (:meth:`_province_rise`; only entries above 1)."""
        c = self.cfg
        self._zero_threshold = Baseline().threshold(4.0, c.risk_minutes_floor)
        """The lag threshold of a baseline that has only learned zeros (above zero, nothing-at-risk stays calm)."""
        self.stall = StallWatch(c.stall_quantile, c.stall_factor, c.stall_margin_min * 60.0, c.stall_min_orders,
                                min_habit=c.stall_min_habit, take_min_orders=c.stall_take_min_orders,
                                take_own_min_orders=c.stall_take_own_min_orders,
                                return_share=c.stall_return_share, category_min=c.stall_category_min,
                                active_within_s=c.stall_active_within_min * 60.0,
                                stray_checks=frozenset({"feedback"})   # a take needs no crews; an arrival does
                                ) if max(c.stall_min_orders, c.stall_take_min_orders,
                                         c.stall_take_own_min_orders) > 0 else None
        """Departments' open checks and habits (fed by the scope stage): :meth:`_stalls`."""
        self.work = (WorkWatch(c.work_rate_ratio, min_habit=c.work_min_habit, forget=c.work_forget,
                               window=c.work_window, ceiling=1.5 * (c.work_rise_exempt or c.work_threshold),
                               alarm_ratio=c.work_alarm_ratio, alarm_null=c.work_alarm_null,
                               alarm_ceiling=1.5 * (c.work_threshold or c.work_rise_exempt))
                     if max(c.work_threshold, c.work_rise_exempt) > 0 else None)
        """Departments' jobs on site and their habit (fed by the scope stage): :meth:`_work` (its alerts, if
        ``work_threshold``) and :meth:`_crews_slow` (the lag rule's cold start, if ``work_rise_exempt``)."""
        self.receive_wait = (ReceiveWaitWatch(c.receive_wait_shift, c.receive_wait_threshold,
                                              stale_s=c.receive_wait_alone_gap_min * 60.0)
                             if c.receive_wait_threshold > 0 else None)
        """Regions' receive waits and their habit (fed by the scope stage): :meth:`_receive_evidence`."""
        self.staffing = (StaffingWatch(self._utc_offset_h, arrivals_floor=c.staffing_arrivals_floor,
                                       min_orders=c.staffing_min_orders,
                                       recent_windows=(tuple(c.staffing_recent_windows)
                                                       if c.staffing_recent_ref_min > 0 else ()),
                                       recent_ref_s=c.staffing_recent_ref_min * 60.0,
                                       recent_share=c.staffing_recent_share,
                                       recent_min_orders=c.staffing_recent_min_orders,
                                       recent_min_gone=c.staffing_recent_min_gone,
                                       recent_long_windows=tuple(c.staffing_recent_long_windows))
                         if c.staffing_evidence > 0 else None)
        """Regions' receive agents per hour and their habit (fed by the scope stage): :meth:`_short_staffed`."""
        self.desk_share = (DeskShareWatch(c.desk_share_allowance, c.desk_share_min_orders,
                                          utc_offset_h=self._utc_offset_h, below=c.desk_share_below)
                           if c.desk_share_alone > 0 else None)
        """Regions' share of the province's receive agents per hour (fed by the scope stage): :meth:`_desk_shrinking`."""
        self.paced: dict[tuple[str, str], float] = {}
        """Per (department, stage): when the pace gate last held back a lag verdict of it (``lag_pace_minutes``)."""
        self._arrivals30 = 0.0   # the province's arrivals in the last 30 min (this tick)
        self._plans: dict[tuple[str, str], _ScopePlan] = {}
        self._plan_list: tuple[dict[Any, Any], int, list[_ScopePlan]] | None = None

    def _normal(self, key: tuple[Any, ...], default: float) -> float:
        """The learned normal of ``key``'s baseline (``default`` before it has one)."""
        b = self.baselines.get(key)
        return b.mean if b is not None else default

    def _b(self, key: tuple[Any, ...]) -> Baseline:
        b = self.baselines.get(key)
        if b is None:
            b = self.baselines[key] = Baseline()
        return b

    def _verdict(self, t: float, key: tuple[Any, ...], want: str | None, out: list[Condition], *, kind: str,
                 scope: dict[str, str], stage: str | None, score: float,
                 describe: Callable[[], tuple[str, dict[str, Any]]], sequential: bool = False,
                 hold_minutes: int | None = None) -> None:
        d = self.debounce.get(key)
        if d is None:
            if want is None:
                return
            d = self.debounce[key] = Debounce()
        hold = (hold_minutes if hold_minutes is not None else
                self.cfg.sequential_hold_minutes if sequential or kind in SEQUENTIAL_KINDS
                else self.cfg.hold_minutes)
        changed, tier = d.step(want, t, hold * 60.0, self.cfg.clear_minutes * 60.0)
        if tier is not None:
            self.last[key] = {"kind": kind, "scope": scope, "stage": stage, "tier": tier, "score": score}
        if changed:
            summary, evidence = describe()
            if tier is None:
                self.last.pop(key, None)
                summary = f"{scope_zh(scope)} {KIND_ZH.get(kind, kind)}已恢复正常；" + summary
            out.append(Condition(kind=kind, scope=scope, tier=tier, ts=t, stage=stage, score=score,
                                 summary=summary, evidence=evidence))

    def _plan(self, key: tuple[str, str], sc: Any) -> _ScopePlan:
        plan = self._plans.get(key)
        if plan is None or plan.sc is not sc:
            plan = self._plans[key] = _ScopePlan(self, key[0], key[1], sc)
            if key[0] == "department":
                for stage in STAGES:
                    self._dept_stage[(key[1], stage)] = sc.stages[stage]
        return plan

    def _alert_plans(self, scopes: dict[tuple[str, str], Any]) -> list[_ScopePlan]:
        """The plans of the alert scopes among ``scopes``, in their order; remade only when a scope was added
        (the scope stage only ever adds scopes to its dict, never replaces one: a checkpoint makes a new stage)."""
        cached = self._plan_list
        if cached is not None and cached[0] is scopes and cached[1] == len(scopes):
            return cached[2]
        plans = [self._plan(key, sc) for key, sc in scopes.items() if key[0] in ALERT_SCOPES]
        self._plan_list = (scopes, len(scopes), plans)
        return plans

    def evaluate(self, t: float, scopes: dict[tuple[str, str], Any]) -> list[Condition]:
        out: list[Condition] = []
        cfg = self.cfg
        total = scopes.get(("total", "all"))
        total_neg = total.window("neg_hi", 60) if total is not None else 0.0
        total_texts = total.window("texts", 60) if total is not None else 0.0
        province_frac = total_neg / total_texts if total_texts >= 50 else 0.0
        total_faults = total.window("faults", 30) if total is not None else 0.0
        prior = self._province_topics(total) if total is not None and self.topic_names else {}
        floors = (self._province_topic_now(total) if total is not None and self.topic_names and cfg.topic_province_floor
                  else {})
        if total is not None and cfg.lag_cusum_threshold > 0 and cfg.lag_cusum_province:
            self._province_lag(total)
        self._arrivals30 = total.window("arrivals", 30) if total is not None else 0.0
        if total is not None and cfg.lag_province_rise != "off":
            self._province_rise(total, scopes)
        forecast = cfg.forecast_enabled
        for plan in self._alert_plans(scopes):
            skind, name, scope, sc = plan.skind, plan.name, plan.scope, plan.sc
            if skind == "channel":
                self._reclass(t, name, scope, sc, total, out)
                continue
            risk_total = self._lags(t, plan, out, forecast)
            if skind == "department":
                self._bounces(t, plan.rate_keys["bounce"], name, scope, sc, out)
                continue
            # skind == "region"
            if self.receive_wait is not None and self._arrivals30 >= 20:
                # the region's usual share of the province's new orders (receive-wait evidence needs it)
                ushare = self._b(("arrshare", name))
                share = sc.window("arrivals", 30) / self._arrivals30
                # winsorised after warm-up: a burst of customers does not teach it that the burst is usual
                cap = cfg.receive_wait_max_lift * ushare.mean
                ushare.learn(share if ushare.n < cfg.warmup_ticks or share < cap else cap)
            self._watch_series(t, plan, sc, risk_total, out)
            # the region's share of the province's fault reports: the daily rhythm cancels out
            faults = sc.window("faults", 30)
            # (learned whenever the province has faults to share; judged once the region has a few itself)
            fshare = faults / total_faults if total_faults >= 10 else None
            # reports of one large outage (hundreds of customers) are the surge itself, at night too, when the
            # province has too few reports for a share to say anything
            large = sc.window("outages", 30) if cfg.outage_reports > 0 else 0.0
            # a share of 33 night reports moves by chance more than its spread learned over busy hours allows: at
            # ten times the public streams' volume 9 of 33 for a 14 % region read as a surge. The bar stands
            # surge_sampling_z binomial deviations at the province's count above normal
            usual = self._normal(plan.rate_keys["surge"], 0.0)
            margin = binomial_margin(usual, total_faults, cfg.surge_sampling_z) if fshare is not None else 0.0
            self._rate(t, plan.rate_keys["surge"], fshare, out, kind="arrival_surge", scope=scope, stage="feedback",
                       z=cfg.surge_z, floor=0.05, ratio=True, what="在全省 30 分钟故障报修中的占比",
                       judge=faults >= cfg.surge_min_faults, margin=margin,
                       force="yellow" if large >= cfg.outage_reports > 0 else None,
                       note=(f"；30 分钟内 {large:.0f} 起报修称大面积停电（≥ {cfg.outage_customers:.0f} 户）"
                             if large else ""),
                       extra=lambda sc=sc, faults=faults, large=large: {
                           "faults_30min": int(faults), "province_faults_30min": int(total_faults),
                           "affected_customers_30min": int(sc.window("affected", 30)),
                           "large_outage_reports_30min": int(large)})
            # how much angrier the region's customers write than the province's: share of strongly negative
            # texts in the region ÷ the same share province-wide (1 = as usual; the daily rhythm cancels out)
            neg, texts = sc.window("neg_hi", 60), sc.window("texts", 60)
            lift = (neg / texts) / province_frac if (province_frac and texts >= cfg.sentiment_min_texts) else None
            # the same for the share of angry texts: at night 18 of 82 in a region (1.7 times the province's share,
            # 2.6 binomial deviations) crossed a spread learned over busy hours (a false alarm at 20 times the
            # public volume). The bar stands sentiment_sampling_z binomial deviations of the lift above its normal
            # (the share's margin at the normal lift, in units of the province's share)
            margin = (binomial_margin(self._normal(plan.rate_keys["sentiment"], 1.0) * province_frac, texts,
                                      cfg.sentiment_sampling_z) / province_frac if lift is not None else 0.0)
            self._rate(t, plan.rate_keys["sentiment"], lift, out, kind="sentiment_drop", scope=scope,
                       stage="receive", z=cfg.sentiment_z, floor=cfg.sentiment_min_lift, ratio=True, margin=margin,
                       what="强烈负面客户文本占比为全省的",
                       extra=lambda sc=sc, neg=neg: {
                           "negative_texts_60min": neg, "province_negative_texts_60min": total_neg,
                           "texts_60min": sc.window("texts", 60), "threats_60min": sc.window("threats", 60)})
            if self.topic_names:
                self._topics(t, name, scope, sc, out, prior, plan, floors)
        if self.stall is not None:
            self._stalls(t, out)
        if self.work is not None:
            if cfg.work_threshold > 0:
                self._work(t, out)
            else:
                self.work.step(t)   # evidence only (the lag rule's cold start reads it)
        return out

    def _work(self, t: float, out: list[Condition]) -> None:
        """``breach_forecast`` (feedback) for departments whose crews finish almost none of the on-site jobs they
        have open normally yield (detectors/work.py, its alarm test): crews tied up now are the missed arrival
        deadlines of the next hour. Yellow once the evidence held ``work_hold_minutes``; kept while it stays
        above half the threshold."""
        cfg = self.cfg
        watch = self.work
        assert watch is not None
        live = watch.step(t)
        keys = set(live)
        keys.update(k[1] for k in self.debounce if k[0] == "work")
        thr = cfg.work_threshold
        alarms = watch.alarm
        for dept in sorted(keys):
            key = ("work", dept)
            d = self.debounce.get(key)
            if d is None and alarms.get(dept, 0.0) < thr:
                continue   # not hot (its alarm is s.alarm below) and no verdict to clear: skip the evidence
            s = watch.slowed(dept, t)
            firing = d is not None and d.tier is not None
            hot = s is not None and s.past_habit >= cfg.work_min_orders and (
                s.alarm >= thr or (firing and s.alarm >= thr / 2))
            if hot and self._stall_says(dept):
                hot = False   # the stall watch already says it (same kind and scope: one alert)
            want = "yellow" if hot else None
            if want is None and d is None:
                continue

            def describe(s: Any = s, dept: str = dept) -> tuple[str, dict[str, Any]]:
                if s is None or not hot:
                    return f"{scope_zh({'department': dept})} 现场处理已恢复正常节奏", {"department": dept}
                return (f"{scope_zh({'department': dept})} 现场处理明显变慢：在现场 {s.open} 单，{s.past_habit} 单已超过其通常用时"
                        f"（约 {s.habit_min:.0f} 分钟，最久 {s.oldest_min:.0f} 分钟），近 1 小时完成 {s.done_60min} 单，"
                        f"按平时应完成约 {s.expected_60min:.1f} 单：抢修力量被占用，后续报修到场将超时",
                        {"department": dept, "onsite": s.open, "onsite_past_habit": s.past_habit,
                         "habit_min": round(s.habit_min, 1), "oldest_onsite_min": round(s.oldest_min, 1),
                         "done_60min": s.done_60min, "expected_done_60min": round(s.expected_60min, 2),
                         "cusum": round(s.alarm, 2), "threshold": thr, "slower_cusum": round(s.statistic, 2)})
            self._verdict(t, key, want, out, kind="breach_forecast", scope={"department": dept}, stage="feedback",
                          score=s.alarm if s is not None else 0.0, describe=describe,
                          hold_minutes=cfg.work_hold_minutes)

    def _crews_slow(self, dept: str, t: float) -> bool:
        """The department's crews finish on-site jobs slower than their habit (detectors/work.py evidence at
        least ``work_rise_exempt``, with ``work_min_orders`` jobs past its median): its feedback lag is its own,
        not the province's busy hour, so the province's rise does not raise its threshold."""
        watch = self.work
        exempt = self.cfg.work_rise_exempt
        if watch is None or exempt <= 0 or watch.stat.get(dept, 0.0) < exempt:   # the cheap test first
            return False
        s = watch.slowed(dept, t)
        return s is not None and s.past_habit >= self.cfg.work_min_orders

    def _stall_says(self, dept: str) -> bool:
        d = self.debounce.get(("stall", dept, "feedback"))
        return d is not None and d.tier is not None

    def _stalls(self, t: float, out: list[Condition]) -> None:
        """``breach_forecast`` for departments that have stopped completing a check they normally complete
        quickly (detectors/stall.py): orange once one of the waiting orders has used 75 % of its deadline."""
        watch = self.stall
        # only a department with enough open checks can be stalled; one with a verdict may need to clear
        keys = watch.candidates()
        keys.update(k[1:] for k in self.debounce if k[0] == "stall")
        for dept, check in sorted(keys):
            s = watch.stalled(dept, check, t)
            want = None if s is None else ("orange" if s.worst_share >= 0.75 else "yellow")
            key = ("stall", dept, check)
            if want is None and key not in self.debounce:
                continue
            stage = CHECK_STAGE.get(check, "decompose")

            def describe(s: Any = s, dept: str = dept, check: str = check) -> tuple[str, dict[str, Any]]:
                if s is None:
                    return f"「{CHECK_ZH.get(check, check)}」已恢复办理", {"department": dept, "check": check}
                breach = (f"预计 {s.first_breach_min:.0f} 分钟后首单超时" if s.first_breach_min > 0
                          else "已有工单超时")
                return (f"{scope_zh({'department': dept})}「{CHECK_ZH.get(check, check)}」通常 {s.habit_min:.0f} 分钟内完成，"
                        f"现有 {s.waiting} 单已等待"
                        f"超过其惯常用时（最久 {s.oldest_wait_min:.0f} 分钟），{s.quiet_min:.0f} 分钟内无一办结：{breach}",
                        {"department": dept, "check": check, "waiting_past_habit": s.waiting, "open": s.open,
                         "habit_min": round(s.habit_min, 1), "oldest_wait_min": round(s.oldest_wait_min, 1),
                         "minutes_since_last_done": round(s.quiet_min, 1),
                         "minutes_to_breach": round(s.first_breach_min, 1), "max_share_used": round(s.worst_share, 3)})
            self._verdict(t, key, want, out, kind="breach_forecast", scope={"department": dept}, stage=stage,
                          score=float(s.waiting if s is not None else 0), describe=describe)

    def _province_lag(self, total: Any) -> None:
        """The province's share, over the last hour, of short checks reaching half their deadline among those
        that reached it or closed before it, per stage: the floor of every scope's sequential lag test."""
        sums = self._province_sums
        if sums is None:   # first tick (after a checkpoint refilled the history): sum it once
            sums = self._province_sums = {stage: [sum(h for h, _ in hist), sum(q for _, q in hist)]
                                          for stage, hist in self._province_half.items()}
        for stage, hist in self._province_half.items():
            st = total.stages[stage]
            hq = sums[stage]
            if len(hist) == hist.maxlen:   # the minute leaving the hour
                gone_half, gone_quick = hist[0]
                hq[0] -= gone_half
                hq[1] -= gone_quick
            hist.append((st.half_last, st.quick_last))
            hq[0] += st.half_last
            hq[1] += st.quick_last
            half = hq[0]
            trials = half + hq[1]
            self.province_half_share[stage] = half / trials if trials >= 30 else None

    def _province_rise(self, total: Any, scopes: dict[tuple[str, str], Any]) -> None:
        """Per stage and region, the rest of the province's order-minutes at risk now ÷ their recent normal
        (the province's own baseline less the region's): the seasonal view a scope lacks before its hour-of-day
        baselines have seen an hour (a stream's first morning), and ('always') a floor after them, which know a
        day or two only (a second day busier everywhere than the first). The region itself is left out, so its
        own incident does not raise the bar it is judged against; a department counts as its region."""
        rise = self.rest_rise
        rise.clear()
        cap = self.cfg.lag_province_rise_max
        floor = self.cfg.risk_minutes_floor
        regions = [p for p in self._alert_plans(scopes) if p.skind == "region"]
        for stage in STAGES:
            now = float(sum(total.stages[stage].risk_hist))
            pb = self._b(("province_lag", stage))
            ready = pb.n >= self.cfg.warmup_ticks
            mean = pb.mean
            pb.learn(now)
            if not ready:
                continue
            for p in regions:
                rb = self.baselines.get(("lag", "region", p.name, stage))
                rest_mean = mean - (rb.mean if rb is not None else 0.0)
                if rest_mean < floor:
                    continue   # the rest of the province is too quiet for a ratio to mean anything
                f = (now - float(sum(p.sc.stages[stage].risk_hist))) / rest_mean
                if f > 1.0:
                    rise[(stage, p.name)] = f if f < cap else cap

    def _lags(self, t: float, plan: _ScopePlan, out: list[Condition], forecast: bool = False) -> int:
        """:meth:`_lag` (and :meth:`_forecast` if enabled) for each stage of a region or department; returns the
        scope's order-minutes at risk summed over its stages (an integer: the anomaly detector's third series)."""
        cfg = self.cfg
        warmup = cfg.warmup_ticks
        floor = cfg.risk_minutes_floor
        debounce = self.debounce
        series = self.series
        skind = plan.skind
        total = 0
        lag_th = cfg.lag_cusum_threshold
        province = self.province_half_share if cfg.lag_cusum_province else None
        hourly = cfg.lag_hourly
        local = t + self._utc_offset_h * 3600.0
        day, hour = int(local // 86400.0), int(local % 86400.0 // 3600.0)
        zero_thr = self._zero_threshold
        rise_mode = cfg.lag_province_rise
        rise = self.rest_rise if rise_mode != "off" and skind in cfg.lag_province_rise_scopes else None
        level = skind in cfg.lag_province_rise_level_scopes
        dept = skind == "department" and cfg.work_rise_exempt > 0
        region = plan.name if skind == "region" else self.dept_region.get(plan.name, "")
        for w in plan.lags:
            stage, st, key, b = w.stage, w.st, w.key, w.baseline
            hot = False
            if lag_th > 0:
                c = w.cusum
                if c is None:
                    c = w.cusum = self._lag_cusum(key)
                trials = st.half_last + st.quick_last
                # a minute without trials leaves the statistic as it is (ShareCusum.update returns at once)
                stat = (c.update(st.half_last, trials, floor=province[stage] if province is not None else None)
                        if trials > 0 else c.statistic)
                hot = ((stat >= lag_th or (stat >= cfg.receive_wait_lag_share * lag_th and stage == "receive"
                                           and skind == "region" and (self._receive_evidence(plan, t)
                                                                      or self._short_staffed(plan, t,
                                                                                             recent=True))))
                       and st.short[0] >= cfg.lag_cusum_min_orders and b.n >= warmup
                       and st.short[0] >= cfg.min_share_at_risk * st.short_open)
            if not hot and stage == "receive" and skind == "region" and b.n >= warmup:
                hot = self._desk_alone(plan, t, st)
            irisk = sum(st.risk_hist)
            total += irisk
            risk = float(irisk)
            h: Baseline | None = None
            if hourly:
                hours = w.hours
                if hours is None:
                    hours = w.hours = self._hours(key)
                hb = hours[hour]
                if hb is None:
                    hb = hours[hour] = (Baseline(alpha=HOURLY_ALPHA), day)
                h = hb[0]
            # a stage that has never had an order at risk (most departments' receive stage, quiet desks): its
            # baselines stay exactly zero and learning another zero only counts the minute
            quiet = not irisk and not hot and zero_thr > 0.0 and b.untouched() and (h is None or h.untouched())
            if quiet:
                thr = zero_thr
                if h is not None:
                    h.n += 1
            else:
                thr = b.threshold(4.0, floor)
                seasonal = False
                if h is not None:
                    # the same hour of earlier days: a scope that is this pressed every morning is not news
                    if h.n >= HOURLY_MIN and hb[1] < day:   # learned on an earlier day, not the last few minutes
                        thr = max(thr, h.threshold(4.0, floor))
                        seasonal = True
                if rise and (rise_mode == "always" or not seasonal):
                    # the rest of the province's rise: in place of the hour-of-day view before it exists, and as
                    # a floor after ('always'); not for a department whose crews are slow on site (its arrival
                    # lag is its own)
                    f = rise.get((stage, region))
                    if f is not None and not (dept and stage == "feedback" and self._crews_slow(plan.name, t)):
                        thr = max(thr, b.threshold_risen(4.0, floor, f) if level else f * b.threshold(4.0, floor))
                if h is not None and ((h.n < warmup and not seasonal) or (
                        (h.n < warmup or risk < thr) and not is_firing(debounce.get(key)))):
                    # only calm minutes: an incident in progress must not raise the bar it is judged against
                    # (learned at the threshold, a one-hour baseline of ~60 minutes a day climbed 8 -> 15 in
                    # 25 minutes of public-2's understaffed desk). Warming up (its first two days) every minute;
                    # once it judges (the second day) not those of the scope's own alert: learned raw, they raised
                    # the bar under public-2's slowed repair desk until its alert cleared, back at the next hour
                    h.learn(risk)
            if series is not None:
                series.append((t, "lag", skind, plan.name, stage, risk, thr))
            n = b.n
            if n >= warmup and (risk >= thr or hot):
                self._lag(t, plan, stage, st, key, b, risk, thr, out, hot=hot)   # judges, then learns
            else:
                # the common case, a calm scope: learn, and let a pending or firing verdict see the calm minute
                d = debounce.get(key)
                if quiet:
                    b.n += 1
                elif n >= warmup and is_firing(d):
                    b.learn_bounded(risk, 4.0, floor)   # below the bar, but its alert still on: the incident's tail
                else:
                    b.learn(risk)
                if d is not None and not d.idle():
                    self._lag(t, plan, stage, st, key, b, risk, thr, out, calm=True)
            if forecast:
                self._forecast(t, skind, plan.name, plan.scope, stage, st, out)
        return total

    def _wait_evidence(self, skind: str, name: str, stage: str, t: float) -> dict[str, Any]:
        """What the receive-wait watch says of a region's receive stage (for a lag alert's evidence)."""
        watch = self.receive_wait
        if watch is None or skind != "region" or stage != "receive":
            return {}
        usual = watch.usual_wait_min(name, "direct0")
        return {"receive_wait_cusum": round(watch.statistic(name), 2), "recent_waits_min": watch.last_waits(name),
                "usual_hotline_wait_min": round(usual, 2) if usual is not None else None,
                "receive_behind_min": round(watch.behind_s(name, t) / 60.0, 1), **self._staff_evidence(name, t)}

    def _staff_evidence(self, name: str, t: float) -> dict[str, Any]:
        """What the staffing and desk-share watches say of a region's receive desk (for a lag alert's evidence)."""
        out: dict[str, Any] = {}
        share = self.desk_share
        share_ev = share.evidence(name, t) if share is not None else 0.0
        if share is not None and share_ev >= self.cfg.desk_share_alone:
            now_usual = share.shares(name, t)
            if now_usual is not None:
                out = {"desk_share_evidence": round(share_ev, 2),
                       "agent_share_pct": round(100.0 * now_usual[0], 1),
                       "usual_agent_share_pct": round(100.0 * now_usual[1], 1)}
        watch = self.staffing
        if watch is None:
            return out
        ev, agents, usual, orders = watch.judged(name, t)
        recent = watch.recent(name, t)
        if recent[0] > ev and recent[0] >= self.cfg.staffing_evidence:
            # the recent test says more: the agents of the last minutes against the half hour before them
            return {**out, "receive_agents": recent[1], "usual_receive_agents": recent[2],
                    "accepted_counted": recent[3], "staffing_evidence": round(recent[0], 2),
                    "staffing_window_min": recent[4]}
        if ev < self.cfg.staffing_evidence:   # only when it backs the verdict (a calm desk's alerts stay as they were)
            return out
        return {**out, "receive_agents": agents, "usual_receive_agents": usual, "accepted_counted": orders,
                "staffing_evidence": round(ev, 2)}

    def _receive_evidence(self, plan: _ScopePlan, t: float, threshold: float | None = None) -> bool:
        """The region's accepted orders have waited longer than its habit, one after another
        (detectors/receive_wait.py), while its share of the province's new orders is not above usual: the
        queue grows because agents went away, not because customers came — the sequential lag test may then
        turn yellow on less of its own evidence (``receive_wait_lag_share`` of its threshold)."""
        watch = self.receive_wait
        if watch is None or watch.statistic(plan.name) < (threshold or self.cfg.receive_wait_threshold):
            return False
        if watch.age_s(plan.name, t) < self.cfg.receive_wait_warmup_h * 3600.0:
            return False   # a habit that has not seen every hour of the day yet (a first afternoon's peak)
        province = self._arrivals30
        if province < 20:   # too few orders in the province for a share (night): waits alone do not say it
            return False
        usual = self._b(("arrshare", plan.name))
        if usual.n < self.cfg.warmup_ticks or usual.mean <= 0:
            return False
        # the region's new orders of the last 30 min against its usual share of the province's, with room for
        # chance (Poisson: two deviations): only a burst clearly above it explains the queue
        expected = self.cfg.receive_wait_max_lift * usual.mean * province
        return plan.sc.window("arrivals", 30) <= expected + 2.0 * math.sqrt(expected)

    def _desk_alone(self, plan: _ScopePlan, t: float, st: Any) -> bool:
        """A region's receive desk is in trouble on the evidence of its own watches, without the sequential lag
        test: its waits behind for hours, agents missing beyond doubt or slid against the province's (each with
        an order past 75 % of its deadline now), or most of the desk gone in the last minutes with as many
        customers coming (with ``staffing_recent_orders`` orders past half their deadline)."""
        cfg = self.cfg
        near = st.short[1] >= 1
        return ((near and cfg.receive_wait_alone > 0 and self._wait_behind(plan, t))
                or (near and cfg.staffing_alone > 0 and self._short_staffed(plan, t, cfg.staffing_alone))
                or (cfg.staffing_recent_alone > 0 and st.short[0] >= cfg.staffing_recent_orders
                    and self._desk_cut(plan, t))
                or (near and cfg.desk_share_alone > 0 and self._desk_shrinking(plan, t)))

    def _short_staffed(self, plan: _ScopePlan, t: float, threshold: float | None = None,
                       recent: bool = False) -> bool:
        """Fewer agents have accepted the region's orders this hour than the same hour of an earlier day had, for as
        many orders (detectors/staffing.py evidence at least ``staffing_evidence``): its desk has lost capacity
        that the queue will show later — the sequential lag test may then turn yellow on less of its own evidence
        (``receive_wait_lag_share`` of its threshold), like on receive waits; at ``staffing_alone`` an order past
        75 % of its deadline is enough (a desk planned with room to spare shows few such orders until its shift
        has shrunk a long way: gradual_drift on the generalisation streams, 3 held-out ones found only so).
        ``recent``: the recent test's evidence counts too (backing the lag test, whose own evidence keeps a chance
        run of one agent's orders from alerting; not for ``staffing_alone``, whose one order past 75 % a desk's
        forgotten orders satisfy for days)."""
        watch = self.staffing
        if watch is None:
            return False
        thr = threshold or self.cfg.staffing_evidence
        return watch.evidence(plan.name, t) >= thr or (recent and watch.recent(plan.name, t)[0] >= thr)

    def _desk_cut(self, plan: _ScopePlan, t: float) -> bool:
        """The staffing watch's recent test (detectors/staffing.py): the region's orders of the last minutes were
        taken by at most ``staffing_recent_share`` of the agents of the half hour before, beyond chance (evidence
        at least ``staffing_recent_alone``), with as many customers coming — a desk cut mid-shift, seen within
        minutes of the cut instead of at the next clock hour."""
        watch = self.staffing
        return watch is not None and watch.recent(plan.name, t)[0] >= self.cfg.staffing_recent_alone

    def _desk_shrinking(self, plan: _ScopePlan, t: float) -> bool:
        """The region's share of the province's receive agents has slid below its level hour after hour, beyond
        what its share of orders fell (detectors/desk_share.py evidence at least ``desk_share_alone``): a desk
        losing agents, seen against the rest of the province from the first day on, when the staffing watch has
        no earlier day of the same kind and the receive waits no day of habit (gradual drift on a stream's first
        day)."""
        watch = self.desk_share
        return watch is not None and watch.evidence(plan.name, t) >= self.cfg.desk_share_alone

    def _wait_behind(self, plan: _ScopePlan, t: float) -> bool:
        """The region's receive desk has stayed behind its habit for hours (detectors/receive_wait.py evidence at
        least ``receive_wait_alone`` now, and at ``receive_wait_threshold`` or more for ``receive_wait_alone_min``)
        under the conditions of :meth:`_receive_evidence`: capacity lost slowly — a shift that shrinks hour by
        hour — shows as a desk that never catches up, while at any one minute too few orders near their deadlines
        for the sequential lag test (public-2's creeping desk: behind from 01:00, two orders at a time, the first
        breach at 06:59). A burst's queue clears within the hour, an understaffed shift is the lag test's."""
        watch = self.receive_wait
        cfg = self.cfg
        return (watch is not None and watch.behind_s(plan.name, t) >= cfg.receive_wait_alone_min * 60.0
                and self._receive_evidence(plan, t, cfg.receive_wait_alone))

    def _lag(self, t: float, plan: _ScopePlan, stage: str, st: Any, key: tuple[Any, ...], b: Baseline,
             risk: float, thr: float, out: list[Condition], calm: bool = False, hot: bool = False) -> None:
        """Open orders of the scope's stage past half their deadline, summed over the last ten minutes
        ("order-minutes at risk"), against the scope's own normal; the tier follows how far they have got.
        ``risk`` and ``thr`` come from :meth:`_lags`; ``calm``: no verdict possible, already learned."""
        cfg = self.cfg
        skind, name, scope = plan.skind, plan.name, plan.scope
        at50, at75, at90, at100 = st.short
        short_open = st.short_open
        strays, stray_at = 0, (0, 0, 0, 0)
        stray_check = STRAY_CHECK.get(stage)
        if (stray_check is not None and skind == "department" and cfg.lag_stray_share > 0 and self.stall is not None
                and at50):
            # its own orders: misrouted repairs waiting at a marketing desk are late for being in the wrong place
            # (each has its own order alert), not for the desk's pace. At ten times the public streams' volume
            # 3-4 of them at once made marketing and metering desks "lag" (4 of 11 false alarms); at twenty times,
            # consultations misrouted to a repair desk (6 % of its takes, taken after 18-25 min where its repairs
            # wait 2) made its take "lag" (4 of 7)
            strays, levels = self.stall.strays(name, stray_check, t, cfg.lag_stray_share)
            if strays:
                stray_at = tuple(min(a, s) for a, s in zip(st.short, levels))
                at50, at75, at90, at100 = (a - s for a, s in zip(st.short, stray_at))
                short_open = max(0, short_open - strays)
        want: str | None = None
        frac = at50 / short_open if short_open else 0.0
        if not calm and b.n >= cfg.warmup_ticks and risk >= thr and at50 >= 1 and frac >= cfg.min_share_at_risk:
            want = "blue"
            if at75 >= cfg.yellow_orders:
                want = "yellow"
            if at90 >= cfg.orange_orders:
                want = "orange"
            if at100 >= cfg.red_orders:
                want = "red"
            if TIER_RANK[want] < TIER_RANK[cfg.lag_min_tier]:
                want = None
        if hot and not calm and TIER_RANK[want] < TIER_RANK["yellow"] and not (stray_at[0] and at50 < 1):
            # the share of checks reaching half their deadline has risen (sequential evidence) — unless every one
            # of them is a stray (the rise is theirs)
            want = "yellow"
        if (want == "yellow" and skind == "department" and stage != "receive" and cfg.lag_pace_minutes > 0
                and at90 < cfg.orange_orders):
            # the stage's queue is not growing while it clears orders: a burst working off at a desk or crews
            # that keep their pace is no new alert (a firing one stays; orange's and red's counts, orders failed
            # en masse, are news whatever the pace). Only where the feed says what the department is sent
            # (dispatches to it, its desk's checks)
            desk = next(w.st for w in plan.lags if w.stage == "decompose")
            if desk.span_n and keeps_pace(st.backlog_hist, st.closed_hist, cfg.lag_pace_minutes,
                                          cfg.lag_pace_min_closed, routed=desk.opened_hist if st is desk else None):
                if not is_firing(self.debounce.get(key)):
                    want = None
                    self.paced[(name, stage)] = t   # its region's alert would only repeat the burst
        if want is not None and skind == "region" and self._covering_department(name, stage, at50, t) is not None:
            want = None
        if not calm:
            if is_firing(self.debounce.get(key)):
                # its alert is on: the incident is learned with bounded influence, so it cannot teach the baseline
                # that it is normal, and a lasting level still can. Learned at the threshold, gen-16's slowed repair
                # desk's went 22 -> 368 in 5 hours: its alert cleared with 6 orders overdue and came back with 61
                b.learn_bounded(risk, 4.0, cfg.risk_minutes_floor)
            else:
                # pressure the rule has not called an incident: blue (a single long order past half its deadline in
                # a quiet department), a burst worked off at pace, a region whose department alerts, the minutes a
                # verdict holds — winsorised at the bar as before. Learned with bounded influence too, such minutes
                # added 11 false alarms (3 fewer) on the 20 generalisation streams: quiet desks' standing orders,
                # crossings by a hair that the bar rising under the hold used to outrun, late orders after an incident
                b.learn(min(risk, thr))
        if want is None and key not in self.debounce:
            return

        def describe() -> tuple[str, dict[str, Any]]:
            apart = (f"；另有 {stray_at[0]} 单非本部门常办类别（误派）已过半，不计入" if stray_at[0] else "")
            ev: dict[str, Any] = {"open": st.open, "open_short": short_open, "share_at_risk": round(frac, 3),
                                  "past_50pct": at50, "past_75pct": at75, "past_90pct": at90,
                                  "overdue": at100, "overdue_all": st.at[3], "order_minutes_at_risk_10min": risk,
                                  "baseline": round(b.mean, 2), "threshold": round(thr, 2),
                                  "time_in_stage_min": round(st.time_in_stage_min(), 1),
                                  "mean_deadline_min": round(st.mean_span() / 60.0, 1),
                                  **self._wait_evidence(skind, name, stage, t)}
            if strays:
                ev["strays_open"], ev["strays_past_50pct"] = strays, stray_at[0]
            return (f"{scope_zh(scope)} {STAGE_ZH[stage]}环节 {at50} 单已用时限过半"
                    f"（{at75} 单过 75%，{at100} 单超时；近 10 分钟风险单·分钟 {risk:.0f}，正常约 {b.mean:.1f}{apart}）",
                    ev)
        self._verdict(t, key, want, out, kind=LAG_KIND[stage], scope=scope, stage=stage, score=risk,
                      describe=describe, sequential=hot and 0 < cfg.lag_cusum_fast_orders <= at75)

    def _covering_department(self, region: str, stage: str, at50: int, t: float | None = None) -> str | None:
        """A department of ``region`` whose own lag alert on ``stage`` is on (or coming on), or that the pace gate
        judged a burst working off in the last two minutes (``lag_pace_minutes``), and that holds most (≥ 80 %) of
        the region's orders at risk: the region's alert would only repeat it, so it stays quiet."""
        if stage == "receive" or at50 <= 0:
            return None
        for dept, reg in self.dept_region.items():
            if reg != region:
                continue
            key = ("lag", "department", dept, stage)
            d = self.debounce.get(key)
            st = self._dept_stage.get((dept, stage))
            on = ((d is not None and (d.tier or d.candidate))
                  or (t is not None and t - self.paced.get((dept, stage), -math.inf) <= 120.0))
            if on and st is not None and st.short[0] >= 0.8 * at50:
                return dept
        return None

    def _watch_series(self, t: float, plan: _ScopePlan, sc: Any, risk_total: int, out: list[Condition]) -> None:
        """The incremental, seasonal-aware detector of ``yujing detect-series`` on each region's arrivals,
        backlog and order-minutes at risk (``risk_total``, from :meth:`_lags`). Scores go to the board;
        ``anomaly`` alerts only when enabled."""
        stages = sc.stages
        x_arrivals = sc.window("arrivals", 15)
        x_backlog = float(sum(st.open for st in stages.values()))
        x_risk = float(risk_total)
        series = plan.series
        if series is None:
            label = plan.label
            self.anomaly_scores.setdefault(label, {})
            series = plan.series = []
            for metric in ANOMALY_METRICS:
                det = self.anomaly.get((label, metric))
                if det is None:
                    det = self.anomaly[(label, metric)] = SeriesAnomalyDetector(utc_offset_h=self._utc_offset_h)
                series.append((metric, det))
        scores = self.anomaly_scores[plan.label]
        (m1, d1), (m2, d2), (m3, d3) = series
        s1, s2, s3 = d1.update(t, x_arrivals), d2.update(t, x_backlog), d3.update(t, x_risk)
        scores[m1], scores[m2], scores[m3] = round(s1, 3), round(s2, 3), round(s3, 3)
        if not self.cfg.anomaly_alerts:
            return
        values = {m1: x_arrivals, m2: x_backlog, m3: x_risk}
        worst, worst_metric = 0.0, ""
        for metric, score in ((m1, s1), (m2, s2), (m3, s3)):
            if score > worst:
                worst, worst_metric = score, metric
        skind, name, scope = plan.skind, plan.name, plan.scope
        key = ("anomaly", skind, name)
        want = "yellow" if worst >= self.cfg.anomaly_alert_score else None
        if want is None and key not in self.debounce:
            return
        self._verdict(t, key, want, out, kind="anomaly", scope=scope, stage=None, score=worst,
                      describe=lambda: (f"{scope_zh(scope)} {worst_metric} 异常（异常分 {worst:.2f}）",
                                        {"metric": worst_metric, "value": values.get(worst_metric),
                                         "scores": dict(scores)}))

    def _share(self, name: str, watch: str, hits_metric: str, trials_metric: str, sc: Any,
               total: Any, warm: int | None = None, floor: float | None = None) -> ShareCusum:
        """Feed the last closed minute of ``sc`` (and once of the province, the prior) to the ShareCusum
        watching ``hits_metric`` among ``trials_metric``; return the scope's CUSUM. ``warm``: trials the
        province's share needs before it is the prior (default: its CUSUM's warm-up); ``floor``: the share to
        test against is at least this (:meth:`ShareCusum.update`)."""
        prior = self._province_share(total, watch, hits_metric, trials_metric, warm=warm) \
            if total is not None else None
        c = self.topic_cusum.get((name, watch))
        if c is None:
            c = self.topic_cusum[(name, watch)] = self._new_cusum()
        closed = sc.hist[-1]
        if closed:   # else no trials: update would return at once
            last = dict(closed)
            trials = last.get(trials_metric, 0.0)
            if trials > 0:
                c.update(last.get(hits_metric, 0.0), trials, prior=prior, floor=floor)
        c.prior = prior
        return c

    def _bounces(self, t: float, key: tuple[Any, ...], name: str, scope: dict[str, str], sc: Any,
                 out: list[Condition]) -> None:
        """``reassignment_bounce``: a department's reassignments (转派退单) in 60 min against its normal, at its
        dispatch volume: with f times its usual dispatches (a morning peak, an outage's repairs) the count's normal
        is taken as risen f times, mean × f and spread × √f (``bounce_per_volume``; learned from the raw counts, so
        at the usual volume or below nothing changes). Judged raw, a large province's first morning peak read as
        bounce surges (7 of 14 false alarms at 5-10 times the public streams' volume)."""
        cfg = self.cfg
        bounces = sc.window("bounces", 60)
        lift = 1.0
        if cfg.bounce_per_volume:
            dispatched = sc.window("dispatches", 60)
            vol = self._b(("bounce_vol", name))
            if vol.n >= cfg.warmup_ticks and vol.mean > 0 and dispatched > vol.mean:
                lift = dispatched / vol.mean
            vol.learn(dispatched)
        self._rate(t, key, bounces, out, kind="reassignment_bounce", scope=scope, stage="decompose", z=5.0,
                   floor=float(cfg.bounce_min_count), what="1 小时内转派退单", scale=lift,
                   extra=(lambda: {"dispatch_lift": round(lift, 2)}) if lift > 1.0 else None)

    def _share_up(self, sc: Any, hits: str, trials: str, usual: float) -> bool:
        """The share of ``hits`` among ``trials`` over the last hour is at least ``reclass_min_ratio`` times
        ``usual``: a CUSUM's false alarms come per observation, so on a channel with ten times the contacts its
        threshold is reached ten times as often, on shares barely above the usual."""
        ratio = self.cfg.reclass_min_ratio
        if ratio <= 0:
            return True
        n = sc.window(hits, 60)
        return n > 0 and n >= ratio * usual * sc.window(trials, 60)

    def _rest_share(self, sc: Any, total: Any, hits: str, trials: str) -> float | None:
        """The share of ``hits`` among ``trials`` over the last 15 minutes in the rest of the province (the
        province without ``sc``: a step every channel shares is in it at once, as in the CUSUM's minutes); None
        with fewer than ``misfile_rest_min`` trials there."""
        if total is None:
            return None
        n = total.window(trials, 15) - sc.window(trials, 15)
        if n < self.cfg.misfile_rest_min:
            return None
        return max(0.0, total.window(hits, 15) - sc.window(hits, 15)) / n

    def _reclass(self, t: float, name: str, scope: dict[str, str], sc: Any, total: Any,
                 out: list[Condition]) -> None:
        """``reclassification``: the share of a channel's first dispatches that change the order's category has
        risen (a misclassification wave: CUSUM per minute, usual share shrunk toward the province's) — or, earlier,
        the share of its new contacts whose text reads as another category than the one filed (detectors/misfile.py:
        seen at filing, before any dispatch)."""
        cfg = self.cfg
        if not sc.hist or self.topic_minute.get("\x00reclass:" + name) == sc.minute:
            return
        self.topic_minute["\x00reclass:" + name] = sc.minute
        moved = self._share(name, "\x00reclass", "reclass", "dispatches", sc, total)
        key = ("reclass", name)
        firing = key in self.debounce and self.debounce[key].tier is not None
        n60, d60 = sc.window("reclass", 60), sc.window("dispatches", 60)
        evidence = moved.statistic / cfg.reclass_threshold   # 1 = enough to fire
        usual_moved = moved.usual(moved.prior)
        moved_up = self._share_up(sc, "reclass", "dispatches", usual_moved)
        hot = evidence >= 1.0 and n60 >= cfg.reclass_min_count and moved_up
        m60, c60 = sc.window("misfiled", 60), sc.window("judged", 60)
        misfiled = rest = None
        if cfg.misfile_threshold > 0:
            # the text model starts judging (300 labels) hours into a stream, every channel at once: a channel
            # without the province's share as its prior learns its own from its first verdicts, and a wave
            # under way then becomes its normal. The province judges several times as many contacts, so it
            # knows its share (a young model's higher one, too) within minutes
            rest = self._rest_share(sc, total, "misfiled", "judged") if cfg.misfile_rest_floor else None
            misfiled = self._share(name, "\x00misfile", "misfiled", "judged", sc, total,
                                   warm=cfg.misfile_prior_contacts or None, floor=rest)
            m_evidence = misfiled.statistic / cfg.misfile_threshold
            misfiled_up = self._share_up(sc, "misfiled", "judged", max(misfiled.usual(misfiled.prior), rest or 0.0))
            hot = hot or (m_evidence >= 1.0 and m60 >= cfg.reclass_min_count and misfiled_up)
            evidence = max(evidence, m_evidence)
            joint = cfg.reclass_joint_threshold
            if joint > 0:
                # two observers of the same channel agree: the texts of its new contacts read as other categories
                # AND its dispatchers are changing categories. Each alone is slow on a small channel (10-40
                # contacts an hour); their log-likelihood ratios add up — as long as each has a share of it, so
                # that one test's evidence (or the tail of an earlier wave) does not carry the other
                a, b = moved.statistic, misfiled.statistic
                both = min(a, b) >= joint / 4 and min(n60, m60) >= cfg.reclass_min_count / 2
                hot = hot or (both and a + b >= joint and (moved_up or misfiled_up))
                evidence = max(evidence, (a + b) / joint if both else 0.0)
        held = firing and evidence >= 0.5
        want = "yellow" if hot or held else None
        if want is None and key not in self.debounce:
            return

        def describe() -> tuple[str, dict[str, Any]]:
            # the test that carries the evidence leads the summary and the evidence (a message lists the first
            # eight figures, the board the first six); shares are the evidence's, read as the evidence reads them
            share, usual_r = (round(n60 / d60, 3) if d60 else 0.0), round(usual_moved, 3)
            ev = {"value": n60, "dispatches_60min": d60, "share_60min": share, "usual_share": usual_r,
                  "cusum": round(moved.statistic, 2), "threshold": cfg.reclass_threshold,
                  "bounces_60min": sc.window("bounces", 60)}
            parts = [f"近 1 小时派单 {d60:.0f} 件中改类 {n60:.0f} 件（{evidence_number('share_60min', share)}，"
                     f"平时约 {evidence_number('usual_share', usual_r)}）"]
            if misfiled is not None:
                m_share, m_usual = (round(m60 / c60, 3) if c60 else 0.0), round(misfiled.usual(misfiled.prior), 3)
                text = {"misfiled_60min": m60, "judged_contacts_60min": c60, "misfiled_share_60min": m_share,
                        "misfiled_usual_share": m_usual, "misfiled_cusum": round(misfiled.statistic, 2),
                        "misfiled_threshold": cfg.misfile_threshold}
                if cfg.reclass_joint_threshold > 0:
                    text["joint_threshold"] = cfg.reclass_joint_threshold
                if rest is not None:   # the floor it was tested against: the other channels' share right now
                    text["misfiled_rest_share_15min"] = round(rest, 3)
                said = (f"新受理 {c60:.0f} 件中 {m60:.0f} 件的客户描述与所填分类不符"
                        f"（{evidence_number('misfiled_share_60min', m_share)}，"
                        f"平时约 {evidence_number('misfiled_usual_share', m_usual)}）") if m60 else ""
                if misfiled.statistic > moved.statistic:
                    ev, parts = {**text, **ev}, [said, *parts]
                else:
                    ev, parts = {**ev, **text}, [*parts, said]
            summary = f"{scope_zh(scope)} " + "，".join(p for p in parts if p)
            return summary + "：受理分类可能集中出错，工单将被派错部门或退回", ev
        self._verdict(t, key, want, out, kind="reclassification", scope=scope, stage="decompose",
                      score=max(moved.statistic, misfiled.statistic if misfiled is not None else 0.0),
                      describe=describe)

    def _province_share(self, total: Any, watch: str, hits_metric: str, trials_metric: str,
                        last: dict[str, float] | None = None, warm: int | None = None) -> float | None:
        """The province's usual share of ``hits_metric`` among ``trials_metric`` (its own ShareCusum, fed once
        per closed minute): the prior of every scope's estimate of the same share, so a scope judges from its
        first hour and a wave early in its life is not learned as its normal. None while it is warming up
        (``warm`` trials, default its CUSUM's warm-up). ``last``: the province's last closed minute, if the
        caller already has it."""
        if not total.hist:
            return None
        p = self.topic_cusum.get(("\x00total", watch))
        if p is None:
            p = self.topic_cusum[("\x00total", watch)] = self._new_cusum()
        mkey = "\x00total" + watch
        if self.topic_minute.get(mkey) != total.minute:
            self.topic_minute[mkey] = total.minute
            tl = total.last_minute() if last is None else last
            trials = tl.get(trials_metric, 0.0)
            if trials > 0:   # else update would return at once
                p.update(tl.get(hits_metric, 0.0), trials)
        return p.p0 if p.trials >= (p.warmup_trials if warm is None else warm) else None

    def _province_topics(self, total: Any) -> dict[str, float]:
        """The province's usual share of angry contacts per topic (see :meth:`_province_share`)."""
        prior = {}
        last = total.last_minute()
        for topic, angry in self._angry_keys:
            p0 = self._province_share(total, topic, angry, "ctexts", last)
            if p0 is not None:
                prior[topic] = p0
        return prior

    def _lag_cusum(self, key: tuple[Any, ...]) -> ShareCusum:
        c = self.lag_cusum.get(key)
        if c is None:
            c = self.lag_cusum[key] = self.new_lag_cusum()
        return c

    def _hours(self, key: tuple[Any, ...]) -> list[tuple[Baseline, int] | None]:
        hb = self.hourly.get(key)
        if hb is None:
            hb = self.hourly[key] = [None] * 24
        return hb

    def new_lag_cusum(self) -> ShareCusum:
        return ShareCusum(odds_ratio=4.0, threshold=self.cfg.lag_cusum_threshold)

    def _new_cusum(self) -> ShareCusum:
        return ShareCusum(odds_ratio=self.cfg.topic_odds_ratio, threshold=self.cfg.topic_threshold)

    def _topic_cusums(self, topic_keys: tuple[tuple[str, str, str, tuple[str, str]], ...]) -> list[ShareCusum]:
        """The region's CUSUM per topic, in ``topic_keys`` order (made on first use; kept in the scope's plan,
        so that the minute's loop needs no lookups)."""
        cusums = self.topic_cusum
        out = []
        for _, _, _, ckey in topic_keys:
            c = cusums.get(ckey)
            if c is None:
                c = cusums[ckey] = self._new_cusum()
            out.append(c)
        return out

    def _province_topic_now(self, total: Any) -> dict[str, float]:
        """The province's angry contacts per topic and its contacts (``ctexts``) in the last hour: the rest of
        the province's share is the floor of every region's test (an afternoon when customers everywhere write
        angrier about bills is no evidence against one region)."""
        now = {topic: total.window(angry, 60) for topic, angry in self._angry_keys}
        now["ctexts"] = total.window("ctexts", 60)
        return now

    def _topics(self, t: float, name: str, scope: dict[str, str], sc: Any, out: list[Condition],
                prior: dict[str, float], plan: _ScopePlan | None = None,
                floors: dict[str, float] | None = None) -> None:
        """``topic_surge``: the share of the region's new contacts that are angry about one topic has risen
        (CUSUM per topic, per minute). One alert per region (its fingerprint is kind + scope), about the topic
        with the strongest evidence; the others that are surging too are listed in its evidence."""
        cfg = self.cfg
        if not sc.hist or self.topic_minute.get(name) == sc.minute:
            return  # once per closed minute, whatever the tick
        self.topic_minute[name] = sc.minute
        closed = sc.hist[-1]   # the last closed minute's non-zero (metric, value) pairs
        last = dict(closed) if closed else _EMPTY
        trials = last.get("ctexts", 0.0)
        key = ("topic", name)
        firing = key in self.debounce and self.debounce[key].tier is not None
        surging: list[tuple[float, str, float]] = []   # (evidence, topic, usual share)
        topic_keys = plan.topic_keys if plan is not None else tuple(
            (topic, "angry:" + topic, "topic:" + topic, (name, topic)) for topic in self.topic_names)
        cs = plan.topic_cusums if plan is not None else None
        if cs is None:
            cs = self._topic_cusums(topic_keys)
            if plan is not None:
                plan.topic_cusums = cs
        threshold, half = cfg.topic_threshold, cfg.topic_threshold / 2
        rest = floors["ctexts"] - sc.window("ctexts", 60) if floors and trials > 0 else 0.0
        for (topic, angry, _, _), c in zip(topic_keys, cs):
            # the rest of the province's share in the last hour is the least this region's is tested against
            floor = (floors[topic] - sc.window(angry, 60)) / rest if rest >= 50 else None
            # a minute without contacts leaves the statistic as it is (ShareCusum.update returns at once)
            stat = (c.update(last.get(angry, 0.0), trials, prior=prior.get(topic), floor=floor)
                    if trials > 0 else c.statistic)
            if stat < half:   # neither surging nor held: the common case
                continue
            if ((stat >= threshold and sc.window(angry, 60) >= cfg.topic_min_contacts)
                    or (firing and stat >= half       # hysteresis: hold while the wave lasts
                        and sc.window(angry, 60) >= cfg.topic_min_contacts / 2)):
                surging.append((stat, topic, c.usual(prior.get(topic))))
        # yellow: before any harm — the escalations of a wave come hours later
        want = "yellow" if surging else None
        if want is None and key not in self.debounce:
            return
        surging.sort(reverse=True)
        if surging:
            stat, topic, usual = surging[0]
            self.topic_shown[name] = topic
        else:
            topic = self.topic_shown.get(name, self.topic_names[0])
            stat, usual = 0.0, self.topic_cusum[(name, topic)].usual(prior.get(topic))

        def describe() -> tuple[str, dict[str, Any]]:
            hits60, texts60 = sc.window("angry:" + topic, 60), sc.window("ctexts", 60)
            share = round(hits60 / texts60, 3) if texts60 else 0.0
            usual_r = round(usual, 3)   # the evidence's values, read the same in the summary and the evidence
            return (f"{scope_zh(scope)} 近 1 小时新增诉求中对「{TOPIC_ZH.get(topic, topic)}」强烈不满的 "
                    f"{hits60:.0f} 件，占 {evidence_number('share_60min', share)}"
                    f"（平时约 {evidence_number('usual_share', usual_r)}）：同一问题集中爆发，可能演变为投诉/12398 升级",
                    {"topic": topic, "topics": [tp for _, tp, _ in surging], "angry_contacts_60min": hits60,
                     "contacts_60min": sc.window("topic:" + topic, 60), "texts_60min": texts60,
                     "share_60min": share, "usual_share": usual_r,
                     "cusum": round(stat, 2), "threshold": cfg.topic_threshold,
                     "arrivals_60min": sc.window("arrivals", 60), "urges_60min": sc.window("urges", 60),
                     "negative_texts_60min": sc.window("neg_hi", 60)})
        self._verdict(t, key, want, out, kind="topic_surge", scope=scope, stage="receive", score=stat,
                      describe=describe)

    def _forecast(self, t: float, skind: str, name: str, scope: dict[str, str], stage: str, st: Any,
                  out: list[Condition]) -> None:
        """``breach_forecast``: the stage has (nearly) stopped completing orders while orders queue, in a scope
        that normally completes plenty in a quarter of an hour — breaches follow within one deadline unless
        someone acts. A stalled desk or crew is seen here before any order is late."""
        cfg = self.cfg
        if stage == "feedback":  # its checks close days apart by design (replies); arrival lag is _lag's
            return
        key = ("forecast", skind, name, stage)
        done15 = float(sum(st.closed_hist))
        came15 = float(sum(st.opened_hist))
        want: str | None = None
        # orders keep coming in but (almost) none leave: comparing with the arrivals of the same quarter hour
        # keeps the daily rhythm out (at night both fall together)
        if (len(st.closed_hist) == st.closed_hist.maxlen and came15 >= cfg.forecast_min_normal_done
                and done15 <= cfg.forecast_stall_share * came15 and st.short_open >= cfg.forecast_min_orders):
            want = "orange" if st.short[1] >= cfg.orange_orders else "yellow"
        if want is None and key not in self.debounce:
            return
        mean_deadline = st.mean_span() / 60.0

        def describe() -> tuple[str, dict[str, Any]]:
            f = self.forecaster.forecast(st.short_open, st.closed_hist, mean_deadline)
            return (f"{scope_zh(scope)} {STAGE_ZH[stage]}环节近 15 分钟进 {came15:.0f} 单、仅办结 {done15:.0f} 单，"
                    f"积压 {st.short_open} 单，时限约 {mean_deadline:.0f} 分钟：预计将超时",
                    {**f, "done_15min": done15, "arrived_15min": came15,
                     "past_50pct": st.short[0], "past_75pct": st.short[1],
                     "arrivals_per_min": round(sum(st.opened_hist) / max(1, len(st.opened_hist)), 3)})
        self._verdict(t, key, want, out, kind="breach_forecast", scope=scope, stage=stage,
                      score=float(st.short_open), describe=describe)

    def _rate(self, t: float, key: tuple[Any, ...], value: float | None, out: list[Condition], *, kind: str,
              scope: dict[str, str], stage: str, z: float, floor: float, what: str, ratio: bool = False,
              extra: Callable[[], dict[str, Any]] | None = None, judge: bool = True, force: str | None = None,
              note: str = "", scale: float = 1.0, margin: float = 0.0) -> None:
        """A count or ratio against the scope's own normal (learned while below its threshold); ``judge=False``
        learns without judging (too little data for a verdict); ``extra`` gives more evidence when described;
        ``force``: at least this tier whatever the value (the caller has direct evidence; nothing is learned),
        ``note`` then says why; ``scale``: a count's normal has risen this many times (more trials than usual),
        its threshold is :meth:`Baseline.threshold_risen`'s; ``margin``: a ratio's bar stands at least this far
        above its normal (its sampling spread at the current count, :func:`binomial_margin`). A ratio is shown in
        its kind's unit (a share in per cent, a multiple with 倍: :func:`detectors.fusion.evidence_number`), as the
        board and the messages show its evidence."""
        b = self.baselines.get(key)
        if b is None:
            b = self._b(key)
        # a ratio's own normal band (learned below it) and, with a wider sampling ``margin``, the bar it is judged by
        band = thr = max(floor, b.mean + z * b.dev) if ratio else b.threshold(z=z, floor=floor) if scale == 1.0 \
            else b.threshold_risen(z, floor, scale)
        if ratio and margin > z * b.dev:
            thr = max(floor, b.mean + margin)
        if value is None and force is None:  # too little data to judge: neither learn nor judge, but let it clear
            value = 0.0
            if key not in self.debounce:
                return
            want = None
            return self._verdict(t, key, None, out, kind=kind, scope=scope, stage=stage, score=0.0,
                                 describe=lambda: (f"{scope_zh(scope)} {what}: 数据不足", {}))
        known = value is not None
        value = value if value is not None else 0.0
        if self.series is not None:
            self.series.append((t, key[0], "-", key[1], stage, float(value), thr))
        want = None
        if judge and known and value >= thr and b.n >= self.cfg.warmup_ticks:
            want = "yellow"
            if value >= 1.5 * thr:
                want = "orange"
            if value >= 2.5 * thr:
                want = "red"
        measured = want is not None   # the value itself is unusual (not only the caller's direct evidence)
        if force is not None and TIER_RANK[force] > TIER_RANK[want]:
            want = force
        elif known and (b.n < self.cfg.warmup_ticks or value < band):  # the unusual is not learned as normal
            b.learn(value)
        if want is None and key not in self.debounce:
            return

        def describe() -> tuple[str, dict[str, Any]]:
            shown = evidence_number("value", value, kind) if ratio else f"{value:.0f}"
            normal = evidence_number("baseline", b.mean, kind) if ratio else f"{b.mean:.1f}"
            if note and not measured:   # the direct evidence alone: no "normal" worth quoting yet
                text = f"{scope_zh(scope)} {note.lstrip('；')}" + (f"（{what} {shown}）" if known else "")
            else:
                text = f"{scope_zh(scope)} {what} {shown}（正常约 {normal}）{note}"
            return (text,
                    {"value": round(value, 4), "baseline": round(b.mean, 4), "threshold": round(thr, 4),
                     **(extra() if extra is not None else {})})
        self._verdict(t, key, want, out, kind=kind, scope=scope, stage=stage, score=float(value),
                      describe=describe)

    def active_summary(self) -> list[dict[str, Any]]:
        return list(self.last.values())

