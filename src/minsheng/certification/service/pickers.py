"""What the clerk's pickers offer instead of raw codes: occupations, filed bodies and evaluation
sites found by name or code (a plain GET search, so they work without JavaScript), and the
resolution of a typed occupation name to its code. Read-only."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from minsheng.certification.errors import OccupationNotFound
from minsheng.certification.models import Body, BodyScope, Occupation
from minsheng.certification.rules.issuance import OCCUPATION_CODE_RE
from minsheng.certification.service.bodies import body_in_scope
from minsheng.certification.service.reference import load_reference
from minsheng.core import regions
from minsheng.core.scope import Scope

PICK_LIMIT = 20
# A partial occupation code as people type it: 4, 4-09, 4-09-07 …
CODE_PREFIX_RE = re.compile(r"^[1-8](-\d{1,2}){0,3}$")
SITE_CODE_PREFIX_RE = re.compile(r"^\d{2,6}$")


def pick_occupations(session: Session, query: str, limit: int = PICK_LIMIT) -> list[dict[str, Any]]:
    """Occupations whose code starts with ``query`` or whose name contains it, by code."""
    load_reference(session)
    q = query.strip()
    if not q:
        return []
    if CODE_PREFIX_RE.match(q):
        cond = Occupation.code.startswith(q, autoescape=True)
    else:
        cond = Occupation.name.contains(q, autoescape=True)
    stmt = select(Occupation.code, Occupation.name).where(cond).order_by(Occupation.code)
    return [{"code": c, "name": n} for c, n in session.execute(stmt.limit(limit))]


def resolve_occupation(session: Session, text: str) -> str:
    """The occupation code for what was typed: a code, or a name that is exactly one
    occupation's (``碳排放管理员`` → ``4-09-07-04``); ``OccupationNotFound`` otherwise."""
    q = text.strip()
    if OCCUPATION_CODE_RE.match(q):
        return q
    load_reference(session)
    codes = list(session.scalars(select(Occupation.code).where(Occupation.name == q).limit(2)))
    if len(codes) == 1:
        return codes[0]
    raise OccupationNotFound(
        f"没有名称为“{q}”的职业，请从职业列表中选择 (no occupation is named {q!r})",
        field="occupation_code",
    )


def pick_bodies(
    session: Session,
    query: str,
    *,
    scope: Scope = Scope.ALL,
    occupation_code: str | None = None,
    limit: int = PICK_LIMIT,
) -> list[dict[str, Any]]:
    """Filed bodies in the clerk's scope by name, filing number, code, or occupation (code or
    name); with ``occupation_code`` only bodies whose scope covers that occupation."""
    q = query.strip()
    stmt = select(Body)
    if q:
        by_occupation = select(BodyScope.body_id).join(
            Occupation, Occupation.code == BodyScope.occupation_code
        )
        stmt = stmt.where(
            or_(
                Body.filing_no == q.upper(),
                Body.code == q,
                Body.name.contains(q, autoescape=True),
                Body.id.in_(
                    by_occupation.where(
                        or_(
                            BodyScope.occupation_code == q,
                            Occupation.name.contains(q, autoescape=True),
                        )
                    )
                ),
            )
        )
    if occupation_code:
        stmt = stmt.where(
            Body.id.in_(
                select(BodyScope.body_id).where(BodyScope.occupation_code == occupation_code)
            )
        )
    rows = [b for b in session.scalars(stmt.order_by(Body.filing_no)) if body_in_scope(b, scope)]
    return [
        {
            "filing_no": b.filing_no,
            "name": b.name,
            "status": b.status,
            "province_code": b.province_code,
        }
        for b in rows[:limit]
    ]


def pick_sites(
    query: str, *, scope: Scope = Scope.ALL, limit: int = PICK_LIMIT
) -> list[dict[str, Any]]:
    """Evaluation sites (a city or county of GB/T 2260) in the clerk's scope by name or code,
    each with its province code (the certificate number's positions 6–7)."""
    q = query.strip()
    if not q:
        return []
    table = regions.table()
    by_code = SITE_CODE_PREFIX_RE.match(q) is not None
    found = [
        region
        for region in table.all()  # by code
        if region.level != "province"
        and region.current
        and (region.code.startswith(q) if by_code else q in region.name)
        and scope.covers_province2(region.code[:2])
    ]
    out = []
    for region in found[:limit]:
        province = table.get(region.province_code)
        out.append(
            {
                "code": region.code,
                "name": region.name,
                "province_code": region.code[:2],
                "province": province.name if province else "",
            }
        )
    return out
