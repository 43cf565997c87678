"""Injectable incidents: the trouble the monitor exists to see.

A spec is ``TYPE[:scope[:start_min[:duration_min[:strength]]]]``; ``scope`` is a region, a department or (for
``misclassification_wave``) a channel; start is minutes after the simulation start; strength is the type's
multiplier, probability or rate (table below). Missing parts get defaults: the first region (its first fitting
department), start 0, a type-specific duration and strength.

>>> from yujing.simulator.province import default_regions
>>> inc = parse_incident("understaffed_receive:east:10:30", default_regions(6))
>>> inc.region, inc.start_min, inc.duration_min, inc.factor
('east', 10.0, 30.0, 0.3)
>>> parse_incident("slow_feedback:east-repair-2:0:60:2.5", default_regions(6)).factor
2.5
>>> parse_incident("department_stall:south", default_regions(6)).department
'south-marketing'
"""
from __future__ import annotations

from dataclasses import dataclass

from yujing.simulator.province import Region

INCIDENT_TYPES: dict[str, tuple[float, float]] = {
    # type: (default strength, default duration in minutes)
    "understaffed_receive": (0.3, 90.0),     # agents x0.3 in a region
    "outage_surge": (5.0, 120.0),            # fault reports x5 in a region
    "department_stall": (0.0, 90.0),         # a department accepts nothing
    "misclassification_wave": (0.4, 180.0),  # reclassification probability on one channel
    "sentiment_storm": (2.5, 240.0),         # billing anger x2.5 in a region
    "slow_feedback": (4.0, 180.0),           # a department's handling x4
    "gradual_drift": (0.03, 24 * 60.0),      # receive capacity -3 %/h in a region
}
CHANNEL_NAMES = ("hotline", "app", "wechat", "web", "hall", "sms", "12345", "12398", "other")


@dataclass(frozen=True)
class Incident:
    """One scheduled incident; ``factor`` is its strength (multiplier, probability or rate, by type)."""

    type: str
    region: str
    start_min: float
    duration_min: float
    factor: float
    department: str | None = None
    channel: str | None = None
    affected: int = 0

    def active(self, minutes: float) -> bool:
        return self.start_min <= minutes < self.start_min + self.duration_min

    @property
    def end_min(self) -> float:
        return self.start_min + self.duration_min


def _department_for(kind: str, region: Region) -> str:
    prefer = "marketing" if kind == "department_stall" else "repair"
    depts = region.of_kind(prefer) or list(region.departments)
    return depts[0].name


def parse_incident(spec: str, regions: list[Region], seed_affected: int = 1800) -> Incident:
    """Parse ``TYPE[:scope[:start_min[:duration_min[:strength]]]]`` against the simulated regions."""
    parts = spec.strip().split(":")
    kind = parts[0].strip()
    if kind not in INCIDENT_TYPES:
        raise ValueError(f"incident: unknown type {kind!r} (one of {', '.join(INCIDENT_TYPES)})")
    factor, duration = INCIDENT_TYPES[kind]
    scope = parts[1].strip() if len(parts) > 1 and parts[1].strip() else ""
    try:
        start = float(parts[2]) if len(parts) > 2 and parts[2].strip() else 0.0
        duration = float(parts[3]) if len(parts) > 3 and parts[3].strip() else duration
        factor = float(parts[4]) if len(parts) > 4 and parts[4].strip() else factor
    except ValueError:
        raise ValueError(f"incident: start, duration and strength must be numbers in {spec!r}") from None
    if start < 0 or duration <= 0 or factor < 0:
        raise ValueError(f"incident: start and strength must be >= 0 and duration > 0 in {spec!r}")
    by_region = {r.name: r for r in regions}
    dept_region = {d.name: r for r in regions for d in r.departments}
    region, department, channel = regions[0], None, None
    if scope in by_region:
        region = by_region[scope]
    elif scope in dept_region:
        region, department = dept_region[scope], scope
    elif scope in CHANNEL_NAMES and kind == "misclassification_wave":
        channel = scope
    elif scope:
        raise ValueError(f"incident: {scope!r} is not a simulated region or department"
                         + (" or channel" if kind == "misclassification_wave" else ""))
    if kind in ("department_stall", "slow_feedback") and department is None:
        department = _department_for(kind, region)
    if kind == "misclassification_wave" and channel is None:
        channel = "app"
    return Incident(kind, region.name, start, duration, factor, department, channel,
                    affected=seed_affected if kind == "outage_surge" else 0)


def demo_incidents(regions: list[Region]) -> list[Incident]:
    """A preset that makes the board visibly busy within the first 20 simulated minutes."""
    names = [r.name for r in regions]
    pick = lambda i: names[i % len(names)]  # noqa: E731
    specs = [f"understaffed_receive:{pick(0)}:2:60", f"outage_surge:{pick(1)}:6:90",
             f"department_stall:{pick(2)}:12:75", "misclassification_wave:wechat:15:120",
             f"sentiment_storm:{pick(3)}:18:180"]
    return [parse_incident(s, regions) for s in specs]
