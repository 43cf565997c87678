"""The customer-text sentiment scorer: escalation phrases, ordering, robustness, online learning, the CLI,
and AUC on held-out public data when shared/data is present."""
from __future__ import annotations

import csv
import random
import subprocess
import time
from pathlib import Path

import orjson
import pytest

from streams.sentiment import SentimentScorer, default_scorer
from streams.text_features import text_features

ROOT = Path(__file__).resolve().parents[1]
YUJING = ROOT / ".venv" / "bin" / "yujing"
SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")) if p.is_dir()),
              Path("/work/shared"))
DATA = SHARED / "data" / "sentiment"


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return default_scorer()


@pytest.mark.parametrize("text, expected", [
    ("再不解决我就打12398投诉你们！", ["12398"]),
    ("我要找媒体曝光，还要请律师起诉你们", ["媒体", "曝光", "律师", "起诉"]),
    ("我会一直投诉到底，叫记者来", ["投诉到", "记者"]),
    ("打了12345市长热线也没用", ["12345"]),
    ("I will call my lawyer and sue you, then go to the media.", ["lawyer", "sue", "media"]),
    ("Reporting this to the regulator and the local news.", ["regulator", "news"]),
])
def test_escalation_phrases_recognised(scorer, text, expected):
    assert scorer.escalation_phrases(text) == expected


def test_escalation_phrases_not_found_in_ordinary_text(scorer):
    assert scorer.escalation_phrases("家里停电了，麻烦派人来看看。") == []
    assert scorer.escalation_phrases("There is an issue with my bill, it is pressing.") == []
    # a phone number that happens to contain 12398 is personal data, not a threat
    assert scorer.escalation_phrases("电话13912398765，请回电") == []


def test_escalation_pushes_negativity_up(scorer):
    assert scorer.score_one("停电了，我要打12398") > scorer.score_one("停电了")
    assert scorer.score_one("The power is out, I will contact the regulator") > scorer.score_one(
        "The power is out")


@pytest.mark.parametrize("negative, positive", [
    ("停电三天了还没人来，太慢了，态度还差，我要投诉！", "师傅很专业，处理及时，非常满意，谢谢！"),
    ("问题根本没解决，就直接结单了！", "处理及时，满意。"),
    ("拖了这么久才处理，不满意。", "师傅很专业，谢谢。"),
    ("No power for 2 days and nobody came. This is unacceptable!", "Power restored quickly, thank you!"),
    ("The problem is not solved and you closed it!", "Satisfied, thanks."),
    ("Took far too long. Not satisfied.", "Quick and professional."),
])
def test_clearly_negative_scores_above_clearly_positive(scorer, negative, positive):
    assert scorer.score_one(negative) > 0.5 > scorer.score_one(positive)


def test_neutral_enquiry_sits_between(scorer):
    neutral = scorer.score_one("请问电费账单可以改成按季度寄送吗？")
    assert neutral < 0.35 < scorer.score_one("太慢了，没人管，我要投诉！")


# Register separation on the hotline register (sentences written for this test, not in the calibration set):
# the live monitor needs neutral requests low, mild dissatisfaction middling, anger high, threats highest.
NEUTRAL = ["请问新装一户一表需要准备哪些资料？", "我想咨询一下居民电价的收费标准。", "申请办理电表迁移，麻烦安排个时间。",
           "客户来电咨询如何开通电费账单短信提醒。", "想了解一下充电桩的报装流程。", "请问欠费以后怎么办理复电？",
           "客户申请居民峰谷电，已告知办理渠道。", "How do I change the name on my electricity account?",
           "I would like to apply for a second meter.", "What documents do I need to set up a new supply?"]
MILD = ["网上缴费经常不成功，希望尽快改进。", "停电通知发得太晚了，希望下次早点说。", "修是修好了，就是来得慢了点。",
        "The payment page keeps timing out, please improve it."]
ANGRY = ["停电大半天了还没人来，到底管不管？", "报修三次了都没人处理，你们效率太低了！",
         "一直说马上到，等了四个小时还是没人！！", "问题拖了一周还没解决，每次打电话都说在处理，太不负责了！",
         "No electricity since this morning and still nobody has shown up. Unacceptable!",
         "Third time I am calling about this outage, nobody cares, ridiculous.",
         "The power has been out for hours and nobody came, unacceptable"]
THREAT = ["再不派人来，我就打12398投诉！", "明天还不解决，我就找电视台曝光。",
          "If this is not fixed today I am going to the regulator and my lawyer."]


@pytest.mark.parametrize("text", NEUTRAL)
def test_neutral_requests_score_low(scorer, text):
    assert scorer.score_one(text) < 0.35


