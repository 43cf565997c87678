"""The staffing watch's recent test: a region's receive agents of the last minutes against the hour before
(detectors/staffing.py, ``detectors.scope.staffing_recent_*``)."""
from __future__ import annotations

import math
import random

from detectors.staffing import StaffingWatch

DAY, HOUR, MIN = 86400.0, 3600.0, 60.0
MONDAY = 20647 * DAY - 8 * HOUR   # 2026-07-13 00:00 +08:00, a Monday (epoch day 20647)
WINDOWS = (6.0, 8.0, 10.0, 12.0, 15.0, 20.0)
REF_S = 1800.0


def watch() -> StaffingWatch:
    return StaffingWatch(recent_windows=WINDOWS, recent_ref_s=REF_S)


def desk(w: StaffingWatch, region: str, start: float, minutes: int, per_min: float, agents, rng: random.Random,
         cut_at: float | None = None, cut_agents=None, arrivals=None) -> list[tuple[float, float]]:
    """A desk taking ``per_min`` orders a minute (Poisson) from ``start``, each accepted ~2 minutes after it came by
    one of ``agents`` at random (``cut_agents`` from ``cut_at`` on, orders that came before the cut keep the agent
    who took them). ``arrivals(m)``: orders a minute at minute ``m`` instead of ``per_min``. Returns (minute,
    recent evidence) after each minute."""
    out = []
    pending: list[tuple[float, str]] = []
    t = start
    breach = math.inf
    for m in range(minutes):
        rate = arrivals(m) if arrivals else per_min
        n = 0
        p = rng.random()   # a Poisson draw
        acc, k = math.exp(-rate), 0
        cum = acc
        while p > cum:
            k += 1
            acc *= rate / k
            cum += acc
        n = k
        for _ in range(n):
            at = t + rng.uniform(0.0, MIN)
            w.arrived(region, at)
            pool = cut_agents if cut_at is not None and at >= cut_at else agents
            pending.append((at + rng.uniform(90.0, 150.0), rng.choice(pool)))
        t += MIN
        pending.sort()
        while pending and pending[0][0] <= t:
            ta, a = pending.pop(0)
            w.update(region, a, ta)
        out.append((m, w.recent(region, t)[0]))
    return out


def test_a_desk_cut_to_one_of_four_agents_says_so_within_a_quarter_hour() -> None:
    """One order a minute, four agents; at 10:00 three go home (arrivals unchanged): the last minutes' orders all
    go to one agent, beyond chance (evidence 3) within 15 minutes of the cut — and not before it."""
    for seed in range(5):
        w = watch()
        cut = MONDAY + 10 * HOUR
        ev = desk(w, "south", MONDAY + 8 * HOUR, 150, 1.0, ["A-1", "A-2", "A-3", "A-4"], random.Random(seed),
                  cut_at=cut, cut_agents=["A-1"])
        before = [e for m, e in ev if m < 120]
        after = [m for m, e in ev if m >= 120 and e >= 3.0]
        assert max(before) < 2.0
        assert after and after[0] - 120 <= 15, (seed, after[:1])


def test_a_bigger_desk_cut_to_a_third() -> None:
    """Two orders a minute, nine agents, cut to three: evidence 3 within ten minutes."""
    w = watch()
    ev = desk(w, "north", MONDAY + 8 * HOUR, 150, 2.0, [f"A-{i}" for i in range(9)], random.Random(3),
              cut_at=MONDAY + 10 * HOUR, cut_agents=["A-0", "A-1", "A-2"])
    after = [m for m, e in ev if m >= 120 and e >= 3.0]
    assert after and after[0] - 120 <= 10


def test_a_morning_peak_with_more_agents_stays_silent() -> None:
    """Arrivals from 0.3 to 2 a minute with agents added as they come (2, then 4, then 8): never fewer agents than
    the hour before, no evidence."""
    w = watch()
    rng = random.Random(1)
    pools = {0: ["A-0", "A-1"], 1: [f"A-{i}" for i in range(4)], 2: [f"A-{i}" for i in range(8)]}
    ev = []
    for h in range(3):
        ev += desk(w, "east", MONDAY + (6 + h) * HOUR, 60, (0.3, 1.0, 2.0)[h], pools[h], rng)
    assert max(e for _, e in ev) < 3.0


