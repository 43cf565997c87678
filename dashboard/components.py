"""Small pieces shared by the pages: tier colours, escaping, the freshness pill, the stage card, charts.

Rule for safety: only values the board controls (tier names, integers, texts from :mod:`yujing.i18n`) ever
reach ``unsafe_allow_html``; anything from alerts or customers goes through :func:`md` (escaped markdown),
``st.text`` or a dataframe.
"""
from __future__ import annotations

import re
import time
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import clock
from yujing.i18n import t
from detectors.fusion import display_value, evidence_pairs, evidence_value_zh
from yujing.masking import mask_pii
from yujing.names import shown

TIER_ORDER: tuple[str, ...] = ("red", "orange", "yellow", "blue")
TIER_COLOR = {"red": "#D7263D", "orange": "#F46B1B", "yellow": "#F2C500", "blue": "#1F6FD1", None: "#9AA5B1"}
TIER_RANK = {"red": 4, "orange": 3, "yellow": 2, "blue": 1}
_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")

CSS = """
<style>
.block-container {padding-top: 3.2rem; padding-bottom: 1rem;}
.stAppDeployButton, [data-testid="stAppDeployButton"] {display:none;}
.yj-sim {font-size:.85rem; color:#8a5a00; background:#FFF4D6; border-radius:.4rem; padding:.05rem .45rem;
         margin-left:.5rem; vertical-align:middle;}
.yj-head {font-size:1.35rem; font-weight:700; margin:0;}
.yj-clock {font-size:1.35rem; font-variant-numeric: tabular-nums; color:#444;}
.yj-zone {font-size:.8rem; color:#666; margin-left:.4rem;}
.yj-tiles {display:flex; gap:.6rem;}
.yj-tile {flex:1; border-radius:.6rem; padding:.55rem .9rem; color:#fff; line-height:1.15;}
.yj-tile .n {font-size:2.6rem; font-weight:700;}
.yj-tile .l {font-size:.95rem; opacity:.95;}
.yj-tile .s {font-size:.8rem; opacity:.9; margin-top:.15rem;}
.yj-tile.zero {opacity:.35;}
.yj-pill {display:inline-block; border-radius:1rem; padding:.25rem .9rem; font-weight:600; color:#fff;}
.yj-pill.ok {background:#2E9E5B;} .yj-pill.stale {background:#D7263D; animation: yjblink 1s infinite;}
.yj-pill.lag {background:#F2A900; color:#222;}
@keyframes yjblink {50% {opacity:.45;}}
div[class*="st-key-card-red"] {border-left:.45rem solid #D7263D !important; background:rgba(215,38,61,.05);}
div[class*="st-key-card-orange"] {border-left:.45rem solid #F46B1B !important;}
div[class*="st-key-card-yellow"] {border-left:.45rem solid #F2C500 !important;}
div[class*="st-key-card-blue"] {border-left:.45rem solid #1F6FD1 !important;}
</style>
"""


def inject_css() -> None:
    st.markdown(CSS, unsafe_allow_html=True)


def md(text: Any, limit: int = 400) -> str:
    """``text`` masked and escaped for ``st.markdown``: no HTML, links, images, emoji codes or LaTeX.

    >>> md("<b>call 13812345678</b> [x](http://e.vil)")
    '\\\\<b\\\\>call 138\\\\*\\\\*\\\\*\\\\*5678\\\\</b\\\\> \\\\[x\\\\]\\\\(http\\\\:/e\\\\.vil\\\\)'
    """
    s = mask_pii(str(text if text is not None else ""))
    s = " ".join(s.split())[:limit]
    s = s.replace("//", "/")
    return _PUNCT.sub(r"\\\1", s)


def clean(text: Any, limit: int = 300) -> str:
    """Masked plain text for a dataframe cell or ``st.text`` (both render text, never HTML)."""
    return " ".join(mask_pii(str(text if text is not None else "")).split())[:limit]


MISSING = "—"
"""How a table cell with no value reads (no label yet, never acked): a dash, not Streamlit's grey "None"."""


