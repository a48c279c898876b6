"""Builders for enforcement tests: valid ID numbers and credit codes, parties, cases."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from minsheng.core import creditcode
from minsheng.core.idnumber import check_character
from minsheng.enforcement import schemas, service
from minsheng.enforcement.models import Party
from tests.conftest import TEST_SECRET

KEY = TEST_SECRET.encode()
_counter = itertools.count(1)


def id_number(seq: int | None = None, born: str = "19800101") -> str:
    n = next(_counter) if seq is None else seq
    first17 = f"460107{born}{n % 1000:03d}"
    return first17 + check_character(first17)


def credit_code(seq: int | None = None) -> str:
    n = next(_counter) if seq is None else seq
    body = creditcode.org_code(f"MA5T{n:04d}")
    return creditcode.with_check("91460107" + body)


def _create(session: Session, args: dict[str, Any]) -> Party:
    today = args.pop("today", None)
    data = schemas.PartyCreate.model_validate(args)
    return service.create_party(session, data, key=KEY, actor="test", today=today)


def person(session: Session, **kw: Any) -> Party:
    args: dict[str, Any] = {
        "kind": "person",
        "category": "street_vendor",
        "name": "符海南",
        "id_number": id_number(),
        "registered_on": date(2020, 1, 1),
    }
    args.update(kw)
    return _create(session, args)


def organisation(session: Session, **kw: Any) -> Party:
    args: dict[str, Any] = {
        "kind": "organisation",
        "category": "shop",
        "name": "琼山区测试便利店",
        "credit_code": credit_code(),
        "registered_on": date(2020, 1, 1),
    }
    args.update(kw)
    return _create(session, args)


def decide_json(**kw: Any) -> dict[str, Any]:
    """A ``decide`` input: a first, minor, corrected ZD-01 violation by an organisation."""
    data: dict[str, Any] = {
        "party": {"type": "organisation"},
        "violation": {
            "item": "ZD-01",
            "occurred_on": "2025-05-01",
            "discovered_on": "2025-05-02",
            "harm": "minor",
            "corrected_in_time": True,
            "aggravating": [],
        },
        "history": [],
        "commitments": [],
        "signs_commitment_now": True,
    }
    for k, v in kw.items():
        if k in data["violation"]:
            data["violation"][k] = v
        else:
            data[k] = v
    return data
