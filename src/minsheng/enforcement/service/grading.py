"""The yearly A/B/C/D grading of construction-site firms.

Grading reads the previous year's records in a few grouped queries and hands one summary per firm
to the pure ``rules.grading``. Flush, never commit.
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
from minsheng.enforcement.errors import GradeNotFound
from minsheng.enforcement.models import Case, Decision, Grade, IndustryRecord, Inspection, Party
from minsheng.enforcement.rules import grading as rules_grading
from minsheng.enforcement.rules.base import Category, Outcome
from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.parties import get_party


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


def get_grade(session: Session, party_id: int, year: int) -> Grade:
    """A firm's stored grade for ``year``, or ``GradeNotFound``."""
    get_party(session, party_id)
    row = session.scalar(select(Grade).where(Grade.party_id == party_id, Grade.year == year))
    if row is None:
        raise GradeNotFound(f"party {party_id} has no grade for {year}", field="year")
    return row


def grade_dict(row: Grade) -> dict[str, Any]:
    """A stored grade with its item-by-item breakdown (API, CLI and staff page)."""
    return {
        "party_id": row.party_id,
        "year": row.year,
        "grade": row.grade,
        "points": row.points,
        "breakdown": json.loads(row.breakdown),
        "rule_version": row.rule_version,
    }


def grade_years(session: Session) -> list[int]:
    """The years with grades, newest first."""
    return list(session.scalars(select(Grade.year).distinct().order_by(Grade.year.desc())))


def count_grades(session: Session, year: int) -> dict[str, int]:
    """How many firms hold each grade in ``year``."""
    rows = session.execute(
        select(Grade.grade, func.count()).where(Grade.year == year).group_by(Grade.grade)
    )
    return {grade: n for grade, n in rows}


def list_grades(
    session: Session, year: int, *, grade: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The firms graded in ``year`` (lowest points first) with their name, grade and rule."""
    stmt = (
        select(Grade.party_id, Party.name, Grade.grade, Grade.points, Grade.rule_version)
        .join(Party, Party.id == Grade.party_id)
        .where(Grade.year == year)
        .order_by(Grade.points, Party.id)
        .limit(min(max(limit, 1), 1000))
    )
    if grade is not None:
        stmt = stmt.where(Grade.grade == grade)
    return [
        {"party_id": pid, "name": name, "grade": g, "points": points, "rule_version": version}
        for pid, name, g, points, version in session.execute(stmt)
    ]


def grades_of_party(session: Session, party_id: int) -> list[dict[str, Any]]:
    """A firm's grades, newest year first."""
    rows = session.execute(
        select(Grade.year, Grade.grade, Grade.points)
        .where(Grade.party_id == party_id)
        .order_by(Grade.year.desc())
    )
    return [{"year": y, "grade": g, "points": p} for y, g, p in rows]