def test_a_quiet_night_with_one_agent_left_stays_silent() -> None:
    """0.2 orders a minute, two agents, then one: too few orders in any window to say it beyond chance."""
    w = watch()
    ev = desk(w, "west", MONDAY + 1 * HOUR, 180, 0.2, ["A-1", "A-2"], random.Random(2),
              cut_at=MONDAY + 2 * HOUR, cut_agents=["A-1"])
    assert max(e for _, e in ev) < 3.0


def test_fewer_customers_fewer_agents_is_the_plan() -> None:
    """The evening: arrivals fall from 2 to 0.5 a minute and the desk goes from six agents to two — the planned
    shift, not a cut: not judged (the arrivals floor), evidence 0."""
    w = watch()
    rng = random.Random(5)
    ev = desk(w, "south", MONDAY + 19 * HOUR, 60, 2.0, [f"A-{i}" for i in range(6)], rng)
    ev += desk(w, "south", MONDAY + 20 * HOUR, 60, 0.5, ["A-0", "A-1"], rng)
    assert max(e for _, e in ev) < 3.0


def test_a_smaller_shift_planned_for_this_hour_is_no_cut() -> None:
    """Monday 12:00-13:00 the desk runs on two of its six agents (lunch) with as many customers; on Tuesday the
    same: against the hour before it looks like a cut, but the same hour of the last weekday had two agents too."""
    w = watch()
    rng = random.Random(7)
    six = [f"A-{i}" for i in range(6)]
    for day in (0, 1):
        base = MONDAY + day * DAY
        ev = desk(w, "west", base + 10 * HOUR, 120, 1.5, six, rng)
        ev = desk(w, "west", base + 12 * HOUR, 60, 1.5, ["A-0", "A-1"], rng)
    assert max(e for _, e in ev) < 3.0
    # Monday itself (no earlier day yet) it was judged a cut
    w2 = watch()
    desk(w2, "west", MONDAY + 10 * HOUR, 120, 1.5, six, random.Random(7))
    ev2 = desk(w2, "west", MONDAY + 12 * HOUR, 60, 1.5, ["A-0", "A-1"], random.Random(8))
    assert max(e for _, e in ev2) >= 3.0


def test_random_draws_from_a_fixed_pool_rarely_reach_the_evidence() -> None:
    """Public-1's desks: each order's agent drawn at random from a fixed pool (5, 7 or 9; one order a minute by
    day, 0.2 at night). Looked at every minute, a run of one agent's orders reaches evidence 3 by chance in about one
    region-day in twenty (it then only backs the sequential lag test), the 3.5 at which the recent test alerts on its
    own in none of these 36 (about one in 80 with public-1/2's own order times, agents redrawn at random)."""
    episodes = {3.0: 0, 3.5: 0}
    for pool in (5, 7, 9):
        for r in range(12):
            w = watch()
            rng = random.Random(1000 * pool + r)
            last = {3.0: -99, 3.5: -99}
            for h in range(24):
                rate = 1.0 if 7 <= h <= 22 else 0.2
                for m, e in desk(w, f"r{r}", MONDAY + h * HOUR, 60, rate, [f"A-{i}" for i in range(pool)], rng):
                    for x in episodes:
                        if e >= x:
                            episodes[x] += h * 60 + m - last[x] > 30
                            last[x] = h * 60 + m
    assert episodes[3.0] <= 2 and episodes[3.5] == 0   # of 36 region-days


