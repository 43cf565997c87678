"""arrival_surge from reports of one large outage: at night, when the province has too few fault reports for the
region's share of them to say anything."""
from __future__ import annotations

from streams import signals as S
from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from yujing.config import load_config

T0 = 1_784_000_000.0


def fault(stage: ScopeStage, t: float, n: int, region: str, affected: float) -> list:
    sig = ScopeSignal(S.ARRIVAL, t, f"WO-{region}-{n}", None, region, None, "fault_repair", "hotline", value=affected)
    return stage.apply(sig) + stage.advance(t)


def quiet_night(stage: ScopeStage, start_h: float, hours: float, big_at: dict[int, float] | None = None) -> list:
    """One small fault report per region every 20 minutes from ``start_h``; ``big_at``: minute (from the start)
    -> customers said to be affected by an extra report in the north."""
    out: list = []
    n = int(start_h * 1000)
    for minute in range(int(hours * 60)):
        t = T0 + start_h * 3600 + minute * 60.0
        if minute % 20 == 0:
            for region in ("north", "south", "east"):
                n += 1
                out += fault(stage, t, n, region, 3.0)
        if big_at and minute in big_at:
            n += 1
            out += fault(stage, t + 30, n, "north", big_at[minute])
        out += stage.advance(t)
    return out


def surges(conds: list) -> list:
    return [c for c in conds if c.kind == "arrival_surge"]


def test_three_reports_of_a_large_outage_raise_arrival_surge_at_night():
    stage = ScopeStage(load_config(None))
    calm = quiet_night(stage, 0, 4)
    assert surges(calm) == []
    out = quiet_night(stage, 4, 1, big_at={5: 650.0, 9: 2300.0, 14: 650.0})
    fired = [c for c in surges(out) if c.tier is not None]
    assert fired and fired[0].scope == {"region": "north"} and fired[0].tier == "yellow"
    assert fired[0].evidence["large_outage_reports_30min"] >= 3
    assert fired[0].evidence["province_faults_30min"] < 10     # too few for the share test to judge
    assert "大面积停电" in fired[0].summary


def test_small_faults_and_too_few_large_reports_stay_quiet():
    stage = ScopeStage(load_config(None))
    quiet_night(stage, 0, 4)
    assert surges(quiet_night(stage, 4, 1, big_at={5: 80.0, 9: 90.0, 14: 99.0, 20: 60.0})) == []   # under 100 each
    assert surges(quiet_night(stage, 5, 1, big_at={5: 650.0, 40: 650.0})) == []                   # 2 in 30 min
