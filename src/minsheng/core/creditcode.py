"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

18 characters from ``0-9A-HJ-NPQRTUWXY`` (no I, O, Z, S, V): registration authority, entity type,
the 6-digit GB/T 2260 region of registration, the 9-character organisation code (GB 11714) and a
check character (weights 3^i mod 31). The check is python-stdnum's ``stdnum.cn.uscc``. stdnum
requires the first 8 characters to be digits, which refuses the authority codes ``A``
(中央军委改革和编制办公室), ``N`` (农业) and ``Y`` (其他) that GB 32100 allows, so for those
we check the format here and still use stdnum's check-character computation. Pure.
"""

from __future__ import annotations

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from minsheng.core.errors import InvalidInput


class InvalidCreditCode(InvalidInput):
    """A credit code that fails GB 32100-2015 (format or check character)."""


ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LETTER_AUTHORITIES = "ANY"


def validate(code: str, *, field_name: str = "credit_code") -> str:
    """The compact upper-case code, or ``InvalidCreditCode`` saying which rule it breaks."""
    text = uscc.compact(code)
    try:
        if text[:1] in LETTER_AUTHORITIES and len(text) == 18:
            if not text[2:8].isdigit() or any(c not in ALPHABET for c in text):
                raise InvalidCreditCode(
                    "characters 3–8 must be digits and all from 0-9A-HJ-NPQRTUWXY",
                    field=field_name,
                )
            if text[-1] != uscc.calc_check_digit(text):
                raise InvalidChecksum()
            return text
        return str(uscc.validate(text))
    except InvalidLength:
        raise InvalidCreditCode(
            f"must be 18 characters, got {len(text)}", field=field_name
        ) from None
    except InvalidChecksum:
        expected = uscc.calc_check_digit(text) if len(text) == 18 else "?"
        raise InvalidCreditCode(
            f"check character is {text[-1:]}, expected {expected} (GB 32100-2015)",
            field=field_name,
        ) from None
    except ValidationError:
        raise InvalidCreditCode(
            "characters 1–8 must be digits and 9–18 from 0-9A-HJ-NPQRTUWXY (GB 32100-2015)",
            field=field_name,
        ) from None


def with_check(first17: str) -> str:
    """Complete 17 characters with their check character (for tests and demo data)."""
    return first17 + uscc.calc_check_digit(first17)


GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code(first8: str) -> str:
    """An 8-character organisation code completed with its GB 11714 check character."""
    # GB 11714 values: digits as themselves, letters A=10 … Z=35 (base 36).
    total = sum(int(c, 36) * w for c, w in zip(first8, GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return first8 + ("X" if check == 10 else "0" if check == 11 else str(check))
