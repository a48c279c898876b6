"""The hotline's lists in SQL: calls searched by the caller's number (keyed hash) or reference,
filtered by line, outcome, crisis and Beijing day, paged, within a region's scope; and the KPI
table by hotline with the lines' names."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from minsheng.core.config import Settings
from minsheng.core.errors import InvalidInput
from minsheng.core.paging import Page, PageRequest
from minsheng.core.scope import Scope
from minsheng.hotline import service
from minsheng.hotline.models import Call
from tests.hotline.test_service import DAY, run_calls


def search(session: Session, settings: Settings, scope: Scope = Scope.ALL, **kw: str) -> list:
    found = service.search_calls(
        session, service.call_filters(**kw), None, settings=settings, scope=scope
    )
    assert isinstance(found, list)
    return found


def test_calls_by_number_line_outcome_and_day(session: Session, settings: Settings) -> None:
    run_calls(session, settings)
    everything = search(session, settings)
    assert len(everything) == 3
    assert [c["arrived_at"] for c in everything] == sorted(
        (c["arrived_at"] for c in everything), reverse=True
    )
    by_number = search(session, settings, q="138 0013 8000")
    assert [c["outcome"] for c in by_number] == ["abandoned"]
    assert "13800138000" not in str(by_number) and "****" in by_number[0]["caller"]
    assert search(session, settings, q="+86 138-0013-8000") == by_number
    answered = search(session, settings, hotline="sz")
    assert [c["outcome"] for c in answered] == ["answered"]
    assert answered[0]["hotline_name"] == "sz 心理援助热线"
    assert answered[0]["counsellor_name"] == "a"
    ref = answered[0]["call_ref"]
    assert [c["call_ref"] for c in search(session, settings, q=ref[2:10])] == [ref]
    # a reference whose hex is all digits is found too (it also reads like a phone number)
    digits_ref = "20251231-1"
    session.execute(update(Call).where(Call.call_ref == ref).values(call_ref=digits_ref))
    assert [c["call_ref"] for c in search(session, settings, q="20251231-1")] == [digits_ref]
    session.execute(update(Call).where(Call.call_ref == digits_ref).values(call_ref=ref))
    assert len(search(session, settings, outcome="no_answer")) == 1
    assert search(session, settings, crisis="yes") == []
    day = DAY.date().isoformat()
    assert len(search(session, settings, from_=day, to=day)) == 3
    assert search(session, settings, from_="2025-06-05") == []
    page = service.search_calls(
        session, service.call_filters(), PageRequest(1, 20), settings=settings
    )
    assert isinstance(page, Page) and page.total == 3


def test_a_city_sees_its_own_calls(session: Session, settings: Settings) -> None:
    run_calls(session, settings)
    shenzhen = search(session, settings, scope=Scope(region="440300"))
    assert [c["outcome"] for c in shenzhen] == ["answered"]
    assert [h for h, _ in service.hotline_choices(session, scope=Scope(region="440300"))] == ["sz"]


def test_kpi_lines_are_named_filtered_and_paged(session: Session, settings: Settings) -> None:
    run_calls(session, settings)
    day = DAY.date().isoformat()
    filters = service.kpi_line_filters(from_=day, to=day)
    rows = service.kpi_lines(session, settings, filters, None)
    assert isinstance(rows, list) and rows
    assert all(r["hotline_name"].endswith("心理援助热线") for r in rows)
    offered = [r["offered"] for r in rows]
    assert offered == sorted(offered, reverse=True)
    only = service.kpi_lines(
        session, settings, service.kpi_line_filters(q="sz", from_=day, to=day), PageRequest()
    )
    assert isinstance(only, Page) and [r["hotline_id"] for r in only.items] == ["sz"]
    with pytest.raises(InvalidInput) as refused:
        service.kpi_lines(session, settings, filters, PageRequest(2, 20))
    assert refused.value.field == "page"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"crisis": "true"}, "crisis"),
        ({"to": "2025-02-30"}, "to"),
        ({"q": "\x1b[31m"}, "q"),
    ],
)
def test_bad_call_filters_name_their_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.call_filters(**kwargs)
    assert refused.value.field == field


def test_the_kpi_period_is_required_and_bounded() -> None:
    with pytest.raises(InvalidInput) as refused:
        service.kpi_line_filters(to="2025-01-01")
    assert refused.value.field == "from"
    with pytest.raises(InvalidInput) as refused:
        service.kpi_line_filters(from_=date(2024, 1, 1).isoformat(), to="2025-06-01")
    assert refused.value.field == "to"
