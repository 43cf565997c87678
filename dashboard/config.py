"""Configuration of the board (``[dashboard]`` in the TOML file, ``YUJING_DASHBOARD__<FIELD>`` in the env).

>>> DashboardConfig().refresh_s, DashboardConfig().stale_after_s
(2.0, 60.0)
"""
from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

USERS_FILE_ENV = "YUJING_USERS_FILE"
"""Short env override of :attr:`DashboardConfig.users_file` (wins over the config file)."""


class DashboardConfig(BaseModel):
    """Board settings: who may log in, how often the wall screen refreshes, when data counts as stale."""

    users_file: str = Field("./var/users.toml",
                            description=f"TOML file of board users (bcrypt hashes), outside the repo; "
                                        f"${USERS_FILE_ENV} overrides")
    refresh_s: float = Field(2.0, gt=0.2, description="live board refresh interval, seconds")
    stale_after_s: float = Field(60.0, gt=0, description="data older than this (wall clock) turns the "
                                                         "freshness indicator red: the pipeline has stalled")
    base_url: str = Field("http://127.0.0.1:8501", description="public URL of the board, used in notification "
                                                              "links to an alert")
    default_lang: Literal["zh", "en"] = Field("zh", description="UI language for users who did not choose one")
    sound: bool = Field(True, description="offer the audible cue for a new red alert (each user still opts in)")
    max_cards: int = Field(12, ge=1, description="active alerts shown as action cards; the rest in a table")
    shift_starts: list[str] = Field(["08:00", "16:00", "00:00"], min_length=1,
                                    description="when duty shifts start (HH:MM, business clock): the handover "
                                                "page's shift is the time since the last of them")
    group_orders_min: int = Field(3, ge=0, description="per-order alerts of one kind, region and tier fold into "
                                                       "one card once there are this many (0 = never fold)")

    @field_validator("shift_starts")
    @classmethod
    def _hh_mm(cls, starts: list[str]) -> list[str]:
        """Each start a time of day, ``"08:00"``; written back in that form."""
        return sorted({time.fromisoformat(s.strip()).strftime("%H:%M") for s in starts})

    def users_path(self) -> Path:
        """Where the users file is: ``$YUJING_USERS_FILE`` if set, else :attr:`users_file`."""
        return Path(os.environ.get(USERS_FILE_ENV) or self.users_file).expanduser()
