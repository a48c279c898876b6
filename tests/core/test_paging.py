"""core.paging: page requests and filters refused with the field named, and pages computed in
SQL (a COUNT and a LIMIT/OFFSET) over any select."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import paging
from minsheng.core.audit import AuditEntry, record
from minsheng.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("page", "size", "field"),
    [
        ("0", None, "page"),
        ("-1", None, "page"),
        ("1.5", None, "page"),
        ("abc", None, "page"),
        ("１", None, "page"),  # a full-width digit is not a page number
        ("9" * 12, None, "page"),
        (None, "7", "page_size"),
        (None, "1000", "page_size"),
        (None, "x", "page_size"),
    ],
)
def test_a_bad_page_names_its_field(page: str | None, size: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        paging.page_request(page, size)
    assert refused.value.field == field


def test_defaults_and_sizes() -> None:
    assert paging.page_request(None, None) == paging.PageRequest(1, 20)
    assert paging.page_request(" 3 ", "50") == paging.PageRequest(3, 50)
    assert paging.page_request(2, 100).offset == 100


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: paging.choice("x", ["a", "b"], field="status"), "status"),
        (lambda: paging.date_filter("2024-02-30", field="from"), "from"),
        (lambda: paging.date_range("2024-05-02", "2024-05-01"), "to"),
        (lambda: paging.search_text("a" * 101), "q"),
        (lambda: paging.search_text("a\x00b"), "q"),
        (lambda: paging.search_text("\u202eabc"), "q"),
    ],
)
def test_a_bad_filter_names_its_field(call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        call()  # type: ignore[operator]
    assert refused.value.field == field


def test_filters_that_pass() -> None:
    assert paging.choice("", ["a"], field="s") is None
    assert paging.choice(" a ", ["a"], field="s") == "a"
    assert paging.date_range("2024-05-01", "2024-05-01") == (date(2024, 5, 1),) * 2
    assert paging.like_pattern("50%_a\\") == "%50\\%\\_a\\\\%"
    assert paging.applied({"q": "", "from": date(2024, 1, 2), "s": "x"}) == {
        "from": "2024-01-02",
        "s": "x",
    }


def test_pages_in_sql(session: Session) -> None:
    for n in range(45):
        record(session, actor="test", action="paging.test", table="t", record_id=n)
    stmt = (
        select(AuditEntry.record_id)
        .where(AuditEntry.action == "paging.test")
        .order_by(AuditEntry.id)
    )
    first = paging.paginate(session, stmt, paging.PageRequest(1, 20), lambda r: int(r[0]))
    assert first.items == list(range(20))
    assert (first.total, first.pages, first.has_prev, first.has_next) == (45, 3, False, True)
    last = paging.paginate(session, stmt, paging.PageRequest(3, 20), lambda r: int(r[0]))
    assert last.items == list(range(40, 45))
    assert (last.first, last.last, last.has_next) == (41, 45, False)
    with pytest.raises(InvalidInput) as refused:
        paging.paginate(session, stmt, paging.PageRequest(4, 20), lambda r: r)
    assert refused.value.field == "page"
    assert refused.value.extra["pages"] == 3
    # an empty list has one (empty) page
    empty = stmt.where(AuditEntry.actor == "nobody")
    page = paging.paginate(session, empty, paging.PageRequest(1, 20), lambda r: r)
    assert (page.items, page.total, page.pages, page.first, page.last) == ([], 0, 1, 0, 0)
    assert [int(r) for r in paging.export_rows(session, stmt, lambda r: r[0])] == list(range(45))
    with pytest.raises(InvalidInput) as too_many:
        paging.export_rows(session, stmt, lambda r: r, limit=44)
    assert too_many.value.field == "q"


def test_a_page_of_computed_rows() -> None:
    rows = list(range(45))
    page = paging.page_of(rows, paging.PageRequest(3, 20))
    assert (page.items, page.total, page.pages) == (list(range(40, 45)), 45, 3)
    with pytest.raises(InvalidInput) as refused:
        paging.page_of(rows, paging.PageRequest(4, 20))
    assert refused.value.field == "page"
    assert paging.page_of([], paging.PageRequest()).pages == 1
