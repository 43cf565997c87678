"""The state of one work order, as the order stage keeps it (compact: many thousands are open at once)."""
from __future__ import annotations

from hashlib import blake2b as _digest
from typing import Any

STAGE_OF_TYPE: dict[str, str] = {
    "created": "receive", "accepted": "decompose", "dispatched": "decompose", "reassigned": "decompose",
    "dept_accepted": "feedback", "arrived": "feedback", "replied": "feedback", "reopened": "feedback",
    "closed": "closed",
}
STAGE_ORDER = {"receive": 0, "decompose": 1, "feedback": 2, "closed": 3}


class OrderState:
    """Everything the monitor knows about one order. ``checks`` maps an open SLA check to
    ``[start, deadline, level_crossed, version]``; ``levels`` are shares of the deadline (0.5 … 1.0)."""

    __slots__ = (
        "order_id", "created", "category", "created_category", "channel", "tier", "area", "region",
        "customer_id", "department", "stage", "last_t", "accepted", "first_dispatched", "dept_accepted",
        "arrived", "first_replied", "closed_at", "resolution", "paused_at", "paused_total", "checks",
        "urges", "messages", "reclass", "bounces", "reopens", "repeat_24h", "repeat_7d", "neg_max", "neg_last",
        "neg_sum", "neg_n", "threats", "affected", "seen", "pending", "risk", "risk_tier", "escalated_at",
        "satisfaction", "order_tier", "last_text", "breached", "prior_esc", "check_seq",
    )

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.created: float | None = None
        self.category = "consultation"
        self.created_category = "consultation"
        self.channel = "other"
        self.tier = "regular"
        self.area = "urban"
        self.region = "?"
        self.customer_id = ""
        self.department: str | None = None
        self.stage = "receive"
        self.last_t = 0.0
        self.accepted: float | None = None
        self.first_dispatched: float | None = None
        self.dept_accepted: float | None = None
        self.arrived: float | None = None
        self.first_replied: float | None = None
        self.closed_at: float | None = None
        self.resolution: str | None = None
        self.paused_at: float | None = None
        self.paused_total = 0.0
        self.checks: dict[str, list[Any]] = {}
        self.urges = 0
        self.messages = 0
        self.reclass = 0
        self.bounces = 0
        self.reopens = 0
        self.repeat_24h = 0
        self.repeat_7d = 0
        self.neg_max = 0.0
        self.neg_last = 0.0
        self.neg_sum = 0.0
        self.neg_n = 0
        self.threats = 0
        self.affected = 0
        self.seen = b""   # 8-byte digests of the latest event ids (see remember)
        self.pending: list[Any] | None = None
        self.risk = -1.0
        self.risk_tier: str | None = None
        self.escalated_at: float | None = None
        self.satisfaction: str | None = None
        self.order_tier: str | None = None
        self.last_text = ""
        self.breached = 0
        self.prior_esc = 0
        self.check_seq = 0   # last SLA check version handed out in this order

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def remember(self, event_id: str, keep: int) -> bool:
        """Note ``event_id``; False if it is among the ``keep`` latest noted (a duplicate).

        Ids are kept as 8-byte BLAKE2 digests in one bytes object (~8 bytes an event instead of a list slot
        and a ~60-byte string); two different ids collide with probability 2**-64.

        >>> o = OrderState("WO-1")
        >>> o.remember("e-1", 2), o.remember("e-2", 2), o.remember("e-1", 2), o.remember("e-3", 2)
        (True, True, False, True)
        >>> o.remember("e-1", 2), len(o.seen)   # forgotten: only the latest two are kept
        (True, 16)
        """
        d = _digest(event_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        seen = self.seen
        i = seen.find(d)
        while i >= 0:
            if not i % 8:
                return False
            i = seen.find(d, i + 1)
        seen += d
        if len(seen) > 8 * keep:
            seen = seen[-8 * keep:]
        self.seen = seen
        return True

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__}
        d["seen"] = self.seen.hex()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "OrderState":
        o = cls(d["order_id"])
        for k in cls.__slots__:
            if k in d:
                setattr(o, k, d[k])
        seen = d.get("seen")
        if isinstance(seen, str):
            o.seen = bytes.fromhex(seen)
        elif isinstance(seen, list):   # written before the digests: a list of event ids
            o.seen = b""
            for eid in seen:
                o.remember(eid, len(seen))
        if "check_seq" not in d:
            o.check_seq = max((c[3] for c in o.checks.values()), default=0)
        return o
