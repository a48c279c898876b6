"""Parsing the ``decide`` JSON (shared by the CLI and the API) into ``rules.DecisionInput``.

Pure; every refusal names the field it is about (``violation.occurred_on``, ``history[2].item``…).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from minsheng.core import idnumber
from minsheng.core.errors import InvalidInput
from minsheng.core.validation import check_date
from minsheng.enforcement.errors import InvalidDate
from minsheng.enforcement.rules.base import Harm, MentalState, PartyKind
from minsheng.enforcement.rules.decision import (
    CommitmentRef,
    DecisionInput,
    PriorViolation,
    Violation,
)

StrEnumT = TypeVar("StrEnumT", bound=StrEnum)


class CommitmentKind(StrEnum):
    """How a commitment came about: in advance (a campaign, no violation), in a case, or to
    repair credit after a penalty — only the last two record an earlier violation (再犯)."""

    PROACTIVE = "proactive"
    CASE = "case"
    REPAIR = "repair"


def _date(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> date | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"{key} is required", field=f"{where}{key}")
        return None
    try:
        # Bounded (1900–2100) like every date the API takes: date arithmetic on year 1 or 9999
        # (the look-back window, commitment periods) would overflow.
        return check_date(date.fromisoformat(str(value)))
    except ValueError:
        raise InvalidDate(
            f"{str(value)[:40]!r} is not a YYYY-MM-DD date between 1900 and 2100",
            field=f"{where}{key}",
        ) from None


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


def _text(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput("must be text", field=f"{where}{key}")
    return value


def _objects(value: Any, field_name: str) -> list[Mapping[str, Any]]:
    """A list of JSON objects (``history``, ``commitments``); absent is empty."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise InvalidInput("must be a list of objects", field=field_name)
    return value


MAX_LOOKBACK_DAYS = 36_500


def _lookback(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LOOKBACK_DAYS:
        raise InvalidInput(
            f"must be a whole number of days, 0 to {MAX_LOOKBACK_DAYS}", field="lookback_days"
        )
    return value


def _bool(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput("must be true or false", field=f"{where}{key}")
    return value


def _birth_date(party: Mapping[str, Any], today: date) -> date | None:
    """``party.birth_date``, or the birth date in ``party.id_number`` (never echoed)."""
    given = _date(party, "birth_date", "party.", required=False)
    number = party.get("id_number")
    if number is None:
        return given
    valid = idnumber.validate(str(number), field_name="party.id_number", today=today)
    from_id = date(int(valid[6:10]), int(valid[10:12]), int(valid[12:14]))
    if given is not None and given != from_id:
        raise InvalidInput("differs from the ID number's birth date", field="party.birth_date")
    return from_id


def parse_decision_input(raw: Any, *, lookback_days: int) -> DecisionInput:
    """The ``decide`` JSON (see ``docs/enforcement.md``) as a ``DecisionInput``."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("the input must be a JSON object", field=None)
    party = raw.get("party") or {}
    if not isinstance(party, Mapping):
        raise InvalidInput("must be an object", field="party")
    violation = raw.get("violation")
    if not isinstance(violation, Mapping):
        raise InvalidInput("violation is required", field="violation")
    if not isinstance(violation.get("item"), str):
        raise InvalidInput("violation.item is required", field="violation.item")
    corrected = _bool(violation, "corrected_in_time", "violation.")
    base = violation.get("fine_base_yuan")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool) or base < 0):
        raise InvalidInput(
            "must be a whole number of yuan, 0 or more", field="violation.fine_base_yuan"
        )
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
        endangers_safety=_bool(violation, "endangers_safety", "violation."),
        no_fault_proven=_bool(violation, "no_fault_proven", "violation."),
        mental_state=_enum(
            MentalState, violation.get("mental_state", "normal"), "violation.mental_state"
        ),
        mitigating_basis=_strings(violation.get("mitigating_basis"), "violation.mitigating_basis"),
        fine_base_yuan=base,
    )
    history = []
    for i, h in enumerate(_objects(raw.get("history"), "history")):
        where = f"history[{i}]."
        when = _date(h, "occurred_on", where)
        assert when is not None
        history.append(
            PriorViolation(
                item=str(h.get("item")), occurred_on=when, penalised=bool(h.get("penalised"))
            )
        )
    commitments = []
    for i, c in enumerate(_objects(raw.get("commitments"), "commitments")):
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
                item=_text(c, "item", where),
                domain=_text(c, "domain", where),
                ref=str(c["id"]) if c.get("id") is not None else None,
                after_violation=_enum(CommitmentKind, c.get("kind", "proactive"), f"{where}kind")
                is not CommitmentKind.PROACTIVE,
                violation_item=str(c["violation_item"]) if c.get("violation_item") else None,
            )
        )
    return DecisionInput(
        party_kind=_enum(PartyKind, party.get("type", "person"), "party.type"),
        violation=v,
        history=tuple(history),
        commitments=tuple(commitments),
        signs_commitment_now=bool(raw.get("signs_commitment_now", False)),
        decided_on=_date(raw, "decided_on", "", required=False),
        lookback_days=_lookback(raw.get("lookback_days", lookback_days)),
        party_birth_date=_birth_date(party, discovered),
    )
