"""Parsing the ``decide`` JSON (shared by the CLI and the API) into ``rules.DecisionInput``.

Pure; every refusal names the field it is about (``violation.occurred_on``, ``history[2].item``…).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import InvalidDate
from minsheng.enforcement.rules.base import Harm, PartyKind
from minsheng.enforcement.rules.decision import (
    CommitmentRef,
    DecisionInput,
    PriorViolation,
    Violation,
)

StrEnumT = TypeVar("StrEnumT", bound=StrEnum)


def _date(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> date | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"{key} is required", field=f"{where}{key}")
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidDate(f"{value!r} is not a YYYY-MM-DD date", field=f"{where}{key}") from None


def _enum(cls: type[StrEnumT], value: Any, field_name: str) -> StrEnumT:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(f"{value!r} is not one of: {allowed}", field=field_name) from None


def _strings(value: Any, field_name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise InvalidInput("must be a list of strings", field=field_name)
    return tuple(value)


def parse_decision_input(raw: Any, *, lookback_days: int) -> DecisionInput:
    """The ``decide`` JSON (see ``docs/enforcement.md``) as a ``DecisionInput``."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("the input must be a JSON object", field=None)
    party = raw.get("party") or {}
    violation = raw.get("violation")
    if not isinstance(violation, Mapping):
        raise InvalidInput("violation is required", field="violation")
    if not isinstance(violation.get("item"), str):
        raise InvalidInput("violation.item is required", field="violation.item")
    corrected = violation.get("corrected_in_time", False)
    if not isinstance(corrected, bool):
        raise InvalidInput("must be true or false", field="violation.corrected_in_time")
    occurred = _date(violation, "occurred_on", "violation.")
    discovered = _date(violation, "discovered_on", "violation.")
    assert occurred is not None
    assert discovered is not None
    v = Violation(
        item=violation["item"],
        occurred_on=occurred,
        discovered_on=discovered,
        ended_on=_date(violation, "ended_on", "violation.", required=False),
        harm=_enum(Harm, violation.get("harm", "minor"), "violation.harm"),
        corrected_in_time=corrected,
        aggravating=_strings(violation.get("aggravating"), "violation.aggravating"),
        mitigating=_strings(violation.get("mitigating"), "violation.mitigating"),
        endangers_safety=bool(violation.get("endangers_safety", False)),
    )
    history = []
    for i, h in enumerate(raw.get("history") or []):
        where = f"history[{i}]."
        when = _date(h, "occurred_on", where)
        assert when is not None
        history.append(
            PriorViolation(
                item=str(h.get("item")), occurred_on=when, penalised=bool(h.get("penalised"))
            )
        )
    commitments = []
    for i, c in enumerate(raw.get("commitments") or []):
        where = f"commitments[{i}]."
        signed = _date(c, "signed_on", where)
        until = _date(c, "valid_until", where)
        assert signed is not None
        assert until is not None
        if until < signed:
            raise InvalidDate("valid_until is before signed_on", field=f"{where}valid_until")
        if c.get("item") is None and c.get("domain") is None:
            raise InvalidInput("a commitment names an item or a domain", field=f"{where}item")
        commitments.append(
            CommitmentRef(
                signed_on=signed,
                valid_until=until,
                item=c.get("item"),
                domain=c.get("domain"),
                ref=str(c["id"]) if c.get("id") is not None else None,
            )
        )
    return DecisionInput(
        party_kind=_enum(PartyKind, party.get("type", "person"), "party.type"),
        violation=v,
        history=tuple(history),
        commitments=tuple(commitments),
        signs_commitment_now=bool(raw.get("signs_commitment_now", False)),
        decided_on=_date(raw, "decided_on", "", required=False),
        lookback_days=int(raw.get("lookback_days", lookback_days)),
    )
