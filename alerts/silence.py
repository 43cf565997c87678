"""Silence stage: ad hoc silences set from the board. Each has matchers, an author, a reason and a
mandatory expiry; a matching alert still fires and is recorded but is not notified or escalated.

>>> s = Silences()
>>> sid = s.add({"region": "north"}, by="lead-7", reason="storm, crews briefed", starts_at=0.0, ends_at=3600.0)
>>> sid, s.match({"region": "north", "kind": "anomaly"}, 10.0), s.match({"region": "south"}, 10.0)
('s-1', 's-1', None)
>>> s.expire(3600.0), s.match({"region": "north"}, 3601.0)
(['s-1'], None)
"""
from __future__ import annotations

from typing import Any, Mapping

from alerts.matchers import Matcher, matches


class Silences:
    def __init__(self) -> None:
        self.silences: dict[str, dict[str, Any]] = {}
        self.counter = 0
        self.version = 0
        """Bumped whenever a silence is added or loaded (an expiry may then come earlier): timer caches key on it."""
        self._compiled: dict[str, tuple[Any, Matcher | None]] = {}

    def add(self, matchers: Mapping[str, Any], *, by: str, reason: str, starts_at: float, ends_at: float) -> str:
        """Create a silence; ids are ``s-<n>`` in creation order (deterministic on replay)."""
        if not matchers:
            raise ValueError("a silence needs at least one matcher")
        if not by or not reason:
            raise ValueError("a silence needs an author and a reason")
        if ends_at <= starts_at:
            raise ValueError("a silence needs an expiry after its start")
        self.counter += 1
        sid = f"s-{self.counter}"
        self.silences[sid] = {"id": sid, "matchers": dict(matchers), "by": by, "reason": reason,
                              "starts_at": starts_at, "ends_at": ends_at}
        self.version += 1
        return sid

    def remove(self, silence_id: str) -> bool:
        self._compiled.pop(silence_id, None)
        return self.silences.pop(silence_id, None) is not None

    def match(self, labels: Mapping[str, str], now: float) -> str | None:
        """Id of the first active silence matching the labels."""
        for sid, s in self.silences.items():
            if s["starts_at"] <= now < s["ends_at"] and self._matcher(sid, s["matchers"])(labels):
                return sid
        return None

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