def show_table(df: pd.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` as every board table is drawn: full width, no index, a missing value as
    :data:`MISSING`; ``kwargs`` (height, column_config, key) pass through. Cells stay typed: numbers sort."""
    return st.dataframe(df, hide_index=True, width="stretch", placeholder=MISSING, **kwargs)


def tier_label(tier: str | None, lang: str) -> str:
    return t(f"tier.{tier}", lang) if tier else "—"


def tier_badge(tier: str | None, lang: str) -> str:
    """Markdown badge in the tier's colour (controlled values only)."""
    colour = {"red": "red", "orange": "orange", "yellow": "yellow", "blue": "blue"}.get(tier or "", "gray")
    return f":{colour}-badge[{tier_label(tier, lang)}]"


def scope_text(scope: dict[str, Any] | None) -> str:
    """``region=north · department=ops`` (plain, not yet escaped)."""
    return " · ".join(f"{k}={v}" for k, v in (scope or {}).items()) or "—"


_SCOPE_KEYS = {"order_id": "col.order", "region": "col.region", "department": "col.department",
               "category": "col.category", "channel": "col.channel", "stage": "col.stage",
               "customer_id": "col.customer"}


def scope_md(scope: dict[str, Any] | None, lang: str = "en") -> str:
    r"""The scope as escaped markdown with translated keys; the order number is shown whole.

    ``order_id`` is the system's own work-order number (event contract), not customer text, and the duty
    manager needs all of it to find the order (a long numeric suffix would otherwise be masked like an ID
    number). Every other value is masked and escaped as usual.

    >>> print(scope_md({"order_id": "WO-20261123-5808000009", "region": "east"}, "zh"))
    工单 WO\-20261123\-5808000009 · 区域 east
    """
    parts = []
    for k, v in (scope or {}).items():
        key = t(_SCOPE_KEYS[k], lang) if k in _SCOPE_KEYS else md(k, 40)
        value = (_PUNCT.sub(r"\\\1", " ".join(str(v).split())[:64]) if k == "order_id"
                 else md(display_value(k, v, lang), 80))
        parts.append(f"{key} {value}")
    return " · ".join(parts) or "—"


def scope_plain(scope: dict[str, Any] | None, lang: str = "en", limit: int = 120) -> str:
    """The scope as masked plain text for a table cell, keys translated, the order number whole.

    >>> scope_plain({"order_id": "WO-20261123-5808000009", "region": "east"}, "en")
    'Order WO-20261123-5808000009 · Region east'
    >>> scope_plain({"category": "complaint", "customer_id": "C-42"}, "zh")
    '类别 投诉 · 客户 C-42'
    """
    parts = []
    for k, v in (scope or {}).items():
        key = t(_SCOPE_KEYS[k], lang) if k in _SCOPE_KEYS else clean(k, 40)
        value = (" ".join(str(v).split())[:64] if k == "order_id"
                 else clean(display_value(k, v, lang), 80))
        parts.append(f"{key} {value}")
    return (" · ".join(parts) or "—")[:limit]


def kind_label(kind: Any, lang: str) -> str:
    """The alert kind in the user's language (the raw kind when there is no translation)."""
    text = t(f"kind.{kind}", lang)
    return str(kind if kind is not None else "—") if text == f"kind.{kind}" else text


REASON_ZH = {"cleared": "条件已消除", "stale": "久无更新自动解除", "ack_timeout": "确认超时", "unack": "取消确认",
             "unacknowledged": "无人确认，已升级", "assigned": "已指派", "group": "分组通知", "repeat": "重复提醒",
             "digest": "汇总通知", "manual": "人工解除", "expired": "静默到期", "removed": "静默已撤销",
             "no_longer_matches": "不再符合静默条件", "resolved": "解除通知"}
"""Reasons of lifecycle records (alerts/pipeline.py) as a quality team reads them."""


def _evidence_value_zh(key: str, v: Any) -> Any:
    if key == "tier" and isinstance(v, str):
        return tier_label(v, "zh")
    if key == "reason" and isinstance(v, str):
        return REASON_ZH.get(v, v)
    return evidence_value_zh(key, v)


def evidence_text(evidence: dict[str, Any] | None, limit: int = 6, lang: str = "en", kind: str | None = None) -> str:
    """The evidence as ``key: value`` pairs, at most ``limit`` items: numbers as :func:`evidence_number` reads
    them (shares in per cent; ``kind``, the alert's, says what a ``value`` measures), times on the business's
    clock; with ``lang="zh"`` the keys and the category / channel / check / factor values in Chinese.

    >>> evidence_text({"category": "fault_repair", "check": "receive_ack", "share_used": 1.0}, lang="zh")
    '分类: 故障报修 · 时限节点: 受理确认 · 时限已用: 100%'
    >>> evidence_text({"value": 0.32, "baseline": 0.25, "faults_30min": 15}, lang="zh", kind="arrival_surge")
    '数值: 32% · 正常水平: 25% · 30 分钟报修: 15'
    >>> evidence_text({"tier": "red", "by": "duty", "reason": "cleared"}, lang="zh")   # an alert's timeline
    '级别: 红色 · I级 · 操作人: duty · 原因: 条件已消除'
    >>> evidence_text({"deadline": 1783992760.0})   # a time: on the business's clock (UTC+8), not the server's
    'deadline: 07-14 09:32'
    """
    if lang == "zh":   # an alert's timeline: its tier and reasons in the board's words
        evidence = {k: _evidence_value_zh(str(k), v) if k in ("tier", "reason") else v
                    for k, v in (evidence or {}).items()}
    parts = []
    for k, v in evidence_pairs(evidence, lang, kind, lambda t: clock.show(t, "%m-%d %H:%M"), limit):
        if isinstance(v, (list, tuple)):
            v = ", ".join(str(x) for x in v[:4])
        elif isinstance(v, dict):
            v = ", ".join(f"{a}={b}" for a, b in list(v.items())[:4])
        parts.append(f"{k}: {v}")
    return " · ".join(parts)


def ago(seconds: float | None, lang: str) -> str:
    """How long something has lasted, in the board's language (``—`` when unknown).

    >>> ago(65, "en"), ago(3 * 3600 + 300, "zh"), ago(20, "zh"), ago(None, "en")
    ('1 min', '3 小时 5 分钟', '不到 1 分钟', '—')
    """
    if seconds is None:
        return "—"
    m = max(0, int(seconds // 60))
    zh = lang == "zh"
    if m == 0:
        return "不到 1 分钟" if zh else "< 1 min"
    if m < 60:
        return f"{m} 分钟" if zh else f"{m} min"
    return f"{m // 60} 小时 {m % 60} 分钟" if zh else f"{m // 60} h {m % 60} min"


def tier_tiles(counts: dict[str, int] | None, lang: str, scopes: dict[str, int] | None = None) -> None:
    """Four big tiles: active alerts by tier, in the national colours (red first); ``scopes``: how many of them
    are about a region, department or channel rather than one order (a line under the count when any).
    ``counts`` None: the alerts could not be read, each tile shows "—" (never "0 red")."""
    tiles = []
    for tier in TIER_ORDER:
        n = None if counts is None else int(counts.get(tier, 0))
        k = int((scopes or {}).get(tier, 0))
        fg = "#222" if tier == "yellow" else "#fff"
        sub = f'<div class="s">{t("tile.scopes", lang, n=k)}</div>' if k else ""
        tiles.append(f'<div class="yj-tile{" zero" if not n else ""}" style="background:{TIER_COLOR[tier]};'
                     f'color:{fg}"><div class="n">{"—" if n is None else n}</div>'
                     f'<div class="l">{t("tier." + tier, lang)}</div>{sub}</div>')
    st.markdown(f'<div class="yj-tiles">{"".join(tiles)}</div>', unsafe_allow_html=True)


def data_gaps(snapshot: dict[str, Any], now: float | None = None) -> tuple[float, float]:
    """(wall seconds since the worker wrote the snapshot, wall seconds since its newest event; inf if unknown),
    both as of ``now``.

    The newest event's gap inside the snapshot is only its age when the snapshot was written: on stalled data
    the snapshot keeps saying "2 s" while it grows old, so its own age is added. The gap is on the events'
    clock, which an accelerated demo runs ``clock_speed`` times faster, so it is turned into wall seconds.

    >>> data_gaps({"wall": 100.0, "now": 100.0, "newest_event_ts": 97.0}, now=130.0)   # written 30 s ago
    (30.0, 33.0)
    >>> data_gaps({"wall": 100.0, "now": 5000.0, "newest_event_ts": 4940.0, "clock_speed": 30.0}, now=100.0)
    (0.0, 2.0)
    """
    now = time.time() if now is None else now
    wall_age = max(0.0, now - float(snapshot.get("wall") or 0))
    newest = snapshot.get("newest_event_ts")
    if newest:
        speed = float(snapshot.get("clock_speed") or 1.0)
        event_gap = max(0.0, float(snapshot.get("now") or 0) - float(newest)) / speed + wall_age
    elif snapshot.get("event_idle_s") is not None:  # wall seconds since the worker's event count last grew
        event_gap = float(snapshot["event_idle_s"]) + wall_age
    else:
        event_gap = float("inf")
    return wall_age, event_gap


def is_stale(snapshot: dict[str, Any] | None, stale_after_s: float, now: float | None = None) -> bool:
    """No snapshot, or the worker or its feed silent longer than ``stale_after_s``: the pipeline has stalled."""
    if not snapshot:
        return True
    return max(data_gaps(snapshot, now)) > stale_after_s


def all_clear(error: str | None, stale: bool, none_text: str, lang: str) -> None:
    """The empty state of an alert list: a green "no alerts" only when the list is known to be complete; when the
    alert store could not be read, or the data has stalled (new alerts may not have arrived), it says so."""
    if error:
        st.error(t("alerts.unknown", lang), icon=":material/help:")
    elif stale:
        st.warning(t("alerts.none_stale", lang, none=none_text), icon=":material/hourglass_disabled:")
    else:
        st.success(none_text, icon=":material/verified:")


def freshness(snapshot: dict[str, Any] | None, stale_after_s: float, lang: str,
              now: float | None = None, blocked: bool = False, error: str | None = None) -> bool:
    """The data-freshness pill; returns True when the data is stale (pipeline stalled or no snapshot).

    ``blocked``: a worker has been retrying a write for a while, so fresh-looking figures may lag; the pill
    turns amber instead of staying green (red still wins). ``error``: why Redis could not be read; with no
    snapshot, the caption gives that reason (Redis unreachable), not "the worker has not written one"."""
    if not snapshot:
        st.markdown(f'<span class="yj-pill stale">{t("fresh.stale", lang)}</span>', unsafe_allow_html=True)
        st.caption(md(t("fresh.unreadable", lang, err=error[:160])) if error else t("fresh.none", lang))
        return True
    wall_age, event_gap = data_gaps(snapshot, now)
    stale = is_stale(snapshot, stale_after_s, now)
    cls, word = (("stale", t("fresh.stale", lang)) if stale else ("lag", t("fresh.lag", lang)) if blocked
                 else ("ok", t("fresh.ok", lang)))
    speed = float(snapshot.get("clock_speed") or 1.0)
    sim = f'<span class="yj-sim">{t("fresh.sim", lang, speed=f"{speed:g}")}</span>' if speed != 1.0 else ""
    st.markdown(f'<span class="yj-pill {cls}">● {word}</span>{sim}', unsafe_allow_html=True)
    gap = "∞" if event_gap == float("inf") else f"{event_gap:.0f}"
    epm = snapshot.get("events_per_min")
    st.caption(t("fresh.detail", lang, wall_age=f"{wall_age:.0f}", event_gap=gap,
                 epm="—" if epm is None else f"{float(epm):.0f}"))
    return stale


def stage_card(stage: str, figures: dict[str, Any] | None, lang: str) -> None:
    """One stage's headline figures with trend sparklines (last 60 minutes); ``figures`` None: no snapshot could
    be read, so every figure is unknown ("—"), not 0."""
    if figures is None:
        with st.container(border=True, key=f"stage-{stage}"):
            st.markdown(f"**{t('stage.' + stage, lang)}**")
            for col, label in zip(st.columns(3), ("m.backlog", "m.overdue", "m.negativity")):
                col.metric(t(label, lang), "—")
        return
    spark = figures.get("spark") or {}
    with st.container(border=True, key=f"stage-{stage}"):
        st.markdown(f"**{t('stage.' + stage, lang)}** · {t('m.arrivals', lang, v=figures.get('arrivals_per_min', 0))}")
        c1, c2, c3 = st.columns(3)
        growth = figures.get("backlog_growth_per_h")   # None: not enough history for a trend yet
        c1.metric(t("m.backlog", lang), int(figures.get("backlog", 0)),
                  delta=None if growth is None else t("m.growth", lang, v=float(growth)),
                  delta_color="off" if growth is not None and abs(float(growth)) < 0.5 else "inverse",   # flat: grey
                  chart_data=spark.get("backlog") or None, chart_type="area",
                  help=t("m.growth_help", lang))
        c2.metric(t("m.overdue", lang), int(figures.get("overdue", 0)),
                  chart_data=spark.get("overdue") or None, chart_type="bar")
        neg = figures.get("negativity")
        c3.metric(t("m.negativity", lang), "—" if neg is None else f"{float(neg):.0%}",   # — : no texts in the hour
                  chart_data=spark.get("negativity") or None, chart_type="line")
        if "share_p90" in figures:
            p50, p90 = float(figures.get("share_p50", 0)), float(figures.get("share_p90", 0))
            st.progress(min(1.0, p90), text=f"{t('m.lag', lang)}: {p50:.0%} / {p90:.0%} · "
                        + t("m.age", lang, p50=float(figures.get("age_p50_min", 0)),
                            p90=float(figures.get("age_p90_min", 0))))
        elif "at_75" in figures:  # counts of open orders past 75% / 90% of their deadline
            backlog = max(1, int(figures.get("backlog", 0)))
            near = int(figures.get("at_75", 0)) + int(figures.get("at_90", 0))
            st.progress(min(1.0, near / backlog), text=t("m.near", lang, a75=int(figures.get("at_75", 0)),
                                                         a90=int(figures.get("at_90", 0))))


def heatmap(regions: dict[str, dict[str, dict[str, Any]]], lang: str) -> alt.Chart | None:
    """Region × stage heat map coloured by the share of the deadline used (p90), with backlog/overdue."""
    rows = []
    for region, stages in (regions or {}).items():
        for stage, v in (stages or {}).items():
            share = v.get("share_p90")
            if share is None:  # no deadline shares in the snapshot: colour by the orders near or past it
                share = 1.0 if v.get("overdue") else 0.75 if v.get("at_75") else 0.0
            rows.append({"region": str(shown("region", str(region))), "stage": t("stage." + stage, lang),
                         "share": float(share or 0), "backlog": int(v.get("backlog") or 0),
                         "overdue": int(v.get("overdue") or 0), "tier": tier_label(v.get("tier"), lang),
                         "label": t("heat.cell", lang, b=int(v.get("backlog") or 0), o=int(v.get("overdue") or 0))})
    if not rows:
        return None
    df = pd.DataFrame(rows)
    stages = [t("stage." + s, lang) for s in ("receive", "decompose", "feedback")]
    colour = alt.Color("share:Q", title="p90", scale=alt.Scale(
        type="threshold", domain=[0.5, 0.75, 0.9, 1.0],
        range=["#E8EEF4", TIER_COLOR["blue"], TIER_COLOR["yellow"], TIER_COLOR["orange"], TIER_COLOR["red"]]),
        legend=None)
    base = alt.Chart(df).encode(x=alt.X("stage:N", sort=stages, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
                                y=alt.Y("region:N", title=None, sort="ascending"))
    rect = base.mark_rect(cornerRadius=3).encode(
        color=colour, tooltip=["region", "stage", alt.Tooltip("share:Q", format=".0%"), "backlog", "overdue", "tier"])
    text = base.mark_text(fontSize=13).encode(
        text="label:N", color=alt.condition(  # white on blue, orange and red; dark on grey and yellow
            "(datum.share >= 0.5 && datum.share < 0.75) || datum.share >= 0.9", alt.value("white"), alt.value("#333")))
    return (rect + text).properties(height=alt.Step(46))
