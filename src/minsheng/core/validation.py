"""Bounded input types every system's schemas use, so out-of-range input is a 422 at the schema
and never an overflow deep inside a service (docs/security.md, items 5 and 12).

- ``BoundedDate``: 1900-01-01 … 2100-12-31. Older dates are no one's birth, certificate or case
  the platform holds; later ones no plan reaches. Inside these bounds date arithmetic of a few
  years and conversion between time zones cannot overflow (``0001-01-01`` with ``+23:59`` did).
- ``BoundedDateTime``: the same range, and a UTC offset of at most ±14:00 (the widest in use).
  ``AwareDateTime`` additionally requires the offset.
- ``DbId``: a row id, 1 … 2⁶³−1 (PostgreSQL BIGINT; larger ids overflowed the driver).
- ``Year`` (1900 … 2100), ``Month`` (1 … 12).
- ``CleanText`` / ``CleanMultilineText``: text with no control characters (NUL, ESC, …) and no
  bidirectional overrides or invisible direction marks (U+202A…U+202E, U+2066…U+2069, U+200E,
  U+200F, U+061C), which can make a name or a case fact display as something else
  ("Trojan Source"). The multi-line kind allows tab and line breaks. ``check_text`` is the same
  rule for code that does not go through pydantic (CSV imports, the CLI).
- ``FreeText`` / ``FreeLine``: clean text a staff member types freely (call notes, case facts,
  follow-up notes, objections, reasons) with every mobile number and 18- or 15-digit ID number
  masked as it is written (``core.privacy.redact``, the patterns the log filter uses), so the
  database never holds them in clear (issue 12 item 11). No free-text field needs the number:
  a party's ID is its own field (kept as a keyed hash and a mask), a caller's number the call's.

Use in a schema::

    class CaseCreate(BaseModel):
        facts: CleanMultilineText = Field(max_length=4000)
        found_on: BoundedDate

and in a route's query: ``at: BoundedDateTime | None = None``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    TypeAdapter,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from minsheng.core.errors import InvalidInput
from minsheng.core.privacy import redact

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
MAX_UTC_OFFSET = timedelta(hours=14)
MAX_DB_ID = 2**63 - 1

# Invisible characters that change how the text around them is displayed.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u200e\u200f\u061c"  # LRM RLM ALM
)
LINE_WHITESPACE = frozenset("\t\n\r")


# The same rule as ``text_problem`` for the OpenAPI document (ECMA-262 and Python ``re`` alike),
# so generated clients and fuzzers know which characters are refused.
_REFUSED = r"\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
TEXT_PATTERN = rf"^[^\u0000-\u001f{_REFUSED}]*$"
MULTILINE_TEXT_PATTERN = rf"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f{_REFUSED}]*$"
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def not_a_timestamp(value: Any) -> Any:
    """Dates and times are written out (``2026-12-01``): pydantic would read a bare number as
    seconds since 1970, so ``?to=0`` meant 1970-01-01."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("write dates as YYYY-MM-DD (and times as ISO 8601), not as a number")
    if isinstance(value, str | bytes) and _NUMBER.fullmatch(
        value.decode("latin-1") if isinstance(value, bytes) else value
    ):
        raise ValueError("write dates as YYYY-MM-DD (and times as ISO 8601), not as a number")
    return value


class _Pattern:
    """Adds a ``pattern`` to the JSON schema of a text type (validation stays in Python)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


def check_date(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"date must be between {MIN_DATE} and {MAX_DATE}")
    return value


def check_datetime(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError("UTC offset must be within ±14:00")
    check_date(value.date())
    return value


def check_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time must carry a UTC offset (e.g. 2026-12-01T08:00:00+08:00)")
    return value


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with ``value`` (a sentence naming the first bad character), or None."""
    for index, char in enumerate(value):
        if multiline and char in LINE_WHITESPACE:
            continue
        if char in BIDI_CONTROLS:
            return f"bidirectional control U+{ord(char):04X} at position {index} is not allowed"
        if unicodedata.category(char) in ("Cc", "Cs"):
            return f"control character U+{ord(char):04X} at position {index} is not allowed"
    return None


def check_text(value: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or ValueError naming the first control character in it."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise ValueError(problem)
    return value


def _single_line(value: str) -> str:
    return check_text(value)


def _multi_line(value: str) -> str:
    return check_text(value, multiline=True)


def mask_free_text(value: str, *, multiline: bool = True) -> str:
    """``value`` checked like ``check_text`` and with phone and ID numbers masked."""
    return redact(check_text(value, multiline=multiline))


def _free_multi_line(value: str) -> str:
    return mask_free_text(value)


def _free_single_line(value: str) -> str:
    return mask_free_text(value, multiline=False)


BoundedDate = Annotated[date, BeforeValidator(not_a_timestamp), AfterValidator(check_date)]
BoundedDateTime = Annotated[
    datetime, BeforeValidator(not_a_timestamp), AfterValidator(check_datetime)
]
AwareDateTime = Annotated[
    datetime,
    BeforeValidator(not_a_timestamp),
    AfterValidator(check_aware),
    AfterValidator(check_datetime),
]
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]
Year = Annotated[int, Field(ge=MIN_DATE.year, le=MAX_DATE.year)]
Month = Annotated[int, Field(ge=1, le=12)]
CleanText = Annotated[str, AfterValidator(_single_line), _Pattern(TEXT_PATTERN)]
CleanMultilineText = Annotated[str, AfterValidator(_multi_line), _Pattern(MULTILINE_TEXT_PATTERN)]
FreeText = Annotated[str, AfterValidator(_free_multi_line), _Pattern(MULTILINE_TEXT_PATTERN)]
FreeLine = Annotated[str, AfterValidator(_free_single_line), _Pattern(TEXT_PATTERN)]


_DATE = TypeAdapter(BoundedDate)
DATE_HINT = "日期须为 YYYY-MM-DD 格式，且在 1900-01-01 至 2100-12-31 之间"


def parse_date(text: str, *, field: str) -> date:
    """A date typed into a page's form or query (``2026-12-01``) through ``BoundedDate``: the
    pages refuse what the API refuses, as ``InvalidInput`` naming the field (shown beside it)."""
    try:
        return _DATE.validate_python(text.strip())
    except ValidationError:
        raise InvalidInput(
            f"{DATE_HINT} (not a date between 1900-01-01 and 2100-12-31: {text.strip()[:40]!r})",
            field=field,
        ) from None
