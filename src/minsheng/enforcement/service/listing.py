"""Staff lists of cases, parties and grades: search, filters and paging in SQL with the user's
scope (``scoping``), and the same filtered rows whole for an export (issue 18 item 6).

Each ``search_*`` takes the filters as typed (strings from a query or a page), checks them
(``InvalidInput`` naming the field: 422 in the API, beside the field on a page) and returns a
``core.paging.Page`` of row dicts, or every filtered row when ``page`` is None (an export).
Person names and ID numbers come out masked, as on every staff page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from minsheng.core import paging, privacy
from minsheng.core.paging import Page, PageRequest
from minsheng.core.scope import Scope
from minsheng.enforcement.models import Case, Decision, Grade, Party
from minsheng.enforcement.rules.base import Category, Discovery, PartyKind, Status
from minsheng.enforcement.service.parties import party_dict
from minsheng.enforcement.service.scoping import party_filter

GRADES = ("A", "B", "C", "D")
# What a typed credit code (or its beginning) looks like: GB 32100-2015 characters only.
CODE_PREFIX = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2,18}$")


def _run(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    page: PageRequest | None,
    convert: Callable[[Any], dict[str, Any]],
) -> Page[dict[str, Any]] | list[dict[str, Any]]:
    if page is None:
        return paging.export_rows(session, stmt, convert)
    return paging.paginate(session, stmt, page, convert)


def _name_or_code(text: str) -> Any:
    """A party whose name contains ``text`` or whose credit code starts with it."""
    named = Party.name.like(paging.like_pattern(text), escape="\\")
    code = text.upper()
    if not CODE_PREFIX.match(code):
        return named
    return or_(named, Party.credit_code.like(code + "%"))


def _shown_name(name: str, kind: str) -> str:
    return privacy.mask_name(name) if kind == PartyKind.PERSON else name


# Cases ----------------------------------------------------------------------------------------


def case_filters(
    *,
    q: str | None = None,
    status: str | None = None,
    item: str | None = None,
    discovery: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    party_id: int | None = None,
) -> dict[str, Any]:
    """The case list's filters checked: ``q`` (party name or credit code, or ``#id``),
    ``status``, ``item``, ``discovery``, ``from``/``to`` (discovery date, inclusive)."""
    first, last = paging.date_range(from_, to)
    item_text = paging.search_text(item, field="item").upper()
    return {
        "q": paging.search_text(q),
        "status": paging.choice(status, [s.value for s in Status], field="status"),
        "item": item_text or None,
        "discovery": paging.choice(discovery, [d.value for d in Discovery], field="discovery"),
        "from": first,
        "to": last,
        "party_id": party_id,
    }


def search_cases(
    session: Session,
    filters: dict[str, Any],
    page: PageRequest | None,
    *,
    scope: Scope = Scope.ALL,
) -> Page[dict[str, Any]] | list[dict[str, Any]]:
    """Cases newest first, with their party's name (masked for a person) and their decision."""
    stmt = (
        select(
            Case.id,
            Case.party_id,
            Case.item_id,
            Case.status,
            Case.discovery,
            Case.occurred_on,
            Case.discovered_on,
            Case.officer,
            Party.name,
            Party.kind,
            Party.credit_code,
            Decision.outcome,
            Decision.stage,
            Decision.tier,
            Decision.repeat,
            Decision.rule_id,
            Decision.fine_yuan,
        )
        .join(Party, Party.id == Case.party_id)
        .join(Decision, Decision.case_id == Case.id, isouter=True)
        .where(party_filter(scope))
        .order_by(Case.id.desc())
    )
    q = filters.get("q") or ""
    if q.startswith("#") and q[1:].isdigit():
        stmt = stmt.where(Case.id == int(q[1:]))
    elif q:
        stmt = stmt.where(_name_or_code(q))
    if filters.get("status"):
        stmt = stmt.where(Case.status == filters["status"])
    if filters.get("item"):
        stmt = stmt.where(Case.item_id == filters["item"])
    if filters.get("discovery"):
        stmt = stmt.where(Case.discovery == filters["discovery"])
    if filters.get("from"):
        stmt = stmt.where(Case.discovered_on >= filters["from"])
    if filters.get("to"):
        stmt = stmt.where(Case.discovered_on <= filters["to"])
    if filters.get("party_id"):
        stmt = stmt.where(Case.party_id == filters["party_id"])

    def row(r: Any) -> dict[str, Any]:
        return {
            "id": r.id,
            "party_id": r.party_id,
            "party_name": _shown_name(r.name, r.kind),
            "credit_code": r.credit_code,
            "item": r.item_id,
            "status": r.status,
            "discovery": r.discovery,
            "occurred_on": r.occurred_on.isoformat(),
            "discovered_on": r.discovered_on.isoformat(),
            "officer": r.officer,
            "outcome": r.outcome,
            "stage": r.stage,
            "tier": r.tier,
            "repeat": r.repeat,
            "rule_id": r.rule_id,
            "fine_yuan": r.fine_yuan,
        }

    return _run(session, stmt, page, row)


