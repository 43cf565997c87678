"""Tier fusion for one order: rule signals, the risk model and the customer tier become one tier.

domain.md's early-warning tiers, per order: blue ≥ 50 % of a deadline used or one weak signal; yellow ≥ 75 %
or a repeat contact within 24 h; orange ≥ 90 % or an urge or escalation words; red = breached, an explicit
threat to go to 12398/12345/media, or an outage hitting many customers. Thresholds are configuration.

Two kinds of per-order alert come out of here: ``<stage>_lag`` (an SLA check of that stage is at or past the
configured share of its deadline) and ``complaint_risk`` (signals and the model say the customer is likely to
escalate).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from yujing.config import Settings
from yujing.masking import ORDER_ID, mask_pii
from yujing.names import shown
from yujing.records import TIER_RANK, Condition

TIER_BY_RANK = {v: k for k, v in TIER_RANK.items()}
_mask_text = lru_cache(maxsize=8192)(mask_pii)
"""Customer texts repeat across orders and updates: mask each distinct text once."""
_SLOT = "\ue000"
"""Stands for the order id in a summary template: the placeholder mask_pii itself puts in place of an order id."""


@lru_cache(maxsize=8192)
def _mask_template(template: str) -> str | None:
    """``mask_pii`` of a summary whose order id is replaced by ``_SLOT``; None when that would not be exact
    (the rest of the text holds a ``-``, so perhaps another order-id-like run, or a ``_SLOT`` of its own)."""
    if "-" in template or "\uff0d" in template or template.count(_SLOT) != 1:
        return None
    return mask_pii(template)


def _mask_summary(head: str, order_id: str, tail: str) -> str:
    """``mask_pii(head + order_id + tail)``, masking the order-independent text once per distinct template.

    Exact: ``mask_pii`` first swaps an order id that matches its pattern for ``_SLOT`` and puts it back at the
    end, so for such an id (ASCII, between a space or the start and a non-word character) the result is the
    template's mask with the id put back. Anything else is masked as a whole, as before.

    >>> _mask_summary("工单 ", "WO-20260714-0001", " 客户 13812345678")
    '工单 WO-20260714-0001 客户 138****5678'
    >>> _mask_summary("工单 ", "13812345678", " 受理") == mask_pii("工单 13812345678 受理")
    True
    """
    if order_id.isascii() and ORDER_ID.fullmatch(order_id) and (not head or head[-1] == " ") and (
            not tail or not (tail[0].isalnum() or tail[0] == "_")):
        masked = _mask_template(head + _SLOT + tail)
        if masked is not None:
            return masked.replace(_SLOT, order_id)
    return mask_pii(head + order_id + tail)


LAG_KIND = {"receive_ack": "receive_lag", "dispatch": "dispatch_lag", "dept_accept": "dispatch_lag",
            "feedback": "feedback_lag"}


STAGE_ZH = {"receive": "受理", "decompose": "派单", "feedback": "反馈"}
CHECK_ZH = {"receive_ack": "受理确认", "dispatch": "派单", "dept_accept": "部门接单", "feedback": "到场/答复"}
KIND_ZH = {"receive_lag": "受理超时", "dispatch_lag": "派单超时", "feedback_lag": "反馈超时", "backlog_growth": "积压增长",
           "breach_forecast": "预测超时", "sentiment_drop": "情绪恶化", "reclassification": "重新分类",
           "reassignment_bounce": "反复转派", "repeat_contact": "重复来电", "complaint_risk": "投诉风险",
           "arrival_surge": "来电激增", "anomaly": "异常", "topic_surge": "问题集中爆发", "heartbeat": "数据中断"}
"""Alert kinds in Chinese: summaries (they reach staff's phones) and the board (yujing/i18n.py) use these."""
KIND_EN = {"receive_lag": "Receive overdue", "dispatch_lag": "Dispatch overdue", "feedback_lag": "Feedback overdue",
           "backlog_growth": "Backlog growing", "breach_forecast": "Breach forecast",
           "sentiment_drop": "Sentiment worsening", "reclassification": "Reclassification wave",
           "reassignment_bounce": "Reassignment bounces", "repeat_contact": "Repeat contacts",
           "complaint_risk": "Complaint risk", "arrival_surge": "Arrival surge", "anomaly": "Anomaly",
           "topic_surge": "Topic surge", "heartbeat": "Data stopped"}
"""The same in English, for the board's and the messages' English readers (yujing/i18n.py)."""
SCOPE_ZH = {"region": "区域", "department": "部门", "channel": "渠道", "category": "分类", "order_id": "工单",
            "customer_id": "客户"}
"""What an alert is about, in Chinese: summaries and notifications (they reach staff's phones as they are)."""
EVIDENCE_ZH = {
    "category": "分类", "channel": "渠道", "check": "时限节点", "customer_tier": "客户等级", "deadline": "时限",
    "share_used": "时限已用", "risk": "风险", "top_factors": "风险因素", "open": "在途", "open_short": "短时限在途",
    "share_at_risk": "过半占比", "past_50pct": "过半", "past_75pct": "过 75%", "past_90pct": "过 90%",
    "overdue": "超时", "overdue_all": "超时（全部）", "order_minutes_at_risk_10min": "近 10 分钟风险单·分钟",
    "baseline": "正常水平", "threshold": "阈值", "value": "数值", "topic": "话题", "share_60min": "近 1 小时占比",
    "usual_share": "平时占比", "cusum": "累积证据", "dispatches_60min": "近 1 小时派单",
    "misfiled_60min": "描述与分类不符", "judged_contacts_60min": "近 1 小时新受理", "faults_30min": "30 分钟报修",
    "province_faults_30min": "全省 30 分钟报修", "bounces_60min": "近 1 小时退单", "dispatch_lift": "派单量（平时的倍数）",
    "strays_open": "误派在途（不计入）", "strays_past_50pct": "误派过半（不计入）",
    "misfiled_rest_share_15min": "其余渠道近 15 分钟不符占比",
    "affected_customers_30min": "30 分钟受影响户数", "large_outage_reports_30min": "大面积停电报修",
    "department": "部门", "waiting_past_habit": "超惯常用时", "habit_min": "惯常用时（分）",
    "onsite": "在场作业", "onsite_past_habit": "超惯常用时在场", "oldest_onsite_min": "最久在场（分）",
    "done_60min": "近 1 小时完工", "expected_done_60min": "近 1 小时应完工", "slower_cusum": "偏慢累积证据",
    "receive_wait_cusum": "受理等待累积证据", "recent_waits_min": "近期受理等待（分）",
    "usual_hotline_wait_min": "平时热线等待（分）", "receive_behind_min": "受理持续落后（分）",
    "receive_agents": "本时段受理坐席", "usual_receive_agents": "平时同时段坐席", "accepted_counted": "本时段受理单数",
    "staffing_evidence": "坐席减少证据", "staffing_window_min": "近期统计窗口（分）",
    "desk_share_evidence": "坐席占比下滑证据", "agent_share_pct": "本时段坐席占比（%）",
    "usual_agent_share_pct": "平时坐席占比（%）",
    "oldest_wait_min": "最久等待（分）", "minutes_since_last_done": "距上次办结（分）",
    "minutes_to_breach": "距首单超时（分）", "max_share_used": "时限已用（最大）",
    "angry_contacts_60min": "近 1 小时强烈不满", "contacts_60min": "近 1 小时新诉求",
    "tier": "级别", "by": "操作人", "assignee": "指派给", "reason": "原因", "notified": "已通知", "receivers": "接收人",
    "until": "截至", "label": "标注",
    "arrivals_60min": "近 1 小时新单", "last_text": "客户最近留言", "mean_deadline_min": "平均时限（分）",
    "misfiled_cusum": "分类不符累积证据", "misfiled_share_60min": "近 1 小时分类不符占比",
    "misfiled_threshold": "分类不符阈值", "joint_threshold": "改类与分类不符合计阈值", "misfiled_usual_share": "平时分类不符占比",
    "negative_texts_60min": "近 1 小时负面留言", "negativity_max": "最强负面", "share_max": "时限已用（最大）",
    "texts_60min": "近 1 小时留言", "time_in_stage_min": "本环节已用（分）", "topics": "同时升温的话题", "urges": "催办",
    "urges_60min": "近 1 小时催办",
}
"""Evidence keys in Chinese, for the board and the notifications (keys not listed stay as they are). The
detectors write the keys, so their names live here; tests/test_dashboard_live.py checks every key is listed."""
EVIDENCE_EN = {"dispatch_lift": "dispatches (times usual)", "strays_open": "misrouted, open (not counted)",
               "strays_past_50pct": "misrouted, past half (not counted)",
               "misfiled_rest_share_15min": "other channels' misfiled share (15 min)", "cusum": "evidence (CUSUM)", "share_used": "deadline used", "max_share_used": "deadline used (max)",
               "share_max": "deadline used (max)", "top_factors": "risk factors", "check": "deadline step",
               "negativity_max": "strongest negativity", "open_short": "open (short deadlines)",
               "overdue_all": "overdue (all)", "share_at_risk": "share past half", "usual_share": "usual share",
               "customer_tier": "customer tier", "habit_min": "usual time (min)", "slower_cusum": "slower (CUSUM)",
               "misfiled_cusum": "misfiled (CUSUM)", "receive_wait_cusum": "receive waits (CUSUM)"}
"""English labels where the key's own words (:func:`evidence_label`) would not say it."""


def evidence_label(key: str, lang: str) -> str:
    """An evidence key as the board and the messages label it: Chinese from :data:`EVIDENCE_ZH`; English from
    :data:`EVIDENCE_EN` or the key's own words, its window or unit spelled out.

    >>> evidence_label("angry_contacts_60min", "en"), evidence_label("past_75pct", "en"), evidence_label("cusum", "zh")
    ('angry contacts (1 h)', 'past 75 %', '累积证据')
    >>> evidence_label("oldest_onsite_min", "en"), evidence_label("order_minutes_at_risk_10min", "en")
    ('oldest onsite (min)', 'order minutes at risk (10 min)')
    """
    if lang == "zh":
        return EVIDENCE_ZH.get(key, key)
    if key in EVIDENCE_EN:
        return EVIDENCE_EN[key]
    words = re.sub(r"(\d+)pct", r"\1 %", key)
    for end, unit in (("_60min", " (1 h)"), ("_30min", " (30 min)"), ("_10min", " (10 min)"), ("_min", " (min)"),
                      ("_pct", " (%)")):
        if words.endswith(end):
            words = words[:-len(end)] + unit
            break
    return words.replace("_", " ")


CATEGORY_ZH = {"complaint": "投诉", "report": "举报", "fault_repair": "故障报修", "service_request": "服务申请",
               "consultation": "咨询", "opinion": "意见", "suggestion": "建议", "praise": "表扬"}
CHANNEL_ZH = {"hotline": "95598", "app": "网上国网", "wechat": "微信", "web": "网站", "hall": "营业厅", "sms": "短信",
              "12345": "12345", "12398": "12398", "other": "其他"}
TOPIC_ZH = {"billing": "电费/账单", "meter": "电表/计量", "voltage": "电压/电能质量", "attitude": "服务态度",
            "connection": "报装/过户", "outage_notice": "停电通知"}
"""The topics customers write about (``tracking.topics``), in Chinese: summaries, the board and messages."""
REASON_ZH = {
    "deadline_used": "时限已用较多", "deadline_breached": "已超时", "negative_text": "客户情绪负面",
    "escalation_words": "扬言升级（12398/媒体等）",
    "escalation_intent": "施压表述（录音、最后通牒、追究到底等）", "repeat_contact_24h": "24 小时内重复来电",
    "repeat_contact_7d": "7 天内重复来电", "premium_customer": "优质客户", "potential_premium_customer": "潜在优质客户",
    "reclassified": "曾改类", "reassigned": "曾转派", "reopened": "曾重开", "dissatisfied_revisit": "回访不满意",
    "closed_unresolved": "未解决即办结", "outage_size": "停电影响面大", "customer_messages": "客户追加诉求",
    "customer_escalated_before": "该客户曾升级投诉", "region_escalating": "所在区域近期升级投诉偏多",
    "department_escalating": "承办部门近期升级投诉偏多",
    "chasing_now": "客户正在密集催促", "served_late": "办结已超时限", "urged": "曾催办",
}


def scope_zh(scope: dict[str, Any], sep: str = " ") -> str:
    """What an alert is about, in Chinese, regions and departments by their display names (``yujing.names``);
    other values as they are: mask them first where they may hold personal data.

    >>> scope_zh({"department": "north-repair-1"}), scope_zh({"order_id": "WO-1", "region": "east"}, " · ")
    ('部门 north-repair-1', '工单 WO-1 · 区域 east')
    """
    return sep.join(f"{SCOPE_ZH.get(k, k)} {shown(k, v)}" for k, v in scope.items())


CUSTOMER_TIER_ZH = {"premium": "优质客户", "potential": "潜在优质客户", "regular": "普通客户"}
"""The contract's customer tiers (contracts/events.md)."""


def evidence_value_zh(key: str, v: Any) -> Any:
    """An evidence value in Chinese where it is a code (category, channel, check, customer tier, top factors).

    >>> evidence_value_zh("category", "fault_repair"), evidence_value_zh("top_factors", ["deadline_breached"])
    ('故障报修', ['已超时'])
    >>> evidence_value_zh("topic", "billing"), evidence_value_zh("topics", ["billing", "meter"])
    ('电费/账单', ['电费/账单', '电表/计量'])
    """
    if key == "category":
        return CATEGORY_ZH.get(v, v)
    if key == "channel":
        return CHANNEL_ZH.get(v, v)
    if key == "check":
        return CHECK_ZH.get(v, v)
    if key == "customer_tier":
        return CUSTOMER_TIER_ZH.get(v, v)
    if key == "top_factors" and isinstance(v, (list, tuple)):
        return [reason_zh(str(x)) for x in v]
    if key == "topic":
        return TOPIC_ZH.get(v, v)
    if key == "topics" and isinstance(v, (list, tuple)):
        return [TOPIC_ZH.get(x, x) for x in v]
    return v


SHARE_KEYS = frozenset({"share_used", "max_share_used", "share_max", "share_at_risk", "share_60min", "usual_share",
                        "misfiled_share_60min", "misfiled_usual_share", "risk"})
"""Evidence keys whose value is a share of a whole (0.32 = 32 %): shown as percentages."""
KIND_UNITS = {"arrival_surge": "share", "sentiment_drop": "times"}
"""What the generic ``value`` / ``baseline`` / ``threshold`` of a kind's evidence measure: a region's share of the
province's fault reports; how many times the province's share of angry texts a region's is."""
_GENERIC = frozenset({"value", "baseline", "threshold"})


def evidence_number(key: str, v: float, kind: str | None = None, lang: str = "zh") -> str:
    """A number of an alert's evidence as a person reads it: a share as a percentage, a multiple with its
    "times", a count whole, other quantities to two places (one place, or none, from 10).

    The board and the push messages both show evidence through this, so "时限已用" reads the same everywhere.

    >>> evidence_number("share_used", 1.0), evidence_number("share_60min", 0.004), evidence_number("urges", 2)
    ('100%', '0.4%', '2')
    >>> evidence_number("value", 0.318, "arrival_surge"), evidence_number("value", 2.0, "sentiment_drop")
    ('32%', '2.0 倍')
    >>> evidence_number("value", 2.0, "sentiment_drop", "en"), evidence_number("cusum", 3.14159)
    ('2.0×', '3.14')
    >>> evidence_number("angry_contacts_60min", 9.0), evidence_number("expected_done_60min", 7.614)
    ('9', '7.61')
    """
    unit = "share" if key in SHARE_KEYS else KIND_UNITS.get(kind or "") if key in _GENERIC else None
    if unit == "share":
        return f"{v:.1%}" if 0 < abs(v) < 0.01 else f"{v:.0%}"
    if unit == "times":
        return f"{v:.1f} 倍" if lang == "zh" else f"{v:.1f}×"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) < 1e15):
        return str(int(v))   # a count (some detectors keep theirs as floats): whole, not "9.00"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.0f}"


