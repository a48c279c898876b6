"""Supervision services: inspectors and conflicts of interest, inspections, industry records,
the yearly grading of construction-site firms and the yearly inspection plan.

Grading reads the previous year's records in a few grouped queries and hands one summary per firm
to the pure ``rules_grading``; planning hands the graded firms, the inspector roster and last
year's inspectors (for rotation) to the pure ``rules_planning``. Flush, never commit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.db import utcnow
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import catalog, rules_grading, rules_planning
from minsheng.enforcement.errors import InspectorNotFound
from minsheng.enforcement.models import (
    Case,
    Conflict,
    Decision,
    Grade,
    IndustryRecord,
    Inspection,
    Inspector,
    Party,
)
from minsheng.enforcement.rules_base import Outcome
from minsheng.enforcement.service import Category, check_not_future, get_party


def add_inspector(session: Session, *, code: str, name: str, actor: str) -> Inspector:
    code = code.strip()
    if not code or len(code) > 20:
        raise InvalidInput("code must be 1 to 20 characters", field="code")
    if session.scalar(select(Inspector.id).where(Inspector.code == code)) is not None:
        raise InvalidInput(f"inspector {code} exists already", field="code")
    inspector = Inspector(code=code, name=name.strip() or code, active=True)
    session.add(inspector)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="inspector.add",
        table=Inspector.__tablename__,
        record_id=inspector.id,
    )
    return inspector


def add_conflict(
    session: Session, *, inspector_code: str, party_id: int, reason: str, actor: str
) -> Conflict:
    inspector = session.scalar(select(Inspector).where(Inspector.code == inspector_code))
    if inspector is None:
        raise InspectorNotFound(f"no inspector {inspector_code}", field="inspector")
    get_party(session, party_id)
    if not reason.strip():
        raise InvalidInput("say why (e.g. relative, former employer)", field="reason")
    exists = session.scalar(
        select(Conflict.id).where(
            Conflict.inspector_id == inspector.id, Conflict.party_id == party_id
        )
    )
    if exists is not None:
        raise InvalidInput("this conflict is recorded already", field="party_id")
    conflict = Conflict(inspector_id=inspector.id, party_id=party_id, reason=reason.strip())
    session.add(conflict)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="conflict.add",
        table=Conflict.__tablename__,
        record_id=conflict.id,
        detail={"inspector": inspector_code, "party_id": party_id},
    )
    return conflict


def record_inspection(
    session: Session,
    *,
    party_id: int,
    inspected_on: date,
    passed: bool,
    items: list[str],
    inspectors: list[str],
    actor: str,
    kind: str = "routine",
    today: date | None = None,
) -> Inspection:
    today = today or date.today()
    get_party(session, party_id)
    check_not_future(inspected_on, "inspected_on", today)
    if kind not in ("routine", "case", "campaign"):
        raise InvalidInput("kind must be routine, case or campaign", field="kind")
    if len(set(inspectors)) < 2:
        raise InvalidInput("an inspection needs at least 2 inspectors", field="inspectors")
    rulebase = catalog.rulebase()
    for item in items:
        rulebase.require_item(item, field_name="items")
    known = set(session.scalars(select(Inspector.code).where(Inspector.code.in_(inspectors))))
    missing = sorted(set(inspectors) - known)
    if missing:
        raise InspectorNotFound(f"unknown inspector(s): {', '.join(missing)}", field="inspectors")
    conflicted = session.scalar(
        select(Inspector.code)
        .join(Conflict, Conflict.inspector_id == Inspector.id)
        .where(Conflict.party_id == party_id, Inspector.code.in_(inspectors))
    )
    if conflicted is not None:
        raise InvalidInput(
            f"inspector {conflicted} has a recorded conflict of interest with party {party_id}",
            field="inspectors",
        )
    row = Inspection(
        party_id=party_id,
        inspected_on=inspected_on,
        kind=kind,
        passed=passed,
        items=items,
        inspectors=sorted(set(inspectors)),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="inspection.record",
        table=Inspection.__tablename__,
        record_id=row.id,
        detail={"party_id": party_id, "passed": passed},
    )
    return row


def add_industry_record(
    session: Session,
    *,
    party_id: int,
    kind: str,
    recorded_on: date,
    actor: str,
    note: str = "",
    today: date | None = None,
) -> IndustryRecord:
    today = today or date.today()
    get_party(session, party_id)
    table = catalog.grading_table()
    if kind not in table.records:
        known = ", ".join(table.records)
        raise InvalidInput(f"unknown record kind {kind!r}; known: {known}", field="kind")
    check_not_future(recorded_on, "recorded_on", today)
    row = IndustryRecord(party_id=party_id, kind=kind, recorded_on=recorded_on, note=note)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="industry_record.add",
        table=IndustryRecord.__tablename__,
        record_id=row.id,
        detail={"kind": kind},
    )
    return row


# --------------------------------------------------------------------------------------------
# Grading


def summaries_for_year(session: Session, year: int) -> dict[int, rules_grading.Summary]:
    """One summary per construction-site firm from the records of ``year - 1``."""
    start, end = date(year - 1, 1, 1), date(year - 1, 12, 31)
    # Core queries (no ORM objects): at 200,000 firms the per-row cost is what counts.
    conn = session.connection()
    inspections = (
        select(
            Inspection.party_id.label("pid"),
            func.count().label("total"),
            func.sum(sql_case((Inspection.passed.is_(False), 1), else_=0)).label("failed"),
        )
        .where(Inspection.inspected_on.between(start, end), Inspection.kind == "routine")
        .group_by(Inspection.party_id)
        .subquery()
    )
    firms = conn.execute(
        select(Party.id, Party.registered_on > start, inspections.c.total, inspections.c.failed)
        .outerjoin(inspections, inspections.c.pid == Party.id)
        .where(Party.category == Category.CONSTRUCTION_FIRM.value, Party.registered_on <= end)
    ).all()
    penalties: dict[int, list[rules_grading.Penalty]] = defaultdict(list)
    for pid, tier, fine in conn.execute(
        select(Case.party_id, Decision.tier, Decision.fine_yuan)
        .join(Decision, Decision.case_id == Case.id)
        .where(
            Decision.decided_on.between(start, end),
            Decision.outcome == Outcome.PENALTY.value,
            Case.domain == "construction",
        )
        .order_by(Decision.id)
    ):
        penalties[pid].append(rules_grading.Penalty(tier=tier or "standard", fine_yuan=fine or 0))
    records: dict[int, list[rules_grading.IndustryRecord]] = defaultdict(list)
    for pid, kind, note in conn.execute(
        select(IndustryRecord.party_id, IndustryRecord.kind, IndustryRecord.note)
        .where(IndustryRecord.recorded_on.between(start, end))
        .order_by(IndustryRecord.id)
    ):
        records[pid].append(rules_grading.IndustryRecord(kind=kind, note=note))
    out = {}
    # Firms without penalties or records share their summary object (most firms).
    plain: dict[tuple[bool, int, int], rules_grading.Summary] = {}
    summary = rules_grading.Summary
    for pid, new_entrant, total, failed in firms:
        p = penalties.get(pid)
        r = records.get(pid)
        if p is None and r is None:
            key = (bool(new_entrant), total or 0, int(failed or 0))
            found = plain.get(key)
            if found is None:
                found = plain[key] = summary(
                    inspections=key[1], inspections_failed=key[2], new_entrant=key[0]
                )
            out[pid] = found
            continue
        out[pid] = summary(
            inspections=total or 0,
            inspections_failed=int(failed or 0),
            penalties=tuple(p) if p else (),
            industry_records=tuple(r) if r else (),
            new_entrant=bool(new_entrant),
        )
    return out


def grade_year(session: Session, year: int, *, actor: str) -> dict[str, Any]:
    """Grade every construction-site firm for ``year`` (replacing that year's grades)."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("year out of range", field="year")
    table = catalog.grading_table()
    summaries = summaries_for_year(session, year)
    session.execute(delete(Grade).where(Grade.year == year))
    rows = []
    now = utcnow()
    by_grade = dict.fromkeys(rules_grading.GRADES, 0)
    forced = 0
    # Many firms share the same summary (e.g. "3 inspections, all passed, no records"): grade
    # and serialise each distinct summary once. The breakdown is stored as JSON text.
    done: dict[rules_grading.Summary, tuple[rules_grading.GradeResult, str]] = {}
    for pid, summary in summaries.items():
        hit = done.get(summary)
        if hit is None:
            result = rules_grading.grade(table, summary, check=False)
            hit = done[summary] = (
                result,
                json.dumps(list(result.breakdown), ensure_ascii=False, separators=(",", ":")),
            )
        result, breakdown = hit
        by_grade[result.grade] += 1
        forced += bool(result.forced_by)
        rows.append(
            {
                "party_id": pid,
                "year": year,
                "grade": result.grade,
                "points": result.points,
                "breakdown": breakdown,
                "rule_version": result.rule_version,
                "graded_at": now,
            }
        )
    if rows:
        session.connection().execute(insert(Grade), rows)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="grade.year",
        table=Grade.__tablename__,
        record_id=year,
        detail={"firms": len(rows), "by_grade": by_grade},
    )
    return {
        "year": year,
        "from_records_of": year - 1,
        "rule_version": table.version,
        "firms": len(rows),
        "by_grade": by_grade,
        "forced_d": forced,
    }


