"""The discrete-event simulation of a province's work orders.

One heap of future happenings, one clock. Each handler emits the contract event for the moment it runs and
schedules what follows, so events come out in time order. Capacity (:mod:`.queues`) turns surges and staff cuts
into growing lags; the customer's patience turns lags into urges, angry texts, repeat contacts and, with a
probability that rises with lateness, urges, tone, tier and sensitivity, escalations.

>>> from datetime import datetime
>>> opts = SimOptions(start=datetime.fromisoformat("2026-07-14T09:00:00+08:00").timestamp(), hours=0.25, seed=3)
>>> evs = list(iter_events(opts))
>>> evs[0]["type"], evs[0]["ts"][:16]
('created', '2026-07-14T09:00')
>>> evs == list(iter_events(opts))
True
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
import zlib
from bisect import bisect
from dataclasses import dataclass, field
from statistics import NormalDist
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from yujing.simulator import province as P
from yujing.simulator.incidents import Incident
from yujing.simulator.queues import CrewPool, ServerPool
from yujing.simulator.texts import BOUNCE_REASONS, PAUSE_REASONS, RECLASS_REASON, Texts

UTC_OFFSET_S = 8 * 3600
TZ = timezone(timedelta(hours=8))

# Lifecycle timing (minutes unless stated): lognormal (median, sigma).
CLASSIFY_MIN = (5.0, 0.25)
CLASSIFY_FAULT_MIN = (2.5, 0.3)
RECLASS_EXTRA_MIN = (12.0, 0.6)
BOUNCE_REVIEW_MIN = (20.0, 0.6)
BOUNCE_REVIEW_FAULT_MIN = (6.0, 0.5)
DESK_MIN = (3.0, 0.5)
DESK_FAULT_MIN = (2.0, 0.5)
TRAVEL_MIN = {"urban": 18.0, "rural": 40.0, "remote": 65.0}
REPAIR_MIN = (70.0, 0.4)
CREW_RETURN_MIN = 10.0
OUTAGE_CREWS = 2                   # crews a department sends to a large outage
OUTAGE_REPAIR_FACTOR = 2.0         # a large outage takes longer to repair than one fault
OUTAGE_CONFIRM_MIN = (6.0, 0.5)    # a report of an outage already being repaired: confirmed on site / closed
HANDLING_H = {"consultation": (2.0, 0.9), "complaint": (8.0, 0.6), "service_request": (30.0, 0.8),
              "opinion": (36.0, 0.7), "suggestion": (40.0, 0.7), "report": (30.0, 0.7), "praise": (10.0, 0.6)}
CLOSE_AFTER_REPLY_MIN = (40.0, 0.8)
REVISIT_DELAY_H = (5.0, 0.8)
PAUSE_H = (10.0, 0.8)

BASE_MISCLASS = 0.04
MISCLASS_NOTICED = 0.75
WRONG_DEPT = 0.05
WRONG_DEPT_FAULT = 0.02
STALL_RESCUE = 0.35
SENSITIVE_RATE = 0.08
PAUSE_PROB = 0.03
WITHDRAW_PROB = 0.02
UNRESOLVED_PROB = 0.03
REVISIT_PROB = 0.6
REOPEN_PROB = 0.2
FAULT_AFFECTED_PROB = 0.1
THREAT_BEFORE_ESCALATION = 0.45
THREAT_BLUFF = 0.04
REPEAT_CONTACT_PROB = 0.12
BILLING_SHARE = {"consultation": 0.35, "service_request": 0.2, "opinion": 0.3, "complaint": 0.4}
MISCLASS_AS = {"fault_repair": ("consultation", "service_request"), "complaint": ("opinion", "consultation"),
               "service_request": ("consultation", "fault_repair"), "consultation": ("service_request", "opinion"),
               "opinion": ("complaint", "suggestion"), "report": ("complaint", "opinion"),
               "suggestion": ("opinion",), "praise": ("opinion",)}

# Escalation: logistic hazard, checked whenever the customer loses patience, at an unresolved close and at a
# dissatisfied revisit.
ESC_B0 = -6.3
ESC_W = {"lateness": 1.0, "urges": 0.35, "tone": 0.45, "sensitive": 1.5, "temper": 0.6, "premium": 0.5,
         "potential": 0.25, "repeat": 0.8, "outage": 0.4, "storm": 0.4}
ESC_CAT = {"complaint": 0.8, "opinion": 0.4, "report": 0.3, "fault_repair": 0.2, "service_request": 0.0,
           "consultation": -0.3, "suggestion": -1.5, "praise": -4.0}
ESC_BONUS_UNRESOLVED = 1.5
ESC_BONUS_DISSATISFIED = 2.0
ESC_TO = (("complaint", 0.7), ("12398", 0.15), ("12345", 0.1), ("media", 0.05))


@dataclass
class SimOptions:
    """What to simulate. ``start`` is epoch seconds; ``hours=0`` runs until the consumer stops."""

    start: float
    hours: float = 1.0
    seed: int = 1
    regions: list[P.Region] | str | int | None = None
    scale: float = 1.0
    incidents: list[Incident] = field(default_factory=list)
    bad_rate: float = 0.0
    late_rate: float = 0.005
    pii_rate: float = 0.10
    markup_rate: float = 0.01
    english_rate: float = 0.15

    def region_list(self) -> list[P.Region]:
        if isinstance(self.regions, list):
            return self.regions
        return P.regions_from_spec(self.regions)


_NORMALS = tuple(NormalDist().inv_cdf((i + 0.5) / 8192) for i in range(8192))
"""Standard normal quantiles: a table lookup is ~8x cheaper than ``random.gauss`` and plenty for lognormals."""


_SECONDS = tuple(f"{s:02d}+08:00" for s in range(60))


def _cum(mix: dict[str, float]) -> tuple[list[str], list[float]]:
    return list(mix), list(itertools.accumulate(mix.values()))


CATS, CAT_CUM = _cum(P.CATEGORY_MIX)
CHANS, CHAN_CUM = _cum(P.CHANNEL_MIX)
TIERS, TIER_CUM = _cum(P.TIER_MIX)


class Order:
    """What the simulation knows about one work order, including what the monitor cannot see."""

    __slots__ = ("oid", "rs", "customer", "tier", "sensitive", "temper", "lang", "channel", "area", "category",
                 "true_cat", "billing", "outage", "storm", "repeat", "created", "accepted", "done", "closed",
                 "escalated", "urges", "tone", "dept", "right_dept", "bounce", "recv_span", "fb_span", "paused_s",
                 "repeat_spawned", "reopened", "agent", "outage_of")

    def __init__(self) -> None:
        self.accepted = self.done = self.closed = self.escalated = self.repeat_spawned = self.reopened = False
        self.outage_of: Incident | None = None   # reports one large outage: one repair restores them all
        self.urges = self.tone = 0
        self.bounce: str | None = None
        self.paused_s = 0.0


class RegionState:
    """One region's live state: its arrival process, receive agents, department desks and crews."""

    def __init__(self, code: int, region: P.Region, scale: float) -> None:
        self.code = code
        self.region = region
        self.name = region.name
        self.agents = {w: P.agents_by_hour(region, scale, w) for w in (False, True)}
        self.agent_pool = ServerPool(max(self.agents[False]))
        self.areas, self.area_cum = _cum(region.areas)
        repairs = region.of_kind("repair")
        self.repair = [d.name for d in repairs]
        self.marketing = region.of_kind("marketing")[0].name
        metering = region.of_kind("metering")
        self.metering = metering[0].name if metering else self.marketing
        peak = P.PEAK_ORDERS_PER_MIN * region.size * scale
        fault_rate = peak * P.CATEGORY_MIX["fault_repair"] / max(1, len(self.repair))
        other_rate = peak * (1 - P.CATEGORY_MIX["fault_repair"])
        self.desks: dict[str, ServerPool] = {}
        self.crews: dict[str, CrewPool] = {}
        for d in region.departments:
            if d.kind == "repair":
                self.desks[d.name] = ServerPool(math.ceil(fault_rate * DESK_FAULT_MIN[0] / 0.45))
                busy = 30.0 + REPAIR_MIN[0] * 1.1 + CREW_RETURN_MIN
                self.crews[d.name] = CrewPool(math.ceil(fault_rate * busy / 0.6))
            else:
                share = 0.75 if d.kind == "marketing" and not metering else (0.6 if d.kind == "marketing" else 0.15)
                self.desks[d.name] = ServerPool(math.ceil(other_rate * share * DESK_MIN[0] / 0.45))
        self.arrival_pending = False
        self.next_customer = 0


