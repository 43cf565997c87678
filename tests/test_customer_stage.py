"""CustomerStage: repeat contacts (24 h / 7 d), prior escalations, eviction, state round trip, and the order
stage's two ways of asking it (synchronously in replay, by a deferred round trip in the live shell)."""
from __future__ import annotations

import orjson
import pytest

from streams import signals as S
from streams.customer_stage import (ESCALATED_KEEP_H, CustomerContext, CustomerStage, CustomerState,
                                    DeferredCustomers, apply_request)
from streams.order_stage import OrderStage
from streams.table_store import TableStore
from yujing.config import load_config
from yujing.events import parse_event

H = 3600.0
D = 24 * H


@pytest.fixture(scope="module")
def settings():
    return load_config(None)


def test_repeat_24h_counts_every_recent_contact_7d_same_category_or_complaint(settings) -> None:
    cs = CustomerStage(settings)
    assert cs.contact("C", "WO-1", "fault_repair", 0.0).repeat_24h == 0
    cs.contact("C", "WO-2", "complaint", 2 * H)
    ctx = cs.contact("C", "WO-3", "consultation", 3 * H)
    assert (ctx.repeat_24h, ctx.repeat_7d) == (2, 1)          # both earlier within 24 h; only the complaint in 7 d
    ctx = cs.contact("C", "WO-4", "fault_repair", 2 * D)
    assert (ctx.repeat_24h, ctx.repeat_7d) == (0, 2)          # 2 days on: the fault report and the complaint
    ctx = cs.contact("C", "WO-5", "fault_repair", 2 * D + 8 * D)
    assert (ctx.repeat_24h, ctx.repeat_7d) == (0, 0)          # 8 days after the last contact: nothing left
    assert [h[2] for h in cs.customers["C"].contact_list()] == ["WO-5"]   # older contacts pruned
    other = cs.contact("C-other", "WO-6", "fault_repair", 2 * D + 8 * D)
    assert (other.repeat_24h, other.repeat_7d) == (0, 0)


def test_window_edges_are_inclusive(settings) -> None:
    cs = CustomerStage(settings)
    cs.contact("C", "WO-1", "opinion", 0.0)
    ctx = cs.contact("C", "WO-2", "opinion", 24 * H)
    assert (ctx.repeat_24h, ctx.repeat_7d) == (1, 1)
    ctx = cs.contact("C", "WO-3", "opinion", 7 * D)
    assert (ctx.repeat_24h, ctx.repeat_7d) == (0, 2)


def test_prior_escalations_once_per_order(settings) -> None:
    cs = CustomerStage(settings)
    cs.contact("C", "WO-1", "complaint", 0.0)
    assert cs.contact("C", "WO-2", "complaint", H).prior_esc == 0
    cs.escalated("C", 2 * H, "WO-1")
    cs.escalated("C", 2 * H, "WO-1")          # redelivered: counted once
    cs.escalated("C", 3 * H, "WO-2")
    assert cs.contact("C", "WO-3", "opinion", 30 * D).prior_esc == 2   # remembered past the repeat windows
    cs.escalated("C-new", 4 * H)               # a customer the stage never saw contact
    assert cs.contact("C-new", "WO-9", "opinion", 5 * H).prior_esc == 1


def test_redelivered_contact_gives_the_same_answer_and_records_nothing(settings) -> None:
    cs = CustomerStage(settings)
    cs.contact("C", "WO-1", "fault_repair", 0.0)
    first = cs.contact("C", "WO-2", "fault_repair", H)
    cs.contact("C", "WO-3", "fault_repair", 2 * H)
    again = cs.contact("C", "WO-2", "fault_repair", H)
    assert again == first and len(cs.customers["C"].contact_list()) == 3


def test_eviction_forgets_quiet_customers_but_keeps_escalated_ones_longer(settings) -> None:
    cs = CustomerStage(settings)
    horizon = settings.tracking.evict_after_h * H
    cs.contact("quiet", "WO-1", "opinion", 0.0)
    cs.contact("angry", "WO-2", "complaint", 0.0)
    cs.escalated("angry", H, "WO-2")
    cs.advance(H)
    assert set(cs.customers) == {"quiet", "angry"}
    cs.contact("busy", "WO-3", "opinion", horizon)
    cs.advance(horizon + 2 * H)
    assert set(cs.customers) == {"angry", "busy"} and cs.stats["evicted"] == 1
    cs.advance(ESCALATED_KEEP_H * H + 3 * H)
    assert set(cs.customers) == set()
    assert cs.contact("angry", "WO-4", "complaint", ESCALATED_KEEP_H * H + 4 * H).prior_esc == 0


def test_eviction_scan_is_skipped_while_nobody_can_be_stale(settings) -> None:
    class Counting(dict):
        iterations = 0

        def __iter__(self):
            Counting.iterations += 1
            return super().__iter__()

        def items(self):
            Counting.iterations += 1
            return super().items()

    cs = CustomerStage(settings, Counting())
    cs.contact("C", "WO-1", "opinion", 0.0)
    cs.advance(0.0)        # first housekeeping: one scan learns the bound (unknown, as after a restore)
    assert Counting.iterations == 1
    for h in range(1, 50):
        cs.contact("C", f"WO-{h + 1}", "opinion", h * H)
        cs.advance(h * H)
    assert Counting.iterations == 1


