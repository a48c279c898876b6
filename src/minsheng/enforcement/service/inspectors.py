"""Inspectors and their conflicts of interest (回避): the roster the 双随机 plan draws from.
Flush, never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.errors import InvalidInput
from minsheng.core.scope import Scope
from minsheng.enforcement.errors import (
    DuplicateConflictOfInterest,
    DuplicateInspector,
    InspectorNotFound,
)
from minsheng.enforcement.models import Conflict, Inspector
from minsheng.enforcement.schemas import ConflictCreate, InspectorCreate
from minsheng.enforcement.service.parties import get_party


def inspector_dict(i: Inspector) -> dict[str, Any]:
    return {"id": i.id, "code": i.code, "name": i.name}


def conflict_dict(c: Conflict, inspector_code: str) -> dict[str, Any]:
    return {"id": c.id, "inspector": inspector_code, "party_id": c.party_id, "reason": c.reason}


def get_inspector_by_code(session: Session, code: str) -> Inspector:
    inspector = session.scalar(select(Inspector).where(Inspector.code == code))
    if inspector is None:
        raise InspectorNotFound(f"no inspector {code}", field="inspector")
    return inspector


def add_inspector(session: Session, data: InspectorCreate, *, actor: str) -> Inspector:
    code = data.code.strip()
    if not code or len(code) > 20:
        raise InvalidInput("code must be 1 to 20 characters", field="code")
    if session.scalar(select(Inspector.id).where(Inspector.code == code)) is not None:
        raise DuplicateInspector(f"inspector {code} exists already", field="code")
    inspector = Inspector(code=code, name=data.name.strip() or code, active=True)
    audit.add_and_record(session, inspector, actor=actor, action="inspector.add")
    return inspector


def add_conflict(
    session: Session, data: ConflictCreate, *, actor: str, scope: Scope = Scope.ALL
) -> Conflict:
    """Record a conflict of interest: the inspector is never drawn for that party."""
    inspector = get_inspector_by_code(session, data.inspector)
    party_id, reason = data.party_id, data.reason
    get_party(session, party_id, scope=scope)
    if not reason.strip():
        raise InvalidInput("say why (e.g. relative, former employer)", field="reason")
    exists = session.scalar(
        select(Conflict.id).where(
            Conflict.inspector_id == inspector.id, Conflict.party_id == party_id
        )
    )
    if exists is not None:
        raise DuplicateConflictOfInterest("this conflict is recorded already", field="party_id")
    conflict = Conflict(inspector_id=inspector.id, party_id=party_id, reason=reason.strip())
    audit.add_and_record(
        session,
        conflict,
        actor=actor,
        action="conflict.add",
        detail={"inspector": inspector.code, "party_id": party_id},
    )
    return conflict
