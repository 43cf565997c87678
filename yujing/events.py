"""The input contract: one work-order event (``../shared/contracts/events.md``).

Parsing is the only gate between the outside world and the core: everything after it can trust an
:class:`Event`. A line that fails raises :class:`InvalidEvent` with a one-line reason, which the shells
send to the dead-letter topic (live) or ``dead_letter.jsonl`` (replay).

>>> ev = parse_event('{"event_id":"e-1","order_id":"WO-1","type":"accepted","ts":"2026-07-14T09:32:40+08:00"}')
>>> ev.type, ev.t
('accepted', 1783992760.0)
>>> parse_event('{"event_id":"e-2","order_id":"WO-1","type":"exploded","ts":"2026-07-14T09:32:40+08:00"}')
Traceback (most recent call last):
...
yujing.events.InvalidEvent: type: unknown value 'exploded'
>>> parse_event('{"event_id":"e-3","order_id":"WO-1","type":"replied","ts":"2026-07-14T09:32:40+08:00","text":null}')
Traceback (most recent call last):
...
yujing.events.InvalidEvent: text: null is not allowed (leave an absent field out)
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

EventType = Literal[
    "created", "accepted", "dispatched", "reassigned", "dept_accepted", "arrived", "replied",
    "customer_message", "urged", "paused", "resumed", "closed", "reopened", "revisited", "escalated",
]
Category = Literal["complaint", "report", "fault_repair", "service_request", "consultation", "opinion",
                   "suggestion", "praise"]
Channel = Literal["hotline", "app", "wechat", "web", "hall", "sms", "12345", "12398", "other"]
CustomerTier = Literal["premium", "potential", "regular"]
Area = Literal["urban", "rural", "remote"]
Resolution = Literal["resolved", "unresolved", "withdrawn"]
Satisfaction = Literal["satisfied", "neutral", "dissatisfied"]
EscalatedTo = Literal["complaint", "12398", "12345", "media"]

EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
CHANNELS: tuple[str, ...] = Channel.__args__  # type: ignore[attr-defined]

_REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "created": ("category", "channel", "customer_id", "customer_tier", "region", "area"),
    "dispatched": ("department",),
    "reassigned": ("department",),
    "customer_message": ("text",),
    "revisited": ("satisfaction",),
    "escalated": ("to",),
}

MIN_YEAR, MAX_YEAR = 1990, 2200
"""Work orders outside these years are a broken clock, not history (and would overflow date arithmetic)."""

MAX_LINE_BYTES = 64 * 1024
"""A line longer than this cannot be a valid event (text is capped at 10,000 characters)."""


class InvalidEvent(ValueError):
    """An input line that breaks the contract; ``str(err)`` is the one-line reason."""


Id64 = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Event(BaseModel):
    """One validated work-order event. ``t`` is ``ts`` as epoch seconds (the core's clock unit)."""

    model_config = ConfigDict(extra="ignore", frozen=False, strict=True)

    event_id: str = Field(min_length=1, max_length=128)
    order_id: Id64
    type: EventType
    ts: str
    t: float = 0.0
    category: Category | None = None
    channel: Channel | None = None
    customer_id: Id64 | None = None
    customer_tier: CustomerTier | None = None
    region: Id64 | None = None
    area: Area | None = None
    department: Id64 | None = None
    agent_id: str | None = Field(default=None, max_length=64)
    affected_customers: int | None = Field(default=None, ge=0)
    text: str | None = Field(default=None, max_length=10_000)
    reason: str | None = Field(default=None, max_length=1000)
    resolution: Resolution | None = None
    satisfaction: Satisfaction | None = None
    to: EscalatedTo | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse_time(cls, data: Any) -> Any:
        if isinstance(data, dict):
            ts = data.get("ts")
            ac = data.get("affected_customers")
            if type(ac) is float and ac.is_integer():   # JSON Schema: 3.0 is an integer
                data = {**data, "affected_customers": int(ac)}
            if isinstance(ts, str):
                # RFC 3339 5.6: "T" and "Z" may be lower case (fromisoformat takes "t", not "z"); a leap second
                # (second 60) counts as the next second, as epoch time has none
                s = ts[:-1] + "Z" if ts.endswith("z") else ts
                leap = s[16:19] == ":60"
                try:
                    d = datetime.fromisoformat(s[:17] + "59" + s[19:] if leap else s) + timedelta(seconds=leap)
                except ValueError:
                    raise ValueError(f"ts: not an RFC 3339 date-time: {ts[:40]!r}") from None
                if d.tzinfo is None:
                    raise ValueError(f"ts: date-time without a UTC offset: {ts[:40]!r}")
                if not MIN_YEAR <= d.year <= MAX_YEAR:
                    raise ValueError(f"ts: year {d.year} outside {MIN_YEAR}..{MAX_YEAR}: {ts[:40]!r}")
                data = dict(data)
                data["t"] = d.timestamp()
        return data

    @model_validator(mode="after")
    def _required_by_type(self) -> "Event":
        missing = [f for f in _REQUIRED_BY_TYPE.get(self.type, ()) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{self.type} event misses required field(s): {', '.join(missing)}")
        return self

    def to_json(self) -> bytes:
        """The event as contract JSON (without the derived ``t``, without unset fields)."""
        return orjson.dumps(self.model_dump(exclude_none=True, exclude={"t"}))


def _reason(err: ValidationError) -> str:
    first = err.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
    msg = first.get("msg", "invalid")
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    typ = first.get("type", "")
    if typ == "literal_error":
        msg = f"unknown value {first.get('input')!r}"[:120]
    elif typ == "missing":
        msg = "required field missing"
    text = f"{loc}: {msg}" if loc and not msg.startswith(loc + ":") else msg
    extra = len(err.errors()) - 1
    return text + (f" (+{extra} more)" if extra > 0 else "")


def parse_event(raw: bytes | str | dict[str, Any]) -> Event:
    """Validate one event (a JSON line or an already decoded object); raise :class:`InvalidEvent`."""
    if isinstance(raw, (bytes, str)):
        if len(raw) > MAX_LINE_BYTES:
            raise InvalidEvent(f"line too long ({len(raw)} bytes > {MAX_LINE_BYTES}); text is capped at 10,000 chars")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidEvent(f"not valid JSON: {str(exc)[:100]}") from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise InvalidEvent(f"not a JSON object but {type(data).__name__}")
    ev = _fast_event(data)
    if ev is not None:
        return ev
    if None in data.values():   # the schema gives no field a null type: an absent optional field is left out
        nulls = [name for name in _NOT_NULL if name in data and data[name] is None]
        if nulls:
            raise InvalidEvent(f"{', '.join(nulls)}: null is not allowed (leave an absent field out)")
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        raise InvalidEvent(_reason(exc)) from None


# ---------------------------------------------------------------------------------------------- fast path
# Validating with pydantic costs ~10 µs an event, most of the replay's parse time. Nearly every line has the
# plain valid shape, which a few type, length and membership checks recognise; only those lines take the fast
# path, and anything it is unsure of goes through ``Event.model_validate``, so the rejection reasons stay
# pydantic's own. The checks below mirror the field declarations of :class:`Event` (strict mode: exact types).
_LIMITS: dict[str, tuple[int, int]] = {"event_id": (1, 128), "order_id": (1, 64), "ts": (0, 1 << 62),
                                       "customer_id": (1, 64), "region": (1, 64), "department": (1, 64),
                                       "agent_id": (0, 64), "text": (0, 10_000), "reason": (0, 1000)}
_CHOICES: dict[str, frozenset[str]] = {
    name: frozenset(lit.__args__)  # type: ignore[attr-defined]
    for name, lit in (("type", EventType), ("category", Category), ("channel", Channel),
                      ("customer_tier", CustomerTier), ("area", Area), ("resolution", Resolution),
                      ("satisfaction", Satisfaction), ("to", EscalatedTo))}
_DEFAULTS: dict[str, Any] = {name: f.default for name, f in Event.model_fields.items()}
_FIELDS = frozenset(Event.model_fields)
_NOT_NULL: tuple[str, ...] = tuple(name for name in Event.model_fields if name != "t")
"""The contract's fields, in declaration order: none may be null ("t" is derived, for the schema an extra field)."""
_set_attr = object.__setattr__
_intern = sys.intern
_DIMS = frozenset({"region", "department"})
"""Free-form dimensions every order of a region or department repeats: interned (one string in memory)."""
_STRINGS: dict[str, tuple[int, int, bool]] = {
    name: (lo, hi, name in _DIMS) for name, (lo, hi) in _LIMITS.items()}
"""Per free-form string field: its length limits and whether it is interned."""
_CHOICE_OF: dict[str, dict[str, str]] = {name: {c: c for c in choices} for name, choices in _CHOICES.items()}
"""Per choice field: its allowed strings, mapped to the canonical object."""
if _FIELDS != {*_STRINGS, *_CHOICE_OF, "affected_customers", "t"}:   # a new field needs its rule below
    raise RuntimeError(f"events fast path: no rule for {sorted(_FIELDS - {*_STRINGS, *_CHOICE_OF})}")


def _fast_event(data: dict[str, Any]) -> Event | None:
    """``Event.model_validate(data)`` for a line of the common valid shape; None when unsure (the caller then
    validates it with pydantic). Builds the model the way ``model_construct`` does, without its overhead.

    >>> line = {"event_id": "e-1", "order_id": "WO-1", "type": "dispatched", "department": "d1",
    ...         "ts": "2026-07-14T09:32:40+08:00", "affected_customers": 3, "text": "", "extra": None}
    >>> fast = _fast_event(line)
    >>> slow = Event.model_validate(line)
    >>> fast == slow and fast.model_fields_set == slow.model_fields_set and list(vars(fast)) == list(vars(slow))
    True
    >>> [_fast_event({**line, **bad}) for bad in ({"type": "x"}, {"department": None}, {"affected_customers": True},
    ...                                           {"t": None}, {"text": "x" * 10_001}, {"event_id": ""}, {"text": None},
    ...                                           {"category": None}, {"affected_customers": None})]
    [None, None, None, None, None, None, None, None, None]
    """
    get = data.get
    if (type(get("event_id")) is not str or type(get("order_id")) is not str or type(get("type")) is not str
            or type(get("ts")) is not str):
        return None
    values = dict(_DEFAULTS)
    strings, choices = _STRINGS, _CHOICE_OF
    for name, v in data.items():
        rule = strings.get(name)
        if rule is not None:   # most fields: a string with length limits
            if type(v) is str:
                if not rule[0] <= len(v) <= rule[1]:
                    return None
                values[name] = _intern(v) if rule[2] else v
            else:   # null included: the schema allows no null (parse_event names it)
                return None
            continue
        choice = choices.get(name)
        if choice is not None:
            # the canonical string object: one copy of "fault_repair" for all orders, not one per line
            c = choice.get(v) if type(v) is str else None
            if c is None:
                return None
            values[name] = c
        elif name == "affected_customers":
            if type(v) is not int or v < 0:
                return None
            values[name] = v
        elif name == "t" and v is None:   # "t" is derived from "ts" below, whatever it said, but may not be null
            return None
    try:
        d = datetime.fromisoformat(data["ts"])
    except ValueError:
        return None
    if d.tzinfo is None or not MIN_YEAR <= d.year <= MAX_YEAR:
        return None
    values["t"] = d.timestamp()
    for name in _REQUIRED_BY_TYPE.get(data["type"], ()):
        if values[name] is None:
            return None
    fields_set = data.keys() & _FIELDS
    fields_set.add("t")
    ev = Event.__new__(Event)
    _set_attr(ev, "__dict__", values)
    _set_attr(ev, "__pydantic_fields_set__", fields_set)
    _set_attr(ev, "__pydantic_extra__", None)
    _set_attr(ev, "__pydantic_private__", None)
    return ev
