"""The order stage's learned models across worker lives: checkpoint, choice of a checkpoint, restore, report.

Orders, customers, aggregates and alerts survive a worker through changelogs and checkpoints; the two models
the order stage learns online — the complaint-risk model (``detectors.risk``) and the text → category model
(``detectors.misfile``) — and the risk model's quality tracker (``detectors.quality``) survive through this
module: each worker writes its models to the Redis hash ``ckpt:models`` under its own name (and their label
counts to ``ckpt:models:labels``, so the choice below reads a few bytes per worker, not every model).

**Which checkpoint a worker starts from.** Every worker learns from the labels of its own partitions; orders
are spread over partitions by a hash of their id, so every partition sees the same kind of orders and the
model that has seen the most labels is the best start for any of them. A worker whose models are still empty
(a fresh or replaced process) therefore starts from the checkpoint with the most labels — its own previous
one when that is the richest, its own name winning ties — and from then on writes its own. A worker that has
learned anything never overwrites its models with a checkpoint. Labels learned in the last checkpoint
interval before a crash are lost (the orders they came from are not: they are in the changelog).
"""
from __future__ import annotations

from typing import Any

from detectors.quality import pool_reports

CKPT_KEY = "ckpt:models"
LABELS_KEY = "ckpt:models:labels"


def label_counts(stage: Any) -> dict[str, int]:
    """What a checkpoint of ``stage`` (an ``OrderStage``) has learned from, the risk model's held positives
    included (they are in the checkpoint): the basis of the choice."""
    return {"risk": stage.risk_model.labels + len(stage.risk_model.held), "category": stage.misfile.n}


def models_state(stage: Any, worker: str, wall: float) -> dict[str, Any]:
    """JSON-able state of the order stage's learned models (orjson, never pickle)."""
    return {"worker": worker, "wall": wall, "labels": label_counts(stage), "risk": stage.risk_model.state(),
            "category": stage.misfile.state(), "quality": stage.quality.state()}


def is_empty(stage: Any) -> bool:
    """Nothing learned yet: only then may a checkpoint replace the models."""
    return (not stage.risk_model.labels and not stage.risk_model.held and not stage.misfile.n
            and not stage.quality.labels)


def choose_checkpoint(counts: dict[str, dict[str, int]], me: str) -> str | None:
    """The worker name whose checkpoint to start from: most labels (risk, then category), ``me`` on a tie.

    >>> choose_checkpoint({"w1": {"risk": 40, "category": 900}, "w2": {"risk": 55, "category": 10}}, "w3")
    'w2'
    >>> choose_checkpoint({"w1": {"risk": 40, "category": 9}, "w2": {"risk": 40, "category": 9}}, "w2")
    'w2'
    >>> choose_checkpoint({"w1": {"risk": 0, "category": 0}}, "w1") is None
    True
    """
    best: str | None = None
    best_key: tuple[int, int, int] = (0, 0, 0)
    for name in sorted(counts):   # in name order: of two equal strangers, the first name wins
        c = counts[name]
        risk, category = int(c.get("risk", 0)), int(c.get("category", 0))
        key = (risk, category, 1 if name == me else 0)
        if (risk or category) and key > best_key:
            best, best_key = name, key
    return best


def restore_models(stage: Any, state: dict[str, Any]) -> None:
    """Load a :func:`models_state` into an order stage's (empty) models."""
    stage.risk_model.restore(state["risk"])
    stage.misfile.restore(state["category"])
    stage.quality.restore(state["quality"])


def model_report(stage: Any) -> dict[str, Any]:
    """One worker's figures for the board (its heartbeat carries them): the risk model's live quality, its
    prior/learned blend, and how far the text → category model has come."""
    rep = dict(stage.quality.report())
    rep["blend"] = stage.risk_model.blend
    rep["held_positives"] = len(stage.risk_model.held)
    rep["label_delay_h"] = stage.positive_delay_h
    rep["category_labels"] = stage.misfile.n
    rep["category_mature"] = stage.misfile.mature
    return rep


def pool_model_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The board's ``snapshot["model"]`` from the live workers' reports (see :func:`detectors.quality.pool_reports`;
    the blend is the workers' mean weighted by labels, the category model mature only when every worker's is)."""
    reports = [r for r in reports if r]
    if not reports:
        return {}
    out = pool_reports(reports)
    labels = sum(r.get("labels", 0) for r in reports)
    out["blend"] = (sum(r.get("blend", 0.0) * r.get("labels", 0) for r in reports) / labels if labels
                    else sum(r.get("blend", 0.0) for r in reports) / len(reports))
    out["category_labels"] = sum(r.get("category_labels", 0) for r in reports)
    out["held_positives"] = sum(r.get("held_positives", 0) for r in reports)
    out["label_delay_h"] = max((r.get("label_delay_h") or 0.0 for r in reports), default=0.0)
    out["category_mature"] = all(r.get("category_mature") for r in reports)
    out["workers"] = len(reports)
    return out
