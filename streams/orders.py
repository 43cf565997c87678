"""The state of one work order, as the order stage keeps it (compact: many thousands are open at once)."""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from hashlib import blake2b as _digest
from itertools import repeat
from marshal import dumps as _marshal, loads as _unmarshal
from operator import attrgetter, itemgetter
from typing import Any

STAGE_OF_TYPE: dict[str, str] = {
    "created": "receive", "accepted": "decompose", "dispatched": "decompose", "reassigned": "decompose",
    "dept_accepted": "feedback", "arrived": "feedback", "replied": "feedback", "reopened": "feedback",
    "closed": "closed",
}
STAGE_ORDER = {"receive": 0, "decompose": 1, "feedback": 2, "closed": 3}


START, DEADLINE, CROSSED, SEQ, DEPT = 1, 2, 3, 4, 5
"""Offsets of a check's fields from its name in :class:`Checks`."""
STRIDE = 6


class Checks(list):
    """An order's open SLA checks, flat: ``[name, start, deadline, level_crossed, seq, department, name, …]``.

    One list per order instead of a dict plus a list per check (~130 bytes an order less). The order stage
    works on the flat list through a check's position (:meth:`find`, offsets :data:`START` … :data:`DEPT`);
    everyone else reads it as a mapping, name -> ``[start, deadline, level_crossed, seq, department]`` (a copy),
    in the order the checks were opened, like the dict it replaces.

    >>> c = Checks(); c.put("feedback", 0.0, 1.0, None)
    0
    >>> i = c.put("dispatch", 0.0, 2.0, "d")
    >>> list(c), c.get("dispatch"), c[i + DEADLINE], "feedback" in c, len(c)
    (['feedback', 'dispatch'], [0.0, 2.0, 0.0, 0, 'd'], 2.0, True, 2)
    >>> c.remove_at(c.find("feedback")), c == {"dispatch": [0.0, 2.0, 0.0, 0, "d"]}, bool(Checks())
    ([0.0, 1.0, 0.0, 0, None], True, False)
    """

    __slots__ = ()

    def find(self, name: str) -> int:
        """Position of check ``name`` (its fields follow at the offsets), -1 if it is not open."""
        # the fields in between are floats, ints and departments, never a check name
        return self.index(name) if list.__contains__(self, name) else -1

    def put(self, name: str, start: float, deadline: float, dept: str | None) -> int:
        """Open (or reset) check ``name``, not crossed and not numbered yet; its position."""
        i = self.find(name)
        if i < 0:
            i = list.__len__(self)
            self.extend((name, start, deadline, 0.0, 0, dept))
        else:
            self[i + 1:i + STRIDE] = (start, deadline, 0.0, 0, dept)
        return i

    def remove_at(self, i: int) -> list[Any]:
        """Close the check at ``i``; its fields ``[start, deadline, level_crossed, seq, department]``."""
        fields = self[i + 1:i + STRIDE]
        del self[i:i + STRIDE]
        return fields

    def max_share(self, end: float, min_span: float = 60.0) -> float:
        """The largest share of its deadline any open check has used at ``end`` (a span under ``min_span``
        seconds counts as ``min_span``), read off the flat list without copies (the risk features ask it at
        every event).

        >>> c = Checks(); _ = c.put("receive_ack", 0.0, 300.0, None); _ = c.put("feedback", 0.0, 3600.0, None)
        >>> c.max_share(150.0), Checks().max_share(10.0)
        (0.5, 0.0)
        """
        share = 0.0
        for i in range(0, list.__len__(self), STRIDE):
            start = self[i + START]
            span = self[i + DEADLINE] - start
            s = (end - start) / (span if span > min_span else min_span)
            if s > share:
                share = s
        return share

    def positions(self) -> range:
        return range(0, list.__len__(self), STRIDE)

    # -- read as a mapping (risk features, tests, checkpoints) ---------------------------------------------
    def get(self, name: str, default: Any = None) -> Any:
        i = self.find(name)
        return default if i < 0 else self[i + 1:i + STRIDE]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self[::STRIDE])

    def __len__(self) -> int:
        return list.__len__(self) // STRIDE

    def keys(self) -> list[str]:
        return self[::STRIDE]

    def values(self) -> list[list[Any]]:
        return [self[i + 1:i + STRIDE] for i in range(0, list.__len__(self), STRIDE)]

    def items(self) -> list[tuple[str, list[Any]]]:
        return [(self[i], self[i + 1:i + STRIDE]) for i in range(0, list.__len__(self), STRIDE)]

    def to_dict(self) -> dict[str, list[Any]]:
        return dict(self.items())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Checks":
        c = cls()
        for name, f in d.items():
            c.extend((name, *f[:5]))
        return c

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
    "bounces": 0, "reopens": 0, "threats": 0, "intents": 0, "pending": None, "escalated_at": None, "prior_esc": 0,
    "affected": 0, "breached": 0, "order_tier": None, "pressed": 0.0, "pressed_t": 0.0, "late_peak": 0.0,
    "risk_tier": None,
}
"""Fields most open orders never change from these defaults (in public-1 about one order in six is urged, one in
eight messaged, one in twenty an outage with affected customers, breached or reassigned; ``created_category``
is pinned only by a reclassification; a risk tier is set on about one order in nine, 93 % of which have rare
fields already): kept in a :class:`_Rare` made on the first change, so an order without any costs one slot
instead of twenty (~150 bytes), one with some ~50 bytes more than plain slots."""


