"""The staff list of certificates: search, filters and paging in SQL within the user's scope
(the province in the number, positions 6–7), and the same filtered rows whole for an export
(issue 18 item 6). Holder names and ID numbers come out masked, as on the staff pages.

``q`` finds a certificate by number (spaces ignored, a prefix is enough), by resident ID number
(matched by its keyed hash, never stored in clear) or by the holder's name.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from minsheng.certification.models import Body, Certificate, Occupation
from minsheng.certification.rules import numbering
from minsheng.certification.service.imports import STATUSES
from minsheng.certification.service.registry import ID_PURPOSE
from minsheng.core import idnumber, paging
from minsheng.core.errors import InvalidInput
from minsheng.core.paging import Page, PageRequest
from minsheng.core.privacy import keyed_hash, mask_name
from minsheng.core.scope import Scope

ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
NUMBER_LIKE = re.compile(r"^[A-Z]? *\d[\d ]{3,}$", re.I)


def certificate_filters(
    *,
    q: str | None = None,
    status: str | None = None,
    level: str | None = None,
    occupation: str | None = None,
    body: str | None = None,
    from_: str | None = None,
    to: str | None = None,
) -> dict[str, Any]:
    """The filters checked: ``status``, ``level`` (1–5), ``occupation`` (code or name),
    ``body`` (filing number or name), ``from``/``to`` (issue date, inclusive)."""
    first, last = paging.date_range(from_, to)
    level_text = paging.choice(level, [str(n) for n in sorted(numbering.LEVELS)], field="level")
    return {
        "q": paging.search_text(q),
        "status": paging.choice(status, sorted(STATUSES), field="status"),
        "level": int(level_text) if level_text else None,
        "occupation": paging.search_text(occupation, field="occupation"),
        "body": paging.search_text(body, field="body"),
        "from": first,
        "to": last,
    }


def _in_scope(scope: Scope) -> Any:
    if scope.province2 is None:
        return None
    return func.substr(Certificate.number, 6, 2) == scope.province2


def search_certificates(
    session: Session,
    filters: dict[str, Any],
    page: PageRequest | None,
    *,
    key: bytes,
    scope: Scope = Scope.ALL,
) -> Page[dict[str, Any]] | list[dict[str, Any]]:
    """Certificates, newest issue first, with occupation and body names (masked holder)."""
    stmt = (
        select(
            Certificate.number,
            Certificate.holder_name,
            Certificate.id_masked,
            Certificate.occupation_code,
            Occupation.name.label("occupation"),
            Certificate.level,
            Body.name.label("body"),
            Body.filing_no,
            Certificate.issued_on,
            Certificate.status,
            Certificate.status_reason,
        )
        .join(Occupation, Occupation.code == Certificate.occupation_code, isouter=True)
        .join(Body, Body.id == Certificate.body_id, isouter=True)
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    )
    scoped = _in_scope(scope)
    if scoped is not None:
        stmt = stmt.where(scoped)
    q = filters.get("q") or ""
    if ID_LIKE.match(q):
        try:
            normalized = idnumber.validate(q, field_name="q")
        except InvalidInput:
            raise InvalidInput("not a valid resident ID number", field="q") from None
        stmt = stmt.where(Certificate.id_hash == keyed_hash(normalized, key, purpose=ID_PURPOSE))
    elif NUMBER_LIKE.match(q):
        number = q.replace(" ", "").upper()
        stmt = stmt.where(Certificate.number.like(paging.like_pattern(number)[1:], escape="\\"))
    elif q:
        stmt = stmt.where(Certificate.holder_name.like(paging.like_pattern(q), escape="\\"))
    if filters.get("status"):
        stmt = stmt.where(Certificate.status == filters["status"])
    if filters.get("level"):
        stmt = stmt.where(Certificate.level == filters["level"])
    if filters.get("occupation"):
        text = filters["occupation"]
        stmt = stmt.where(
            or_(
                Certificate.occupation_code == text,
                Occupation.name.like(paging.like_pattern(text), escape="\\"),
            )
        )
    if filters.get("body"):
        text = filters["body"]
        named = Body.name.like(paging.like_pattern(text), escape="\\")
        stmt = stmt.where(or_(Body.filing_no == text.upper(), named))
    if filters.get("from"):
        stmt = stmt.where(Certificate.issued_on >= filters["from"])
    if filters.get("to"):
        stmt = stmt.where(Certificate.issued_on <= filters["to"])

    def row(r: Any) -> dict[str, Any]:
        return {
            "number": r.number,
            "name_masked": mask_name(r.holder_name),
            "id_masked": r.id_masked,
            "occupation_code": r.occupation_code,
            "occupation": r.occupation or "",
            "level": r.level,
            "level_name": numbering.LEVELS.get(r.level, ""),
            "body": r.body or "",
            "body_filing_no": r.filing_no or "",
            "issued_on": r.issued_on.isoformat(),
            "status": r.status,
            "status_reason": r.status_reason or "",
        }

    if page is None:
        return paging.export_rows(session, stmt, row)
    return paging.paginate(session, stmt, page, row)


def count_certificates_by_status(session: Session, *, scope: Scope = Scope.ALL) -> dict[str, int]:
    """How many certificates of the scope hold each status (the tiles of the list page)."""
    stmt = select(Certificate.status, func.count()).group_by(Certificate.status)
    scoped = _in_scope(scope)
    if scoped is not None:
        stmt = stmt.where(scoped)
    return {status: n for status, n in session.execute(stmt)}
