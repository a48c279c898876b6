"""The one way a staff page lists records (issue 18 item 6): a search box and filters, paging
(page size, total, 上一页/下一页, the query kept in every link) and the export of exactly the
filtered rows as CSV (UTF-8 with BOM, so Excel opens it) or Excel (.xlsx, openpyxl), with
Chinese column headers and every export audited (who, which filter, how many rows).

The filtering and paging happen in SQL in the systems' services (``core.paging``); a page calls
:func:`run` with a loader ``load(page_request)`` that checks the typed filters and asks its
service for one page, and its export route calls :func:`export` with the same loader asked for
every row (``load(None)``). A refused filter or page number is shown beside its field (422),
exactly as the API refuses it. Templates draw the pieces with ``_listing.html``'s macros.

The page is in the reader's language: each filter's ``label`` and ``hint`` are Chinese source
text that :func:`start` translates for the request (the catalogue's English when asked for).
Exports keep Chinese headers and labels whoever downloads them: they are files filed with and
merged into the bureaus' Chinese records, and a fixed header lets a spreadsheet or an import read
every export alike (``tests/web/test_lists.py`` reads them back).

Rows reach the export as the page shows them: names and ID or phone numbers already masked by
the service. A cell that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``) is
written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from minsheng.core import audit, i18n, paging, privacy, timeutil
from minsheng.core.auth import Principal
from minsheng.core.errors import DomainError, NotFound
from minsheng.core.paging import PAGE_SIZES, Page, PageRequest
from minsheng.web import render as r

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PAGING_FIELDS = ("page", "page_size")

Loader = Callable[[PageRequest | None], "Page[dict[str, Any]] | list[dict[str, Any]]"]


@dataclass(frozen=True)
class Filter:
    """One filter of a list: a text box (``text``), a drop-down (``select``: ``options`` of
    (value, label), an empty "全部" first) or a date (``date``)."""

    name: str
    label: str
    kind: str = "text"
    options: Sequence[tuple[str, str]] = ()
    hint: str = ""
    width: str = "160px"


@dataclass(frozen=True)
class Column:
    """One column of an export: its Chinese header and how a row gives its cell."""

    header: str
    value: Callable[[dict[str, Any]], Any]


def col(header: str, key: str, labels: Mapping[str, str] | None = None) -> Column:
    """A column showing ``row[key]`` (through ``labels`` when given: a status → its Chinese)."""
    if labels is None:
        return Column(header, lambda row: row.get(key))
    return Column(header, lambda row: labels.get(row.get(key) or "", row.get(key)))


@dataclass
class Listing:
    """A list page's state: where it lives, the query as typed, its filters and the page."""

    path: str
    filters: Sequence[Filter]
    values: dict[str, str]
    form: r.Form
    page: Page[dict[str, Any]] | None = None
    export_path: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def query(self, **changes: Any) -> str:
        """This list's query string with ``changes`` (empty values dropped)."""
        merged: dict[str, Any] = {**self.extra, **self.values, **changes}
        return urlencode({k: v for k, v in merged.items() if v not in (None, "")})

    def url(self, **changes: Any) -> str:
        query = self.query(**changes)
        return f"{self.path}?{query}" if query else self.path

    def page_url(self, number: int) -> str:
        return self.url(page=number if number > 1 else "")

    def export_url(self, fmt: str) -> str:
        assert self.export_path is not None
        query = self.query(page="")
        base = f"{self.export_path}.{fmt}"
        return f"{base}?{query}" if query else base

    @property
    def active(self) -> bool:
        """Whether any filter is set (the page then offers to clear them)."""
        return any(self.values.get(f.name) for f in self.filters)

    @property
    def page_sizes(self) -> tuple[int, ...]:
        return PAGE_SIZES