TIME_KEY_ENDS = ("_at", "_ts", "since", "until")


def is_evidence_time(key: str, v: Any) -> bool:
    """An epoch time in an alert's evidence (a deadline, a moment), not a quantity: the board and the push
    messages show it as a time on the business's clock.

    >>> is_evidence_time("deadline", 1783992760.0), is_evidence_time("mean_deadline_min", 35.0)
    (True, False)
    >>> is_evidence_time("urges", 2), is_evidence_time("closed_at", 1783992760)
    (False, True)
    """
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and 1e9 < v < 1e11
            and ("deadline" in key or key.endswith(TIME_KEY_ENDS)))


def display_value(key: str, v: Any, lang: str) -> Any:
    """A scope or evidence value as people read it, on the board and in messages: a region's or department's
    display name (``yujing.names``); in Chinese also a category's, channel's, check's, tier's or factor's word.

    >>> from yujing import names
    >>> names.install({"department": {"ops-north": "城北运维班"}})
    >>> display_value("department", "ops-north", "en"), display_value("category", "complaint", "zh")
    ('城北运维班', '投诉')
    >>> names.install({})

    In English a code reads as words (``fault repair``, ``urged 2x``), an id as it is:

    >>> display_value("category", "fault_repair", "en"), display_value("top_factors", ["urged_2x", "cat=complaint"], "en")
    ('fault repair', ['urged 2x', 'cat=complaint'])
    >>> display_value("department", "north-repair-1", "en"), display_value("order_id", "WO_1", "en")
    ('north-repair-1', 'WO_1')
    """
    v = shown(key, v)
    if lang == "zh":
        return evidence_value_zh(key, v)
    if key in CODE_KEYS:
        if isinstance(v, str):
            return v.replace("_", " ")
        if isinstance(v, (list, tuple)):
            return [x.replace("_", " ") if isinstance(x, str) else x for x in v]
    return v


