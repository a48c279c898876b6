"""Supervised parties: a person (by resident ID number, kept only as a keyed hash and a mask) or
an organisation (by unified social credit code). Flush, never commit."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from minsheng.core import audit, creditcode, idnumber, privacy, timeutil
from minsheng.core.errors import InvalidInput
from minsheng.core.scope import Scope
from minsheng.enforcement.errors import DuplicateParty, PartyNotFound
from minsheng.enforcement.models import Party
from minsheng.enforcement.rules.base import Category, PartyKind
from minsheng.enforcement.schemas import PartyCreate
from minsheng.enforcement.service.common import check_not_future, parse_enum
from minsheng.enforcement.service.scoping import party_filter

ID_PURPOSE = "enf-party-id"


def party_dict(p: Party) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "category": p.category,
        "name": privacy.mask_name(p.name) if p.kind == PartyKind.PERSON else p.name,
        "credit_code": p.credit_code,
        "id_number": p.id_masked,
        "registered_on": p.registered_on.isoformat(),
        "address": p.address,
        "bureau": p.bureau,
    }


def default_bureau() -> str:
    """The bureau configured in ``data/procedure.json`` (its abbreviation)."""
    from minsheng.enforcement.service.documents import bureau

    return bureau()["abbreviation"]


def create_party(
    session: Session,
    data: PartyCreate,
    *,
    key: bytes,
    actor: str,
    today: date | None = None,
    scope: Scope = Scope.ALL,
) -> Party:
    """Register a person (by resident ID number) or an organisation (by credit code), under
    ``data.bureau`` (default: the user's bureau, else the configured one)."""
    today = today or timeutil.today()
    party_bureau = (data.bureau or "").strip() or scope.bureau or default_bureau()
    scope.require(scope.covers_bureau(party_bureau), f"a party of bureau {party_bureau}")
    party_kind = parse_enum(PartyKind, data.kind, "kind")
    cat = parse_enum(Category, data.category, "category")
    name = data.name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name must be 1 to 200 characters", field="name")
    registered_on = data.registered_on or today
    check_not_future(registered_on, "registered_on", today)
    code = id_hash = id_masked = None
    birth_date: date | None = None
    if party_kind is PartyKind.PERSON:
        if data.credit_code:
            raise InvalidInput("a person is registered by ID number", field="credit_code")
        if not data.id_number:
            raise InvalidInput("a person needs a resident ID number", field="id_number")
        normalized = idnumber.validate(data.id_number, field_name="id_number", today=today)
        birth_date = idnumber.check(normalized, today=today).birth_date
        id_hash = privacy.keyed_hash(normalized, key, purpose=ID_PURPOSE)
        id_masked = privacy.mask_id(normalized)
        if session.scalar(select(Party.id).where(Party.id_hash == id_hash)) is not None:
            raise DuplicateParty("a party with this ID number exists already", field="id_number")
    else:
        if data.id_number:
            raise InvalidInput("an organisation is registered by credit code", field="id_number")
        if not data.credit_code:
            raise InvalidInput("an organisation needs a credit code", field="credit_code")
        code = creditcode.validate(data.credit_code)
        if session.scalar(select(Party.id).where(Party.credit_code == code)) is not None:
            raise DuplicateParty(
                "a party with this credit code exists already", field="credit_code"
            )
    party = Party(
        kind=party_kind.value,
        category=cat.value,
        name=name,
        credit_code=code,
        id_hash=id_hash,
        id_masked=id_masked,
        birth_date=birth_date,
        registered_on=registered_on,
        address=data.address,
        bureau=party_bureau,
    )
    audit.add_and_record(
        session,
        party,
        actor=actor,
        action="party.create",
        detail={"kind": party.kind, "category": party.category, "bureau": party_bureau},
    )
    return party


def get_party(session: Session, party_id: int, *, scope: Scope = Scope.ALL) -> Party:
    """The party; PartyNotFound when missing or of another bureau than the scope's."""
    party = session.get(Party, party_id)
    if party is None or not scope.covers_bureau(party.bureau):
        raise PartyNotFound(f"no party {party_id}", field="party_id")
    return party


def get_party_by_identifier(
    session: Session,
    *,
    key: bytes,
    credit_code: str | None = None,
    id_number: str | None = None,
    scope: Scope = Scope.ALL,
) -> Party:
    """The party with this credit code or ID number (matched by keyed hash), or PartyNotFound."""
    if credit_code:
        code = creditcode.validate(credit_code)
        party = session.scalar(select(Party).where(Party.credit_code == code))
    elif id_number:
        normalized = idnumber.validate(id_number, field_name="id_number")
        digest = privacy.keyed_hash(normalized, key, purpose=ID_PURPOSE)
        party = session.scalar(select(Party).where(Party.id_hash == digest))
    else:
        raise InvalidInput("give a credit code or an ID number", field="credit_code")
    if party is None or not scope.covers_bureau(party.bureau):
        raise PartyNotFound(
            "no party with this identifier", field="credit_code" if credit_code else "id_number"
        )
    return party


def list_parties(
    session: Session, *, q: str = "", limit: int = 50, scope: Scope = Scope.ALL
) -> list[Party]:
    """Parties whose name contains ``q`` or whose credit code is ``q`` (oldest first), or the
    newest ``limit`` parties when ``q`` is empty; of the scope's bureau only."""
    query = q.strip()[:100]
    stmt = select(Party).where(party_filter(scope)).limit(min(max(limit, 1), 1000))
    if query:
        stmt = stmt.where(
            or_(Party.name.contains(query), Party.credit_code == query.upper())
        ).order_by(Party.id)
    else:
        stmt = stmt.order_by(Party.id.desc())
    return list(session.scalars(stmt))


def count_parties(session: Session, *, scope: Scope = Scope.ALL) -> int:
    return session.scalar(select(func.count()).select_from(Party).where(party_filter(scope))) or 0


def party_names(session: Session, party_ids: set[int]) -> dict[int, str]:
    """Party id → name (as stored; for staff pages), for the ids given."""
    if not party_ids:
        return {}
    rows = session.execute(select(Party.id, Party.name).where(Party.id.in_(party_ids)))
    return {pid: name for pid, name in rows}
