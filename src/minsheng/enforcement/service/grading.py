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
from minsheng.enforcement.rules import history
from minsheng.enforcement.rules.base import Category, DecisionStage, Outcome
from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.parties import get_party


def summaries_for_year(session: Session, year: int) -> dict[int, rules_grading.Summary]:
    """One summary per construction-site firm from the records of ``year - 1``."""
    start, end = date(year - 1, 1, 1), date(year - 1, 12, 31)
    # Core queries (no ORM objects): at 200,000 firms the per-row cost is what counts.
    conn = session.connection()
    # Each firm's inspections are counted through the (party_id, inspected_on) index as the firms
    # are read, rather than aggregated apart and joined back (which sorted every inspection of
    # the year and built a temporary index: twice the time at 200,000 firms).
    firms = conn.execute(
        select(
            Party.id,
            Party.registered_on > start,
            func.count(Inspection.id),
            func.sum(sql_case((Inspection.passed.is_(False), 1), else_=0)),
        )
        .outerjoin(
            Inspection,
            (Inspection.party_id == Party.id)
            & Inspection.inspected_on.between(start, end)
            & (Inspection.kind == "routine"),
        )
        .where(Party.category == Category.CONSTRUCTION_FIRM.value, Party.registered_on <= end)
        .group_by(Party.id)
    ).all()
    penalties: dict[int, list[rules_grading.Penalty]] = defaultdict(list)
    for pid, tier, fine in conn.execute(
        select(Case.party_id, Decision.tier, Decision.fine_yuan)
        .join(Decision, Decision.case_id == Case.id)
        .where(
            Decision.decided_on.between(start, end),
            Decision.outcome == Outcome.PENALTY.value,
            # A proposal, an unserved decision or a cancelled case is no penalty
            # (rules/history.py).
            Decision.stage == DecisionStage.DECIDED.value,
            Case.status.in_(history.SERVED_STATUSES),
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
    with_records = penalties.keys() | records.keys()
    for pid, new_entrant, total, failed in firms:
        if pid not in with_records:
            key = (bool(new_entrant), total or 0, int(failed or 0))
            found = plain.get(key)
            if found is None:
                found = plain[key] = summary(
                    inspections=key[1], inspections_failed=key[2], new_entrant=key[0]
                )
            out[pid] = found
            continue
        p = penalties.get(pid)
        r = records.get(pid)
        out[pid] = summary(
            inspections=total or 0,
            inspections_failed=int(failed or 0),
            penalties=tuple(p) if p else (),
            industry_records=tuple(r) if r else (),
            new_entrant=bool(new_entrant),
        )
    return out


_GRADE_COLUMNS = ("party_id", "year", "grade", "points", "breakdown", "rule_version", "graded_at")


def grade_year(session: Session, year: int, *, actor: str) -> dict[str, Any]:
    """Grade every construction-site firm for ``year`` (replacing that year's grades)."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("year out of range", field="year")
    table = catalog.grading_table()
    summaries = summaries_for_year(session, year)
    session.execute(delete(Grade).where(Grade.year == year))
    conn = session.connection()
    now = utcnow()
    # On SQLite the rows go to the driver's executemany as they are: SQLAlchemy's executemany
    # would build a parameter dict and run graded_at's type processing for each of 200,000 rows
    # (a third of the time), though the time is the same for all. It is processed once, here,
    # by the same processor, so the stored text is the same.
    raw = conn.dialect.name == "sqlite"
    stamp: Any = now
    if raw:
        process = Grade.__table__.c.graded_at.type.bind_processor(conn.dialect)
        stamp = process(now) if process is not None else now
    rows: list[tuple[Any, ...]] = []
    by_grade = dict.fromkeys(rules_grading.GRADES, 0)
    forced = 0
    # Many firms share the same summary (e.g. "3 inspections, all passed, no records"): grade
    # and serialise each distinct summary once. The breakdown is stored as JSON text.
    done: dict[rules_grading.Summary, tuple[rules_grading.GradeResult, str]] = {}
    # Most firms share one summary object (see summaries_for_year): look those up by identity
    # first, which spares hashing the summary's fields 200,000 times. ``summaries`` holds every
    # summary for the whole loop, so no identity is reused.
    by_identity: dict[int, tuple[rules_grading.GradeResult, str]] = {}
    for pid, summary in summaries.items():
        hit = by_identity.get(id(summary))
        if hit is None:
            hit = done.get(summary)
            if hit is None:
                result = rules_grading.grade(table, summary, check=False)
                hit = done[summary] = (
                    result,
                    json.dumps(list(result.breakdown), ensure_ascii=False, separators=(",", ":")),
                )
            by_identity[id(summary)] = hit
        result, breakdown = hit
        by_grade[result.grade] += 1
        forced += bool(result.forced_by)
        rows.append((pid, year, result.grade, result.points, breakdown, result.rule_version, stamp))
    if rows and raw:
        sql = insert(Grade).compile(dialect=conn.dialect, column_keys=list(_GRADE_COLUMNS))
        assert sql.positiontup == list(_GRADE_COLUMNS)  # the driver takes them in this order
        conn.exec_driver_sql(sql.string, rows)
    elif rows:
        conn.execute(insert(Grade), [dict(zip(_GRADE_COLUMNS, row, strict=True)) for row in rows])
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
        "rule_set": _rule_set(row.rule_version),
    }


def _rule_set(version: str) -> dict[str, Any]:
    table = catalog.grading_table()
    if table.version == version:
        return table.status_dict()
    return {"name": version, "status": "unknown", "label": "规则版本已不在本系统中", "source": ""}


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
