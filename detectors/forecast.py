"""Time-to-breach forecast for one stage of one scope: a queueing view of the open orders.

By Little's law the time an order will wait in a stage is about backlog ÷ service rate. When the orders now
queued will, at the rate the stage is completing them, take longer than the stage's deadline, breaches are
coming even though none has happened yet — the warning the static rules cannot give. The estimate uses only
counters the scope stage keeps anyway (open short-deadline checks, checks closed per minute over the last
15 minutes, the mean deadline of the checks); no per-order scan.

>>> f = BreachForecast(min_orders=4, horizon_share=1.0)
>>> f.forecast(open_orders=12, closed_per_min=[1, 1, 1, 1, 1, 1], mean_deadline_min=5.0)["time_to_clear_min"]
12.0
>>> f.verdict(open_orders=12, closed_per_min=[1, 1, 1, 1, 1, 1], mean_deadline_min=5.0)
'orange'
>>> f.verdict(open_orders=12, closed_per_min=[6, 6, 5, 6, 7, 6], mean_deadline_min=5.0) is None
True
>>> f.verdict(open_orders=6, closed_per_min=[0, 0, 0, 0, 0, 0], mean_deadline_min=15.0)   # a stalled desk
'red'
>>> f.verdict(open_orders=3, closed_per_min=[0] * 15, mean_deadline_min=45.0) is None   # a quiet night
True
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class BreachForecast:
    """Forecast whether the queued orders of a stage will breach its deadline.

    Parameters: ``min_orders`` — smaller queues are never forecast to breach (a couple of orders are
    handled by anyone); ``horizon_share`` — warn when clearing the queue takes this share of the deadline;
    ``min_minutes`` — minutes of service history needed before forecasting.
    """

    def __init__(self, min_orders: int = 4, horizon_share: float = 1.0, min_minutes: int = 5) -> None:
        self.min_orders = min_orders
        self.horizon_share = horizon_share
        self.min_minutes = min_minutes

    def forecast(self, open_orders: int, closed_per_min: Sequence[float],
                 mean_deadline_min: float) -> dict[str, Any]:
        """Service rate, time to clear the queue and the minutes until the first forecast breach."""
        minutes = len(closed_per_min)
        rate = sum(closed_per_min) / minutes if minutes else 0.0
        clear = open_orders / rate if rate > 0 else float("inf")
        return {"open": open_orders, "service_per_min": round(rate, 3),
                "time_to_clear_min": round(clear, 1) if clear != float("inf") else None,
                "mean_deadline_min": round(mean_deadline_min, 1),
                "minutes_to_breach": (round(max(0.0, mean_deadline_min - clear / 2.0), 1)
                                      if clear != float("inf") else 0.0)}

    def ratio(self, open_orders: int, closed_per_min: Sequence[float], mean_deadline_min: float) -> float | None:
        """Time to clear the queue ÷ (share of) the deadline; None when there is too little to judge."""
        if open_orders < self.min_orders or len(closed_per_min) < self.min_minutes or mean_deadline_min <= 0:
            return None
        # no completion at all in the window: assume one every two windows rather than none (a quiet night
        # is not a stall unless the queue is large against the deadline)
        rate = max(sum(closed_per_min), 0.5) / len(closed_per_min)
        return (open_orders / rate) / (self.horizon_share * mean_deadline_min)

    def verdict(self, open_orders: int, closed_per_min: Sequence[float], mean_deadline_min: float) -> str | None:
        """None while the queue clears in time; yellow / orange / red as it clears ever later (red: stalled)."""
        ratio = self.ratio(open_orders, closed_per_min, mean_deadline_min)
        if ratio is None or ratio < 1.0:
            return None
        if ratio >= 4.0:
            return "red"
        return "orange" if ratio >= 2.0 else "yellow"
