"""Stalled departments: a department stops completing a check it normally completes quickly.

A department that takes an order within a few minutes, day after day, and now lets three orders wait far longer
than it ever does, with nothing completed meanwhile, has stopped working that queue (a closed office, a broken
terminal, everybody out on one job). Its orders will breach their deadline — often hours later: a two-hour
acceptance deadline against a habit of five minutes — unless somebody acts. The deadline-share rules see it only
when the orders reach half their deadline; the department's own habit sees it within minutes.

For every (department, check) the watch keeps the checks now open and the department's habitual completion
times: the last ``memory`` durations per (department, check, category), and the province's per (check, category)
as the habit of a department too young to have one. An open check is *overdue by habit* when it has waited past
``max(factor × q, q + margin)``, ``q`` the habit's ``quantile``; a department is stalled on a check when
``min_orders`` of its open checks are overdue by habit (but waited less than ``window`` beyond that: an order
forgotten for days is not news every minute) and none of its checks of that kind completed meanwhile.
Durations are learned capped at the limit in force, so a stall does not teach the habit that stalling is normal.

That habit counts every way a check left the department, also orders it sent back as misrouted. Returns take
10–20 min (up to an hour) where takes take 2–3, so a desk that sends back one order in fifteen has a 99th percentile
in its returns' tail (~50 min on metering desks), and a desk that stopped went unseen for an hour and more. Hence a
second test against the habit of *takes* alone (``take_min_orders``, 0 = off): past it, an order is still open by
chance only if it is one of the few under review for return (~3 % of them rather than 1 %), so it needs one order
more (three at 1 % ≈ four at 3 %, about one in a million). An open check of a category the department mostly sends
back (more than ``return_share`` of its recent ones of that category left: complaints sent to a metering desk) is
under review, not waiting: it does not count in this test. Three orders suffice (``take_own_min_orders``) when
they are overdue by the department's *own* habit of takes: a habit borrowed from the province while the desk is
young mixes desks of other paces (20 min for public-2's quiet morning desk that takes in 3).

At a large province's volume two kinds of strays would read as stalls every day (a simulated province at ten
times the public streams' volume: 3–5 such false alarms in two days). Fault repairs misrouted to a marketing or
metering desk wait there for hours: the desk never sends crews, its habit for them is that of sending some back,
and the province's habit of repair desks is no measure of it. Hence, on such checks (``stray_checks``: the crew's
arrival, not the take, which any desk can do for any category), once a department is no longer young
(``min_habit`` completions, all checks and categories), a category counts only with ``category_min`` completions
of its own. And a desk that last completed the check many hours before its waiting orders came (a desk that only
now and then finishes a stray, overnight and into the morning) has not *stopped*: a stall needs a completion
within ``active_within_s`` before the oldest waiting order started (a young department is judged without it).

>>> w = StallWatch(min_orders=2, min_habit=5)
>>> for i in range(20):                                  # the department accepts within 2-4 minutes
...     w.opened("north-repair", "dept_accept", f"WO-{i}", 600.0 * i, 600.0 * i + 7200, "complaint")
...     w.closed("north-repair", "dept_accept", f"WO-{i}", 600.0 * i + 120 + 6 * i)
>>> t0 = 20 * 600.0
>>> w.opened("north-repair", "dept_accept", "WO-a", t0, t0 + 7200, "complaint")
>>> w.opened("north-repair", "dept_accept", "WO-b", t0 + 60, t0 + 7260, "complaint")
>>> w.stalled("north-repair", "dept_accept", t0 + 300) is None        # 5 minutes: still within habit
True
>>> s = w.stalled("north-repair", "dept_accept", t0 + 900)            # 15 minutes, nothing accepted
>>> s.waiting, round(s.habit_min, 1), round(s.first_breach_min)
(2, 3.9, 105)
>>> w.closed("north-repair", "dept_accept", "WO-a", t0 + 960)         # one accepted: work goes on
>>> w.stalled("north-repair", "dept_accept", t0 + 1000) is None
True
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from streams.deadlines import LEVELS

MIN = 60.0
TAKE = "take"
"""The last element of the habit keys of takes alone."""


@dataclass(frozen=True, slots=True)
class Stall:
    """Evidence that one department has stopped completing one check."""

    waiting: int              # open checks overdue by the department's habit
    open: int                 # open checks of the department on this check
    habit_min: float          # the habit (quantile of completion minutes) of the longest-waiting one
    oldest_wait_min: float    # longest wait among them
    quiet_min: float          # minutes since the department last completed this check
    first_breach_min: float   # minutes until the first of them breaches its deadline (≤ 0: breached)
    worst_share: float        # the largest share of its deadline one of them has used


class StallWatch:
    """Open checks and habitual completion times per department; :meth:`stalled` judges one of them.

    ``quantile`` of the habit; ``factor`` and ``margin_s``: an order is overdue by habit past
    ``max(factor × q, q + margin_s)``; ``min_orders`` overdue ones make a stall; ``window_s``: waits longer than
    the limit plus this no longer count; ``memory``: durations kept per habit; ``min_habit``: durations a habit
    needs before it is used (else the province's for the check and category); ``take_min_orders``: open checks
    overdue by the habit of takes alone (checks that left for another department not learned) that make a stall
    too (0 = off); ``take_own_min_orders``: as many overdue by the department's *own* habit of takes (not the
    province's, borrowed while it is young) make a stall too (0 = off); ``return_share``: in that test, checks of a
    category whose recent share of moves in this department is above this do not count; ``category_min``: on the
    ``stray_checks`` (whose completion needs what the desk has, such as crews), a department no longer young
    (``min_habit`` completions in all) judges a category only with this many completions of its own (0 =
    off); ``active_within_s``: a stall needs a completion of the check this long before the oldest waiting order
    started, or the department young (0 = off).
    """

    def __init__(self, quantile: float = 0.99, factor: float = 1.5, margin_s: float = 3 * MIN, min_orders: int = 3,
                 window_s: float = 90 * MIN, memory: int = 200, min_habit: int = 20, take_min_orders: int = 0,
                 take_own_min_orders: int = 0, return_share: float = 0.5, category_min: int = 0,
                 active_within_s: float = 0.0, stray_checks: frozenset[str] = frozenset()) -> None:
        self.quantile = quantile
        self.factor = factor
        self.margin_s = margin_s
        self.min_orders = min_orders
        self.window_s = window_s
        self.memory = memory
        self.min_habit = min_habit
        self.take_min_orders = take_min_orders
        self.take_own_min_orders = take_own_min_orders
        self.return_share = return_share
        self.category_min = category_min
        self.active_within_s = active_within_s
        self.stray_checks = stray_checks
        self._take_need = min((n for n in (take_min_orders, take_own_min_orders) if n > 0), default=0)
        self._need = min((n for n in (min_orders, self._take_need) if n > 0), default=0)
        self.outcomes: dict[tuple[str, ...], tuple[deque[bool], list[int]]] = {}
        """(department, check, category) -> (recent closes, True = moved away; [moves among them])."""
        self.open: dict[tuple[str, str], dict[str, tuple[float, float, str]]] = {}
        """(department, check) -> {order_id: (start, deadline, category)}, in the order they opened."""
        self.durations: dict[tuple[str, ...], deque[float]] = {}
        """(department, check, category) and ("", check, category) -> recent completion times (s); the same keys
        plus ``TAKE``: those of takes alone."""
        self.last_done: dict[tuple[str, str], float] = {}
        self.done_of: dict[tuple[str, str, str], int] = {}
        """(department, check, category) -> completions (not moves) seen: its own experience of a category. The
        two sums below are kept with it for lookups (and derived from it on restore)."""
        self.done: dict[str, int] = {}
        """department -> completions, all checks and categories: how young it is."""
        self.done_check: dict[tuple[str, str], int] = {}
        """(department, check) -> completions, all categories: what it takes."""
        self._habits: dict[tuple[str, ...], tuple[int, float | None]] = {}   # habit key -> (durations seen, habit)
        self._seen: dict[tuple[str, ...], int] = {}

    # -------------------------------------------------------------------------------------------- learning
    def opened(self, dept: str, check: str, order_id: str, start: float, deadline: float, category: str) -> None:
        """A check of ``order_id`` opened in ``dept`` (or moved there) at ``start``."""
        self.open.setdefault((dept, check), {})[order_id] = (start, deadline, category)

    def closed(self, dept: str, check: str, order_id: str, t: float, moved: bool = False) -> None:
        """The check closed at ``t``: the department took or finished the order, or (``moved``) it went to
        another department — returned by this one (part of its habit of closes, not of takes) or pulled away by
        the dispatcher (which says nothing of whether this one works: it does not end a stall)."""
        entry = self.open.get((dept, check), {}).pop(order_id, None)
        if entry is None:
            return
        start, _, category = entry
        if not moved:
            self.last_done[(dept, check)] = t
            self.done[dept] = self.done.get(dept, 0) + 1
            self.done_of[(dept, check, category)] = self.done_of.get((dept, check, category), 0) + 1
            self.done_check[(dept, check)] = self.done_check.get((dept, check), 0) + 1
        waited = max(0.0, t - start)
        keys: tuple[tuple[str, ...], ...] = ((dept, check, category), ("", check, category))
        if self._take_need:
            self._outcome((dept, check, category), moved)
            if not moved:
                keys += ((dept, check, category, TAKE), ("", check, category, TAKE))
        for key in keys:
            q = self.habit(key)
            limit = None if q is None else self._over(q)
            d = self.durations.get(key)
            if d is None:
                d = self.durations[key] = deque(maxlen=self.memory)
            d.append(waited if limit is None else min(waited, limit))
            self._seen[key] = self._seen.get(key, 0) + 1

    def _outcome(self, key: tuple[str, ...], moved: bool) -> None:
        entry = self.outcomes.get(key)
        if entry is None:
            entry = self.outcomes[key] = (deque(maxlen=self.memory), [0])
        d, n = entry
        if len(d) == d.maxlen and d[0]:
            n[0] -= 1
        d.append(moved)
        n[0] += moved

    def returned_share(self, dept: str, check: str, category: str) -> float:
        """The share of the department's recent closed checks of ``category`` that left for another department
        (0 before any; kept while a test of takes is on)."""
        entry = self.outcomes.get((dept, check, category))
        return entry[1][0] / len(entry[0]) if entry else 0.0

    def habit(self, key: tuple[str, ...]) -> float | None:
        """The habitual completion time (s, the ``quantile`` of recent ones) of a habit key; None: too few yet.
        Recomputed after every ten new durations (always from the same ones, whoever asks: :meth:`closed` asks
        before it adds each, so :meth:`stalled` may skip asking)."""
        seen = self._seen.get(key, 0)
        cached = self._habits.get(key)
        if cached is not None and seen - cached[0] < 10:
            return cached[1]
        d = self.durations.get(key)
        q = None
        if d is not None and len(d) >= self.min_habit:
            xs = sorted(d)
            q = xs[min(len(xs) - 1, int(self.quantile * len(xs)))]
        self._habits[key] = (seen, q)
        return q

    def _over(self, q: float) -> float:
        """The wait past which a check with habit ``q`` is overdue by habit."""
        return max(self.factor * q, q + self.margin_s)

    def _young(self, dept: str) -> bool:
        """Too few completions yet (all checks and categories) for the department's own habits to say much."""
        return self.done.get(dept, 0) < self.min_habit

    def _unpracticed(self, dept: str, check: str, category: str) -> bool:
        """On ``stray_checks``, ``dept`` (no longer young) has fewer than ``category_min`` completions of
        ``category`` of its own: the stall watch does not judge it on them (no habit says when it would finish one).
        Not :meth:`strays`, the lag rule's view: categories it seldom *takes*."""
        return (check in self.stray_checks and self.done_of.get((dept, check, category), 0) < self.category_min
                and not self._young(dept))

    def seldom_taken(self, dept: str, category: str, share: float, take_check: str = "dept_accept") -> bool:
        """``category`` is below ``share`` of the orders ``dept`` has taken (``take_check`` completed), once it
        has taken ``min_habit``: not its work (a fault repair at a marketing desk, 0.1-0.5 % of its takes where
        it is 99 % of a repair desk's)."""
        total = self.done_check.get((dept, take_check), 0)
        return total >= self.min_habit and self.done_of.get((dept, take_check, category), 0) < share * total

    def strays(self, dept: str, check: str, now: float, share: float) -> tuple[int, list[int]]:
        """The department's open ``check``\ s of categories it seldom takes (:meth:`seldom_taken` at ``share``)
        at ``now``: how many, and how many of them have used 50 / 75 / 90 / 100 % of their deadline (counted
        from when they came to it).

        >>> w = StallWatch(min_habit=20)
        >>> for i in range(40):                                  # a marketing desk: 39 complaints, 1 repair
        ...     w.opened("east-marketing", "dept_accept", f"C{i}", 0.0, 3600.0, "complaint" if i else "fault_repair")
        ...     w.closed("east-marketing", "dept_accept", f"C{i}", 60.0)
        >>> w.opened("east-marketing", "feedback", "F1", 0.0, 3600.0, "fault_repair")    # misrouted repairs
        >>> w.opened("east-marketing", "feedback", "F2", 3000.0, 6600.0, "fault_repair")
        >>> w.strays("east-marketing", "feedback", 3300.0, share=0.05)
        (2, [1, 1, 1, 0])
        >>> w.strays("east-marketing", "feedback", 3300.0, share=0.01)   # 1 of 40 is 2.5 %: its work
        (0, [0, 0, 0, 0])
        """
        checks = self.open.get((dept, check))
        levels = [0, 0, 0, 0]
        n = 0
        if not checks or share <= 0:
            return n, levels
        stray: dict[str, bool] = {}
        for start, deadline, category in checks.values():
            s = stray.get(category)
            if s is None:
                s = stray[category] = self.seldom_taken(dept, category, share)
            if not s:
                continue
            n += 1
            used = (now - start) / max(1.0, deadline - start)
            for i, level in enumerate(LEVELS):
                if used >= level:
                    levels[i] += 1
        return n, levels

    def _habit_for(self, dept: str, check: str, category: str, take: bool = False) -> float | None:
        tail = (TAKE,) if take else ()
        if self._unpracticed(dept, check, category):
            # a stray here (a fault repair at a marketing desk): neither the province's habit nor the desk's own
            # (of sending such orders back) says when it would finish one
            return None
        own = self.habit((dept, check, category, *tail))
        return own if own is not None else self.habit(("", check, category, *tail))

    # -------------------------------------------------------------------------------------------- judging
    def candidates(self) -> set[tuple[str, str]]:
        """The (department, check) pairs with enough open checks to be stalled (:meth:`stalled` is None for
        the others)."""
        n = self._need
        return {k for k, v in self.open.items() if len(v) >= n}

    def stalled(self, dept: str, check: str, now: float) -> Stall | None:
        """The evidence if ``dept`` has stopped completing ``check`` at ``now``, else None: first against the
        habit of all closes, then (``take_min_orders``) against the habit of takes."""
        checks = self.open.get((dept, check))
        if not checks or len(checks) < self._need:
            return None
        last = self.last_done.get((dept, check), float("-inf"))
        s = self._judge(dept, check, now, checks, last, False) if self.min_orders > 0 else None
        if s is None and self._take_need and len(checks) >= self._take_need:
            s = self._judge(dept, check, now, checks, last, True)
        return s

    def _judge(self, dept: str, check: str, now: float, checks: dict[str, tuple[float, float, str]], last: float,
               take: bool) -> Stall | None:
        need = (self.take_min_orders or len(checks) + 1) if take else self.min_orders
        need_own = self.take_own_min_orders if take and self.take_own_min_orders else len(checks) + 1
        waiting = own_waiting = 0
        oldest = habit = worst = 0.0
        oldest_start = float("inf")
        owns: dict[str, bool] = {}
        first_breach = float("inf")
        margin = self.margin_s
        limits: dict[str, tuple[float, float] | None] = {}   # per category: (habit, overdue wait), looked up once
        for start, deadline, category in checks.values():
            if now - start <= margin:
                continue   # within every habit's limit (``_over(q) >= q + margin``, q >= 0): no lookup needed
            lim = limits.get(category, False)
            if lim is False:
                q = self._habit_for(dept, check, category, take)
                if take and q is not None and self.returned_share(dept, check, category) > self.return_share:
                    q = None   # a category this desk mostly sends back: under review for return, not waiting
                lim = limits[category] = None if q is None else (q, self._over(q))
                owns[category] = take and self.habit((dept, check, category, TAKE)) is not None   # its own habit
            if lim is None:
                continue
            q, over = lim
            waited = now - start
            if waited <= over or waited > over + self.window_s:
                continue
            if last > start + over:   # completed something after this one was already overdue: not stopped
                return None
            waiting += 1
            own_waiting += owns[category]
            if waited > oldest:
                oldest, habit, oldest_start = waited, q, start
            first_breach = min(first_breach, deadline - now)
            worst = max(worst, waited / max(MIN, deadline - start))
        if waiting < need and own_waiting < need_own:
            return None
        if self.active_within_s and last < oldest_start - self.active_within_s and not self._young(dept):
            return None   # it completed none for hours before these came: not a desk that stopped just now
        quiet = now - last if last > float("-inf") else oldest
        return Stall(waiting, len(checks), habit / MIN, oldest / MIN, quiet / MIN, first_breach / MIN, worst)

    # -------------------------------------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        sep = "\x1f"
        return {"open": [[d, c, {o: list(v) for o, v in m.items()}] for (d, c), m in self.open.items() if m],
                "durations": [[sep.join(k), list(v)] for k, v in self.durations.items()],
                "seen": [[sep.join(k), n] for k, n in self._seen.items()],
                "last_done": [[d, c, t] for (d, c), t in self.last_done.items()],
                "done_of": [[d, c, k, n] for (d, c, k), n in self.done_of.items()],
                "habits": [[sep.join(k), n, q] for k, (n, q) in self._habits.items()],
                "outcomes": [[sep.join(k), [int(x) for x in d]] for k, (d, _) in self.outcomes.items()]}

    def restore(self, state: dict[str, Any]) -> None:
        sep = "\x1f"
        self.open = {(d, c): {o: tuple(v) for o, v in m.items()} for d, c, m in state.get("open", [])}
        self.durations = {tuple(k.split(sep)): deque(v, maxlen=self.memory) for k, v in state.get("durations", [])}
        self._seen = {tuple(k.split(sep)): n for k, n in state.get("seen", [])}
        self.last_done = {(d, c): t for d, c, t in state.get("last_done", [])}
        self.done_of = {(d, c, k): n for d, c, k, n in state.get("done_of", [])}
        self.done, self.done_check = {}, {}
        for (d, c, _), n in self.done_of.items():
            self.done[d] = self.done.get(d, 0) + n
            self.done_check[(d, c)] = self.done_check.get((d, c), 0) + n
        # the cached habits too: recomputed from the durations now, they could differ from the ones in use
        self._habits = {tuple(k.split(sep)): (n, q) for k, n, q in state.get("habits", [])}
        self.outcomes = {}
        for k, xs in state.get("outcomes", []):
            d = deque((bool(x) for x in xs), maxlen=self.memory)
            self.outcomes[tuple(k.split(sep))] = (d, [sum(d)])
