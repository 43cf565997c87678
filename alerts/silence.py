"""Silence stage: ad hoc silences set from the board. Each has matchers, an author, a reason and a
mandatory expiry; a matching alert still fires and is recorded but is not notified or escalated.

>>> s = Silences()
>>> sid = s.add({"region": "north"}, by="lead-7", reason="storm, crews briefed", starts_at=0.0, ends_at=3600.0)
>>> sid, s.match({"region": "north", "kind": "anomaly"}, 10.0), s.match({"region": "south"}, 10.0)
('s-1', 's-1', None)
>>> s.expire(3600.0), s.match({"region": "north"}, 3601.0)
(['s-1'], None)

A silence may stop at a tier (``max_tier``: staff may not silence a red alert, so theirs stop at orange); an
alert that rises above it is no longer silenced by it:

>>> sid = s.add({"region": "north"}, by="li", reason="crews on site", starts_at=0.0, ends_at=3600.0,
...             max_tier="orange")
>>> s.match({"region": "north", "tier": "orange"}, 10.0), s.holds(sid, {"region": "north", "tier": "red"}, 10.0)
('s-2', False)
"""
from __future__ import annotations

from typing import Any, Mapping

from alerts.matchers import Matcher, matches
from yujing.records import TIER_RANK


class Silences:
    def __init__(self) -> None:
        self.silences: dict[str, dict[str, Any]] = {}
        self.counter = 0
        self.version = 0
        """Bumped whenever a silence is added or loaded (an expiry may then come earlier): timer caches key on it."""
        self._compiled: dict[str, tuple[Any, Matcher | None]] = {}

    def add(self, matchers: Mapping[str, Any], *, by: str, reason: str, starts_at: float, ends_at: float,
            max_tier: str | None = None) -> str:
        """Create a silence; ids are ``s-<n>`` in creation order (deterministic on replay). ``max_tier``: the
        highest tier it silences (None: any)."""
        if not matchers:
            raise ValueError("a silence needs at least one matcher")
        if not by or not reason:
            raise ValueError("a silence needs an author and a reason")
        if ends_at <= starts_at:
            raise ValueError("a silence needs an expiry after its start")
        if max_tier is not None and max_tier not in TIER_RANK:
            raise ValueError(f"unknown tier {max_tier!r}")
        self.counter += 1
        sid = f"s-{self.counter}"
        self.silences[sid] = {"id": sid, "matchers": dict(matchers), "by": by, "reason": reason,
                              "starts_at": starts_at, "ends_at": ends_at,
                              **({"max_tier": max_tier} if max_tier else {})}
        self.version += 1
        return sid

    def remove(self, silence_id: str) -> bool:
        self._compiled.pop(silence_id, None)
        return self.silences.pop(silence_id, None) is not None

    def match(self, labels: Mapping[str, str], now: float) -> str | None:
        """Id of the first active silence matching the labels."""
        for sid, s in self.silences.items():
            if self._holds(sid, s, labels, now):
                return sid
        return None

    def holds(self, silence_id: str, labels: Mapping[str, str], now: float) -> bool:
        """Does silence ``silence_id`` still silence an alert with ``labels`` (its tier may have risen)?"""
        s = self.silences.get(silence_id)
        return s is not None and self._holds(silence_id, s, labels, now)

    def _holds(self, sid: str, s: dict[str, Any], labels: Mapping[str, str], now: float) -> bool:
        top = s.get("max_tier")
        if top is not None and TIER_RANK.get(labels.get("tier"), 0) > TIER_RANK[top]:
            return False
        return s["starts_at"] <= now < s["ends_at"] and self._matcher(sid, s["matchers"])(labels)

    def _matcher(self, sid: str, matchers: Any) -> Any:
        """The silence's matchers compiled once (plain :func:`matches` for values a board sent that are not
        label strings, so such a silence behaves exactly as before)."""
        got = self._compiled.get(sid)
        if got is None or got[0] is not matchers:
            try:
                m: Any = Matcher(matchers)
            except (AttributeError, TypeError):
                m = None
            got = self._compiled[sid] = (matchers, m)
        m = got[1]
        return m if m is not None else (lambda labels: matches(matchers, labels))

    def expire(self, now: float) -> list[str]:
        """Drop silences whose expiry has come; returns their ids."""
        gone = [sid for sid, s in self.silences.items() if s["ends_at"] <= now]
        for sid in gone:
            del self.silences[sid]
            self._compiled.pop(sid, None)
        return gone

    def next_due(self) -> float | None:
        return min((s["ends_at"] for s in self.silences.values()), default=None)

    def state_dict(self) -> dict[str, Any]:
        return {"silences": self.silences, "counter": self.counter}

    def load(self, d: dict[str, Any]) -> None:
        self.silences = dict(d.get("silences", {}))
        self.counter = int(d.get("counter", 0))
        self._compiled = {}
        self.version += 1
