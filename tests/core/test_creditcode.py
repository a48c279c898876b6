"""Unified social credit codes (GB 32100-2015) through python-stdnum."""

from __future__ import annotations

import pytest

from minsheng.core import creditcode
from minsheng.core.creditcode import InvalidCreditCode


def test_valid_codes() -> None:
    assert creditcode.validate("91110000600037341L") == "91110000600037341L"
    assert creditcode.validate(" 9111 0000 6000 3734 1l ") == "91110000600037341L"
    code = creditcode.with_check("92460107" + creditcode.org_code("MA5T1234"))
    assert creditcode.validate(code) == code


def test_letter_authority_codes_are_accepted() -> None:
    code = creditcode.with_check("Y1460107" + creditcode.org_code("MA5T1234"))
    assert creditcode.validate(code) == code


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91110000600037341A", "expected L"),
        ("9111000060003734", "18 characters"),
        ("91110000600037341I", "0-9A-HJ-NPQRTUWXY"),
        ("9A110000600037341L", "digits"),
    ],
)
def test_invalid_codes_say_why(code: str, words: str) -> None:
    with pytest.raises(InvalidCreditCode) as info:
        creditcode.validate(code)
    assert words in info.value.detail
    assert info.value.field == "credit_code"
