"""Register cues of power-service customer text, and a hand-written calibration set (written for yujing).

Why: the n-gram model learned from product reviews, where almost every text is a verdict. Hotline text is
mostly not: a customer asking how to transfer an account is neutral, one asking when the crew will come
for the third time is angry. The cues below give the scorer that register (features ``r:*`` in
:func:`streams.sentiment.featurize`); :data:`CALIBRATION` — sentences written for this file, graded by how
negative a service agent would judge them — fits how much each cue and the review model's logit count
(``python -m streams.sentiment_data.build``).
"""
from __future__ import annotations

#: Inquiry / request phrasing: a customer asking or applying is neutral unless something else says otherwise.
#: Suggestion words (希望, 建议, suggest) are not here: in reviews they mostly wrap a complaint.
INQUIRY_ZH: tuple[str, ...] = (
    "咨询", "请问", "想问", "问一下", "想了解", "了解一下", "申请", "办理", "需要带", "需要哪些", "需要什么",
    "带什么", "要带", "哪些材料", "什么材料", "手续", "流程", "怎么办理", "如何办理", "如何申请", "能否",
    "是否可以", "可不可以", "可以吗", "麻烦告知", "请告知", "告知一下", "查询", "查一下", "开发票", "开票",
    "报装", "过户", "更名", "增容", "销户", "绑定", "预约", "标准是", "怎么算", "怎么计算", "怎么收费",
    "营业时间", "请帮忙", "帮忙查", "需要提供", "是否需要",
)
INQUIRY_EN: tuple[str, ...] = (
    "how do i", "how can i", "how are the", "what documents",
    "which documents", "i would like", "i'd like", "would like to", "i want to", "apply for", "application",
    "could you", "can you tell", "please tell", "please let me know", "is it possible", "do i need",
    "enquiry", "inquiry", "question about", "where can i", "when does", "set up", "transfer my", "my account",
)

#: Domain anger with an intensity (1 mild impatience .. 3 fury). Summed into ``r:anger`` (capped).
#: Phrases, not bare words: "还不" opens "还不错", "一直" and "never" praise as often as they blame.
ANGER_ZH: dict[str, float] = {
    # waiting and being ignored
    "还没人来": 2.5, "还没有人来": 2.5, "没人来": 2.0, "没人管": 2.5, "没人理": 2.5, "没人回": 2.0, "不回电话": 2.0,
    "几个小时": 1.5, "好几个小时": 2.0, "一整天": 1.5, "好几天": 1.5, "这么久": 1.5, "多久": 1.0,
    "一直等": 1.5, "一直没": 1.5, "一直让我等": 2.0, "一直打不通": 2.0, "多次报修": 2.0, "多次打": 1.5,
    "多次反映": 2.0, "打了好几次": 2.0, "好几次了": 1.5, "几次了": 1.5, "又一次": 1.0, "又停": 1.5,
    "到底": 2.0, "究竟": 1.5, "还要等": 1.5, "还在等": 1.5, "等了": 1.0, "白等": 2.0, "干等": 2.0,
    "太慢": 2.0, "慢得": 1.5, "效率低": 2.0, "效率太低": 2.5, "拖了": 1.5, "拖延": 2.0, "一拖再拖": 2.5,
    "拖到现在": 2.0, "推来推去": 2.5, "踢皮球": 2.5, "敷衍": 2.5, "糊弄": 2.5,
    "怎么还": 2.0, "还没来": 2.0, "还没修": 2.0, "还没处理": 2.0, "还没解决": 2.0, "还没消息": 2.0,
    "还没恢复": 2.0, "还不来": 2.0, "还不处理": 2.0, "还不解决": 2.0, "催了": 2.0, "又催": 2.0, "再催": 2.0, "说好的": 1.5, "准信": 1.5,
    # judgement and temper
    "投诉": 1.5, "不满": 2.0, "气死": 3.0, "受够": 3.0, "忍无可忍": 3.0, "太差": 2.5, "差劲": 2.5, "垃圾": 3.0,
    "态度差": 2.5, "态度恶劣": 3.0, "不耐烦": 2.0, "不负责": 2.5, "不作为": 2.5, "不当回事": 3.0, "什么服务": 2.5,
    "凭什么": 2.5, "有没有人管": 3.0, "搞什么": 2.5, "离谱": 2.5, "过分": 2.5, "无语": 2.0, "骗子": 3.0,
    "追究": 2.5, "后果自负": 3.0, "别想": 2.0, "天天打电话": 2.5, "严肃处理": 2.0, "责任人": 1.5, "赔偿": 2.0,
    "损失": 1.5, "坏了": 1.0, "烧坏": 2.0, "热死": 2.0, "冻死": 2.0, "急死": 2.5, "着急": 1.5, "请了假": 1.5,
}
ANGER_EN: dict[str, float] = {
    "still no": 2.0, "still not": 2.0, "still waiting": 2.5, "nobody": 2.0, "no one": 2.0, "no-one": 2.0,
    "hours": 1.5, "all day": 1.5, "days": 1.0, "again": 1.0, "once again": 1.5, "every time": 1.5,
    "times now": 2.0, "how long": 1.5, "keep being told": 2.5, "keep getting": 1.5, "ignored": 2.5,
    "unacceptable": 3.0, "ridiculous": 3.0, "disgrace": 3.0, "joke": 2.0, "useless": 3.0, "pathetic": 3.0,
    "fed up": 3.0, "sick of": 3.0, "had enough": 3.0, "enough is enough": 3.0,
    "complaint": 1.5, "complain": 1.5,
    "what is going on": 2.5, "why has": 1.5, "took a day off": 1.5, "still": 1.0, "never came": 2.5,
    "never showed": 2.5, "worst": 3.0, "angry": 3.0, "furious": 3.0, "spoiled": 1.5,
}
#: Urging words: two or more in one text (or one said twice) is pressing, ``r:urge``.
URGE_ZH: tuple[str, ...] = ("催", "快点", "快一点", "赶紧", "马上", "立刻", "尽快", "抓紧", "速来", "快来")
URGE_EN: tuple[str, ...] = ("asap", "immediately", "right now", "hurry", "urgent", "urgently", "now!")

