"""The pages' side of the catalogue (web/messages.py): rule texts read back into Chinese."""

from __future__ import annotations

import pytest

from minsheng.certification.rules import adscan
from minsheng.core import i18n
from minsheng.web import messages


@pytest.mark.parametrize("pattern", adscan.PATTERNS, ids=lambda p: p.rule)
def test_every_scam_ad_rule_reads_in_chinese(pattern: adscan.Pattern) -> None:
    text = messages.rule_reason({"rule": pattern.rule, "reason": pattern.reason})
    assert text == i18n.chinese(f"rule.{pattern.rule}")
    assert messages.CJK.search(text) and not any(c.isascii() and c.isalpha() for c in text)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "must be 18 characters, got 17; check character is 0, expected X (ISO 7064)",
            "应为 18 位，实际 17 位；校验码为 0，应为 X（ISO 7064）",
        ),
        (
            "open 16 h on mon, tue, wed, thu, fri: at least 18 h a day",
            "周一、周二、周三、周四、周五开通 16 小时：每天至少 18 小时",
        ),
        ("add 2 seats 18:00–22:00 on weekdays", "周一至周五 18:00–22:00 增加 2 个坐席"),
        (
            "add 1 seat 12:00–14:00 and 18:00–22:00 on Mon–Wed",
            "周一至周三 12:00–14:00、18:00–22:00 增加 1 个坐席",
        ),
        ("harm minor: base tier lighter", "危害后果轻微：基础档次为“从轻处罚”"),
        (
            "tier standard: fine [1000, 5000] yuan, inside the statutory range",
            "“一般”档：罚款 1000–5000 元，在法定幅度内",
        ),
        ("47 points → D", "47 分 → D 级"),
        (
            "case 12 is open; close needs it to be checked",
            "案件 12 当前为“已立案”；“结案”须在案件为“已复查”时进行",
        ),
    ],
)
def test_rule_texts_with_values(english: str, chinese: str) -> None:
    assert messages.translate(english) == chinese


def test_an_unknown_text_stays_as_it_came_and_english_readers_get_english() -> None:
    assert messages.translate("something new; and more") == "something new; and more"
    with i18n.using("en"):
        assert messages.translate("47 points → D") == "47 points → D"


def test_validator_messages_by_error_type() -> None:
    error = {
        "type": "string_too_short",
        "msg": "String should have at least 2 characters",
        "ctx": {"min_length": 2},
    }
    assert i18n.validation_message(error) == "至少需要 2 个字符"
    with i18n.using("en"):
        assert i18n.validation_message(error) == "At least 2 characters"
    bidi = {
        "type": "value_error",
        "msg": "Value error, x",
        "ctx": {"error": ValueError("bidirectional control U+202E at position 3 is not allowed")},
    }
    assert i18n.validation_message(bidi) == "第 3 个字符是不允许的双向控制字符 U+202E"


def test_locale_negotiation_is_chinese_first() -> None:
    assert i18n.negotiate(None) == "zh_CN"
    assert i18n.negotiate("en-US,en;q=0.9") == "en"
    assert i18n.negotiate("en-US,zh-CN;q=0.9") == "en"
    assert i18n.negotiate("zh-TW,en;q=0.9") == "zh_CN"
    assert i18n.negotiate("fr,de") == "zh_CN"
    assert i18n.request_locale("en", "zh", "zh") == "en"
