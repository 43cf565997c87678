"""Receive agents per region and hour against the same hour of an earlier day (detectors/staffing.py)."""
from __future__ import annotations

import random

import pytest

from detectors.staffing import StaffingWatch, log10_tail
from streams import signals as S
from streams.order_stage import OrderStage
from streams.scope_stage import ScopeStage, scope_from_state, scope_state_dict
from streams.signals import ScopeSignal
from yujing.config import load_config
from yujing.events import parse_event

DAY, HOUR = 86400.0, 3600.0
MONDAY = 20647 * DAY - 8 * HOUR   # 2026-07-13 00:00 +08:00, a Monday (epoch day 20647)


def hour_of(w: StaffingWatch, region: str, start: float, orders: int, agents: list[str],
            rng: random.Random | None = None, span: float = HOUR) -> float:
    """``orders`` accepted in ``span`` seconds from ``start``, evenly spread, handed to ``agents`` in turn (or at
    random with ``rng``); returns the time of the last."""
    t = start
    for i in range(orders):
        t = start + (i + 0.5) * span / orders
        w.update(region, rng.choice(agents) if rng else agents[i % len(agents)], t)
    return t


def test_the_clock_knows_monday() -> None:
    w = StaffingWatch()
    assert w._clock(MONDAY + 9 * HOUR) == (20647, 9, False)
    assert w._clock(MONDAY + 5 * DAY + 1.0)[2] and not w._clock(MONDAY + 4 * DAY + 1.0)[2]


def test_union_bound_tail() -> None:
    assert log10_tail(50, 5, 5) == 0.0 and log10_tail(50, 6, 5) == 0.0   # all the usual agents: nothing
    assert log10_tail(46, 4, 5) == pytest.approx(-3.76, abs=0.01)         # 46 orders, 4 of 5 agents
    assert log10_tail(3, 2, 7) == pytest.approx(-0.31, abs=0.01)          # three orders by 2 of 7: says nothing


def test_a_desk_losing_one_of_five_agents_with_arrivals_steady() -> None:
    """Monday 08:00 five agents take 60 orders; Tuesday the same hour, as many orders, four agents: evidence
    (at p < 0.001) within the hour, and it stands into the next hour until that hour has its own say."""
    w = StaffingWatch()
    hour_of(w, "south", MONDAY + 8 * HOUR, 60, [f"A-{i}" for i in range(5)])
    hour_of(w, "south", MONDAY + 9 * HOUR, 60, [f"A-{i}" for i in range(5)])
    t = hour_of(w, "south", MONDAY + DAY + 8 * HOUR, 60, [f"A-{i}" for i in range(4)])
    assert w.evidence("south", t) >= 4.0
    assert w.agents("south", t) == (4, 5, 50)       # the orders accepted from 08:10 on
    # by 08:50 the count already says it (40 orders counted from 08:10, none by the fifth agent)
    w2 = StaffingWatch()
    hour_of(w2, "south", MONDAY + 8 * HOUR, 60, [f"A-{i}" for i in range(5)])
    part = hour_of(w2, "south", MONDAY + DAY + 8 * HOUR, 50, [f"A-{i}" for i in range(4)], span=50 * 60.0)
    assert w2.agents("south", part) == (4, 5, 40)
    assert w2.evidence("south", part) >= 3.0
    # the next hour's first orders: the last hour's evidence stands
    w.update("south", "A-0", MONDAY + DAY + 9 * HOUR + 60.0)
    assert w.evidence("south", MONDAY + DAY + 9 * HOUR + 120.0) >= 3.0
    # and an hour later with nothing accepted it is old news
    assert w.evidence("south", MONDAY + DAY + 11 * HOUR) == 0.0


def test_random_draws_from_a_fixed_pool_stay_silent() -> None:
    """Public-1's desks: each order's agent drawn at random from a fixed pool of 7, 10-110 orders an hour by
    day, 2-30 by night, over three days in eight regions: no hour reaches the evidence."""
    assert _pool_hits(random.Random(11), (7,), 1) == 0


def test_random_draws_reach_the_evidence_about_once_in_a_thousand_hours() -> None:
    """What the threshold means (p < 0.001 per hour, looked at after every order): over ten public-1-like
    runs of pools of 7 and 9 (11 520 region-hours) a handful of hours at most."""
    assert _pool_hits(random.Random(5), (7, 9), 10) <= 12