def test_off_without_windows_and_state_restores() -> None:
    w = StaffingWatch()
    desk(w, "south", MONDAY + 8 * HOUR, 30, 1.0, ["A-1", "A-2"], random.Random(1))
    assert w.accepts == {} and w.arrivals == {} and w.recent("south", MONDAY + 9 * HOUR)[0] == 0.0
    a = watch()
    rng = random.Random(4)
    desk(a, "south", MONDAY + 8 * HOUR, 125, 1.0, ["A-1", "A-2", "A-3", "A-4"], rng)
    b = watch()
    b.restore(a.state())
    for x in (a, b):
        desk(x, "south", MONDAY + 8 * HOUR + 125 * MIN, 15, 1.0, ["A-1"], random.Random(9))
    t = MONDAY + 8 * HOUR + 140 * MIN
    assert a.recent("south", t) == b.recent("south", t) and a.recent("south", t)[0] >= 3.0


def _cut_desk_alerts(settings, agents_after_cut: int, cut_min: int = 180, minutes: int = 260,
                     queue_s_per_min: float = 12.0) -> tuple[list, float, float]:
    """Three regions' desks through the scope stage on a Monday from 06:00 (no earlier day: the hourly staffing
    test has no habit), one hotline order a minute each, taken in ~2 minutes by four agents in turn. At 09:00
    (``cut_min``) west keeps ``agents_after_cut`` of them and its queue grows: each later order waits
    ``queue_s_per_min`` seconds longer than the one a minute before. Returns (west's receive lag alerts, cut time,
    west's first breach)."""
    from streams import signals as S
    from streams.signals import ScopeSignal
    from tests.test_receive_wait import Desks
    rng = random.Random(21)
    d = Desks(settings)
    start = MONDAY + 6 * HOUR
    cut = start + cut_min * MIN
    t = start
    breach = math.inf
    for m in range(minutes):
        t = start + MIN * m
        for region in ("west", "east", "north"):
            at = t + rng.uniform(0.0, 50.0)
            wait = 110.0 * min(1.5, 2.0 ** rng.gauss(0.0, 0.3))
            if region == "west" and at >= cut and agents_after_cut < 4:
                wait += queue_s_per_min * (at - cut) / MIN
            if region == "west" and wait > 300.0:
                breach = min(breach, at + 300.0)
            d.order(region, at, wait)
            if region == "west":
                pool = 4 if at < cut else agents_after_cut
                d.pending.append((at + wait, d.n, ScopeSignal(S.AGENT, at + wait, f"WO-west-{d.n}", "receive", "west",
                                                              None, "complaint", "hotline", check=f"A-{m % pool}")))
        d.run_until(t)
    d.run_until(t + 600.0)
    return [c for c in d.out if c.kind == "receive_lag" and c.scope == {"region": "west"} and c.tier], cut, breach


def test_a_desk_cut_mid_shift_warns_before_its_first_breach() -> None:
    """West's desk is cut from four agents to one at 09:00 on a stream's first morning; its queue grows 12 s a
    minute, so its orders pass half their five-minute deadline from ~09:04 and the first breaches at ~09:21. Eight or
    so orders taken by one agent of four say it beyond chance: the recent test turns west's receive lag yellow within
    16 minutes of the cut, before the first breach (the hourly test has no earlier Monday to judge by, and a clock
    hour would count the agents who left). Without it the first warning comes after the breach; with the desk whole,
    never."""
    from yujing.config import load_config
    fired, cut, breach = _cut_desk_alerts(load_config(None), 1)
    assert fired and fired[0].tier == "yellow"
    assert cut < fired[0].ts <= cut + 16 * MIN and fired[0].ts < breach
    ev = fired[0].evidence
    assert ev["receive_agents"] == 1 and ev["usual_receive_agents"] == 4 and ev["staffing_evidence"] >= 3.0
    assert ev["staffing_window_min"] in WINDOWS
    off = load_config(None)
    off.detectors.scope.staffing_recent_ref_min = 0.0   # the recent test off: the lag test sees it after the breach
    later, _, _ = _cut_desk_alerts(off, 1)
    assert later and later[0].ts > breach
    whole, _, _ = _cut_desk_alerts(load_config(None), 4)
    assert whole == []


LONG = (30.0, 45.0, 60.0)


