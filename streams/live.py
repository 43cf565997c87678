"""Small pure helpers of the live shell: the event-time clock and the checkpoint guard.

The core never reads the wall clock; the live shell has to tell it what time it is. Events carry the time
(the work-order system's clock), so the live clock follows them, and only fills the silence between events
with the wall clock, so that an order nobody touches still reaches its deadline.
"""
from __future__ import annotations

import time
from typing import Callable

from yujing.records import Condition


class LiveClock:
    """Event time for the live shell: newest event time seen + wall time since it arrived × ``speed``.

    Never goes backwards: an old (late) event does not move it, and a new event whose time is behind the
    extrapolated clock leaves the clock where it is until event time catches up. ``speed`` > 1 runs an
    accelerated demo (a 5-minute deadline passes in 5/speed wall minutes). Before the first event the
    clock does not know the time (``now()`` is None): the live shell then checks nothing.

    >>> wall = [100.0]
    >>> clock = LiveClock(speed=2.0, wall=lambda: wall[0])
    >>> clock.now() is None
    True
    >>> clock.observe(1_000.0)               # an event at t=1000 arrives at wall 100
    >>> wall[0] = 101.0; clock.now()         # 1 wall second later, at double speed
    1002.0
    >>> clock.observe(990.0)                 # a late event: the clock does not go back
    >>> wall[0] = 103.0; clock.now()         # 1000 + 3 × 2
    1006.0
    >>> clock.observe(1_003.0)               # newer than 1000 but behind the clock: hold
    >>> wall[0] = 104.0; clock.now()         # 1003 + 1 × 2 = 1005 would go back; stays at 1006
    1006.0
    >>> wall[0] = 105.0; clock.now()         # 1003 + 2 × 2
    1007.0
    """

    def __init__(self, speed: float = 1.0, wall: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self.wall = wall
        self.newest: float | None = None
        self.newest_wall = 0.0
        self.last: float | None = None
        self.heard_wall: float | None = None
        """Wall time input last arrived, however old its events' times (the dead-man's switch: is the feed
        alive?). Set by :meth:`heard`, once per batch."""

    def heard(self) -> None:
        """Input arrived now (a batch of events, valid or not)."""
        self.heard_wall = self.wall()

    def observe(self, t: float) -> None:
        """An event with time ``t`` arrived now."""
        if self.newest is None or t > self.newest:
            self.newest = t
            self.newest_wall = self.wall()

    def follow(self, t: float) -> None:
        """A time computed from some stage's clock (a condition, a scope signal) arrived now.

        It moves the clock only when it is ahead: such a time was already late by the hop through the
        broker when it arrived, and re-anchoring on it (as :meth:`observe` does for events) would pull the
        clock back by that delay at every hop, so a quiet worker's clock fell seconds behind the wall.

        >>> wall = [100.0]
        >>> clock = LiveClock(wall=lambda: wall[0])
        >>> clock.observe(1_000.0)
        >>> wall[0] = 110.0; clock.follow(1_009.9)   # a condition stamped 1009.9, 0.1 s in transit
        >>> wall[0] = 120.0; clock.now()             # still on the event's anchor
        1020.0
        >>> clock.follow(1_030.0); clock.now()       # another worker's clock is ahead: follow it
        1030.0
        """
        now = self.now()
        if now is None or t > now:
            self.newest = t
            self.newest_wall = self.wall()

    def now(self) -> float | None:
        """The current event time, or None before the first event."""
        if self.newest is None:
            return None
        t = self.newest + (self.wall() - self.newest_wall) * self.speed
        if self.last is not None and t < self.last:
            t = self.last
        self.last = t
        return t


class Checkpoint:
    """Which input offsets a restored state already contains, so a replaced worker does not apply them twice.

    A stage's state is saved with the offset of the last input it applied. After a restart the consumer
    resumes from the committed offset, which may be older: inputs up to the saved offset are skipped. If the
    saved offset is beyond the partition's end, the broker was reset (memory-only Tansu): the checkpoint
    belongs to another life of the topic and is discarded.

    >>> cp = Checkpoint(offset=41)
    >>> cp.valid_for(end_offset=100), cp.seen(40), cp.seen(41), cp.seen(42)
    (True, True, True, False)
    >>> Checkpoint(offset=500).valid_for(end_offset=100)
    False
    """

    def __init__(self, offset: int = -1) -> None:
        self.offset = offset

    def valid_for(self, end_offset: int) -> bool:
        return self.offset < end_offset

    def seen(self, offset: int) -> bool:
        return offset <= self.offset


class DeadMansSwitch:
    """A heartbeat alert: active while no input event has arrived for ``after_s`` wall seconds — the feed
    stopped, the broker is gone or the workers are stuck. Silence is itself a condition to warn about.

    The caller says how long the feed has been silent (every worker's last event, from their heartbeats: the
    pipeline's worker may not read events itself); None before the first event ever.

    >>> switch = DeadMansSwitch(after_s=60)
    >>> switch.check(None, 1_000.0) is None                        # no event yet: nothing to miss
    True
    >>> switch.check(5.0, 1_000.0) is None
    True
    >>> cond = switch.check(100.0, 1_100.0); (cond.kind, cond.tier)
    ('heartbeat', 'orange')
    >>> switch.check(101.0, 1_101.0) is None                       # still silent: no new verdict
    True
    >>> switch.check(0.5, 1_105.0).tier is None                    # events again: it clears
    True
    """

    def __init__(self, after_s: float = 300.0) -> None:
        self.after_s = after_s
        self.active = False

    def check(self, silent_for: float | None, now: float) -> Condition | None:
        if silent_for is None:
            return None
        silent = self.after_s > 0 and silent_for >= self.after_s
        if silent == self.active:
            return None
        self.active = silent
        if silent:
            return Condition(kind="heartbeat", scope={}, tier="orange", ts=now, stage=None, score=silent_for,
                             summary=f"{silent_for / 60:.0f} 分钟没有收到任何工单事件：数据源或处理链路可能中断",
                             evidence={"silent_for_s": round(silent_for, 1), "threshold_s": self.after_s})
        return Condition(kind="heartbeat", scope={}, tier=None, ts=now, summary="工单事件恢复到达")
