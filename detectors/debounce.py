"""Alarm post-processing of a scope condition (Merlion-style): a raw verdict must hold in most of the last minutes
before it fires, and stay clear long enough before it resolves, so one noisy minute neither raises nor drops an
alert."""
from __future__ import annotations

from yujing.records import TIER_RANK


class Debounce:
    """Hold-down and clear-down of one scope condition's tier: it fires when the raw verdict was active in
    most of the last ``hold`` minutes (k of n, so one calm minute in a rising queue does not restart the wait)
    and resolves after ``clear`` calm minutes in a row."""

    __slots__ = ("tier", "candidate", "since", "clear_since", "hits")

    def __init__(self) -> None:
        self.tier: str | None = None
        self.candidate: str | None = None
        self.since = 0.0
        self.clear_since: float | None = None
        self.hits: list[float] = []

    def idle(self) -> bool:
        """Nothing held, pending or firing: a calm verdict (``step(None, ...)``) would change nothing."""
        return self.tier is None and self.candidate is None and not self.hits

    def step(self, want: str | None, t: float, hold_s: float, clear_s: float) -> tuple[bool, str | None]:
        """Feed the raw verdict; return (changed, tier now)."""
        if want is None:
            if self.tier is None:
                if self.hits and t - self.hits[0] > hold_s:
                    self.hits = [h for h in self.hits if t - h <= hold_s]
                if not self.hits:
                    self.candidate = None
                return False, None
            if self.clear_since is None:
                self.clear_since = t
            if t - self.clear_since >= clear_s:
                self.tier = None
                self.clear_since = None
                return True, None
            return False, self.tier
        self.clear_since = None
        if self.tier is not None:
            if want != self.tier:
                self.tier = want
                return True, want
            return False, want
        self.hits = [h for h in self.hits if t - h < hold_s]
        self.hits.append(t)
        if self.candidate is None or TIER_RANK[want] > TIER_RANK[self.candidate]:
            self.candidate = want
        if len(self.hits) >= max(1, int(0.6 * hold_s / 60.0 + 0.5)):
            self.tier = self.candidate
            self.candidate = None
            self.hits = []
            return True, self.tier
        return False, None


def is_firing(d: Debounce | None) -> bool:
    """The scope condition of this debounce has fired and not resolved (its alert is on)."""
    return d is not None and d.tier is not None
