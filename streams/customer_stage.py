"""The customer stage: who called before, and who escalated before — per customer, not per order.

Input events are keyed by ``order_id``, but a repeat contact is a fact about a *customer* (same customer, same
category, or any earlier complaint, within 24 h / 7 d) and so is a prior escalation. In one process
(``yujing replay``) the order stage asks a :class:`CustomerStage` directly; in the live shell the question
travels through a topic keyed by ``customer_id`` to the one worker that holds the customer (a changelogged
table), and the answer comes back keyed by ``order_id`` (:class:`DeferredCustomers` collects the questions;
see docs/runtime.md). Both shells call the same :meth:`CustomerStage.contact` and :meth:`CustomerStage.escalated`.
"""
from __future__ import annotations

import marshal
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from yujing.config import Settings

HOUR = 3600.0
INF = float("inf")
ESCALATED_KEEP_H = 365 * 24.0
"""A customer who escalated stays "escalated before" this long after their last contact (others are forgotten
after ``tracking.evict_after_h``): escalations are rare, so keeping them long costs little."""
ESC_ORDERS_KEEP = 16
"""Escalated order ids kept per customer, so a redelivered escalation is not counted twice."""


@dataclass(slots=True)
class CustomerContext:
    """What the order stage learns about an order's customer when the order is created (``customer_id``: the
    customer stage's own copy of the id, which the order may keep instead of its event's)."""

    customer_id: str
    order_id: str
    t: float
    repeat_24h: int
    repeat_7d: int
    prior_esc: int

    def to_dict(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "order_id": self.order_id, "t": self.t,
                "repeat_24h": self.repeat_24h, "repeat_7d": self.repeat_7d, "prior_esc": self.prior_esc}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CustomerContext":
        return cls(d["customer_id"], d["order_id"], d["t"], d["repeat_24h"], d["repeat_7d"], d["prior_esc"])


class CustomerState:
    """One customer's history: recent contacts in the order they were seen, and the escalations (count, and the
    latest escalated order ids, ``None`` until the first: most customers never escalate).

    ``contacts`` is flat, ``(t, category, order_id, t, category, order_id, …)``: one tuple per customer instead
    of a list per contact (a customer holds one to a few contacts per open order), and a tuple rather than a list
    (one block of 64 bytes for a first contact instead of two of 56 and 24; it is replaced, never grown)."""

    __slots__ = ("contacts", "escalations", "esc_orders", "last_t", "cid", "table_mark")

    def __init__(self) -> None:
        self.cid: str | None = None
        """The customer id as first seen (not checkpointed): the one string the customer's orders share."""
        self.contacts: tuple[Any, ...] = ()
        self.escalations = 0
        self.esc_orders: list[str] | None = None
        self.last_t = -INF   # latest contact or escalation: eviction age
        self.table_mark: int | None = None
        """What the live shell's table store remembers of the customer as last written (streams/table_store.py)."""

    def contact_list(self) -> list[list[Any]]:
        """The contacts as ``[t, category, order_id]`` triples (the checkpoint's format)."""
        h = self.contacts
        return [list(h[i:i + 3]) for i in range(0, len(h), 3)]

    def to_dict(self) -> dict[str, Any]:
        return {"contacts": self.contact_list(), "escalations": self.escalations,
                "esc_orders": self.esc_orders or [], "last_t": self.last_t}

    def freeze(self) -> bytes:
        """The customer as compact bytes (marshal), for the live worker's store of customers not seen for a while;
        only :meth:`thaw` of the same code reads it.

        >>> c = CustomerState(); c.contacts = (60.0, "billing", "WO-1"); c.last_t = 60.0; c.cid = "C-1"
        >>> t = CustomerState.thaw(c.freeze()); (t.contacts, t.last_t, t.cid, t.escalations, t.table_mark)
        ((60.0, 'billing', 'WO-1'), 60.0, 'C-1', 0, None)
        """
        return marshal.dumps((self.contacts, self.escalations, self.esc_orders, self.last_t, self.cid), 4)

    @classmethod
    def thaw(cls, raw: bytes) -> "CustomerState":
        """The customer :meth:`freeze` gave (its table mark unset)."""
        c = cls.__new__(cls)
        c.contacts, c.escalations, c.esc_orders, c.last_t, c.cid = marshal.loads(raw)
        c.table_mark = None
        return c

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CustomerState":
        c = cls()
        c.contacts = tuple(x for h in d.get("contacts", []) for x in h[:3])
        c.escalations = d.get("escalations", 0)
        c.esc_orders = list(d.get("esc_orders") or []) or None
        c.last_t = d.get("last_t", -INF)
        return c


