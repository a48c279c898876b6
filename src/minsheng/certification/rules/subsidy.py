"""Pure rules of the skill-upgrade subsidy (技能提升补贴) as date-versioned rule sets.

Who may claim — the seed's words and 人社部发〔2024〕40号 item 三 (verified): "参加失业保险1年以上的
企业在职职工或领取失业保险金人员". The applicant's category is a required input; anyone else is
refused by ``applicant.category``.

Which set decides: the set in force on the application date. National sets end on the date their
document says (人社部发〔2024〕40号: to 2024-12-31; 人社部发〔2025〕18号: to 2025-12-31); an
application dated outside every set in force is refused with the outcome
``no_rule_set_in_force`` — never decided by the last set. No 2026 national document was found
(law-facts, 2026-12-01), so a 2026 application has no set in force until one is added.

No double claim: "技能提升补贴和职业培训补贴不得重复享受" (人社部发〔2024〕40号 item 三, verified);
the applicant says whether the 职业培训补贴 was paid for the same training
(``training_subsidy_same_training``), and sets that carry the sentence refuse it
(``claims.no_double_with_training_subsidy``). The 2025 set keeps it (a 延续 of the 2024 policy;
its own wording was not checked).

Demo sets (``demo``: placeholders, not law) decide only when the caller allows demo rules
(``MINSHENG_ALLOW_DEMO_RULES=1``) and every decision says whether its set is official or demo.
Every decision carries ``RULE_VERSION``.

The rule sets themselves — national and provincial, each with its documents — are data
(``data/subsidy_rule_sets.json``, loaded by ``service.subsidy``); this module holds the logic. A
rule set is in force from ``valid_from`` to ``valid_to`` (inclusive) for the whole country
(``province=None``) or for one province, which overrides the national set in force on the same
date. The set in force on the application date decides; every decision names it and gives the
reason for each rule checked.

Sources (secondary, see docs/certification.md): 国发〔2017〕28号 and 人社部发〔2017〕40号 (≥36
months of unemployment insurance, certificates from 2017-01-01, apply within 12 months, levels
5/4/3 capped at 1000/1500/2000 yuan, one claim per occupation and level); 2019 relaxation to ≥12
months (国办发〔2019〕24号, attribution unverified); 人社部发〔2022〕23号 of 2022-04-25 (people
receiving unemployment benefit); MOHRSS 2024 guidance (≤3 claims per person per year, no lower
level after a higher one of the same occupation was paid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

RULE_VERSION = "subsidy-2026-12"
NO_RULE_SET = "no_rule_set_in_force"

# The applicant categories the policy names (the seed's words), and everyone else.
ENTERPRISE_EMPLOYEE = "enterprise_employee"  # 企业在职职工
UNEMPLOYMENT_BENEFIT = "unemployment_benefit"  # 领取失业保险金人员
OTHER = "other"
CATEGORIES = {
    ENTERPRISE_EMPLOYEE: "企业在职职工",
    UNEMPLOYMENT_BENEFIT: "领取失业保险金人员",
    OTHER: "其他人员",
}


@dataclass(frozen=True)
class SubsidyDocument:
    """A policy document a rule set rests on: its number (文号) and date where known."""

    number: str | None
    issued_on: date | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class SubsidyRuleSet:
    name: str
    valid_from: date
    valid_to: date | None
    province: str | None
    min_insured_months: int
    benefit_recipients_eligible: bool
    caps_yuan: dict[int, int]
    apply_within_months: int
    certificates_from: date
    max_claims_per_year: int | None
    no_lower_after_higher: bool
    source: str
    documents: tuple[SubsidyDocument, ...] = ()
    demo: bool = False
    # 人社部发〔2025〕18号: one claim a year, two more for 急需紧缺 occupations (工种).
    urgent_extra_claims: int = 0
    no_double_with_training_subsidy: bool = False

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class PreviousClaim:
    occupation_code: str
    level: int
    paid_on: date


@dataclass(frozen=True)
class SubsidyApplication:
    insured_months: int
    category: str  # ENTERPRISE_EMPLOYEE, UNEMPLOYMENT_BENEFIT or OTHER
    province_code: str
    occupation_code: str
    level: int
    issued_on: date
    applied_on: date
    previous_claims: tuple[PreviousClaim, ...] = ()
    training_subsidy_same_training: bool = False
    urgent_occupation: bool = False  # on a 急需紧缺职业（工种）list


@dataclass
class SubsidyDecision:
    eligible: bool
    max_amount_yuan: int
    rule_set: str
    source: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = "decided"  # or NO_RULE_SET
    demo: bool = False
    documents: tuple[SubsidyDocument, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "outcome": self.outcome,
            "max_amount_yuan": self.max_amount_yuan,
            "rule_set": self.rule_set,
            "rule_set_status": "demo" if self.demo else "official",
            "rule_set_label": "演示规则（非正式政策）" if self.demo else "正式政策",
            "rule_version": RULE_VERSION,
            "source": self.source,
            "documents": [d.to_dict() for d in self.documents],
            "reasons": self.reasons,
        }


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def select_rule_set(
    applied_on: date,
    province: str,
    rule_sets: tuple[SubsidyRuleSet, ...],
    *,
    allow_demo: bool = False,
) -> SubsidyRuleSet | None:
    """The provincial set in force on the date, else the national one; the newest wins. Demo
    sets count only when ``allow_demo``; None when no set is in force on the date."""
    in_force = [r for r in rule_sets if r.in_force(applied_on) and (allow_demo or not r.demo)]
    provincial = [r for r in in_force if r.province == province]
    national = [r for r in in_force if r.province is None]
    pool = provincial or national
    return max(pool, key=lambda r: r.valid_from) if pool else None


def decide(
    app: SubsidyApplication,
    rule_sets: tuple[SubsidyRuleSet, ...],
    *,
    allow_demo: bool = False,
) -> SubsidyDecision:
    """Decide one application; every rule checked appears in ``reasons`` with ``ok``."""
    rs = select_rule_set(app.applied_on, app.province_code, rule_sets, allow_demo=allow_demo)
    if rs is None:
        return SubsidyDecision(
            eligible=False,
            max_amount_yuan=0,
            rule_set="none",
            source="",
            outcome=NO_RULE_SET,
            reasons=[
                {
                    "rule": "rule_set.in_force",
                    "ok": False,
                    "detail": f"申请日期 {app.applied_on.isoformat()} 不在任何有效的技能提升补贴"
                    f"政策期内 (no rule set in force on {app.applied_on.isoformat()})",
                }
            ],
        )
    reasons: list[dict[str, Any]] = []

    def check(rule: str, ok: bool, detail: str) -> None:
        reasons.append({"rule": rule, "ok": ok, "detail": detail})

    if app.category not in (ENTERPRISE_EMPLOYEE, UNEMPLOYMENT_BENEFIT):
        check(
            "applicant.category",
            False,
            f"{CATEGORIES.get(app.category, app.category)}: only 企业在职职工 (enterprise "
            "employees insured against unemployment) or 领取失业保险金人员 (people receiving "
            "unemployment benefit) may claim",
        )
    elif app.category == UNEMPLOYMENT_BENEFIT and rs.benefit_recipients_eligible:
        check(
            "applicant.category",
            True,
            "领取失业保险金人员: receives unemployment benefit (eligible since 2022-04-25)",
        )
    elif app.category == UNEMPLOYMENT_BENEFIT:
        check(
            "applicant.category",
            False,
            "领取失业保险金人员 are not covered by this rule set (only enterprise employees)",
        )
    else:
        check("applicant.category", True, "企业在职职工 (enterprise employee)")
        check(
            "applicant.insured_months",
            app.insured_months >= rs.min_insured_months,
            f"insured {app.insured_months} months; at least {rs.min_insured_months} required",
        )
    cap = rs.caps_yuan.get(app.level, 0)
    check(
        "certificate.level",
        cap > 0,
        f"level {app.level} "
        + (f"is covered up to {cap} yuan" if cap else "is not covered (only levels 5, 4, 3)"),
    )
    check(
        "certificate.issued_from",
        app.issued_on >= rs.certificates_from,
        f"certificates issued from {rs.certificates_from.isoformat()} are covered",
    )
    deadline = add_months(app.issued_on, rs.apply_within_months)
    check(
        "application.deadline",
        app.issued_on <= app.applied_on <= deadline,
        f"apply between the issue date and {deadline.isoformat()} "
        f"({rs.apply_within_months} months)",
    )
    same = [
        c
        for c in app.previous_claims
        if c.occupation_code == app.occupation_code and c.level == app.level
    ]
    check(
        "claims.once_per_occupation_level",
        not same,
        "already paid for this occupation and level" if same else "first claim at this level",
    )
    if rs.no_lower_after_higher:
        # Level 1 is the highest: a "lower" level has a larger number.
        higher = [
            c
            for c in app.previous_claims
            if c.occupation_code == app.occupation_code and c.level < app.level
        ]
        check(
            "claims.no_lower_after_higher",
            not higher,
            f"level {min(c.level for c in higher)} of this occupation was already paid"
            if higher
            else "no higher level of this occupation was paid",
        )
    if rs.max_claims_per_year is not None:
        year = app.applied_on.year
        count = sum(1 for c in app.previous_claims if c.paid_on.year == year)
        allowed = rs.max_claims_per_year + (rs.urgent_extra_claims if app.urgent_occupation else 0)
        extra = (
            f" (+{rs.urgent_extra_claims} for an urgently needed occupation)"
            if rs.urgent_extra_claims and app.urgent_occupation
            else ""
        )
        check(
            "claims.per_year",
            count < allowed,
            f"{count} claims paid in {year}; at most {allowed} per year{extra}",
        )
    if rs.no_double_with_training_subsidy:
        check(
            "claims.no_double_with_training_subsidy",
            not app.training_subsidy_same_training,
            "技能提升补贴和职业培训补贴不得重复享受: the 职业培训补贴 was paid for the same "
            "training"
            if app.training_subsidy_same_training
            else "no 职业培训补贴 for the same training",
        )
    eligible = all(r["ok"] for r in reasons)
    return SubsidyDecision(
        eligible=eligible,
        max_amount_yuan=cap if eligible else 0,
        rule_set=rs.name,
        source=rs.source,
        reasons=reasons,
        demo=rs.demo,
        documents=rs.documents,
    )
