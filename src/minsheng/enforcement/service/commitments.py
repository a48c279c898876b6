"""Credit commitments (信用承诺书): signed proactively, on a case (the condition of a 首违免罚),
or to repair credit after a penalty. Flush, never commit."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit, timeutil
from minsheng.core.errors import InvalidInput
from minsheng.core.scope import Scope
from minsheng.enforcement.errors import InvalidDate
from minsheng.enforcement.models import Commitment
from minsheng.enforcement.rules.base import STANDARD_PROMISES
from minsheng.enforcement.schemas import CommitmentCreate
from minsheng.enforcement.service import catalog, documents
from minsheng.enforcement.service.common import check_not_future
from minsheng.enforcement.service.parties import get_party
from minsheng.enforcement.service.scoping import party_column_filter

CommitmentKind = Literal["proactive", "case", "repair"]


def commitment_dict(c: Commitment) -> dict[str, Any]:
    return {
        "id": c.id,
        "party_id": c.party_id,
        "domain": c.domain,
        "item": c.item_id,
        "kind": c.kind,
        "promises": [{"code": p, "text": STANDARD_PROMISES.get(p, p)} for p in c.promises],
        "consent_publish": c.consent_publish,
        "signed_on": c.signed_on.isoformat(),
        "valid_until": c.valid_until.isoformat(),
        "case_id": c.case_id,
        "officer": c.officer,
    }


def sign_commitment(
    session: Session,
    data: CommitmentCreate,
    *,
    officer: str,
    actor: str,
    valid_days: int,
    kind: CommitmentKind = "proactive",
    case_id: int | None = None,
    today: date | None = None,
    scope: Scope = Scope.ALL,
) -> Commitment:
    """Record a signed 信用承诺书 for one item (or a whole domain)."""
    today = today or timeutil.today()
    rulebase = catalog.rulebase()
    get_party(session, data.party_id, scope=scope)
    domain, item_id = data.domain, data.item
    if item_id is not None:
        item = rulebase.require_item(item_id, field_name="item")
        if domain is not None and domain != item.domain:
            raise InvalidInput(f"item {item_id} belongs to domain {item.domain}", field="domain")
        domain = item.domain
    if domain is None or domain not in rulebase.domains:
        known = ", ".join(rulebase.domains)
        raise InvalidInput(f"unknown domain {domain!r}; known: {known}", field="domain")
    signed_on = data.signed_on or today
    check_not_future(signed_on, "signed_on", today)
    valid_until = data.valid_until or signed_on + timedelta(days=valid_days)
    if valid_until <= signed_on:
        raise InvalidDate("valid_until must be after signed_on", field="valid_until")
    commitment = Commitment(
        party_id=data.party_id,
        domain=domain,
        item_id=item_id,
        kind=kind,
        promises=list(STANDARD_PROMISES),
        consent_publish=data.consent_publish,
        signed_on=signed_on,
        valid_until=valid_until,
        case_id=case_id,
        officer=officer,
    )
    audit.add_and_record(
        session,
        commitment,
        actor=actor,
        action="commitment.sign",
        detail={"party_id": data.party_id, "domain": domain, "item": item_id, "case_id": case_id},
    )
    party = get_party(session, data.party_id, scope=scope)
    documents.issue(
        session,
        "commitment",
        content={
            "party": {
                "name": party.name,
                "identifier": f"统一社会信用代码 {party.credit_code}"
                if party.credit_code
                else f"身份证号 {party.id_masked}",
                "address": party.address,
            },
            "scope": (
                f"{rulebase.require_item(item_id).description}（{item_id}）"
                if item_id
                else rulebase.domains[domain]
            ),
            "promises": [STANDARD_PROMISES[p] for p in commitment.promises],
            "signed_on_cn": timeutil.date_cn(signed_on),
            "valid_until_cn": timeutil.date_cn(valid_until),
            "consent_publish": data.consent_publish,
        },
        issued_on=signed_on,
        officer=officer,
        actor=actor,
        commitment_id=commitment.id,
        case_id=case_id,
    )
    return commitment


def list_commitments(
    session: Session, *, party_id: int | None = None, scope: Scope = Scope.ALL
) -> list[Commitment]:
    stmt = (
        select(Commitment)
        .where(party_column_filter(scope, Commitment.party_id))
        .order_by(Commitment.id)
    )
    if party_id is not None:
        stmt = stmt.where(Commitment.party_id == party_id)
    return list(session.scalars(stmt.limit(1000)))
