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

MIN = 60.0


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
    needs before it is used (else the province's for the check and category).
    """

    def __init__(self, quantile: float = 0.99, factor: float = 1.5, margin_s: float = 3 * MIN, min_orders: int = 3,
                 window_s: float = 90 * MIN, memory: int = 200, min_habit: int = 20) -> None:
        self.quantile = quantile
        self.factor = factor
        self.margin_s = margin_s
        self.min_orders = min_orders
        self.window_s = window_s
        self.memory = memory
        self.min_habit = min_habit
        self.open: dict[tuple[str, str], dict[str, tuple[float, float, str]]] = {}
        """(department, check) -> {order_id: (start, deadline, category)}, in the order they opened."""
        self.durations: dict[tuple[str, ...], deque[float]] = {}
        """(department, check, category) and ("", check, category) -> recent completion times (s)."""
        self.last_done: dict[tuple[str, str], float] = {}
        self._habits: dict[tuple[str, ...], tuple[int, float | None]] = {}   # habit key -> (durations seen, habit)
        self._seen: dict[tuple[str, ...], int] = {}

    # -------------------------------------------------------------------------------------------- learning
    def opened(self, dept: str, check: str, order_id: str, start: float, deadline: float, category: str) -> None:
        """A check of ``order_id`` opened in ``dept`` (or moved there) at ``start``."""
        self.open.setdefault((dept, check), {})[order_id] = (start, deadline, category)

    def closed(self, dept: str, check: str, order_id: str, t: float, moved: bool = False) -> None:
        """The check closed at ``t``: the department took or finished the order, or (``moved``) it went to
        another department — returned by this one (part of its habit) or pulled away by the dispatcher (which
        says nothing of whether this one works: it does not end a stall)."""
        entry = self.open.get((dept, check), {}).pop(order_id, None)
        if entry is None:
            return
        start, _, category = entry
        if not moved:
            self.last_done[(dept, check)] = t
        waited = max(0.0, t - start)
        for key in ((dept, check, category), ("", check, category)):
            q = self.habit(key)
            limit = None if q is None else self._over(q)
            d = self.durations.get(key)
            if d is None:
                d = self.durations[key] = deque(maxlen=self.memory)
            d.append(waited if limit is None else min(waited, limit))
            self._seen[key] = self._seen.get(key, 0) + 1

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

    def _habit_for(self, dept: str, check: str, category: str) -> float | None:
        own = self.habit((dept, check, category))
        return own if own is not None else self.habit(("", check, category))

    # -------------------------------------------------------------------------------------------- judging
    def candidates(self) -> set[tuple[str, str]]:
        """The (department, check) pairs with enough open checks to be stalled (:meth:`stalled` is None for
        the others)."""
        n = self.min_orders
        return {k for k, v in self.open.items() if len(v) >= n}

    def stalled(self, dept: str, check: str, now: float) -> Stall | None:
        """The evidence if ``dept`` has stopped completing ``check`` at ``now``, else None."""
        checks = self.open.get((dept, check))
        if not checks or len(checks) < self.min_orders:
            return None
        last = self.last_done.get((dept, check), float("-inf"))
        waiting = 0
        oldest = habit = worst = 0.0
        first_breach = float("inf")
        margin = self.margin_s
        limits: dict[str, tuple[float, float] | None] = {}   # per category: (habit, overdue wait), looked up once
        for start, deadline, category in checks.values():
            if now - start <= margin:
                continue   # within every habit's limit (``_over(q) >= q + margin``, q >= 0): no lookup needed
            lim = limits.get(category, False)
            if lim is False:
                q = self._habit_for(dept, check, category)
                lim = limits[category] = None if q is None else (q, self._over(q))
            if lim is None:
                continue
            q, over = lim
            waited = now - start
            if waited <= over or waited > over + self.window_s:
                continue
            if last > start + over:   # completed something after this one was already overdue: not stopped
                return None
            waiting += 1
            if waited > oldest:
                oldest, habit = waited, q
            first_breach = min(first_breach, deadline - now)
            worst = max(worst, waited / max(MIN, deadline - start))
        if waiting < self.min_orders:
            return None
        quiet = now - last if last > float("-inf") else oldest
        return Stall(waiting, len(checks), habit / MIN, oldest / MIN, quiet / MIN, first_breach / MIN, worst)

    # -------------------------------------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        sep = "\x1f"
        return {"open": [[d, c, {o: list(v) for o, v in m.items()}] for (d, c), m in self.open.items() if m],
                "durations": [[sep.join(k), list(v)] for k, v in self.durations.items()],
                "seen": [[sep.join(k), n] for k, n in self._seen.items()],
                "last_done": [[d, c, t] for (d, c), t in self.last_done.items()],
                "habits": [[sep.join(k), n, q] for k, (n, q) in self._habits.items()]}

    def restore(self, state: dict[str, Any]) -> None:
        sep = "\x1f"
        self.open = {(d, c): {o: tuple(v) for o, v in m.items()} for d, c, m in state.get("open", [])}
        self.durations = {tuple(k.split(sep)): deque(v, maxlen=self.memory) for k, v in state.get("durations", [])}
        self._seen = {tuple(k.split(sep)): n for k, n in state.get("seen", [])}
        self.last_done = {(d, c): t for d, c, t in state.get("last_done", [])}
        # the cached habits too: recomputed from the durations now, they could differ from the ones in use
        self._habits = {tuple(k.split(sep)): (n, q) for k, n, q in state.get("habits", [])}
