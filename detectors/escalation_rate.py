"""Recent escalation rate of a region or a department, relative to the province's.

Why: escalations cluster where service is going badly right now — a department that stalls, a region hit by
outages — and a new or calm order there carries some of that risk before its own signals show (issue #7:
"region/department recent escalation rates"). Counts are exponentially decayed (half-life ``half_life_h``),
so the rate follows the last day or so, not the year. A key with few orders reads the province rate: its rate
is shrunk towards the province's by ``prior_escalations`` pseudo-escalations (and as many orders as the
province needs for them). Only what has been seen counts: an escalation moves the rate when it arrives.
"""
from __future__ import annotations

import math

HOUR = 3600.0


class EscalationRate:
    """Decayed escalations per decayed order, per key and for the whole province; :meth:`log_ratio` is the
    feature (0 = the province's rate, +0.69 = twice it), clipped to ``±limit``.

    >>> r = EscalationRate(half_life_h=12.0)
    >>> for i in range(400):                     # 400 orders over the province, 8 escalated (2 %)
    ...     r.seen("north" if i % 2 else "south", i * 60.0)
    >>> for i in range(8):
    ...     r.escalated("north" if i < 2 else "south", 400 * 60.0 + i)
    >>> r.log_ratio("north") < 0 < r.log_ratio("south"), r.log_ratio("harbor")   # an unknown key: the province
    (True, 0.0)
    >>> round(r.province_rate(), 3)    # the later orders weigh more (decay): near 8 / 400
    0.024
    """

    __slots__ = ("tau", "prior", "limit", "refresh_every", "_keys", "ratios", "_province", "_since")

    def __init__(self, half_life_h: float = 12.0, prior_escalations: float = 3.0, limit: float = 1.5,
                 refresh_every: int = 200) -> None:
        self.tau = half_life_h * HOUR / math.log(2.0)
        self.prior = prior_escalations
        self.limit = limit
        self.refresh_every = refresh_every
        """Every key's ratio is re-read against the province after an escalation and after this many orders
        (between them a key's ratio is refreshed by its own orders only: the hot path reads a cached float)."""
        self._since = 0
        self._keys: dict[str, list[float]] = {}      # key -> [orders, escalations, t of the last update]
        self.ratios: dict[str | None, float] = {}
        """key -> :meth:`log_ratio` as of the key's last refresh (the risk features read it directly)."""
        self._province = [0.0, 0.0, 0.0]

    def _decayed(self, c: list[float], t: float) -> list[float]:
        if t > c[2]:
            f = math.exp((c[2] - t) / self.tau)
            c[0] *= f
            c[1] *= f
            c[2] = t
        return c

    def _counts(self, key: str, t: float) -> list[float]:
        c = self._keys.get(key)
        if c is None:
            c = self._keys[key] = [0.0, 0.0, t]
        self._decayed(self._province, t)
        return self._decayed(c, t)

    def seen(self, key: str | None, t: float) -> None:
        """A new order under ``key`` at ``t`` (``None``: count it for the province only)."""
        self._decayed(self._province, t)[0] += 1.0
        if key:
            self._counts(key, t)[0] += 1.0
            self._update(key)
        self._since += 1
        if self._since >= self.refresh_every:
            self._refresh(t)

    def escalated(self, key: str | None, t: float) -> None:
        """An order under ``key`` escalated at ``t``."""
        self._decayed(self._province, t)[1] += 1.0
        if key:
            self._counts(key, t)[1] += 1.0
        self._refresh(t)

    def province_rate(self) -> float:
        n, e, _ = self._province
        return e / n if n > 0 else 0.0

    def _refresh(self, t: float) -> None:
        self._since = 0
        for key, c in self._keys.items():
            self._decayed(c, t)
            self._update(key)

    def _update(self, key: str) -> None:
        n, e, _ = self._keys[key]
        pn, pe, _ = self._province
        if pe <= 0.0 or pn <= 0.0:
            self.ratios[key] = 0.0
            return
        rate = pe / pn
        shrunk = (e + self.prior) / (n + self.prior / rate)
        z = math.log(shrunk / rate)
        self.ratios[key] = -self.limit if z < -self.limit else (self.limit if z > self.limit else z)

    def log_ratio(self, key: str | None) -> float:
        """log(rate of ``key`` / rate of the province), as of the key's last order or escalation; 0 if unknown."""
        return self.ratios.get(key, 0.0)

    def state(self) -> dict:
        """JSON-able counts (a replaced worker resumes them with the risk model).

        >>> r = EscalationRate()
        >>> r.seen("north", 0.0); r.escalated("north", 60.0)
        >>> s = EscalationRate(); s.restore(r.state())
        >>> s.state() == r.state() and s.log_ratio("north") == r.log_ratio("north")
        True
        """
        return {"keys": {k: list(c) for k, c in self._keys.items()}, "province": list(self._province),
                "since": self._since, "ratios": {k: v for k, v in self.ratios.items() if k is not None}}

    def restore(self, state: dict) -> None:
        self._keys = {k: [float(x) for x in c] for k, c in state.get("keys", {}).items()}
        self._province = [float(x) for x in state.get("province", [0.0, 0.0, 0.0])]
        self._since = int(state.get("since", 0))
        # the ratios as they were read (each is refreshed lazily: recomputed now, some would differ)
        self.ratios = {k: float(v) for k, v in state.get("ratios", {}).items()}
        for key in self._keys:
            if key not in self.ratios:   # a state written before ratios were kept
                self._update(key)

    def __len__(self) -> int:
        return len(self._keys)
