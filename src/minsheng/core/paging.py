"""Paging, filtering and exporting of staff lists, done in SQL (issue 18 item 6).

A service that lists records builds one ``select`` with its filters and the user's scope
(``core.scope``) in the WHERE clause, then hands it to :func:`paginate` (one page: a COUNT and a
LIMIT/OFFSET query) or :func:`export_rows` (every filtered row, streamed, up to
``MAX_EXPORT_ROWS``). Nothing loads the whole table into Python.

The query's page and filters are checked here too, so that the API (422) and the pages (the
error beside its field) refuse the same input with the same named field: ``page`` and
``page_size`` by :func:`page_request`, a choice by :func:`choice`, a date by :func:`date_filter`
and the search text by :func:`search_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from minsheng.core.errors import InvalidInput
from minsheng.core.validation import parse_date, text_problem

T = TypeVar("T")

PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 1_000_000
MAX_SEARCH_LENGTH = 100
# An export is a file a person opens in Excel: past this many rows, narrow the filter.
MAX_EXPORT_ROWS = 50_000


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list: 1-based ``page`` of ``size`` rows."""

    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_request(page: Any = None, size: Any = None) -> PageRequest:
    """A page request from what was typed (``"2"``, ``2`` or empty): a whole number from 1 and
    one of ``PAGE_SIZES``; anything else is ``InvalidInput`` naming ``page`` or ``page_size``."""
    number = _whole(page, 1, "page")
    if not 1 <= number <= MAX_PAGE:
        raise InvalidInput(f"page must be between 1 and {MAX_PAGE}", field="page")
    rows = _whole(size, DEFAULT_PAGE_SIZE, "page_size")
    if rows not in PAGE_SIZES:
        sizes = ", ".join(str(s) for s in PAGE_SIZES)
        raise InvalidInput(f"page_size must be one of {sizes}", field="page_size")
    return PageRequest(number, rows)


def _whole(value: Any, default: int, field: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a whole number", field=field)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InvalidInput(f"{field} must be a whole number: {text[:20]!r}", field=field)
    return int(text)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a filtered list, with the total of the filtered rows."""

    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row (0 when empty)."""
        return (self.page - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    def map(self, convert: Callable[[T], Any]) -> Page[Any]:
        return Page([convert(i) for i in self.items], self.total, self.page, self.size)

    def to_dict(self) -> dict[str, Any]:
        """The API's shape of a page."""
        return {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "page_size": self.size,
            "pages": self.pages,
        }


def count(session: Session, stmt: Select[*tuple[Any, ...]]) -> int:
    """How many rows ``stmt`` selects (its ORDER BY dropped)."""
    sub = stmt.order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(sub)) or 0


def paginate(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    request: PageRequest,
    convert: Callable[[Any], T],
) -> Page[T]:
    """One page of ``stmt`` (which carries its filters, scope and a stable ORDER BY), each row
    made into an item by ``convert``. A page past the last is ``InvalidInput`` on ``page``."""
    total = count(session, stmt)
    last = max(1, -(-total // request.size))
    if request.page > last:
        raise InvalidInput(
            f"page {request.page} is past the last page ({last})",
            field="page",
            extra={"pages": last},
        )
    rows = session.execute(stmt.limit(request.size).offset(request.offset))
    return Page([convert(row) for row in rows], total, request.page, request.size)


def export_rows(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    convert: Callable[[Any], T],
    *,
    limit: int = MAX_EXPORT_ROWS,
) -> list[T]:
    """Every row ``stmt`` selects, streamed in chunks; more than ``limit`` is ``InvalidInput``
    on ``q`` (narrow the search)."""
    found = count(session, stmt)
    if found > limit:
        raise InvalidInput(
            f"{found} rows match; an export holds at most {limit}: narrow the filter",
            field="q",
        )
    result = session.execute(stmt.execution_options(yield_per=1000))
    return [convert(row) for row in result]


# Filters ------------------------------------------------------------------------------------


def search_text(value: str | None, *, field: str = "q") -> str:
    """The search box's text, stripped; at most ``MAX_SEARCH_LENGTH`` clean characters."""
    text = (value or "").strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidInput(f"{field} is at most {MAX_SEARCH_LENGTH} characters", field=field)
    problem = text_problem(text)
    if problem is not None:
        raise InvalidInput(problem, field=field)
    return text


def choice(value: str | None, allowed: Iterable[str], *, field: str) -> str | None:
    """A filter that picks one of ``allowed`` (None when empty)."""
    text = (value or "").strip()
    if not text:
        return None
    options = list(allowed)
    if text not in options:
        shown = ", ".join(options[:12])
        raise InvalidInput(f"{field} must be one of {shown}: {text[:30]!r}", field=field)
    return text


def date_filter(value: str | date | None, *, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value, field=field) if value.strip() else None


def date_range(
    start: str | date | None, end: str | date | None, *, fields: tuple[str, str] = ("from", "to")
) -> tuple[date | None, date | None]:
    """A ``from``..``to`` filter (both inclusive); ``to`` before ``from`` names ``to``."""
    first = date_filter(start, field=fields[0])
    last = date_filter(end, field=fields[1])
    if first is not None and last is not None and last < first:
        raise InvalidInput("the period ends before it starts", field=fields[1])
    return first, last


def like_pattern(text: str) -> str:
    """``%text%`` for a LIKE with ``escape='\\\\'`` (so ``%`` and ``_`` typed are literal)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def applied(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The filters that were set (for an export's audit row and its file name)."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v}


def api_page(page: int, size: int) -> PageRequest:
    """The page of an API list (FastAPI has checked the types; the ranges are checked here)."""
    return page_request(page, size)


def page_of(rows: list[T], request: PageRequest) -> Page[T]:
    """One page of rows already computed (a plan, aggregated KPI groups: a few hundred at most,
    never a table), refused past the last page like :func:`paginate`."""
    last = max(1, -(-len(rows) // request.size))
    if request.page > last:
        past = f"page {request.page} is past the last page ({last})"
        raise InvalidInput(past, field="page", extra={"pages": last})
    items = rows[request.offset : request.offset + request.size]
    return Page(items, len(rows), request.page, request.size)
