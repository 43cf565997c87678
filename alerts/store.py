"""The Redis read model of alerts: written by the worker (one writer), read by the board and history pages.

Keys (``prefix`` = ``yj:`` by default)::

    ep:{alert_id}          JSON row of one episode (latest state + started/updated/resolved/max_tier)
    tl:{alert_id}          sorted set: every lifecycle record (canonical JSON) scored by its ``seq``
    active                 sorted set of unresolved alert ids, most severe then oldest first
    idx:time               sorted set of alert ids by start time (epoch seconds)
    idx:{field}:{value}    sets by tier, kind, stage, region, department, status (current values)
    labels                 sorted set of quality labels by time
    dl, dl:failed, dl:{id} delivery outcomes (lists, newest first for the global ones)
    commands               stream of board commands, consumed by the worker
    audit                  list of who did what, newest first

``apply`` is idempotent: a record already in an alert's timeline (same ``seq``, whatever its ``ts``) changes
nothing, so the worker may re-apply after a restart and ``rebuild`` may replay the whole ``alerts`` topic.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Iterable

import orjson
import redis

from yujing.records import TIER_RANK

INDEXED = ("tier", "kind", "stage", "region", "department", "status")
ROW_KEYS = ("alert_id", "fingerprint", "kind", "stage", "scope", "tier", "score", "summary", "evidence")


def _epoch(ts: str | float) -> float:
    return float(ts) if isinstance(ts, (int, float)) else datetime.fromisoformat(ts).timestamp()


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def _index_values(row: dict[str, Any]) -> dict[str, str]:
    scope = row.get("scope") or {}
    return {"tier": row.get("tier") or "", "kind": row.get("kind") or "", "stage": row.get("stage") or "",
            "region": scope.get("region", ""), "department": scope.get("department", ""),
            "status": row.get("status") or ""}


def fold(row: dict[str, Any] | None, rec: dict[str, Any]) -> dict[str, Any]:
    """The episode row after one more lifecycle record (records may arrive late: only newer ones win)."""
    t = _epoch(rec["ts"])
    seq = int(rec.get("seq", 0))
    if row is None:
        row = {"started": t, "started_ts": rec["ts"], "max_tier": rec["tier"], "seq": -1, "records": 0,
               "acked_by": None, "assignee": None, "silence_id": None, "escalation_step": 0, "resolved": None}
    row["records"] += 1
    if TIER_RANK.get(rec["tier"], 0) > TIER_RANK.get(row["max_tier"], 0):
        row["max_tier"] = rec["tier"]
    if t < row["started"]:
        row["started"], row["started_ts"] = t, rec["ts"]
    if seq < row["seq"]:
        return row
    row.update({k: rec.get(k) for k in ROW_KEYS})
    row.update(status=rec["status"], seq=seq, updated=t, updated_ts=rec["ts"])
    st = rec["status"]
    if st == "acknowledged":
        row["acked_by"] = rec.get("by") if rec.get("acknowledged", True) else None
    elif st == "escalated":
        row["escalation_step"] = rec.get("escalation_step", row["escalation_step"])
        if rec.get("assigned_to"):
            row["assignee"] = rec["assigned_to"]
    elif st == "silenced":
        row["silence_id"] = rec.get("silence_id") if rec.get("silenced", True) else None
    elif st == "resolved":
        row["resolved"], row["resolved_ts"], row["resolve_reason"] = t, rec["ts"], rec.get("reason")
    return row


DELIVERIES_KEPT = 10_000
"""The newest delivery outcomes kept (``dl``), and the newest failed ones (``dl:failed``)."""


class AlertStore:
    def __init__(self, client: redis.Redis, prefix: str = "yj:"):
        self.r = client
        self.p = prefix

    def _k(self, *parts: str) -> str:
        return self.p + ":".join(parts)

    # ---- writing (the worker) --------------------------------------------------------------------------------
    def apply(self, records: list[dict[str, Any]]) -> None:
        """Write contract-form alert dicts (and ``{"record": "label"}`` rows); pipelined and idempotent."""
        alerts = [r for r in records if r.get("record", "alert") == "alert"]
        labels = [r for r in records if r.get("record") == "label"]
        pipe = self.r.pipeline(transaction=False)
        for rec in labels:
            pipe.zadd(self._k("labels"), {_dumps(rec): _epoch(rec["ts"])}, nx=True)
        ids = list(dict.fromkeys(r["alert_id"] for r in alerts))
        for rec in alerts:   # a step's seq already in the timeline: the same step emitted again (maybe at another ts)
            if "seq" in rec:
                pipe.zcount(self._k("tl", rec["alert_id"]), rec["seq"], rec["seq"])
            else:
                pipe.zadd(self._k("tl", rec["alert_id"]), {_dumps(rec): _epoch(rec["ts"])}, nx=True)
        for alert_id in ids:
            pipe.get(self._k("ep", alert_id))
        res = pipe.execute()[len(labels):]
        added, rows_raw = res[: len(alerts)], res[len(alerts):]
        seen: set[tuple[str, int]] = set()
        to_add: list[dict[str, Any]] = []
        for i, rec in enumerate(alerts):
            if "seq" in rec:
                step = (rec["alert_id"], int(rec["seq"]))
                added[i] = not added[i] and step not in seen
                seen.add(step)
                if added[i]:
                    to_add.append(rec)
        rows = {a: (orjson.loads(raw) if raw else None) for a, raw in zip(ids, rows_raw)}
        before = {a: (_index_values(r) if r else None) for a, r in rows.items()}
        changed = set()
        for rec, new in zip(alerts, added):
            # not new but newer than its row: an earlier apply that stopped between its two pipelines (retried)
            row = rows[rec["alert_id"]]
            if new or row is None or int(rec.get("seq", 0)) > row["seq"]:
                rows[rec["alert_id"]] = fold(row, rec)
                changed.add(rec["alert_id"])
        pipe = self.r.pipeline(transaction=True)
        for rec in to_add:   # the timeline before the row, in one MULTI
            pipe.zadd(self._k("tl", rec["alert_id"]), {_dumps(rec): float(rec["seq"])}, nx=True)
        for alert_id in ids:
            if alert_id not in changed:
                continue
            row = rows[alert_id]
            assert row is not None
            pipe.set(self._k("ep", alert_id), _dumps(row))
            pipe.zadd(self._k("idx", "time"), {alert_id: row["started"]})
            old, now = before[alert_id] or {}, _index_values(row)
            for field in INDEXED:
                if old.get(field) != now[field]:
                    if field in old:
                        pipe.srem(self._k("idx", field, old[field]), alert_id)
                    pipe.sadd(self._k("idx", field, now[field]), alert_id)
            if row["status"] == "resolved":
                pipe.zrem(self._k("active"), alert_id)
            else:
                severity = -TIER_RANK.get(row["tier"], 0) * 1e10 + row["started"]
                pipe.zadd(self._k("active"), {alert_id: severity})
        pipe.execute()

    def record_delivery(self, alert_id: str, result: dict[str, Any]) -> None:
        """Store one notification outcome (``ok``, ``error``, ``attempts``, ``receiver``, ``key``, ``ts``)."""
        row = _dumps({"alert_id": alert_id, **result})
        pipe = self.r.pipeline(transaction=False)
        pipe.rpush(self._k("dl", alert_id), row)
        pipe.lpush(self._k("dl"), row)
        pipe.ltrim(self._k("dl"), 0, DELIVERIES_KEPT - 1)
        if not result.get("ok"):
            pipe.lpush(self._k("dl", "failed"), row)
            pipe.ltrim(self._k("dl", "failed"), 0, DELIVERIES_KEPT - 1)
        pipe.execute()

    def audit(self, who: str, action: str, detail: dict[str, Any], ts: float | None = None) -> None:
        """Append to the audit log (who did what on the board, and what the worker made of it)."""
        row = _dumps({"ts": time.time() if ts is None else ts, "who": who, "action": action, "detail": detail})
        pipe = self.r.pipeline(transaction=False)
        pipe.lpush(self._k("audit"), row)
        pipe.ltrim(self._k("audit"), 0, 9999)
        pipe.execute()

    def rebuild(self, records: Iterable[dict[str, Any]], batch: int = 2000) -> None:
        """Wipe the alert read model (not commands, audit or deliveries) and replay ``records``."""
        for pattern in ("ep:*", "tl:*", "idx:*", "active", "labels"):
            keys = list(self.r.scan_iter(match=self.p + pattern, count=1000))
            for i in range(0, len(keys), 1000):
                self.r.delete(*keys[i:i + 1000])
        chunk: list[dict[str, Any]] = []
        for rec in records:
            chunk.append(rec)
            if len(chunk) >= batch:
                self.apply(chunk)
                chunk = []
        if chunk:
            self.apply(chunk)

    # ---- reading (the board) ---------------------------------------------------------------------------------
    def _rows(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        raws = self.r.mget([self._k("ep", i) for i in ids])
        return [orjson.loads(raw) for raw in raws if raw]

    def active(self) -> list[dict[str, Any]]:
        """Latest state of every unresolved alert, most severe first, then oldest first."""
        return self._rows([i.decode() if isinstance(i, bytes) else i for i in self.r.zrange(self._k("active"), 0, -1)])

    def get(self, alert_id: str) -> dict[str, Any] | None:
        rows = self._rows([alert_id])
        return rows[0] if rows else None

    def timeline(self, alert_id: str) -> list[dict[str, Any]]:
        """Every lifecycle record of one alert, in order."""
        return [orjson.loads(m) for m in self.r.zrange(self._k("tl", alert_id), 0, -1)]

    def timelines(self, alert_ids: list[str]) -> list[list[dict[str, Any]]]:
        """:meth:`timeline` of each alert, in the order given, in one round trip."""
        pipe = self.r.pipeline(transaction=False)
        for alert_id in alert_ids:
            pipe.zrange(self._k("tl", alert_id), 0, -1)
        return [[orjson.loads(m) for m in members] for members in pipe.execute()]

    def history(self, since: float | None = None, until: float | None = None, *, tier: str | None = None,
                kind: str | None = None, stage: str | None = None, region: str | None = None,
                department: str | None = None, status: str | None = None, limit: int = 2000) -> list[dict[str, Any]]:
        """One row per episode that started in [since, until], newest first, filtered by the indexes."""
        filters = {"tier": tier, "kind": kind, "stage": stage, "region": region, "department": department,
                   "status": status}
        keys = [self._k("idx", f, v) for f, v in filters.items() if v is not None]
        allowed = {m.decode() if isinstance(m, bytes) else m for m in self.r.sinter(keys)} if keys else None
        lo = "-inf" if since is None else since
        hi = "+inf" if until is None else until
        ids: list[str] = []
        start = 0
        while len(ids) < limit:
            page = self.r.zrevrangebyscore(self._k("idx", "time"), hi, lo, start=start, num=5000)
            if not page:
                break
            start += len(page)
            for m in page:
                alert_id = m.decode() if isinstance(m, bytes) else m
                if allowed is None or alert_id in allowed:
                    ids.append(alert_id)
                    if len(ids) >= limit:
                        break
        return self._rows(ids)

    def deliveries(self, alert_id: str | None = None, failed_only: bool = False,
                   limit: int = 1000) -> list[dict[str, Any]]:
        """Delivery outcomes of one alert (oldest first) or of all alerts (newest first)."""
        if alert_id is not None:
            rows = [orjson.loads(x) for x in self.r.lrange(self._k("dl", alert_id), 0, -1)]
            return [r for r in rows if not (failed_only and r.get("ok"))]
        key = self._k("dl", "failed") if failed_only else self._k("dl")
        return [orjson.loads(x) for x in self.r.lrange(key, 0, limit - 1)]

    def labels(self, since: float | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """Quality-team labels (useful / false_alarm / missed_incident), oldest first."""
        rows = [orjson.loads(x) for x in self.r.zrangebyscore(self._k("labels"), "-inf" if since is None else since,
                                                               "+inf")]
        return [r for r in rows if kind is None or r.get("kind") == kind]

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        return [orjson.loads(x) for x in self.r.lrange(self._k("audit"), 0, limit - 1)]

    # ---- commands (board -> worker) --------------------------------------------------------------------------
    def send_command(self, cmd: dict[str, Any]) -> str:
        """Queue a board command for the worker (XADD); returns the stream id."""
        cid = self.r.xadd(self._k("commands"), {"cmd": _dumps(cmd)}, maxlen=100_000, approximate=True)
        return cid.decode() if isinstance(cid, bytes) else cid

    def read_commands(self, last_id: str = "0", block_ms: int = 0, count: int = 100) -> list[tuple[str, dict]]:
        """Commands after ``last_id`` (``block_ms`` = 0: do not wait)."""
        res = self.r.xread({self._k("commands"): last_id}, count=count, block=block_ms or None)
        out: list[tuple[str, dict]] = []
        for _stream, entries in res or []:
            for cid, fields in entries:
                raw = fields.get(b"cmd", fields.get("cmd"))
                out.append((cid.decode() if isinstance(cid, bytes) else cid, orjson.loads(raw)))
        return out
