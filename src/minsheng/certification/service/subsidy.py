"""The skill-upgrade subsidy: decisions under the date-versioned rule sets, national and
provincial, shipped in ``data/subsidy_rule_sets.json``, recording of decided claims, and
statistics by period and province (people, yuan)."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from minsheng.certification.errors import ImplausibleDate, InvalidDate
from minsheng.certification.models import SubsidyClaim
from minsheng.certification.rules import dates
from minsheng.certification.rules import subsidy as rs
from minsheng.certification.schemas import SubsidyRequest
from minsheng.certification.service.reference import data_text
from minsheng.core import audit, idnumber
from minsheng.core.config import Settings
from minsheng.core.privacy import keyed_hash
from minsheng.core.scope import Scope


def _parse_set(raw: dict[str, Any]) -> rs.SubsidyRuleSet:
    return rs.SubsidyRuleSet(
        name=raw["name"],
        valid_from=date.fromisoformat(raw["valid_from"]),
        valid_to=date.fromisoformat(raw["valid_to"]) if raw.get("valid_to") else None,
        province=raw.get("province"),
        min_insured_months=int(raw["min_insured_months"]),
        benefit_recipients_eligible=bool(raw["benefit_recipients_eligible"]),
        caps_yuan={int(k): int(v) for k, v in raw["caps_yuan"].items()},
        apply_within_months=int(raw["apply_within_months"]),
        certificates_from=date.fromisoformat(raw["certificates_from"]),
        max_claims_per_year=raw.get("max_claims_per_year"),
        no_lower_after_higher=bool(raw.get("no_lower_after_higher", False)),
        source=raw["source"],
        documents=tuple(
            rs.SubsidyDocument(
                number=d.get("number"),
                issued_on=date.fromisoformat(d["issued_on"]) if d.get("issued_on") else None,
                note=d.get("note", ""),
            )
            for d in raw.get("documents", [])
        ),
        demo=bool(raw.get("demo", False)),
        urgent_extra_claims=int(raw.get("urgent_extra_claims", 0)),
        no_double_with_training_subsidy=bool(raw.get("no_double_with_training_subsidy", False)),
    )


@lru_cache(maxsize=1)
def subsidy_rule_sets() -> tuple[rs.SubsidyRuleSet, ...]:
    """Every rule set shipped, national (``province`` None) and provincial."""
    raw = json.loads(data_text("subsidy_rule_sets.json"))["rule_sets"]
    return tuple(_parse_set(r) for r in raw)


def rule_set_to_dict(r: rs.SubsidyRuleSet) -> dict[str, Any]:
    return {
        "name": r.name,
        "province": r.province,
        "valid_from": r.valid_from.isoformat(),
        "valid_to": r.valid_to.isoformat() if r.valid_to else None,
        "min_insured_months": r.min_insured_months,
        "caps_yuan": r.caps_yuan,
        "source": r.source,
        "documents": [d.to_dict() for d in r.documents],
        "demo": r.demo,
        "status": "demo" if r.demo else "official",
    }


def to_application(req: SubsidyRequest) -> rs.SubsidyApplication:
    return rs.SubsidyApplication(
        insured_months=req.applicant.insured_months,
        category=req.applicant.category,
        province_code=req.applicant.province_code,
        occupation_code=req.certificate.occupation_code,
        level=req.certificate.level,
        issued_on=req.certificate.issued_on,
        applied_on=req.applied_on,
        previous_claims=tuple(
            rs.PreviousClaim(c.occupation_code, c.level, c.paid_on) for c in req.previous_claims
        ),
        training_subsidy_same_training=req.training_subsidy_same_training,
        urgent_occupation=req.certificate.urgent_occupation,
    )


def check_dates(req: SubsidyRequest) -> None:
    """Refuse implausible dates (``ImplausibleDate``) before any rule or date arithmetic."""
    given = [
        ("certificate.issued_on", req.certificate.issued_on),
        ("applied_on", req.applied_on),
        *((f"previous_claims.{i}.paid_on", c.paid_on) for i, c in enumerate(req.previous_claims)),
    ]
    for name, value in given:
        problem = dates.date_problem(value, earliest=dates.SUBSIDY_FROM)
        if problem:
            raise ImplausibleDate(problem, field=name)


def decide_subsidy(req: SubsidyRequest, settings: Settings) -> dict[str, Any]:
    """The decision under the rule set in force on the application date (nothing stored); demo
    rule sets take part only when ``settings.allow_demo_rules``."""
    check_dates(req)
    decision = rs.decide(
        to_application(req), subsidy_rule_sets(), allow_demo=settings.allow_demo_rules
    )
    return decision.to_dict()


def record_subsidy_claim(
    session: Session,
    req: SubsidyRequest,
    settings: Settings,
    *,
    actor: str,
    demo: bool = False,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Decide and keep the decision for the statistics (needs the applicant's ID number); a
    provincial clerk records claims of their own province only."""
    scope.require(scope.covers_province2(req.applicant.province_code), "a claim of this province")
    if not req.applicant.id_number:
        raise idnumber.InvalidIdNumber(
            "recording a claim needs applicant.id_number", field="applicant.id_number"
        )
    number = idnumber.validate(req.applicant.id_number, field_name="applicant.id_number")
    decision = decide_subsidy(req, settings)
    claim = SubsidyClaim(
        person_hash=keyed_hash(number, settings.hmac_key, purpose="cert-subsidy"),
        province_code=req.applicant.province_code,
        occupation_code=req.certificate.occupation_code,
        level=req.certificate.level,
        applied_on=req.applied_on,
        eligible=decision["eligible"],
        amount_yuan=decision["max_amount_yuan"],
        rule_set=decision["rule_set"],
        reasons=decision["reasons"],
        demo=demo or decision["rule_set_status"] == "demo",
    )
    audit.add_and_record(
        session, claim, actor=actor, action="subsidy.decide", detail={"eligible": claim.eligible}
    )
    return decision | {"claim_id": claim.id}


