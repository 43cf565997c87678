"""The reclassification watch of a small channel end to end through the scope stage, with known answers: the
text test's usual share when the text model starts judging mid-wave, and the joint evidence of texts and
dispatches."""
from __future__ import annotations

import math
import random

import pytest
from pydantic import ValidationError

from streams import signals as S
from streams.scope_stage import ScopeStage
from streams.signals import ScopeSignal
from yujing.config import load_config

T0 = 1_784_000_000.0  # some Tuesday
RATES = {"hotline": 120, "app": 40, "wechat": 25, "web": 15}   # new contacts an hour per channel


def settings(**scope):
    s = load_config(None)
    for k, v in scope.items():
        setattr(s.detectors.scope, k, v)
    return s


class Desk:
    """New contacts on three channels; a text per contact judged by the text model once it ``judges``; the first
    dispatch 20 minutes later changes the category of three in four misfiled orders."""

    def __init__(self, stage: ScopeStage, seed: int = 1) -> None:
        self.stage, self.rng, self.n, self.pending, self.out = stage, random.Random(seed), 0, [], []

    def sig(self, kind: str, t: float, oid: str, channel: str, category: str = "consultation", **kw) -> None:
        stage = "decompose" if kind in (S.OPEN, S.CLOSE, S.RECLASS) else ("receive" if kind == S.TOPIC else None)
        self.out += self.stage.apply(ScopeSignal(kind, t, oid, stage, "north", None, category, channel, **kw))

    def run(self, start_h: float, hours: float, misfiled=lambda ch, h: 0.04, judges=lambda h: True,
            rates=RATES, noise=lambda ch, h: 0.0) -> list:
        """``noise(ch, h)``: the share of rightly filed contacts the text model reads as misfiled (0: none)."""
        first = len(self.out)
        for m in range(int(hours * 60)):
            h = start_h + m / 60
            t = T0 + h * 3600
            while self.pending and self.pending[0][0] <= t:
                _, oid, ch, wrong = self.pending.pop(0)
                self.sig(S.OPEN, t, oid, ch, check="dispatch", value=t + 3600, value2=t)
                if wrong and self.rng.random() < 0.75:
                    self.sig(S.RECLASS, t, oid, ch)
                self.sig(S.CLOSE, t, oid, ch, check="dispatch", value2=600.0)
            for ch, per_hour in rates.items():
                for _ in range(self._poisson(per_hour / 60)):
                    self.n += 1
                    oid = f"WO-{self.n}"
                    wrong = self.rng.random() < misfiled(ch, h)
                    seen = wrong and self.rng.random() < 0.8          # the text model finds most of them
                    wrongly = noise(ch, h)
                    if not wrong and wrongly > 0 and self.rng.random() < wrongly:
                        seen = True                                       # ... and flags some rightly filed
                    flag = (S.FILING_MISFILED if seen else S.FILING_AS_READ) if judges(h) else S.FILING_UNJUDGED
                    self.sig(S.ARRIVAL, t, oid, ch)
                    self.sig(S.TOPIC, t, oid, ch, check="", value=0.2, value2=flag)
                    self.pending.append((t + 1200, oid, ch, wrong))
            self.out += self.stage.advance(t)
        return [c for c in self.out[first:] if c.kind == "reclassification" and c.tier is not None]

    def _poisson(self, lam: float) -> int:
        k, x = 0, self.rng.random()
        p = math.exp(-lam)
        s = p
        while x > s:
            k += 1
            p *= lam / k
            s += p
        return k


def first_minutes(alerts: list, start_h: float, channel: str) -> float | None:
    hits = [c.ts for c in alerts if c.scope == {"channel": channel}]
    return (min(hits) - (T0 + start_h * 3600)) / 60 if hits else None


def web_wave(ch: str, h: float) -> float:
    return 0.35 if ch == "web" else 0.04


def test_a_wave_under_way_when_the_text_model_starts_judging_is_not_learned_as_usual():
    """The text model judges only once it has 300 labels, every channel at once, hours into a stream: a wave
    on wechat already on then must not become the channel's usual share while the province's is unknown."""
    found = {True: [], False: []}
    for seed in range(6):
        for prior in (True, False):
            # the text test alone (the dispatch test finds these waves too, later)
            d = Desk(ScopeStage(settings(misfile_prior_contacts=50 if prior else 0, reclass_joint_threshold=0.0,
                                         reclass_threshold=1e9)), seed)
            assert d.run(0, 6, judges=lambda h: False) == []
            wave = d.run(6, 2.5, misfiled=lambda ch, h: 0.35 if ch == "wechat" and h >= 6.25 else 0.04,
                         judges=lambda h: h >= 6.5)
            found[prior].append(first_minutes(wave, 6.5, "wechat"))
    with_prior = [m for m in found[True] if m is not None]
    assert len(with_prior) >= 4 and max(with_prior) <= 120       # most found within two hours of the first verdicts
    assert sum(m is not None for m in found[False]) <= 1         # else the wave became "usual": mostly never