def start(
    request: Request,
    path: str,
    filters: Sequence[Filter],
    *,
    export_path: str | None = None,
    extra: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
) -> Listing:
    """The list's state from the request's query: each filter's text (stripped, at most 200
    characters: the services refuse longer), the page and the page size."""
    names = [f.name for f in filters] + list(PAGING_FIELDS)
    values: dict[str, str] = {}
    for name in names:
        typed = request.query_params.get(name)
        if typed is None and defaults and name in defaults:
            typed = defaults[name]
        if typed:
            values[name] = typed.strip()[:200]
    form = r.Form(values=dict(values), fields=tuple(names))
    shown = [
        replace(f, label=i18n.gettext(f.label), hint=i18n.gettext(f.hint) if f.hint else "")
        for f in filters
    ]
    return Listing(path, shown, values, form, export_path=export_path, extra=dict(extra or {}))


def run(listing: Listing, load: Loader) -> int:
    """Load the page the query asks for; a refused filter or page goes beside its field.
    Returns the status of the page (200, or the refusal's: 422)."""
    try:
        request = paging.page_request(listing.get("page"), listing.get("page_size"))
        found = load(request)
    except DomainError as exc:
        listing.form.add_domain(exc)
        return exc.status_code
    assert isinstance(found, Page)
    listing.page = found
    return 200


def render(
    request: Request,
    listing: Listing,
    load: Loader,
    template: str,
    context: Mapping[str, Any],
) -> HTMLResponse:
    """Run the listing and render its page (``lst`` in the template)."""
    status = run(listing, load)
    return r.render(request, template, {**context, "lst": listing}, status_code=status)


# Export ---------------------------------------------------------------------------------------


def _cell(value: Any, *, quote_formulas: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if quote_formulas and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def table(
    rows: Sequence[dict[str, Any]], columns: Sequence[Column], *, quote_formulas: bool = True
) -> list[list[Any]]:
    """The export's cells: the header row, then one row per record."""
    header = [c.header for c in columns]
    return [header] + [
        [_cell(c.value(row), quote_formulas=quote_formulas) for c in columns] for row in rows
    ]


def csv_bytes(cells: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark: Excel on Chinese Windows then reads the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(cells)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(cells: list[list[Any]], sheet: str) -> bytes:
    """A workbook written row by row (openpyxl's write-only mode): bold headers, frozen first
    row, columns as wide as their longest cell; a text starting with ``=`` stays text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.freeze_panes = "A2"
    widths = [0] * (len(cells[0]) if cells else 0)
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(str(value)))
    for i, width in enumerate(widths):
        letter = _column_letter(i)
        ws.column_dimensions[letter].width = min(max(width * 1.6, 8), 60)
    bold = Font(bold=True)

    def text_cell(value: Any) -> Any:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # a name starting with "=" is text, not a formula
        return cell

    for n, row in enumerate(cells):
        if n == 0:
            header = [WriteOnlyCell(ws, value=v) for v in row]
            for cell in header:
                cell.font = bold
            ws.append(header)
            continue
        ws.append([text_cell(v) if isinstance(v, str) and v[:1] == "=" else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def export(
    session: Session,
    user: Principal,
    listing: Listing,
    load: Loader,
    *,
    fmt: str,
    name: str,
    title: str,
    table_name: str,
    columns: Sequence[Column],
) -> Response:
    """Every row the listing's filters select as a CSV or .xlsx file, audited as
    ``export.<name>`` with the format, the filters (numbers in them masked) and the row count.
    A refused filter raises (the error page names the field)."""
    if fmt not in FORMATS:
        raise NotFound(f"no export format {fmt!r}", field="format")
    found = load(None)
    rows = found.items if isinstance(found, Page) else found
    cells = table(rows, columns, quote_formulas=fmt == "csv")
    body = csv_bytes(cells) if fmt == "csv" else xlsx_bytes(cells, title)
    filters = {
        k: privacy.redact(v) for k, v in listing.values.items() if k not in PAGING_FIELDS and v
    }
    audit.record(
        session,
        actor=user.actor,
        action=f"export.{name}",
        table=table_name,
        record_id=fmt,
        detail={"format": fmt, "filters": filters, "rows": len(rows)},
    )
    stamp = timeutil.today().strftime("%Y%m%d")
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"',
            "X-Export-Rows": str(len(rows)),
        },
    )
