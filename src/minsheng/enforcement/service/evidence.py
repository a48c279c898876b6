"""Evidence files of a case, kept once per SHA-256 in the database. Flush, never commit."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from minsheng.core.errors import InvalidInput, NotFound
from minsheng.enforcement.errors import CaseStepOutOfOrder, EvidenceTooLarge
from minsheng.enforcement.models import Evidence, EvidenceBlob
from minsheng.enforcement.rules.base import Status
from minsheng.enforcement.service.cases import get_case, record_step


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
) -> Evidence:
    """Attach a file, kept once per SHA-256 in the database (commits with the step)."""
    case = get_case(session, case_id)
    if case.status == Status.CLOSED:
        raise CaseStepOutOfOrder(f"case {case.id} is closed", field="status")
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
        detail={"sha256": digest, "filename": name},
    )
    return evidence


def get_evidence(session: Session, sha256: str) -> bytes:
    """The bytes of an evidence file by its content hash, or NotFound."""
    blob = session.get(EvidenceBlob, sha256.lower())
    if blob is None:
        raise NotFound(f"no evidence {sha256}", field="sha256")
    return blob.content
