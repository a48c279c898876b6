"""Checks the enforcement services share: dates not in the future, enum values by name."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TypeVar

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import InvalidDate

E = TypeVar("E", bound=StrEnum)


def check_not_future(value: date, field_name: str, today: date) -> None:
    if value > today:
        raise InvalidDate(f"{value.isoformat()} is in the future", field=field_name)


def parse_enum(cls: type[E], value: str, field_name: str) -> E:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(f"{value!r} is not one of: {allowed}", field=field_name) from None
