"""Personal data never survives ``mask_pii``; service numbers and ordinary text do."""
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from yujing.masking import mask_pii, safe_text

MOBILE = re.compile(r"1[3-9]\d{9}")
ID18 = re.compile(r"\d{17}[\dXx]")


@st.composite
def mobiles(draw) -> tuple[str, str]:
    digits = "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(
        st.sampled_from("0123456789"), min_size=9, max_size=9)))
    style = draw(st.sampled_from(["plain", "dash", "space", "+86", "+86 dash", "0086", "fullwidth"]))
    if style == "plain":
        text = digits
    elif style == "dash":
        text = f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    elif style == "space":
        text = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    elif style == "+86":
        text = "+86" + digits
    elif style == "+86 dash":
        text = f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}"
    elif style == "0086":
        text = "0086" + digits
    else:
        text = digits.translate({0x30 + i: 0xFF10 + i for i in range(10)})
    return digits, text


@st.composite
def id_numbers(draw) -> tuple[str, str]:
    body = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=17, max_size=17)))
    last = draw(st.sampled_from("0123456789Xx"))
    return body + last, body + last


# Free text around the secrets: Chinese, English, punctuation, and the service numbers.
filler = st.lists(st.sampled_from(list("停电投诉我家电话请尽快abcXYZ ,.，。：:()（）号路市区") + ["95598", "12398"]),
                  max_size=12).map("".join)


def flat(text: str) -> str:
    return re.sub(r"[\s\-]", "", text.translate({0xFF10 + i: 0x30 + i for i in range(10)}))


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.tuples(filler, st.one_of(mobiles(), id_numbers())), min_size=1, max_size=4), tail=filler)
def test_no_mobile_or_id_survives(parts, tail):
    text = "".join(f + secret for f, (_, secret) in parts) + tail
    out = mask_pii(text)
    for _, (digits, _) in parts:
        assert digits not in flat(out), (text, out)
        assert "****" in out, (text, out)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_has_no_bare_mobile_or_id_left(text):
    out = mask_pii(text)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", out)
    assert not re.search(r"(?<!\d)\d{17}[\dXx](?![0-9A-Za-z])", out)
    assert mask_pii(out) == out  # idempotent: masking masked text changes nothing


def test_service_numbers_and_ordinary_text_stay():
    text = "客户说再不来就打12398，或者12345，热线95598。停电2小时，第3次了，工单WO-20260714-0001"
    assert mask_pii(text) == text


def test_partial_phone_keeps_prefix_and_suffix():
    assert mask_pii("联系 139-0571-2345") == "联系 139****2345"
    assert mask_pii("tel: +86 13912345678") == "tel: +86 139****5678"


def test_landline_id_card_email_address():
    out = mask_pii("座机010-87654321，卡号6222021234567890123，邮箱 li4@qq.com，地址北京市朝阳区建国路88号")
    assert "87654321" not in out and "010-****4321" in out
    assert "6222021234567890123" not in out and out.count("*") > 15
    assert "li4@" not in out and "@qq.com" in out
    assert "建国路88号" not in out and "北京市朝阳区" in out


def test_english_addresses():
    out = mask_pii("Address: No. 12 Zhongshan Road, Room 301, email a.b@c.org")
    assert "Zhongshan" not in out and "301" not in out and "a.b@" not in out


def test_safe_text_strips_controls_and_truncates_without_html():
    out = safe_text("<script>alert(1)</script>\x1b[31m 13812345678 " + "很" * 100, 40)
    assert len(out) == 40 and out.endswith("…")
    assert "\x1b" not in out and "13812345678" not in out
    assert "<script>" in out  # left as text: escaping is the renderer's job, we never produce HTML
    assert safe_text(None) == "" and safe_text("", 5) == ""


def test_phone_numbers_keep_their_exact_shape_in_every_spelling():
    """Staff match the caller by the first three and last four digits: the shape is part of the contract."""
    for text, want in [("19912345678", "199****5678"), ("0086 13812345678", "0086 138****5678"),
                       ("电话１３８　１２３４　５６７８", "电话138****5678"),      # full-width digits, ideographic spaces
                       ("电话１３８－１２３４－５６７８", "电话138****5678"),      # full-width minus
                       ("账号138123456789", "账号********6789")]:              # 12 digits: an account, not a phone
        assert mask_pii(text) == want, text


def test_id_numbers_written_in_groups_and_shorter_card_numbers_are_masked():
    assert mask_pii("身份证 110101 19900307 1234") == "身份证 110***********1234"
    assert mask_pii("账号 123456789012") == "账号 ********9012"
    assert mask_pii("卡号 6222 0212 3456") == "卡号 ********3456"


def test_no_mobile_hides_in_something_shaped_like_an_order_number():
    assert mask_pii("WO-20260714-13812345678") == "WO-20260714-138****5678"   # serial too long for an order id
    assert mask_pii("WO-1381234-5678") == "WO-138****5678"                      # date part too short


def test_address_details_in_lanes_estates_and_long_english_street_names():
    assert mask_pii("住在帽儿胡同5号") == "住在****"
    assert mask_pii("住在阳光小区3栋2单元") == "住在****"
    assert mask_pii("北京市朝阳区建国路88") == "北京市朝阳区****88"      # the street name goes, the district stays
    assert mask_pii("No. 12 West Chang An Street") == "****"
    assert mask_pii("room 301, apt 5") == "****, ****"
    assert mask_pii("Ｒｏｏｍ ３０１") == "****"                        # full-width letters too


def test_safe_text_removes_direction_overrides_and_trims_at_the_limit_only():
    assert safe_text("abc\u202edef") == "abc def"          # a right-to-left override cannot reorder what staff read
    assert safe_text("  hi  ") == "hi"
    assert safe_text("abcde", 5) == "abcde"                # exactly at the limit: untouched
    assert safe_text("abc defg", 5) == "abc…"              # no dangling space before the ellipsis