def test_state_round_trip_through_a_changelogged_table(settings) -> None:
    """The stage over a TableStore of JSON bytes (as in the live shell) answers like one over a dict, and a
    new stage over the changelog's bytes (a worker that took over: recovery fills its local store from the
    changelog) carries on where the first stopped."""
    changelog: dict = {}

    def table() -> TableStore:
        return TableStore(dict(changelog), encode=lambda c: orjson.dumps(c.to_dict()),
                          decode=lambda b: CustomerState.from_dict(orjson.loads(b)), partition_for=lambda k: 0)

    plain = CustomerStage(settings)
    first = CustomerStage(settings, table())
    script = [("C-1", "WO-1", "fault_repair", 0.0), ("C-2", "WO-2", "complaint", H), ("C-1", "WO-3", "fault_repair", 5 * H),
              ("C-2", "WO-4", "opinion", 2 * D), ("C-1", "WO-5", "complaint", 3 * D)]
    for i, step in enumerate(script):
        stage = first if i < 3 else CustomerStage(settings, table())
        if i == 2:
            plain.escalated("C-2", 4 * H, "WO-2")
            first.escalated("C-2", 4 * H, "WO-2")
        assert stage.contact(*step) == plain.contact(*step), step
        written = stage.customers.flush()
        assert written and all(isinstance(v, bytes) for recs in written.values() for _, v in recs)
        changelog.update(rec for recs in written.values() for rec in recs)
    restored = CustomerState.from_dict(orjson.loads(changelog["C-2"]))
    assert restored.escalations == 1 and restored.esc_orders == ["WO-2"] and len(restored.contact_list()) == 2


def test_deferred_requests_applied_elsewhere_answer_like_the_stage(settings) -> None:
    d = DeferredCustomers()
    assert d.contact("C", "WO-1", "complaint", 0.0) is None
    d.escalated("C", H, "WO-1")
    assert d.contact("C", "WO-2", "opinion", 2 * H) is None
    remote = CustomerStage(settings)
    answers = [apply_request(remote, orjson.loads(orjson.dumps(req))) for _, req in d.drain()]
    assert answers[1] is None
    assert answers[2] == CustomerContext("C", "WO-2", 2 * H, 1, 1, 1)


def _created(oid: str, ts: str, cid: str = "C-1", text: str | None = None) -> object:
    d = dict(event_id=f"e-{oid}", order_id=oid, type="created", ts=ts, category="fault_repair",
             channel="hotline", customer_id=cid, customer_tier="regular", region="north", area="urban")
    if text:
        d["text"] = text
    return parse_event(d)


def test_order_stage_deferred_context_equals_synchronous(settings) -> None:
    """The live order stage (context by round trip) ends with the same order features and the same REPEAT and
    TOPIC signals as the replay one (context at once); a redelivered context changes nothing."""
    sync = OrderStage(settings)
    remote = CustomerStage(settings)
    link = DeferredCustomers()
    live = OrderStage(settings, customers=link)
    evs = [_created("WO-1", "2026-07-14T09:00:00+08:00", text="停电了"),
           _created("WO-2", "2026-07-14T11:00:00+08:00", text="又停电了，电费也不对"),
           parse_event(dict(event_id="x-1", order_id="WO-1", type="escalated", ts="2026-07-14T12:00:00+08:00",
                            to="12398")),
           _created("WO-3", "2026-07-20T09:00:00+08:00", text="电压低")]
    sync_sigs, live_sigs = [], []
    for ev in evs:
        sync_sigs += sync.ingest(ev).signals
        live_sigs += live.ingest(ev).signals
        for _, req in link.drain():
            ctx = apply_request(remote, orjson.loads(orjson.dumps(req)))
            if ctx is not None:
                ctx = CustomerContext.from_dict(orjson.loads(orjson.dumps(ctx.to_dict())))
                live_sigs += live.apply_customer(ctx).signals
                assert live.apply_customer(ctx).signals == []   # redelivered: ignored
    for oid in ("WO-1", "WO-2", "WO-3"):
        a, b = sync.orders[oid], live.orders[oid]
        assert (a.repeat_24h, a.repeat_7d, a.prior_esc) == (b.repeat_24h, b.repeat_7d, b.prior_esc), oid
    assert (sync.orders["WO-2"].repeat_24h, sync.orders["WO-3"].prior_esc) == (1, 1)

    def kinds(sigs: list, kind: str) -> list:
        return sorted((s.order_id, s.t, s.value) for s in sigs if s.kind == kind)

    assert kinds(live_sigs, S.REPEAT) == kinds(sync_sigs, S.REPEAT) == [("WO-2", sync.orders["WO-2"].created, 1.0),
                                                                         ("WO-3", sync.orders["WO-3"].created, 0.0)]
    assert kinds(live_sigs, S.TOPIC) == kinds(sync_sigs, S.TOPIC) and len(kinds(sync_sigs, S.TOPIC)) == 1
    assert live.orders["WO-2"].risk == pytest.approx(sync.orders["WO-2"].risk, abs=0.02)