#: (text, graded negativity target). Neutral inquiries and requests 0.1, fault reports 0.3, mild
#: dissatisfaction 0.5, anger 0.8, explicit threats 0.95, thanks 0.05. Written for this file.
CALIBRATION: tuple[tuple[str, float], ...] = (
    # neutral inquiries and requests (zh)
    ("请问办理居民用电过户要带哪些证件？", 0.1), ("想了解一下阶梯电价的分档标准。", 0.1),
    ("我想申请把单相电改成三相电，需要什么手续？", 0.1), ("请问电费发票在哪里可以打印？", 0.1),
    ("咨询一下分布式光伏补贴怎么申请。", 0.1), ("客户来电咨询电费缴纳方式，已解答。", 0.1),
    ("客户申请更名，已告知需提供房产证。", 0.1), ("请问营业厅周六上班吗？", 0.1),
    ("想办理峰谷电，请问怎么开通？", 0.1), ("客户来电申请增容，要求安排现场勘查。", 0.1),
    ("麻烦帮忙查一下我家上个月的用电量。", 0.1), ("请问自动扣费怎么设置？", 0.1),
    ("申请安装一个新的电表，新房刚交付。", 0.1), ("客户咨询充电桩报装需要多长时间。", 0.1),
    ("请告知一下电费违约金是怎么计算的。", 0.1), ("我想预约上门核对电表读数。", 0.1),
    ("客户来电查询户号，已告知。", 0.1), ("请问销户以后预存的电费怎么退？", 0.1),
    ("申请电能表现场校验，觉得读数偏高，麻烦安排一下。", 0.15), ("新建厂房需要临时用电，请问如何办理？", 0.1),
    ("客户咨询欠费停电后复电需要多久。", 0.1), ("请问APP上怎么修改绑定的手机号？", 0.1),
    ("建议在缴费页面增加历史账单查询。", 0.15), ("希望营业厅能多开一个窗口。", 0.25),
    ("客户要求书面答复电价政策。", 0.15), ("请问农村户表改造什么时候开始？", 0.1),
    # fault reports, calm (zh)
    ("我家突然没电了，请派人来看一下。", 0.3), ("路灯杆旁边的电线垂下来了，请处理。", 0.3),
    ("客户反映家中空开跳闸，合不上，请安排抢修。", 0.3), ("电压不稳，灯一闪一闪的，麻烦检查。", 0.3),
    ("变压器有嗡嗡声，请派人看看。", 0.3), ("客户来电报修，小区一栋楼停电。", 0.3),
    # mild dissatisfaction (zh)
    ("缴费老是提示失败，能不能改进一下？", 0.45), ("营业厅排队太久了，希望多开窗口。", 0.5),
    ("停电通知太晚了，希望以后提前说。", 0.5), ("电费比上个月高了不少，有点疑问，请核实。", 0.45),
    ("师傅来得有点晚，不过修好了。", 0.4), ("一般吧，希望下次快一点。", 0.5),
    ("这个月又停了一次电，有点影响生活。", 0.5), ("客服电话等了好久才接通。", 0.55),
    ("处理结果还可以，就是时间长了点。", 0.45), ("APP总是闪退，用起来不方便。", 0.5),
    # anger (zh)
    ("已经停电五个小时了，到底什么时候来修？", 0.85), ("打了好几次电话都说在处理，根本没人来！", 0.85),
    ("你们这效率太差了，等了一上午还没人来！", 0.85), ("冰箱里的东西全坏了，谁来负责？", 0.8),
    ("每次都说马上到，到现在也没见人影！", 0.85), ("催了三次了还没消息，你们有没有人管？", 0.9),
    ("这已经是这个月第四次停电了，忍无可忍！", 0.9), ("接线员态度恶劣，直接把电话挂了！", 0.85),
    ("一直让我等，等到什么时候是个头？？", 0.85), ("天这么热停电一整天，老人都快热坏了，赶紧来人！！", 0.85),
    ("工单没处理就结单，这是什么服务？", 0.85), ("问题拖了一个星期还没解决，太不负责了。", 0.8),
    ("我请假在家等了一整天，结果没人来，太气人了！", 0.85), ("多收的电费到现在都没退，骗子吧！", 0.9),
    # explicit threats (zh)
    ("再不来修我就打12398投诉你们！", 0.95), ("今天不解决我就找电视台曝光！", 0.97),
    ("我要请律师起诉你们，赔偿我的损失！", 0.97), ("再拖下去我直接去信访！", 0.95),
    ("你们领导电话多少？我要投诉到底！", 0.95), ("已经拍了视频，不处理就发微博！", 0.95),
    # thanks (zh)
    ("谢谢师傅这么快就修好了！", 0.05), ("客服解释得很耐心，非常满意。", 0.05), ("问题已经解决了，感谢。", 0.05),
    # neutral inquiries and requests (en)
    ("How do I transfer the account into my name?", 0.1),
    ("What documents are needed to apply for solar?", 0.1),
    ("I would like to apply for a meter upgrade.", 0.1),
    ("Could you tell me how the tiered price works?", 0.1),
    ("Is it possible to pay my bill by direct debit?", 0.1), ("I'd like to book a meter reading visit.", 0.1),
    ("Where can I download last month's invoice?", 0.1),
    ("Please let me know the opening hours of the office.", 0.1),
    ("Customer asked about the time-of-use tariff; explained.", 0.1),
    ("Request to increase supply capacity.", 0.1),
    ("I want to close my account, what is the process?", 0.1),
    ("Please check my meter, the reading looks high.", 0.2),
    # fault reports and mild (en)
    ("Our street has no power, please send a crew.", 0.3),
    ("The lights keep flickering in the evening.", 0.35),
    ("The app keeps failing when I try to pay.", 0.5), ("It took quite a while but it is fixed now.", 0.4),
    ("The bill seems higher than usual, can you check?", 0.4), ("Outage notices should come earlier.", 0.45),
    # anger and threats (en)
    ("Power has been out for six hours and still no one has come!", 0.85),
    ("I have called three times and nobody does anything. Unacceptable.", 0.9),
    ("This is ridiculous, every week another outage!", 0.85),
    ("Still waiting since this morning. Where is the crew??", 0.85),
    ("My food spoiled because of your outage and nobody cares.", 0.85),
    ("Fed up with the excuses, fix it now!", 0.9),
    ("Fix this today or I will report you to the regulator.", 0.95),
    ("I am calling my lawyer and the local news.", 0.97),
    # thanks (en)
    ("Thanks, the crew was quick and polite.", 0.05), ("Problem solved, much appreciated.", 0.05),
)
