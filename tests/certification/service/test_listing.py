"""The staff list of certificates in SQL: by number (spaces ignored, a prefix), by ID number
(keyed hash), by name; filters; paging; a province's scope; holders masked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.schemas import CertificateStatusChange
from minsheng.core.config import Settings
from minsheng.core.errors import InvalidInput
from minsheng.core.paging import Page, PageRequest
from minsheng.core.scope import Scope
from tests.certification import factories as f

IDS = [f.make_id(f"1101051990030712{n}") for n in range(3)]


@pytest.fixture
def issued(session: Session, settings: Settings) -> list[str]:
    f.reference(session)
    b = f.body(session)
    numbers = []
    for n, (name, id_number) in enumerate(zip(("张伟", "李娜", "王芳"), IDS, strict=True)):
        req = f.issue_request(
            b.filing_no, name=name, id_number=id_number, issued_on=date(2024, 5, 10 + n)
        )
        numbers.append(service.issue_certificate(session, req, settings, actor="t").number)
    service.update_certificate_status(
        session, numbers[1], CertificateStatusChange(status="revoked", reason="舞弊"), actor="t"
    )
    return numbers


def search(session: Session, settings: Settings, scope: Scope = Scope.ALL, **kw: str) -> list:
    found = service.search_certificates(
        session, service.certificate_filters(**kw), None, key=settings.hmac_key, scope=scope
    )
    assert isinstance(found, list)
    return found


def test_search_by_number_id_and_name(
    session: Session, settings: Settings, issued: list[str]
) -> None:
    spaced = f"{issued[0][:6]} {issued[0][6:12]} {issued[0][12:]}".lower()
    assert [c["number"] for c in search(session, settings, q=spaced)] == [issued[0]]
    assert len(search(session, settings, q=issued[0][:16])) == 3
    assert [c["number"] for c in search(session, settings, q=IDS[2])] == [issued[2]]
    assert [c["number"] for c in search(session, settings, q="李")] == [issued[1]]
    row = search(session, settings, q="李")[0]
    assert row["name_masked"] == "李*" and row["id_masked"].count("*") == 8
    assert row["occupation"] and row["body"]
    with pytest.raises(InvalidInput) as refused:  # a wrong check digit
        search(session, settings, q=IDS[0][:17] + ("0" if IDS[0][17] != "0" else "1"))
    assert refused.value.field == "q"


def test_filters_paging_and_scope(session: Session, settings: Settings, issued: list[str]) -> None:
    assert [c["number"] for c in search(session, settings, status="revoked")] == [issued[1]]
    newest_first = [c["number"] for c in search(session, settings)]
    assert newest_first == issued[::-1]
    window = search(session, settings, from_="2024-05-11", to="2024-05-11")
    assert [c["number"] for c in window] == [issued[1]]
    assert len(search(session, settings, occupation="碳排放")) == 3
    assert search(session, settings, level="1") == []
    assert search(session, settings, body="没有这个机构") == []
    first = service.search_certificates(
        session, service.certificate_filters(), PageRequest(1, 20), key=settings.hmac_key
    )
    assert isinstance(first, Page) and first.total == 3
    # a Guangdong clerk sees none of Hainan's certificates, a Hainan clerk all
    assert search(session, settings, scope=Scope(region="440000")) == []
    assert len(search(session, settings, scope=Scope(region="460000"))) == 3
    counts = service.count_certificates_by_status(session, scope=Scope(region="460100"))
    assert counts == {"valid": 2, "revoked": 1}
    assert service.count_certificates_by_status(session, scope=Scope(region="440000")) == {}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"level": "6"}, "level"),
        ({"from_": "2024-13-01"}, "from"),
        ({"occupation": "x" * 101}, "occupation"),
    ],
)
def test_bad_filters_name_their_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.certificate_filters(**kwargs)
    assert refused.value.field == field
