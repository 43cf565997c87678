"""topic_surge end to end through the scope stage: a wave of one topic in one region, with known answers."""
from __future__ import annotations

import random

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