def test_a_quiet_desk_cut_to_one_of_three_is_seen_by_the_long_windows() -> None:
    """An order every 2.5 minutes, three agents; at 10:00 two go home. One agent takes an order about every two
    minutes, so twenty minutes hold eight or so of them — too few to say it beyond doubt (3.5) — while its queue
    takes an hour or more to reach the hotline deadline. The windows of 30-60 minutes hold 12-25 of them and say it
    within 40 minutes of the cut in every seed; nothing before it."""
    late_short, seen_long = [], []
    for seed in range(6):
        found = {}
        for name, long in (("short", ()), ("long", LONG)):
            w = StaffingWatch(recent_windows=WINDOWS, recent_ref_s=REF_S, recent_min_gone=2, recent_long_windows=long)
            ev = desk(w, "west", MONDAY + 8 * HOUR, 180, 0.4, ["A-1", "A-2", "A-3"], random.Random(seed),
                      cut_at=MONDAY + 10 * HOUR, cut_agents=["A-1"])
            assert max(e for m, e in ev if m < 120) < 2.0
            hits = [m - 120 for m, e in ev if m >= 120 and e >= 3.5]
            found[name] = hits[0] if hits else math.inf
        late_short.append(found["short"])
        seen_long.append(found["long"])
    assert all(x <= 40 for x in seen_long), seen_long              # 17-36 min
    assert all(a <= b for a, b in zip(seen_long, late_short))       # and never later than the short windows
    assert sum(x == math.inf for x in late_short) >= 2, late_short  # the short windows alone: 2 of 6 not in the hour


def test_a_desk_of_two_going_to_one_is_a_rota_change() -> None:
    """A desk of two agents at one order a minute goes to one (a night shift's change, on a stream's first day
    with no earlier day of its kind): one agent gone is what rotas do, not judged with ``recent_min_gone`` 2; the
    same desk read with one agent enough is judged a cut."""
    for min_gone, judged in ((2, False), (1, True)):
        w = StaffingWatch(recent_windows=WINDOWS, recent_ref_s=REF_S, recent_min_gone=min_gone,
                          recent_long_windows=LONG)
        ev = desk(w, "north", MONDAY + 1 * HOUR, 150, 0.5, ["A-1", "A-2"], random.Random(11),
                  cut_at=MONDAY + 2 * HOUR, cut_agents=["A-1"])
        assert (max(e for _, e in ev) >= 3.5) is judged


def test_random_draws_with_the_long_windows_rarely_reach_the_evidence() -> None:
    """The fixed-pool desks of the test above, judged with the long windows too: still no 3.5 in 36 region-days
    (the longer scan is paid for by ``log10`` of more windows)."""
    episodes = 0
    for pool in (5, 7, 9):
        for r in range(12):
            w = StaffingWatch(recent_windows=WINDOWS, recent_ref_s=REF_S, recent_min_gone=2, recent_long_windows=LONG)
            rng = random.Random(1000 * pool + r)
            for h in range(24):
                rate = 1.0 if 7 <= h <= 22 else 0.2
                ev = desk(w, f"r{r}", MONDAY + h * HOUR, 60, rate, [f"A-{i}" for i in range(pool)], rng)
                episodes += any(e >= 3.5 for _, e in ev)
    assert episodes == 0


def test_the_long_windows_leave_the_short_windows_verdicts_as_they_were() -> None:
    """A busy desk cut from four agents to one: every minute's evidence with the long windows is at least what the
    short windows alone said (they keep their own scan price), so no cut is seen later than before."""
    for seed in range(3):
        runs = []
        for long in ((), LONG):
            w = StaffingWatch(recent_windows=WINDOWS, recent_ref_s=REF_S, recent_min_gone=2, recent_long_windows=long)
            runs.append(desk(w, "south", MONDAY + 8 * HOUR, 180, 1.0, ["A-1", "A-2", "A-3", "A-4"],
                             random.Random(seed), cut_at=MONDAY + 10 * HOUR, cut_agents=["A-1"]))
        assert all(b >= a for (_, a), (_, b) in zip(*runs))
