"""A large province's day, minute by minute, for the tests of shares judged with their sampling spread
(``arrival_surge``'s fault reports, ``sentiment_drop``'s angry texts): busy from 08:00 to 20:00, then a night
of few contacts, when a share moves by chance further than the spread learned over busy hours allows."""
from __future__ import annotations

import random
from typing import Callable

from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from yujing.config import Settings, load_config

T0 = 1_784_000_000.0
REGIONS = ("north", "south", "east", "west", "valley")


def scope_settings(**fields: object) -> Settings:
    """The default configuration with these ``detectors.scope`` fields set."""
    s = load_config(None)
    for name, value in fields.items():
        setattr(s.detectors.scope, name, value)
    return s


def province_day(stage: ScopeStage, seed: int, contact: Callable[[random.Random, float, int, str, int], ScopeSignal],
                 day_rate: float, night_rate: float, hours: int = 22,
                 north_weight: Callable[[int], float] = lambda minute: 1.0) -> list:
    """Feed ``stage`` ``day_rate`` contacts a minute over five equal regions for 12 hours, then ``night_rate``,
    for ``hours`` (binomial counts); ``contact(rng, t, n, region, minute)`` makes the signal of one,
    ``north_weight(minute)`` is the north's weight among the regions. Returns the conditions raised."""
    rng = random.Random(seed)
    out: list = []
    n = 0
    for minute in range(hours * 60):
        t = T0 + minute * 60.0
        rate = day_rate if minute < 12 * 60 else night_rate
        weights = [north_weight(minute) if r == "north" else 1.0 for r in REGIONS]
        k = sum(1 for _ in range(int(rate * 3)) if rng.random() < 1 / 3)   # binomial, mean = rate
        for region in rng.choices(REGIONS, weights, k=k):
            n += 1
            out += stage.apply(contact(rng, t, n, region, minute))
        out += stage.advance(t)
    return out
