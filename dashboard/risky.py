"""The live board's "riskiest orders": five columns a duty manager reads without scrolling sideways, the rest of
an order on demand.

The table sits in the right-hand column (about 600 px on a 1680 px screen). It shows what a duty manager decides
on: which order, how risky, why (the top factors), how long it has been open, and what the customer said
(masked, as text). Tier, region, department, category, channel, stage and when the risk was last updated are in
the order's detail, picked by order number below the table; the pick is by order number, not by row, so a
refresh that re-ranks the orders never swaps the detail for another order.

The live worker's risk records (``risk:latest``) carry the order, its risk, tier and factors, and (extensions
of the contract) when it was opened, its region and stage; the order's active ``complaint_risk`` alert also knows
its department, category, channel and the customer's last words (masked by the worker), so a record is completed
from that alert when there is one (:func:`with_alerts`).
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import ago, clean, md, scope_md, show_table, tier_badge, tier_label
from detectors.fusion import display_value
from yujing.i18n import factor_text, t

LIMIT = 15
"""Orders in the table."""
PICK_KEY = "risky_pick"


def with_alerts(rows: list[dict[str, Any]], active: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each risk record completed from its order's active ``complaint_risk`` alert (the record's own values win).

    >>> alert = {"kind": "complaint_risk", "stage": "feedback", "scope": {"order_id": "WO-1", "region": "east"},
    ...          "evidence": {"department": "ops-east", "category": "complaint", "last_text": "再不来就投诉"}}
    >>> row = with_alerts([{"order_id": "WO-1", "risk": 0.9, "region": ""}], [alert])[0]
    >>> row["region"], row["stage"], row["text"], row["risk"]
    ('east', 'feedback', '再不来就投诉', 0.9)
    """
    by_order = {str((a.get("scope") or {}).get("order_id")): a for a in active
                if a.get("kind") == "complaint_risk" and (a.get("scope") or {}).get("order_id")}
    out = []
    for r in rows:
        a = by_order.get(str(r.get("order_id")))
        if a is not None:
            ev = a.get("evidence") or {}
            known = {"region": (a.get("scope") or {}).get("region"), "stage": a.get("stage"),
                     "department": ev.get("department"), "category": ev.get("category"),
                     "channel": ev.get("channel"), "text": ev.get("last_text")}
            r = {**{k: v for k, v in known.items() if v}, **{k: v for k, v in r.items() if v not in (None, "")}}
        out.append(r)
    return out


def _order(r: dict[str, Any]) -> str:
    return " ".join(str(r.get("order_id") or "").split())[:64]   # a system id, not PII: shown whole


def _factors(r: dict[str, Any], lang: str, limit: int = 120) -> str:
    return clean(("、" if lang == "zh" else ", ").join(factor_text(str(f), lang) for f in r.get("top_factors") or []),
                 limit)


def open_min(r: dict[str, Any], now: float) -> float | None:
    """Minutes the order has been open by ``now``: its age when its record was written (``updated``) plus the
    time since, so a record that has not changed for a while (or stalled data) does not freeze its age.

    A closed order is open no more: None (its risk stays on the board while a revisit or an escalation may still
    come, but "minutes open" would count on from its close).

    >>> open_min({"age_min": 30, "updated": 1000.0}, now=1600.0), open_min({"age_min": 30}, 1600.0), open_min({}, 1.0)
    (40.0, 30.0, None)
    >>> open_min({"age_min": 30, "updated": 1000.0, "stage": "closed"}, now=1600.0) is None
    True
    """
    if r.get("age_min") is None or r.get("stage") == "closed":
        return None
    since = max(0.0, now - float(r["updated"])) if r.get("updated") else 0.0
    return float(r["age_min"]) + since / 60


