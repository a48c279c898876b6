"""The bounded input types of core.validation (dates, ids, clean text)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from minsheng.core.validation import (
    AwareDateTime,
    BoundedDate,
    BoundedDateTime,
    CleanMultilineText,
    CleanText,
    DbId,
    Year,
    check_text,
)


@pytest.mark.parametrize("text", ["1900-01-01", "2026-12-01", "2100-12-31"])
def test_dates_inside_the_bounds_pass(text: str) -> None:
    assert TypeAdapter(BoundedDate).validate_python(text) == date.fromisoformat(text)


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_dates_outside_the_bounds_fail(text: str) -> None:
    with pytest.raises(ValidationError, match="between 1900-01-01 and 2100-12-31"):
        TypeAdapter(BoundedDate).validate_python(text)


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2026-01-01T00:00:00+14:01"],
)
def test_datetimes_with_wild_years_or_offsets_fail(text: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(BoundedDateTime).validate_python(text)


def test_datetimes_at_the_widest_real_offsets_pass() -> None:
    for text in ("2026-12-01T08:00:00+14:00", "2026-12-01T08:00:00-12:00", "2026-12-01T08:00"):
        assert isinstance(TypeAdapter(BoundedDateTime).validate_python(text), datetime)


def test_an_aware_datetime_needs_its_offset() -> None:
    adapter = TypeAdapter(AwareDateTime)
    assert adapter.validate_python("2026-12-01T08:00:00+08:00").utcoffset() is not None
    with pytest.raises(ValidationError, match="UTC offset"):
        adapter.validate_python("2026-12-01T08:00:00")


@pytest.mark.parametrize("value", [0, -1, 2**63, 2**64])
def test_ids_beyond_bigint_or_below_one_fail(value: int) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(DbId).validate_python(value)
    assert TypeAdapter(DbId).validate_python(2**63 - 1) == 2**63 - 1


@pytest.mark.parametrize("value", [0, 1899, 2101])
def test_years_outside_the_bounds_fail(value: int) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Year).validate_python(value)


@pytest.mark.parametrize(
    "text", ["a\x00b", "evil\u202etxt.exe", "\u2066x\u2069", "x\u200fy", "bell\x07", "esc\x1b[31m"]
)
def test_control_and_bidi_characters_are_refused(text: str) -> None:
    for kind in (CleanText, CleanMultilineText):
        with pytest.raises(ValidationError, match="not allowed"):
            TypeAdapter(kind).validate_python(text)
    with pytest.raises(ValueError, match=r"U\+"):
        check_text(text)


def test_line_breaks_only_in_multiline_text() -> None:
    text = "第一行\n第二行\t(附注)\r\n"
    assert TypeAdapter(CleanMultilineText).validate_python(text) == text
    with pytest.raises(ValidationError):
        TypeAdapter(CleanText).validate_python(text)
    assert TypeAdapter(CleanText).validate_python("张三 Zhang-San (ZWJ 👨‍👩‍👧)") is not None
