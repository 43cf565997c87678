"""The text → category model that flags misfiled orders at filing time (detectors/misfile.py)."""
from __future__ import annotations

import random

from detectors.misfile import CategoryGuess

FAULT = ["家里停电了，请尽快派人来修", "表箱冒烟了，有焦味，快来人", "整栋楼都没电了，什么时候来电",
         "No power at home since noon, please send someone", "电线掉下来了，很危险，请来处理"]
BILL = ["这个月电费怎么这么高，想问一下怎么算的", "阶梯电价是怎么计算的", "想咨询一下电费在哪里交",
        "How is the tiered price calculated on my bill?", "请问网上国网怎么绑定户号"]


def _trained(n: int = 400, seed: int = 1) -> CategoryGuess:
    rnd = random.Random(seed)
    g = CategoryGuess(min_labels=100)
    for _ in range(n):
        if rnd.random() < 0.5:
            g.learn_one(rnd.choice(FAULT) + f" {rnd.randint(1, 99)}号", "fault_repair")
        else:
            g.learn_one(rnd.choice(BILL), "consultation")
    return g


def test_a_fault_report_filed_as_a_consultation_is_flagged_with_its_category():
    g = _trained()
    assert g.guess("停电了，快派人来修", "consultation") == "fault_repair"
    assert g.guess("电费怎么算的，想咨询一下", "fault_repair") == "consultation"


def test_correctly_filed_and_textless_orders_are_not_flagged():
    g = _trained()
    assert g.guess("停电了，快派人来修", "fault_repair") is None
    assert g.guess("", "consultation") is None
    assert g.guess("12345", "consultation") is None   # nothing it knows: no verdict


def test_a_young_model_gives_no_verdict():
    g = _trained(n=50)
    assert g.n == 50
    assert g.guess("停电了，快派人来修", "consultation") is None


def test_probabilities_are_a_distribution_and_follow_the_text():
    g = _trained()
    p = g.predict_proba_one("整栋楼没电了")
    assert abs(sum(p.values()) - 1.0) < 1e-9
    assert p["fault_repair"] > 0.9


def test_state_round_trip_gives_the_same_verdicts():
    g = _trained()
    h = CategoryGuess(min_labels=100)
    h.restore(g.state())
    for text in ("停电了，快派人来修", "电费怎么算的", "No power at home"):
        assert h.predict_proba_one(text) == g.predict_proba_one(text)
        assert h.guess(text, "consultation") == g.guess(text, "consultation")
