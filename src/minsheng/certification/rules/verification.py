"""The public verification request: a certificate is looked up by any two of the holder's ID
number, name and certificate number, never by one (the two-of-three lookup described by Xinhua,
2024-12-25, "职业技能等级证书如何考？怎么辨真伪？")."""

from __future__ import annotations

VERIFY_FIELDS = ("id_number", "name", "number")


def verification_fields(id_number: str | None, name: str | None, number: str | None) -> list[str]:
    """Which of the three fields were given (non-blank), in a fixed order."""
    given = {"id_number": id_number, "name": name, "number": number}
    return [k for k in VERIFY_FIELDS if (given[k] or "").strip()]
