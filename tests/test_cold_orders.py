"""Orders and customers kept encoded in the live worker's table store (``[worker] hot_orders``): the core gives
exactly what it gives over plain dicts, timers of encoded orders fire, and the store writes nothing it need not."""
from __future__ import annotations

import orjson

from streams.customer_stage import CustomerStage, CustomerState
from streams.order_stage import OrderStage
from streams.orders import OrderState
from streams.table_store import Frozen, TableStore, customer_store, order_store
from yujing.config import load_config
from yujing.events import InvalidEvent, parse_event
from yujing.simulator.engine import SimOptions, iter_events


def _store(cls: type, hot: int) -> TableStore:
    """The live worker's own store of orders or customers (``streams.table_store``), over a dict."""
    return (order_store if cls is OrderState else customer_store)({}, lambda k: len(k) % 4, hot)


def _run(stage: OrderStage, events: list, flush: list[TableStore]) -> tuple[list, list[int]]:
    """Every output of ``stage`` over ``events`` and a quiet day after them, flushing the stores every 25 events
    (the live worker flushes once per take); and how many values each store held encoded after the events."""
    out = []
    for i, ev in enumerate(events):
        out.append(stage.advance(ev.t))
        out.append(stage.ingest(ev))
        if i % 25 == 24:
            for s in flush:
                s.flush()
    for s in flush:
        s.flush()
    encoded = [sum(type(v) is Frozen for v in s.local.values()) - len(s.local) for s in flush]
    t = events[-1].t
    for h in range(1, 25):   # silent orders breach, closed ones settle, stale ones are evicted
        out.append(stage.advance(t + h * 3600))
        for s in flush:
            s.flush()
    return out, encoded


def test_encoded_orders_give_the_core_the_same_outputs_as_decoded_ones() -> None:
    settings = load_config(None)
    settings = settings.model_copy(update={"tracking": settings.tracking.model_copy(update={"evict_after_h": 6})})
    events = []
    for d in iter_events(SimOptions(start=1_780_000_000.0, hours=6, seed=5, scale=0.4, late_rate=0.02)):
        try:
            events.append(parse_event(orjson.dumps(d)))
        except InvalidEvent:
            continue
    plain = OrderStage(settings, {}, customers=CustomerStage(settings, {}))
    orders, customers = _store(OrderState, 30), _store(CustomerState, 30)
    cold = OrderStage(settings, orders, customers=CustomerStage(settings, customers))

    (expected, _), (got, encoded) = _run(plain, events, []), _run(cold, events, [orders, customers])

    assert got == expected
    fired = sum(len(o.signals) for o in expected[2 * len(events):])
    assert fired > 50 and sum(len(o.settled) for o in expected) > 200   # the quiet day did breach and evict
    assert orders.frozen > 500 and customers.frozen > 500 and len(orders._recent) <= 30
    assert encoded == [-30, -30]   # after the events, all but the 30 latest orders and customers were encoded


def test_an_encoded_value_is_written_only_when_it_changed_and_deleted_where_it_was_written() -> None:
    store = _store(OrderState, 1)
    for k in ("WO-1", "WO-22"):
        store.note_partition(k, 3)
        store[k] = OrderState(k)
    store.flush()
    assert type(store.local["WO-1"]) is Frozen and store.partition_of("WO-1") == 3
    assert dict(store.items())["WO-1"].order_id == "WO-1" and store.flush() == {}   # a look writes nothing
    store.get("WO-1")                    # read and unchanged (a duplicate event): not written
    assert store.flush() == {}
    store["WO-1"] = OrderState("WO-1")   # an equal object in its place: not written either
    assert store.flush() == {}
    store["WO-1"].urges = 1              # changed: written to the partition it was written to
    assert list(store.flush()) == [3]
    assert type(store.local["WO-22"]) is Frozen
    del store["WO-22"]                   # a frozen value's tombstone goes where its bytes went
    assert store.flush() == {3: [("WO-22", None)]}
    assert store.drop_partitions({3}) == 1 and not store.local
