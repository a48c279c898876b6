"""Pure rules of the certificate registry: certificate numbers, issuance checks and the
verification request.

Certificate numbers follow 《职业技能等级证书编码规则（试行）》 (人社鉴发〔2019〕2号): 22 characters
``^[YS]\\d{21}$`` — position 1 the body type (``Y`` employer 用人单位, ``S`` social
training-evaluation organisation 社会培训评价组织), 2–5 the body code (0001–9999 when filed with
MOHRSS, ``0000`` when filed with a province), 6–7 the province code (GB/T 2260), 8–13 the
evaluation-site serial assigned by the province, 14–15 the year (YY), 16 the level (1–5), 17–22 the
serial from 000001.

Issuance (rule set ``issuance-2019``): skill certificates cover occupations of major groups 3–6 of
the 2022 National Occupational Classification that are not access-type (准入类) entries of the
National Vocational Qualification Catalogue and that have a national skill standard covering the
level; the evaluation body must be filed (备案), active, within its filing dates and filed for that
occupation and level (MOHRSS 职业能力建设司 as reported by Xinhua, 2024-12-25; 人社部
《关于改革完善技能人才评价制度的意见》 人社部发〔2019〕90号 for the social evaluation model).
Nothing here touches a database: the service gathers the facts and these functions decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

NUMBER_RULE = "人社鉴发〔2019〕2号"
ISSUANCE_RULE_SET = "issuance-2019"
NUMBER_RE = re.compile(r"^[YS]\d{21}$")
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
SKILL_MAJOR_GROUPS = frozenset({3, 4, 5, 6})
OCCUPATION_CODE_RE = re.compile(r"^[1-8]-\d{2}-\d{2}-\d{2}$")
BODY_CODE_RE = re.compile(r"^\d{4}$")
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
    return number.strip().upper()


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


# Issuance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OccupationFacts:
    code: str
    name: str
    major_group: int
    access_qualification: str | None  # name of the 准入类 catalogue entry, if any
    standard_levels: frozenset[int]  # levels covered by a national skill standard


@dataclass(frozen=True)
class BodyFacts:
    filing_no: str
    body_type: str
    code: str
    province_code: str | None
    status: str
    valid_from: date
    valid_to: date | None
    scope: frozenset[tuple[str, int]]


@dataclass(frozen=True)
class IssuanceFacts:
    occupation_code: str
    occupation: OccupationFacts | None
    body_filing_no: str
    body: BodyFacts | None
    level: int
    issued_on: date
    today: date
    id_errors: tuple[str, ...]
    province_code: str
    site_code: str


@dataclass(frozen=True)
class Failure:
    rule: str
    field: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class IssuanceDecision:
    allowed: bool
    failures: tuple[Failure, ...]
    rule_set: str = ISSUANCE_RULE_SET


def check_issuance(f: IssuanceFacts) -> IssuanceDecision:
    """Every issuance rule, evaluated in full: a refusal names every rule that failed."""
    out: list[Failure] = []
    if f.level not in LEVELS:
        out.append(Failure("level.exists", "level", f"level {f.level} does not exist (1–5)"))
    if f.issued_on > f.today:
        out.append(Failure("issued_on.not_future", "issued_on", "issue date is in the future"))
    if f.province_code not in PROVINCE_CODES:
        out.append(
            Failure("number.province", "province_code", f"{f.province_code} is not a province")
        )
    if not SITE_CODE_RE.match(f.site_code):
        out.append(Failure("number.site", "site_code", "the evaluation site code is 6 digits"))
    occ = f.occupation
    if occ is None:
        out.append(
            Failure(
                "occupation.exists",
                "occupation_code",
                f"{f.occupation_code} is not in the occupational classification",
            )
        )
    else:
        if occ.major_group not in SKILL_MAJOR_GROUPS:
            out.append(
                Failure(
                    "occupation.major_group",
                    "occupation_code",
                    f"{occ.code} {occ.name} is in major group {occ.major_group}; skill "
                    "certificates cover groups 3–6",
                )
            )
        if occ.access_qualification:
            out.append(
                Failure(
                    "occupation.not_access_qualification",
                    "occupation_code",
                    f"{occ.name} is the access-type qualification "
                    f"“{occ.access_qualification}” of the National Vocational Qualification "
                    "Catalogue (2021); it is not a skill-level certificate",
                )
            )
        if f.level in LEVELS and f.level not in occ.standard_levels:
            covered = ", ".join(str(v) for v in sorted(occ.standard_levels)) or "none"
            out.append(
                Failure(
                    "standard.covers_level",
                    "level",
                    f"no national skill standard of {occ.name} covers level {f.level} "
                    f"(covered: {covered})",
                )
            )
    body = f.body
    if body is None:
        out.append(
            Failure("body.filed", "body", f"{f.body_filing_no} is not a filed evaluation body")
        )
    else:
        if body.status != "active":
            out.append(Failure("body.active", "body", f"the body is {body.status}"))
        if f.issued_on < body.valid_from or (body.valid_to and f.issued_on > body.valid_to):
            until = body.valid_to.isoformat() if body.valid_to else "open"
            out.append(
                Failure(
                    "body.filing_dates",
                    "issued_on",
                    f"the body's filing runs {body.valid_from.isoformat()} to {until}",
                )
            )
        if body.province_code and body.code == "0000" and body.province_code != f.province_code:
            out.append(
                Failure(
                    "body.province",
                    "province_code",
                    f"a body filed with province {body.province_code} issues only there",
                )
            )
        if (f.occupation_code, f.level) not in body.scope:
            out.append(
                Failure(
                    "body.scope",
                    "occupation_code",
                    f"the body is not filed for {f.occupation_code} at level {f.level}",
                )
            )
    if f.id_errors:
        out.append(Failure("holder.id_number", "id_number", "; ".join(f.id_errors)))
    return IssuanceDecision(allowed=not out, failures=tuple(out))


# Verification --------------------------------------------------------------------------------

VERIFY_FIELDS = ("id_number", "name", "number")


def verification_fields(id_number: str | None, name: str | None, number: str | None) -> list[str]:
    """Which of the three fields were given (non-blank), in a fixed order."""
    given = {"id_number": id_number, "name": name, "number": number}
    return [k for k in VERIFY_FIELDS if (given[k] or "").strip()]


def eligibility_reasons(
    major_group: int, access_qualification: str | None, standard_levels: frozenset[int]
) -> list[str]:
    """Why an occupation can (or cannot) carry a skill-level certificate."""
    reasons = []
    if major_group in SKILL_MAJOR_GROUPS:
        reasons.append(f"major group {major_group} is among the skill groups 3–6")
    else:
        reasons.append(f"major group {major_group} is outside the skill groups 3–6")
    if access_qualification:
        reasons.append(f"access-type catalogue entry “{access_qualification}” (2021)")
    else:
        reasons.append("not an access-type entry of the qualification catalogue (2021)")
    if standard_levels:
        levels = ", ".join(str(v) for v in sorted(standard_levels))
        reasons.append(f"national skill standard covers levels {levels}")
    else:
        reasons.append("no national skill standard on file")
    return reasons


def certificate_eligible(
    major_group: int, access_qualification: str | None, standard_levels: frozenset[int]
) -> bool:
    return major_group in SKILL_MAJOR_GROUPS and not access_qualification and bool(standard_levels)
