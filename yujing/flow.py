"""Events per wall minute from a running event count (the board's headline "events/min")."""
from __future__ import annotations

from collections import deque


class EventFlow:
    """Events per wall minute, and wall seconds since the count last moved, from the worker's event counter.

    The workers count events (Redis ``stats.events``), a running total; the aggregator, which writes the board's
    snapshot every second, keeps the last minute of totals it has read, so "events/min" and "newest event" are
    on the wall clock a duty manager looks at, and known from the board's first second (a board that measured
    them itself showed "—" to whoever opened it first after a restart).

    >>> f = EventFlow()
    >>> f.observe(100.0, 50), f.observe(130.0, 80), f.observe(160.0, 80)
    ((None, 0.0), (60.0, 0.0), (30.0, 30.0))
    """

    def __init__(self, window_s: float = 60.0) -> None:
        self.window_s = window_s
        self.samples: deque[tuple[float, int]] = deque()
        self.moved_at: float | None = None

    def observe(self, wall: float, total: int) -> tuple[float | None, float]:
        """(events per minute or None while unknown, seconds since the total last grew)."""
        if self.samples and wall <= self.samples[-1][0]:
            wall = self.samples[-1][0]
        elif not self.samples or total != self.samples[-1][1]:
            self.moved_at = wall
        if not self.samples or wall > self.samples[-1][0]:
            self.samples.append((wall, total))
        while len(self.samples) > 2 and wall - self.samples[1][0] >= self.window_s:
            self.samples.popleft()
        (w0, n0), (w1, n1) = self.samples[0], self.samples[-1]
        rate = max(0.0, (n1 - n0) / (w1 - w0) * 60.0) if w1 - w0 >= 5 else None
        return rate, wall - (self.moved_at if self.moved_at is not None else wall)
