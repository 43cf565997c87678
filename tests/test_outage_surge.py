"""arrival_surge from reports of one large outage: at night, when the province has too few fault reports for the
region's share of them to say anything."""
from __future__ import annotations

from streams import signals as S
from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from tests.province_day import province_day, scope_settings
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


def large_province(stage: ScopeStage, seed: int, surge: float = 1.0) -> list:
    """Five equal regions of a large province: 20 fault reports a minute from 08:00 to 20:00, then 1.3 a minute
    all night (about 40 in 30 minutes); ``surge``: north reports that many times its share from hour 18."""
    def report(rng, t: float, n: int, region: str, minute: int) -> ScopeSignal:
        return ScopeSignal(S.ARRIVAL, t, f"WO-{n}", None, region, None, "fault_repair", "hotline", value=3.0)

    out = province_day(stage, seed, report, day_rate=20.0, night_rate=1.3,
                       north_weight=lambda minute: surge if minute >= 18 * 60 else 1.0)
    return [c for c in surges(out) if c.tier is not None]


def _settings(sampling: bool):
    return scope_settings() if sampling else scope_settings(surge_sampling_z=0.0)


def test_a_nights_chance_share_is_no_surge_at_a_large_provinces_volume():
    """The spread learned over busy hours (600 reports in 30 minutes) is too narrow for a night's 40: a region's
    share moves by chance past it. Judged with the share's sampling spread (``surge_sampling_z``) it does not."""
    raw = sum(bool(large_province(ScopeStage(_settings(False)), seed)) for seed in range(4))
    judged = sum(bool(large_province(ScopeStage(_settings(True)), seed)) for seed in range(4))
    assert raw >= 2 and judged == 0, (raw, judged)


def test_a_real_night_surge_still_alerts_with_the_sampling_spread():
    fired = large_province(ScopeStage(_settings(True)), 0, surge=8.0)
    assert fired and fired[0].scope == {"region": "north"}
    assert fired[0].ts <= T0 + (18 * 60 + 60) * 60.0   # within the surge's first hour
