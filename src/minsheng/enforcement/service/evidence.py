"""Evidence files of a case, kept once per SHA-256 in the database. Collecting evidence is an
investigation step: at least two officers with a valid 执法证 (《行政处罚法》第四十二条) — those
named, or else the case's investigators recorded at 立案 — checked on the day and recorded on the
step. Flush, never commit."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import timeutil
from minsheng.core.errors import InvalidInput, NotFound
from minsheng.core.scope import Scope
from minsheng.enforcement.errors import CaseStepOutOfOrder, EvidenceTooLarge
from minsheng.enforcement.models import CaseProcedure, Evidence, EvidenceBlob
from minsheng.enforcement.rules.base import Status
from minsheng.enforcement.service.cases import get_case, record_step
from minsheng.enforcement.service.officers import check_officers
from minsheng.enforcement.service.scoping import case_column_filter


def evidence_dict(ev: Evidence) -> dict[str, Any]:
    return {"id": ev.id, "case_id": ev.case_id, "sha256": ev.sha256, "filename": ev.filename}


def add_evidence(
    session: Session,
    case_id: int,
    *,
    filename: str,
    content: bytes,
    officer: str,
    actor: str,
    max_bytes: int,
    note: str = "",
    officers: Sequence[str] = (),
    today: date | None = None,
    scope: Scope = Scope.ALL,
) -> Evidence:
    """Attach a file, kept once per SHA-256 in the database (commits with the step)."""
    today = today or timeutil.today()
    case = get_case(session, case_id, scope=scope)
    if case.status == Status.CLOSED:
        raise CaseStepOutOfOrder(f"case {case.id} is closed", field="status")
    proc = session.get(CaseProcedure, case.id)
    team = check_officers(session, officers or (proc.investigators if proc else []), today)
    if len(content) > max_bytes:
        raise EvidenceTooLarge(f"{len(content)} bytes; the limit is {max_bytes}", field="file")
    if not content:
        raise InvalidInput("the file is empty", field="file")
    name = filename.strip()[:200] or "evidence"
    digest = hashlib.sha256(content).hexdigest()
    if session.get(EvidenceBlob, digest) is None:
        session.add(EvidenceBlob(sha256=digest, size=len(content), content=content))
        session.flush()  # the blob row must exist before the row that refers to it
    evidence = Evidence(case_id=case.id, sha256=digest, filename=name, note=note, officer=officer)
    session.add(evidence)
    session.flush()
    record_step(
        session,
        case,
        "evidence",
        officer=officer,
        actor=actor,
        detail={"sha256": digest, "filename": name, **team},
    )
    return evidence


def get_evidence(session: Session, sha256: str, *, scope: Scope = Scope.ALL) -> bytes:
    """The bytes of an evidence file by its content hash, or NotFound (also when no case of
    the scope holds it)."""
    blob = session.get(EvidenceBlob, sha256.lower())
    held = scope.bureau is None or (
        session.scalar(
            select(Evidence.id)
            .where(Evidence.sha256 == sha256.lower(), case_column_filter(scope, Evidence.case_id))
            .limit(1)
        )
        is not None
    )
    if blob is None or not held:
        raise NotFound(f"no evidence {sha256}", field="sha256")
    return blob.content