class _Rare:
    __slots__ = tuple(RARE)

    def __init__(self) -> None:
        for k, v in RARE.items():
            setattr(self, k, v)


NO_RARE = _Rare()
"""The defaults, shared by every order that has no :class:`_Rare` of its own (never written to)."""


def _is_default(value: Any, default: Any) -> bool:
    return value is default or (type(value) is type(default) and value == default)


def _rare_field(name: str) -> property:
    """A property for ``name`` in the order's :class:`_Rare`; the getter is C (attrgetter), as fast as a slot's."""
    default = RARE[name]
    put = getattr(_Rare, name).__set__

    def fset(self: "OrderState", value: Any) -> None:
        r = self._rare
        if r is NO_RARE:
            if _is_default(value, default):
                return
            r = self._rare = _Rare()
        put(r, value)

    return property(attrgetter(f"_rare.{name}"), fset)


PROFILE = ("category", "channel", "tier", "area", "region")
"""An order's dimensions, kept as one named tuple shared by all the orders with the same five (a few hundred
combinations): one slot instead of five (~32 bytes an order)."""
Profile = namedtuple("Profile", PROFILE)
_profiles: dict[tuple[str, ...], Profile] = {}
MAX_PROFILES = 100_000
"""Beyond this many distinct profiles the cache starts over (orders keep theirs; only sharing is lost)."""


def shared_profile(values: tuple[str, ...]) -> Profile:
    """The one :data:`Profile` object for these dimension values."""
    p = _profiles.get(values)
    if p is None:
        if len(_profiles) >= MAX_PROFILES:
            _profiles.clear()
        p = _profiles[values] = Profile(*values)
    return p


def _profile_field(k: int) -> property:
    def fset(self: "OrderState", value: str) -> None:
        p = list(self._profile)
        p[k] = value
        self._profile = shared_profile(tuple(p))

    return property(attrgetter(f"_profile.{PROFILE[k]}"), fset)


DEFAULT_PROFILE = shared_profile(("consultation", "other", "regular", "urban", "?"))


