"""Slowed on-site work: a department's crews finish far fewer jobs than the jobs they have open normally yield.

A repair crew that is on site is not counted by any SLA check (the arrival check closed when it got there), yet
how fast a department's crews finish is what decides whether the next fault reports get a crew in time: when
repairs take three times as long, the crews are tied up, the queue for a crew grows and arrival deadlines breach
an hour or two later. A duty manager sees it first in the jobs on site: they are older than usual and few finish.

The watch keeps, per department, the jobs now on site (crew arrived, work not yet reported done) and the
department's habit: its recent on-site durations (the province's while it has too few). From the habit it knows,
for a job of age ``a``, the chance it finishes within the next minute (the empirical hazard); summed over the
open jobs that is how many completions a normal minute would bring (``expected``). A Poisson CUSUM compares the
completions seen with that expectation against the alternative "they finish at ``rate_ratio`` × the normal rate":

    S ← max(0, S + done × ln(ρ) + (1 − ρ) × expected)

so a busy evening (more jobs open, and as many finishing) is no evidence, nor is the daily rhythm (the test is
per open job, by its age), while a slowdown builds evidence minute by minute from the jobs that should have
finished and did not.

That test (``statistic``) says "slower than the habit"; a crew's bad evening — jobs taking 1.3-1.5 x as long,
a cluster of awkward faults — reaches it too. What a duty manager must hear about is crews at a standstill on
site: a repair that takes three to five times as long leaves almost no job finishing within the habit's usual
span (under a ×4 lognormal slowdown < 1 % of jobs finish by the habit's 75th percentile). The *alarm* test
(``alarm``) is the same CUSUM with a composite null: completions at ``alarm_null`` × the habit's rate (a slower
evening) are still calm, the alternative is ``alarm_ratio`` × (a standstill):

    A ← max(0, A + done × ln(ρ₁ / ρ₀) + (ρ₀ − ρ₁) × expected)

so a moderately slow department drifts down (done ≈ ρ₀ × expected: −0.57 × expected per minute at ρ₀ 0.6,
ρ₁ 0.1), and evidence grows only while almost nothing finishes.

The habit is a Kaplan-Meier estimate: the jobs still on site when it is learned count as lasting at least their
age. From finished jobs alone it is the short jobs' while work ramps up (a first morning: the long ones started
in the ramp are still open), and a habit that expects jobs to finish sooner than they do made a run of merely
long repairs look like a standstill.

Durations are learned capped at 1.5 × the habit's 99th percentile (a slowdown does not teach the habit that
slow is normal); jobs open far longer than any habit (``forget`` × the habit's longest normal duration: a job
nobody reported done) leave the test.

>>> w = WorkWatch(min_habit=20)
>>> t = 0.0
>>> for i in range(40):                          # jobs take 60-80 minutes
...     w.started("east-repair", f"WO-{i}", t + 600.0 * i)
...     w.finished("east-repair", f"WO-{i}", t + 600.0 * i + 3600 + 30 * i)
>>> w.habit_min("east-repair")
70.0
>>> t0 = 40 * 600.0 + 7200
>>> for j in range(6):                           # six crews arrive; none finishes in two hours
...     w.started("east-repair", f"WO-s{j}", t0 + 300.0 * j)
>>> for m in range(150):
...     _ = w.step(t0 + 60.0 * m)
>>> s = w.slowed("east-repair", t0 + 150 * 60.0)
>>> s.open, s.past_habit, s.done_60min, round(s.expected_60min, 1) > 3, s.statistic >= 5, s.alarm >= 3
(6, 6, 0, True, True, True)

Half the usual completions is a slower evening, not a standstill: the first test gathers evidence, the alarm
hardly any (under 1, far below its 4.5).

>>> w.stat["east-repair"] = w.alarm["east-repair"] = 0.0
>>> top = 0.0
>>> for m in range(240):                          # per minute: 0.2 completions expected, 0.1 seen
...     w.done_now["east-repair"] = int(m % 10 == 9)
...     _ = w._judge("east-repair", 0.2)
...     top = max(top, w.alarm["east-repair"])
>>> round(w.stat["east-repair"], 1), round(top, 1)
(2.7, 0.9)
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

MIN = 60.0
BIN_S = 5 * MIN
"""The habit's survival curve is kept in steps of five minutes."""