class Customers(Protocol):
    """What the order stage asks about customers. :class:`CustomerStage` answers at once; the live shell's
    :class:`DeferredCustomers` answers ``None`` and the context arrives later (``OrderStage.apply_customer``)."""

    def contact(self, customer_id: str, order_id: str, category: str, t: float) -> CustomerContext | None: ...

    def escalated(self, customer_id: str, t: float, order_id: str = "") -> None: ...

    def advance(self, now: float) -> None: ...


class CustomerStage:
    """Repeat contacts and prior escalations per customer, with an explicit clock and no I/O.

    ``customers`` may be any MutableMapping of customer id → :class:`CustomerState` (a faust table in the live
    shell); after changing a customer the stage writes it back (``customers[id] = c``) so changelogs see it.
    A contact counts the customer's earlier contacts within ``tracking.repeat_window_h``: all of them within
    24 h (``repeat_24h``), those of the same category or any complaint within 7 d (``repeat_7d``). Asking again
    for an order already seen (a redelivery) gives the same answer and records nothing.

    >>> from yujing.config import load_config
    >>> cs = CustomerStage(load_config(None))
    >>> cs.contact("C-1", "WO-1", "fault_repair", 0.0)
    CustomerContext(customer_id='C-1', order_id='WO-1', t=0.0, repeat_24h=0, repeat_7d=0, prior_esc=0)
    >>> cs.escalated("C-1", 3600.0, "WO-1")
    >>> cs.contact("C-1", "WO-2", "fault_repair", 7200.0)      # 2 h later: a repeat, and escalated before
    CustomerContext(customer_id='C-1', order_id='WO-2', t=7200.0, repeat_24h=1, repeat_7d=1, prior_esc=1)
    >>> cs.contact("C-1", "WO-3", "consultation", 3 * 86400.0).repeat_7d   # other category, 3 days on
    0
    >>> cs.contact("C-1", "WO-2", "fault_repair", 7200.0).repeat_24h       # redelivered: same answer
    1
    """

    def __init__(self, settings: Settings, customers: MutableMapping[str, CustomerState] | None = None) -> None:
        self.settings = settings
        self.customers: MutableMapping[str, CustomerState] = customers if customers is not None else {}
        w24, w7 = settings.tracking.repeat_window_h[:2]
        self.w24 = w24 * HOUR
        self.w7 = w7 * HOUR
        self.horizon = settings.tracking.evict_after_h * HOUR
        self.escalated_horizon = max(self.horizon, ESCALATED_KEEP_H * HOUR)
        self.stats: dict[str, int] = {"contacts": 0, "escalations": 0, "evicted": 0}
        self._oldest = -INF   # lower bound of the customers' last_t (-inf: unknown, e.g. after a restore)
        self._next_housekeeping = 0.0

    def contact(self, customer_id: str, order_id: str, category: str, t: float) -> CustomerContext:
        """Record that ``customer_id`` opened ``order_id`` at ``t``; return the order's customer context."""
        c = self.customers.get(customer_id)
        if c is None:
            c = CustomerState()
        w7 = self.w7
        hist = c.contacts
        if any(t - hist[i] > w7 for i in range(0, len(hist), 3)):
            hist = c.contacts = tuple(x for i in range(0, len(hist), 3) if t - hist[i] <= w7 for x in hist[i:i + 3])
        end = len(hist)
        for i in range(end - 1, 1, -3):
            if hist[i] == order_id:   # seen before (redelivery): count what came before it, add nothing
                end = i - 2
                break
        repeat_7d = sum(1 for i in range(1, end, 3) if hist[i] == category or hist[i] == "complaint")
        w24 = self.w24
        repeat_24h = sum(1 for i in range(0, end, 3) if t - hist[i] <= w24)
        if end == len(hist):
            c.contacts = hist + (t, sys.intern(category), order_id)
            self.stats["contacts"] += 1
        if t > c.last_t:
            c.last_t = t
        if t < self._oldest:
            self._oldest = t
        if c.cid is None:
            c.cid = customer_id
        self.customers[customer_id] = c
        return CustomerContext(c.cid, order_id, t, repeat_24h, repeat_7d, c.escalations)

    def escalated(self, customer_id: str, t: float, order_id: str = "") -> None:
        """Record an escalation of ``customer_id`` (once per ``order_id``): later orders are ``prior_esc``."""
        c = self.customers.get(customer_id)
        if c is None:
            c = CustomerState()
        if order_id:
            if c.esc_orders is not None and order_id in c.esc_orders:
                return
            c.esc_orders = ((c.esc_orders or []) + [order_id])[-ESC_ORDERS_KEEP:]
        c.escalations += 1
        self.stats["escalations"] += 1
        if t > c.last_t:
            c.last_t = t
        if t < self._oldest:
            self._oldest = t
        self.customers[customer_id] = c

    def advance(self, now: float) -> None:
        """Housekeeping, at most once an hour of event time: forget customers quiet past the horizon."""
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + HOUR
        if now - self._oldest <= self.horizon:   # else no customer can be stale: skip the scan
            return
        oldest = INF
        gone = []
        for cid, c in list(self.customers.items()):   # a look: a table store touches nothing for it
            age = now - c.last_t
            if age > (self.escalated_horizon if c.escalations else self.horizon):
                gone.append(cid)
            elif c.last_t < oldest:
                oldest = c.last_t
        for cid in gone:
            del self.customers[cid]
        self.stats["evicted"] += len(gone)
        self._oldest = oldest

    def clear(self) -> None:
        """Forget every customer (benchmarks, tests)."""
        self.customers.clear()
        self._oldest = INF

    def restored(self) -> None:
        """The mapping was refilled from a changelog: the staleness bound is unknown until the next scan."""
        self._oldest = -INF
        self._next_housekeeping = 0.0


