"""Outcome statistics computed from the records, never from constants.

Definitions (each with its window and denominator; see docs/enforcement.md):

* commitments: signed in the window, by domain; parties who signed, by category.
* street shops (沿街商户): roadside commitments signed by shops only — the article's 1,766;
  street vendors (流动商贩) are counted apart (the article's story for them is the 7 vending
  points, not commitments).
* compound property managers (小区物业): parties managing a residential compound (a ``compound``
  site) who signed a commitment in the window — the article's 125 — and the compounds they
  manage.
* violated after commitment: commitments whose party has a *decided* (not time-barred) violation
  of the committed item (or domain) after the signing day and within validity ÷ commitments.
* penalised again: the same, where that violation was penalised ÷ commitments.
* exemptions / penalties / repeat penalties: decisions dated in the window that are decided and
  served and whose case is not cancelled (``rules/history.py``): a proposal (拟处罚, before the
  事先告知/法制审核/决定) is no penalty; proposals pending, decisions awaiting service and
  cancelled cases are counted apart (``decisions.pending``). "Violated after commitment" counts
  only violations that stand (a 不予处罚 for lack of liability or fault does not).
* rectification rate: cases ordered to rectify that passed the check ÷ cases ordered.
* compounds rectified: distinct residential compounds with a rectified garbage-sorting case.
* sites: garbage-sorting rooms and vending points opened, compounds designated models, by ``to``.
* inspections per firm by grade: inspections in a year ÷ firms holding that grade that year
  (years with inspections in the window only).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.models import (
    Case,
    Commitment,
    Decision,
    Grade,
    Inspection,
    Party,
    Site,
)
from minsheng.enforcement.rules import history
from minsheng.enforcement.rules.base import Outcome
from minsheng.enforcement.service import catalog

# rules/history.py rule id of a row that does not count → its key under decisions.pending.
_PENDING = {
    "HIST-PROPOSAL": "proposals",
    "HIST-NOT-SERVED": "awaiting_service",
    "HIST-CANCELLED": "cancelled",
}


def _rate(part: int, whole: int) -> dict[str, Any]:
    value = part / whole if whole else 0.0
    return {"count": part, "of": whole, "rate": round(value, 6), "percent": f"{value * 100:.2f}%"}


def _in(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def compute_stats(
    session: Session, *, start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    if start and end and end < start:
        raise InvalidInput("to must not be before from", field="to")
    domains = list(catalog.rulebase().domains)

    # Decided violations per party, for the after-commitment measures.
    violations: dict[int, list[tuple[str, str, date, str]]] = defaultdict(list)
    decisions = session.execute(
        select(
            Decision.stage,
            Case.status,
            Decision.rule_id,
            Case.party_id,
            Case.domain,
            Case.item_id,
            Case.occurred_on,
            Decision.outcome,
            Decision.repeat,
            Decision.fine_yuan,
            Decision.decided_on,
        ).join(Decision, Decision.case_id == Case.id)
    ).all()
    outcome_counts: dict[str, int] = defaultdict(int)
    repeat_penalties = 0
    fines_by_domain: dict[str, int] = defaultdict(int)
    fines_count = 0
    pending: dict[str, int] = defaultdict(int)
    for (
        stage,
        status,
        rule_id,
        party_id,
        domain,
        item,
        occurred,
        outcome,
        repeat,
        fine,
        decided_on,
    ) in decisions:
        counts = history.standing(stage=stage, case_status=status, outcome=outcome, rule_id=rule_id)
        if counts.violation:
            violations[party_id].append((domain, item, occurred, outcome))
        if not _in(decided_on, start, end):
            continue
        if not counts.decision:
            pending[_PENDING[counts.rule_id]] += 1
            continue
        outcome_counts[outcome] += 1
        if outcome == Outcome.PENALTY.value:
            repeat_penalties += bool(repeat)
            if fine:
                fines_by_domain[domain] += fine
                fines_count += 1

    commitments = session.execute(
        select(
            Commitment.party_id,
            Commitment.domain,
            Commitment.item_id,
            Commitment.signed_on,
            Commitment.valid_until,
            Party.category,
        ).join(Party, Party.id == Commitment.party_id)
    ).all()
    per_domain = {d: {"commitments": 0, "violated": 0, "penalised": 0} for d in domains}
    per_roadside = {
        c: {"commitments": 0, "violated": 0, "penalised": 0} for c in ("shop", "street_vendor")
    }
    signer_categories: dict[str, set[int]] = defaultdict(set)
    signers: set[int] = set()
    for party_id, c_domain, c_item, signed, until, category in commitments:
        if not _in(signed, start, end):
            continue
        row = per_domain.setdefault(c_domain, {"commitments": 0, "violated": 0, "penalised": 0})
        row["commitments"] += 1
        signer_categories[category].add(party_id)
        signers.add(party_id)
        roadside = per_roadside.get(category) if c_domain == "roadside" else None
        if roadside is not None:
            roadside["commitments"] += 1
        breaches = [
            outcome
            for v_domain, v_item, occurred, outcome in violations.get(party_id, ())
            if v_domain == c_domain
            and (c_item is None or v_item == c_item)
            and signed < occurred <= until
        ]
        if breaches:
            row["violated"] += 1
            row["penalised"] += Outcome.PENALTY.value in breaches
            if roadside is not None:
                roadside["violated"] += 1
                roadside["penalised"] += Outcome.PENALTY.value in breaches
    total = sum(r["commitments"] for r in per_domain.values())
    violated = sum(r["violated"] for r in per_domain.values())
    penalised = sum(r["penalised"] for r in per_domain.values())

    # Rectification: cases discovered in the window that were ordered to rectify.
    rect_rows = session.execute(
        select(Case.id, Case.site_id, Case.domain, Case.rectified, Case.discovered_on, Site.kind)
        .outerjoin(Site, Site.id == Case.site_id)
        .where(Case.rectify_by.is_not(None))
    ).all()
    ordered = rectified = 0
    compounds_rectified: set[int] = set()
    for _cid, site_id, domain, is_rectified, discovered, site_kind in rect_rows:
        if not _in(discovered, start, end):
            continue
        ordered += 1
        if is_rectified:
            rectified += 1
            if domain == "garbage" and site_kind == "compound" and site_id is not None:
                compounds_rectified.add(site_id)

    compounds_of: dict[int, int] = defaultdict(int)
    for manager in session.scalars(
        select(Site.party_id).where(Site.kind == "compound", Site.party_id.is_not(None))
    ):
        if manager is not None:
            compounds_of[manager] += 1
    managers = signers & set(compounds_of)

    site_counts: dict[str, int] = defaultdict(int)
    for kind, opened, model_since in session.execute(
        select(Site.kind, Site.opened_on, Site.model_since)
    ):
        if end is None or opened <= end:
            site_counts[kind] += 1
        if model_since is not None and (end is None or model_since <= end):
            site_counts["model_compound"] += 1

    grades = {
        (p, y): g for p, y, g in session.execute(select(Grade.party_id, Grade.year, Grade.grade))
    }
    inspections_by_grade: dict[str, int] = defaultdict(int)
    inspection_years: set[int] = set()
    for party_id, on, count in session.execute(
        select(Inspection.party_id, Inspection.inspected_on, func.count()).group_by(
            Inspection.party_id, Inspection.inspected_on
        )
    ):
        if not _in(on, start, end):
            continue
        inspection_years.add(on.year)
        held = grades.get((party_id, on.year))
        if held is not None:
            inspections_by_grade[held] += count
    # Only years with inspections on record count, so a grade for a year still to come does
    # not dilute the rate.
    firms_by_grade: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for (p, y), g in grades.items():
        if y in inspection_years:
            firms_by_grade[g].add((p, y))

    return {
        "window": {
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
        },
        "commitments": {
            "total": total,
            "by_domain": {d: per_domain[d]["commitments"] for d in per_domain},
            "parties_by_category": {c: len(s) for c, s in sorted(signer_categories.items())},
        },
        "violated_after_commitment": {
            **_rate(violated, total),
            "by_domain": {d: _rate(r["violated"], r["commitments"]) for d, r in per_domain.items()},
        },
        "penalised_again": {
            **_rate(penalised, total),
            "by_domain": {
                d: _rate(r["penalised"], r["commitments"]) for d, r in per_domain.items()
            },
        },
        "street_shops": {
            "label": "沿街商户",
            "commitments": per_roadside["shop"]["commitments"],
            "violated_again": _rate(
                per_roadside["shop"]["violated"], per_roadside["shop"]["commitments"]
            ),
            "penalised_again": _rate(
                per_roadside["shop"]["penalised"], per_roadside["shop"]["commitments"]
            ),
        },
        "street_vendors": {
            "label": "流动商贩",
            "commitments": per_roadside["street_vendor"]["commitments"],
            "penalised_again": _rate(
                per_roadside["street_vendor"]["penalised"],
                per_roadside["street_vendor"]["commitments"],
            ),
            "vending_points": site_counts.get("vending_point", 0),
        },
        "compound_property_managers": {
            "label": "小区物业（住宅小区的物业服务企业）",
            "with_commitments": len(managers),
            "compounds_managed": sum(compounds_of[m] for m in managers),
        },
        "decisions": {
            "exemptions": outcome_counts.get(Outcome.NO_PENALTY.value, 0),
            "penalties": outcome_counts.get(Outcome.PENALTY.value, 0),
            "repeat_penalties": repeat_penalties,
            "time_barred": outcome_counts.get(Outcome.TIME_BARRED.value, 0),
            # Not decisions (yet): counted apart, never as penalties.
            "pending": {k: pending.get(k, 0) for k in _PENDING.values()},
        },
        "fines": {
            "count": fines_count,
            "total_yuan": sum(fines_by_domain.values()),
            "by_domain": dict(sorted(fines_by_domain.items())),
        },
        "rectification": {**_rate(rectified, ordered)},
        "sites": {
            "garbage_sorting_rooms": site_counts.get("garbage_room", 0),
            "model_compounds": site_counts.get("model_compound", 0),
            "compounds_rectified": len(compounds_rectified),
            "vending_points": site_counts.get("vending_point", 0),
        },
        "inspections_per_firm_by_grade": {
            g: {
                "firm_years": len(firms_by_grade.get(g, ())),
                "inspections": inspections_by_grade.get(g, 0),
                "per_firm": round(inspections_by_grade.get(g, 0) / len(firms_by_grade[g]), 3)
                if firms_by_grade.get(g)
                else 0.0,
            }
            for g in ("A", "B", "C", "D")
        },
    }
