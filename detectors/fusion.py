"""Tier fusion for one order: rule signals, the risk model and the customer tier become one tier.

domain.md's early-warning tiers, per order: blue ≥ 50 % of a deadline used or one weak signal; yellow ≥ 75 %
or a repeat contact within 24 h; orange ≥ 90 % or an urge or escalation words; red = breached, an explicit
threat to go to 12398/12345/media, or an outage hitting many customers. Thresholds are configuration.

Two kinds of per-order alert come out of here: ``<stage>_lag`` (an SLA check of that stage is at or past the
configured share of its deadline) and ``complaint_risk`` (signals and the model say the customer is likely to
escalate).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from yujing.config import Settings
from yujing.masking import mask_pii
from yujing.records import TIER_RANK, Condition

TIER_BY_RANK = {v: k for k, v in TIER_RANK.items()}
_mask_text = lru_cache(maxsize=8192)(mask_pii)
"""Customer texts repeat across orders and updates: mask each distinct text once."""
LAG_KIND = {"receive_ack": "receive_lag", "dispatch": "dispatch_lag", "dept_accept": "dispatch_lag",
            "feedback": "feedback_lag"}


def max_tier(*tiers: str | None) -> str | None:
    return TIER_BY_RANK[max(TIER_RANK[t] for t in tiers)]


class OrderTiering:
    """Turns an order's state, features and risk into a ``complaint_risk`` condition (or its clearing)."""

    def __init__(self, settings: Settings) -> None:
        self.cfg = settings.detectors.order_tiers
        self.offset = settings.clock.utc_offset_h

    def risk_tier(self, risk: float) -> str | None:
        c = self.cfg
        if risk >= c.risk_red:
            return "red"
        if risk >= c.risk_orange:
            return "orange"
        if risk >= c.risk_yellow:
            return "yellow"
        if risk >= c.risk_blue:
            return "blue"
        return None

    def signal_tier(self, o: Any) -> tuple[str | None, list[str]]:
        c = self.cfg
        tier: str | None = None
        why: list[str] = []
        if o.repeat_24h:
            tier = max_tier(tier, c.repeat_tier)
            why.append("repeat_contact_24h")
        if o.urges:
            tier = max_tier(tier, c.urge_tier)
            why.append(f"urged_{o.urges}x")
        if o.threats:
            tier = max_tier(tier, c.threat_tier)
            why.append("escalation_words")
        if o.affected >= c.outage_red_customers:
            tier = max_tier(tier, "orange")
            why.append(f"outage_{o.affected}_customers")
        return tier, why

    def verdict_tier(self, o: Any, risk: float) -> str | None:
        """The tier :meth:`order_condition` would give now (None: closed, or below the alert tier), without
        building the condition: most updates leave an order's tier as it was, and the summary and evidence
        (masked customer text) are costly to build only to be dropped."""
        if o.closed_at is not None:
            return None
        tier = max_tier(self.risk_tier(risk), self.signal_tier(o)[0])
        return tier if TIER_RANK[tier] >= TIER_RANK[self.cfg.alert_min_tier] else None

    def order_condition(self, o: Any, x: dict[str, float], risk: float, factors: list[str],
                        t: float) -> Condition | None:
        """The order's ``complaint_risk`` verdict now; None while it stays below the alert tier."""
        if o.closed_at is not None:
            return self.clear(o, t) if o.order_tier is not None else None
        sig_tier, why = self.signal_tier(o)
        tier = max_tier(self.risk_tier(risk), sig_tier)
        if TIER_RANK[tier] < TIER_RANK[self.cfg.alert_min_tier]:
            return self.clear(o, t) if o.order_tier is not None else None
        reasons = list(dict.fromkeys(why + factors))[:5]
        summary = (f"工单 {o.order_id} 投诉风险 {risk:.0%}（{o.region}/{o.category}/{o.channel}）: "
                   + ", ".join(reasons))
        return Condition(
            kind="complaint_risk", scope=self.scope(o), tier=tier, ts=t,
            stage=o.stage if o.stage != "closed" else None, score=risk, summary=mask_pii(summary),
            evidence={"risk": round(risk, 4), "top_factors": reasons, "share_max": round(x.get("share_max", 0), 3),
                      "urges": o.urges, "negativity_max": round(o.neg_max, 3), "customer_tier": o.tier,
                      "category": o.category, "channel": o.channel, "department": o.department,
                      "last_text": _mask_text(o.last_text)})

    def lag_condition(self, o: Any, check: str, level: float, t: float, deadline: float,
                      stage: str) -> Condition | None:
        """A per-order lag alert when an SLA check reaches the configured share (None below it)."""
        if level < self.cfg.lag_alert_level:
            return None
        tier = "red" if level >= 1.0 else "orange" if level >= 0.9 else "yellow"
        what = "已超时" if level >= 1.0 else f"已用时限 {level:.0%}"
        return Condition(
            kind=LAG_KIND[check], scope=self.scope(o), tier=tier, ts=t, stage=stage, score=level,
            summary=mask_pii(f"工单 {o.order_id} {stage} 环节 {check} {what}（{o.region}/{o.category}/{o.channel}）"),
            evidence={"check": check, "share_used": level, "deadline": deadline, "category": o.category,
                      "channel": o.channel, "customer_tier": o.tier, "department": o.department})

    def lag_clear(self, o: Any, check: str, t: float, stage: str) -> Condition:
        return Condition(kind=LAG_KIND[check], scope=self.scope(o), tier=None, ts=t, stage=stage,
                         summary=f"工单 {o.order_id} {check} 已完成")

    def clear(self, o: Any, t: float) -> Condition:
        return Condition(kind="complaint_risk", scope=self.scope(o), tier=None, ts=t, stage=None,
                         summary=f"工单 {o.order_id} 风险解除")

    @staticmethod
    def scope(o: Any) -> dict[str, str]:
        return {"order_id": o.order_id, "region": o.region}
