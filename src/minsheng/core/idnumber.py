"""Resident identity numbers (公民身份号码, GB 11643-1999).

18 characters: a 6-digit address code (GB/T 2260), an 8-digit birth date, a 3-digit sequence
(odd = male, even = female) and a check character computed with ISO 7064 MOD 11-2 (weights
``7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2``; remainder 0…10 maps to ``1 0 X 9 8 7 6 5 4 3 2``; test
vector ``11010519491231002X`` from Annex A). We compute the check ourselves (ten lines) rather
than use python-stdnum's ``cn.ric``, because that rejects historical address codes still printed on
valid cards (stdnum issue #442): an unknown address code is only a warning here, never a refusal.
15-digit numbers (the pre-1999 format) are refused with a reason; they must be upgraded first.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from minsheng.core import regions, timeutil
from minsheng.core.errors import InvalidInput

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class InvalidIdNumber(InvalidInput):
    """An ID number that fails GB 11643-1999."""


@dataclass
class IdCheck:
    valid: bool
    normalized: str | None
    birth_date: date | None = None
    sex: Literal["M", "F"] | None = None
    region: regions.Region | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "normalized": self.normalized,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "region": self.region.brief() if self.region else None,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(number: str) -> str:
    """An ID as people type or paste it: full-width digits and letters (１２３…Ｘ) become ASCII
    (NFKC), spaces go, ``x`` becomes ``X``."""
    return unicodedata.normalize("NFKC", number).strip().replace(" ", "").upper()


def check(number: str, *, today: date | None = None) -> IdCheck:
    """Check an ID number; never raises. ``errors`` empty ⇔ valid."""
    today = today or timeutil.today()
    text = normalize(number)
    result = IdCheck(valid=False, normalized=None)
    if len(text) == 15 and text.isdigit():
        result.errors.append(
            "15-digit numbers (pre-1999 format) are not accepted: use the 18-digit number"
        )
        return result
    if len(text) != 18:
        result.errors.append(f"must be 18 characters, got {len(text)}")
        return result
    # isdigit alone would take other scripts' digits (٠١٢…), which no ID has
    if not (text.isascii() and text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
        result.errors.append("the first 17 characters must be digits and the last a digit or X")
        return result
    try:
        birth = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        result.errors.append(f"birth date {text[6:14]} is not a real date")
        birth = None
    if birth is not None:
        if birth > today:
            result.errors.append(f"birth date {birth.isoformat()} is in the future")
        elif birth.year < 1850:
            result.errors.append(f"birth date {birth.isoformat()} is implausibly early")
    expected = check_character(text[:17])
    if text[17] != expected:
        result.errors.append(f"check character is {text[17]}, expected {expected} (ISO 7064)")
    region = regions.table().get(text[:6])
    if region is None:
        result.warnings.append(f"address code {text[:6]} is not in the GB/T 2260 table")
    elif not region.current:
        result.warnings.append(f"address code {text[:6]} ({region.name}) is no longer in use")
    if result.errors:
        return result
    result.valid = True
    result.normalized = text
    result.birth_date = birth
    result.sex = "M" if int(text[16]) % 2 == 1 else "F"
    result.region = region
    return result


def validate(number: str, *, field_name: str = "id_number", today: date | None = None) -> str:
    """The normalised number, or ``InvalidIdNumber`` naming the field and every rule broken."""
    result = check(number, today=today)
    if not result.valid or result.normalized is None:
        raise InvalidIdNumber("; ".join(result.errors), field=field_name)
    return result.normalized