class DeferredCustomers:
    """The live order stage's view of customers: questions are collected (``requests``) for the shell to send to
    the customer stage's topic, keyed by customer id; the answer comes back later as a :class:`CustomerContext`.

    >>> d = DeferredCustomers()
    >>> d.contact("C-1", "WO-1", "complaint", 5.0) is None
    True
    >>> d.escalated("C-1", 9.0, "WO-1"); d.drain()
    [('C-1', {'kind': 'contact', 'customer_id': 'C-1', 'order_id': 'WO-1', 'category': 'complaint', 't': 5.0}), \
('C-1', {'kind': 'escalated', 'customer_id': 'C-1', 'order_id': 'WO-1', 't': 9.0})]
    >>> d.drain()
    []
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def contact(self, customer_id: str, order_id: str, category: str, t: float) -> None:
        self.requests.append((customer_id, {"kind": "contact", "customer_id": customer_id, "order_id": order_id,
                                            "category": category, "t": t}))
        return None

    def escalated(self, customer_id: str, t: float, order_id: str = "") -> None:
        self.requests.append((customer_id, {"kind": "escalated", "customer_id": customer_id, "order_id": order_id,
                                            "t": t}))

    def advance(self, now: float) -> None:
        """Nothing to keep: the customer stage does its own housekeeping."""

    def drain(self) -> list[tuple[str, dict[str, Any]]]:
        out, self.requests = self.requests, []
        return out


def apply_request(stage: CustomerStage, req: dict[str, Any]) -> CustomerContext | None:
    """Apply one request of :class:`DeferredCustomers` to ``stage``; a contact's answer is returned."""
    if req["kind"] == "contact":
        return stage.contact(req["customer_id"], req["order_id"], req["category"], req["t"])
    stage.escalated(req["customer_id"], req["t"], req.get("order_id", ""))
    return None
