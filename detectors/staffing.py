"""A region's receive desk has fewer agents than the same hour usually has: its capacity is down.

A 95598 receive desk's capacity is the number of agents on shift. Where desks are planned with room to spare
(a normal day at ~40 % agent utilisation), losing one agent of five makes no queue at first: waits do not
creep and no order nears its deadline until the shift has shrunk further or the peak comes. The agents
themselves say it at once: every ``accepted`` event names the agent who took the order (``agent_id``), and in
an hour with enough orders every agent on shift takes some.

For every region, local clock hour and kind of day (weekday / weekend: shifts are planned differently) the
watch remembers how many distinct agents accepted the region's orders in that hour on the last earlier day
(the habit, ``K``). In the current hour it counts the orders accepted (``n``) and the distinct agents (``d``).
Fewer agents than the habit says nothing by itself: ``n`` orders handed out at random among ``K`` agents often
miss one when ``n`` is small. The evidence is how unlikely ``d`` or fewer distinct agents would be if the
``n`` orders had been drawn at random from the usual ``K`` (both counted from the tenth minute of the hour: the
orders accepted just after a shift change were taken by the shift before): ``-log10`` of the union bound
``C(K, d) · (d / K) ** n`` on that probability (no evidence while ``d ≥ K``). Random draws are the most
forgiving model of who takes an order — a desk that hands orders round in turn shows all its agents sooner —
so a desk whose agent ids come from a fixed pool at random stays silent, and a quiet night hour with two
orders never reaches any evidence. An hour with far fewer orders than the habit hour (``arrivals_floor``,
prorated to the part of the hour gone) is not judged either: fewer agents for fewer customers is the plan,
not lost capacity. The evidence of the last complete hour stands until the current hour has its own.

The caller (detectors/scope_rules.py) does not alert on it alone: it backs the region's receive lag test
(``staffing_evidence``), and with an order past 75 % of its deadline turns it yellow (``staffing_alone``).

A clock hour is slow to show a desk cut in the middle of it: the agents who left at 08:23 were counted from 08:10,
and the hour's count says nothing until 09:20 — long after the first breach, which on a five-minute hotline
deadline comes 6-20 minutes after the cut. The **recent test** (:meth:`StaffingWatch.recent`, on when
``recent_windows`` is given) asks the same question of the last few minutes: the distinct agents ``d`` of the
``n`` orders accepted in the last ``w`` minutes (6, 8 … 20) against the ``K`` agents of the half hour before them
(the region's own recent habit; the same clock hour of an earlier day of its kind if that had fewer — a shift
planned smaller, like a lunch rota, is no cut). It judges only a desk down to at most ``recent_share`` of ``K``
(half: an hour's planned change is a quarter at most, a cut takes 60-80 %) while new orders keep coming at
``arrivals_floor`` of the reference's rate, and its evidence is the same union bound less ``log10`` of the
number of windows scanned. Eight orders in a row by one agent where four took turns say it (3.4): a desk with an
order a minute is seen 10-15 minutes after its cut, a bigger one sooner. A quiet desk — three agents, an order
every two or three minutes, cut to one — has eight or nine orders in twenty minutes, too few; its queue takes an
hour or more to breach. The **long windows** (``recent_long_windows``, 30, 45 and 60 minutes) hold 12-25 of its
orders; they pay ``log10`` of every window scanned while the short ones keep their own price, so the scan as a
whole stays within 4/3 of the short windows' chance bound and no short window's verdict changes. A window is
judged only with ``recent_min_gone`` (2) or more of the reference's agents missing: rotas change one agent at a
time, and a desk of two going to one at a night's shift change is what the long windows would otherwise call a
cut (the planned-hour cap misses a change within the hour).

>>> r = StaffingWatch(recent_windows=(6, 10, 15))
>>> t = 8 * 3600.0
>>> for i in range(40):                                  # 08:00-08:40, an order a minute, four agents in turn
...     t += 60.0; r.arrived("west", t - 120.0); r.update("west", f"A-{i % 4}", t)
>>> r.recent("west", t)[0]
0.0
>>> for i in range(10):                                  # from 08:40 one agent takes them all
...     t += 60.0; r.arrived("west", t - 120.0); r.update("west", "A-0", t)
>>> ev, d, k, n, w = r.recent("west", t); round(ev, 1), (d, k, n, w)
(4.9, (1, 4, 10, 10.0))

>>> w = StaffingWatch(arrivals_floor=0.5)
>>> day = 86400.0
>>> for i in range(50):                                 # Monday 08:00-09:00: 50 orders, 5 agents in turn
...     w.update("south", f"A-{i % 5}", 8 * 3600.0 + 70.0 * i)
>>> for i in range(50):                                 # Tuesday, same hour: one agent has gone home
...     w.update("south", f"A-{i % 4}", day + 8 * 3600.0 + 70.0 * i)
>>> round(w.evidence("south", day + 8 * 3600.0 + 3500.0), 1)   # (orders counted from 08:10)
3.3
>>> w.agents("south", day + 8 * 3600.0 + 3500.0)
(4, 5, 41)
>>> w.evidence("north", day + 8 * 3600.0)               # a region never seen: no judgement
0.0
"""
from __future__ import annotations

