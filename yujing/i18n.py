"""The product's words in Chinese and English: the board's, and the push messages' (``alerts/templates.py``),
so a message and the board name a thing alike. Each user picks a language (default ``zh``).

>>> t("tier.red", "en"), t("tier.red", "zh")
('Red · I', '红色 · I级')
>>> t("no.such.key", "en")
'no.such.key'
"""
from __future__ import annotations

from detectors.fusion import KIND_EN, KIND_ZH
from yujing.records import TIER_LEVEL

TIER_WORD: dict[str, tuple[str, str]] = {"red": ("红色", "Red"), "orange": ("橙色", "Orange"),
                                         "yellow": ("黄色", "Yellow"), "blue": ("蓝色", "Blue")}
"""The tiers' colour words (zh, en), the one spelling behind the board's ``tier.*`` texts and the messages'."""

TEXT: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "app.title": ("预警 · 95598 投诉风险监测", "Yujing · 95598 complaint-risk monitor"),
    "login.title": ("登录", "Sign in"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.no_users": ("尚无用户：请运行 `yujing users demo-init` 或 `yujing users add`",
                       "No users yet: run `yujing users demo-init` or `yujing users add`"),
    "logout": ("退出登录", "Sign out"),
    "sound.toggle": ("新红色预警时提示音", "Sound on new red alert"),
    "page.live": ("实时看板", "Live board"),
    "page.staff": ("我的预警", "My alerts"),
    "page.history": ("预警历史", "Alert history"),
    "page.audit": ("操作审计", "Audit log"),
    "page.handover": ("交接班", "Handover"),
    "page.alert": ("预警详情", "Alert"),
    "alert.none": ("链接中没有有效的预警编号：请从通知中重新打开", "The link holds no valid alert id: open it again from the notification"),
    "alert.unknown": ("预警库中没有预警 {id}：请核对链接", "The alert store has no alert {id}: check the link"),
    "alert.over": ("此预警已不在活动中（{status}）：以下是它的经过", "This alert is no longer active ({status}): its story is below"),
    "role.duty_manager": ("值班长", "Duty manager"),
    "role.staff": ("业务人员", "Staff"),
    "role.quality": ("质量组", "Quality"),
    "role.admin": ("管理员", "Admin"),
    **{f"tier.{tier}": (f"{zh} · {TIER_LEVEL[tier]}级", f"{en} · {TIER_LEVEL[tier]}")
       for tier, (zh, en) in TIER_WORD.items()},
    "stage.receive": ("受理", "Receive"),
    "stage.decompose": ("派单", "Decompose"),
    "stage.feedback": ("反馈", "Feedback"),
    "stage.closed": ("已办结", "Closed"),
    "fresh.ok": ("数据实时", "Live data"),
    "fresh.stale": ("数据停滞", "DATA STALLED"),
    "fresh.lag": ("数据可能滞后", "Data may lag"),
    "fresh.none": ("无数据：工作进程未写入看板快照", "No data: the worker has not written a board snapshot"),
    "fresh.unreadable": ("无数据：无法从 Redis 读取看板快照（{err}）",
                         "No data: cannot read the board snapshot from Redis ({err})"),
    "fresh.detail": ("快照 {wall_age} 秒前 · 最新事件 {event_gap} 秒前 · {epm} 事件/分",
                     "snapshot {wall_age}s ago · newest event {event_gap}s ago · {epm} events/min"),
    "fresh.sim": ("模拟时钟 ×{speed}", "simulated clock ×{speed}"),
    "banner.new_red": ("新红色预警：{n} 条 — 请立即处理", "New red alert: {n} — act now"),
    "tile.scopes": ("其中区域/部门/渠道 {n} 条", "{n} about a region, department or channel"),
    "active.title": ("活动预警", "Active alerts"),
    "active.none": ("当前无活动预警", "No active alerts"),
    "active.more": ("其余 {n} 条活动预警", "{n} more active alerts"),
    "col.tier": ("级别", "Tier"),
    "col.kind": ("类型", "Kind"),
    "col.stage": ("环节", "Stage"),
    "col.scope": ("范围", "Scope"),
    "col.since": ("持续", "Since"),
    "col.summary": ("摘要", "Summary"),
    "col.evidence": ("依据", "Evidence"),
    "col.ack": ("确认", "Ack"),
    "col.status": ("状态", "Status"),
    "col.assignee": ("处理人", "Assignee"),
    "col.time": ("时间", "Time"),
    "col.who": ("人员", "Who"),
    "col.what": ("事件", "What"),
    "col.detail": ("详情", "Detail"),
    "col.alert": ("预警", "Alert"),
    "col.order": ("工单", "Order"),
    "col.risk": ("风险", "Risk"),
    "col.factors": ("主要因素", "Top factors"),
    "col.region": ("区域", "Region"),
    "col.department": ("部门", "Department"),
    "col.category": ("类别", "Category"),
    "col.channel": ("渠道", "Channel"),
    "col.customer": ("客户", "Customer"),
    "col.age": ("时长(分)", "Age (min)"),
    "col.text": ("客户原话（已脱敏）", "Customer text (masked)"),
    "col.labels": ("标注", "Labels"),
    "col.fired": ("触发", "Fired"),
    "col.mtta": ("确认用时(分)", "Time to ack (min)"),
    "filter.all": ("全部", "All"),
    "col.level": ("范围", "Level"),
    "level.scope": ("区域/部门/渠道", "Region / department / channel"),
    "level.order": ("工单/客户", "Order / customer"),
    "col.mttr": ("解决用时(分)", "Time to resolve (min)"),
    "acked_by": ("已确认：{who}", "Acked by {who}"),
    "unacked": ("未确认", "Not acknowledged"),
    "new_red": ("新红色预警", "new red alert"),
    "silenced_until": ("已静默至 {t}", "Silenced until {t}"),
    "assigned_to": ("处理人：{who}", "Assigned to {who}"),
    "pending": ("已提交，等待处理：{action}", "Sent, waiting for the worker: {action}"),
    "action.not_applied": ("“{action}”未生效：工作进程 {s} 秒内未处理（可能未在运行，或拒绝了该命令），可重新操作",
                           "“{action}” was not applied: the worker did not act on it within {s} s (it may be down, or "
                           "have rejected the command); you can send it again"),
    "btn.ack": ("确认", "Acknowledge"),
    "btn.unack": ("取消确认", "Un-acknowledge"),
    "btn.more": ("更多操作", "More"),
    "btn.assign": ("指派", "Assign"),
    "btn.silence": ("静默", "Silence"),
    "btn.resolve": ("手动解除", "Resolve"),
    "btn.label": ("保存标注", "Save label"),
    "btn.missed": ("记录漏报事件", "Record missed incident"),
    "btn.csv": ("导出 CSV", "Export CSV"),
    "form.assignee": ("指派给", "Assign to"),
    "form.silence_hours": ("静默时长（小时）", "Silence for (hours)"),
    "form.reason": ("原因（必填）", "Reason (required)"),
    "form.reason_missing": ("请填写原因", "A reason is required"),
    "form.not_allowed": ("您的角色无权执行此操作", "Your role may not do this"),
    "form.red_staff": ("红色预警仅值班长可静默或解除", "Only a duty manager may silence or resolve a red alert"),
    "form.sent": ("已提交：{action}", "Sent: {action}"),
    "form.sent_n": ("已提交：{action} {n} 条", "Sent: {action} × {n}"),
    "btn.ack_all": ("全部确认（{n}）", "Acknowledge all ({n})"),
    "group.orders": ("{n} 单", "{n} orders"),
    "group.unacked": ("{n} 单未确认", "{n} unacknowledged"),
    "group.all_acked": ("已全部确认", "all acknowledged"),
    "group.new": ("新红色预警 {n} 单", "{n} new red"),
    "group.all": ("查看全部 {n} 单", "All {n} orders"),
    "col.score": ("风险分", "Score"),
    "stages.title": ("各环节运行", "Stages"),
    "m.backlog": ("积压", "Backlog"),
    "m.growth": ("{v:+.0f}/小时", "{v:+.0f}/h"),
    "m.growth_help": ("积压趋势：近一小时每分钟积压的稳健斜率（Theil–Sen），一次性涌入后持平不算增长；"
                      "不足 15 分钟历史时不显示。",
                      "Backlog trend: the robust (Theil–Sen) slope of the last hour's per-minute backlog; a burst "
                      "that landed once and stays flat is not growth; shown once 15 minutes of history exist."),
    "m.lag": ("时限占用 p50 / p90", "Deadline used p50 / p90"),
    "m.age": ("等待 p50 {p50:.0f} 分 · p90 {p90:.0f} 分", "waiting p50 {p50:.0f} min · p90 {p90:.0f} min"),
    "m.overdue": ("已超时", "Overdue"),
    "m.negativity": ("负面情绪", "Negativity"),
    "m.arrivals": ("{v:.1f} 单/分", "{v:.1f} orders/min"),
    "m.near": ("临近时限：{a75} 单已用 ≥75% · {a90} 单已用 ≥90%",
               "Near the deadline: {a75} orders ≥75% used · {a90} ≥90%"),
    "heat.cell": ("积压 {b} · 超时 {o}", "{b} open · {o} overdue"),
    "heat.title": ("区域 × 环节 积压与超时（单）", "Region × stage: open and overdue orders"),
    "heat.none": ("暂无区域数据", "No regional data yet"),
    "risky.title": ("高风险工单", "Riskiest orders"),
    "risky.none": ("暂无高风险工单", "No risky orders"),
    "risky.unknown": ("无看板数据：高风险工单未知", "No board data: the riskiest orders are unknown"),
    "risky.pick": ("工单详情", "Order detail"),
    "risky.pick_hint": ("选择工单查看详情（级别、区域、部门、环节、客户原话全文）",
                        "Pick an order for its detail (tier, region, department, stage, the customer's full text)"),
    "risky.open": ("已开 {ago}", "open for {ago}"),
    "risky.updated": ("风险更新于 {ago} 前", "risk updated {ago} ago"),
    "col.updated": ("更新(分前)", "Updated (min ago)"),
    "kpi.events": ("事件/分", "Events/min"),
    "kpi.dlq": ("死信", "Dead letters"),
    "kpi.lag": ("消费延迟", "Consumer lag"),
    "kpi.auc": ("风险模型 AUC", "Risk model AUC"),
    "kpi.workers": ("工作进程", "Workers"),
    "kpi.broker_down": ("消息代理不可用", "Broker unreachable"),
    "kpi.recovering": ("{n} 个恢复状态中", "{n} restoring state"),
    "kpi.blocked": ("{n} 个写入受阻，重试中 {s} 秒", "{n} blocked writing, retrying for {s} s"),
    "banner.notify": ("推送未送达：近 {m} 分钟 {n} 条通知重试后仍发送失败（{channels}），相关人员可能未收到预警，请电话通知并检查推送渠道",
                      "Push failing: {n} notification(s) failed after all retries in the last {m} min ({channels}); "
                      "people may not have been told — phone them and check the channel"),
    "banner.notify_waiting": ("；{n} 条待发送", "; {n} waiting to be sent"),
    "banner.blocked": ("{n} 个工作进程写入受阻已 {s} 秒，正在重试：看板数据可能滞后，恢复后自动补齐，不丢数据",
                       "{n} worker(s) unable to write for {s} s, retrying: figures may lag; they catch up, nothing is lost"),
    "kpi.blocked_help": ("写入受阻（数据可能滞后，恢复后自动补齐，不丢数据）：{what}",
                         "Writes being retried (figures may lag; nothing is lost, they catch up once it goes through): {what}"),
    "kpi.workers_help": ("在线进程（心跳 15 秒内）：{roles}", "Live processes (heartbeat within 15 s): {roles}"),
    "role.orders": ("订单处理", "orders"),
    "role.aggregates": ("汇总与告警", "aggregates & alerts"),
    "role.all": ("全流程", "whole pipeline"),
    "kpi.auc_help": ("近期 {window} 个已知结果上的排序准确度（0.5 = 随机，1 = 完美）；累计标签 {labels} 个，其中升级 {positives} 个",
                     "Ranking accuracy on the last {window} known outcomes (0.5 = chance, 1 = perfect); "
                     "{labels} labels so far, {positives} escalated"),
    "model.title": ("模型质量", "Model quality"),
    "model.none": ("暂无模型数据（工作进程尚未上报）", "No model figures yet (no worker has reported)"),
    "model.learning": ("模型学习中：已有 {n} 个标签（其中升级 {pos} 个），暂不足以评估准确度",
                       "Model still learning: {n} labels so far ({pos} escalated), too few to judge its accuracy"),
    "model.auc": ("AUC {auc:.2f}：随机挑一张后来升级的工单和一张没有升级的，模型给前者更高风险的概率",
                  "AUC {auc:.2f}: the chance that an order which escalated got a higher risk than one which did not"),
    "model.counts": ("近期 {window} 个标签 · 累计 {labels} 个（升级 {positives} 个）· Brier {brier:.3f}",
                     "last {window} labels · {labels} in all ({positives} escalated) · Brier {brier:.3f}"),
    "model.blend": ("风险 = {learned:.0%} 学习模型 + {prior:.0%} 专家规则",
                    "risk = {learned:.0%} learned model + {prior:.0%} expert rules"),
    "model.held": ("另有 {n} 个升级标签将在到达 {hours:g} 小时后学习（与未升级标签等待同样久，模型不会因先到的升级而高估风险）",
                   "{n} escalations will be learned {hours:g} h after they arrived (as long as non-escalations wait, "
                   "so the model does not overstate risk from the labels that come first)"),
    "model.category": ("工单分类模型：已学 {n} 条文本，{state}", "Text → category model: {n} texts learned, {state}"),
    "model.category_on": ("已启用误分类提示", "misfiling hints on"),
    "model.category_off": ("学习中，暂不提示", "still learning, no hints yet"),
    "model.chart_caption": ("点落在虚线上 = 预测可信；低于虚线 = 高估风险；高于虚线 = 低估风险",
                            "On the dashed line = predictions trustworthy; below = risk overstated; above = understated"),
    "model.predicted": ("预测风险", "Predicted risk"),
    "model.observed": ("实际升级比例", "Observed escalation rate"),
    "model.count": ("标签数", "Labels"),
    "staff.routing": ("按您的区域 {region} / 部门 {department} 路由的预警",
                      "Alerts routed to your region {region} / department {department}"),
    "staff.no_profile": ("您的账户未设置区域或部门，显示全部预警", "No region/department on your profile: "
                                                           "showing all alerts"),
    "staff.none": ("暂无路由给您的预警", "No alerts routed to you"),
    "staff.stale": ("数据已停滞：以下为停滞前的预警，新预警可能尚未到达", "The data has stalled: these are the alerts "
                    "from before it stalled; new ones may not have arrived"),
    "alerts.unknown": ("无法读取预警存储：不能确认当前是否有预警，请勿视为无预警", "Cannot read the alert store: whether "
                       "there are alerts is unknown — do not take this as all clear"),
    "alerts.none_stale": ("{none}——但数据已停滞，新预警可能尚未到达", "{none} — but the data has stalled: new alerts "
                          "may not have arrived"),
    "staff.next": ("下一步怎么做", "What to do next"),
    "hist.filters": ("筛选", "Filters"),
    "hist.range": ("时间范围", "Time range"),
    "times.zone": ("时间均为 {zone}（业务所在时区）", "Times in {zone} (the business's time zone)"),
    "hist.none": ("所选条件下无预警", "No alerts for this selection"),
    "hist.stats": ("统计", "Statistics"),
    "hist.per_day": ("每日预警数（按级别）", "Alerts per day by tier"),
    "hist.per_kind": ("按类型", "By kind"),
    "hist.total": ("预警数", "Alerts"),
    "hist.mtta": ("平均确认时间 MTTA", "MTTA"),
    "hist.mtta_help": ("从预警触发到首次确认的平均时间，计入曾被确认的 {n} 条预警（含之后撤销确认或确认超时的）",
                       "Mean time from firing to the first acknowledgement, over the {n} alerts ever acknowledged "
                       "(also those un-acknowledged or lapsed since)"),
    "hist.never_acked": ("从未确认", "Never acknowledged"),
    "hist.mttr": ("平均解决时间 MTTR", "MTTR"),
    "hist.false_share": ("误报占比", "False-alarm share"),
    "hist.notify_fail": ("通知失败", "Notification failures"),
    "hist.notify_fail_help": ("所选时段内重试后仍发送失败的通知（所列预警的；同一条消息在同一渠道计一次，一条消息涉及多条预警也计一次）",
                              "Notifications that failed after all their retries within the period, for the alerts "
                              "shown (one per message and channel, however many alerts the message was about)"),
    "hist.review": ("按类型复盘", "Review by kind"),
    "hist.by_region": ("按区域细分", "Split by region"),
    "hist.review_caption": ("所选时段与筛选条件下的预警；排序：误报率最高的在前，其次从未确认占比、预警数。百分比：误报率按已标注的计，其余按预警数计",
                            "The alerts of the period and filters; noisiest first: highest false-alarm share, then "
                            "most never acknowledged, then most alerts. False-alarm share is of the labelled, other "
                            "shares of all alerts"),
    "rv.alerts": ("预警数", "Alerts"),
    "rv.red_orange": ("红/橙", "Red/orange"),
    "rv.red_orange_help": ("最高级别达到红色或橙色的预警占比", "Share of alerts that reached red or orange"),
    "rv.labelled": ("已标注", "Labelled"),
    "rv.useful": ("有效", "Useful"),
    "rv.false": ("误报", "False alarms"),
    "rv.false_help": ("被标注为误报的预警（同时有两种标注的计为误报）", "Alerts labelled a false alarm (also by one reviewer of several)"),
    "rv.false_share": ("误报率", "False-alarm share"),
    "rv.false_share_help": ("误报 / 已标注", "False alarms / labelled"),
    "rv.never": ("从未确认", "Never acked"),
    "rv.never_help": ("从未被确认过的预警占比", "Share of alerts nobody ever acknowledged"),
    "rv.mtta": ("确认用时中位数(分)", "Median time to ack (min)"),
    "rv.mtta_help": ("从触发到首次确认（含之后撤销或超时的确认）", "Firing to the first acknowledgement (also one taken back or lapsed since)"),
    "rv.mttr": ("解决用时中位数(分)", "Median time to resolve (min)"),
    "rv.escalated": ("已升级", "Escalated"),
    "rv.escalated_help": ("无人确认而升级到至少第一级升级步骤的预警占比", "Share of alerts that reached an escalation step (nobody acknowledged in time)"),
    "rv.failures": ("通知失败", "Notification failures"),
    "rv.failures_help": ("所选时段内重试后仍失败的消息（同一消息同一渠道计一次）", "Messages that failed after all retries in the period (one per message and channel)"),
    "btn.csv_review": ("导出复盘 CSV", "Export review CSV"),
    "hist.story": ("预警经过", "Alert story"),
    "hist.pick": ("选择预警", "Pick an alert"),
    "hist.label": ("质量标注", "Quality label"),
    "hist.labels_now": ("已有标注：{labels}", "Labels: {labels}"),
    "hist.no_labels": ("尚无标注", "Not labelled yet"),
    "hist.missed_title": ("记录漏报：系统未预警的事件", "Record a missed incident (no alert fired)"),
    "hist.missed_desc": ("说明（区域、时间、发生了什么）", "Description (region, time, what happened)"),
    "hist.deliveries": ("通知记录", "Notifications"),
    "col.receiver": ("接收组", "Receiver"),
    "col.result": ("结果", "Result"),
    "col.attempts": ("尝试次数", "Attempts"),
    "col.error": ("失败原因", "Error"),
    "dl.ok": ("✓ 已送达", "✓ delivered"),
    "dl.failed": ("✗ 失败", "✗ failed"),
    "label.useful": ("有效", "Useful"),
    "label.false_alarm": ("误报", "False alarm"),
    "label.missed_incident": ("漏报", "Missed incident"),
    "label.not_applied": ("标注“{label}”未生效：工作进程 {s} 秒内未保存（可能未在运行，或拒绝了该命令）。请重新提交。",
                          "The label “{label}” was not applied: the worker has not stored it within {s} s (it may be "
                          "down, or have rejected the command). Send it again."),
    "audit.title": ("操作审计（谁、何时、做了什么）", "Audit log (who did what, when)"),
    "minutes": ("{v:.1f} 分", "{v:.1f} min"),   # MTTA/MTTR tiles: the history table's precision (1.5, not 2)
    "status.firing": ("触发", "firing"),
    "status.tier_changed": ("级别变化", "tier changed"),
    "status.acknowledged": ("已确认", "acknowledged"),
    "status.ack_lapsed": ("确认超时", "ack timed out"),
    "status.unacked": ("取消确认", "un-acknowledged"),
    "status.escalated": ("已升级", "escalated"),
    "status.silenced": ("已静默", "silenced"),
    "status.resolved": ("已解除", "resolved"),
    "status.board": ("看板操作", "board action"),
    "action.ack": ("确认", "acknowledge"),
    "action.unack": ("取消确认", "un-acknowledge"),
    "action.assign": ("指派", "assign"),
    "action.silence": ("静默", "silence"),
    "action.unsilence": ("取消静默", "unsilence"),
    "action.resolve": ("解除", "resolve"),
    "action.label": ("标注", "label"),
    # alert kinds: Chinese names (detectors/fusion.py KIND_ZH); English keeps the documented identifiers
    **{f"kind.{kind}": (zh, KIND_EN.get(kind, kind)) for kind, zh in KIND_ZH.items()},
    "store.missing": ("预警存储暂不可用：{err}", "Alert store unavailable: {err}"),
    # shift handover (dashboard/views/handover.py)
    "ho.which": ("班次", "Shift"),
    "ho.this_shift": ("本班次", "This shift"),
    "ho.last_shift": ("上一班次", "Previous shift"),
    "ho.title": ("交接班 · {start} – {end}", "Shift handover · {start} – {end}"),
    "ho.m_open": ("仍在预警", "Still open"),
    "ho.m_unowned": ("无人处理", "Nobody on it"),
    "ho.m_fired": ("本班触发", "Fired this shift"),
    "ho.m_resolved": ("本班解除", "Resolved this shift"),
    "ho.m_never": ("从未确认", "Never acknowledged"),
    "ho.m_failed": ("通知失败", "Failed pushes"),
    "ho.open_title": ("仍在预警 · {n}", "Still open · {n}"),
    "ho.none_open": ("没有仍在预警的事项", "Nothing is open"),
    "ho.col_open": ("已开(分)", "Open (min)"),
    "ho.col_owner": ("处理情况", "Who has it"),
    "ho.col_step": ("升级级次", "Escalation step"),
    "ho.acked_by": ("已确认：{who}", "acknowledged by {who}"),
    "ho.assigned_to": ("已指派：{who}", "assigned to {who}"),
    "ho.nobody": ("无人处理", "nobody on it"),
    "ho.open_for": ("已开 {m} 分钟", "open {m} min"),
    "ho.more": ("另有 {n} 条，见看板", "{n} more on the board"),
    "ho.report": ("交接班报告（可复制）", "Handover report (to copy)"),
    "ho.report_title": ("交接班报告 {start} – {end} ({zone})", "Shift handover {start} – {end} ({zone})"),
    "ho.open_head": ("仍在预警 {n} 条：", "Still open: {n}"),
    "ho.shift_line": ("本班次：触发 {fired} 条（{tiers}），已解除 {resolved}，从未确认 {never}，已升级 {escalated}，"
                      "通知失败 {failed}，高风险工单 {risky}",
                      "This shift: {fired} fired ({tiers}), {resolved} resolved, {never} never acknowledged, "
                      "{escalated} escalated, {failed} failed pushes, {risky} risky orders"),
    "ho.notes_head": ("交接备注：", "Handover notes:"),
    "ho.download": ("下载报告", "Download report"),
    "ho.note": ("交接备注", "Handover note"),
    "ho.note_placeholder": ("交给下一班的事项：在办的协调、要回电的客户、人员与系统情况……",
                            "What the next shift must know: coordination under way, customers to call back, "
                            "crews and systems…"),
    "ho.submit": ("提交交接备注", "Save handover note"),
    "ho.note_empty": ("备注为空，未保存", "The note is empty: not saved"),
    "ho.note_failed": ("备注未保存：{err}", "Note not saved: {err}"),
    "ho.note_saved": ("交接备注已保存", "Handover note saved"),
    "ho.notes_title": ("最近的交接备注", "Recent handover notes"),
}


def tier_word(tier: str | None, lang: str = "zh") -> str:
    """A tier's colour word, the code itself for an unknown tier ("-" for none).

    >>> tier_word("red"), tier_word("orange", "en"), tier_word("purple")
    ('红色', 'Orange', 'purple')
    """
    pair = TIER_WORD.get(tier or "")
    if pair is None:
        return tier or "-"
    return pair[1] if lang == "en" else pair[0]


def factor_text(factor: str, lang: str = "zh") -> str:
    """A risk record's top factor (an English identifier, as the contract keeps it) as a duty manager reads it.

    >>> factor_text("negative_text"), factor_text("negative_text", "en")
    ('客户情绪负面', 'negative_text')
    """
    if lang != "zh":
        return factor
    from detectors.fusion import reason_zh
    return reason_zh(factor)


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The text for ``key`` in ``lang`` (the key itself if unknown), formatted with ``fmt``."""
    pair = TEXT.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**fmt) if fmt else text