def subsidy_statistics(
    session: Session,
    *,
    start: date,
    end: date,
    by_province: bool = True,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """People paid and yuan paid in a period (by application date), overall and by province;
    a provincial clerk sees their own province's claims only."""
    if end < start:
        raise InvalidDate("the period ends before it starts", field="end")
    base = (
        SubsidyClaim.eligible.is_(True),
        SubsidyClaim.applied_on.between(start, end),
        true() if scope.national else SubsidyClaim.province_code == scope.province2,
    )
    people, yuan, claims = session.execute(
        select(
            func.count(func.distinct(SubsidyClaim.person_hash)),
            func.coalesce(func.sum(SubsidyClaim.amount_yuan), 0),
            func.count(),
        ).where(*base)
    ).one()
    out: dict[str, Any] = {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "people": int(people),
        "claims": int(claims),
        "yuan": int(yuan),
        "yuan_per_person": round(int(yuan) / int(people)) if people else 0,
    }
    if by_province:
        stmt = (
            select(
                SubsidyClaim.province_code,
                func.count(func.distinct(SubsidyClaim.person_hash)),
                func.sum(SubsidyClaim.amount_yuan),
            )
            .where(*base)
            .group_by(SubsidyClaim.province_code)
            .order_by(SubsidyClaim.province_code)
        )
        out["provinces"] = [
            {"province_code": p, "people": int(n), "yuan": int(y or 0)}
            for p, n, y in session.execute(stmt)
        ]
    return out


def _claims_filter(start: date, end: date, scope: Scope, province_code: str | None) -> list[Any]:
    if end < start:
        raise InvalidDate("the period ends before it starts", field="end")
    conds: list[Any] = [SubsidyClaim.applied_on.between(start, end)]
    if not scope.national:
        conds.append(SubsidyClaim.province_code == scope.province2)
    if province_code:
        conds.append(SubsidyClaim.province_code == province_code)
    return conds


def list_subsidy_claims(
    session: Session,
    *,
    start: date,
    end: date,
    scope: Scope = Scope.ALL,
    province_code: str | None = None,
    eligible: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """The recorded decisions of a period, newest application first (never the person: only
    the keyed hash is kept), with their total; a provincial clerk sees their province only."""
    conds = _claims_filter(start, end, scope, province_code)
    if eligible is not None:
        conds.append(SubsidyClaim.eligible.is_(eligible))
    total = session.scalar(select(func.count()).select_from(SubsidyClaim).where(*conds)) or 0
    stmt = (
        select(SubsidyClaim)
        .where(*conds)
        .order_by(SubsidyClaim.applied_on.desc(), SubsidyClaim.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return {
        "total": int(total),
        "claims": [
            {
                "id": c.id,
                "province_code": c.province_code,
                "occupation_code": c.occupation_code,
                "level": c.level,
                "applied_on": c.applied_on.isoformat(),
                "eligible": c.eligible,
                "amount_yuan": c.amount_yuan,
                "rule_set": c.rule_set,
                "failed_rules": [r["rule"] for r in c.reasons if not r.get("ok")],
                "demo": c.demo,
            }
            for c in session.scalars(stmt)
        ],
    }


def subsidy_breakdown(
    session: Session,
    *,
    start: date,
    end: date,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Paid claims of a period by level, by month (of the application) and by province:
    claims, people (distinct keyed hashes) and yuan; decisions refused are counted apart."""
    conds = _claims_filter(start, end, scope, None)
    paid = [*conds, SubsidyClaim.eligible.is_(True)]

    def grouped(key: Any) -> list[tuple[Any, int, int, int]]:
        stmt = (
            select(
                key,
                func.count(),
                func.count(func.distinct(SubsidyClaim.person_hash)),
                func.coalesce(func.sum(SubsidyClaim.amount_yuan), 0),
            )
            .where(*paid)
            .group_by(key)
            .order_by(key)
        )
        return [(k, int(n), int(p), int(y)) for k, n, p, y in session.execute(stmt)]

    by_month: dict[str, list[int]] = {}
    stmt = select(SubsidyClaim.applied_on, SubsidyClaim.amount_yuan).where(*paid)
    for applied_on, amount in session.execute(stmt):
        month = f"{applied_on:%Y-%m}"
        row = by_month.setdefault(month, [0, 0])
        row[0] += 1
        row[1] += int(amount)
    refused = session.scalar(
        select(func.count())
        .select_from(SubsidyClaim)
        .where(*conds, SubsidyClaim.eligible.is_(False))
    )
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "refused": int(refused or 0),
        "by_level": [
            {"level": k, "claims": n, "people": p, "yuan": y}
            for k, n, p, y in grouped(SubsidyClaim.level)
        ],
        "by_month": [
            {"month": m, "claims": v[0], "yuan": v[1]} for m, v in sorted(by_month.items())
        ],
        "by_province": [
            {"province_code": k, "claims": n, "people": p, "yuan": y}
            for k, n, p, y in grouped(SubsidyClaim.province_code)
        ],
    }
