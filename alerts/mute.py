"""Mute-window stage: recurring windows (nights, weekends, holidays) in which matching alerts are not
notified. The alert still fires and is recorded; its group is flushed again when the window ends.

>>> from alerts.config import MuteWindow
>>> w = MuteWindows([MuteWindow(name="night", matchers={"tier": "blue"}, start="22:00", end="07:00")], 8.0)
>>> t = 1783954800.0  # 2026-07-13 23:00 +08:00
>>> w.muted({"tier": "blue"}, t)
('night', 1783983600.0)
>>> w.muted({"tier": "red"}, t), w.muted({"tier": "blue"}, t + 9 * 3600)
(None, None)
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Mapping

from alerts.config import MuteWindow
from alerts.matchers import Matcher


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class MuteWindows:
    def __init__(self, windows: list[MuteWindow], utc_offset_h: float = 8.0):
        self.windows = windows
        self._match = [(w, Matcher(w.matchers)) for w in windows]
        self.tz = timezone(timedelta(hours=utc_offset_h))

    def _applies_on(self, w: MuteWindow, day: datetime) -> bool:
        if w.dates:
            return day.date().isoformat() in w.dates
        return day.weekday() in w.weekdays

    def _span_if_inside(self, w: MuteWindow, now: float) -> tuple[float, float] | None:
        """(start, end) as epochs of the occurrence of ``w`` that ``now`` falls in, if any."""
        local = datetime.fromtimestamp(now, self.tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = _minutes(w.start), _minutes(w.end)
        minute = (now - midnight.timestamp()) / 60
        spans = []  # (window start day offset, start minute, end minute) relative to today's midnight
        if start < end:
            spans.append((0, start, end))
        else:  # crosses midnight: today's evening part and the morning part of a window that began yesterday
            spans += [(0, start, 24 * 60 + end), (-1, start - 24 * 60, end)]
        for day_off, lo, hi in spans:
            if lo <= minute < hi and self._applies_on(w, midnight + timedelta(days=day_off)):
                return midnight.timestamp() + lo * 60, midnight.timestamp() + hi * 60
        return None

    def muted(self, labels: Mapping[str, str], now: float) -> tuple[str, float] | None:
        """(window name, local end time as epoch) if a window mutes an alert with these labels now."""
        span = self.span(labels, now)
        return (span[0], span[2]) if span is not None else None

    def span(self, labels: Mapping[str, str], now: float) -> tuple[str, float, float] | None:
        """(window name, start, end) of the window occurrence muting an alert with these labels now, if any
        (the start: escalation does not count the time a window has muted the alert).

        >>> MuteWindows([MuteWindow(name="night", start="22:00", end="07:00")], 8.0).span({}, 1783954800.0)
        ('night', 1783951200.0, 1783983600.0)
        """
        for w, match in self._match:
            if match(labels):
                span = self._span_if_inside(w, now)
                if span is not None:
                    return w.name, span[0], span[1]
        return None
