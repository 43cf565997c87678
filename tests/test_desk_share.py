"""A region's share of the province's receive agents per hour against its own level (detectors/desk_share.py)."""
from __future__ import annotations

import random

from detectors.desk_share import DeskShareWatch
from streams import signals as S
from streams.scope_stage import ScopeStage, scope_from_state, scope_state_dict
from streams.signals import ScopeSignal
from yujing.config import load_config

DAY, HOUR = 86400.0, 3600.0
MONDAY = 20647 * DAY - 8 * HOUR   # 2026-07-13 00:00 +08:00
REGIONS = ("north", "east", "south", "west")
PLAN = {h: k for h, k in zip(range(24), (1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 6, 6, 6, 5, 4, 3))}
"""Agents on shift by local hour in every region: the province's diurnal plan (lunch dip, evening peak, night)."""
LOAD = {h: k * 8 for h, k in PLAN.items()}
"""Orders per hour: planned for, so ~8 per agent."""


def day_of(w: DeskShareWatch, agents: dict[str, list[int]], orders: dict[str, list[int]], rng: random.Random,
           start: float = MONDAY, hours: int = 24) -> list[tuple[float, dict[str, float]]]:
    """One day: in each hour every region's orders (``orders[region][hour]``) go to the agent free longest among
    its ``agents[region][hour]`` (in turn). Returns (time, evidence by region) after each hour's last order."""
    trace = []
    for h in range(hours):
        events = []
        for r in REGIONS:
            n, k = orders[r][h], max(1, agents[r][h])
            events += [(start + h * HOUR + rng.uniform(0.0, HOUR), r) for _ in range(n)]
        events.sort()
        turn = {r: 0 for r in REGIONS}
        for t, r in events:
            w.update(r, f"{r}-{turn[r] % max(1, agents[r][h])}", t)
            turn[r] += 1
        t_end = start + (h + 1) * HOUR - 1.0
        trace.append((t_end, {r: w.evidence(r, t_end) for r in REGIONS}))
    return trace


def plan_for(scale: float = 1.0) -> tuple[list[int], list[int]]:
    return [PLAN[h] for h in range(24)], [round(LOAD[h] * scale) for h in range(24)]


def province(rng_seed: int = 3, **change: tuple[list[int], list[int]]) -> list[tuple[float, dict[str, float]]]:
    w = DeskShareWatch()
    agents, orders = {}, {}
    for r in REGIONS:
        agents[r], orders[r] = change.get(r, plan_for())
    return day_of(w, agents, orders, random.Random(rng_seed))


def first_alarm(trace: list[tuple[float, dict[str, float]]], region: str, at: float = 0.4) -> float | None:
    return next((t for t, ev in trace if ev[region] >= at), None)


def test_a_desk_shrinking_on_its_first_day_alarms() -> None:
    """South's shift shrinks 4 % an hour from 08:00 (gradual drift) on the monitor's first day: its share of the
    province's agents slides and the evidence reaches 0.4 (desk_share_alone) in the afternoon, while no other region moves."""
    agents, orders = plan_for()
    shrunk = [max(1, round(k * max(0.25, 1.0 - 0.04 * (h - 8)))) if h >= 8 else k for h, k in enumerate(agents)]
    trace = province(south=(shrunk, orders))
    t = first_alarm(trace, "south")
    assert t is not None and MONDAY + 13 * HOUR < t <= MONDAY + 19 * HOUR
    assert all(ev[r] < 0.3 for _, ev in trace for r in ("north", "east", "west"))


