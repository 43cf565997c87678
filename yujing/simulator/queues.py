"""Capacity: the reason lag grows when arrivals outrun staff.

Both pools assign work at the moment it is ready, first come first served: the order starts when the earliest-free
server (agent, desk clerk, crew) is free. With fewer servers than the load needs, start times drift later and later
— exactly the growing created→accepted or dispatched→arrived gaps the monitor has to notice.

>>> pool = ServerPool(2)
>>> [round(pool.serve(0.0, 10.0, 2)[1]) for _ in range(4)]
[10, 10, 20, 20]
>>> crews = CrewPool(1)
>>> crews.take(0.0), crews.release(0, 30.0), crews.take(5.0)
((0, 0.0), None, (0, 30.0))
"""
from __future__ import annotations

import heapq


class ServerPool:
    """A varying number of identical servers (receive agents, department desks); only the first ``k`` work.

    A heap of (free at, server) holds the servers on shift; the others wait on the bench until ``k`` grows.
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.heap = [(0.0, i) for i in range(self.size)]
        self.bench: list[tuple[float, int]] = []
        self.k = self.size

    def _resize(self, k: int) -> None:
        everyone = self.heap + self.bench
        self.heap = [s for s in everyone if s[1] < k]
        self.bench = [s for s in everyone if s[1] >= k]
        heapq.heapify(self.heap)
        self.k = k

    def serve(self, ready: float, duration: float, k: int) -> tuple[int, float]:
        """Serve one job ready at ``ready`` with the first ``k`` servers; return (server index, finish time)."""
        k = min(max(1, k), self.size)
        if k != self.k:
            self._resize(k)
        free, i = self.heap[0]
        start = free if free > ready else ready
        end = start + duration
        heapq.heapreplace(self.heap, (end, i))
        return i, end


class CrewPool:
    """A fixed number of field crews: take the earliest-free one, give it back when the job is done."""

    def __init__(self, size: int) -> None:
        self.heap = [(0.0, i) for i in range(max(1, size))]

    def take(self, ready: float) -> tuple[int, float]:
        """Return (crew index, the moment it can start) for a job ready at ``ready``."""
        free, i = heapq.heappop(self.heap)
        return i, (free if free > ready else ready)

    def release(self, crew: int, at: float) -> None:
        heapq.heappush(self.heap, (at, crew))