import bisect
import math
from typing import Any

HOUR = 3600.0
DAY = 86400.0


def log10_tail(n: int, d: int, k: int) -> float:
    """``log10`` of the union bound on P(``n`` uniform draws from ``k`` agents show at most ``d`` distinct):
    ``C(k, d) · (d / k) ** n`` (0.0 when ``d ≥ k``: nothing unusual; capped at 0 from above).

    >>> round(log10_tail(50, 4, 5), 2)        # 50 orders, 4 of the usual 5 agents
    -4.15
    >>> round(log10_tail(2, 1, 5), 1)          # two orders by one agent: quite usual
    -0.7
    """
    if d >= k or n <= 0:
        return 0.0
    if d <= 0:
        return -math.inf
    v = math.log10(math.comb(k, d)) + n * math.log10(d / k)
    return v if v < 0.0 else 0.0


class _Hour:
    """One region's counts in one clock hour."""

    __slots__ = ("day", "hour", "agents", "n")

    def __init__(self, day: int, hour: int, agents: set[str] | None = None, n: int = 0) -> None:
        self.day, self.hour, self.agents, self.n = day, hour, agents if agents is not None else set(), n


def _fewest(a: int | None, b: int | None) -> int | None:
    """The smaller of two agent counts, either of which may be unknown (None)."""
    return b if a is None else a if b is None or a <= b else b


class _Window:
    """Times (and, with ``agents``, who) in time order over a sliding reach: a late delivery is inserted where it
    belongs (``bisect``; live, a take's events come partition by partition, so many arrive a little late), and
    what falls before the reach is dropped.

    >>> w = _Window()
    >>> for t, a in ((10.0, "A"), (30.0, "B"), (20.0, "C")):
    ...     w.add(t, a, t - 25.0)
    >>> w.times, w.agents
    ([10.0, 20.0, 30.0], ['A', 'C', 'B'])
    >>> w.add(40.0, "D", 15.0); w.times, w.agents
    ([20.0, 30.0, 40.0], ['C', 'B', 'D'])
    """

    __slots__ = ("times", "agents")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.agents: list[str] = []
        """Who, per time (empty for a window of times only)."""

    @classmethod
    def of(cls, times: list[float], agents: list[str] | None = None) -> "_Window":
        w = cls()
        order = sorted(range(len(times)), key=times.__getitem__)
        w.times = [times[i] for i in order]
        w.agents = [agents[i] for i in order] if agents is not None else []
        return w

    def add(self, t: float, agent: str | None, drop_before: float) -> None:
        """Insert ``t`` (and its ``agent``) in time order, then drop the times before ``drop_before``."""
        times = self.times
        if not times or t >= times[-1]:
            times.append(t)
            if agent is not None:
                self.agents.append(agent)
        else:
            i = bisect.bisect_right(times, t)
            times.insert(i, t)
            if agent is not None:
                self.agents.insert(i, agent)
        if times[0] < drop_before:
            cut = bisect.bisect_left(times, drop_before)
            del times[:cut]
            if agent is not None:
                del self.agents[:cut]


