"""Alert history for the quality team: filter, read each alert's story, label it, measure the monitor."""
from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import actions, clock, data
from dashboard.alert_card import ACTION_WAIT_S
from dashboard.alert_group import is_order_alert
from dashboard.auth import User, can
from dashboard.components import (TIER_COLOR, TIER_ORDER, clean, evidence_text, kind_label, md, scope_plain,
                                  show_table, tier_label)
from yujing.names import id_of, shown
from yujing.i18n import t
from dashboard.session import lang as current_lang, require_user

LABELS = ("useful", "false_alarm")
WHOLE = alt.Axis(tickMinStep=1, format="d")
"""A count axis: whole alerts only (no 0.2, 0.4 … ticks when every bar is 1)."""


def episodes(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per alert episode from lifecycle records (several per alert) or latest-state dicts.

    >>> rows = episodes([{"alert_id": "a", "status": "firing", "ts": 100, "tier": "yellow"},
    ...                  {"alert_id": "a", "status": "acknowledged", "ts": 160, "tier": "yellow", "by": "li"},
    ...                  {"alert_id": "a", "status": "resolved", "ts": 400, "tier": "yellow"}])
    >>> r = rows[0]; (r["fired"], r["acked"], r["resolved"], r["status"], r["acked_by"], r["escalated"])
    (100.0, 160.0, 400.0, 'resolved', 'li', 0)
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(str(rec.get("alert_id")), []).append(rec)
    out = []
    for aid, recs in groups.items():
        recs.sort(key=lambda r: data.epoch(r.get("ts")) or 0)
        last = recs[-1]
        fired = min((data.fired_at(r) or 0) for r in recs)
        acked = data.epoch(last.get("acked_at")) or data.first_ack(recs)
        resolved = data.epoch(last.get("resolved_at") or last.get("resolved")) or next(
            (data.epoch(r.get("ts")) for r in recs if r.get("status") == "resolved"), None)
        acked_by = last.get("acked_by") or next((r.get("by") for r in recs if data.is_ack(r)), None)
        status = last.get("status")
        if status == "acknowledged" and (not data.is_ack(last) or "acked_by" in last and not last["acked_by"]):
            status = "firing"   # the acknowledgement lapsed or was taken back: open, and nobody has it
        labels = last.get("labels") or []
        if isinstance(labels, dict):
            labels = list(labels.values())
        labels = [lb.get("label") if isinstance(lb, dict) else lb for lb in labels]
        max_tier = max((r.get("max_tier") or r.get("tier") for r in recs), key=lambda x: {"blue": 1, "yellow": 2, "orange": 3,
                                                                      "red": 4}.get(x, 0))
        scope = last.get("scope") or {}
        escalated = max(data.top_step(recs), int(last.get("escalation_step") or 0),
                        max(int(r.get("escalated_to_step") or 0) for r in recs))
        out.append({"alert_id": aid, "fingerprint": last.get("fingerprint"), "kind": last.get("kind"),
                    "stage": last.get("stage"), "tier": max_tier, "status": status,
                    "scope": scope, "region": scope.get("region"), "department": scope.get("department"),
                    "level": "order" if is_order_alert({"scope": scope}) else "scope",
                    "summary": last.get("summary"), "evidence": last.get("evidence"), "fired": fired or None,
                    "acked": acked, "acked_by": acked_by, "resolved": resolved, "labels": labels,
                    "escalated": escalated, "deliveries": last.get("deliveries") or []})
    out.sort(key=lambda e: e["fired"] or 0, reverse=True)
    return out


def _fmt(ts: float | None) -> str:
    return clock.show(ts) if ts else ""


def _filters(lang: str) -> tuple[float, float | None]:
    c = st.columns([2, 1, 1, 1, 1, 1, 1, 1])
    today = clock.today()   # the business zone's day, not the server's
    rng = c[0].date_input(t("hist.range", lang), (today - timedelta(days=7), today), key="h_range")
    start, end = (rng if isinstance(rng, (list, tuple)) and len(rng) == 2 else (today - timedelta(days=7), today))
    since = clock.day_start(start)
    # a range ending today means "up to now", whatever the alerts' clock says (an accelerated demo's clock
    # runs into tomorrow; a worker's clock may be a little ahead of the board's)
    until = clock.day_start(end + timedelta(days=1)) if end < today else None
    st.session_state["h_cols"] = c
    return since, until


def _apply(eps: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    c = st.session_state["h_cols"]

    def opts(key: str) -> list[str]:
        return sorted({str(e[key]) for e in eps if e.get(key)})

    def pick(col: int, key: str, options: list[str], fmt: Any = str) -> list[str]:
        return c[col].multiselect(t(f"col.{key}", lang), options, format_func=fmt, key=f"h_{key}",
                                  placeholder=t("filter.all", lang))

    sel = {
        "tier": pick(1, "tier", list(TIER_ORDER), lambda x: tier_label(x, lang)),
        "kind": pick(2, "kind", opts("kind"), lambda x: kind_label(x, lang)),
        "stage": pick(3, "stage", ["receive", "decompose", "feedback"], lambda x: t("stage." + x, lang)),
        "region": pick(4, "region", opts("region"), lambda x: str(shown("region", x))),
        "department": pick(5, "department", opts("department"), lambda x: str(shown("department", x))),
        "status": pick(6, "status", opts("status"), lambda x: t("status." + x, lang)),
        "level": pick(7, "level", ["scope", "order"], lambda x: t("level." + x, lang)),
    }
    return [e for e in eps if all(not v or str(e.get(k)) in v for k, v in sel.items())]


def _table(eps: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    """One row per alert; the minutes are float columns even when none is known yet (they sort as numbers)."""
    minutes = {t("col.mtta", lang): "float64", t("col.mttr", lang): "float64"}
    return pd.DataFrame([{
        t("col.fired", lang): _fmt(e["fired"]), t("col.tier", lang): tier_label(e["tier"], lang),
        t("col.kind", lang): clean(kind_label(e["kind"], lang), 40), t("col.stage", lang): t(f"stage.{e['stage']}", lang),
        t("col.scope", lang): scope_plain(e["scope"], lang), t("col.status", lang): t(f"status.{e['status']}", lang),
        t("col.ack", lang): clean(e["acked_by"] or "", 40),
        t("col.mtta", lang): round((e["acked"] - e["fired"]) / 60, 1) if e["acked"] and e["fired"] else None,
        t("col.mttr", lang): round((e["resolved"] - e["fired"]) / 60, 1) if e["resolved"] and e["fired"] else None,
        t("col.labels", lang): ", ".join(t("label." + str(x), lang) for x in e["labels"] if x),
        t("col.summary", lang): clean(e["summary"], 200), "alert_id": e["alert_id"]} for e in eps]).astype(minutes)


def _column_config(lang: str) -> dict[str, Any]:
    """Room for two labels ("False alarm, Useful"): sized to its content, the column kept the width of its
    header when the table was first drawn without labels, cutting a label that landed later to "False alar".
    Minutes to one decimal; the cells stay numbers, so the columns sort (a time not yet known reads "—")."""
    minutes = {t(c, lang): st.column_config.NumberColumn(format="%.1f") for c in ("col.mtta", "col.mttr")}
    return {t("col.labels", lang): st.column_config.TextColumn(width=150), **minutes}


def _stats(eps: list[dict[str, Any]], failures: int | str | None, lang: str) -> None:
    """The headline tiles and the two charts; ``failures``: failed messages of the alerts shown (None: unreadable,
    "≥ n": the store no longer keeps all of the period's)."""
    st.subheader(t("hist.stats", lang), divider="gray")
    # firing to the first acknowledgement, over every alert acknowledged at some point (``acked`` is the first
    # ack, kept when it was taken back or lapsed since); the alerts nobody acknowledged have their own tile
    mtta, mttr = _minutes_to(eps, "acked"), _minutes_to(eps, "resolved")
    never = sum(1 for e in eps if not e["acked"])
    labelled, false = _verdicts(eps)
    m = st.columns(6)
    m[0].metric(t("hist.total", lang), len(eps))
    m[1].metric(t("hist.mtta", lang), t("minutes", lang, v=sum(mtta) / len(mtta)) if mtta else "—",
                help=t("hist.mtta_help", lang, n=len(mtta)))
    m[2].metric(t("hist.never_acked", lang), f"{never / len(eps):.0%}" if eps else "—", help=f"{never} / {len(eps)}")
    m[3].metric(t("hist.mttr", lang), t("minutes", lang, v=sum(mttr) / len(mttr)) if mttr else "—")
    m[4].metric(t("hist.false_share", lang), f"{false / labelled:.0%}" if labelled else "—",
                help=f"{false} / {labelled}")
    m[5].metric(t("hist.notify_fail", lang), "—" if failures is None else failures,
                help=t("hist.notify_fail_help", lang))
    if not eps:
        return
    df = pd.DataFrame([{"day": clock.show(e["fired"] or 0, "%Y-%m-%d"),
                        "tier": tier_label(e["tier"], lang), "kind": kind_label(e["kind"], lang)} for e in eps])
    tiers = [tier_label(x, lang) for x in TIER_ORDER]
    colour = alt.Color("tier:N", title=None, scale=alt.Scale(domain=tiers, range=[TIER_COLOR[x] for x in TIER_ORDER]))
    c1, c2 = st.columns([3, 2])
    c1.caption(t("hist.per_day", lang))
    c1.altair_chart(alt.Chart(df).mark_bar().encode(
        x=alt.X("day:O", title=None), y=alt.Y("count():Q", title=None, axis=WHOLE), color=colour,
        order=alt.Order("tier:N")).properties(height=220), width="stretch")
    c2.caption(t("hist.per_kind", lang))
    c2.altair_chart(alt.Chart(df).mark_bar().encode(
        y=alt.Y("kind:N", sort="-x", title=None), x=alt.X("count():Q", title=None, axis=WHOLE), color=colour
    ).properties(height=220), width="stretch")


Message = tuple[str, str]
"""One notification message on one channel: (key, target). A message about several alerts writes one row per alert."""


def failed_messages(failed: list[dict[str, Any]], since: float, until: float | None,
                    snapshot: dict[str, Any] | None) -> dict[str, set[Message]]:
    """Per alert id, the messages (key, channel) that failed after all their tries within [since, until) on the
    alerts' clock (a delivery's ``ts`` is wall-clock; an accelerated demo's alerts run faster, see
    :func:`dashboard.data.on_alert_clock`); ``until`` None = up to now.

    >>> rows = [{"alert_id": "a", "key": "g1", "target": "dingtalk", "ts": 1000.0},
    ...         {"alert_id": "b", "key": "g1", "target": "dingtalk", "ts": 1000.0},
    ...         {"alert_id": "a", "key": "k0", "target": "dingtalk", "ts": 10.0}]
    >>> sorted(failed_messages(rows, 500.0, None, None).items())
    [('a', {('g1', 'dingtalk')}), ('b', {('g1', 'dingtalk')})]
    >>> failed_messages(rows, 500.0, 900.0, None)
    {}
    >>> demo = {"now": 10_000.0, "wall": 1000.0, "clock_speed": 30.0}   # wall 10 s earlier = 300 s on its clock
    >>> sorted(failed_messages(rows, 9_600.0, None, demo))
    ['a', 'b']
    """
    out: dict[str, set[Message]] = {}
    for d in failed:
        at = data.on_alert_clock(data.epoch(d.get("ts")), snapshot)
        if at is None or at < since or (until is not None and at >= until) or d.get("ok"):
            continue
        out.setdefault(str(d.get("alert_id")), set()).add((data.message_of(d), str(d.get("target"))))
    return out


def kept_since(failed: list[dict[str, Any]], since: float, snapshot: dict[str, Any] | None,
               kept: int | None = None) -> bool:
    """Do the failed rows the store keeps (newest first, at most ``kept``) reach back to ``since``? When the list
    is full and its oldest row is newer, older failures of the period were trimmed away: a count is a lower bound.

    >>> rows = [{"ts": 900.0}, {"ts": 800.0}]
    >>> [kept_since(rows, since, None, kept=n) for since, n in ((850.0, 3), (850.0, 2), (700.0, 2))]
    [True, True, False]
    """
    if len(failed) < (data.FAILURES_KEPT if kept is None else kept):
        return True
    oldest = data.on_alert_clock(data.epoch(failed[-1].get("ts")), snapshot)
    return oldest is not None and oldest <= since


def failures_of(eps: list[dict[str, Any]], messages: dict[str, set[Message]]) -> int:
    """How many distinct messages failed for these alerts (a message about two of them counts once).

    >>> failures_of([{"alert_id": "a"}, {"alert_id": "b"}], {"a": {("g1", "x"), ("k2", "x")}, "b": {("g1", "x")}})
    2
    """
    return len(set().union(*(messages.get(e["alert_id"], set()) for e in eps)))


def _minutes_to(eps: list[dict[str, Any]], field: str) -> list[float]:
    """Minutes from firing to ``field`` (``acked``: the first acknowledgement, kept when it was taken back or
    lapsed since; ``resolved``), for the alerts that have it."""
    return [(e[field] - e["fired"]) / 60 for e in eps if e[field] and e["fired"] is not None]


def _verdicts(eps: list[dict[str, Any]]) -> tuple[int, int]:
    """(labelled, false alarms) among ``eps``: an alert labelled both ways counts as a false alarm."""
    labelled = [e for e in eps if any(x in LABELS for x in e["labels"])]
    return len(labelled), sum(1 for e in labelled if "false_alarm" in e["labels"])


def _median(values: list[float]) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def review(eps: list[dict[str, Any]], messages: dict[str, set[Message]],
           by_region: bool = False) -> list[dict[str, Any]]:
    """One row per alert kind (and region, if ``by_region``) of the alerts shown, for a quality review: counts,
    shares in percent (false alarms of the labelled; an alert labelled both ways counts as a false alarm, as the
    tile does), median minutes from firing to the first ack / to resolved, the share that reached an escalation
    step, the failed messages. Noisiest first: highest false-alarm share, then most never acknowledged, then most.

    >>> eps = [{"alert_id": "a", "kind": "lag", "region": "n", "tier": "red", "labels": ["false_alarm"],
    ...         "fired": 0.0, "acked": None, "resolved": 600.0, "escalated": 1},
    ...        {"alert_id": "b", "kind": "lag", "region": "s", "tier": "yellow", "labels": ["useful"],
    ...         "fired": 0.0, "acked": 120.0, "resolved": 900.0, "escalated": 0},
    ...        {"alert_id": "c", "kind": "mood", "region": "n", "tier": "blue", "labels": [],
    ...         "fired": 0.0, "acked": 60.0, "resolved": None, "escalated": 0}]
    >>> [(r["kind"], r["alerts"], r["red_orange"], r["false_share"], r["never"], r["mtta"], r["mttr"],
    ...   r["escalated"], r["failures"]) for r in review(eps, {"a": {("g", "x")}, "b": {("g", "x")}})]
    [('lag', 2, 50.0, 50.0, 50.0, 2.0, 12.5, 50.0, 1), ('mood', 1, 0.0, None, 0.0, 1.0, None, 0.0, 0)]
    >>> [(r["kind"], r["region"], r["alerts"]) for r in review(eps, {}, by_region=True)]
    [('lag', 'n', 1), ('lag', 's', 1), ('mood', 'n', 1)]
    """
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for e in eps:
        groups.setdefault((str(e.get("kind")), e.get("region") if by_region else None), []).append(e)
    rows = []
    for (kind, region), es in groups.items():
        labelled, false = _verdicts(es)
        never = sum(1 for e in es if not e["acked"])
        rows.append({
            "kind": kind, "region": region, "alerts": len(es),
            "red_orange": _pct(sum(1 for e in es if e["tier"] in ("red", "orange")), len(es)),
            "labelled": labelled, "useful": labelled - false, "false": false,
            "false_share": _pct(false, labelled), "never": _pct(never, len(es)),
            "mtta": _median(_minutes_to(es, "acked")), "mttr": _median(_minutes_to(es, "resolved")),
            "escalated": _pct(sum(1 for e in es if (e.get("escalated") or 0) >= 1), len(es)),
            "failures": failures_of(es, messages)})
    rows.sort(key=lambda r: (-(r["false_share"] or 0.0), -(r["never"] or 0.0), -r["alerts"], r["kind"],
                             str(r["region"] or "")))
    return rows


REVIEW_COLS = ("alerts", "red_orange", "labelled", "useful", "false", "false_share", "never", "mtta", "mttr",
               "escalated", "failures")
_PERCENT = ("red_orange", "false_share", "never", "escalated")
_MINUTES = ("mtta", "mttr")


def review_table(rows: list[dict[str, Any]], lang: str, by_region: bool = False) -> pd.DataFrame:
    """:func:`review` rows with the user's words: kinds by :func:`kind_label`, headers translated."""
    out = []
    for r in rows:
        row = {t("col.kind", lang): clean(kind_label(r["kind"], lang), 40)}
        if by_region:
            row[t("col.region", lang)] = clean(shown("region", r["region"]), 40) if r["region"] else "—"
        row.update({t(f"rv.{c}", lang): r[c] for c in REVIEW_COLS})
        out.append(row)
    cols = [t("col.kind", lang)] + ([t("col.region", lang)] if by_region else []) + [t(f"rv.{c}", lang)
                                                                                   for c in REVIEW_COLS]
    return pd.DataFrame(out, columns=cols)


def _review_config(lang: str) -> dict[str, Any]:
    """Shares as "67%", minutes to one decimal, counts whole, each figure's explanation as its header's tooltip;
    the cells stay numbers, so a column sorts (a figure not known, e.g. no label yet, reads "—")."""
    conf: dict[str, Any] = {}
    for c in REVIEW_COLS:
        tip = t(f"rv.{c}_help", lang)
        fmt = "%.0f%%" if c in _PERCENT else "%.1f" if c in _MINUTES else "%d"
        conf[t(f"rv.{c}", lang)] = st.column_config.NumberColumn(format=fmt,
                                                                 help=None if tip == f"rv.{c}_help" else tip)
    return conf


def _review(eps: list[dict[str, Any]], messages: dict[str, set[Message]], lang: str) -> None:
    """The per-kind review of the alerts shown: a compact table, split by region on request, and its CSV."""
    st.subheader(t("hist.review", lang), divider="gray")
    by_region = st.toggle(t("hist.by_region", lang), key="h_review_region")
    st.caption(t("hist.review_caption", lang))
    df = review_table(review(eps, messages, by_region), lang, by_region)
    with st.container(key="h_review"):
        show_table(df, height=_rows_height(len(df), 12), column_config=_review_config(lang))
    st.download_button(t("btn.csv_review", lang), df.to_csv(index=False).encode("utf-8-sig"), key="h_review_csv",
                       file_name=f"yujing-review-{clock.show(time.time(), '%Y%m%d-%H%M')}.csv", mime="text/csv",
                       icon=":material/download:")


def record_status(rec: dict[str, Any]) -> str:
    """What one lifecycle record says happened: an ``acknowledged`` record with ``acknowledged: false`` is an
    ack that timed out or was taken back, not an acknowledgement.

    >>> [record_status(r) for r in ({"status": "acknowledged", "by": "li"}, {"status": "resolved"},
    ...  {"status": "acknowledged", "acknowledged": False, "reason": "ack_timeout"},
    ...  {"status": "acknowledged", "acknowledged": False, "reason": "unack", "by": "li"})]
    ['acknowledged', 'resolved', 'ack_lapsed', 'unacked']
    """
    if rec.get("status") == "acknowledged" and not data.is_ack(rec):
        return "unacked" if rec.get("reason") == "unack" else "ack_lapsed"
    return str(rec.get("status"))


def story(alert_id: str, lang: str, timeline: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """The alert's timeline: the worker's lifecycle records (``timeline``, read now if not given) merged with
    board actions from the audit log."""
    store = data.store()
    rows = []
    for rec in store.timeline(alert_id) if timeline is None else timeline:
        detail = {k: rec.get(k) for k in ("tier", "by", "assignee", "reason", "note", "notified", "receivers",
                                                  "until")
                  if rec.get(k) not in (None, "", [], {})}
        rows.append({"ts": data.epoch(rec.get("ts")) or 0, t("col.what", lang): t(f"status.{record_status(rec)}", lang),
                     t("col.who", lang): clean(rec.get("by") or rec.get("acked_by") or "", 64),
                     t("col.detail", lang): clean(evidence_text(detail, lang=lang) or rec.get("summary"), 200)})
    snap = data.board_data().snapshot  # board actions are on the wall clock; a demo's alerts run faster
    for entry in store.audit_log(2000):
        det = entry.get("detail") or {}
        if isinstance(det, dict) and det.get("alert_id") == alert_id:
            extra = {k: v for k, v in det.items() if k in ("reason", "note", "assignee", "label", "until")}
            if extra.get("label"):   # the label as the board names it elsewhere ("False alarm"), not its code
                extra["label"] = t(f"label.{extra['label']}", lang)
            rows.append({"ts": data.on_alert_clock(data.epoch(entry.get("ts")), snap) or 0,
                         t("col.what", lang): f"{t('status.board', lang)}: {t('action.' + str(entry.get('action')), lang)}",
                         t("col.who", lang): clean(entry.get("who"), 64),
                         t("col.detail", lang): clean(evidence_text(extra, lang=lang), 200)})
    rows.sort(key=lambda r: r["ts"])
    for r in rows:
        r[t("col.time", lang)] = _fmt(r.pop("ts"))
    cols = [t("col.time", lang), t("col.what", lang), t("col.who", lang), t("col.detail", lang)]
    return pd.DataFrame(rows, columns=cols)


def _rows_height(rows: int, most: int) -> int:
    """Pixels for a dataframe showing ``rows`` rows (at most ``most``) and its header, without a scrollbar.

    >>> _rows_height(3, 20), _rows_height(50, 20)
    (143, 738)
    """
    return 35 * (min(max(rows, 1), most) + 1) + 3


def picked_now(eps: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """The alert the story panel shows (the one picked before, else the first row, as the picker does) re-read
    now: its row in ``eps`` is replaced, in place, by its state as of now, and its timeline is returned for the story.

    The rows come from a read up to 5 s old (:func:`dashboard.data.history_data`); the story is read on every
    run. Without this the table, the statistics and the story of one alert could disagree on one page (the row
    still "acknowledged" above a story that already ends "resolved"). Both now come from the same read of the
    alert's timeline; the alert stays in the list even if its new state no longer matches the filters, since it
    is the one being read.
    """
    if not eps:
        return None, []
    ids = [e["alert_id"] for e in eps]
    aid = st.session_state.get("h_pick")
    aid = aid if aid in ids else ids[0]
    row, timeline = data.alert_now(aid)
    if row is not None:
        i = ids.index(aid)
        eps[i] = episodes([{**row, "labels": eps[i]["labels"]}])[0]   # labels: the board's read of the label set
    return aid, timeline


def deliveries_table(deliveries: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    """An alert's notification outcomes as a quality team reads them: when, for which step, to whom, by which
    channel, delivered or not, after how many tries, and why not (the store's raw keys stay in the store)."""
    snap = data.board_data().snapshot  # sent on the wall clock; a demo's alerts run faster
    return pd.DataFrame([{
        t("col.time", lang): _fmt(data.on_alert_clock(data.epoch(d.get("ts")), snap)),
        t("col.what", lang): t(f"status.{d['status']}", lang) if d.get("status") else "",
        t("col.receiver", lang): clean(d.get("receiver") or "", 64), t("col.channel", lang): clean(d.get("target") or "", 64),
        t("col.result", lang): t("dl.ok" if d.get("ok") else "dl.failed", lang),
        t("col.attempts", lang): int(d.get("attempts") or 0), t("col.error", lang): clean(d.get("error") or "", 200)}
        for d in deliveries])


def _story_panel(user: User, eps: list[dict[str, Any]], aid: str, timeline: list[dict[str, Any]],
                 lang: str) -> None:
    """The story of alert ``aid`` (as :func:`picked_now` chose and read it) and the picker to choose another."""
    st.subheader(t("hist.story", lang), divider="gray")
    by_id = {e["alert_id"]: e for e in eps}
    st.selectbox(t("hist.pick", lang), list(by_id), index=list(by_id).index(aid), key="h_pick", format_func=lambda a: (
        f"{_fmt(by_id[a]['fired'])} · {tier_label(by_id[a]['tier'], lang)} · {clean(kind_label(by_id[a]['kind'], lang), 40)}"
        f" · {scope_plain(by_id[a]['scope'], lang, 80)}"))
    ep = by_id[aid]
    st.markdown(md(ep["summary"]))
    if ep["evidence"]:
        st.caption(md(evidence_text(ep["evidence"], limit=12, lang=lang, kind=ep.get("kind"))))
    steps = story(aid, lang, timeline)
    with st.container(key="h_story"):   # tall enough for the whole story (up to 20 steps) without scrolling
        show_table(steps, height=_rows_height(len(steps), 20))
    deliveries = data.store().deliveries(alert_id=aid)
    if deliveries:
        st.caption(t("hist.deliveries", lang))
        show_table(deliveries_table(deliveries, lang))
    if can(user.role, "label"):
        _label_panel(user, ep, lang)


LABEL_POLL_S = 2.0
"""While a label is pending, the label panel re-reads the store this often (the history page has no refresh)."""
LABEL_WAIT_S = ACTION_WAIT_S
"""How long a sent label may stay pending: as long as an alert card's command (a label is a board command too;
:data:`dashboard.alert_card.ACTION_WAIT_S`), then it is reported as not applied and can be sent again."""


def _labels_of(ep: dict[str, Any]) -> list[dict[str, Any]]:
    """The alert's labels as the store has them now (never cached), oldest first."""
    return [lb for lb in data.store().labels(ep["fired"]) if str(lb.get("alert_id")) == ep["alert_id"]]


def _same(labels: list[dict[str, Any]], label: str, by: str) -> int:
    return sum(1 for lb in labels if lb.get("label") == label and lb.get("by") == by)


def _label_panel(user: User, ep: dict[str, Any], lang: str) -> None:
    """Label the alert: no verdict chosen until the reviewer picks one (a default would bias the review), and a
    label sent is shown as pending until the worker has written it to the store (then the page re-reads), for
    at most :data:`LABEL_WAIT_S`: then the page says it was not applied."""
    aid = ep["alert_id"]
    pending: dict[str, dict[str, Any]] = st.session_state.setdefault("label_pending", {})
    lapsed: dict[str, dict[str, Any]] = st.session_state.setdefault("label_lapsed", {})

    @st.fragment(run_every=LABEL_POLL_S if aid in pending else None)
    def panel() -> None:
        stored = _labels_of(ep)
        sent = pending.get(aid)
        if sent and _same(stored, sent["label"], user.name) > sent["seen"]:
            del pending[aid]             # the worker has written it: the table above re-reads and shows it
            data.refresh()
            st.rerun()
        if sent and time.time() - sent.setdefault("at", time.time()) > LABEL_WAIT_S:
            lapsed[aid] = pending.pop(aid)   # not applied in time: stop polling, say so
            st.rerun()
        late = lapsed.get(aid)
        if late and _same(stored, late["label"], user.name) > late["seen"]:
            del lapsed[aid]              # it was applied after all, late: the labels below show it
            late = None
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        label = c1.radio(t("hist.label", lang), LABELS, index=None, horizontal=True, key=f"lbl-{aid}",
                         format_func=lambda x: t("label." + x, lang))
        if c2.button(t("btn.label", lang), key=f"lblbtn-{aid}", type="primary", disabled=label is None):
            actions.perform(data.store(), user, "label", {"alert_id": aid, "fingerprint": ep["fingerprint"],
                                                          "tier": ep["tier"]}, label=label)
            pending[aid] = {"label": label, "seen": _same(stored, label, user.name), "at": time.time()}
            lapsed.pop(aid, None)
            st.rerun()                   # the whole page, so this panel polls the store until the label lands
        state = [f"{t('label.' + str(lb.get('label')), lang)} ({clean(lb.get('by'), 40)})" for lb in stored]
        line = md(t("hist.labels_now", lang, labels=" · ".join(state))) if state else t("hist.no_labels", lang)
        if sent:
            line += " · :material/hourglass_top: " + t("pending", lang, action=t("label." + sent["label"], lang))
        st.caption(line)
        if late:
            st.warning(t("label.not_applied", lang, label=t("label." + late["label"], lang), s=f"{LABEL_WAIT_S:.0f}"),
                       icon=":material/sync_problem:")

    panel()


def _missed(user: User, lang: str) -> None:
    with st.expander(t("hist.missed_title", lang), icon=":material/report:"):
        with st.form("missed", border=False):
            c = st.columns(3)
            region = c[0].text_input(t("col.region", lang), key="m_region")
            dept = c[1].text_input(t("col.department", lang), key="m_dept")
            stage = c[2].selectbox(t("col.stage", lang), ["receive", "decompose", "feedback"], key="m_stage",
                                   format_func=lambda x: t("stage." + x, lang))
            desc = st.text_area(t("hist.missed_desc", lang), key="m_desc")
            if st.form_submit_button(t("btn.missed", lang)):
                if not desc.strip():
                    st.error(t("form.reason_missing", lang))
                else:
                    # a region or department may be typed by its name: the matchers hold ids, as alerts do
                    matchers = {k: v for k, v in (("region", id_of("region", region)),
                                                  ("department", id_of("department", dept)), ("stage", stage)) if v}
                    actions.perform(data.store(), user, "label", None, label="missed_incident",
                                    reason=desc.strip(), matchers=matchers)
                    st.toast(t("form.sent", lang, action=t("label.missed_incident", lang)))


def render() -> None:
    user = require_user()
    lang = current_lang()
    since, until = _filters(lang)
    eps = _apply(episodes(data.history_data(since, until)), lang)
    picked, timeline = picked_now(eps)
    failures: int | str | None = None
    try:   # failed in the period, on the alerts' clock; the alerts shown only (the filters apply)
        failed, snap = data.failed_deliveries(), data.board_data().snapshot
        messages: dict[str, set[Message]] | None = failed_messages(failed, since, until, snap)
        failures = failures_of(eps, messages or {})
        if not kept_since(failed, since, snap):
            failures = f"≥ {failures}"   # the store's list was trimmed inside the period
    except Exception:  # noqa: BLE001 - a statistic must not take the page down
        messages = None
    _stats(eps, failures, lang)
    if eps:
        _review(eps, messages or {}, lang)
    st.subheader(f"{t('page.history', lang)} · {len(eps)}", divider="gray")
    st.caption(t("times.zone", lang, zone=clock.zone_name()))
    if not eps:
        st.info(t("hist.none", lang))
    else:
        df = _table(eps, lang)
        show_table(df.drop(columns=["alert_id"]), height=300, column_config=_column_config(lang))
        st.download_button(t("btn.csv", lang), df.to_csv(index=False).encode("utf-8-sig"),
                           file_name=f"yujing-alerts-{clock.show(time.time(), '%Y%m%d-%H%M')}.csv", mime="text/csv",
                           icon=":material/download:")
        _story_panel(user, eps, picked, timeline, lang)
    if can(user.role, "label"):
        _missed(user, lang)
