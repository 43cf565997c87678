"""Per-order alerts folded into one card per kind, region and tier — what the board shows in an alert storm.

An outage or a stalled department puts hundreds of orders at risk within an hour. Shown one card each, they bury
the handful of aggregate alerts that say *why* (a surge in the region, a stalled department) under pages of
look-alike cards. The board therefore folds per-order alerts the way Alertmanager groups notifications: by kind,
region and tier (the default ``alerts.group_by``), once a group has ``min_group`` members. Aggregate alerts are
never folded and lead their tier; a group leads the single order alerts of its tier.

>>> a = lambda i, tier="red", kind="complaint_risk", region="east": {
...     "alert_id": f"a{i}", "tier": tier, "kind": kind, "score": i / 10, "ts": 100.0 + i,
...     "scope": {"order_id": f"WO-{i}", "region": region}}
>>> surge = {"alert_id": "s", "tier": "orange", "kind": "arrival_surge", "ts": 50.0, "scope": {"region": "east"}}
>>> items = board_items([a(1), a(2), a(3), a(4, region="west"), surge], min_group=3)
>>> [(x.kind, x.region, len(x.alerts)) if isinstance(x, AlertGroup) else x["alert_id"] for x in items]
[('complaint_risk', 'east', 3), 'a4', 's']
>>> items[0].alerts[0]["alert_id"], items[0].unacked        # the riskiest order first
('a3', 3)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboard.components import TIER_RANK
from dashboard.data import fired_at


@dataclass
class AlertGroup:
    """Per-order alerts of one kind, region and tier, riskiest first."""

    kind: str
    region: str
    tier: str
    alerts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Stable across refreshes (the card's widget keys derive from it)."""
        return f"{self.tier}|{self.kind}|{self.region}"

    @property
    def unacked(self) -> int:
        return sum(1 for a in self.alerts if not a.get("acked_by"))

    @property
    def oldest(self) -> float | None:
        times = [t for t in (fired_at(a) for a in self.alerts) if t is not None]
        return min(times) if times else None


def is_order_alert(alert: dict[str, Any]) -> bool:
    """An alert about one work order or one customer (its scope names them), not about a region, department
    or channel."""
    scope = alert.get("scope") or {}
    return bool(scope.get("order_id") or scope.get("customer_id"))


def board_items(alerts: list[dict[str, Any]], min_group: int = 3) -> list[dict[str, Any] | AlertGroup]:
    """The active alerts as the board lists them: most severe tier first; within a tier, aggregate alerts,
    then groups of order alerts (largest first), then single order alerts; unacknowledged before acknowledged,
    then oldest first. ``min_group`` 0 folds nothing."""
    groups: dict[tuple[str, str, str], AlertGroup] = {}
    singles: list[dict[str, Any]] = []
    for a in alerts:
        if min_group and is_order_alert(a):
            tier, kind = str(a.get("tier") or ""), str(a.get("kind") or "")
            region = str((a.get("scope") or {}).get("region") or "")
            key = (tier, kind, region)
            g = groups.get(key)
            if g is None:
                g = groups[key] = AlertGroup(kind, region, tier)
            g.alerts.append(a)
        else:
            singles.append(a)
    items: list[dict[str, Any] | AlertGroup] = []
    for g in groups.values():
        if len(g.alerts) >= min_group:
            g.alerts.sort(key=lambda a: (-float(a.get("score") or 0.0), fired_at(a) or 0.0))
            items.append(g)
        else:
            singles.extend(g.alerts)
    items.extend(singles)

    def rank(x: dict[str, Any] | AlertGroup) -> tuple:
        if isinstance(x, AlertGroup):
            return (-TIER_RANK.get(x.tier, 0), 1, x.unacked == 0, -len(x.alerts), x.oldest or 0.0)
        level = 2 if is_order_alert(x) else 0
        return (-TIER_RANK.get(x.get("tier"), 0), level, bool(x.get("acked_by")), 0, fired_at(x) or 0.0)

    return sorted(items, key=rank)
