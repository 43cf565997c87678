"""A region's receive desks lose capacity: every order waits longer to be accepted, well before any breach.

Fewer agents on a shift (sick leave, a desk closed, a shift cut — the simulator's ``understaffed_receive``
and ``gradual_drift``) turn the region's receive stage into a queue that grows: each order waits for an agent
before its own handling starts. The deadline-share rules see it when orders pass half their deadline and
several are near it; on a five-minute hotline deadline that is minutes before the first breach. The waits
themselves say it earlier and with their size: a hotline order normally taken in two minutes now takes three,
four, six, one after another.

For every region, channel class (``direct``: hotline and hall, registered while the customer is there;
``queued``: app, web, wechat … which reach the queue later) and the queue the order found when it came (0, 1,
2, 3+ orders of the region already waiting: a wait behind three others is no news) the watch learns the usual
log-wait (``created`` → ``accepted``) and its deviation, only while the region is calm, so that a slow shift
does not teach it that slow is normal. Each accepted order then adds to a one-sided CUSUM the log-likelihood
ratio of "the waits have risen ``shift`` deviations" against "as usual" (Page's CUSUM for a Gaussian mean, each
order's z-score capped at ``z_cap`` so that one forgotten order cannot fire it). The usual wait tested against
is at least the rest of the province's mean log-wait of the class over the last ten minutes (a window short
enough to follow a peak as it builds, else the lag itself is evidence): a morning peak that slows
every region alike is no evidence against one of them.

Waits alone also rise in an ordinary busy quarter hour (a few agents, calls that come in clusters), so the
caller (detectors/scope_rules.py) uses this evidence only to back the deadline-share test of the same region,
and only while the region's arrivals are not above its usual share.

>>> w = ReceiveWaitWatch(threshold=6.0, min_waits=20)
>>> t = 0.0
>>> for i in range(60):                                   # a calm region: hotline orders taken in ~2 minutes
...     t += 60.0
...     w.opened("west", f"WO-{i}", t, "hotline")
...     w.closed(f"WO-{i}", t + 100.0 + 10.0 * (i % 5))
>>> w.statistic("west") < 1.0                           # evidence stays low: the waits are the habit
True
>>> n = 0
>>> while w.statistic("west") < 6.0:                      # agents go home: waits of 4-5 minutes
...     t += 60.0; n += 1
...     w.opened("west", f"WO-x{n}", t, "hotline")
...     w.closed(f"WO-x{n}", t + 240.0 + 10.0 * (n % 4))
>>> n <= 5
True
>>> w.last_waits("west")[-1]
4.5
>>> w.behind_s("west", t + 1200.0) / 60     # twenty minutes on: behind since that last order was accepted
15.5
>>> w.behind_s("west", t + 3600.0)          # an hour with nobody accepted: the evidence is old news
0.0

A desk that loses capacity slowly (a shift that shrinks hour by hour: ``gradual_drift``) shows differently: at
any one minute too few of its orders are near their deadlines for the lag test, but its waits stay over the
habit hour after hour. :meth:`ReceiveWaitWatch.behind_s` is how long the evidence has stood at the threshold
without falling below half of it; the caller lets a desk behind for hours warn on its waits alone
(``detectors.scope.receive_wait_alone``). A burst's queue clears sooner where orders come every minute; on a
quiet desk a burst can keep the clock running for hours, and what guards it there is the evidence that must be
high *now*; a desk nobody calls for ``stale_s`` is not behind at all.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Any

DIRECT_CHANNELS = frozenset(("hotline", "hall"))
"""Channels registered while the customer waits (call, counter): their wait is the agent queue itself."""
MIN = 60.0


def channel_class(channel: str) -> str:
    """``direct`` for hotline and hall, ``queued`` for the rest (their wait includes the channel's own delay)."""
    return "direct" if channel in DIRECT_CHANNELS else "queued"


class _Habit:
    """Exponentially weighted mean and variance of one class's log-waits (learned while calm)."""

    __slots__ = ("mean", "var", "n")

    def __init__(self, mean: float = 0.0, var: float = 0.0, n: int = 0) -> None:
        self.mean, self.var, self.n = mean, var, n

    def learn(self, x: float, alpha: float) -> None:
        self.n += 1
        a = max(alpha, 1.0 / self.n)
        d = x - self.mean
        self.mean += a * d
        self.var = (1.0 - a) * (self.var + a * d * d)


class ReceiveWaitWatch:
    """Receive waits per region against the region's habit; :meth:`statistic` is the CUSUM evidence.

    ``shift``: the rise worth warning about, in deviations of the log-wait; ``threshold``: evidence at which
    the caller fires (the statistic is capped at ``3 × threshold``); ``z_cap``: one order adds at most
    ``shift × (z_cap - shift / 2)``; ``alpha``: learning rate of the habit per order; ``min_waits``: waits a
    region's habit needs before it is used (before that: the province's habit of the class); ``min_sd``:
    smallest deviation of a log-wait used; ``window_s`` and ``province_min``: the rest of the province's mean
    over this window, with at least this many waits, is the least usual wait tested against.
    """

    def __init__(self, shift: float = 1.0, threshold: float = 6.0, z_cap: float = 3.0, alpha: float = 1 / 300,
                 min_waits: int = 50, min_sd: float = 0.15, window_s: float = 600.0,
                 province_min: int = 10, classes: tuple[str, ...] = ("direct", "queued"),
                 load_buckets: int = 4, stale_s: float = 1800.0) -> None:
        self.classes = frozenset(classes)
        self.load_buckets = load_buckets
        self.waiting_now: dict[str, int] = {}
        """region -> orders waiting to be accepted now (the queue a new order finds)."""
        self.shift = shift
        self.threshold = threshold
        self.z_cap = z_cap
        self.alpha = alpha
        self.min_waits = min_waits
        self.min_sd = min_sd
        self.window_s = window_s
        self.province_min = province_min
        self.stale_s = stale_s
        """A region with no accepted order for this long says nothing now: its "behind" clock stops (a quiet night
        desk whose last orders were slow is not behind for the hours nobody calls)."""
        self.open: dict[str, tuple[str, float, str]] = {}
        """order_id -> (region, created, channel class) of the orders waiting to be accepted."""
        self.habits: dict[tuple[str, str], _Habit] = {}
        """(region, class) and ("", class) for the province -> the habit of its log-waits."""
        self.stat: dict[str, float] = {}
        self.above: dict[str, float] = {}
        """region -> since when its evidence has stood at ``threshold`` or more (without falling below half of it
        since): a desk that stays behind for an hour has lost capacity; a burst's queue clears sooner."""
        self.since: dict[str, float] = {}
        """region -> when its first wait was seen (a habit younger than a day has not seen every hour)."""
        self.recent: dict[str, deque[tuple[float, float]]] = {}
        """region -> (accepted at, wait minutes) of its last waits, for the evidence shown."""
        self._window: dict[str, deque[tuple[float, str, float]]] = {}
        """class -> (t, region, log-wait) of the province's waits in the last ``window_s``."""
        self._sums: dict[tuple[str, str], list[float]] = {}
        """(class, region) and (class, "") -> [sum of log-waits, count] over the window."""

    # -------------------------------------------------------------------------------------------- learning
    def opened(self, region: str, order_id: str, start: float, channel: str) -> None:
        """The order's receive check opened at ``start`` (created): it finds the region's queue as it is now."""
        ahead = self.waiting_now.get(region, 0)
        self.waiting_now[region] = ahead + 1
        cls = channel_class(channel)
        if self.load_buckets:
            cls = f"{cls}{min(ahead, self.load_buckets - 1)}"
        self.open[order_id] = (region, start, cls)

    def closed(self, order_id: str, t: float) -> None:
        """The order was accepted at ``t``: its wait is evidence about its region's desks."""
        entry = self.open.pop(order_id, None)
        if entry is None:
            return
        region, start, cls = entry
        self.waiting_now[region] -= 1
        if region not in self.since:
            self.since[region] = t
        if cls.rstrip("0123456789") not in self.classes:
            return
        wait = max(t - start, 1.0)
        self._observe(region, cls, t, math.log(wait / MIN))
        r = self.recent.get(region)
        if r is None:
            r = self.recent[region] = deque(maxlen=10)
        r.append((t, round(wait / MIN, 1)))

    def _habit(self, key: tuple[str, str]) -> _Habit:
        h = self.habits.get(key)
        if h is None:
            h = self.habits[key] = _Habit()
        return h

    def _rest_mean(self, cls: str, region: str) -> float | None:
        """The mean log-wait of the class in the rest of the province over the window (None: too few)."""
        tot = self._sums.get((cls, ""))
        if tot is None:
            return None
        own = self._sums.get((cls, region), (0.0, 0.0))
        n = tot[1] - own[1]
        return (tot[0] - own[0]) / n if n >= self.province_min else None

    def _slide(self, cls: str, t: float, region: str, x: float) -> None:
        win = self._window.get(cls)
        if win is None:
            win = self._window[cls] = deque()
        sums = self._sums
        while win and win[0][0] <= t - self.window_s:
            _, r, y = win.popleft()
            for k in ((cls, r), (cls, "")):
                s = sums[k]
                s[0] -= y
                s[1] -= 1
        win.append((t, region, x))
        for k in ((cls, region), (cls, "")):
            s = sums.get(k)
            if s is None:
                s = sums[k] = [0.0, 0]
            s[0] += x
            s[1] += 1

    def _observe(self, region: str, cls: str, t: float, x: float) -> None:
        own = self._habit((region, cls))
        prov = self._habit(("", cls))
        h = own if own.n >= self.min_waits else prov
        stat = self.stat.get(region, 0.0)
        if h.n >= self.min_waits:
            mu = h.mean
            rest = self._rest_mean(cls, region)
            if rest is not None and rest > mu:
                mu = rest
            sd = max(self.min_sd, math.sqrt(h.var))
            z = min((x - mu) / sd, self.z_cap)
            k = self.shift
            stat = min(max(0.0, stat + k * (z - k / 2.0)), 3.0 * self.threshold)
            self.stat[region] = stat
            if stat >= self.threshold:
                last = self.recent.get(region)   # its previous accepted order (this one is added after)
                if region not in self.above or (last and t - last[-1][0] > self.stale_s):
                    self.above[region] = t       # a gap with nobody accepted: the old run says nothing now
            elif stat < self.threshold / 2:
                self.above.pop(region, None)
        self._slide(cls, t, region, x)
        if stat < self.threshold / 2:   # calm: the waits are the habit
            own.learn(x, self.alpha)
            prov.learn(x, self.alpha)

    # -------------------------------------------------------------------------------------------- judging
    def statistic(self, region: str) -> float:
        return self.stat.get(region, 0.0)

    def behind_s(self, region: str, now: float) -> float:
        """How long the region's evidence has stood at the threshold or more (seconds; 0 once it has fallen below
        half the threshold — a dip under the threshold but not under half of it does not restart the clock — and 0
        while no order of the region has been accepted for ``stale_s``: evidence nobody adds to is old news)."""
        since = self.above.get(region)
        if since is None:
            return 0.0
        last = self.recent.get(region)
        if last and now - last[-1][0] > self.stale_s:
            return 0.0
        return now - since

    def age_s(self, region: str, now: float) -> float:
        """How long the region's waits have been watched (seconds; 0 before its first)."""
        first = self.since.get(region)
        return now - first if first is not None else 0.0

    def regions(self) -> list[str]:
        return sorted(self.stat)

    def usual_wait_min(self, region: str, channel_cls: str = "direct0") -> float | None:
        """The region's usual wait of a class (minutes; the province's while the region's is young); with load
        buckets a class is e.g. ``direct0`` (hotline orders that found nobody waiting)."""
        own = self.habits.get((region, channel_cls))
        h = own if own is not None and own.n >= self.min_waits else self.habits.get(("", channel_cls))
        return math.exp(h.mean) if h is not None and h.n else None

    def last_waits(self, region: str) -> list[float]:
        return [w for _, w in self.recent.get(region, ())]

    # -------------------------------------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        sep = "\x1f"
        return {"open": [[o, r, s, c] for o, (r, s, c) in self.open.items()],
                "habits": [[sep.join(k), h.mean, h.var, h.n] for k, h in self.habits.items()],
                "stat": self.stat, "since": self.since, "above": self.above,
                "recent": {r: [list(x) for x in d] for r, d in self.recent.items()},
                "window": {c: [list(x) for x in d] for c, d in self._window.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        sep = "\x1f"
        self.open = {o: (r, s, c) for o, r, s, c in state.get("open", [])}
        self.habits = {tuple(k.split(sep)): _Habit(m, v, n) for k, m, v, n in state.get("habits", [])}  # type: ignore[misc]
        self.stat = dict(state.get("stat", {}))
        self.since = dict(state.get("since", {}))
        self.above = dict(state.get("above", {}))
        self.recent = {r: deque((tuple(x) for x in d), maxlen=10) for r, d in state.get("recent", {}).items()}
        if "above" not in state:   # a record of the version before the clock: regions behind now start it at
            for r, st in self.stat.items():   # their oldest remembered wait (as replay would have, roughly)
                if st >= self.threshold and self.recent.get(r):
                    self.above[r] = self.recent[r][0][0]
        self._window = {}
        self._sums = {}
        self.waiting_now = {}
        for r, _, _ in self.open.values():
            self.waiting_now[r] = self.waiting_now.get(r, 0) + 1
        for cls, items in state.get("window", {}).items():
            for t, r, y in items:
                self._slide(cls, t, r, y)