def table(rows: list[dict[str, Any]], now: float, lang: str) -> pd.DataFrame:
    """The five columns (order, risk, top factors, minutes open, customer text); a column empty for every row
    (the live worker's records have no age or text unless an alert supplied them) is left out. The risk is in per
    cent, as alert summaries and messages give it ("投诉风险 91%"); a closed order says so after its number and has
    no minutes open."""
    df = pd.DataFrame([{
        t("col.order", lang): _order(r) + (f" · {t('stage.closed', lang)}" if r.get("stage") == "closed" else ""),
        t("col.risk", lang): round(100 * float(r.get("risk") or 0)),
        t("col.factors", lang): _factors(r, lang),
        t("col.age", lang): None if open_min(r, now) is None else round(open_min(r, now)),
        t("col.text", lang): clean(r.get("text") or "", 200)} for r in rows])
    return df.loc[:, [c for c in df.columns if not df[c].isna().all() and not (df[c].astype(str) == "").all()]]


def _column_config(lang: str) -> dict[str, Any]:
    """Widths that add up to 590 px: the five columns fit the right-hand column at 1680 px (about 600 px), and
    a wider screen spreads the rest evenly. The order column holds a whole order number (``WO-20261124-b383000155``
    needs ~170 px: at 130 it was cut, in the demo's screenshot); a cell's whole text shows when it is clicked, and
    in the detail."""
    cc = st.column_config
    return {t("col.order", lang): cc.TextColumn(width=175, pinned=True),
            t("col.risk", lang): cc.ProgressColumn(format="%d%%", min_value=0, max_value=100, width=75),
            t("col.factors", lang): cc.TextColumn(width=140),
            t("col.age", lang): cc.NumberColumn(format="%d", width=60),
            t("col.text", lang): cc.TextColumn(width=140)}


def detail(r: dict[str, Any], now: float, lang: str) -> None:
    """Everything the board knows about one risky order; customer words as ``st.text`` (never markup)."""
    with st.container(border=True, key="risky-detail"):
        st.markdown(f"{tier_badge(r.get('tier'), lang)} **{scope_md({'order_id': _order(r)}, lang)}** · "
                    f"{md(t('col.risk', lang))} {float(r.get('risk') or 0):.0%}")
        fields = (("region", "col.region"), ("department", "col.department"), ("category", "col.category"),
                  ("channel", "col.channel"))
        where = [f"{t(key, lang)} {clean(display_value(f, r[f], lang), 40)}"
                 for f, key in fields if r.get(f)]
        if r.get("stage"):
            where.append(f"{t('col.stage', lang)} {t('stage.' + str(r['stage']), lang)}")
        when = []
        age = open_min(r, now)
        if age is not None:
            when.append(t("risky.open", lang, ago=ago(age * 60, lang)))
        if r.get("updated"):
            when.append(t("risky.updated", lang, ago=ago(now - float(r["updated"]), lang)))
        st.caption(md(" · ".join(where + when)))
        if r.get("top_factors"):
            st.markdown(f"**{t('col.factors', lang)}** · {md(_factors(r, lang, 400))}")
        if r.get("text"):
            st.caption(t("col.text", lang))
            st.text(clean(r["text"], 1000))


def section(rows: list[dict[str, Any]] | None, active: list[dict[str, Any]], now: float, lang: str) -> None:
    """The riskiest orders: the five-column table, and the picked order's detail below it; ``now`` on the
    alerts' clock (:func:`dashboard.data.alerts_now`); ``rows`` None: no snapshot, the orders are unknown."""
    st.subheader(t("risky.title", lang), divider="gray")
    if rows is None:
        st.caption(t("risky.unknown", lang))
        return
    rows = with_alerts(rows[:LIMIT], active)
    if not rows:
        st.caption(t("risky.none", lang))
        return
    show_table(table(rows, now, lang), column_config=_column_config(lang))
    by_order = {_order(r): r for r in rows}
    picked = st.selectbox(t("risky.pick", lang), list(by_order), index=None, key=PICK_KEY,
                          placeholder=t("risky.pick_hint", lang), label_visibility="collapsed",
                          format_func=lambda o: f"{o} · {float(by_order[o].get('risk') or 0):.0%} · "
                                                f"{tier_label(by_order[o].get('tier'), lang)}")
    if picked in by_order:
        detail(by_order[picked], now, lang)
