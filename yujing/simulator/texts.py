"""Customer and staff texts whose tone follows the wait.

Tone levels: 0 polite, 1 impatient, 2 angry, 3 explicit threat (to go to 12398 / 12345 / the media). About one
text in ten carries fake personal data (an 11-digit mobile number, an 18-digit ID-like number, a street address)
and a few carry markup, so that masking and escaping downstream are exercised. All numbers are random, never real.

>>> import random
>>> t = Texts(random.Random(1), pii_rate=1.0, markup_rate=0.0)
>>> any(ch.isdigit() for ch in t.opening("fault_repair", "zh", billing=False))
True
"""
from __future__ import annotations

import random

OPENINGS_ZH: dict[str, tuple[str, ...]] = {
    "fault_repair": ("家里突然停电了，邻居家有电，麻烦派人来看看。", "楼道总闸跳了合不上，请尽快派人处理。",
                     "小区门口的电线掉下来了，很危险，请赶紧来人！", "表箱冒烟还有焦味，请马上派人！",
                     "客户来电反映家中停电，要求派员检查。", "电压忽高忽低，空调都启动不了。"),
    "consultation": ("请问峰谷电价怎么计算？晚上几点开始算谷电？", "想咨询一下新装电表需要带什么材料。",
                     "请问网上国网怎么绑定户号？", "光伏并网需要办理哪些手续？", "阶梯电价的第二档是多少度？"),
    "service_request": ("申请电能表校验，怀疑计量不准。", "新房装修完了，申请新装一户一表。",
                        "已经补缴欠费，申请尽快复电。", "申请增容，店里要加装空调。", "家电被雷击损坏，申请理赔。"),
    "complaint": ("抄表员估抄，电费明显不对，要求核查。", "营业厅工作人员态度很差，我要投诉。",
                  "报修后抢修人员迟迟不到，投诉处理慢。", "一个月停了好几次电，严重影响生活。"),
    "opinion": ("对最近频繁停电有意见，希望改进。", "APP缴费总是失败，希望改进一下。", "停电通知太晚了，应该提前告知。"),
    "report": ("举报附近工地违规用电，存在安全隐患。", "举报有人私拉乱接电线。", "举报有人窃电。"),
    "suggestion": ("建议营业厅周末延长营业时间。", "建议停电短信里写明恢复时间。", "建议APP增加电费明细查询。"),
    "praise": ("感谢抢修师傅连夜抢修，辛苦了！", "营业厅小王服务很耐心，表扬一下。", "客服答复很及时，点赞。"),
}
OPENINGS_EN: dict[str, tuple[str, ...]] = {
    "fault_repair": ("The power in my flat went off, the neighbours still have power. Please send someone.",
                     "The main breaker keeps tripping and won't reset.", "A power line is down by the gate, dangerous!"),
    "consultation": ("How are peak and off-peak tariffs calculated?", "What documents do I need for a new meter?",
                     "How do I link my account in the app?"),
    "service_request": ("I'd like my meter tested, I think it runs fast.", "I paid the arrears, please reconnect.",
                        "Requesting a capacity increase for my shop."),
    "complaint": ("The meter reader estimated my reading, the bill is wrong.", "The hall staff were rude to me.",
                  "The repair crew never came after I reported the outage."),
    "opinion": ("Outage notices come far too late.", "Paying in the app keeps failing."),
    "report": ("Someone is stealing electricity next door.", "A building site is using power unsafely."),
    "suggestion": ("Please put the expected restore time in outage texts.", "Open the service hall on weekends."),
    "praise": ("Many thanks to the crew who worked through the night!", "The hotline agent was very helpful."),
}
BILLING_ZH = ("这个月电费怎么突然翻倍了？", "电费扣了两次，谁给我解释一下？", "阶梯电价算错了，多收了我好几百。",
              "没用多少电，账单却高得离谱！")
BILLING_EN = ("My bill doubled this month, why?", "I was charged twice for electricity.",
              "The tiered tariff was applied wrongly, I was overcharged.")
OUTAGE_ZH = ("整个小区都停电了，什么时候能恢复？", "我们这一片全黑了，已经停电一个多小时。", "整条街都没电了，冰箱里的东西都要坏了。")
OUTAGE_EN = ("The whole estate has no power, when will it be back?", "Our entire street is dark.")

NAG_ZH: tuple[tuple[str, ...], ...] = (
    ("请问处理进度怎么样了？", "麻烦帮忙催一下，谢谢。", "补充一下：表箱在楼道东侧。", "家里有老人小孩，请尽量快一点。"),
    ("我等得很着急，请给个明确时间。", "说好的时间已经过了，能不能给个准信？", "怎么还没人联系我？", "已经打了好几次电话了。"),
    ("你们的服务太差了，根本没人管！", "我受够了，你们根本不把客户当回事！", "拖了这么久，损失谁来赔？",
     "最后一次催你们，再不解决后果自负！"),
    ("再不来我就打12398", "再不处理我就打12345投诉你们！", "我要发抖音曝光你们！", "我要找媒体曝光你们！",
     "我要向能源监管部门投诉！"),
)
NAG_EN: tuple[tuple[str, ...], ...] = (
    ("Any update on my request, please?", "Could you chase this for me? Thanks.", "Small addition: the meter box is "
     "on the east side."),
    ("I've been waiting a long time, please give me a time.", "The promised time has passed.", "Nobody has called "
     "me back yet."),
    ("This service is terrible, nobody cares!", "I'm fed up, you don't take customers seriously!",
     "Who pays for my losses?"),
    ("I'll call the regulator if nobody comes.", "I will call 12398 and report you.", "I'm going to the press with "
     "this.", "I'll post this on social media."),
)
REPLY_ZH = ("已安排处理，请耐心等待。", "经核实已处理完毕，感谢您的理解。", "已恢复供电，给您带来不便深表歉意。",
            "已向您解释相关政策，如有疑问请再联系。")