class StaffingWatch:
    """Distinct agents accepting each region's orders per clock hour, against the same hour of an earlier day
    of the same kind; :meth:`evidence` is ``-log10`` of how likely so few agents would be by chance.

    ``utc_offset_h``: local time of the clock hours; ``grace_s``: the start of each hour not counted;
    ``weekend_days``: local weekdays (Monday 0) planned as
    weekend; ``arrivals_floor``: an hour is judged only with at least this share of the habit hour's orders
    (prorated to the part of the hour gone); ``min_orders``: an hour with fewer orders so far is not judged.
    """

    def __init__(self, utc_offset_h: float = 8.0, weekend_days: tuple[int, ...] = (5, 6),
                 arrivals_floor: float = 0.8, min_orders: int = 10, grace_s: float = 600.0,
                 recent_windows: tuple[float, ...] = (), recent_ref_s: float = 1800.0, recent_share: float = 0.5,
                 recent_min_orders: int = 5, recent_min_gone: int = 1,
                 recent_long_windows: tuple[float, ...] = ()) -> None:
        self.offset = utc_offset_h * HOUR
        self.grace_s = grace_s
        """Orders accepted in the first ``grace_s`` of an hour are not counted: some were taken in the hour before
        by the agents of its shift (the handover)."""
        self.weekend_days = frozenset(weekend_days)
        self.arrivals_floor = arrivals_floor
        self.min_orders = min_orders
        self.now: dict[str, _Hour] = {}
        """region -> its current clock hour."""
        self.prev: dict[str, tuple[int, int, float, int, int, int]] = {}
        """region -> (day, hour, evidence, distinct agents, usual distinct agents, orders) of its last complete
        hour."""
        self.habit: dict[tuple[str, bool, int], tuple[int, int, int]] = {}
        """(region, weekend, hour) -> (day, distinct agents, orders) of that hour on the last day it was seen."""
        self.recent_windows = tuple(sorted(w * 60.0 for w in recent_windows))
        """The recent test's windows (seconds; empty: off): the agents of the last ``w`` against the ``recent_ref_s``
        before."""
        long = tuple(sorted(w * 60.0 for w in recent_long_windows)) if self.recent_windows else ()
        short_penalty = math.log10(len(self.recent_windows)) if self.recent_windows else 0.0
        long_penalty = math.log10(len(self.recent_windows) + len(long)) if long else 0.0
        self._scan = tuple([(w, short_penalty) for w in self.recent_windows] + [(w, long_penalty) for w in long])
        """(window, penalty) scanned: the short windows pay ``log10`` of their own number, as before the long ones
        came; the long windows (a quiet desk's: ``recent_long_windows``) pay ``log10`` of all of them, so the scan
        as a whole stays within 4/3 of the short windows' chance bound and a short window's verdict is unchanged."""
        self.recent_ref_s = recent_ref_s
        self.recent_share = recent_share
        self.recent_min_orders = recent_min_orders
        self.recent_min_gone = max(1, recent_min_gone)
        """Agents of the reference that must be missing from a window before the recent test judges it: a rota
        changes one agent at a time, so a two-agent desk going to one at a shift change is the plan."""
        keep = (max(w for w, _ in self._scan) + recent_ref_s) if self._scan else 0.0
        self._keep_s = keep
        self.accepts: dict[str, _Window] = {}
        """region -> (accepted at, agent) of its orders over the recent test's reach (only if it is on)."""
        self.arrivals: dict[str, _Window] = {}
        """region -> creation times of its orders over the same reach."""
        self._recent_cache: dict[str, tuple[float, tuple[float, int, int, int, float]]] = {}

    def _clock(self, t: float) -> tuple[int, int, bool]:
        local = t + self.offset
        day = int(local // DAY)
        return day, int(local % DAY // HOUR), (day + 3) % 7 in self.weekend_days   # epoch day 0: Thursday

    # -------------------------------------------------------------------------------------------- learning
    def update(self, region: str, agent_id: str, t: float) -> None:
        """An order of ``region`` was accepted by ``agent_id`` at ``t`` (epoch s)."""
        if self._keep_s:
            q = self.accepts.get(region)
            if q is None:
                q = self.accepts[region] = _Window()
            q.add(t, agent_id, t - self._keep_s)
        day, hour, weekend = self._clock(t)
        cur = self.now.get(region)
        if cur is None or (cur.day, cur.hour) != (day, hour):
            if cur is not None and (cur.day, cur.hour) < (day, hour):
                self._close(region, cur)
            elif cur is not None:
                return   # a late event of an hour already closed: its hour has been judged
            cur = self.now[region] = _Hour(day, hour)
        if (t + self.offset) % HOUR < self.grace_s:
            return
        cur.agents.add(agent_id)
        cur.n += 1

    def arrived(self, region: str, t: float) -> None:
        """A new order of ``region`` was created at ``t`` (the recent test's arrivals; no-op while it is off)."""
        if not self._keep_s:
            return
        q = self.arrivals.get(region)
        if q is None:
            q = self.arrivals[region] = _Window()
        q.add(t, None, t - self._keep_s)

    def _close(self, region: str, h: _Hour) -> None:
        weekend = (h.day + 3) % 7 in self.weekend_days
        self.prev[region] = (h.day, h.hour, self._judge(region, h, weekend, 1.0), len(h.agents),
                             self._usual(region, weekend, h.hour), h.n)
        self.habit[(region, weekend, h.hour)] = (h.day, len(h.agents), h.n)

    def _judge(self, region: str, h: _Hour, weekend: bool, part: float) -> float:
        if h.n < self.min_orders:
            return 0.0
        usual = self.habit.get((region, weekend, h.hour))
        if usual is None or usual[0] >= h.day:
            return 0.0
        _, k, n_usual = usual
        if h.n < self.arrivals_floor * n_usual * part:
            return 0.0   # fewer customers than the habit hour: fewer agents may be the plan
        return -log10_tail(h.n, len(h.agents), k)

    def _usual(self, region: str, weekend: bool, hour: int) -> int:
        usual = self.habit.get((region, weekend, hour))
        return usual[1] if usual is not None else 0

    # -------------------------------------------------------------------------------------------- judging
    def judged(self, region: str, t: float) -> tuple[float, int, int, int]:
        """(evidence, distinct agents, usual distinct agents, orders) of the hour the evidence comes from: the
        region's current hour or, while it has little to say, its last complete hour if that was the hour before
        (evidence 0.0: nothing unusual; counts from the tenth minute of the hour)."""
        day, hour, weekend = self._clock(t)
        cur = self.now.get(region)
        out = (0.0, 0, 0, 0)
        if cur is not None and (cur.day, cur.hour) == (day, hour):
            part = max(0.0, ((t + self.offset) % HOUR - self.grace_s) / (HOUR - self.grace_s))
            out = (self._judge(region, cur, weekend, part), len(cur.agents), self._usual(region, weekend, hour),
                   cur.n)
        prev = self.prev.get(region)
        if (prev is not None and prev[2] > out[0] and prev[0] * 24 + prev[1] == day * 24 + hour - 1
                and (cur is None or (cur.day, cur.hour) != (day, hour)
                     or len(cur.agents) < self._usual(region, weekend, hour))):
            out = (prev[2], prev[3], prev[4], prev[5])
        return out

    def recent(self, region: str, t: float) -> tuple[float, int, int, int, float]:
        """(evidence, distinct agents, usual distinct agents, orders, window minutes) of the recent test: the
        orders accepted in the last ``w`` minutes (each window scanned) against the agents who accepted the
        region's orders in the ``recent_ref_s`` before them — or, if fewer, in this clock hour on the last earlier
        day of its kind (a shift planned smaller). Judged only when at most ``recent_share`` of those agents
        remain (and ``recent_min_gone`` or more are missing), ``recent_min_orders`` or more orders were accepted,
        and new orders kept coming at ``arrivals_floor`` of the reference's rate (one Poisson deviation of room).
        The evidence is the union bound's ``-log10`` less the window's scan penalty (the best of several windows is
        a scan: ``log10`` of the short windows' number for those, of all windows' for the long ones)."""
        cached = self._recent_cache.get(region)
        if cached is not None and cached[0] == t:
            return cached[1]
        best: tuple[float, int, int, int, float] = (0.0, 0, 0, 0, 0.0)
        acc = self.accepts.get(region)
        if acc and acc.times and self.recent_windows:
            times, agents = acc.times, acc.agents
            arr = self.arrivals.get(region)
            arr_t = arr.times if arr is not None else []
            ref_s = self.recent_ref_s
            end = bisect.bisect_right(times, t)
            arr_end = bisect.bisect_right(arr_t, t)
            planned_now = self._planned(region, t)   # the clock hour of ``t``: the same for every window
            for w, penalty in self._scan:
                i = bisect.bisect_right(times, t - w)
                n = end - i
                if n < self.recent_min_orders:
                    continue
                r0 = bisect.bisect_right(times, t - w - ref_s)
                k = len(set(agents[r0:i])) if i > r0 else 0
                hk = _fewest(planned_now, self._planned(region, t - w))
                if hk is not None and hk < k:
                    k = hk
                d = len(set(agents[i:end]))
                if k < 2 or d > self.recent_share * k or k - d < self.recent_min_gone:
                    continue
                expected = (bisect.bisect_right(arr_t, t - w) - bisect.bisect_right(arr_t, t - w - ref_s)) * w / ref_s
                came = arr_end - bisect.bisect_right(arr_t, t - w)
                if came < self.arrivals_floor * expected - math.sqrt(expected):
                    continue   # fewer customers: fewer agents may be the plan
                ev = -log10_tail(n, d, k) - penalty
                if ev > best[0]:
                    best = (ev, d, k, n, w / 60.0)
        self._recent_cache[region] = (t, best)
        return best

    def _planned(self, region: str, *ts: float) -> int | None:
        """The fewest distinct agents the clock hours of ``ts`` had on the last earlier day of their kind (None:
        no such day seen)."""
        out = None
        for x in ts:
            day, hour, weekend = self._clock(x)
            h = self.habit.get((region, weekend, hour))
            if h is not None and h[0] < day and h[1] > 0 and (out is None or h[1] < out):
                out = h[1]
        return out

    def evidence(self, region: str, t: float) -> float:
        """``-log10`` of the chance that so few agents would take so many of the region's orders by chance
        (:meth:`judged`; 0.0: no evidence)."""
        return self.judged(region, t)[0]

    def agents(self, region: str, t: float) -> tuple[int, int, int]:
        """(distinct agents, usual distinct agents, orders) of the hour :meth:`evidence` comes from."""
        return self.judged(region, t)[1:]

    # -------------------------------------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        return {"now": {r: [h.day, h.hour, sorted(h.agents), h.n] for r, h in self.now.items()},
                "prev": {r: list(v) for r, v in self.prev.items()},
                "habit": [[r, int(w), h, *v] for (r, w, h), v in self.habit.items()],
                "accepts": {r: [[x, a] for x, a in zip(q.times, q.agents)] for r, q in self.accepts.items()},
                "arrivals": {r: list(q.times) for r, q in self.arrivals.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        self.now = {r: _Hour(d, h, set(a), n) for r, (d, h, a, n) in state.get("now", {}).items()}
        self.prev = {r: (int(v[0]), int(v[1]), float(v[2]), int(v[3]), int(v[4]), int(v[5]))
                     for r, v in state.get("prev", {}).items()}
        self.habit = {(r, bool(w), int(h)): (int(d), int(k), int(n)) for r, w, h, d, k, n in state.get("habit", [])}
        self.accepts = {r: _Window.of([float(t) for t, _ in q], [str(a) for _, a in q])
                        for r, q in state.get("accepts", {}).items()}
        self.arrivals = {r: _Window.of([float(t) for t in q]) for r, q in state.get("arrivals", {}).items()}
        self._recent_cache = {}
