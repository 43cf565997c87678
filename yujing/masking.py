"""Masking of personal data (脱敏) in customer text before it reaches a notification, the board or a log.

Phone numbers keep their first three and last four digits (``138****5678``) so that staff who hold the
record can still match the caller; ID numbers, bank cards and e-mail addresses keep just enough to recognise
them; street-level address detail is replaced, while the province / city / district stay visible (they are
what a duty manager needs). The service numbers 95598, 12398 and 12345 are never touched: they are
escalation signals, not personal data.

>>> mask_pii("我的电话13812345678，身份证110101199003071234")
'我的电话138****5678，身份证110***********1234'
>>> mask_pii("call +86 138-1234-5678 or 0571-88886666, mail zhang.san@example.com")
'call +86 138****5678 or 0571-****6666, mail z***@example.com'
>>> mask_pii("浙江省杭州市西湖区文三路478号华星大厦3栋2单元301室停电了，再不来就打12398")
'浙江省杭州市西湖区****停电了，再不来就打12398'
>>> mask_pii("I live at No. 12 Zhongshan Road, Room 301. Card 6222 0212 3456 7890")
'I live at ****, ****. Card ************7890'
>>> safe_text("<b>停电</b>\\x00\\x07 电话 13912345678 请尽快处理", 25)
'<b>停电</b> 电话 139****5678…'
"""
from __future__ import annotations

import re

__all__ = ["mask_pii", "safe_text"]

_NOT_DIGIT_BEFORE = r"(?<![0-9０-９])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９])"

_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
# 18-char resident ID (6 area + 8 birth date + 3 + check digit/X), optionally written in groups 6-8-4.
_ID18 = re.compile(_NOT_DIGIT_BEFORE + r"(\d{6})[ \-]?(\d{8})[ \-]?(\d{3}[0-9Xx])(?![0-9A-Za-z])")
# Chinese mobile: 1[3-9]x + 8 digits, with optional +86/0086 and single spaces or dashes between digits.
_MOBILE = re.compile(_NOT_DIGIT_BEFORE + r"((?:\+|00)?86[ \-]?)?(1[3-9]\d(?:[ \-]?\d){8})" + _NOT_DIGIT_AFTER)
# Landline: 0 + 2-3 digit area code, optional (…) / dash / space, 7-8 digit number, optional extension.
_LANDLINE = re.compile(_NOT_DIGIT_BEFORE + r"(\(?0\d{2,3}\)?)[ \-]?(\d{3,4})[ \-]?(\d{4})" + _NOT_DIGIT_AFTER)
# Bank-card-like runs: 12+ digits in a row, or 4-digit groups separated by spaces/dashes (16-19 digits).
_LONG_DIGITS = re.compile(_NOT_DIGIT_BEFORE + r"(?:\d{12,}|\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,4})?)"
                          + _NOT_DIGIT_AFTER)
# Last resort: digits glued together with single spaces/dashes that still hide a mobile or an ID number.
_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)*")
_HIDDEN = re.compile(r"1[3-9]\d{9}|\d{17}[\dXx]")

# Address detail: a road/street/lane name followed by numbers, or numbered building/unit/room parts.
_CN_NUM = r"[0-9０-９一二三四五六七八九十百零〇]+"
_NAME_CHAR = r"(?:(?![在住于到是的了我你他她家址和与及从往去来向为省市区县镇乡号栋室])[\u4e00-\u9fff])"
_CN_ROAD = _NAME_CHAR + r"{1,8}(?:大道|大街|路|街|巷|胡同|弄)"
_CN_PART = (_CN_NUM + r"[A-Za-z]?(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|户|弄|组)"
            + r"|(?:" + _NAME_CHAR + r"{1,8}(?:小区|花园|新村|公寓|大厦|苑|园|村))(?=[0-9０-９一二三四五六七八九十])")
_CN_ADDRESS = re.compile(r"(?:" + _CN_ROAD + r")?(?:" + _CN_PART + r")(?:[ -]?(?:" + _CN_PART + r"))*"
                         + r"|" + _CN_ROAD + r"(?=" + _CN_NUM + r")")
