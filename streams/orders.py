"""The state of one work order, as the order stage keeps it (compact: many thousands are open at once)."""
from __future__ import annotations

from collections.abc import Iterator
from hashlib import blake2b as _digest
from typing import Any

STAGE_OF_TYPE: dict[str, str] = {
    "created": "receive", "accepted": "decompose", "dispatched": "decompose", "reassigned": "decompose",
    "dept_accepted": "feedback", "arrived": "feedback", "replied": "feedback", "reopened": "feedback",
    "closed": "closed",
}
STAGE_ORDER = {"receive": 0, "decompose": 1, "feedback": 2, "closed": 3}


class Checks(list):
    """An order's open SLA checks, name -> ``[start, deadline, level_crossed, seq, department]``, as a flat list
    ``[name, check, name, check, …]``: the few dict methods the stage and the risk features use, in insertion
    order like a dict, at ~90 bytes an order less than a dict of one to four entries.

    >>> c = Checks(); c["feedback"] = [0.0, 1.0, 0.0, 1, None]; c["dispatch"] = [0.0, 2.0, 0.0, 5, "d"]
    >>> list(c), c.get("dispatch")[1], "feedback" in c, len(c), c == {"feedback": [0.0, 1.0, 0.0, 1, None],
    ...                                                                "dispatch": [0.0, 2.0, 0.0, 5, "d"]}
    (['feedback', 'dispatch'], 2.0, True, 2, True)
    >>> c.pop("feedback")[1], list(c.items()), c.pop("x", None), bool(Checks())
    (1.0, [('dispatch', [0.0, 2.0, 0.0, 5, 'd'])], None, False)
    """

    __slots__ = ()

    def _index(self, name: object) -> int:
        """Position of ``name`` (the checks in between are lists, never equal to a name), or -1."""
        try:
            return list.index(self, name)
        except ValueError:
            return -1

    def get(self, name: str, default: Any = None) -> Any:
        i = self._index(name)
        return default if i < 0 else list.__getitem__(self, i + 1)

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, str):
            return list.__getitem__(self, key)
        i = self._index(key)
        if i < 0:
            raise KeyError(key)
        return list.__getitem__(self, i + 1)

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(key, str):
            list.__setitem__(self, key, value)
            return
        i = self._index(key)
        if i < 0:
            self.append(key)
            self.append(value)
        else:
            list.__setitem__(self, i + 1, value)

    def pop(self, name: Any, default: Any = None) -> Any:   # type: ignore[override]
        i = self._index(name)
        if i < 0:
            return default
        c = list.__getitem__(self, i + 1)
        del self[i:i + 2]
        return c

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and list.__contains__(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(list.__getitem__(self, slice(0, None, 2)))

    def __len__(self) -> int:
        return list.__len__(self) // 2

    def keys(self) -> list[str]:
        return list.__getitem__(self, slice(0, None, 2))

    def values(self) -> list[list[Any]]:
        return list.__getitem__(self, slice(1, None, 2))

    def items(self) -> Iterator[tuple[str, list[Any]]]:
        flat = list.__iter__(self)
        return zip(flat, flat)

    def to_dict(self) -> dict[str, list[Any]]:
        return dict(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return self.to_dict() == other
        return isinstance(other, Checks) and list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None   # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Checks({self.to_dict()!r})"


RARE: dict[str, Any] = {
    "created_category": None, "paused_at": None, "paused_total": 0.0, "urges": 0, "messages": 0, "reclass": 0,
    "bounces": 0, "reopens": 0, "threats": 0, "pending": None, "escalated_at": None, "prior_esc": 0,
}
"""Fields most open orders never change from these defaults (urged, messaged, reassigned or paused orders are
the minority; ``created_category`` is pinned only by a reclassification): kept in a :class:`_Rare` made on the first
change, so an order without any costs one slot instead of twelve (~90 bytes)."""


class _Rare:
    __slots__ = tuple(RARE)

    def __init__(self) -> None:
        for k, v in RARE.items():
            setattr(self, k, v)


def _is_default(value: Any, default: Any) -> bool:
    return value is default or (type(value) is type(default) and value == default)


def _rare_field(name: str) -> property:
    """A property reading ``name`` from the order's :class:`_Rare` (its default while there is none)."""
    default = RARE[name]
    slot = getattr(_Rare, name)
    get, put = slot.__get__, slot.__set__

    def fget(self: "OrderState") -> Any:
        r = self._rare
        return default if r is None else get(r)

    def fset(self: "OrderState", value: Any) -> None:
        r = self._rare
        if r is None:
            if _is_default(value, default):
                return
            r = self._rare = _Rare()
        put(r, value)

    return property(fget, fset)


class OrderState:
    """Everything the monitor knows about one order. ``checks`` maps an open SLA check to
    ``[start, deadline, level_crossed, seq, department]`` (a :class:`Checks`); levels are shares of the deadline
    (0.5 … 1.0) and ``seq`` orders the check's timers among all (see ``OrderStage._number``)."""

    FIELDS = (
        "order_id", "created", "category", "created_category", "channel", "tier", "area", "region",
        "customer_id", "department", "stage", "last_t", "accepted", "first_dispatched", "dept_accepted",
        "arrived", "first_replied", "closed_at", "resolution", "paused_at", "paused_total", "checks",
        "urges", "messages", "reclass", "bounces", "reopens", "repeat_24h", "repeat_7d", "neg_max", "neg_last",
        "neg_sum", "neg_n", "threats", "affected", "seen", "pending", "risk", "risk_tier", "escalated_at",
        "satisfaction", "order_tier", "last_text", "breached", "prior_esc",
    )
    """What a checkpoint holds (``to_dict``): the slots below but the transient timer, and the :data:`RARE` ones."""
    __slots__ = tuple(k for k in FIELDS if k not in RARE) + ("_rare", "timer")
    for _k in RARE:
        locals()[_k] = _rare_field(_k)
    del _k
    _pinned_category = created_category

    @property
    def created_category(self) -> str:
        """The category the order was created with: its category until a reclassification pins it."""
        pinned = self._pinned_category
        return self.category if pinned is None else pinned

    @created_category.setter
    def created_category(self, value: str | None) -> None:
        self._pinned_category = value

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.created: float | None = None
        self.category = "consultation"
        self._rare: _Rare | None = None
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
        self.checks = Checks()
        self.repeat_24h = 0
        self.repeat_7d = 0
        self.neg_max = 0.0
        self.neg_last = 0.0
        self.neg_sum = 0.0
        self.neg_n = 0
        self.affected = 0
        self.seen = b""   # 8-byte digests of the latest event ids (see remember)
        self.risk = -1.0
        self.risk_tier: str | None = None
        self.satisfaction: str | None = None
        self.order_tier: str | None = None
        self.last_text = ""
        self.breached = 0
        self.timer: tuple[float, int, str] | None = None   # this order's entry on the stage's timer heap

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
        d = {k: getattr(self, k) for k in self.FIELDS}
        d["seen"] = self.seen.hex()
        d["checks"] = dict(self.checks.items())
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "OrderState":
        o = cls(d["order_id"])
        for k in cls.FIELDS:
            if k in d and k != "created_category":
                setattr(o, k, d[k])
        if d.get("created_category", o.category) != o.category:
            o.created_category = d["created_category"]
        o.checks = Checks()
        for name, c in (d.get("checks") or {}).items():
            o.checks[name] = list(c)
        seen = d.get("seen")
        if isinstance(seen, str):
            o.seen = bytes.fromhex(seen)
        elif isinstance(seen, list):   # written before the digests: a list of event ids
            o.seen = b""
            for eid in seen:
                o.remember(eid, len(seen))
        return o