def test_a_province_wide_shift_change_is_no_evidence() -> None:
    """Every region's evening shift halves at 18:00 (and the lunch dip, and the night): the shares stay."""
    agents, orders = plan_for()
    evening = [k // 2 if h >= 18 else k for h, k in enumerate(agents)]
    trace = province(**{r: (evening, orders) for r in REGIONS})
    assert max(ev[r] for _, ev in trace for r in REGIONS) < 0.3


def test_a_quiet_night_is_not_judged() -> None:
    """Night hours of a few orders by one agent among several: no hour is judged, no level learned from them."""
    w = DeskShareWatch()
    rng = random.Random(8)
    for h in range(6):
        for r in REGIONS:
            for _ in range(rng.randint(2, 12)):
                w.update(r, f"{r}-{rng.randint(0, 2) if r != 'south' else 0}", MONDAY + h * HOUR + 600.0
                         + rng.uniform(0, 3000.0))
    w.update("north", "north-0", MONDAY + 6 * HOUR + 700.0)
    assert w.level == {} and all(w.evidence(r, MONDAY + 6 * HOUR + 800.0) == 0.0 for r in REGIONS)


def test_a_desk_whose_customers_fall_with_its_staff_stays_silent() -> None:
    """South's orders fall to 60 % from noon and its plan follows them (fewer agents for fewer customers)."""
    agents, orders = plan_for()
    fewer = [round(n * 0.6) if h >= 12 else n for h, n in enumerate(orders)]
    staff = [max(1, round(k * 0.6)) if h >= 12 else k for h, k in enumerate(agents)]
    trace = province(south=(staff, fewer))
    assert max(ev["south"] for _, ev in trace) < 0.3


def test_a_burst_of_customers_at_the_same_desk_is_no_evidence() -> None:
    """West's orders double from 10:00 (an outage) with its planned agents: not lost capacity."""
    agents, orders = plan_for()
    trace = province(west=(agents, [2 * n if h >= 10 else n for h, n in enumerate(orders)]))
    assert max(ev["west"] for _, ev in trace) < 0.3


def test_evidence_goes_stale_overnight_and_state_restores() -> None:
    agents, orders = plan_for()
    shrunk = [max(1, round(k * max(0.25, 1.0 - 0.05 * (h - 8)))) if h >= 8 else k for h, k in enumerate(agents)]
    w = DeskShareWatch()
    alls = {r: plan_for()[0] for r in REGIONS}
    alls["south"] = shrunk
    trace = day_of(w, alls, {r: orders for r in REGIONS}, random.Random(5))
    assert trace[21][1]["south"] >= 0.6
    again = DeskShareWatch()
    again.restore(w.state())
    assert again.state() == w.state()
    # 04:00 the next day: the last judged hour (22:00-23:00) is older than two hours
    assert w.evidence("south", MONDAY + DAY + 4 * HOUR) == 0.0


def test_scope_stage_feeds_it_and_zero_switches_it_off() -> None:
    settings = load_config(None)
    stage = ScopeStage(settings)
    watch = stage.detectors.desk_share
    assert watch is not None
    stage.apply(ScopeSignal(S.AGENT, MONDAY + 9 * HOUR + 700.0, "WO-1", "receive", "north", None, "complaint",
                            "hotline", check="A-107"))
    assert watch.now["north"][0] == {"A-107"}
    restored = scope_from_state(load_config(None), scope_state_dict(stage))
    assert restored.detectors.desk_share is not None and restored.detectors.desk_share.now["north"][0] == {"A-107"}
    off = load_config(None)
    off.detectors.scope.desk_share_alone = 0.0
    assert ScopeStage(off).detectors.desk_share is None


def _drifting_desk_alerts(settings, drift: float) -> list:
    """Three regions' desks through the scope stage on the monitor's first day (no habit of any kind): two hotline
    orders a minute each, handed in turn to each region's 6 agents. From 08:00 west's shift shrinks by ``drift``
    per hour; three of west's orders at 16:00 wait 4.7 of their 5 minutes. Returns west's receive lag alerts."""
    from tests.test_receive_wait import Desks
    rng = random.Random(12)
    d = Desks(settings)
    start = MONDAY + 6 * HOUR
    turn = {r: 0 for r in ("west", "east", "north")}
    for m in range(11 * 60):
        t = start + 60.0 * m
        hours = m / 60.0 - 2.0
        for region in ("west", "east", "north"):
            pool = 6
            if region == "west" and hours > 0:
                pool = max(1, round(6 * (1.0 - drift * hours)))
            for _ in range(2):
                at = t + rng.uniform(0.0, 50.0)
                slow = region == "west" and 600 <= m < 603
                wait = 280.0 if slow else 110.0 * min(1.5, 2.0 ** rng.gauss(0.0, 0.3))
                d.order(region, at, wait)
                turn[region] += 1
                d.pending.append((at + wait, d.n, ScopeSignal(S.AGENT, at + wait, f"WO-{region}-{d.n}", "receive",
                                                              region, None, "complaint", "hotline",
                                                              check=f"A-{region}-{turn[region] % pool}")))
        d.run_until(t)
    d.run_until(start + 11 * HOUR + 600.0)
    return [c for c in d.out if c.kind == "receive_lag" and c.scope == {"region": "west"} and c.tier]


def test_a_first_day_shrinking_desk_warns_once_an_order_nears_its_deadline() -> None:
    """West's shift shrinks 5 % an hour from 08:00 on the first day; the orders that wait past 75 % of their
    deadline at 16:00 turn its receive lag yellow, with the share on the alert. With its shift steady, or the
    watch off, the same three orders are no warning."""
    fired = _drifting_desk_alerts(load_config(None), 0.05)
    assert fired and fired[0].tier == "yellow"
    assert MONDAY + 16 * HOUR < fired[0].ts <= MONDAY + 16 * HOUR + 600.0
    ev = fired[0].evidence
    assert ev["desk_share_evidence"] >= 0.4 and ev["agent_share_pct"] < ev["usual_agent_share_pct"]
    assert _drifting_desk_alerts(load_config(None), 0.0) == []
    off = load_config(None)
    off.detectors.scope.desk_share_alone = 0.0
    assert _drifting_desk_alerts(off, 0.05) == []


def test_a_desk_whose_agents_are_back_is_news_no_more() -> None:
    """South loses half its shift from 09:00 to 16:00 and gets it back at 16:00: the evidence stood through the
    afternoon; in the 16:00 hour, once 20 orders show the full shift, it is 0 though the sum is still high."""
    agents, orders = plan_for()
    cut = [k // 2 if 9 <= h < 16 else k for h, k in enumerate(agents)]
    w = DeskShareWatch()
    alls = {r: plan_for()[0] for r in REGIONS}
    alls["south"] = cut
    trace = day_of(w, alls, {r: orders for r in REGIONS}, random.Random(6), hours=17)
    assert trace[15][1]["south"] >= 0.6                         # 15:00-16:00: the 14:00 hour judged
    t16 = trace[16][0]                                           # end of the 16:00 hour: the shift is back
    assert w.stat["south"] >= 0.6 and w._z_now("south") is not None
    assert w.evidence("south", t16) == 0.0
