"""What the order stage tells the scope stage: small, serialisable facts about one order at one moment.

A signal carries the order's dimensions (region, department, category, channel) so that the scope stage can
update every scope the order belongs to without knowing the order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# signal kinds
OPEN = "open"          # an SLA check opened (value = deadline epoch s, value2 = start)
CLOSE = "close"        # an SLA check closed (value = highest share level it had crossed, 0 if none; value2 = span s)
CROSS = "cross"        # an open check crossed a share of its deadline (value = level: 0.5 … 1.0; value2 = span s)
ARRIVAL = "arrival"    # a new order (value = affected customers, 0 if none)
TEXT = "text"          # a customer text was scored (value = negativity, value2 = 1 if escalation words)
RECLASS = "reclass"    # dispatched with a different category
BOUNCE = "bounce"      # reassigned to another department
URGE = "urge"          # the customer urged
REPEAT = "repeat"      # a repeat contact (same customer and category within the window)
ESCALATED = "escalated"  # the ground-truth harm: the order became a complaint / went to 12398 ...
CLOSED = "closed"      # the order was closed
ONSITE = "onsite"      # a crew of the order's department arrived on site (its on-site work begins)
AGENT = "agent"        # an order was accepted by a named receive agent (check = agent_id; only if staffing is watched)
DONE = "done"          # the department reported the work of an order it had been on site for done (first reply)
TOPIC = "topic"        # a new contact's first text (check = its topics joined by "|", "" when none; value = negativity;
#                        value2 = FILING_* below: what the text → category model made of the category filed)
FILING_UNJUDGED, FILING_AS_READ, FILING_MISFILED = 0.0, 1.0, 2.0
"""The text → category model (detectors/misfile.py) was too young to judge / the text reads as the category
filed (or it is unsure) / the text confidently reads as another category."""


@dataclass(slots=True)
class ScopeSignal:
    kind: str
    t: float
    order_id: str
    stage: str | None
    region: str
    department: str | None
    category: str
    channel: str
    check: str | None = None
    value: float = 0.0
    value2: float = 0.0

    def dims(self) -> tuple[tuple[str, str], ...]:
        """The scopes this signal counts in: the total and one per dimension."""
        out: list[tuple[str, str]] = [("total", "all"), ("region", self.region), ("category", self.category),
                                      ("channel", self.channel)]
        if self.department:
            out.append(("department", self.department))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.kind, "t": self.t, "o": self.order_id, "s": self.stage, "r": self.region,
                "d": self.department, "c": self.category, "ch": self.channel, "x": self.check,
                "v": self.value, "v2": self.value2}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ScopeSignal":
        return cls(d["k"], d["t"], d["o"], d["s"], d["r"], d["d"], d["c"], d["ch"], d["x"], d["v"], d["v2"])