def evidence_pairs(evidence: dict[str, Any] | None, lang: str, kind: str | None = None,
                   when: Any = None, limit: int = 8) -> list[tuple[str, Any]]:
    """The first ``limit`` non-empty items of an alert's evidence as (label, value) people read: the one
    formatting of the board (``dashboard.components.evidence_text``) and the push messages
    (``alerts.templates``), which only join them their own way. A time goes through ``when`` (epoch → text, on
    the caller's clock), a number through :func:`evidence_number`, anything else through :func:`display_value`
    (a list stays a list).

    >>> evidence_pairs({"deadline": 1.8e9, "share_used": 0.9, "department": None, "category": "complaint"},
    ...                "zh", "feedback_lag", when=lambda t: "T")
    [('时限', 'T'), ('时限已用', '90%'), ('分类', '投诉')]
    """
    out = []
    for k, v in [(str(k), v) for k, v in (evidence or {}).items() if v not in (None, "", [], {})][:limit]:
        if is_evidence_time(k, v) and when is not None:
            v = when(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            v = evidence_number(k, v, kind, lang)
        else:
            v = display_value(k, v, lang)
        out.append((evidence_label(k, lang), v))
    return out


CODE_KEYS = frozenset({"category", "channel", "check", "customer_tier", "top_factors", "topic", "topics", "reason"})
"""Evidence and scope keys whose values are codes (``fault_repair``), read as words in English."""


def reason_zh(reason: str) -> str:
    """A top factor in words a duty manager reads (factor names stay English in the records)."""
    if reason.startswith("urged_"):
        return f"催办 {reason[6:].rstrip('x')} 次"
    if reason.startswith("outage_") and reason.endswith("_customers"):
        return f"停电影响 {reason[7:-10]} 户"
    if reason.startswith("cat="):
        return CATEGORY_ZH.get(reason[4:], reason[4:]) + "类"
    if reason.startswith("tier="):
        return REASON_ZH.get(reason[5:] + "_customer", reason)
    if reason.startswith("ch="):
        return "渠道 " + CHANNEL_ZH.get(reason[3:], reason[3:])
    return REASON_ZH.get(reason, reason)


def _where(o: Any) -> str:
    return f"{shown('region', o.region)}·{CATEGORY_ZH.get(o.category, o.category)}·{CHANNEL_ZH.get(o.channel, o.channel)}"


def max_tier(*tiers: str | None) -> str | None:
    return TIER_BY_RANK[max(TIER_RANK[t] for t in tiers)]


class OrderTiering:
    """Turns an order's state, features and risk into a ``complaint_risk`` condition (or its clearing)."""

    def __init__(self, settings: Settings) -> None:
        self.cfg = settings.detectors.order_tiers
        self.offset = settings.clock.utc_offset_h

    def risk_tier(self, risk: float) -> str | None:
        c = self.cfg
        if risk >= c.risk_red:
            return "red"
        if risk >= c.risk_orange:
            return "orange"
        if risk >= c.risk_yellow:
            return "yellow"
        if risk >= c.risk_blue:
            return "blue"
        return None

    def signal_tier(self, o: Any) -> tuple[str | None, list[str]]:
        c = self.cfg
        tier: str | None = None
        why: list[str] = []
        if o.repeat_24h:
            tier = max_tier(tier, c.repeat_tier)
            why.append("repeat_contact_24h")
        if o.urges:
            tier = max_tier(tier, c.urge_tier)
            why.append(f"urged_{o.urges}x")
        if o.threats:
            tier = max_tier(tier, c.threat_tier)
            why.append("escalation_words")
        if c.outage_tier and o.affected >= c.outage_customers:
            tier = max_tier(tier, c.outage_tier)
            why.append(f"outage_{o.affected}_customers")
        return tier, why

    def verdict_tier(self, o: Any, risk: float) -> str | None:
        """The tier :meth:`order_condition` would give now (None: closed, or below the alert tier), without
        building the condition: most updates leave an order's tier as it was, and the summary and evidence
        (masked customer text) are costly to build only to be dropped. Ranks only: no list of reasons."""
        if o.closed_at is not None:
            return None
        c = self.cfg
        rank = TIER_RANK[self.risk_tier(risk)]
        if o.repeat_24h:
            rank = max(rank, TIER_RANK[c.repeat_tier])
        if o.urges:
            rank = max(rank, TIER_RANK[c.urge_tier])
        if o.threats:
            rank = max(rank, TIER_RANK[c.threat_tier])
        if c.outage_tier and o.affected >= c.outage_customers:
            rank = max(rank, TIER_RANK[c.outage_tier])
        return TIER_BY_RANK[rank] if rank >= TIER_RANK[c.alert_min_tier] else None

    def order_condition(self, o: Any, x: dict[str, float], risk: float, factors: list[str],
                        t: float) -> Condition | None:
        """The order's ``complaint_risk`` verdict now; None while it stays below the alert tier."""
        if o.closed_at is not None:
            return self.clear(o, t) if o.order_tier is not None else None
        sig_tier, why = self.signal_tier(o)
        tier = max_tier(self.risk_tier(risk), sig_tier)
        if TIER_RANK[tier] < TIER_RANK[self.cfg.alert_min_tier]:
            return self.clear(o, t) if o.order_tier is not None else None
        reasons = list(dict.fromkeys(why + factors))[:5]
        summary = _mask_summary("工单 ", o.order_id, f"（{_where(o)}）投诉风险 {risk:.0%}："
                                + "、".join(reason_zh(r) for r in reasons if r != "baseline"))
        return Condition(
            kind="complaint_risk", scope=self.scope(o), tier=tier, ts=t,
            stage=o.stage if o.stage != "closed" else None, score=risk, summary=summary,
            evidence={"risk": round(risk, 4), "top_factors": reasons, "share_max": round(x.get("share_max", 0), 3),
                      "urges": o.urges, "negativity_max": round(o.neg_max, 3), "customer_tier": o.tier,
                      "category": o.category, "channel": o.channel, "department": o.department,
                      "last_text": _mask_text(o.last_text)})

    def lag_condition(self, o: Any, check: str, level: float, t: float, deadline: float,
                      stage: str) -> Condition | None:
        """A per-order lag alert when an SLA check reaches the configured share (None below it)."""
        if level < self.cfg.lag_alert_level:
            return None
        tier = "red" if level >= 1.0 else "orange" if level >= 0.9 else "yellow"
        what = "已超时" if level >= 1.0 else f"已用时限 {level:.0%}"
        return Condition(
            kind=LAG_KIND[check], scope=self.scope(o), tier=tier, ts=t, stage=stage, score=level,
            summary=_mask_summary("工单 ", o.order_id, f" {STAGE_ZH.get(stage, stage)}环节「{CHECK_ZH.get(check, check)}」"
                                                     f"{what}（{_where(o)}）"),
            evidence={"check": check, "share_used": level, "deadline": deadline, "category": o.category,
                      "channel": o.channel, "customer_tier": o.tier, "department": o.department})

    def lag_clear(self, o: Any, check: str, t: float, stage: str) -> Condition:
        return Condition(kind=LAG_KIND[check], scope=self.scope(o), tier=None, ts=t, stage=stage,
                         summary=f"工单 {o.order_id}「{CHECK_ZH.get(check, check)}」已完成")

    def clear(self, o: Any, t: float) -> Condition:
        return Condition(kind="complaint_risk", scope=self.scope(o), tier=None, ts=t, stage=None,
                         summary=f"工单 {o.order_id} 风险解除")

    @staticmethod
    def scope(o: Any) -> dict[str, str]:
        return {"order_id": o.order_id, "region": o.region}