def grade_of(session: Session, party_id: int, year: int) -> dict[str, Any]:
    get_party(session, party_id)
    row = session.scalar(select(Grade).where(Grade.party_id == party_id, Grade.year == year))
    if row is None:
        raise InvalidInput(f"party {party_id} has no grade for {year}", field="year")
    return {
        "party_id": party_id,
        "year": year,
        "grade": row.grade,
        "points": row.points,
        "breakdown": json.loads(row.breakdown),
        "rule_version": row.rule_version,
    }


# --------------------------------------------------------------------------------------------
# Planning


def plan(session: Session, *, year: int, seed: int) -> rules_planning.Plan:
    """The year's 双随机 plan for the construction-site firms, by their grade for ``year``."""
    grades = dict(
        session.execute(select(Grade.party_id, Grade.grade).where(Grade.year == year)).all()
    )
    firm_ids = session.scalars(
        select(Party.id).where(
            Party.category == Category.CONSTRUCTION_FIRM.value,
            Party.registered_on <= date(year, 12, 31),
        )
    ).all()
    targets = [
        rules_planning.Target(id=p, domain="construction", grade=grades.get(p)) for p in firm_ids
    ]
    conflicts: dict[int, set[int]] = defaultdict(set)
    for inspector_id, party_id in session.execute(select(Conflict.inspector_id, Conflict.party_id)):
        conflicts[inspector_id].add(party_id)
    roster = [
        rules_planning.Inspector(id=i, code=c, conflicts=frozenset(conflicts.get(i, ())))
        for i, c in session.execute(
            select(Inspector.id, Inspector.code).where(Inspector.active.is_(True))
        )
    ]
    code_to_id = {i.code: i.id for i in roster}
    previous: dict[int, set[int]] = defaultdict(set)
    for party_id, names in session.execute(
        select(Inspection.party_id, Inspection.inspectors).where(
            Inspection.inspected_on.between(date(year - 1, 1, 1), date(year - 1, 12, 31))
        )
    ):
        previous[party_id].update(code_to_id[n] for n in names if n in code_to_id)
    return rules_planning.plan_year(
        catalog.planning_policy(),
        targets,
        roster,
        year=year,
        seed=seed,
        previous={k: frozenset(v) for k, v in previous.items()},
    )
