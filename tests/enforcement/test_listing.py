"""The enforcement lists in SQL: search by name or credit code, filters, paging, a bureau's
scope, masked persons, and the party picker's suggestions."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from minsheng.core.errors import InvalidInput
from minsheng.core.paging import Page, PageRequest
from minsheng.core.scope import Scope
from minsheng.enforcement import schemas, service
from tests.enforcement import factories as f


def _open(session: Session, party_id: int, day: int, team: list[str], item: str = "ZD-01") -> int:
    data = schemas.CaseOpen(
        party_id=party_id,
        item=item,
        discovery="patrol" if day % 2 else "complaint",
        occurred_on=date(2026, 3, day),
        discovered_on=date(2026, 3, day),
        officers=team,
    )
    return service.open_case(session, data, officer="t", actor="test").id


@pytest.fixture
def world(session: Session) -> dict[str, int]:
    shop = f.organisation(session, name="琼山区红旗粉店")
    other = f.organisation(session, name="美兰区椰风超市", bureau="乙局")
    vendor = f.person(session, name="符海南")
    team = f.officers(session)
    for day in range(1, 26):
        _open(session, shop.id, day, team)
    _open(session, other.id, 2, team)
    _open(session, vendor.id, 3, team)
    return {"shop": shop.id, "other": other.id, "vendor": vendor.id}


def page(found: object) -> Page[dict[str, object]]:
    assert isinstance(found, Page)
    return found


def test_cases_search_filter_and_page(session: Session, world: dict[str, int]) -> None:
    everything = page(service.search_cases(session, service.case_filters(), PageRequest(1, 20)))
    assert everything.total == 27 and len(everything.items) == 20
    ids = [r["id"] for r in everything.items]
    assert ids == sorted(ids, reverse=True)
    filters = service.case_filters(
        q="红旗", discovery="patrol", from_="2026-03-05", to="2026-03-15"
    )
    found = page(service.search_cases(session, filters, PageRequest(1, 20)))
    days = sorted(int(r["discovered_on"][-2:]) for r in found.items)
    assert days == [5, 7, 9, 11, 13, 15]
    assert {r["party_name"] for r in found.items} == {"琼山区红旗粉店"}
    code = service.party_dict(service.get_party(session, world["shop"]))["credit_code"]
    by_code = service.search_cases(session, service.case_filters(q=code.lower()), None)
    assert isinstance(by_code, list) and len(by_code) == 25
    one = page(service.search_cases(session, service.case_filters(q=f"#{ids[0]}"), PageRequest()))
    assert [r["id"] for r in one.items] == [ids[0]]
    second = page(service.search_cases(session, service.case_filters(), PageRequest(2, 20)))
    assert len(second.items) == 7 and not {r["id"] for r in second.items} & set(ids)


def test_a_person_is_masked_and_a_bureau_sees_its_own(
    session: Session, world: dict[str, int]
) -> None:
    rows = service.search_cases(session, service.case_filters(q="符海南"), None)
    assert isinstance(rows, list) and [r["party_name"] for r in rows] == ["符*南"]
    mine = service.search_cases(session, service.case_filters(), None, scope=Scope(bureau="乙局"))
    assert isinstance(mine, list) and [r["party_id"] for r in mine] == [world["other"]]
    parties = service.search_parties(
        session, service.party_filters(), None, scope=Scope(bureau="乙局")
    )
    assert isinstance(parties, list) and [p["id"] for p in parties] == [world["other"]]
    assert service.suggest_parties(session, "椰风", scope=Scope(bureau="甲局")) == []
    people = service.search_parties(session, service.party_filters(kind="person"), None)
    assert isinstance(people, list)
    assert [p["name"] for p in people] == ["符*南"]
    assert people[0]["id_number"].count("*") == 8


def test_suggestions_by_name_or_code(session: Session, world: dict[str, int]) -> None:
    assert [p["id"] for p in service.suggest_parties(session, "粉店")] == [world["shop"]]
    code = service.party_dict(service.get_party(session, world["shop"]))["credit_code"]
    assert [p["id"] for p in service.suggest_parties(session, code.lower())] == [world["shop"]]
    assert service.suggest_parties(session, "") == []
    assert service.suggest_parties(session, "%") == []  # a typed % is literal


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "nope"}, "status"),
        ({"discovery": "x"}, "discovery"),
        ({"from_": "2026-02-30"}, "from"),
        ({"from_": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_case_filters_name_their_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.case_filters(**kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_grades_filter(session: Session) -> None:
    assert service.grade_filters(year=2025, grade="A")["grade"] == "A"
    with pytest.raises(InvalidInput) as refused:
        service.grade_filters(year=2025, grade="E")
    assert refused.value.field == "grade"
    empty = page(service.search_grades(session, service.grade_filters(year=2025), PageRequest()))
    assert empty.total == 0 and empty.items == []
