"""reassignment_bounce at a department's dispatch volume (``bounce_per_volume``), end to end through the scope stage.

More orders dispatched to a desk bring more reassignments with them: a first morning's peak at a large province's
volume (or an outage's repairs) read as a bounce surge against a normal learned overnight. The threshold now grows
with the desk's dispatches above its usual; a desk that bounces a larger share of its usual volume still alerts."""
from __future__ import annotations

import random

from streams import signals as S
from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from yujing.config import load_config

T0 = 1_784_000_000.0
DEPT = "north-repair-1"


def run(per_volume: bool, hours_calm: float, surge: float, bounce_share: float, hours: float, seed: int = 3,
        rate: float = 12.0, calm_share: float = 1 / 6) -> list:
    """``hours_calm`` at ``rate`` dispatches an hour, ``calm_share`` of them bounced; then ``hours`` at ``surge``
    times the dispatches with ``bounce_share`` bounced. Returns the bounce alerts of the second part."""
    s = load_config(None)
    s.detectors.scope.bounce_per_volume = per_volume
    stage, rng, n, out = ScopeStage(s), random.Random(seed), 0, []

    def minute(t: float, per_hour: float, share: float) -> list:
        nonlocal n
        got = []
        for _ in range(int(rng.random() < per_hour / 60 % 1) + int(per_hour // 60)):
            n += 1
            oid = f"WO-{n}"
            for kind, kw in ((S.OPEN, {"value": t + 3600, "value2": t}), (S.CLOSE, {"value2": 600.0})):
                got += stage.apply(ScopeSignal(kind, t, oid, "decompose", "north", DEPT, "fault_repair", "hotline",
                                               check="dispatch", **kw))
            if rng.random() < share:
                got += stage.apply(ScopeSignal(S.BOUNCE, t, oid, "decompose", "north", DEPT, "fault_repair",
                                               "hotline"))
        return got + stage.advance(t)

    for m in range(int(hours_calm * 60)):
        minute(T0 + 60.0 * m, rate, calm_share)
    start = T0 + hours_calm * 3600
    for m in range(int(hours * 60)):
        out += minute(start + 60.0 * m, rate * surge, bounce_share)
    return [c for c in out if c.kind == "reassignment_bounce" and c.tier is not None]


def test_eight_times_the_dispatches_bounced_as_usual_is_no_surge():
    assert run(False, 10, 8.0, 1 / 6, 2)            # judged raw: the peak reads as a surge
    assert run(True, 10, 8.0, 1 / 6, 2) == []       # at the usual volume it is the usual share


def test_a_desk_bouncing_half_its_usual_volume_still_alerts():
    alerts = run(True, 10, 1.0, 0.5, 2, rate=60, calm_share=1 / 12)
    assert alerts and alerts[0].scope == {"department": DEPT}


def test_a_bigger_share_at_twice_the_volume_still_alerts_and_says_so():
    """The normal rises with the volume as a count's does (mean x 2, spread x sqrt 2), not the threshold x 2: a
    desk bouncing 40 % of twice its usual orders is still news."""
    alerts = run(True, 10, 2.0, 0.4, 2, rate=60, calm_share=1 / 12)
    assert alerts and alerts[0].evidence.get("dispatch_lift", 0) > 1.2, alerts[:1]