class Simulation:
    """A discrete-event simulation of one province; iterate :meth:`run` for (epoch seconds, event dict)."""

    def __init__(self, opts: SimOptions) -> None:
        self.opts = opts
        self.t0 = float(int(opts.start))
        self.end = self.t0 + opts.hours * 3600.0 if opts.hours > 0 else math.inf
        self.rng = random.Random(opts.seed)
        self.texts = Texts(random.Random(opts.seed * 7919 + 1), opts.pii_rate, opts.markup_rate)
        self.heap: list[tuple[float, int, Callable[[float, Any], None], Any]] = []
        self.seq = itertools.count()
        self.out: list[tuple[float, dict[str, Any]]] = []
        regions = opts.region_list()
        self.regions = [RegionState(i + 1, r, opts.scale) for i, r in enumerate(regions)]
        self.dept_region = {d.name: rs for rs in self.regions for d in rs.region.departments}
        self.incidents = list(opts.incidents)
        self._outage_jobs: dict[tuple[float, str, str], tuple[float, float]] = {}
        tag = f"{zlib.crc32(f'{opts.seed}|{self.t0}'.encode()) & 0xFFFF:04x}"
        day = datetime.fromtimestamp(self.t0, TZ).strftime("%Y%m%d")
        self.order_prefix = f"WO-{day}-{tag}"
        self.event_prefix = f"e-{tag}-"
        self.n_orders = 0
        self.n_events = 0
        self._minute_cache: dict[int, str] = {}
        self._mix_cache: dict[tuple[int, int], tuple[float, list[str], list[float], bool]] = {}
        for rs in self.regions:
            self.at(self.t0 + self.rng.expovariate(1 / 20.0), self._arrival, rs)

    # --- plumbing -------------------------------------------------------------------------------------
    def at(self, t: float, fn: Callable[[float, Any], None], arg: Any) -> None:
        heapq.heappush(self.heap, (t, next(self.seq), fn, arg))

    def ts(self, t: float) -> str:
        """RFC 3339 at +08:00, whole seconds; the 'YYYY-MM-DDTHH:MM:' part is cached per minute."""
        local = int(t) + UTC_OFFSET_S
        minute, sec = divmod(local, 60)
        head = self._minute_cache.get(minute)
        if head is None:
            if len(self._minute_cache) > 10_000:
                self._minute_cache.clear()
            head = self._minute_cache[minute] = datetime.fromtimestamp(minute * 60 - UTC_OFFSET_S, TZ).strftime(
                "%Y-%m-%dT%H:%M:")
        return head + _SECONDS[sec]

    def emit(self, t: float, o: Order, etype: str, **fields: Any) -> None:
        self.n_events = n = self.n_events + 1
        ev = {"event_id": f"{self.event_prefix}{n:08d}", "order_id": o.oid, "type": etype, "ts": self.ts(t)}
        if fields:
            ev.update(fields)
        self.out.append((t, ev))

    def lognorm(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * _NORMALS[int(self.rng.random() * 8192)])

    def pick(self, items: list[str], cum: list[float]) -> str:
        return items[bisect(cum, self.rng.random() * cum[-1])]

    def minutes(self, t: float) -> float:
        return (t - self.t0) / 60.0

    def run(self) -> Iterator[tuple[float, dict[str, Any]]]:
        heap, out, end, pop = self.heap, self.out, self.end, heapq.heappop
        while heap:
            t, _, fn, arg = pop(heap)
            if t >= end:
                break
            fn(t, arg)
            if out:
                if len(out) == 1:
                    yield out.pop()
                else:
                    yield from out
                    out.clear()

    # --- incidents ------------------------------------------------------------------------------------
    def _active(self, kind: str, t: float) -> list[Incident]:
        m = self.minutes(t)
        return [i for i in self.incidents if i.type == kind and i.active(m)]

    def agent_factor(self, rs: RegionState, t: float) -> float:
        f = 1.0
        m = self.minutes(t)
        for inc in self.incidents:
            if inc.region != rs.name:
                continue
            if inc.type == "understaffed_receive" and inc.active(m):
                f *= inc.factor
            elif inc.type == "gradual_drift" and inc.active(m):
                f *= max(0.25, 1.0 - inc.factor * (m - inc.start_min) / 60.0)
        return f

    def dept_stall_end(self, dept: str, t: float) -> float | None:
        for inc in self.incidents:
            if inc.type == "department_stall" and inc.department == dept and inc.active(self.minutes(t)):
                return self.t0 + inc.end_min * 60.0
        return None

    def slow_factor(self, dept: str, t: float) -> float:
        f = 1.0
        for inc in self.incidents:
            if inc.type == "slow_feedback" and inc.department == dept and inc.active(self.minutes(t)):
                f *= inc.factor
        return f

    def mix(self, rs: RegionState, t: float) -> tuple[float, list[str], list[float], bool]:
        """(orders per second, categories, cumulative weights, storm on) for a region at ``t`` (per minute)."""
        minute = int(t // 60)
        key = (rs.code, minute)
        got = self._mix_cache.get(key)
        if got is not None:
            return got
        if len(self._mix_cache) > 4096:
            self._mix_cache.clear()
        local = t + UTC_OFFSET_S
        weekend = (int(local // 86400) + 3) % 7 >= 5
        base = P.PEAK_ORDERS_PER_MIN * rs.region.size * self.opts.scale * P.diurnal(local % 86400)
        base *= P.WEEKEND_FACTOR if weekend else 1.0
        weights = dict(P.CATEGORY_MIX)
        storm = False
        m = self.minutes(t)
        for inc in self.incidents:
            if inc.region != rs.name or not inc.active(m):
                continue
            if inc.type == "outage_surge":
                weights["fault_repair"] *= inc.factor
            elif inc.type == "sentiment_storm":
                storm = True
                weights["billing"] = (inc.factor - 1.0) * sum(P.CATEGORY_MIX[c] * s for c, s in BILLING_SHARE.items())
        cats, cum = _cum(weights)
        got = (base * cum[-1] / 60.0, cats, cum, storm)
        self._mix_cache[key] = got
        return got

    # --- receive --------------------------------------------------------------------------------------
    def _arrival(self, t: float, rs: RegionState) -> None:
        mix = self.mix(rs, t)
        if rs.arrival_pending:
            self.create(t, rs, mix=mix)
        rate = mix[0]
        gap = -math.log(1.0 - self.rng.random()) / rate if rate > 0 else math.inf
        rs.arrival_pending = gap <= 120.0   # otherwise look again in 2 minutes: the rate may have changed
        self.at(t + min(gap, 120.0), self._arrival, rs)

    def create(self, t: float, rs: RegionState, repeat_of: Order | None = None,
               mix: tuple[float, list[str], list[float], bool] | None = None) -> Order:
        rng = self.rng
        rnd = rng.random
        o = Order()
        self.n_orders += 1
        o.oid = f"{self.order_prefix}{self.n_orders:06d}"
        o.rs = rs
        o.created = t
        _, cats, cum, storm = mix or self.mix(rs, t)
        o.storm = o.billing = o.outage = False
        if repeat_of is not None:
            cat = repeat_of.true_cat
            o.customer, o.tier, o.sensitive, o.temper = (repeat_of.customer, repeat_of.tier, repeat_of.sensitive,
                                                         repeat_of.temper + 0.2)
            o.lang, o.area, o.channel, o.billing = repeat_of.lang, repeat_of.area, "hotline", repeat_of.billing
            o.repeat = True
        else:
            cat = self.pick(cats, cum)
            if cat == "billing":
                cat = rng.choices(list(BILLING_SHARE), weights=list(BILLING_SHARE.values()))[0]
                o.billing = o.storm = True
            else:
                o.billing = rnd() < BILLING_SHARE.get(cat, 0.0)
                o.storm = storm and o.billing
            o.customer = f"C-{rs.code}{rng.randrange(10**6):06d}"
            o.tier = self.pick(TIERS, TIER_CUM)
            o.sensitive = rnd() < SENSITIVE_RATE
            o.temper = self.lognorm(1.0, 0.35) * (1.4 if o.storm else 1.0)
            o.lang = "en" if rnd() < self.opts.english_rate else "zh"
            o.area = self.pick(rs.areas, rs.area_cum)
            o.channel = self.pick(CHANS, CHAN_CUM)
            o.repeat = False
        o.true_cat = cat
        shown = cat
        wave = [i for i in self._active("misclassification_wave", t) if i.channel == o.channel] \
            if self.incidents else None
        if rnd() < (max(i.factor for i in wave) if wave else BASE_MISCLASS):
            shown = rng.choice(MISCLASS_AS[cat])
        o.category = shown
        fields: dict[str, Any] = {"category": shown, "channel": o.channel, "customer_id": o.customer,
                                  "customer_tier": o.tier, "region": rs.name, "area": o.area}
        if cat == "fault_repair":
            surge = [i for i in self._active("outage_surge", t) if i.region == rs.name] if self.incidents else None
            if repeat_of is not None and repeat_of.outage_of is not None:
                o.outage_of = repeat_of.outage_of   # calls again about the same outage: its repair restores both
            elif surge and rnd() < 0.8:
                o.outage = True
                o.outage_of = surge[0]
                fields["affected_customers"] = int(surge[0].affected * (0.5 + rnd()))
            elif rnd() < FAULT_AFFECTED_PROB:
                o.outage = True
                fields["affected_customers"] = rng.randint(2, 80)
        if o.repeat:
            fields["text"] = self.texts.repeat(o.lang)
        elif rnd() < (0.6 if o.channel in ("hotline", "hall") else 0.95):
            fields["text"] = self.texts.opening(cat, o.lang, o.billing, o.outage and "affected_customers" in fields
                                                and fields["affected_customers"] > 100, angry=o.storm)
        self.emit(t, o, "created", **fields)
        # customer's sense of "late": receive span, then the feedback span of the order's real need
        tf = P.TIER_FACTOR[o.tier]
        o.recv_span = P.RECEIVE_ACK_MIN.get(o.channel, P.RECEIVE_ACK_ONLINE_MIN) * 60.0 * tf
        if cat == "fault_repair":
            o.fb_span = P.ARRIVAL_MIN[o.area] * 60.0 * tf
        else:
            o.fb_span = P.REPLY_MIN.get(cat, P.REPLY_DEFAULT_MIN) * 60.0 * tf
        accepted_at = self._receive(t, o)
        first_look = t + o.recv_span * (0.7 + 0.6 * rnd())
        if accepted_at < first_look:   # taken in time: the first look is against the feedback deadline
            first_look = t + o.fb_span * (0.4 + 0.5 * rnd())
        self.at(first_look, self._patience, o)
        return o

    def _receive(self, t: float, o: Order) -> float:
        """Hotline calls are registered at once; hall tickets and online submissions reach the queue later.

        Returns the acceptance time when it is already known (hotline), else infinity.
        """
        if o.channel == "hotline":
            return self._take(t, o, self.lognorm(2.0, 0.3) * 60.0)
        rnd = self.rng.random
        if o.channel == "hall":
            wait = 0.5 + 1.5 * rnd()
        else:
            wait = (1.0 + 4.0 * rnd()) if o.true_cat == "fault_repair" else 0.5 + 9.5 * rnd()
        self.at(t + wait * 60.0, self._queued, o)
        return math.inf

    def _queued(self, t: float, o: Order) -> None:
        self._take(t, o, self.lognorm(1.5, 0.3) * 60.0)

    def _take(self, t: float, o: Order, service: float) -> float:
        """The first free receive agent on shift registers the order; returns when it is accepted."""
        rs = o.rs
        local = t + UTC_OFFSET_S
        weekend = (int(local // 86400) + 3) % 7 >= 5
        k = max(1, round(rs.agents[weekend][int(local % 86400 // 3600)] * self.agent_factor(rs, t)))
        agent, done = rs.agent_pool.serve(t, service, k)
        o.agent = f"A-{rs.code}{agent + 1:02d}"
        self.at(done, self._accepted, o)
        return done

    def _accepted(self, t: float, o: Order) -> None:
        o.accepted = True
        self.emit(t, o, "accepted", agent_id=o.agent)
        fault = o.true_cat == "fault_repair"
        delay = self.lognorm(*(CLASSIFY_FAULT_MIN if fault else CLASSIFY_MIN))
        rnd = self.rng.random
        o.right_dept = self.department_for(o.rs, o.true_cat, o.billing)
        o.dept = o.right_dept
        if o.category != o.true_cat:
            if rnd() < MISCLASS_NOTICED:
                delay += self.lognorm(*RECLASS_EXTRA_MIN)
                o.category = o.true_cat          # the dispatcher reclassifies
            else:
                o.dept = self.department_for(o.rs, o.category, o.billing)
                o.bounce = RECLASS_REASON
        elif rnd() < (WRONG_DEPT_FAULT if fault else WRONG_DEPT):
            others = [d.name for d in o.rs.region.departments if d.name != o.right_dept]
            if others:
                o.dept = self.rng.choice(others)
                o.bounce = self.rng.choice(BOUNCE_REASONS)
        if o.dept == o.right_dept:
            o.bounce = None
        self.at(t + delay * 60.0, self._dispatched, o)

    # --- decompose ------------------------------------------------------------------------------------
    def department_for(self, rs: RegionState, category: str, billing: bool) -> str:
        if category == "fault_repair":
            return rs.repair[0] if len(rs.repair) == 1 else self.rng.choice(rs.repair)
        if category == "service_request" and not billing and self.rng.random() < 0.5:
            return rs.metering
        return rs.marketing

    def _dispatched(self, t: float, o: Order) -> None:
        self.emit(t, o, "dispatched", department=o.dept, category=o.category)
        if o.bounce:
            review = BOUNCE_REVIEW_FAULT_MIN if o.right_dept in o.rs.crews else BOUNCE_REVIEW_MIN
            self.at(t + self.lognorm(*review) * 60.0, self._reassigned, o)
        else:
            self._to_desk(t, o)

    def _reassigned(self, t: float, o: Order) -> None:
        reason, o.bounce = o.bounce, None
        o.dept = o.right_dept
        self.emit(t, o, "reassigned", department=o.dept, reason=reason or "转派")
        self._to_desk(t, o)

    def _to_desk(self, t: float, o: Order) -> None:
        """The department's desk takes the order when a clerk is free — unless the department has stalled."""
        desk = o.rs.desks[o.dept]
        fault = o.dept in o.rs.crews
        _, done = desk.serve(t, self.lognorm(*(DESK_FAULT_MIN if fault else DESK_MIN)) * 60.0, desk.size)
        stall_end = self.dept_stall_end(o.dept, done)
        if stall_end is not None:
            siblings = [d for d in (o.rs.repair if fault else [o.rs.marketing, o.rs.metering]) if d != o.dept]
            if siblings and self.rng.random() < STALL_RESCUE:
                o.bounce, o.right_dept = "部门长时间未接单，改派", self.rng.choice(siblings)
                self.at(done + self.rng.uniform(30.0, 70.0) * 60.0, self._reassigned, o)
                return
            done = stall_end + self.lognorm(*DESK_MIN) * 60.0
        self.at(done, self._dept_accepted, o)

    def _dept_accepted(self, t: float, o: Order) -> None:
        self.emit(t, o, "dept_accepted", department=o.dept)
        if o.true_cat == "fault_repair" and o.dept in o.rs.crews and o.outage_of is not None:
            # one more report of a large outage: the crews already sent to it restore everybody at once
            arrive0, restored0 = self._outage_repair(t, o)
            arrive = max(arrive0, t + self.lognorm(*OUTAGE_CONFIRM_MIN) * 60.0)
            self.at(arrive, self._arrived, o)
            self.at(max(restored0, arrive + self.lognorm(*OUTAGE_CONFIRM_MIN) * 60.0), self._replied, o)
        elif o.true_cat == "fault_repair" and o.dept in o.rs.crews:
            crews = o.rs.crews[o.dept]
            crew, start = crews.take(t)
            arrive = start + self.lognorm(TRAVEL_MIN[o.area], 0.25) * 60.0
            restored = arrive + self.lognorm(*REPAIR_MIN) * 60.0 * self.slow_factor(o.dept, t)
            crews.release(crew, restored + CREW_RETURN_MIN * 60.0)
            self.at(arrive, self._arrived, o)
            self.at(restored, self._replied, o)
        else:
            median, sigma = HANDLING_H.get(o.true_cat, (3.0, 0.6))
            handling = self.lognorm(median, sigma) * 3600.0 * self.slow_factor(o.dept, t)
            if o.true_cat == "service_request" and self.rng.random() < PAUSE_PROB:
                pause_at = t + handling * self.rng.uniform(0.1, 0.5)
                o.paused_s = self.lognorm(*PAUSE_H) * 3600.0
                self.at(pause_at, self._paused, o)
                handling += o.paused_s
            self.at(t + handling, self._replied, o)

    def _outage_repair(self, t: float, o: Order) -> tuple[float, float]:
        """(crews on site, power back) of the repair of ``o``'s outage by ``o``'s department: the first report
        sends :data:`OUTAGE_CREWS` crews; power comes back after the repair, and not before the reports stop
        (the incident's end). Without it every report took a crew of its own, and a strong outage left a queue
        that grew for days (urges, repeat contacts, more reports)."""
        inc = o.outage_of
        key = (inc.start_min, inc.region, o.dept)
        job = self._outage_jobs.get(key)
        if job is None:
            crews = o.rs.crews[o.dept]
            taken = [crews.take(t) for _ in range(OUTAGE_CREWS)]
            arrive = max(start for _, start in taken) + self.lognorm(TRAVEL_MIN[o.area], 0.25) * 60.0
            restored = max(arrive + self.lognorm(*REPAIR_MIN) * 60.0 * OUTAGE_REPAIR_FACTOR,
                           self.t0 + inc.end_min * 60.0 + self.lognorm(*OUTAGE_CONFIRM_MIN) * 60.0)
            for crew, _ in taken:
                crews.release(crew, restored + CREW_RETURN_MIN * 60.0)
            job = self._outage_jobs[key] = (arrive, restored)
        return job

    # --- feedback -------------------------------------------------------------------------------------
    def _paused(self, t: float, o: Order) -> None:
        self.emit(t, o, "paused", reason=self.rng.choice(PAUSE_REASONS))
        self.at(t + o.paused_s, self._resumed, o)

    def _resumed(self, t: float, o: Order) -> None:
        self.emit(t, o, "resumed")

    def _arrived(self, t: float, o: Order) -> None:
        o.done = True
        self.emit(t, o, "arrived")

    def _replied(self, t: float, o: Order) -> None:
        o.done = True
        if self.rng.random() < 0.5:
            self.emit(t, o, "replied", text=self.texts.reply(o.lang))
        else:
            self.emit(t, o, "replied")
        self.at(t + self.lognorm(*CLOSE_AFTER_REPLY_MIN) * 60.0, self._closed, o)

    def lateness(self, t: float, o: Order) -> float:
        return (t - o.created - o.paused_s) / o.fb_span

    def _closed(self, t: float, o: Order) -> None:
        o.closed = True
        rnd = self.rng.random
        late = self.lateness(t, o)
        r = rnd()
        resolution = ("withdrawn" if r < WITHDRAW_PROB else
                      "unresolved" if r < WITHDRAW_PROB + UNRESOLVED_PROB * (1 + min(late, 3.0)) else "resolved")
        self.emit(t, o, "closed", resolution=resolution)
        if resolution == "unresolved":
            self.maybe_escalate(t, o, bonus=ESC_BONUS_UNRESOLVED)
            if not o.repeat_spawned and rnd() < 0.3:
                o.repeat_spawned = True
                self.at(t + self.lognorm(6.0, 0.8) * 3600.0, self._repeat_contact, o)
        if not o.reopened and rnd() < REVISIT_PROB:
            self.at(t + self.lognorm(*REVISIT_DELAY_H) * 3600.0, self._revisited, (o, late, resolution))

    def _revisited(self, t: float, arg: tuple[Order, float, str]) -> None:
        o, late, resolution = arg
        rnd = self.rng.random
        p_bad = 0.04 + 0.18 * min(late, 2.5) + (0.4 if resolution == "unresolved" else 0.0) + 0.05 * o.urges
        r = rnd()
        sat = "dissatisfied" if r < p_bad else ("neutral" if r < p_bad + 0.15 else "satisfied")
        if rnd() < 0.4:
            self.emit(t, o, "revisited", satisfaction=sat, text=self.texts.revisit(sat, o.lang))
        else:
            self.emit(t, o, "revisited", satisfaction=sat)
        if sat == "dissatisfied":
            self.maybe_escalate(t, o, bonus=ESC_BONUS_DISSATISFIED)
            if rnd() < REOPEN_PROB:
                self.at(t + self.rng.uniform(10.0, 120.0) * 60.0, self._reopened, o)

    def _reopened(self, t: float, o: Order) -> None:
        o.reopened, o.closed = True, False
        self.emit(t, o, "reopened", text=self.texts.revisit("dissatisfied", o.lang))
        self.at(t + self.lognorm(3.0, 0.7) * 3600.0, self._replied, o)

    def _repeat_contact(self, t: float, o: Order) -> None:
        self.create(t, o.rs, repeat_of=o)

    # --- the customer ---------------------------------------------------------------------------------
    def _patience(self, t: float, o: Order) -> None:
        """The customer checks on the order; late orders earn urges, messages, repeat calls and escalations."""
        if o.done or o.closed:
            return
        rng, rnd = self.rng, self.rng.random
        if o.accepted:
            late = self.lateness(t, o)
            span = o.fb_span
        else:
            late = max(min((t - o.created) / o.recv_span, 2.0), self.lateness(t, o))
            span = o.recv_span
        if late >= 0.4 and rnd() < min(0.9, (0.3 + 0.5 * (late - 0.4)) * o.temper):
            tone = 0 if late < 0.8 else (1 if late < 1.3 else 2)
            if o.temper > 1.3 or o.storm:
                tone += 1
            o.tone = tone = min(tone, 2)
            if tone == 2 and rnd() < THREAT_BLUFF:
                tone = 3
            self.nag(t, o, tone)
            # a customer opens a second order once; after that they urge it (a repeat of a repeat made an overloaded
            # region's own retries outgrow its capacity: the queue never drained)
            if late > 1.3 and not o.repeat_spawned and not o.repeat and rnd() < REPEAT_CONTACT_PROB:
                o.repeat_spawned = True
                self.at(t + rng.uniform(2.0, 30.0) * 60.0, self._repeat_contact, o)
            self.maybe_escalate(t, o, late=late)
        if not o.accepted and late < 0.4:
            nxt = o.created + o.fb_span * (0.4 + 0.5 * rnd())        # next look: against the feedback deadline
        else:
            nxt = t + max(600.0, span * rng.uniform(0.15, 0.35))
        self.at(nxt, self._patience, o)

    def nag(self, t: float, o: Order, tone: int) -> None:
        o.urges += 1
        rnd = self.rng.random
        channel = "hotline" if rnd() < 0.6 else (o.channel if o.channel != "hall" else "app")
        if rnd() < 0.6:
            if tone == 0 and rnd() < 0.5:
                self.emit(t, o, "urged", channel=channel)
            else:
                self.emit(t, o, "urged", channel=channel, text=self.texts.nag(tone, o.lang))
        else:
            self.emit(t, o, "customer_message", text=self.texts.nag(tone, o.lang), channel=channel)

    def maybe_escalate(self, t: float, o: Order, late: float | None = None, bonus: float = 0.0) -> None:
        if o.escalated:
            return
        if late is None:
            late = self.lateness(t, o)
        w = ESC_W
        z = (ESC_B0 + bonus + w["lateness"] * min(late, 3.0) + w["urges"] * min(o.urges, 5) + w["tone"] * o.tone
             + w["sensitive"] * o.sensitive + w["temper"] * (o.temper - 1.0) + w.get(o.tier, 0.0)
             + w["repeat"] * o.repeat + w["outage"] * o.outage + w["storm"] * o.storm + ESC_CAT[o.true_cat])
        if self.rng.random() >= 1.0 / (1.0 + math.exp(-z)):
            return
        o.escalated = True
        to = self.rng.choices([k for k, _ in ESC_TO], weights=[v for _, v in ESC_TO])[0]
        if to == "complaint" and o.true_cat == "complaint":
            to = "12398"
        delay = self.rng.uniform(1.0, 30.0) * 60.0
        if self.rng.random() < THREAT_BEFORE_ESCALATION:
            self.nag(t, o, 3)
            delay += self.rng.uniform(5.0, 40.0) * 60.0
        self.at(t + delay, self._escalated, (o, to))

    def _escalated(self, t: float, arg: tuple[Order, str]) -> None:
        o, to = arg
        self.emit(t, o, "escalated", to=to)


def _bad_copy(rng: random.Random, ev: dict[str, Any]) -> dict[str, Any]:
    """A broken delivery of ``ev``: an unknown type, a missing field, an unparsable time or a bad enum."""
    bad = dict(ev)
    bad["event_id"] = ev["event_id"] + "-bad"
    kind = rng.randrange(4)
    if kind == 0:
        bad["type"] = "exploded"
    elif kind == 1:
        bad.pop("order_id")
    elif kind == 2:
        bad["ts"] = "yesterday morning"
    else:
        bad.update(type="created", category="electricity", channel="fax", customer_id="C-0",
                   customer_tier="regular", region="nowhere", area="urban")
    return bad


def iter_timed(opts: SimOptions, sim: Simulation | None = None) -> Iterator[tuple[float, dict[str, Any]]]:
    """(delivery time, event) in delivery order: the simulation plus late, duplicate and broken deliveries.

    ``sim`` runs instead of a fresh ``Simulation(opts)`` (e.g. a :class:`~yujing.simulator.truth.TruthSimulation`
    built from the same options, to keep its ground truth).
    """
    rng = random.Random(opts.seed * 104729 + 7)
    late_rate, bad_rate = opts.late_rate, opts.bad_rate
    held: list[tuple[float, int, dict[str, Any]]] = []
    n = 0
    for t, ev in (sim or Simulation(opts)).run():
        while held and held[0][0] <= t:
            rt, _, hev = heapq.heappop(held)
            yield rt, hev
        if late_rate and rng.random() < late_rate:
            n += 1
            heapq.heappush(held, (t + rng.uniform(20.0, 180.0), n, ev))
            continue
        yield t, ev
        if bad_rate and rng.random() < bad_rate:
            yield t, (dict(ev) if rng.random() < 0.5 else _bad_copy(rng, ev))
    while held:
        rt, _, hev = heapq.heappop(held)
        yield rt, hev


def iter_events(opts: SimOptions) -> Iterator[dict[str, Any]]:
    """Events in emission order (contract dicts; with ``bad_rate=0`` every one passes ``parse_event``)."""
    for _, ev in iter_timed(opts):
        yield ev