REPLY_EN = ("It has been handled, thank you for your patience.", "Power has been restored, sorry for the trouble.")
REVISIT_ZH = {"satisfied": ("处理得很及时，满意。", "师傅很专业，谢谢。"), "neutral": ("还行吧。", "一般。"),
              "dissatisfied": ("拖了这么久才处理，不满意。", "问题根本没解决！", "态度敷衍，很不满意。")}
REVISIT_EN = {"satisfied": ("Quick and professional, thanks.",), "neutral": ("It was OK.",),
              "dissatisfied": ("Took far too long, not happy.", "The problem is not solved!")}
REPEAT_ZH = ("第二次来电了，上次反映的问题到现在没人处理！", "之前报过一次了，怎么还没人来？", "又来电话了，问题一直没解决。")
REPEAT_EN = ("Second time I'm calling, nobody handled my last report!", "I reported this before and nothing "
             "happened.")
PAUSE_REASONS = ("等待客户提供资料", "客户要求改约上门时间", "等待客户补缴费用")
BOUNCE_REASONS = ("工单分类错误，退回重派", "地址不在本所辖区", "需计量专业处理", "属地划分错误")
RECLASS_REASON = "工单分类错误，退回重派"
MARKUP = ("<b>紧急！</b>", "<script>alert('x')</script>", "<a href=\"http://example.com\">点这里</a>", "<i>urgent</i>")
STREETS = ("解放路", "人民路", "建设大道", "中山路", "滨江路", "和平街")


class Texts:
    """Random texts of a given category, language and tone, with optional fake personal data and markup."""

    def __init__(self, rng: random.Random, pii_rate: float = 0.10, markup_rate: float = 0.01) -> None:
        self.rng = rng
        self.pii_rate = pii_rate
        self.markup_rate = markup_rate

    def _decorate(self, text: str, lang: str) -> str:
        rnd = self.rng.random
        if rnd() < self.pii_rate:
            text = text + self.personal_data(lang)
        if rnd() < self.markup_rate:
            text = self.rng.choice(MARKUP) + text
        return text

    def personal_data(self, lang: str) -> str:
        """A fake phone number, ID-like number or address, phrased as a customer would add it."""
        r = self.rng
        kind = r.randrange(3)
        if kind == 0:
            phone = f"1{r.choice('3456789')}{r.randrange(10**9):09d}"
            return f" 联系电话{phone}" if lang == "zh" else f" Call me on {phone}."
        if kind == 1:
            idno = f"{r.randrange(110000, 660000)}{r.randrange(1950, 2005)}{r.randrange(1, 13):02d}" \
                   f"{r.randrange(1, 29):02d}{r.randrange(1000):03d}{r.choice('0123456789X')}"
            return f" 身份证号{idno}" if lang == "zh" else f" My ID number is {idno}."
        street = r.choice(STREETS)
        addr = f"{street}{r.randrange(1, 400)}号{r.randrange(1, 30)}栋{r.randrange(1, 6)}单元{r.randrange(101, 2400)}室"
        return f" 地址：{addr}" if lang == "zh" else f" Address: Room {r.randrange(101, 2400)}, No. " \
                                                     f"{r.randrange(1, 400)} {street} Rd."

    def opening(self, category: str, lang: str, billing: bool, outage: bool = False, angry: bool = False) -> str:
        r = self.rng
        if outage:
            text = r.choice(OUTAGE_ZH if lang == "zh" else OUTAGE_EN)
        elif billing:
            text = r.choice(BILLING_ZH if lang == "zh" else BILLING_EN)
        else:
            text = r.choice((OPENINGS_ZH if lang == "zh" else OPENINGS_EN)[category])
        if angry:
            text = text + r.choice(NAG_ZH[2] if lang == "zh" else NAG_EN[2])
        return self._decorate(text, lang)

    def nag(self, tone: int, lang: str) -> str:
        table = NAG_ZH if lang == "zh" else NAG_EN
        return self._decorate(self.rng.choice(table[min(max(tone, 0), 3)]), lang)

    def repeat(self, lang: str) -> str:
        return self._decorate(self.rng.choice(REPEAT_ZH if lang == "zh" else REPEAT_EN), lang)

    def reply(self, lang: str) -> str:
        return self.rng.choice(REPLY_ZH if lang == "zh" else REPLY_EN)

    def revisit(self, satisfaction: str, lang: str) -> str:
        return self._decorate(self.rng.choice((REVISIT_ZH if lang == "zh" else REVISIT_EN)[satisfaction]), lang)
