"""The simulated province: regions, their departments, and the mixes of who contacts us how and when.

Numbers are plausible shapes, not measurements: a night trough around 03:00-04:00, a morning peak 09:00-11:00,
a lunch dip and an evening peak when people get home and find the power off. Staffing is planned from the same
curve (``agents_by_hour``), so a normal day runs at ~40 % agent utilisation and only incidents build queues.

>>> curve = diurnal(10 * 3600) / diurnal(3 * 3600)
>>> curve > 4
True
>>> [r.name for r in default_regions(3)]
['north', 'east', 'south']
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

# Relative arrival intensity at the start of each local hour (linear in between); 1.0 = morning peak.
HOURLY_SHAPE: tuple[float, ...] = (
    0.30, 0.20, 0.14, 0.11, 0.11, 0.16, 0.30, 0.55, 0.82, 0.98, 1.00, 0.96,
    0.80, 0.74, 0.82, 0.86, 0.84, 0.80, 0.82, 0.92, 0.94, 0.82, 0.62, 0.44,
)
WEEKEND_FACTOR = 0.8
PEAK_ORDERS_PER_MIN = 1.0
"""New orders per minute at the morning peak for a region of size 1.0 (scale 1)."""

CATEGORY_MIX: dict[str, float] = {
    "fault_repair": 0.30, "consultation": 0.27, "service_request": 0.18, "complaint": 0.06,
    "opinion": 0.06, "report": 0.03, "suggestion": 0.05, "praise": 0.05,
}
CHANNEL_MIX: dict[str, float] = {
    "hotline": 0.50, "app": 0.18, "wechat": 0.12, "web": 0.06, "hall": 0.05, "sms": 0.02,
    "12345": 0.04, "12398": 0.01, "other": 0.02,
}
TIER_MIX: dict[str, float] = {"premium": 0.05, "potential": 0.12, "regular": 0.83}
ONLINE_CHANNELS = frozenset({"app", "wechat", "web", "sms", "12345", "12398", "other"})

# Published/inferred deadlines in minutes (shared/domain.md); the customer's sense of "late" follows them.
RECEIVE_ACK_MIN = {"hotline": 5.0, "hall": 5.0}
RECEIVE_ACK_ONLINE_MIN = 30.0
ARRIVAL_MIN = {"urban": 45.0, "rural": 90.0, "remote": 120.0}
REPLY_MIN = {"complaint": 24 * 60.0, "consultation": 24 * 60.0, "report": 9 * 24 * 60.0}
REPLY_DEFAULT_MIN = 5 * 24 * 60.0
RESTORE_MIN = {"urban": 180.0, "rural": 240.0, "remote": 240.0}
TIER_FACTOR = {"premium": 0.67, "potential": 0.8, "regular": 1.0}


@dataclass(frozen=True)
class Department:
    """A unit that takes dispatched orders: ``repair`` crews, ``marketing`` (营销) or ``metering`` (计量)."""

    name: str
    kind: str


@dataclass(frozen=True)
class Region:
    """A city/county company: its relative size, urban/rural/remote mix and departments."""

    name: str
    size: float
    areas: dict[str, float]
    departments: tuple[Department, ...] = field(default=())

    def of_kind(self, kind: str) -> list[Department]:
        return [d for d in self.departments if d.kind == kind]


_REGION_TABLE: tuple[tuple[str, float, tuple[float, float, float], int, bool], ...] = (
    # name, size, (urban, rural, remote), repair units, has metering
    ("north", 1.6, (0.78, 0.18, 0.04), 2, True),
    ("east", 1.3, (0.70, 0.26, 0.04), 2, True),
    ("south", 1.0, (0.58, 0.36, 0.06), 1, True),
    ("west", 0.85, (0.50, 0.38, 0.12), 1, True),
    ("lakeside", 0.7, (0.85, 0.15, 0.00), 1, False),
    ("highland", 0.55, (0.22, 0.50, 0.28), 1, False),
    ("coast", 0.9, (0.66, 0.30, 0.04), 1, True),
    ("plain", 0.75, (0.40, 0.55, 0.05), 1, False),
)


def _make_region(name: str, size: float, areas: tuple[float, float, float], repairs: int, metering: bool) -> Region:
    depts = [Department(f"{name}-repair-{i + 1}", "repair") for i in range(repairs)]
    depts.append(Department(f"{name}-marketing", "marketing"))
    if metering:
        depts.append(Department(f"{name}-metering", "metering"))
    return Region(name, size, dict(zip(("urban", "rural", "remote"), areas)), tuple(depts))


def default_regions(n: int = 6) -> list[Region]:
    """The first ``n`` regions of the built-in province (1..8)."""
    if not 1 <= n <= len(_REGION_TABLE):
        raise ValueError(f"regions: choose 1..{len(_REGION_TABLE)}, got {n}")
    return [_make_region(*row) for row in _REGION_TABLE[:n]]


def regions_from_spec(spec: str | int | None) -> list[Region]:
    """``6`` -> six built-in regions; ``"north,east,foo"`` -> those (unknown names get a mid-size default)."""
    if spec is None or spec == "":
        return default_regions(6)
    if isinstance(spec, int) or str(spec).strip().isdigit():
        return default_regions(int(spec))
    known = {row[0]: row for row in _REGION_TABLE}
    out = []
    for name in (s.strip() for s in str(spec).split(",")):
        if not name:
            continue
        row = known.get(name, (name, 1.0, (0.65, 0.3, 0.05), 1, True))
        out.append(_make_region(*row))
    if not out:
        raise ValueError(f"regions: no region names in {spec!r}")
    return out


def diurnal(local_seconds_of_day: float) -> float:
    """Arrival intensity (peak = 1.0) at a local time of day, linear between hourly anchors."""
    h = (local_seconds_of_day / 3600.0) % 24.0
    i = int(h)
    frac = h - i
    return HOURLY_SHAPE[i] * (1.0 - frac) + HOURLY_SHAPE[(i + 1) % 24] * frac


def agents_by_hour(region: Region, scale: float, weekend: bool, mean_service_min: float = 1.75,
                   target_util: float = 0.4) -> list[int]:
    """Receive agents on shift each local hour, planned for ``target_util`` at the expected demand."""
    day = WEEKEND_FACTOR if weekend else 1.0
    out = []
    for h in range(24):
        peak_in_hour = max(HOURLY_SHAPE[h], HOURLY_SHAPE[(h + 1) % 24])
        load = PEAK_ORDERS_PER_MIN * region.size * scale * day * peak_in_hour * mean_service_min
        out.append(max(1, math.ceil(load / target_util)))
    return out
