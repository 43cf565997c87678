"""A region's share of the province's receive agents slides hour after hour: its desk is shrinking, judged on day one.

The staffing watch (detectors/staffing.py) compares a region's agents with the same hour of an earlier day, and
the receive-wait habit (detectors/receive_wait.py) needs a day of waits: a monitor switched on this morning has
neither until tomorrow, and a desk that loses a few agents an hour from the moment it is switched on goes
unseen. What a first day does have is the rest of the province. Every region's shift follows the same day —
the morning build-up, the lunch dip, the evening hand-over, the thin night — so in each clock hour a region's
share of the province's distinct receive agents (``d / D_rest``) stays about where it was, whatever the hour;
the diurnal plan moves numerator and denominator together. A desk shrinking by a few per cent an hour makes
that share slide, hour after hour, while nothing moves elsewhere.

For every clock hour (counted from its tenth minute: orders just after the hour were taken by the last shift)
and region with at least ``min_orders`` orders accepted (and as many in the rest of the province), the watch
takes the log of the region's agent share and of its accepted-order share against the rest. Its level of each
is learned over the region's first ``learn_hours`` judged hours (their mean), then followed slowly
(``1 / memory_h`` per hour, each hour's move capped at ``clip``: a slide does not become the level). The hour's
evidence is how far the agent share is below its level beyond what the order share fell
(``z = -(Δ log agents share - min(0, Δ log orders share))``: fewer agents for fewer customers is the plan, more
customers with the same agents is a surge, not lost capacity). A one-sided CUSUM ``S = max(0, S + z -
allowance)`` adds the hours up; the allowance absorbs the rounding of small shifts (one agent of four is 25 %),
and an hour back at the level (``z ≤ 0``) starts it again. The current hour adds its own deficit so far once it
has ``min_orders`` orders, weighed by the part of the hour gone. The evidence counts only while the region is
short now: the current hour, once it can say, and else the last judged hour stood at least ``below`` under the
level (an incident's end: the agents are back within minutes, the backlog they clear is no news). After
``stale_h`` hours without a judged hour (the night) the sum is old news.

The caller (detectors/scope_rules.py) does not alert on it alone: at ``desk_share_alone`` and with an order past
75 % of its deadline it turns the region's receive lag yellow.

>>> w = DeskShareWatch()
>>> def hour(h, south_agents):                       # 40 orders per region, 5 agents each elsewhere
...     for i in range(40):
...         t = h * 3600.0 + 600.0 + 75.0 * i
...         for r, k in (("north", 5), ("east", 5), ("south", south_agents)):
...             w.update(r, f"{r}-{i % k}", t)
>>> for h, k in enumerate([5, 5, 5, 5, 4, 4, 3, 3]):   # south loses an agent every two hours
...     hour(8 + h, k)
>>> w.update("north", "north-0", 16 * 3600.0 + 700.0) # the next hour closes 15:00
>>> round(w.evidence("south", 16 * 3600.0 + 700.0), 2)
0.96
>>> w.evidence("north", 16 * 3600.0 + 700.0)
0.0
"""
from __future__ import annotations

import math
from typing import Any

HOUR = 3600.0