@pytest.mark.parametrize("text", MILD)
def test_mild_dissatisfaction_scores_in_the_middle(scorer, text):
    assert 0.3 < scorer.score_one(text) < 0.7


@pytest.mark.parametrize("text", ANGRY)
def test_anger_scores_high(scorer, text):
    assert scorer.score_one(text) >= 0.7


@pytest.mark.parametrize("text", THREAT)
def test_threats_score_highest(scorer, text):
    assert scorer.score_one(text) >= 0.9


def test_registers_are_ordered_on_average(scorer):
    def mean(texts: list[str]) -> float:
        return sum(scorer.score_many(texts)) / len(texts)
    assert mean(NEUTRAL) + 0.15 < mean(MILD) < mean(ANGRY) - 0.15 < mean(THREAT) - 0.15


def test_inquiry_phrasing_does_not_soften_anger(scorer):
    # a question word in an angry text is rhetorical, not a neutral inquiry
    assert scorer.score_one("请问你们到底什么时候来？我都等了五个小时了！") >= 0.7
    assert scorer.score_one("How do I get someone to come? Still no power after two days!") >= 0.7


def test_praise_under_a_negator_is_not_praise(scorer):
    # mild dissatisfaction on the hotline scale (0.3-0.7), well above the same words without the negators
    assert scorer.score_one("处理得不是很及时，也不太满意") > 0.3 > 0.15 > scorer.score_one("处理得很及时，很满意")
    assert scorer.score_one("没有及时来修") > scorer.score_one("及时来修")


def test_chinese_negation_marks_stay_in_their_clause():
    # "不新鲜" must not carry the praise of "新鲜"; a comma ends what the negator governs
    assert {"n:新", "n:鲜", "c:不新鲜"} <= text_features("不新鲜")
    assert not any(f.startswith("n:") for f in text_features("不，新鲜"))


def test_negated_praise_scores_above_the_praise(scorer):
    assert scorer.score_one("不新鲜") > scorer.score_one("新鲜")
    assert scorer.score_one("不太好吃") > scorer.score_one("好吃")


def test_nbsvm_interpolates_between_the_fit_and_naive_bayes():
    pytest.importorskip("scipy")
    from streams.sentiment_data.build import fit_logistic, fit_nbsvm, nb_ratios
    rows = [{"c:差": 1.0, "c:慢": 1.0}, {"c:差": 1.0}, {"c:好": 1.0, "c:慢": 1.0}, {"c:好": 1.0}]
    y = [1, 1, 0, 0]
    vocab = {"c:差": 0, "c:好": 1, "c:慢": 2}
    r = nb_ratios(rows, y, vocab)
    plain = fit_logistic(rows, y, [1.0] * 4, 1e-2, vocab, abs(r))
    assert list(fit_nbsvm(rows, y, [1.0] * 4, 1e-2, vocab, beta=1.0)) == pytest.approx(list(plain))
    nb = fit_nbsvm(rows, y, [1.0] * 4, 1e-2, vocab, beta=0.0)
    assert nb[0] > 0 > nb[1] and nb[2] == pytest.approx(0.0)  # pure NB: "慢" is on both sides, no evidence


def test_exclamation_intensifies_only_unhappy_text(scorer):
    assert scorer.score_one("还没人来！！") > scorer.score_one("还没人来")
    assert scorer.score_one("Thanks for the quick fix!!") < 0.3


@pytest.mark.parametrize("text", [
    "", " ", "\n\t", "😡😡😡", "👍", "<script>alert('x')</script>", "<b>紧急！</b>" * 50, "\x00\x01\x02\ufffd",
    "a" * 100_000, "停电" * 200_000, "12398" * 1000, "@united http://t.co/x #fail", "�" * 10, "x\ud800y",
    "Ω≈ç√∫˜µ≤≥÷", "ｆｕｌｌｗｉｄｔｈ", "لا يوجد كهرباء", "電費太貴了，不滿意",
])
def test_any_text_scores_in_range(scorer, text):
    x = scorer.score_one(text)
    assert 0.0 <= x <= 1.0
    assert isinstance(scorer.escalation_phrases(text), list)


def test_huge_text_is_bounded_in_time(scorer):
    t0 = time.perf_counter()
    scorer.score_one("电费太高了，" * 200_000)
    assert time.perf_counter() - t0 < 0.5


def test_score_many_matches_score_one(scorer):
    texts = ["太慢了", "谢谢", "Nobody came.", ""]
    assert scorer.score_many(texts) == [scorer.score_one(t) for t in texts]