@dataclass(frozen=True, slots=True)
class Slowdown:
    """Evidence that one department's on-site work has slowed."""

    statistic: float        # the CUSUM (log-likelihood ratio) now: slower than the habit
    alarm: float            # the alarm CUSUM now: almost nothing finishes (a standstill, not a slower evening)
    open: int               # jobs on site now
    past_habit: int         # ... on site longer than the department's median duration
    oldest_min: float       # the longest on site now
    habit_min: float        # the department's median on-site duration
    done_60min: int         # jobs finished in the last hour
    expected_60min: float   # ... and how many its open jobs would normally have brought


class _Habit:
    """Per-minute completion chance by age (5-minute steps), from recent durations and the ages of the jobs still
    open (Kaplan-Meier: they lasted at least that long).

    Forty jobs finished in 30-69 minutes while 36 are still on site at 80 minutes: from the finished alone the
    median is 50 minutes and a job of 32 minutes finishes at 2.6 % a minute; with the open ones 68 and 1.35 %.

    >>> done = [1800.0 + 60 * i for i in range(40)]
    >>> a, b = _Habit(done), _Habit(done, open_ages=[4800.0] * 36)
    >>> a.median / 60, b.median / 60, round(a.at(32 * 60), 4), round(b.at(32 * 60), 4)
    (50.0, 68.0, 0.0264, 0.0135)
    """

    __slots__ = ("hazard", "median", "longest", "window")

    def __init__(self, durations: list[float], window: float = 0.75, min_at_risk: int = 10,
                 open_ages: list[float] = ()) -> None:
        xs = sorted(durations)
        n = len(xs)
        cs = sorted(open_ages)   # jobs still on site: they lasted at least this long (right-censored)
        nc = len(cs)
        self.median = xs[n // 2]
        self.longest = xs[min(n - 1, int(0.99 * n))]
        self.window = xs[min(n - 1, int(window * n))]
        hazard: list[float] = []
        quantiles = ((0.5, "median"), (window, "window"))
        found: dict[str, float] = {}
        alive = 1.0
        i = 0
        c = 0
        k = 0
        last = 0.0
        while True:
            lo, hi = k * BIN_S, (k + 1) * BIN_S
            while i < n and xs[i] < lo:
                i += 1
            while c < nc and cs[c] < lo:
                c += 1
            cj = c
            while cj < nc and cs[cj] < hi:
                cj += 1
            # Kaplan-Meier (actuarial): an open job is at risk up to its age (half the step it reached), never
            # an event; without it the habit learned while work ramps up is the short jobs' (the long are open)
            at_risk = n - i + nc - c - 0.5 * (cj - c)
            if at_risk < min_at_risk:   # the tail: too few to say; keep the last estimate
                break
            j = i
            while j < n and xs[j] < hi:
                j += 1
            # per-minute chance over the step: 1 - (survive the step)^(1/5)
            survive = (at_risk - (j - i)) / at_risk
            last = 1.0 - survive ** (MIN / BIN_S) if survive > 0 else 1.0
            hazard.append(last)
            s1 = alive * max(0.0, survive)
            for q, name in quantiles:   # where the survival curve crosses 1 - q (linear within the step)
                if name not in found and s1 <= 1.0 - q < alive:
                    found[name] = lo + BIN_S * (alive - (1.0 - q)) / (alive - s1)
            alive = s1
            k += 1
        if nc:   # with open jobs the quantiles are the survival curve's where it gets there (the sample's are short)
            self.median = max(self.median, found.get("median", self.median))
            self.window = max(self.window, found.get("window", self.window))
            self.longest = max(self.longest, self.window)
        self.hazard = hazard or [0.0]
        if not hazard:
            last = 0.0
        self.hazard.append(last)   # held beyond the known curve

    @classmethod
    def of(cls, hazard: list[float], median: float, longest: float, window: float) -> "_Habit":
        """A habit as a checkpoint holds it."""
        h = cls.__new__(cls)
        h.hazard, h.median, h.longest, h.window = list(hazard), median, longest, window
        return h

    def at(self, age: float) -> float:
        """The per-minute chance that a job of ``age`` finishes; 0 past the habit's window (a long job, of which
        every department has some, is no evidence either way)."""
        if age > self.window:
            return 0.0
        k = int(age // BIN_S)
        h = self.hazard
        return h[k] if k < len(h) else h[-1]


class WorkWatch:
    """Jobs on site and the completion habit per department; :meth:`step` once a minute, :meth:`slowed` judges.

    ``rate_ratio``: the slowdown the test looks for (completions at this share of the normal rate); ``memory``:
    durations kept per habit; ``min_habit``: durations a department's own habit needs (else the province's);
    ``forget``: jobs open longer than this × the habit's 99th-percentile duration leave the test; ``cap``: durations
    are learned capped at this × that percentile; ``window``: the quantile of the habit up to which a job's age
    is tested (an older job is a long one, of which every department has some); ``ceiling``: the statistic's
    upper bound (so that the verdict clears within an hour or two of the crews' pace coming back);
    ``alarm_ratio``, ``alarm_null``, ``alarm_ceiling``: the alarm test's alternative and null rate (shares of the
    habit's) and upper bound; ``censor``: the habit counts the jobs on site as lasting at least their age
    (Kaplan-Meier; False: finished jobs only).
    """

    def __init__(self, rate_ratio: float = 0.25, memory: int = 200, min_habit: int = 30, forget: float = 2.0,
                 cap: float = 1.5, window: float = 0.75, ceiling: float = float("inf"), alarm_ratio: float = 0.1,
                 alarm_null: float = 0.6, alarm_ceiling: float = float("inf"), censor: bool = True) -> None:
        if not 0.0 < alarm_ratio < alarm_null:
            raise ValueError("WorkWatch: alarm_ratio must be above 0 and below alarm_null")
        self.log_ratio = math.log(rate_ratio)
        self.keep = 1.0 - rate_ratio
        self.alarm_log_ratio = math.log(alarm_ratio / alarm_null)
        self.alarm_keep = alarm_null - alarm_ratio
        self.alarm_ceiling = alarm_ceiling
        self.memory = memory
        self.min_habit = min_habit
        self.forget = forget
        self.cap = cap
        self.window = window
        self.ceiling = ceiling
        self.open: dict[str, dict[str, float]] = {}
        """department -> {order_id: on site since}."""
        self.durations: dict[str, deque[float]] = {}
        """department and "" (the province) -> recent on-site durations (s)."""
        self.stat: dict[str, float] = {}
        self.alarm: dict[str, float] = {}
        self.done_now: dict[str, int] = {}
        """Jobs finished since the last :meth:`step`, per department."""
        self.recent: dict[str, deque[tuple[int, float]]] = {}
        """Per department the last 60 steps' (finished, expected)."""
        self._habits: dict[str, tuple[int, _Habit | None]] = {}
        self._seen: dict[str, int] = {}
        self.censor = censor
        self.now = 0.0
        """The latest time seen (the open jobs' ages when a habit is learned)."""

    # -------------------------------------------------------------------------------------------- learning
    def started(self, dept: str, order_id: str, t: float) -> None:
        """A crew of ``dept`` arrived on site for ``order_id`` at ``t``."""
        self.open.setdefault(dept, {})[order_id] = t
        self.now = max(self.now, t)

    def finished(self, dept: str, order_id: str, t: float) -> None:
        """The work of ``order_id`` was reported done at ``t``."""
        self.now = max(self.now, t)
        jobs = self.open.get(dept)
        start = jobs.pop(order_id, None) if jobs else None
        if start is None:
            return
        took = max(0.0, t - start)
        h = self.habit(dept)
        if h is not None and took <= h.window:   # the completions the test expects: within the habit's window
            self.done_now[dept] = self.done_now.get(dept, 0) + 1
        for key in (dept, ""):
            h = self.habit(key, own=True)
            if h is not None:   # capped: a slowdown does not teach the habit that slow is normal
                took = min(took, self.cap * h.longest)
            d = self.durations.get(key)
            if d is None:
                d = self.durations[key] = deque(maxlen=self.memory)
            d.append(took)
            self._seen[key] = self._seen.get(key, 0) + 1

    def habit(self, dept: str, own: bool = False) -> _Habit | None:
        """The department's habit (the province's while its own has fewer than ``min_habit`` durations, unless
        ``own``); recomputed after every ten new durations."""
        for key in ((dept,) if own else (dept, "")):
            d = self.durations.get(key)
            if d is None or len(d) < self.min_habit:
                continue
            seen = self._seen.get(key, 0)
            cached = self._habits.get(key)
            if cached is None or seen - cached[0] >= 10:
                cached = self._habits[key] = (seen, _Habit(list(d), self.window, open_ages=self._open_ages(key)))
            return cached[1]
        return None

    def _open_ages(self, key: str) -> list[float]:
        """Ages (s) of the jobs on site now: the department's, or the province's (``key`` "")."""
        if not self.censor:
            return []
        now = self.now
        jobs = [self.open.get(key) or {}] if key else list(self.open.values())
        return [now - s for j in jobs for s in j.values() if now >= s]

    def habit_min(self, dept: str) -> float | None:
        h = self.habit(dept)
        return None if h is None else h.median / MIN

    # -------------------------------------------------------------------------------------------- judging
    def step(self, now: float) -> list[str]:
        """One minute: each department's completions against what its open jobs normally bring; returns the
        departments whose statistic is above zero (the others need no verdict unless one is pending)."""
        out = []
        self.now = max(self.now, now)
        depts = set(self.open) | set(self.done_now) | {d for d, s in self.stat.items() if s > 0.0}
        depts.update(d for d, a in self.alarm.items() if a > 0.0)
        for dept in sorted(depts):
            h = self.habit(dept)
            if h is None:
                self.done_now.pop(dept, None)
                continue
            jobs = self.open.get(dept) or {}
            limit = self.forget * h.longest
            expected = 0.0
            # h.at(age) written out (no call per open job and minute); a job past the window adds nothing
            window, hazard = h.window, h.hazard
            last = len(hazard) - 1
            stale = None
            for order_id, start in jobs.items():
                age = now - start
                if age > limit:
                    if stale is None:
                        stale = []
                    stale.append(order_id)   # nobody reported it done: it says nothing more about the crews
                    continue
                if age <= window:
                    k = int(age // BIN_S)
                    expected += hazard[k if k < last else last]
            if stale is not None:
                for order_id in stale:
                    del jobs[order_id]
            if self._judge(dept, expected):
                out.append(dept)
        return out

    def _judge(self, dept: str, expected: float) -> bool:
        """Both tests take one minute: ``expected`` completions against the ones seen since the last step;
        True if either statistic is above zero."""
        done = self.done_now.pop(dept, 0)
        s = self.stat.get(dept, 0.0) + done * self.log_ratio + self.keep * expected
        s = s if s > 0.0 else 0.0
        s = s if s < self.ceiling else self.ceiling   # a long slowdown must not take hours to clear
        self.stat[dept] = s
        a = self.alarm.get(dept, 0.0) + done * self.alarm_log_ratio + self.alarm_keep * expected
        a = a if a > 0.0 else 0.0
        a = a if a < self.alarm_ceiling else self.alarm_ceiling
        self.alarm[dept] = a
        r = self.recent.get(dept)
        if r is None:
            r = self.recent[dept] = deque(maxlen=60)
        r.append((done, expected))
        return s > 0.0 or a > 0.0

    def slowed(self, dept: str, now: float) -> Slowdown | None:
        """The evidence about ``dept`` now (None: no habit yet)."""
        h = self.habit(dept)
        if h is None:
            return None
        jobs = self.open.get(dept) or {}
        ages = [now - s for s in jobs.values()]
        r = self.recent.get(dept) or ()
        return Slowdown(self.stat.get(dept, 0.0), self.alarm.get(dept, 0.0), len(ages),
                        sum(1 for a in ages if a > h.median), max(ages, default=0.0) / MIN, h.median / MIN,
                        sum(d for d, _ in r), sum(e for _, e in r))

    # -------------------------------------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        return {"open": {d: dict(j) for d, j in self.open.items() if j},
                "durations": {k: list(v) for k, v in self.durations.items()},
                "seen": dict(self._seen), "stat": dict(self.stat), "alarm": dict(self.alarm), "now": self.now,
                "done_now": dict(self.done_now),
                "recent": {d: [list(x) for x in r] for d, r in self.recent.items()},
                "habits": {k: [n, None if h is None else [h.hazard, h.median, h.longest, h.window]]
                           for k, (n, h) in self._habits.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        self.open = {d: dict(j) for d, j in state.get("open", {}).items()}
        self.durations = {k: deque(v, maxlen=self.memory) for k, v in state.get("durations", {}).items()}
        self._seen = dict(state.get("seen", {}))
        self.now = float(state.get("now", 0.0))
        self.stat = dict(state.get("stat", {}))
        self.alarm = dict(state.get("alarm", {}))
        self.done_now = dict(state.get("done_now", {}))
        self.recent = {d: deque((tuple(x) for x in r), maxlen=60) for d, r in state.get("recent", {}).items()}
        # the cached habits as they were (rebuilt from today's durations they could differ from the ones in use)
        self._habits = {}
        for k, (n, h) in state.get("habits", {}).items():
            self._habits[k] = (n, None if h is None else _Habit.of(*h))
