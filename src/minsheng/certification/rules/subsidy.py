"""Pure rules of the skill-upgrade subsidy (技能提升补贴) as date-versioned rule sets.

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
    receiving_unemployment_benefit: bool
    province_code: str
    occupation_code: str
    level: int
    issued_on: date
    applied_on: date
    previous_claims: tuple[PreviousClaim, ...] = ()


@dataclass
class SubsidyDecision:
    eligible: bool
    max_amount_yuan: int
    rule_set: str
    source: str
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "max_amount_yuan": self.max_amount_yuan,
            "rule_set": self.rule_set,
            "source": self.source,
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
    applied_on: date, province: str, rule_sets: tuple[SubsidyRuleSet, ...]
) -> SubsidyRuleSet | None:
    """The provincial set in force on the date, else the national one; the newest wins."""
    in_force = [r for r in rule_sets if r.in_force(applied_on)]
    provincial = [r for r in in_force if r.province == province]
    national = [r for r in in_force if r.province is None]
    pool = provincial or national
    return max(pool, key=lambda r: r.valid_from) if pool else None


def decide(app: SubsidyApplication, rule_sets: tuple[SubsidyRuleSet, ...]) -> SubsidyDecision:
    """Decide one application; every rule checked appears in ``reasons`` with ``ok``."""
    rs = select_rule_set(app.applied_on, app.province_code, rule_sets)
    if rs is None:
        return SubsidyDecision(
            eligible=False,
            max_amount_yuan=0,
            rule_set="none",
            source="",
            reasons=[
                {
                    "rule": "rule_set.in_force",
                    "ok": False,
                    "detail": f"no rule set in force on {app.applied_on.isoformat()}",
                }
            ],
        )
    reasons: list[dict[str, Any]] = []

    def check(rule: str, ok: bool, detail: str) -> None:
        reasons.append({"rule": rule, "ok": ok, "detail": detail})

    if app.receiving_unemployment_benefit and rs.benefit_recipients_eligible:
        check("applicant.status", True, "receives unemployment benefit (eligible since 2022-04-25)")
    elif app.receiving_unemployment_benefit:
        ok = app.insured_months >= rs.min_insured_months
        check(
            "applicant.status",
            ok,
            "benefit recipients are not covered by this rule set"
            + ("; qualifies as insured employee" if ok else ""),
        )
    else:
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
        check(
            "claims.per_year",
            count < rs.max_claims_per_year,
            f"{count} claims paid in {year}; at most {rs.max_claims_per_year} per year",
        )
    eligible = all(r["ok"] for r in reasons)
    return SubsidyDecision(
        eligible=eligible,
        max_amount_yuan=cap if eligible else 0,
        rule_set=rs.name,
        source=rs.source,
        reasons=reasons,
    )
