"""Filed evaluation bodies (备案评价机构): filing with a scope of occupations and levels, the
public registry lookup, suspension and revocation, and the facts the issuance rules need.
Functions flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from minsheng.certification.errors import (
    BodyNotFound,
    DuplicateBody,
    ImplausibleDate,
    InvalidDate,
)
from minsheng.certification.models import Body, BodyScope, Occupation
from minsheng.certification.rules import dates
from minsheng.certification.rules.issuance import OCCUPATION_CODE_RE, BodyFacts
from minsheng.certification.rules.numbering import LEVELS, PROVINCE_CODES
from minsheng.certification.schemas import (
    BodyCreate,
    BodyScopeChange,
    BodyStatusChange,
    ScopeItem,
)
from minsheng.certification.service.reference import load_reference, occupation_names
from minsheng.certification.service.status import change_status
from minsheng.core import audit, regions
from minsheng.core.errors import InvalidInput
from minsheng.core.scope import Scope


def create_body(
    session: Session,
    data: BodyCreate,
    *,
    actor: str,
    demo: bool = False,
    scope: Scope = Scope.ALL,
) -> Body:
    """File a body. A provincial clerk files bodies of their province only (code 0000 with
    their ``province_code``); bodies filed with the ministry are national staff's."""
    scope.require(scope.covers_province2(data.province_code), "a body of this province")
    load_reference(session)
    if data.code == "0000" and not data.province_code:
        raise InvalidInput(
            "a body filed with a province (code 0000) needs province_code", field="province_code"
        )
    if data.province_code and data.province_code not in PROVINCE_CODES:
        raise InvalidInput(f"{data.province_code} is not a province code", field="province_code")
    for name, value in (("valid_from", data.valid_from), ("valid_to", data.valid_to)):
        problem = dates.date_problem(value) if value else None
        if problem:
            raise ImplausibleDate(problem, field=name)
    if data.valid_to and data.valid_to < data.valid_from:
        raise InvalidDate("valid_to is before valid_from", field="valid_to")
    if data.code != "0000":
        filing_no = f"{data.body_type}{data.code}"
    else:
        count = session.scalar(
            select(func.count())
            .select_from(Body)
            .where(Body.code == "0000", Body.province_code == data.province_code)
        )
        filing_no = f"{data.body_type}0000-{data.province_code}-{(count or 0) + 1:04d}"
    if session.scalar(select(Body.id).where(Body.filing_no == filing_no)) is not None:
        raise DuplicateBody(f"a body with filing number {filing_no} exists", field="code")
    check_scope_items(session, data.scope)
    body = Body(
        filing_no=filing_no,
        body_type=data.body_type,
        code=data.code,
        province_code=data.province_code,
        name=data.name.strip(),
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        status="active",
        demo=demo,
    )
    audit.add_and_record(
        session, body, actor=actor, action="body.create", detail={"filing_no": filing_no}
    )
    pairs = {(s.occupation_code, lv) for s in data.scope for lv in s.levels}
    session.add_all(
        BodyScope(body_id=body.id, occupation_code=o, level=lv) for o, lv in sorted(pairs)
    )
    session.flush()
    return body


def check_scope_items(session: Session, items: Sequence[ScopeItem]) -> None:
    """Every occupation of a scope is in the classification and every level is 1–5."""
    known = set(session.scalars(select(Occupation.code)))
    for i, item in enumerate(items):
        if item.occupation_code not in known:
            raise InvalidInput(
                f"{item.occupation_code} is not in the classification",
                field=f"scope.{i}.occupation_code",
            )
        if any(v not in LEVELS for v in item.levels):
            raise InvalidInput("levels are 1–5", field=f"scope.{i}.levels")


def find_body(session: Session, filing_no: str) -> Body | None:
    return session.scalar(select(Body).where(Body.filing_no == filing_no.strip().upper()))


def body_in_scope(body: Body, scope: Scope) -> bool:
    """A body belongs to the province it is filed with; ministry-filed bodies are national."""
    return scope.covers_province2(body.province_code)


def get_body(session: Session, filing_no: str, *, scope: Scope = Scope.ALL) -> Body:
    """The body; BodyNotFound when missing or outside the scope."""
    body = find_body(session, filing_no)
    if body is None or not body_in_scope(body, scope):
        raise BodyNotFound(f"no filed body {filing_no}", field="body")
    return body


def body_scope(session: Session, body_id: int) -> list[tuple[str, int]]:
    stmt = select(BodyScope.occupation_code, BodyScope.level).where(BodyScope.body_id == body_id)
    return [(o, lv) for o, lv in session.execute(stmt.order_by(BodyScope.occupation_code))]