def _pool_hits(rng: random.Random, pools: tuple[int, ...], runs: int) -> int:
    hits = 0
    for _ in range(runs):
        for pool in pools:
            hits += _pool_run(rng, pool)
    return hits


def _pool_run(rng: random.Random, pool: int) -> int:
    """Region-hours whose evidence reaches 3 in one three-day run of eight regions drawing from ``pool``."""
    hits = 0
    w = StaffingWatch()
    agents = [f"A-{i}" for i in range(pool)]
    for region in ("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"):
        for h in range(72):
            orders = rng.randint(10, 110) if 7 <= h % 24 <= 22 else rng.randint(2, 30)
            start = MONDAY + h * HOUR
            for i in range(orders):
                t = start + (i + 0.5) * HOUR / orders
                w.update(region, rng.choice(agents), t)
                if w.evidence(region, t) >= 3.0:
                    hits += 1
                    break
    return hits


def test_a_quiet_night_hour_is_not_judged() -> None:
    w = StaffingWatch()
    hour_of(w, "east", MONDAY + 3 * HOUR, 12, ["A-1", "A-2", "A-3"])
    t = hour_of(w, "east", MONDAY + DAY + 3 * HOUR, 2, ["A-1"])
    assert w.evidence("east", t) == 0.0
    assert w._judge("east", w.now["east"], False, 1.0) == 0.0   # two orders: below min_orders


def test_fewer_customers_fewer_agents_is_the_plan() -> None:
    """Half the orders of the habit hour and one agent fewer: not judged (``arrivals_floor``)."""
    w = StaffingWatch()
    hour_of(w, "east", MONDAY + 10 * HOUR, 80, [f"A-{i}" for i in range(6)])
    t = hour_of(w, "east", MONDAY + DAY + 10 * HOUR, 40, [f"A-{i}" for i in range(5)])
    assert w.evidence("east", t) == 0.0


def test_a_weekend_is_not_judged_by_a_weekday() -> None:
    """Friday's shift is no habit for Saturday's (fewer agents planned); the Saturday after is."""
    w = StaffingWatch()
    friday = MONDAY + 4 * DAY
    hour_of(w, "west", friday + 9 * HOUR, 60, [f"A-{i}" for i in range(6)])
    t = hour_of(w, "west", friday + DAY + 9 * HOUR, 60, [f"A-{i}" for i in range(4)])
    assert w.evidence("west", t) == 0.0
    t = hour_of(w, "west", friday + 8 * DAY + 9 * HOUR, 60, [f"A-{i}" for i in range(3)])
    assert w.evidence("west", t) >= 3.0


def test_state_restore_continues_identically() -> None:
    w = StaffingWatch()
    hour_of(w, "south", MONDAY + 8 * HOUR, 60, [f"A-{i}" for i in range(5)])
    hour_of(w, "south", MONDAY + DAY + 8 * HOUR, 30, [f"A-{i}" for i in range(4)], span=1800.0)
    again = StaffingWatch()
    again.restore(w.state())
    for x in (w, again):
        hour_of(x, "south", MONDAY + DAY + 8 * HOUR + 1900.0, 20, ["A-0", "A-1"], span=1600.0)
    t = MONDAY + DAY + 8 * HOUR + 3599.0
    assert again.evidence("south", t) == w.evidence("south", t) > 0.0
    assert again.agents("south", t) == w.agents("south", t)


def test_order_stage_signals_the_agent_and_scope_stage_feeds_the_watch() -> None:
    settings = load_config(None)
    orders = OrderStage(settings)
    ev = lambda i, typ, ts, **kw: parse_event(dict(event_id=f"e{i}", order_id="WO-1", type=typ, ts=ts, **kw))
    orders.ingest(ev(1, "created", "2026-07-14T09:00:00+08:00", category="fault_repair", channel="hotline",
                     customer_id="C-1", customer_tier="regular", region="north", area="urban"))
    out = orders.ingest(ev(2, "accepted", "2026-07-14T09:15:00+08:00", agent_id="A-107"))
    agent = [s for s in out.signals if s.kind == S.AGENT]
    assert len(agent) == 1 and agent[0].check == "A-107" and agent[0].region == "north"
    stage = ScopeStage(settings)
    watch = stage.detectors.staffing
    assert watch is not None
    stage.apply(agent[0])
    assert watch.now["north"].agents == {"A-107"}
    restored = scope_from_state(load_config(None), scope_state_dict(stage))
    assert restored.detectors.staffing is not None
    assert restored.detectors.staffing.now["north"].agents == {"A-107"}


