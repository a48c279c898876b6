"""Inspections carried out and industry supervision records: what the yearly grade is computed
from. Flush, never commit."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit, timeutil
from minsheng.core.errors import InvalidInput
from minsheng.core.scope import Scope
from minsheng.enforcement.errors import InspectorNotFound
from minsheng.enforcement.models import Conflict, IndustryRecord, Inspection, Inspector
from minsheng.enforcement.schemas import IndustryRecordCreate, InspectionCreate
from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.common import check_not_future
from minsheng.enforcement.service.parties import get_party


def inspection_dict(row: Inspection) -> dict[str, Any]:
    return {"id": row.id, "party_id": row.party_id, "passed": row.passed}


def industry_record_dict(row: IndustryRecord) -> dict[str, Any]:
    return {"id": row.id, "party_id": row.party_id, "kind": row.kind}


def record_inspection(
    session: Session,
    data: InspectionCreate,
    *,
    actor: str,
    today: date | None = None,
    scope: Scope = Scope.ALL,
) -> Inspection:
    """Record a carried-out inspection (at least two inspectors, none with a conflict)."""
    today = today or timeutil.today()
    party_id, inspected_on, kind = data.party_id, data.inspected_on, data.kind
    items, inspectors, passed = data.items, data.inspectors, data.passed
    get_party(session, party_id, scope=scope)
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
    audit.add_and_record(
        session,
        row,
        actor=actor,
        action="inspection.record",
        detail={"party_id": party_id, "passed": passed},
    )
    return row


def add_industry_record(
    session: Session,
    data: IndustryRecordCreate,
    *,
    actor: str,
    today: date | None = None,
    scope: Scope = Scope.ALL,
) -> IndustryRecord:
    """Record an industry supervision record (good or bad) that the yearly grade counts."""
    today = today or timeutil.today()
    party_id, kind, recorded_on, note = data.party_id, data.kind, data.recorded_on, data.note
    get_party(session, party_id, scope=scope)
    table = catalog.grading_table()
    if kind not in table.records:
        known = ", ".join(table.records)
        raise InvalidInput(f"unknown record kind {kind!r}; known: {known}", field="kind")
    check_not_future(recorded_on, "recorded_on", today)
    row = IndustryRecord(party_id=party_id, kind=kind, recorded_on=recorded_on, note=note)
    audit.add_and_record(
        session, row, actor=actor, action="industry_record.add", detail={"kind": kind}
    )
    return row
