"""Times on the board in the business time zone (``clock.utc_offset_h``, China +8), whatever the server's zone.

The image runs in UTC (``python:3.11-slim`` sets no ``TZ``) while the people reading the board, and the alerts'
own timestamps (``+08:00``), are on Beijing time: a board formatting with the server's local time showed every
time eight hours off, unlabelled. Every time the board shows goes through :func:`show`, and pages that list
times say the zone once (:func:`zone_name`).
"""
from __future__ import annotations

from datetime import date, datetime, time as dtime, timedelta, timezone

from yujing import records


def offset_h() -> float:
    """The business zone's offset from UTC in hours (``clock.utc_offset_h`` of the configuration)."""
    from dashboard.data import settings
    return float(settings().clock.utc_offset_h)


def zone(hours: float | None = None) -> timezone:
    return timezone(timedelta(hours=offset_h() if hours is None else hours))


def zone_name(hours: float | None = None) -> str:
    """The business zone's name, ``UTC+8`` (:func:`yujing.records.zone_name`)."""
    return records.zone_name(offset_h() if hours is None else hours)


def show(ts: float | None, fmt: str = "%Y-%m-%d %H:%M:%S", hours: float | None = None) -> str:
    """Epoch seconds as wall time in the business zone ("" for no time).

    >>> show(1783992760.0, hours=8.0), show(1783992760.0, "%H:%M", hours=0.0), show(None, hours=8.0)
    ('2026-07-14 09:32:40', '01:32', '')
    """
    if ts is None:
        return ""
    return datetime.fromtimestamp(float(ts), zone(hours)).strftime(fmt)


def today(hours: float | None = None) -> date:
    """Today's date in the business zone (what "today" means to the people reading the board)."""
    return datetime.now(zone(hours)).date()


def day_start(day: date, hours: float | None = None) -> float:
    """Epoch seconds of midnight starting ``day`` in the business zone.

    >>> day_start(date(2026, 7, 14), hours=8.0) == datetime(2026, 7, 13, 16, tzinfo=timezone.utc).timestamp()
    True
    """
    return datetime.combine(day, dtime.min, zone(hours)).timestamp()