def test_texts_and_dispatches_together_find_a_wave_on_a_small_channel_sooner():
    """web, 15 contacts an hour, 35 % misfiled: neither test alone has much to go on; their sum does."""
    found = {}
    for joint in (0.0, 13.0):
        found[joint] = []
        for seed in range(8):
            d = Desk(ScopeStage(settings(reclass_joint_threshold=joint)), seed)
            assert d.run(0, 8) == []                                        # eight ordinary hours: nothing
            found[joint].append(first_minutes(d.run(8, 3, misfiled=web_wave), 8, "web"))
    alone, joint = found[0.0], found[13.0]
    assert None not in joint and None not in alone                          # found either way, in 3 hours
    assert all(j <= a for j, a in zip(joint, alone))                        # never later
    assert sum(j < a for j, a in zip(joint, alone)) >= 3                    # sooner on three of eight
    assert sum(alone) - sum(joint) >= 30                                    # by half an hour and more in all


def test_a_quiet_night_and_a_province_wide_surge_stay_silent():
    """Few contacts an hour at night, then every channel four times as busy (an outage's fault reports, filed
    as what they are): counts of misfiled orders rise with the volume, their share does not."""
    d = Desk(ScopeStage(settings()), 3)
    assert d.run(0, 24, rates={k: v / 6 for k, v in RATES.items()}) == []
    assert d.run(24, 4, rates={k: v * 4 for k, v in RATES.items()}) == []


def test_the_joint_test_and_the_province_prior_are_configuration(tmp_path):
    """On by default at the documented values (README: 13 and 50), settable from a configuration file (0 = off),
    and a negative count of contacts is refused rather than silently read as "off"."""
    scope = load_config(None).detectors.scope
    assert (scope.reclass_joint_threshold, scope.misfile_prior_contacts) == (13.0, 50)
    toml = tmp_path / "yujing.toml"
    toml.write_text("[detectors.scope]\nreclass_joint_threshold = 9.5\nmisfile_prior_contacts = 0\n")
    scope = load_config(toml).detectors.scope
    assert (scope.reclass_joint_threshold, scope.misfile_prior_contacts) == (9.5, 0)
    toml.write_text("[detectors.scope]\nmisfile_prior_contacts = -1\n")
    with pytest.raises(ValidationError):
        load_config(toml)


def test_at_ten_times_the_volume_a_share_barely_above_usual_is_no_wave():
    """A large province: ten times the contacts on every channel, and for 16 hours 13 % misfiled instead of 10 %
    (a drift no duty manager can act on). A CUSUM's false alarms come per observation, so at this volume its
    threshold is reached on such shares; the test fires only while the last hour's share is twice the usual
    (``reclass_min_ratio``). A real wave (35 % on web) is still found within half an hour."""
    big = {k: v * 10 for k, v in RATES.items()}
    alerted = {}
    for ratio in (0.0, 2.0):
        alerted[ratio] = 0
        for seed in range(4):
            # the ratio gate alone (the drift is on every channel, which the rest-of-province floor also sees)
            d = Desk(ScopeStage(settings(reclass_min_ratio=ratio, misfile_rest_floor=False)), seed)
            d.run(0, 8, rates=big, misfiled=lambda ch, h: 0.10)
            alerted[ratio] += bool(d.run(8, 16, rates=big, misfiled=lambda ch, h: 0.13))
    assert alerted[0.0] >= 2 and alerted[2.0] <= 1 and alerted[2.0] < alerted[0.0], alerted
    d = Desk(ScopeStage(settings()), 5)
    d.run(0, 8, rates=big, misfiled=lambda ch, h: 0.10)
    found = first_minutes(d.run(8, 3, rates=big, misfiled=lambda ch, h: 0.35 if ch == "web" else 0.10), 8, "web")
    assert found is not None and found <= 30, found


def test_a_rise_of_the_text_models_verdicts_on_every_channel_is_no_wave():
    """At ten times the volume the text model's misfiled verdicts went from 2-3 % to 4-6 % on every channel in one
    evening hour (it keeps learning); a misclassification wave is one channel's. With the rest of the province's
    share as the floor (``misfile_rest_floor``) such an hour is no wave; a wave on one channel then still is."""
    big = {k: v * 10 for k, v in RATES.items()}

    def evening(ch: str, h: float) -> float:
        return 0.05 if 8 <= h < 10 else 0.0

    alerted = {}
    for floor in (False, True):
        alerted[floor] = 0
        for seed in range(4):
            d = Desk(ScopeStage(settings(misfile_rest_floor=floor, reclass_joint_threshold=0.0)), seed)
            d.run(0, 8, rates=big, misfiled=lambda ch, h: 0.02)
            alerted[floor] += bool(d.run(8, 3, rates=big, misfiled=lambda ch, h: 0.02, noise=evening))
    assert alerted[False] >= 2 and alerted[True] == 0, alerted
    d = Desk(ScopeStage(settings()), 5)
    d.run(0, 8, rates=big, misfiled=lambda ch, h: 0.02)
    found = first_minutes(d.run(8, 3, rates=big, misfiled=lambda ch, h: 0.35 if ch == "web" else 0.02,
                                noise=evening), 8, "web")
    assert found is not None and found <= 30, found
