"""The order stage: per-order tracking, SLA clocks, silent-order timers, order-level signals and risk.

Pure: driven by :meth:`OrderStage.ingest` (one validated event) and :meth:`OrderStage.advance` (the clock).
It copes with duplicates (``event_id`` seen before), events that arrive before their order's ``created``
(held, then applied), events after ``closed`` (legal: revisits, escalations, reopenings), out-of-order events
(milestones keep their own time; stages never move backwards) and orders that never close (evicted after a
horizon, counted).

>>> from yujing.config import load_config
>>> from yujing.events import parse_event
>>> st = OrderStage(load_config(None))
>>> ev = lambda i, typ, ts, **kw: parse_event(dict(event_id=f"e{i}", order_id="WO-1", type=typ, ts=ts, **kw))
>>> out = st.ingest(ev(1, "created", "2026-07-14T09:00:00+08:00", category="fault_repair", channel="hotline",
...                    customer_id="C-1", customer_tier="regular", region="north", area="urban"))
>>> sorted(st.orders["WO-1"].checks)
['feedback', 'receive_ack']
>>> out = st.advance(st.orders["WO-1"].created + 6 * 60)   # 6 min later, nobody accepted the 5-min hotline order
>>> [c.kind + ":" + c.tier for c in out.conditions]
['receive_lag:orange', 'receive_lag:red']
>>> st.ingest(ev(1, "created", "2026-07-14T09:00:00+08:00", category="fault_repair", channel="hotline",
...              customer_id="C-1", customer_tier="regular", region="north", area="urban")).signals
[]
>>> st.stats["duplicates"]
1
"""
from __future__ import annotations

import heapq
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from detectors.fusion import OrderTiering
from detectors.misfile import CategoryGuess
from detectors.quality import RiskQuality
from streams.intent import intent_phrases
from detectors.risk import ComplaintRiskModel, note_late, order_features, press
from streams import signals as S
from streams.customer_stage import CustomerContext, Customers, CustomerStage
from streams.deadlines import CHECK_STAGE, LEVELS, Sla
from streams.orders import CROSSED, DEADLINE, DEPT, SEQ, STAGE_ORDER, START, Checks, OrderState
from streams.signals import ScopeSignal
from streams.topics import TopicTagger
from yujing.config import Settings
from yujing.events import Event
from yujing.records import Condition, RiskRecord

LAG_KIND = {"receive": "receive_lag", "decompose": "dispatch_lag", "feedback": "feedback_lag"}
MAX_SEEN_IDS = 64
HOUR = 3600.0
INF = float("inf")
TEXT_CACHE_SIZE = 50_000
CONTEXT_ID = "\x00customer-context"
"""Remembered among the order's event ids once its customer context is applied (a redelivered one is not)."""


def _shared(value: str | None, default: str) -> str:
    """One string object per distinct category, channel, tier, area, region or department for all the orders
    that repeat it (``sys.intern``), whichever path built the event: ~50 bytes an order and dimension."""
    return sys.intern(value) if value else default


@dataclass(slots=True)
class StageOut:
    signals: list[ScopeSignal] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    risks: list[RiskRecord] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    """Orders whose risk is no longer news: closed and quiet past the label horizon (labelled negative), or
    forgotten (evicted). The live shell takes them off the board's risk keys; replay has none to take off."""


