"""The table store over a faust table's local store: one mapping of keys, a mark per object, coalesced writes."""
from __future__ import annotations

import sys

import orjson

from streams.customer_stage import CustomerState
from streams.orders import NO_RARE, OrderState
from streams.table_store import PARTITION_BITS, TableStore, table_mark


def _orders(local: dict, partition_for=lambda k: 0) -> TableStore:
    return TableStore(local, encode=lambda o: orjson.dumps(o.to_record()),
                      decode=lambda b: OrderState.from_record(orjson.loads(b)), partition_for=partition_for)


def test_the_local_store_holds_the_objects_themselves_not_a_copy_or_digest() -> None:
    local: dict = {}
    store = _orders(local)
    o = OrderState("WO-1")
    store["WO-1"] = o
    assert store.flush() == {0: [("WO-1", orjson.dumps(o.to_record()))]}
    assert local == {"WO-1": o} and store["WO-1"] is o
    assert o.table_mark == table_mark(orjson.dumps(o.to_record()), 0)


def test_only_changed_objects_are_written_to_the_partition_their_events_came_from() -> None:
    store = _orders({}, partition_for=lambda k: 5)
    for k in ("WO-1", "WO-2"):
        store.note_partition(k, 3)
        store[k] = OrderState(k)
    assert sorted(store.flush()) == [3]
    store.note_partition("WO-1", 3)
    store.get("WO-1")                          # read (a duplicate event): unchanged, nothing written
    store["WO-2"].last_t = 9.0                 # changed, no partition noted this batch: the one it was written to
    assert store.flush() == {3: [("WO-2", orjson.dumps(store["WO-2"].to_record()))]}
    store.flush()
    store.note_partition("WO-1", 7)            # its events now come from partition 7; same bytes: nothing to write
    store.get("WO-1")
    assert store.flush() == {} and store.partition_of("WO-1") == 7
    store["WO-1"].last_t = 1.0
    assert list(store.flush()) == [7]          # the next change goes where its events come from


def test_recovered_bytes_are_decoded_once_and_not_written_back_unchanged() -> None:
    o = OrderState("WO-1")
    o.urges = 2
    raw = orjson.dumps(o.to_record())
    local = {"WO-1": raw, "WO-2": raw.replace(b"WO-1", b"WO-2")}
    store = _orders(local, partition_for=lambda k: 4)
    assert store["WO-1"].urges == 2 and type(local["WO-1"]) is OrderState and type(local["WO-2"]) is bytes
    assert store.flush() == {}
    kept = store["WO-1"]
    local["WO-2"] = raw.replace(b"WO-1", b"WO-2")   # recovery refilled WO-2 after a rebalance, not WO-1
    store.reload()
    assert store["WO-1"] is kept and store["WO-2"].order_id == "WO-2" and store.flush() == {}


def test_a_deleted_key_reads_as_absent_until_the_flush_writes_its_tombstone() -> None:
    store = _orders({}, partition_for=lambda k: 2)
    o = store["WO-1"] = OrderState("WO-1")
    store.flush()
    del store["WO-1"]
    assert store.get("WO-1") is None and "WO-1" not in store and len(store) == 0   # was a RuntimeError
    assert store.flush() == {2: [("WO-1", None)]}
    store["WO-1"] = o                          # the same object again, after its tombstone: written again
    assert store.flush() == {2: [("WO-1", orjson.dumps(o.to_record()))]}


def test_a_new_object_equal_to_the_one_it_replaces_is_not_written() -> None:
    store = _orders({})
    store["WO-1"] = OrderState("WO-1")
    store.flush()
    store["WO-1"] = OrderState("WO-1")
    assert store.flush() == {}


def test_dropping_partitions_uses_the_partition_each_key_was_written_to() -> None:
    local: dict = {"WO-9": b"recovered"}
    store = _orders(local, partition_for=lambda k: 1)
    for k, p in (("WO-1", 0), ("WO-2", 3)):
        store.note_partition(k, p)
        store[k] = OrderState(k)
    store.flush()
    assert store.drop_partitions({1, 3}) == 2 and sorted(local) == ["WO-1"]


def test_the_mark_keeps_a_whole_64_bit_digest_beside_the_partition() -> None:
    m = table_mark(b"abc", 65535)
    assert m >> PARTITION_BITS == hash(b"abc") and m & 0xFFFF == 65535


def test_values_have_a_slot_for_the_mark_and_stay_small() -> None:
    o = OrderState("WO-1")
    assert o.table_mark is None and CustomerState().table_mark is None
    assert sys.getsizeof(o) <= 256            # 28 slots: the mark came with one slot fewer (risk_tier is rare)
    o.risk_tier = None
    assert o._rare is NO_RARE
    o.risk_tier = "red"
    back = OrderState.from_record(orjson.loads(orjson.dumps(o.to_record())))
    assert back.risk_tier == "red" and back.to_dict() == o.to_dict()
