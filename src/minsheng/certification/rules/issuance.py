"""Issuance of skill-level certificates (rule set ``issuance-2026-12``).

Skill certificates cover occupations of major groups 3–6 of the 2022 National Occupational
Classification that are not access-type (准入类) entries of the National Vocational Qualification
Catalogue and that have a national skill standard covering the level; the evaluation body must be
filed (备案), active, within its filing dates and filed for that occupation and level (MOHRSS
职业能力建设司 as reported by Xinhua, 2024-12-25; 人社部《关于改革完善技能人才评价制度的意见》
人社部发〔2019〕90号 for the social evaluation model). The certificate number itself is
``rules.numbering``. Nothing here touches a database: the service gathers the facts and these
functions decide.

Occupations under a 水平评价类 skill qualification that is still IN the 2021 catalogue
(e.g. 森林消防员, 应急救援员, 民航乘务员 as the shipped catalogue lists them) get no
职业技能等级证书 from a social evaluation body (rule ``occupation.not_level_qualification``).
Source: the MOHRSS release on the 国家职业资格目录（2021年版） (人力资源社会保障部, published
2021-11-23): the 73 水平评价类 skill
qualifications that LEFT the catalogue "不再由政府或其授权的单位认定发证" and moved to
职业技能等级认定 by 用人单位和社会培训评价组织 (verified against the release, law-facts §6); the
ones kept in the catalogue remain 职业资格 evaluated by their listed 实施部门. No text found says a
social body may also issue a 职业技能等级证书 for them, nor that it may not: the refusal is a
conservative policy choice, marked 待核实 in its reason, until a source says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from minsheng.certification.rules.numbering import LEVELS, PROVINCE_CODES, SITE_CODE_RE

ISSUANCE_RULE_SET = "issuance-2026-12"
SKILL_MAJOR_GROUPS = frozenset({3, 4, 5, 6})
OCCUPATION_CODE_RE = re.compile(r"^[1-8]-\d{2}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class OccupationFacts:
    code: str
    name: str
    major_group: int
    access_qualification: str | None  # name of the 准入类 catalogue entry, if any
    standard_levels: frozenset[int]  # levels covered by a national skill standard
    level_qualification: str | None = None  # name of a 水平评价类 skill entry, if any


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
        if occ.level_qualification:
            out.append(
                Failure(
                    "occupation.not_level_qualification",
                    "occupation_code",
                    f"{occ.name} is under the level-type skill qualification "
                    f"“{occ.level_qualification}” kept in the National Vocational Qualification "
                    "Catalogue (2021): evaluated by its listed authority as a 职业资格, not by a "
                    "social evaluation body (目录内职业资格由实施部门评价（待核实）)",
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


def eligibility_reasons(
    major_group: int,
    access_qualification: str | None,
    standard_levels: frozenset[int],
    level_qualification: str | None = None,
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
    if level_qualification:
        reasons.append(
            f"level-type skill entry “{level_qualification}” of the catalogue (2021): "
            "evaluated by its authority, not by a social body (待核实)"
        )
    if standard_levels:
        levels = ", ".join(str(v) for v in sorted(standard_levels))
        reasons.append(f"national skill standard covers levels {levels}")
    else:
        reasons.append("no national skill standard on file")
    return reasons


def certificate_eligible(
    major_group: int,
    access_qualification: str | None,
    standard_levels: frozenset[int],
    level_qualification: str | None = None,
) -> bool:
    return (
        major_group in SKILL_MAJOR_GROUPS
        and not access_qualification
        and not level_qualification
        and bool(standard_levels)
    )