_EN_STREET = re.compile(
    r"\b(?:No\.?\s*)?\d+[A-Za-z]?,?\s+(?:[A-Z][A-Za-z]*\s+){1,3}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Alley|Boulevard|Blvd|Drive|Dr|Way|Hutong)\b\.?")
_EN_UNIT = re.compile(r"\b(?:Room|Rm|Flat|Apt|Apartment|Unit|Building|Bldg|Block|Floor)\.?\s*#?\d+[A-Za-z]?\b",
                      re.IGNORECASE)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_FULLWIDTH = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF21 + i: 0x41 + i for i in range(26)} \
    | {0xFF41 + i: 0x61 + i for i in range(26)} | {0xFF0B: 0x2B, 0xFF0D: 0x2D, 0xFF20: 0x40, 0x3000: 0x20}
"""Full-width digits, letters, + - @ and the ideographic space, folded so that ``１３８…`` is caught."""
_SPACES = re.compile(r"[ \t\r\n]+")


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _mask_mobile(m: re.Match[str]) -> str:
    d = _digits(m.group(2))
    return (m.group(1) or "") + d[:3] + "****" + d[-4:]


def _mask_landline(m: re.Match[str]) -> str:
    return m.group(1) + "-****" + m.group(3)


def _mask_long(m: re.Match[str]) -> str:
    d = _digits(m.group(0))
    return "*" * (len(d) - 4) + d[-4:]


def _mask_hidden(m: re.Match[str]) -> str:
    run = m.group(0)
    return _mask_long(m) if len(run) >= 11 and _HIDDEN.search(_digits(run)) else run


ORDER_ID = re.compile(r"\b[A-Z]{2,5}-\d{8}-[0-9A-Za-z]{1,10}\b")
"""Work-order numbers (``WO-20260714-0001``): identifiers staff need, not personal data. The date part is
fixed at 8 digits and the serial at most 10 characters, so no 11-digit mobile can hide in one."""


def mask_pii(text: str) -> str:
    """Mask phone numbers, ID numbers, bank cards, e-mails and street addresses in free text.

    Full-width digits and letters are folded to ASCII first so that ``１３８…`` cannot slip through.

    >>> mask_pii("热线95598和12345照常显示")
    '热线95598和12345照常显示'
    >>> mask_pii("身份证号 11010519491231002X")
    '身份证号 110***********002X'
    >>> mask_pii("工单 WO-20261123-5808000009 客户 13812345678")
    '工单 WO-20261123-5808000009 客户 138****5678'
    """
    if not text:
        return text
    if not text.isascii():
        text = text.translate(_FULLWIDTH)
    kept: list[str] = []
    if "-" in text:
        text = ORDER_ID.sub(lambda m: (kept.append(m.group(0)), chr(0xE000 + len(kept) - 1))[1], text)
    text = _EMAIL.sub(lambda m: m.group(1) + "***@" + m.group(2), text)
    text = _ID18.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    text = _MOBILE.sub(_mask_mobile, text)
    text = _LONG_DIGITS.sub(_mask_long, text)
    text = _LANDLINE.sub(_mask_landline, text)
    text = _DIGIT_RUN.sub(_mask_hidden, text)
    text = _CN_ADDRESS.sub("****", text)
    text = _EN_STREET.sub("****", text)
    text = _EN_UNIT.sub("****", text)
    for i, order_id in enumerate(kept):
        text = text.replace(chr(0xE000 + i), order_id)
    return text


def safe_text(text: str | None, limit: int = 500) -> str:
    """Masked, control-character-free, whitespace-collapsed text of at most ``limit`` characters.

    The result is plain text: it is never turned into HTML here, and callers must show it as text.

    >>> safe_text("a\\n\\n b\\u202e c", 4)
    'a b…'
    """
    if not text:
        return ""
    text = _CONTROL.sub(" ", str(text))
    text = _SPACES.sub(" ", mask_pii(text)).strip()
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return text