def test_zero_switches_it_off() -> None:
    s = load_config(None)
    s.detectors.scope.staffing_evidence = 0.0
    assert ScopeStage(s).detectors.staffing is None
    ev = lambda i, typ, ts, **kw: parse_event(dict(event_id=f"e{i}", order_id="WO-1", type=typ, ts=ts, **kw))

    def agent_signals() -> list:
        orders = OrderStage(s)
        orders.ingest(ev(1, "created", "2026-07-14T09:00:00+08:00", category="fault_repair", channel="hotline",
                         customer_id="C-1", customer_tier="regular", region="north", area="urban"))
        out = orders.ingest(ev(2, "accepted", "2026-07-14T09:15:00+08:00", agent_id="A-107"))
        return [x for x in out.signals if x.kind == S.AGENT]
    assert len(agent_signals()) == 1             # the desk-share watch (detectors/desk_share.py) still reads them
    s.detectors.scope.desk_share_alone = 0.0
    assert agent_signals() == []                 # neither watch: the order stage does not send them


def test_the_region_plan_reads_the_short_hour() -> None:
    """The region's plan reads the watch's evidence while the short hour stands, and not hours later (the
    verdict it changes is tested end to end in test_a_desk_missing_an_agent_warns_once_an_order_nears_its_deadline)."""
    stage = ScopeStage(load_config(None))
    det = stage.detectors
    assert det.staffing is not None
    hour_of(det.staffing, "west", MONDAY + 8 * HOUR, 50, [f"A-{i}" for i in range(5)])
    t = hour_of(det.staffing, "west", MONDAY + DAY + 8 * HOUR, 50, [f"A-{i}" for i in range(4)])
    sc = stage._scope(("region", "west"))
    plan = det._plan(("region", "west"), sc)
    assert det._short_staffed(plan, t)
    assert not det._short_staffed(plan, t + 3 * HOUR)


def _short_desk_alerts(settings, agents_after_cut: int, slow_at_min: int = 415) -> list:
    """Three regions' desks through the scope stage, one hotline order a minute each, all taken in ~2 minutes;
    west's staffing habit is Monday's (five agents every hour). On Tuesday from 06:00 west's orders are taken by
    ``agents_after_cut`` agents in turn, and three orders (from ``slow_at_min``) wait 4.7 of their 5 minutes.
    Returns west's receive lag alerts."""
    from tests.test_receive_wait import Desks
    rng = random.Random(9)
    d = Desks(settings)
    watch = d.stage.detectors.staffing
    if watch is not None:
        for m in range(24 * 60):
            watch.update("west", f"A-{m % 5}", MONDAY + 60.0 * m + 30.0)
    tuesday = MONDAY + DAY
    for m in range(480):
        t = tuesday + 60.0 * m
        for region in ("west", "east", "north"):
            at = t + rng.uniform(0.0, 50.0)
            slow = region == "west" and slow_at_min <= m < slow_at_min + 3
            wait = 280.0 if slow else 110.0 * min(1.5, 2.0 ** rng.gauss(0.0, 0.3))
            d.order(region, at, wait)
            if region == "west":
                pool = 5 if m < 360 else agents_after_cut
                d.pending.append((at + wait, d.n, ScopeSignal(S.AGENT, at + wait, f"WO-west-{d.n}", "receive",
                                                              "west", None, "complaint", "hotline",
                                                              check=f"A-{m % pool}")))
        d.run_until(t)
    d.run_until(tuesday + 480 * 60.0 + 600.0)
    return [c for c in d.out if c.kind == "receive_lag" and c.scope == {"region": "west"} and c.tier]


def test_a_desk_missing_an_agent_warns_once_an_order_nears_its_deadline() -> None:
    """West loses one of its five agents at 06:00; by ~06:50 the count says so beyond chance, and the orders that
    wait past 75 % of their deadline from 06:59 turn west's receive lag yellow. Without the watch, or with all five
    agents there, those three orders are no warning."""
    fired = _short_desk_alerts(load_config(None), 4)
    assert fired and fired[0].tier == "yellow"
    assert MONDAY + DAY + 415 * 60.0 < fired[0].ts <= MONDAY + DAY + 425 * 60.0
    assert fired[0].evidence["usual_receive_agents"] == 5 and fired[0].evidence["receive_agents"] == 4
    off = load_config(None)
    off.detectors.scope.staffing_evidence = 0.0
    assert _short_desk_alerts(off, 4) == []
    assert _short_desk_alerts(load_config(None), 5) == []
