"""Certificate numbers under 《职业技能等级证书编码规则（试行）》 (人社鉴发〔2019〕2号).

22 characters ``^[YS]\\d{21}$`` — position 1 the body type (``Y`` employer 用人单位, ``S`` social
training-evaluation organisation 社会培训评价组织), 2–5 the body code (0001–9999 when filed with
MOHRSS, ``0000`` when filed with a province), 6–7 the province code (GB/T 2260), 8–13 the
evaluation-site serial assigned by the province, 14–15 the year (YY), 16 the level (1–5), 17–22 the
serial from 000001. Decoding never raises and names every broken position.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

NUMBER_RULE = "人社鉴发〔2019〕2号"
NUMBER_RE = re.compile(r"^[YS]\d{21}$")
# What people put between the groups of a number: white space (NFKC makes U+3000 a space),
# hyphens and dashes.
NUMBER_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−]+")
LEVELS = {
    5: "五级/初级工",
    4: "四级/中级工",
    3: "三级/高级工",
    2: "二级/技师",
    1: "一级/高级技师",
}
# GB/T 2260 province-level codes (incl. 71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
SITE_CODE_RE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class DecodedNumber:
    valid: bool
    issuer_type: str | None = None
    body_code: str | None = None
    province_code: str | None = None
    site_code: str | None = None
    year: int | None = None
    level: int | None = None
    serial: str | None = None
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "issuer_type": self.issuer_type,
            "body_code": self.body_code,
            "province_code": self.province_code,
            "site_code": self.site_code,
            "year": self.year,
            "level": self.level,
            "serial": self.serial,
            "rule": NUMBER_RULE,
            "errors": self.errors,
        }


def normalize_number(number: str) -> str:
    """A number as people type or paste it: full-width letters and digits (Ｓ０００…) become
    ASCII (NFKC), and spaces (also the ideographic space), hyphens and dashes between groups
    are dropped: ``S0000 4646 0100 244000001`` → ``S000046460100244000001``."""
    text = unicodedata.normalize("NFKC", number)
    return NUMBER_SEPARATORS.sub("", text).upper()


def decode_number(number: str) -> DecodedNumber:
    """Decode a certificate number; never raises. ``errors`` empty ⇔ valid."""
    text = normalize_number(number)
    if (
        NUMBER_RE.match(text)
        and text[5:7] in PROVINCE_CODES
        and text[15] in "12345"
        and text[16:] != "000000"
    ):
        # The common, valid case without building error lists (bulk imports decode millions).
        return DecodedNumber(
            True, text[0], text[1:5], text[5:7], text[7:13], 2000 + int(text[13:15]),
            int(text[15]), text[16:],
        )  # fmt: skip
    errors: list[str] = []
    if len(text) != 22:
        errors.append(f"must be 22 characters, got {len(text)}")
    if not text[:1] or text[0] not in "YS":
        errors.append("position 1 must be Y (employer) or S (social training-evaluation body)")
    if not text[1:].isdigit() or not text[1:].isascii():
        errors.append("positions 2–22 must be digits")
    if errors:
        return DecodedNumber(valid=False, errors=errors)
    body, province, site = text[1:5], text[5:7], text[7:13]
    yy, level, serial = int(text[13:15]), int(text[15]), text[16:22]
    if province not in PROVINCE_CODES:
        errors.append(f"positions 6–7: {province} is not a province code (GB/T 2260)")
    if level not in LEVELS:
        errors.append(f"position 16: level {level} does not exist (1–5)")
    if serial == "000000":
        errors.append("positions 17–22: the serial starts at 000001")
    return DecodedNumber(
        valid=not errors,
        issuer_type=text[0],
        body_code=body,
        province_code=province,
        site_code=site,
        year=2000 + yy,
        level=level,
        serial=serial,
        errors=errors,
    )


def number_prefix(
    *, issuer_type: str, body_code: str, province_code: str, site_code: str, year: int, level: int
) -> str:
    """The first 16 characters, shared by all certificates of a site, year and level."""
    return f"{issuer_type}{body_code}{province_code}{site_code}{year % 100:02d}{level}"


def compose_number(prefix: str, serial: int) -> str:
    if not 1 <= serial <= 999_999:
        raise ValueError(f"serial {serial} out of range 1–999999")
    return f"{prefix}{serial:06d}"
