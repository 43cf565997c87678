"""When risk records are emitted: ``detectors.risk.min_change`` (config) is the step that makes a new record."""
from __future__ import annotations

from streams.order_stage import OrderStage
from tests.test_risk_labels import H, T0, ev, feed
from yujing.config import load_config


def _records(min_change: float) -> list:
    s = load_config(None)
    s.detectors.risk.min_change = min_change
    st = OrderStage(s)
    return feed(st, [ev(0, "WO-1", "created", T0, category="consultation", channel="app", customer_id="C-1",
                        customer_tier="regular", region="north", area="urban"),
                     ev(1, "WO-1", "accepted", T0 + 60),
                     ev(2, "WO-1", "customer_message", T0 + H, text="请问办理进度如何？"),
                     ev(3, "WO-1", "customer_message", T0 + 2 * H, text="请问办理进度如何？"),
                     ev(4, "WO-1", "closed", T0 + 3 * H, resolution="resolved")])


def test_min_change_from_the_config_sets_how_often_a_risk_record_is_written():
    every, default, coarse = _records(0.0), _records(0.02), _records(0.9)
    assert [r.ts for r in every] == [T0, T0 + 60, T0 + H, T0 + 2 * H, T0 + 3 * H]   # every update writes one
    assert T0 + 60 not in [r.ts for r in default]       # accepting moved the risk less than 0.02
    # a step larger than any move: only the forced records (created, closed) and the tier changes remain
    assert [(r.ts, r.tier) for r in coarse] == [(T0, None), (T0 + H, "blue"), (T0 + 2 * H, "yellow"),
                                               (T0 + 3 * H, None)]


def test_the_default_step_records_a_quiet_order_going_overdue():
    """A consultation nobody chases rises from 0.5 % to 2.2 % as it goes overdue (crossing 75 % and its deadline):
    in log-odds a large rise, and the 30-min horizon reads only what was written. The old step (0.02) wrote
    nothing for twelve hours and kept 0.5 % on record; the default (0.005) writes both rises."""
    def quiet(min_change: float | None) -> list[int]:
        s = load_config(None)
        if min_change is not None:
            s.detectors.risk.min_change = min_change
        st = OrderStage(s)
        risks = feed(st, [ev(0, "WO-1", "created", T0, category="consultation", channel="app", customer_id="C-1",
                             customer_tier="regular", region="north", area="urban"),
                          ev(1, "WO-1", "accepted", T0 + 60)])
        for k in range(1, 12):
            risks += st.advance(T0 + k * 600).risks
        return [round((r.ts - T0) / 60) for r in risks]

    assert quiet(0.02) == [0]
    assert quiet(None) == [0, 24, 31]     # the default config: 75 % of the deadline, then overdue