class OrderStage:
    """Per-order state machine with SLA timers. ``orders`` may be any MutableMapping (a faust table in the
    live shell); after changing an order the stage writes it back (``orders[id] = o``) so changelogs see it.

    Customer history (repeat contacts, prior escalations) is not kept here: the stage asks ``customers``
    (streams/customer_stage.py), a :class:`CustomerStage` of its own unless given. An answer of ``None`` means
    the context comes later (the live shell's round trip through a topic keyed by customer): the shell then
    hands it to :meth:`apply_customer`."""

    def __init__(self, settings: Settings, orders: MutableMapping[str, OrderState] | None = None,
                 scorer: Any = None, risk_model: ComplaintRiskModel | None = None,
                 customers: Customers | None = None) -> None:
        self.settings = settings
        self.sla = Sla(settings.sla, settings.clock.utc_offset_h)
        self.orders: MutableMapping[str, OrderState] = orders if orders is not None else {}
        self.customers: Customers = customers if customers is not None else CustomerStage(settings)
        self._awaiting_topic: dict[str, ScopeSignal] = {}
        """TOPIC signals of orders whose customer context is on its way: a topic wave is counted in new voices,
        not call-backs, so the signal waits for the answer (in memory: lost if the worker dies meanwhile)."""
        self._scorer = scorer
        self.risk_model = risk_model or ComplaintRiskModel(settings.detectors.risk)
        self._min_change = settings.detectors.risk.min_change
        """A risk record is emitted when the risk moves at least this much (or its tier changes)."""
        delay = settings.detectors.risk.positive_delay_h
        self._positive_delay = (settings.tracking.closed_label_after_h if delay is None else delay) * HOUR
        """An escalation is learned this long after it arrives, as a negative waits this long after its close."""
        scope = settings.detectors.scope
        self._work_signals = scope.work_threshold > 0 or scope.work_rise_exempt > 0
        self._agent_signals = scope.staffing_evidence > 0 or scope.desk_share_alone > 0
        """Tell the scope stage when crews arrive on site and report work done (detectors/work.py; off with it)."""
        self._pressure_tau = self.risk_model.pressure_tau_s
        """Time constant of the risk feature ``pressure``: the model reads the feature with the same one."""
        self.quality = RiskQuality()
        """The risk model's live quality: each label is scored by the model before it learns it (board, issue #7)."""
        self.region_rates = self.risk_model.region_rates
        self.dept_rates = self.risk_model.dept_rates
        """Recent escalations per new order of each region and department (the risk model's context features,
        kept up to date here): a region counts an order when it is created, a department when the order is sent
        there; both count its escalation."""
        self.tiering = OrderTiering(settings)
        self.topics = TopicTagger(settings.tracking.topics)
        self.misfile = CategoryGuess()
        """What category a new contact's text reads as (learned from categories at first dispatch): a text that
        confidently reads as another category than the one filed marks its TOPIC signal (``FILING_*``)."""
        self.heap: list[tuple[float, int, str]] = []
        """Timers, one armed entry ``(due, seq, order id)`` per order (``OrderState.timer``): the earliest share
        level any of its checks has not crossed yet. An entry no longer equal to its order's ``timer`` is stale
        (equal, not the same object: the live worker keeps an order it has not seen for a while encoded, and
        decodes a copy of its timer; an equal entry is the same check level due at the same time)."""
        self._seq = 0
        self.now = 0.0
        self.stats: dict[str, int] = {"events": 0, "duplicates": 0, "orphans_held": 0, "orphans_applied": 0,
                                      "evicted": 0, "late": 0, "after_close": 0, "labels_pos": 0, "labels_neg": 0}
        self._next_housekeeping = 0.0
        self._label_queue: list[tuple[float, str, float]] = []
        # lower bound of the orders' last event time: housekeeping scans them only when something may have
        # gone stale (-inf: unknown, e.g. the orders came from a changelog)
        self._oldest_order = -INF
        self._text_cache: dict[str, tuple[float, bool, bool]] = {}
        self._phrase_cache: dict[str, tuple[bool, bool]] = {}
        self._text_gen: Any = None

    # ------------------------------------------------------------------------------------------ public
    @property
    def positive_delay_h(self) -> float:
        """Hours an escalation waits before the risk model learns it (``detectors.risk.positive_delay_h``)."""
        return self._positive_delay / HOUR

    @property
    def scorer(self) -> Any:
        if self._scorer is None:
            # an instance of its own: it learns online from revisits, and two monitors (or two replays in one
            # process) must not learn into each other
            from streams.sentiment import SentimentScorer
            self._scorer = SentimentScorer.load()
        return self._scorer

    def ingest(self, ev: Event) -> StageOut:
        """Apply one event (the caller has advanced the clock to ``ev.t`` first)."""
        out = StageOut()
        self.stats["events"] += 1
        if ev.t > self.now:
            self.now = ev.t
        elif ev.t < self.now - 1.0:
            self.stats["late"] += 1
        o = self.orders.get(ev.order_id)
        if o is None:
            o = OrderState(ev.order_id)
        if not o.remember(ev.event_id, MAX_SEEN_IDS):
            self.stats["duplicates"] += 1
            return out
        if o.created is None and ev.type != "created":
            if o.pending is None:
                o.pending = []
            o.pending.append(ev.model_dump())
            self.stats["orphans_held"] += 1
            if ev.t > o.last_t:   # its age for eviction: as old as its newest held event
                o.last_t = ev.t
            self.orders[ev.order_id] = o
            if o.last_t < self._oldest_order:
                self._oldest_order = o.last_t
            return out
        self._apply(o, ev, out)
        if ev.type == "created" and o.pending:
            held, o.pending = o.pending, None
            for d in sorted(held, key=lambda d: d["t"]):
                self.stats["orphans_applied"] += 1
                self._apply(o, Event.model_construct(**d), out)
        self.orders[ev.order_id] = o
        if o.last_t < self._oldest_order:
            self._oldest_order = o.last_t
        return out

    def advance(self, now: float) -> StageOut:
        """Run the SLA timers due up to ``now`` (silent orders) and housekeeping."""
        out = StageOut()
        heap = self.heap
        if (not heap or heap[0][0] > now) and now < self._next_housekeeping:
            if now > self.now:  # nothing due (the common case between events): just move the clock
                self.now = now
            return out
        orders = self.orders
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            oid = entry[2]
            o = orders.get(oid)
            if o is None or o.timer != entry:
                continue  # stale: re-armed since, or the order is gone (an evicted and recreated one is new)
            o.timer = None
            if o.closed_at is not None or o.paused_at is not None:
                continue  # resuming re-arms it
            nxt = self._next_timer(o)
            if nxt is None:
                continue
            due, seq, check, j = nxt
            if due == entry[0] and seq == entry[1]:   # else the armed level's check was closed meanwhile
                if due > self.now:
                    self.now = due
                self._cross(o, check, LEVELS[j], due, out)
                orders[oid] = o
            self._arm(o)
        if now > self.now:
            self.now = now
        if now >= self._next_housekeeping:
            self._housekeeping(now, out)
            self._next_housekeeping = now + HOUR
        return out

    def next_due(self) -> float | None:
        return self.heap[0][0] if self.heap else None

    def rebuild_timers(self) -> None:
        """Recreate the timer heap from the orders (after state was restored from a changelog)."""
        self.heap = []
        self._oldest_order = -INF
        orders = self.orders
        for oid in list(orders):
            o = orders[oid]   # read to change (a table store's values() is a look only)
            o.timer = None
            if o.closed_at is None and o.paused_at is None:
                for i in o.checks.positions():
                    self._number(o.checks, i)
                self._arm(o)

    # ------------------------------------------------------------------------------------------ events
    def _apply(self, o: OrderState, ev: Event, out: StageOut) -> None:
        t = ev.t
        typ = ev.type
        if t > o.last_t:
            o.last_t = t
        if o.closed_at is not None and typ not in ("revisited", "escalated", "reopened", "closed", "urged",
                                                   "customer_message"):
            self.stats["after_close"] += 1
            return
        # the positive example is the order as it stood just before the escalation (no label leaks into it)
        before = order_features(o, t, self.settings, self.risk_model) if typ == "escalated" else None
        if typ == "created":
            if o.created is not None:
                return
            o.created = t
            o.set_profile(_shared(ev.category, "consultation"),   # also the created_category until reclassified
                          _shared(ev.channel, "other"), _shared(ev.customer_tier, "regular"),
                          _shared(ev.area, "urban"), _shared(ev.region, "?"))
            o.customer_id = ev.customer_id or ""
            o.affected = ev.affected_customers or 0
            self.region_rates.seen(o.region, t)
            known = self._repeat_contacts(o, t, out)
            out.signals.append(self._sig(S.ARRIVAL, o, t, None, value=float(o.affected)))
            self._open(o, "receive_ack", t, out)
            self._open(o, "feedback", t, out)
            if ev.text:
                self._text(o, ev.text, t, out)
                if not (o.repeat_24h or o.repeat_7d):  # a topic wave is counted in new voices, not call-backs
                    topics = self.topics.tag(ev.text)
                    sig = self._sig(S.TOPIC, o, t, "receive", check="|".join(topics), value=o.neg_last,
                                    value2=self._filing(ev.text, o.category))
                    if known:
                        out.signals.append(sig)
                    else:
                        self._awaiting_topic[o.order_id] = sig
        elif typ == "accepted":
            if o.accepted is None:
                o.accepted = t
                self._close(o, "receive_ack", t, out)
                if self._agent_signals and ev.agent_id:
                    out.signals.append(self._sig(S.AGENT, o, t, "receive", check=ev.agent_id))
                if o.first_dispatched is None:
                    self._open(o, "dispatch", t, out)
                self._move(o, "decompose")
        elif typ in ("dispatched", "reassigned"):
            if typ == "reassigned" or (o.department and ev.department and ev.department != o.department
                                       and o.first_dispatched is not None):
                o.bounces += 1
                out.signals.append(self._sig(S.BOUNCE, o, t, "decompose"))
            if ev.category and ev.category != o.category:
                o.reclass += 1
                out.signals.append(self._sig(S.RECLASS, o, t, "decompose"))
                old = o.category
                o.created_category = o.created_category   # pin it before the category changes
                o.category = _shared(ev.category, ev.category)
                self._recategorise(o, old, t, out)
            if ev.department and ev.department != o.department:
                o.department = _shared(ev.department, ev.department)
                self.dept_rates.seen(o.department, t)
                for check in ("dispatch", "dept_accept", "feedback"):
                    self._rehome(o, check, t, out)
            if o.first_dispatched is None:
                o.first_dispatched = t
                if o.last_text and o.created is not None:   # what the dispatcher filed it as: a label
                    self.misfile.learn_one(o.last_text, o.category)
                if o.accepted is None:  # a missed accepted event: the receive stage is over all the same
                    o.accepted = t
                    self._close(o, "receive_ack", t, out)
                self._close(o, "dispatch", t, out)
                if o.dept_accepted is None:
                    self._open(o, "dept_accept", t, out)
            elif typ == "reassigned" and o.dept_accepted is not None:
                # sent back after a department took it: the new department must accept it again
                o.dept_accepted = None
                self._open(o, "dept_accept", t, out)
            self._move(o, "decompose")
        elif typ == "dept_accepted":
            if ev.department and not o.department:
                o.department = _shared(ev.department, ev.department)
                self.dept_rates.seen(o.department, t)
            if o.dept_accepted is None:
                o.dept_accepted = t
                for check in ("receive_ack", "dispatch", "dept_accept"):
                    self._close(o, check, t, out)
            self._move(o, "feedback")
        elif typ == "arrived":
            if o.arrived is None:
                o.arrived = t
                if o.category == "fault_repair":
                    self._close(o, "feedback", t, out)
                if self._work_signals and o.department and o.first_replied is None:
                    out.signals.append(self._sig(S.ONSITE, o, t, "feedback"))
            self._move(o, "feedback")
        elif typ == "replied":
            if o.first_replied is None:
                o.first_replied = t
                if o.category != "fault_repair":
                    self._close(o, "feedback", t, out)
                if self._work_signals and o.arrived is not None and o.department:
                    out.signals.append(self._sig(S.DONE, o, t, "feedback"))
            self._move(o, "feedback")
        elif typ == "customer_message":
            o.messages += 1
            press(o, t, self._pressure_tau)
            if ev.text:
                self._text(o, ev.text, t, out)
        elif typ == "urged":
            o.urges += 1
            press(o, t, self._pressure_tau)
            out.signals.append(self._sig(S.URGE, o, t, o.stage))
            if ev.text:
                self._text(o, ev.text, t, out)
        elif typ == "paused":
            if o.paused_at is None:
                o.paused_at = t
        elif typ == "resumed":
            if o.paused_at is not None:
                gap = max(0.0, t - o.paused_at)
                o.paused_at = None
                o.paused_total += gap
                ck = o.checks
                for i in ck.positions():
                    if ck[i] == "feedback":
                        ck[i + DEADLINE] += gap
                    self._number(ck, i)
                self._arm(o)
        elif typ == "closed":
            if o.closed_at is None:
                o.closed_at = t
                o.resolution = ev.resolution
                for check in list(o.checks):
                    self._close(o, check, t, out)
                o.stage = "closed"
                out.signals.append(self._sig(S.CLOSED, o, t, None))
                heapq.heappush(self._label_queue, (t + self.settings.tracking.closed_label_after_h * HOUR,
                                                   o.order_id, t))
        elif typ == "reopened":
            if o.closed_at is not None:
                o.closed_at = None
                o.reopens += 1
                press(o, t, self._pressure_tau)
                o.stage = "feedback"
            if ev.text:
                self._text(o, ev.text, t, out)
        elif typ == "revisited":
            o.satisfaction = ev.satisfaction
            if ev.text:
                self._text(o, ev.text, t, out)
            if ev.satisfaction in ("satisfied", "dissatisfied") and ev.text:
                self.scorer.learn_one(ev.text, ev.satisfaction == "dissatisfied")
        elif typ == "escalated":
            if o.escalated_at is None:
                o.escalated_at = t
                self.region_rates.escalated(o.region, t)
                self.dept_rates.escalated(o.department, t)
                if o.customer_id:
                    self.customers.escalated(o.customer_id, t, o.order_id)
                out.signals.append(self._sig(S.ESCALATED, o, t, o.stage if o.stage != "closed" else None))
                if before is not None and self._positive_delay > 0:
                    # learned as long after it came as a negative waits: see ComplaintRiskModel.hold
                    self.risk_model.hold(before, t + self._positive_delay)
                elif before is not None:
                    self._learn_risk(before, True)
                    self.stats["labels_pos"] += 1
            return
        self._update_order(o, t, out, force=typ in ("created", "closed"))

    # ------------------------------------------------------------------------------------------ checks
    def _open(self, o: OrderState, check: str, t: float, out: StageOut, start: float | None = None) -> None:
        start = t if start is None else start
        deadline = self.sla.deadline(check, start, channel=o.channel, tier=o.tier, category=o.category, area=o.area)
        if check == "feedback":
            deadline += o.paused_total
        dept = o.department if check != "receive_ack" else None
        ck = o.checks
        i = ck.put(check, start, deadline, dept)   # seq 0 until numbered (when the order is not paused)
        out.signals.append(self._check_sig(S.OPEN, o, t, check, dept, deadline, start))
        if o.paused_at is None:
            self._number(ck, i)
            self._arm(o)
            if deadline <= t:  # opened late (e.g. after a reclassification): count it at once
                self._cross_due(o, check, t, out)

    def _number(self, ck: Checks, i: int) -> None:
        """Number the share levels the check at ``i`` has not crossed: level ``j`` gets sequence number
        ``seq + j``.

        Numbers are handed out as if each of those levels had its own entry on the heap, so equal due times
        fire in the order the checks were (re)scheduled; the heap itself holds one entry per order."""
        crossed = ck[i + CROSSED]
        for j, level in enumerate(LEVELS):
            if level > crossed:
                ck[i + SEQ] = self._seq + 1 - j
                self._seq += 4 - j
                return

    @staticmethod
    def _next_timer(o: OrderState) -> tuple[float, int, str, int] | None:
        """The order's earliest pending level over its checks: ``(due, seq, check, level index)``."""
        best = None
        ck = o.checks
        for i in ck.positions():
            crossed = ck[i + CROSSED]
            if crossed >= 1.0:
                continue
            start = ck[i + START]
            span = ck[i + DEADLINE] - start
            if span < 1.0:
                span = 1.0
            j = 0
            while LEVELS[j] <= crossed:
                j += 1
            due = start + LEVELS[j] * span
            seq = ck[i + SEQ] + j if j else ck[i + SEQ]   # j == 0 (a fresh check): share the int, no new object
            if best is None or due < best[0] or (due == best[0] and seq < best[1]):
                best = (due, seq, ck[i], j)
        return best

    def _arm(self, o: OrderState) -> None:
        """Make sure the heap holds an entry of ``o`` no later than its earliest pending level: push one only if
        that level comes before the armed entry (an armed entry that turns out too early just re-arms)."""
        nxt = self._next_timer(o)
        if nxt is None:
            return
        armed = o.timer
        due, seq = nxt[0], nxt[1]
        if armed is None or due < armed[0] or (due == armed[0] and seq < armed[1]):
            entry = (due, seq, o.order_id)
            heapq.heappush(self.heap, entry)
            o.timer = entry

    def _cross_due(self, o: OrderState, check: str, t: float, out: StageOut) -> None:
        ck = o.checks
        i = ck.find(check)
        start = ck[i + START]
        span = max(1.0, ck[i + DEADLINE] - start)
        share = (t - start) / span
        passed = [level for level in LEVELS if ck[i + CROSSED] < level <= share]
        for level in passed:
            # several levels passed at one instant (a worker catching up on an order it took over): the scopes count
            # every crossing, the order's alert hears only the last (90 % then 100 % at one instant flapped a red
            # alert down and up)
            self._cross(o, check, level, t, out, verdict=level == passed[-1])

    def _cross(self, o: OrderState, check: str, level: float, t: float, out: StageOut, verdict: bool = True) -> None:
        ck = o.checks
        i = ck.find(check)
        if level <= ck[i + CROSSED]:
            return
        ck[i + CROSSED] = level
        stage = CHECK_STAGE[check]
        start, deadline = ck[i + START], ck[i + DEADLINE]
        out.signals.append(self._check_sig(S.CROSS, o, t, check, ck[i + DEPT], level, deadline - start))
        if level >= 1.0:
            o.breached += 1
        cond = self.tiering.lag_condition(o, check, level, t, deadline, stage) if verdict else None
        if cond is not None:
            out.conditions.append(cond)
        self._update_order(o, t, out)

    def _close(self, o: OrderState, check: str, t: float, out: StageOut, silent: bool = False) -> None:
        i = o.checks.find(check)
        if i < 0:
            return
        start, deadline, crossed, _, dept = o.checks.remove_at(i)
        if not silent:   # how late the customer was served stays with the order (a risk feature, see note_late)
            note_late(o, start, deadline, o.paused_at if o.paused_at is not None else t)
        stage = CHECK_STAGE[check]
        out.signals.append(self._check_sig(S.CLOSE, o, t, check, dept, crossed, deadline - start))
        if crossed >= self.tiering.cfg.lag_alert_level:
            out.conditions.append(self.tiering.lag_clear(o, check, t, stage))

    def _rehome(self, o: OrderState, check: str, t: float, out: StageOut) -> None:
        """Move an open check to the order's new department: its counts leave the old scope, join the new."""
        ck = o.checks
        i = ck.find(check)
        if i < 0 or ck[i + DEPT] == o.department:
            return
        start, deadline, crossed = ck[i + START], ck[i + DEADLINE], ck[i + CROSSED]
        span = deadline - start
        out.signals.append(self._check_sig(S.CLOSE, o, t, check, ck[i + DEPT], crossed, span, moved=True))
        ck[i + DEPT] = dept = o.department
        out.signals.append(self._check_sig(S.OPEN, o, t, check, dept, deadline, start, moved=True))
        for level in LEVELS:
            if level <= crossed:
                out.signals.append(self._check_sig(S.CROSS, o, t, check, dept, level, span))

    def _recategorise(self, o: OrderState, old: str, t: float, out: StageOut) -> None:
        """A reclassification changes the feedback deadline (and the department-accept one)."""
        for check in ("feedback", "dept_accept"):
            i = o.checks.find(check)
            if i >= 0:
                start = o.checks[i + START]
                self._close(o, check, t, out, silent=True)
                self._open(o, check, t, out, start=start)

    def _move(self, o: OrderState, stage: str) -> None:
        if o.closed_at is None and STAGE_ORDER[stage] > STAGE_ORDER.get(o.stage, 0):
            o.stage = stage

    # ------------------------------------------------------------------------------------------ signals
    def _filing(self, text: str, category: str) -> float:
        """What the text → category model makes of a new contact's category (a ``FILING_*`` of streams/signals)."""
        guess = self.misfile
        if not guess.mature:
            return S.FILING_UNJUDGED
        return S.FILING_MISFILED if guess.guess(text, category) is not None else S.FILING_AS_READ

    def _sig(self, kind: str, o: OrderState, t: float, stage: str | None, check: str | None = None,
             value: float = 0.0, value2: float = 0.0) -> ScopeSignal:
        dept = o.department if (stage != "receive" and check != "receive_ack") else None
        return ScopeSignal(kind, t, o.order_id, stage, o.region, dept, o.category, o.channel, check, value, value2)

    @staticmethod
    def _check_sig(kind: str, o: OrderState, t: float, check: str, dept: str | None, value: float, value2: float,
                   moved: bool = False) -> ScopeSignal:
        """A signal about one SLA check, counted under the department the check is counted under."""
        return ScopeSignal(kind, t, o.order_id, CHECK_STAGE[check], o.region, dept, o.category, o.channel,
                           check + "~" if moved else check, value, value2)

    def _text(self, o: OrderState, text: str, t: float, out: StageOut) -> None:
        scorer = self.scorer
        # customer texts repeat (templates, copy-paste): score each distinct text once while the scorer has not
        # learned since (a scorer that does not count its learning steps is asked every time)
        gen = getattr(scorer, "n_learned", None)
        if gen != self._text_gen:
            self._text_cache.clear()
            self._text_gen = gen
        hit = self._text_cache.get(text) if gen is not None else None
        if hit is None:
            hit = (float(scorer.score_one(text)),) + self._phrases(text, gen is not None)
            if gen is not None:
                if len(self._text_cache) >= TEXT_CACHE_SIZE:
                    self._text_cache.clear()
                self._text_cache[text] = hit
        neg, threats, intent = hit
        if threats:
            o.threats += 1
        if intent:   # pressure before the threat: an ultimatum, the call recorded, "追究到底" (streams/intent.py)
            o.intents += 1
        o.neg_last = neg
        o.neg_max = max(o.neg_max, neg)
        o.neg_sum += neg
        o.neg_n += 1
        o.last_text = text[:200]
        stage = o.stage if o.stage != "closed" else None
        out.signals.append(self._sig(S.TEXT, o, t, stage, value=neg, value2=1.0 if threats else 0.0))

    def _phrases(self, text: str, cached: bool) -> tuple[bool, bool]:
        """Whether ``text`` threatens escalation and whether it voices intent: fixed phrase lists, so unlike the
        negativity score they are kept when the scorer learns (only ``cached`` when the score may be)."""
        hit = self._phrase_cache.get(text) if cached else None
        if hit is None:
            hit = (bool(self.scorer.escalation_phrases(text)), bool(intent_phrases(text)))
            if cached:
                if len(self._phrase_cache) >= TEXT_CACHE_SIZE:
                    self._phrase_cache.clear()
                self._phrase_cache[text] = hit
        return hit

    # ------------------------------------------------------------------------------------------ customers
    def _repeat_contacts(self, o: OrderState, t: float, out: StageOut) -> bool:
        """Ask the customer stage about a new order's customer; False if the answer comes later."""
        if not o.customer_id:
            return True
        ctx = self.customers.contact(o.customer_id, o.order_id, o.category, t)
        if ctx is None:
            return False
        self._customer_context(o, ctx, out)
        return True

    def _customer_context(self, o: OrderState, ctx: CustomerContext, out: StageOut) -> None:
        if ctx.customer_id == o.customer_id:
            o.customer_id = ctx.customer_id   # one string for all the customer's orders, not one per order
        o.prior_esc = ctx.prior_esc
        o.repeat_24h = ctx.repeat_24h
        o.repeat_7d = ctx.repeat_7d
        if o.repeat_24h or o.repeat_7d:
            out.signals.append(self._sig(S.REPEAT, o, ctx.t, "receive", value=float(o.repeat_24h)))

    def apply_customer(self, ctx: CustomerContext) -> StageOut:
        """Apply a customer context that arrived after its order was created (live shell): the order's repeat
        and prior-escalation features, the REPEAT signal (or the held TOPIC signal of a new voice), risk
        re-scored. A context applied before (redelivery) or for an order no longer held is ignored."""
        out = StageOut()
        topic = self._awaiting_topic.pop(ctx.order_id, None)
        if not (ctx.repeat_24h or ctx.repeat_7d or ctx.prior_esc):
            # a first-time customer (most of them): nothing to change on the order, so nothing to write back —
            # only its held TOPIC signal goes on (a redelivered empty context finds none and does nothing)
            self.stats["contexts"] = self.stats.get("contexts", 0) + 1
            if topic is not None:
                out.signals.append(topic)
            return out
        o = self.orders.get(ctx.order_id)
        if o is None or o.customer_id != ctx.customer_id or not o.remember(CONTEXT_ID, MAX_SEEN_IDS):
            return out
        self.stats["contexts"] = self.stats.get("contexts", 0) + 1
        self._customer_context(o, ctx, out)
        if topic is not None and not (o.repeat_24h or o.repeat_7d):
            out.signals.append(topic)
        if o.repeat_24h or o.repeat_7d or o.prior_esc:
            self._update_order(o, max(ctx.t, o.last_t), out)
        self.orders[ctx.order_id] = o
        return out

    # ------------------------------------------------------------------------------------------ risk & tier
    def _update_order(self, o: OrderState, t: float, out: StageOut, force: bool = False) -> None:
        risk, factors = self.risk_model.predict_order(o, t)
        tier = self.tiering.risk_tier(risk)
        if force or abs(risk - o.risk) >= self._min_change or tier != o.risk_tier:
            o.risk = risk
            o.risk_tier = tier
            out.risks.append(RiskRecord(o.order_id, t, risk, tier, factors, o.created, o.region, o.stage))
        if self.tiering.verdict_tier(o, risk) != o.order_tier:  # build the condition only when it changes
            x = order_features(o, t, self.settings, self.risk_model)   # the feature dict only when the condition is built
            cond = self.tiering.order_condition(o, x, risk, factors, t)
            if cond is not None:
                o.order_tier = cond.tier
                out.conditions.append(cond)

    def _learn_risk(self, x: dict[str, float], y: bool) -> None:
        """One late label for the risk model, judged first (progressive validation) by the quality tracker."""
        self.quality.update(self.risk_model.predict_one(x), y)
        self.risk_model.learn_one(x, y)

    def _housekeeping(self, now: float, out: StageOut) -> None:
        """Learn the escalations now due (``positive_delay_h``) and negatives for orders closed and quiet past the
        label horizon; evict stale orders."""
        for x in self.risk_model.due(now):   # escalations held as long as negatives wait (positive_delay_h)
            self._learn_risk(x, True)
            self.stats["labels_pos"] += 1
        q = self._label_queue
        while q and q[0][0] <= now:
            _, oid, closed_at = heapq.heappop(q)
            o = self.orders.get(oid)
            if o is None or o.escalated_at is not None or o.closed_at != closed_at:
                continue  # escalated, reopened (and maybe closed again later: that closing labels it) or gone
            # the negative example is the order as it stood after its last event: derived from its state, so
            # nothing per order is kept for it and it survives a worker restart with the order itself
            self._learn_risk(order_features(o, o.last_t, self.settings, self.risk_model), False)
            self.stats["labels_neg"] += 1
            out.settled.append(oid)
        horizon = self.settings.tracking.evict_after_h * HOUR
        if now - self._oldest_order > horizon:   # else no order can be stale: skip the scan of all orders
            self._evict(now, horizon, out)
        self.customers.advance(now)
        if self._awaiting_topic:   # a context that never came (its round trip was lost): stop waiting for it
            self._awaiting_topic = {k: s for k, s in self._awaiting_topic.items() if now - s.t < HOUR}

    def _evict(self, now: float, horizon: float, out: StageOut) -> None:
        stale = []
        oldest = INF
        for oid, o in self.orders.items():
            if now - o.last_t > horizon:
                stale.append(oid)
            elif o.last_t < oldest:
                oldest = o.last_t
        self._oldest_order = oldest
        for oid in stale:
            o = self.orders.pop(oid)
            if o.closed_at is None:
                for check in list(o.checks):
                    self._close(o, check, now, out)
                if o.order_tier is not None:
                    out.conditions.append(self.tiering.clear(o, now))
            out.settled.append(oid)
            self.stats["evicted"] += 1