class DeskShareWatch:
    """Each region's share of the province's distinct receive agents per clock hour against its own level;
    :meth:`evidence` is a CUSUM of the hours it stood below it (beyond what its share of orders fell).

    ``allowance``: the log-share drop per hour that is no evidence; ``min_orders``: orders accepted in the hour
    (from its ``grace_s``) before a region, and the rest of the province, are judged; ``learn_hours``: judged hours
    whose mean is the first level; ``memory_h``: the level's memory after them, each hour's move capped at
    ``clip``; ``stale_h``: hours without a judged hour after which the evidence is old news; ``below``: how far
    under its level (``z``) the last hour, and the current one so far, must stand for the evidence to count;
    ``utc_offset_h``: local time of the clock hours.
    """

    def __init__(self, allowance: float = 0.1, min_orders: int = 20, learn_hours: int = 3, memory_h: float = 24.0,
                 clip: float = 0.1, stale_h: int = 1, grace_s: float = 600.0, utc_offset_h: float = 8.0,
                 below: float = 0.2) -> None:
        self.allowance = allowance
        self.below = below
        self.min_orders = min_orders
        self.learn_hours = learn_hours
        self.memory_h = memory_h
        self.clip = clip
        self.stale_h = stale_h
        self.grace_s = grace_s
        self.offset = utc_offset_h * HOUR
        self.hour: int | None = None
        """The clock hour being counted (local hours since the epoch)."""
        self.now: dict[str, tuple[set[str], list[int]]] = {}
        """region -> (distinct agents, [orders]) of the current hour, counted from its tenth minute."""
        self.level: dict[str, list[float]] = {}
        """region -> [log agent share, log order share, judged hours]."""
        self.stat: dict[str, float] = {}
        """region -> the CUSUM."""
        self.last: dict[str, tuple[int, float, int, int]] = {}
        """region -> (hour, z, agents, agents of the rest) of its last judged hour."""

    def update(self, region: str, agent_id: str, t: float) -> None:
        """An order of ``region`` was accepted by ``agent_id`` at ``t`` (epoch s)."""
        local = t + self.offset
        h = int(local // HOUR)
        if self.hour is None or h > self.hour:
            if self.hour is not None:
                self._close(self.hour)
            self.hour = h
            self.now = {}
        elif h < self.hour:
            return   # a late event of an hour already judged
        if local % HOUR < self.grace_s:
            return
        cur = self.now.get(region)
        if cur is None:
            cur = self.now[region] = (set(), [0])
        cur[0].add(agent_id)
        cur[1][0] += 1

    def _close(self, hour: int) -> None:
        agents = sum(len(a) for a, _ in self.now.values())
        orders = sum(n[0] for _, n in self.now.values())
        for region, (a, nn) in self.now.items():
            d, n = len(a), nn[0]
            d_rest, n_rest = agents - d, orders - n
            if n < self.min_orders or n_rest < self.min_orders or d_rest <= 0:
                continue
            ls, la = math.log(d / d_rest), math.log(n / n_rest)
            lev = self.level.get(region)
            if lev is None:
                self.level[region] = [ls, la, 1.0]
                continue
            seen = lev[2]
            dev, dev_orders = ls - lev[0], la - lev[1]
            judged = seen >= self.learn_hours
            z = 0.0
            if judged:
                last = self.last.get(region)
                s = self.stat.get(region, 0.0) if last is not None and hour - last[0] <= self.stale_h else 0.0
                z = -(dev - min(0.0, dev_orders))
                # an hour back at (or above) the level ends the slide: a desk that got its agents back is news no more
                self.stat[region] = max(0.0, s + z - self.allowance) if z > 0.0 else 0.0
            self.last[region] = (hour, z, d, d_rest)
            a_ = max(1.0 / (seen + 1.0), 1.0 / self.memory_h)
            c = self.clip if judged else math.inf
            lev[0] += a_ * max(-c, min(c, dev))
            lev[1] += a_ * max(-c, min(c, dev_orders))
            lev[2] = seen + 1.0

    def _fresh(self, region: str, t: float) -> tuple[int, float, int, int] | None:
        last = self.last.get(region)
        if last is None or int((t + self.offset) // HOUR) - last[0] > self.stale_h:
            return None
        return last

    def evidence(self, region: str, t: float) -> float:
        """The CUSUM of the region's agent-share slide: as of its last judged hour, plus the current hour's deficit
        so far weighed by the part of the hour gone once it has ``min_orders`` orders; 0.0 while the region is not
        ``below`` its level now (the current hour if it can say, else the last judged hour, if not older than
        ``stale_h`` hours)."""
        last = self._fresh(region, t)
        s = self.stat.get(region, 0.0) if last is not None else 0.0
        z = self._z_now(region)
        if z is not None:   # the current hour has orders enough to have its say
            if z < self.below:
                return 0.0   # its agents are back (an incident's end, a shift restored): news no more
            part = max(0.0, ((t + self.offset) % HOUR - self.grace_s) / (HOUR - self.grace_s))
            return s + (z - self.allowance) * part   # its deficit so far, weighed by the part of the hour gone
        if last is None or last[1] < self.below:
            return 0.0   # its last hour stood less than ``below`` under the level: not short of agents now
        return s

    def _z_now(self, region: str) -> float | None:
        """The hour's ``z`` of the current hour as counted so far (None: too few orders yet to say)."""
        cur, lev = self.now.get(region), self.level.get(region)
        if cur is None or lev is None or cur[1][0] < self.min_orders:
            return None
        d, n = len(cur[0]), cur[1][0]
        d_rest = sum(len(a) for a, _ in self.now.values()) - d
        n_rest = sum(x[0] for _, x in self.now.values()) - n
        if n_rest < self.min_orders or d_rest <= 0:
            return None
        return -(math.log(d / d_rest) - lev[0] - min(0.0, math.log(n / n_rest) - lev[1]))

    def shares(self, region: str, t: float) -> tuple[float, float] | None:
        """(agent share of the last judged hour, the usual share), both against the rest of the province."""
        last = self._fresh(region, t)
        lev = self.level.get(region)
        if last is None or lev is None or last[3] <= 0:
            return None
        return last[2] / last[3], math.exp(lev[0])

    # -------------------------------------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        return {"hour": self.hour, "now": {r: [sorted(a), n[0]] for r, (a, n) in self.now.items()},
                "level": {r: list(v) for r, v in self.level.items()}, "stat": dict(self.stat),
                "last": {r: list(v) for r, v in self.last.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        h = state.get("hour")
        self.hour = int(h) if h is not None else None
        self.now = {r: (set(a), [int(n)]) for r, (a, n) in state.get("now", {}).items()}
        self.level = {r: [float(x) for x in v] for r, v in state.get("level", {}).items()}
        self.stat = {r: float(v) for r, v in state.get("stat", {}).items()}
        self.last = {r: (int(v[0]), float(v[1]), int(v[2]), int(v[3])) for r, v in state.get("last", {}).items()}