def test_personal_data_does_not_change_the_score(scorer):
    plain = "停电了，快来人！"
    with_pii = "张先生，电话15051642383，身份证370202197001127310，邮箱zhang@example.com，停电了，快来人！"
    assert abs(scorer.score_one(plain) - scorer.score_one(with_pii.replace("张先生，", ""))) < 0.2
    assert scorer.score_one("电话15051642383，停电了") == scorer.score_one("电话18209857697，停电了")


def test_learn_one_moves_score_in_the_right_direction():
    s = SentimentScorer.load()
    text = "电表箱的颜色有点特别"
    before = s.score_one(text)
    for _ in range(5):
        s.learn_one(text, negative=True)
    assert s.score_one(text) > before + 0.05
    mid = s.score_one(text)
    for _ in range(10):
        s.learn_one(text, negative=False)
    assert s.score_one(text) < mid
    # learning on one scorer does not touch the shared default one
    assert default_scorer().score_one(text) == pytest.approx(before)


def test_default_scorer_is_cached_and_loads_fast():
    t0 = time.perf_counter()
    fresh = SentimentScorer.load()
    assert time.perf_counter() - t0 < 2.0
    assert default_scorer() is default_scorer()
    assert len(fresh.weights) > 10_000


def test_speed_on_short_customer_texts(scorer):
    texts = ["客户来电反映其家中停电，邻居有电，要求派员检查。", "怎么还没有消息？麻烦快一点。",
             "1 hours and nobody has come. This is ridiculous.", "处理及时，满意。"] * 500
    best = float("inf")
    for _ in range(3):  # best of three: the machine is shared, the requirement is about the code
        t0 = time.perf_counter()
        scorer.score_many(texts)
        best = min(best, time.perf_counter() - t0)
    assert len(texts) / best > 5000


def _run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(YUJING), "sentiment", *args], input=stdin, capture_output=True, timeout=60)


def test_cli_keeps_order_and_ids(tmp_path):
    rows = [{"id": 3, "text": "太慢了，我要投诉到底！"}, {"id": "a", "text": "谢谢，满意"},
            {"id": None, "text": "Nobody came."}, {"id": [1, 2], "text": ""}, {"id": 0, "text": "停电" * 5000}]
    path = tmp_path / "texts.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    res = _run_cli(str(path))
    assert res.returncode == 0, res.stderr
    out = [orjson.loads(line) for line in res.stdout.splitlines()]
    assert [o["id"] for o in out] == [r["id"] for r in rows]
    assert all(set(o) == {"id", "negativity"} and 0 <= o["negativity"] <= 1 for o in out)
    assert out[0]["negativity"] > out[1]["negativity"]
    assert out[0]["negativity"] == pytest.approx(default_scorer().score_one(rows[0]["text"]), abs=1e-6)


def test_cli_reads_stdin():
    res = _run_cli("-", stdin=b'{"id": 1, "text": "\xe5\xa4\xaa\xe6\x85\xa2"}\n')
    assert res.returncode == 0, res.stderr
    assert orjson.loads(res.stdout)["id"] == 1


@pytest.mark.parametrize("bad, lineno", [(b'{"id": 1, "text": "ok"}\nnot json\n', 2),
                                         (b'{"id": 1, "text": "ok"}\n{"id": 2}\n', 2),
                                         (b'[1, 2]\n', 1)])
def test_cli_bad_line_fails_with_one_line_error(tmp_path, bad, lineno):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(bad)
    res = _run_cli(str(path))
    assert res.returncode != 0
    err = res.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and f"line {lineno}" in err
    assert res.stdout == b""


def test_cli_missing_file_fails_with_one_line_error(tmp_path):
    res = _run_cli(str(tmp_path / "nope.jsonl"))
    assert res.returncode != 0
    assert len(res.stderr.decode().strip().splitlines()) == 1


def _auc(scores: list[float], labels: list[int]) -> float:
    from yujing.metrics import roc_auc
    return roc_auc(scores, labels)


@pytest.mark.skipif(not DATA.exists(), reason="shared public data not present")
@pytest.mark.parametrize("name, minimum", [("waimai", 0.91), ("twitter", 0.90)])
def test_auc_on_held_out_public_data(scorer, name, minimum):
    rng = random.Random(5)
    if name == "waimai":
        with open(DATA / "waimai_10k.csv", encoding="utf-8") as f:
            rows = [(r["review"], 1 - int(r["label"])) for r in csv.DictReader(f)]
    else:
        lab = {"negative": 1, "positive": 0}
        with open(DATA / "twitter_airline_public.csv", encoding="utf-8") as f:
            rows = [(r["text"], lab[r["airline_sentiment"]]) for r in csv.DictReader(f)
                    if r["airline_sentiment"] in lab]
    rows = rng.sample(rows, 1500)
    assert _auc(scorer.score_many([t for t, _ in rows]), [y for _, y in rows]) >= minimum