def body_to_dict(session: Session, body: Body) -> dict[str, Any]:
    scope: dict[str, list[int]] = {}
    for occ, lv in body_scope(session, body.id):
        scope.setdefault(occ, []).append(lv)
    return {
        "filing_no": body.filing_no,
        "name": body.name,
        "body_type": body.body_type,
        "code": body.code,
        "filed_with": "MOHRSS" if body.code != "0000" else f"province {body.province_code}",
        "filed_with_name": filed_with_name(body.code, body.province_code),
        "province_code": body.province_code,
        "province_name": province_name(body.province_code),
        "valid_from": body.valid_from.isoformat(),
        "valid_to": body.valid_to.isoformat() if body.valid_to else None,
        "status": body.status,
        "status_reason": body.status_reason,
        "scope": [{"occupation_code": k, "levels": sorted(v)} for k, v in scope.items()],
    }


def province_name(code2: str | None) -> str | None:
    """``46`` → 海南省 (None when there is no or no known province)."""
    if not code2:
        return None
    found = regions.table().get(code2 + "0000")
    return found.name if found else None


def filed_with_name(code: str, province_code: str | None) -> str:
    """Who a body is filed with, as people say it: 人力资源社会保障部, or 海南省人力资源社会保障部门
    for a body filed with a province."""
    if code != "0000":
        return "人力资源社会保障部"
    name = province_name(province_code)
    return f"{name}人力资源社会保障部门" if name else "省级人力资源社会保障部门"


def list_bodies(
    session: Session,
    query: str,
    limit: int = 50,
    *,
    scope: Scope | None = None,
    status: str | None = None,
) -> list[Body]:
    """The registry lookup: by filing number or code, by name, or by occupation code or name
    (``碳排放`` finds the bodies whose scope holds 碳排放管理员). With ``scope`` (staff) only the
    bodies of that scope, and an empty query lists them all; ``status`` filters."""
    q = query.strip()
    stmt = select(Body)
    if OCCUPATION_CODE_RE.match(q):
        stmt = stmt.where(
            Body.id.in_(select(BodyScope.body_id).where(BodyScope.occupation_code == q))
        )
    elif q:
        by_occupation_name = (
            select(BodyScope.body_id)
            .join(Occupation, Occupation.code == BodyScope.occupation_code)
            .where(Occupation.name.contains(q, autoescape=True))
        )
        stmt = stmt.where(
            or_(
                Body.filing_no == q.upper(),
                Body.code == q,
                Body.name.contains(q, autoescape=True),
                Body.id.in_(by_occupation_name),
            )
        )
    if status:
        stmt = stmt.where(Body.status == status)
    if scope is not None and scope.province2 is not None:
        stmt = stmt.where(Body.province_code == scope.province2)
    return list(session.scalars(stmt.order_by(Body.filing_no).limit(limit)))


def list_body_views(
    session: Session,
    query: str,
    *,
    scope: Scope | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The registry pages: each matching body, with the name of every occupation in its
    scope beside its code."""
    rows = [
        body_to_dict(session, b)
        for b in list_bodies(session, query, limit, scope=scope, status=status)
    ]
    return _with_occupation_names(session, rows)


def body_view(session: Session, body: Body) -> dict[str, Any]:
    """One body as the pages show it: ``body_to_dict`` with each occupation's name."""
    return _with_occupation_names(session, [body_to_dict(session, body)])[0]


def _with_occupation_names(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = occupation_names(
        session, {item["occupation_code"] for row in rows for item in row["scope"]}
    )
    for row in rows:
        for item in row["scope"]:
            item["occupation"] = names.get(item["occupation_code"], "")
    return rows


def update_body_status(
    session: Session,
    filing_no: str,
    data: BodyStatusChange,
    *,
    actor: str,
    scope: Scope = Scope.ALL,
) -> Body:
    """Suspend, revoke or reactivate a body (audited with the old status and the reason)."""
    body = get_body(session, filing_no, scope=scope)
    change_status(session, body, data, actor=actor, kind="body")
    return body


def update_body_scope(
    session: Session,
    filing_no: str,
    data: BodyScopeChange,
    *,
    actor: str,
    scope: Scope = Scope.ALL,
) -> Body:
    """Replace a body's scope of occupations × levels (a change of filing, 备案变更), audited
    with the pairs added and removed and the reason; certificates already issued keep theirs."""
    body = get_body(session, filing_no, scope=scope)
    check_scope_items(session, data.scope)
    old = set(body_scope(session, body.id))
    new = {(s.occupation_code, lv) for s in data.scope for lv in s.levels}
    for row in session.scalars(select(BodyScope).where(BodyScope.body_id == body.id)):
        if (row.occupation_code, row.level) not in new:
            session.delete(row)
    session.add_all(
        BodyScope(body_id=body.id, occupation_code=o, level=lv) for o, lv in sorted(new - old)
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="body.scope",
        table=body.__tablename__,
        record_id=body.id,
        detail={
            "added": [f"{o}/{lv}" for o, lv in sorted(new - old)],
            "removed": [f"{o}/{lv}" for o, lv in sorted(old - new)],
            "reason": data.reason,
        },
    )
    return body


def body_facts(session: Session, body: Body) -> BodyFacts:
    return BodyFacts(
        filing_no=body.filing_no,
        body_type=body.body_type,
        code=body.code,
        province_code=body.province_code,
        status=body.status,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        scope=frozenset(body_scope(session, body.id)),
    )