class OrderState:
    """Everything the monitor knows about one order. ``checks`` maps an open SLA check to
    ``[start, deadline, level_crossed, seq, department]`` (a :class:`Checks`); levels are shares of the deadline
    (0.5 … 1.0) and ``seq`` orders the check's timers among all (see ``OrderStage._number``)."""

    FIELDS = (
        "order_id", "created", "category", "created_category", "channel", "tier", "area", "region",
        "customer_id", "department", "stage", "last_t", "accepted", "first_dispatched", "dept_accepted",
        "arrived", "first_replied", "closed_at", "resolution", "paused_at", "paused_total", "checks",
        "urges", "messages", "reclass", "bounces", "reopens", "repeat_24h", "repeat_7d", "neg_max", "neg_last",
        "neg_sum", "neg_n", "threats", "intents", "affected", "seen", "pending", "risk", "risk_tier", "escalated_at",
        "satisfaction", "order_tier", "last_text", "breached", "prior_esc", "pressed", "pressed_t", "late_peak",
    )
    """What a checkpoint holds (``to_dict``): the slots below but the transient timer and table mark, and the
    :data:`RARE` ones."""
    __slots__ = (tuple(k for k in FIELDS if k not in RARE and k not in PROFILE)
                 + ("_rare", "_profile", "timer", "table_mark"))
    for _k in RARE:
        locals()[_k] = _rare_field(_k)
    for _i, _k in enumerate(PROFILE):
        locals()[_k] = _profile_field(_i)
    del _k, _i
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
        self._profile = DEFAULT_PROFILE   # category, channel, tier, area, region
        self._rare = NO_RARE
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
        self.seen = b""   # 8-byte digests of the latest event ids (see remember)
        self.risk = -1.0
        self.satisfaction: str | None = None
        self.last_text = ""
        self.timer: tuple[float, int, str] | None = None   # this order's entry on the stage's timer heap
        self.table_mark: int | None = None
        """What the live shell's table store remembers of the order as last written (streams/table_store.py)."""

    def set_profile(self, category: str, channel: str, tier: str, area: str, region: str) -> None:
        """Set the five dimensions at once (a new order)."""
        self._profile = shared_profile((category, channel, tier, area, region))

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
        """The checkpoint's mapping: every field of :attr:`FIELDS`, in that order (the changelog's value).

        Read with three C getters (slots, the shared profile, the rare fields) instead of 48 ``getattr`` through
        properties: the order worker encodes every changed order once per take (13 → ~4 µs an order).

        >>> o = OrderState("WO-1"); o.urges = 2; o.set_profile("billing", "app", "vip", "urban", "north")
        >>> d = o.to_dict()
        >>> list(d) == list(OrderState.FIELDS), d["urges"], d["created_category"], d["region"], d["checks"]
        (True, 2, 'billing', 'north', {})
        >>> d == {k: getattr(o, k) for k in OrderState.FIELDS} | {"seen": "", "checks": {}}
        True
        """
        d = dict(zip(self.FIELDS, _in_field_order(_slot_values(self) + self._profile + _rare_values(self._rare))))
        if d["created_category"] is None:   # not pinned: the category it was created with is its category
            d["created_category"] = d["category"]
        d["seen"] = self.seen.hex()
        d["checks"] = self.checks.to_dict()
        return d

    RECORD = "o2"
    """Tag of :meth:`to_record`'s list; a change of :attr:`FIELDS` needs a new tag (and the old order to read)."""

    def to_record(self) -> list[Any]:
        """The checkpoint as a list, :attr:`RECORD` then the values of :meth:`to_dict` in :attr:`FIELDS` order: the
        order worker's table value and changelog record. Without the 49 key names a new order's JSON is 42 % of
        the mapping's (about 950 → 400 bytes; encoded in 3.8 µs instead of 6.1), and the worker keeps one such
        copy of every open order.

        >>> o = OrderState("WO-1"); o.urges = 2; o.set_profile("billing", "app", "vip", "urban", "north")
        >>> r = o.to_record()
        >>> r[0], len(r) == 1 + len(OrderState.FIELDS), OrderState.from_record(r).to_dict() == o.to_dict()
        ('o2', True, True)
        """
        values = list(_in_field_order(_slot_values(self) + self._profile + _rare_values(self._rare)))
        if values[_CREATED_CATEGORY] is None:
            values[_CREATED_CATEGORY] = values[_CATEGORY]
        values[_SEEN] = self.seen.hex()
        values[_CHECKS] = self.checks.to_dict()
        return [self.RECORD, *values]

    def freeze(self) -> bytes:
        """The order as compact bytes, its armed timer included: what the live worker keeps of an order no event
        has touched for a while (``streams.table_store.Frozen``). marshal of the plain field values: ~300 bytes for
        a new order against ~900 decoded, in ~2 µs each way. Not a checkpoint: only :meth:`thaw` of the same code
        reads it (the changelog has :meth:`to_record`). Raises ValueError for a field marshal cannot hold.

        >>> o = OrderState("WO-1"); o.urges = 2; o.set_profile("billing", "app", "vip", "urban", "north")
        >>> o.timer = (60.0, 7, "WO-1"); _ = o.checks.put("feedback", 0.0, 120.0, "d-1")
        >>> t = OrderState.thaw(o.freeze())
        >>> t.to_record() == o.to_record(), t.timer, t.checks.get("feedback"), t.region, t.table_mark
        (True, (60.0, 7, 'WO-1'), [0.0, 120.0, 0.0, 0, 'd-1'], 'north', None)
        >>> OrderState.thaw(OrderState("WO-2").freeze()).to_record() == OrderState("WO-2").to_record()
        True
        """
        r = self._rare
        t = self.timer
        return _marshal((_frozen_values(self), list.copy(self.checks), tuple(self._profile),
                         None if r is NO_RARE else _rare_values(r), None if t is None else (t[0], t[1])), 4)

    @classmethod
    def thaw(cls, raw: bytes) -> "OrderState":
        """The order :meth:`freeze` gave (its table mark unset)."""
        values, checks, profile, rare, timer = _unmarshal(raw)
        o = cls.__new__(cls)
        any(map(setattr, repeat(o), _FROZEN, values))   # the loop in C (setattr returns None: any goes on)
        o.checks = Checks(checks)
        o._profile = shared_profile(profile)
        if rare is None:
            o._rare = NO_RARE
        else:
            r = o._rare = _Rare.__new__(_Rare)
            any(map(setattr, repeat(r), RARE, rare))
        o.timer = None if timer is None else (timer[0], timer[1], o.order_id)
        o.table_mark = None
        return o

    @classmethod
    def from_record(cls, r: list[Any] | dict[str, Any]) -> "OrderState":
        """An order from :meth:`to_record`'s list, or from :meth:`to_dict`'s mapping (changelogs written before
        session 14)."""
        if isinstance(r, dict):
            return cls.from_dict(r)
        if not r or r[0] != cls.RECORD:
            raise ValueError(f"not an order record: {str(r)[:60]}")
        return cls.from_dict(dict(zip(cls.FIELDS, r[1:])))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "OrderState":
        o = cls(d["order_id"])
        for k in cls.FIELDS:
            if k in d and k != "created_category":
                setattr(o, k, d[k])
        if d.get("created_category", o.category) != o.category:
            o.created_category = d["created_category"]
        o.checks = Checks.from_dict(d.get("checks") or {})
        seen = d.get("seen")
        if isinstance(seen, str):
            o.seen = bytes.fromhex(seen)
        elif isinstance(seen, list):   # written before the digests: a list of event ids
            o.seen = b""
            for eid in seen:
                o.remember(eid, len(seen))
        return o


def _field_getters() -> tuple[Any, Any, Any]:
    """C getters for :meth:`OrderState.to_dict`: the slot fields, the rare fields (of a :class:`_Rare`), and the
    order of :attr:`OrderState.FIELDS` in ``slots + profile + rare``."""
    slots = [k for k in OrderState.FIELDS if k not in RARE and k not in PROFILE]
    rare = list(RARE)
    source = slots + list(PROFILE) + rare
    return attrgetter(*slots), attrgetter(*rare), itemgetter(*(source.index(k) for k in OrderState.FIELDS))


_slot_values, _rare_values, _in_field_order = _field_getters()
_FROZEN = [k for k in OrderState.FIELDS if k not in RARE and k not in PROFILE and k != "checks"]
_frozen_values = attrgetter(*_FROZEN)
_CATEGORY, _CREATED_CATEGORY, _SEEN, _CHECKS = (OrderState.FIELDS.index(k) for k in
                                                ("category", "created_category", "seen", "checks"))
