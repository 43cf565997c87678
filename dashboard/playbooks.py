"""What to do next, per alert kind: the first steps a shift would take (shown on the staff view).

>>> "overflow" in playbook("receive_lag", "en")
True
>>> playbook("something_new", "zh").startswith("核实")
True
"""
from __future__ import annotations

PLAYBOOKS: dict[str, dict[str, str]] = {
    "receive_lag": {
        "zh": "1. 增派坐席或开启溢出队列；2. 优先受理热线和优质客户工单；3. 对超时工单主动回呼客户说明进度。",
        "en": "1. Add agents or open the overflow queue. 2. Take hotline and premium-customer orders first. "
              "3. Call back customers whose request is overdue and explain the progress.",
    },
    "dispatch_lag": {
        "zh": "1. 核对待派工单的业务分类与责任部门；2. 由班长手工派单；3. 故障报修优先派发。",
        "en": "1. Check category and owning department of the waiting orders. 2. Have the shift lead dispatch "
              "by hand. 3. Dispatch fault repairs first.",
    },
    "feedback_lag": {
        "zh": "1. 联系责任部门确认到达/回复时间；2. 抢修力量不足时申请跨区支援；3. 在时限前主动告知客户进展。",
        "en": "1. Ask the owning department for arrival/reply times. 2. Request crews from a neighbouring "
              "region if short. 3. Tell the customer the progress before the deadline.",
    },
    "backlog_growth": {
        "zh": "1. 查看是否有停电事件导致来电激增；2. 发布停电公告/IVR 播报以分流咨询；3. 按预测增援人手。",
        "en": "1. Check for an outage driving the surge. 2. Publish an outage notice / IVR message to absorb "
              "enquiries. 3. Add staff as forecast.",
    },
    "breach_forecast": {
        "zh": "1. 按预测超时时间倒排处理顺序；2. 提前协调责任部门；3. 必要时升级至值班长。",
        "en": "1. Work the orders in order of forecast breach time. 2. Alert the owning departments now. "
              "3. Escalate to the duty manager if needed.",
    },
    "sentiment_drop": {
        "zh": "1. 抽听/抽查近期负面工单；2. 由资深坐席回访情绪激烈的客户；3. 检查是否有共同原因（停电、电费）。",
        "en": "1. Sample recent negative contacts. 2. Have a senior agent call back upset customers. "
              "3. Look for a common cause (outage, billing).",
    },
    "reclassification": {
        "zh": "1. 复核工单分类；2. 对受理人员进行分类培训提示；3. 改派至正确部门。",
        "en": "1. Review the order's category. 2. Remind the accepting agents of the classification rules. "
              "3. Reassign to the right department.",
    },
    "reassignment_bounce": {
        "zh": "1. 由值班长明确责任部门，停止来回转派；2. 联系客户说明处理进度。",
        "en": "1. Have the duty manager name the owning department and stop the bouncing. "
              "2. Call the customer with the progress.",
    },
    "repeat_contact": {
        "zh": "1. 合并重复工单；2. 由专人回电客户，一次解决；3. 检查前次处理是否到位。",
        "en": "1. Merge the repeat orders. 2. Have one person call the customer and close it in one go. "
              "3. Check why the first handling did not settle it.",
    },
    "complaint_risk": {
        "zh": "1. 立即回访客户安抚情绪；2. 优先处理并告知明确时间；3. 如涉及 12398/媒体，报告值班长。",
        "en": "1. Call the customer back now. 2. Prioritise the order and give a firm time. "
              "3. If 12398 or media is mentioned, tell the duty manager.",
    },
    "topic_surge": {
        "zh": "1. 抽查该地区近期同类诉求，找出共同原因（电费批量出错？电表批次故障？）；2. 请营销/计量部门核实，"
              "确认后发布统一解释口径并在 IVR/公众号告知；3. 由资深坐席优先回访情绪激烈的客户，防止升级至 12398。",
        "en": "1. Sample the region's recent contacts on the topic and find the common cause (a billing run gone "
              "wrong? a faulty meter batch?). 2. Have marketing/metering confirm it, then publish one explanation "
              "(IVR, WeChat). 3. Have senior agents call back the angriest customers first, before they go to 12398.",
    },
    "anomaly": {
        "zh": "1. 核实指标异常是否真实（数据中断？）；2. 查找同时段事件；3. 判断是否需要增派人手。",
        "en": "1. Check the anomaly is real (data gap?). 2. Look for events at the same time. "
              "3. Decide whether more staff are needed.",
    },
}

DEFAULT = {
    "zh": "核实告警证据，联系责任部门，必要时升级至值班长。",
    "en": "Check the evidence, contact the owning department, escalate to the duty manager if needed.",
}


def playbook(kind: str, lang: str = "zh") -> str:
    """The next steps for ``kind`` in ``lang`` (a general step list for kinds without a playbook)."""
    return PLAYBOOKS.get(kind, DEFAULT).get(lang) or DEFAULT["zh"]
