"""topic_surge end to end through the scope stage: a wave of one topic in one region, with known answers."""
from __future__ import annotations

import random

from detectors.fusion import evidence_number
from streams import signals as S
from streams.scope_stage import ScopeStage, scope_from_state, scope_state_dict
from streams.signals import ScopeSignal
from yujing.config import load_config

T0 = 1_784_000_000.0  # some Tuesday


def feed(stage: ScopeStage, start_h: float, hours: float, share: dict[str, float], rng: random.Random,
         region: str = "north", per_hour: int = 60) -> list:
    """New contacts with a text every minute; ``share`` of them angry about billing (per region), as many again
    about billing but calm."""
    out = []
    t = T0 + start_h * 3600
    for i in range(int(hours * per_hour)):
        t += 3600 / per_hour
        for reg in ("north", "south"):
            x = rng.random()
            angry = x < share.get(reg, 0.03)
            topic = "billing" if x < 2 * share.get(reg, 0.03) else ""
            out += stage.apply(ScopeSignal(S.ARRIVAL, t, f"WO-{reg}-{i}", None, reg, None, "consultation", "web"))
            out += stage.apply(ScopeSignal(S.TOPIC, t, f"WO-{reg}-{i}", "receive", reg, None, "consultation", "web",
                                           check=topic, value=0.9 if angry else 0.2))
    return out


def surges(conds: list) -> list:
    return [c for c in conds if c.kind == "topic_surge"]


def test_a_billing_wave_in_one_region_fires_then_resolves():
    rng = random.Random(3)
    stage = ScopeStage(load_config(None))
    calm = feed(stage, 0, 12, {"north": 0.03, "south": 0.03}, rng)
    assert surges(calm) == []                                    # twelve calm hours: nothing
    wave = feed(stage, 12, 3, {"north": 0.25, "south": 0.03}, rng)  # north: angry billing 3 % -> 25 %
    fired = [c for c in surges(wave) if c.tier is not None]
    assert fired and fired[0].scope == {"region": "north"} and fired[0].evidence["topic"] == "billing"
    assert fired[0].ts - (T0 + 12 * 3600) <= 60 * 60               # found within the hour
    assert abs(fired[0].evidence["usual_share"] - 0.03) < 0.02      # the wave did not become "usual"
    ev = fired[0].evidence   # the summary gives the evidence's shares as the board and messages read them
    assert (f"占 {evidence_number('share_60min', ev['share_60min'])}（平时约 "
            f"{evidence_number('usual_share', ev['usual_share'])}）") in fired[0].summary
    after = feed(stage, 15, 4, {"north": 0.03, "south": 0.03}, rng)
    assert [c.tier for c in surges(after)] == [None]               # one resolution, no re-fire


def test_topic_cusum_survives_a_checkpoint():
    rng = random.Random(5)
    settings = load_config(None)
    stage = ScopeStage(settings)
    feed(stage, 0, 10, {"north": 0.03}, rng)
    feed(stage, 10, 0.75, {"north": 0.3}, rng)
    restored = scope_from_state(settings, scope_state_dict(stage))
    a, b = stage.detectors.topic_cusum, restored.detectors.topic_cusum
    assert a.keys() == b.keys() and all(a[k].state() == b[k].state() for k in a)
    assert restored.scopes[("region", "north")].window("topic:billing", 60) == \
        stage.scopes[("region", "north")].window("topic:billing", 60) > 0


def feed_filing(stage: ScopeStage, start_h: float, hours: float, misfiled: float, rng: random.Random,
                angry: bool = False, per_hour: int = 60) -> list:
    """New contacts with a text on the web channel; ``misfiled`` of them read as another category than filed."""
    out = []
    t = T0 + start_h * 3600
    for i in range(int(hours * per_hour)):
        t += 3600 / per_hour
        oid = f"WO-f{start_h}-{i}"
        hit = rng.random() < misfiled
        out += stage.apply(ScopeSignal(S.ARRIVAL, t, oid, None, "north", None, "consultation", "web"))
        out += stage.apply(ScopeSignal(S.TOPIC, t, oid, "receive", "north", None, "consultation", "web",
                                       check="", value=0.9 if angry else 0.2,
                                       value2=S.FILING_MISFILED if hit else S.FILING_AS_READ))
    return out


def reclass(conds: list) -> list:
    return [c for c in conds if c.kind == "reclassification" and c.tier is not None]