# Parties --------------------------------------------------------------------------------------


def party_filters(
    *, q: str | None = None, kind: str | None = None, category: str | None = None
) -> dict[str, Any]:
    return {
        "q": paging.search_text(q),
        "kind": paging.choice(kind, [k.value for k in PartyKind], field="kind"),
        "category": paging.choice(category, [c.value for c in Category], field="category"),
    }


def search_parties(
    session: Session,
    filters: dict[str, Any],
    page: PageRequest | None,
    *,
    scope: Scope = Scope.ALL,
) -> Page[dict[str, Any]] | list[dict[str, Any]]:
    """Parties (newest first) whose name contains ``q`` or whose credit code starts with it."""
    stmt = select(Party).where(party_filter(scope)).order_by(Party.id.desc())
    if filters.get("q"):
        stmt = stmt.where(_name_or_code(filters["q"]))
    if filters.get("kind"):
        stmt = stmt.where(Party.kind == filters["kind"])
    if filters.get("category"):
        stmt = stmt.where(Party.category == filters["category"])
    return _run(session, stmt, page, lambda r: party_dict(r[0]))


def suggest_parties(
    session: Session, text: str, *, limit: int = 10, scope: Scope = Scope.ALL
) -> list[dict[str, Any]]:
    """At most ``limit`` parties matching a name or credit code typed into the case form (for
    the picker; empty text finds nothing)."""
    query = paging.search_text(text, field="party")
    if not query:
        return []
    stmt = (
        select(Party)
        .where(party_filter(scope), _name_or_code(query))
        .order_by(Party.name, Party.id)
        .limit(min(max(limit, 1), 50))
    )
    return [party_dict(p) for p in session.scalars(stmt)]


# Grades ---------------------------------------------------------------------------------------


def grade_filters(*, year: int, q: str | None = None, grade: str | None = None) -> dict[str, Any]:
    return {
        "year": year,
        "q": paging.search_text(q),
        "grade": paging.choice(grade, GRADES, field="grade"),
    }


def search_grades(
    session: Session,
    filters: dict[str, Any],
    page: PageRequest | None,
    *,
    scope: Scope = Scope.ALL,
) -> Page[dict[str, Any]] | list[dict[str, Any]]:
    """The firms graded in the year (lowest points first) with name, grade, points and rule."""
    stmt = (
        select(
            Grade.party_id,
            Party.name,
            Party.kind,
            Party.credit_code,
            Grade.grade,
            Grade.points,
            Grade.rule_version,
        )
        .join(Party, Party.id == Grade.party_id)
        .where(Grade.year == filters["year"], party_filter(scope))
        .order_by(Grade.points, Party.id)
    )
    if filters.get("q"):
        stmt = stmt.where(_name_or_code(filters["q"]))
    if filters.get("grade"):
        stmt = stmt.where(Grade.grade == filters["grade"])

    def row(r: Any) -> dict[str, Any]:
        return {
            "party_id": r.party_id,
            "name": _shown_name(r.name, r.kind),
            "credit_code": r.credit_code,
            "year": filters["year"],
            "grade": r.grade,
            "points": r.points,
            "rule_version": r.rule_version,
        }

    return _run(session, stmt, page, row)
