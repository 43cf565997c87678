"""Per-call cost of the models and detectors, and what share of a replay they are.

    .venv/bin/python -m bench.bench_models [--events 40000]

Each model is timed on realistic inputs taken from a replay of public-1 (or a simulator stream when the shared
scenarios are absent): the complaint-risk model (score an order, learn a label), the sentiment scorer (one
customer text), the share CUSUM (one minute of one scope), the seasonal series detector (one point), the
aggregate detectors (one minute tick over every scope) and the order stage's whole per-event path for
reference. Writes ``bench/out/models.json``: µs per call, calls per replayed event (counted in a second replay
of the same events), µs per replayed event.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PUBLIC1 = ROOT.parent / "shared" / "scenarios" / "public-1" / "events.jsonl.gz"


def per_call(fn: Callable[[], Any], n: int) -> float:
    """µs per call of ``fn`` (best of three rounds of ``n`` calls)."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t) / n)
    return round(best * 1e6, 2)


def load_events(limit: int) -> list[Any]:
    from yujing.replay import read_events

    if PUBLIC1.exists():
        events, _ = read_events(str(PUBLIC1), [])
        return events[:limit]
    import orjson

    from yujing.events import parse_event
    from yujing.simulator.engine import SimOptions, iter_events
    return [parse_event(orjson.dumps(e)) for e, _ in zip(iter_events(SimOptions(hours=24, seed=3)), range(limit))]


def _count_calls(mon: Any, calls: dict[str, int]) -> Any:
    """A second monitor on the same settings whose risk scoring, text scoring and aggregate ticks count their
    calls into ``calls`` (instance attributes wrap the bound methods; the timed monitor is left alone)."""
    from streams.monitor import Monitor

    twin = Monitor(mon.settings)

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **kw: Any) -> Any:
            calls[name] += 1
            return fn(*a, **kw)
        return wrapped

    model = twin.orders.risk_model
    model.predict_order = counting("risk_score", model.predict_order)
    scorer = twin.orders.scorer
    scorer.score_one = counting("sentiment", scorer.score_one)
    det = twin.scopes.detectors
    det.evaluate = counting("scope_tick", det.evaluate)
    return twin


def run(limit: int) -> dict[str, Any]:
    from detectors.anomaly import SeriesAnomalyDetector
    from detectors.risk import order_features
    from detectors.share_cusum import ShareCusum
    from streams.monitor import Monitor
    from yujing.config import load_config

    settings = load_config(None)
    events = load_events(limit)
    mon = Monitor(settings)
    calls = {"risk_score": 0, "sentiment": 0, "scope_tick": 0}
    counted = _count_calls(mon, calls)   # the replay is timed without the counters; a second pass counts
    t = time.perf_counter()
    for e in events:
        mon.ingest(e)
    replay_s = time.perf_counter() - t
    for e in events:
        counted.ingest(e)
    n_ev = len(events)
    st = mon.orders
    scopes = mon.scopes
    orders = [o for o in list(st.orders.values())[:2000] if o.created is not None]
    now = st.now
    model = st.risk_model
    texts = [e.text for e in events if getattr(e, "text", None)][:2000]
    scorer = st.scorer
    i = iter(range(10**9))

    def risk_score() -> None:
        o = orders[next(i) % len(orders)]
        model.predict_order(o, now)

    feats = [order_features(o, now, settings) for o in orders]

    def risk_learn() -> None:
        k = next(i)
        model.learn_one(feats[k % len(feats)], k % 40 == 0)

    def sentiment() -> None:
        scorer.score_one(texts[next(i) % len(texts)])

    cusum = ShareCusum()

    def cusum_update() -> None:
        cusum.update(next(i) % 3, 20)

    det = SeriesAnomalyDetector()
    t0 = events[0].t

    def anomaly_update() -> None:
        k = next(i)
        det.update(t0 + 60 * k, 10.0 + (k % 37) * 0.3)

    tick_t = [scopes.now]

    def scope_tick() -> None:
        tick_t[0] += settings.detectors.scope.tick_s
        scopes.detectors.evaluate(tick_t[0], scopes.scopes)

    res = {
        "events": n_ev, "replay_us_per_event": round(1e6 * replay_s / n_ev, 1),
        "risk_score_order_us": per_call(risk_score, 20000),
        "risk_learn_us": per_call(risk_learn, 5000),
        "sentiment_text_us": per_call(sentiment, 3000),
        "share_cusum_minute_us": per_call(cusum_update, 50000),
        "anomaly_point_us": per_call(anomaly_update, 20000),
        "scope_tick_us": per_call(scope_tick, 200),
        "scopes": len(scopes.scopes),
    }
    # calls per replayed event: risk scored on most events, texts scored once each, one tick per event-time minute
    res["calls_per_event"] = {k: round(v / n_ev, 4) for k, v in calls.items()}   # counted in the replay
    res["per_event"] = {
        "risk_score": round(res["risk_score_order_us"] * calls["risk_score"] / n_ev, 2),
        "sentiment": round(res["sentiment_text_us"] * calls["sentiment"] / n_ev, 2),
        "scope_tick": round(res["scope_tick_us"] * calls["scope_tick"] / n_ev, 2),
    }
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=40000)
    a = ap.parse_args(argv)
    res = run(a.events)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "models.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