def test_a_wave_of_misfiled_contacts_fires_reclassification_before_any_dispatch():
    rng = random.Random(7)
    stage = ScopeStage(load_config(None))
    assert reclass(feed_filing(stage, 0, 12, 0.03, rng)) == []       # 3 % misfiled as usual: nothing
    wave = reclass(feed_filing(stage, 12, 2, 0.3, rng))               # 30 %: an intake desk filing wrongly
    assert wave and wave[0].scope == {"channel": "web"}
    assert wave[0].ts - (T0 + 12 * 3600) <= 30 * 60                   # within half an hour, no dispatch yet
    assert wave[0].evidence["dispatches_60min"] == 0 and wave[0].evidence["misfiled_60min"] >= 4
    assert "描述与所填分类不符" in wave[0].summary
    # the text test carries it: its figures lead the summary and the evidence (a message lists the first eight)
    assert wave[0].summary.startswith("渠道 web 新受理") and next(iter(wave[0].evidence)) == "misfiled_60min"


def test_angry_texts_that_read_as_complaints_are_not_a_misfiling_wave():
    rng = random.Random(7)
    stage = ScopeStage(load_config(None))
    feed_filing(stage, 0, 12, 0.03, rng)
    assert reclass(feed_filing(stage, 12, 2, 0.3, rng, angry=True)) == []   # a sentiment storm is not misfiling


def test_lag_cusum_and_province_history_survive_a_checkpoint():
    settings = load_config(None)
    stage = ScopeStage(settings)
    det = stage.detectors
    c = det.lag_cusum[("lag", "region", "north", "receive")] = det.new_lag_cusum()
    for _ in range(300):
        c.update(1, 10)
    c.update(6, 10)
    det._province_half["receive"].extend([(1, 9), (2, 8)])
    restored = scope_from_state(settings, scope_state_dict(stage)).detectors
    assert restored.lag_cusum.keys() == det.lag_cusum.keys()
    assert restored.lag_cusum[("lag", "region", "north", "receive")].state() == c.state() and c.statistic > 0
    assert list(restored._province_half["receive"]) == [(1, 9), (2, 8)]


def test_a_rise_every_region_shares_is_no_evidence_against_one():
    from detectors.share_cusum import ShareCusum

    alone, shared = ShareCusum(threshold=10.0, warmup_trials=100), ShareCusum(threshold=10.0, warmup_trials=100)
    for _ in range(300):
        alone.update(1, 10)
        shared.update(1, 10)
    for _ in range(30):                       # 10 % -> 40 % of checks reach half their deadline
        alone.update(4, 10)
        shared.update(4, 10, floor=0.4)       # ... and so do the province's (the morning peak)
    assert alone.statistic >= 10.0 and shared.statistic == 0.0


def test_an_angrier_afternoon_everywhere_is_no_surge_in_one_region():
    """The rest of the province's share of the last hour is the floor of a region's test: when customers in
    every region write angrier about bills (a daily rhythm, a national news story), no region is singled out."""
    rng = random.Random(7)
    stage = ScopeStage(load_config(None))
    feed(stage, 0, 12, {"north": 0.03, "south": 0.03}, rng)
    both = feed(stage, 12, 4, {"north": 0.15, "south": 0.15}, rng)
    assert surges(both) == []
    settings = load_config(None)
    settings.detectors.scope.topic_province_floor = False   # without the floor both regions would alert
    rng = random.Random(7)
    stage = ScopeStage(settings)
    feed(stage, 0, 12, {"north": 0.03, "south": 0.03}, rng)
    assert {c.scope["region"] for c in surges(feed(stage, 12, 4, {"north": 0.15, "south": 0.15}, rng))} == \
        {"north", "south"}


def test_a_sequential_test_fires_at_its_first_minute_past_the_threshold():
    """The CUSUM has weighed the evidence over time already: no extra hold-down (hold_minutes) on top of it."""
    fired = {}
    for hold in (1, 5):
        settings = load_config(None)
        settings.detectors.scope.sequential_hold_minutes = hold
        rng = random.Random(3)
        stage = ScopeStage(settings)
        feed(stage, 0, 12, {"north": 0.03, "south": 0.03}, rng)
        wave = feed(stage, 12, 3, {"north": 0.25, "south": 0.03}, rng)
        fired[hold] = next(c.ts for c in surges(wave) if c.tier is not None)
    assert fired[5] - fired[1] >= 2 * 60
