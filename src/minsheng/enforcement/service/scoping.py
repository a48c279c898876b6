"""Which parties and cases a staff member's scope (``core.scope``) reaches: staff of one bureau
see the parties that bureau supervises (``enf_parties.bureau``) and everything that hangs off
them — cases with their steps, evidence and documents, commitments, inspections, industry
records, grades, credit records and objections. Staff with no bureau see every bureau.

Out-of-scope records answer like missing ones (``<Thing>NotFound``), never 403.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from minsheng.core.scope import Scope
from minsheng.enforcement.models import Case, Party


def party_filter(scope: Scope) -> ColumnElement[bool]:
    """A condition on ``enf_parties`` selecting the parties of the scope's bureau."""
    return true() if scope.bureau is None else Party.bureau == scope.bureau


def party_column_filter(scope: Scope, column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """A condition on a ``party_id`` column of any table (cases, grades, inspections, ...)."""
    if scope.bureau is None:
        return true()
    return column.in_(select(Party.id).where(party_filter(scope)))


def party_id_in_scope(session: Session, party_id: int | None, scope: Scope) -> bool:
    if scope.bureau is None:
        return True
    party = session.get(Party, party_id) if party_id is not None else None
    return party is not None and scope.covers_bureau(party.bureau)


def case_in_scope(session: Session, case: Case, scope: Scope) -> bool:
    return party_id_in_scope(session, case.party_id, scope)


def case_id_in_scope(session: Session, case_id: int | None, scope: Scope) -> bool:
    if scope.bureau is None:
        return True
    case = session.get(Case, case_id) if case_id is not None else None
    return case is not None and case_in_scope(session, case, scope)


def in_scope_cases(scope: Scope) -> ColumnElement[bool]:
    """A condition on ``enf_cases``: the cases of the scope's bureau's parties."""
    return party_column_filter(scope, Case.party_id)


def case_column_filter(scope: Scope, column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """A condition on a ``case_id`` column of any table (evidence, documents, ...)."""
    if scope.bureau is None:
        return true()
    return column.in_(select(Case.id).where(in_scope_cases(scope)))
