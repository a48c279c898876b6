"""Errors of the certification system.

Hierarchy (all ``minsheng.core.errors.DomainError``)::

    NotFound (404)
    ├── OccupationNotFound
    ├── BodyNotFound
    └── CertificateNotFound          (staff actions only; public lookups never raise it)
    Conflict (409)
    ├── DuplicateBody
    ├── DuplicateOccupation
    └── IssuanceRefused              (names every failed issuance rule in ``failures``)
    InvalidInput (422)
    ├── InvalidCertificateNumber
    ├── InvalidOccupationCode
    ├── InvalidDate
    ├── VerificationNeedsTwoFields
    ├── ImportRejected               (every bad row with line and field in ``rows``)
    └── AdTooLarge
    TooManyRequests (429)
    └── VerificationRateLimited
"""

from __future__ import annotations

from typing import Any

from minsheng.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests


class OccupationNotFound(NotFound):
    pass


class BodyNotFound(NotFound):
    pass


class CertificateNotFound(NotFound):
    pass


class DuplicateBody(Conflict):
    pass


class DuplicateOccupation(Conflict):
    pass


class IssuanceRefused(Conflict):
    def __init__(self, failures: list[dict[str, str]], rule_set: str) -> None:
        rules = ", ".join(f["rule"] for f in failures)
        super().__init__(
            f"issuance refused by {rule_set}: {rules}",
            field=failures[0]["field"] if failures else None,
            extra={"rule_set": rule_set, "failures": failures},
        )


class InvalidCertificateNumber(InvalidInput):
    pass


class InvalidOccupationCode(InvalidInput):
    pass


class InvalidDate(InvalidInput):
    pass


class VerificationNeedsTwoFields(InvalidInput):
    pass


class ImportRejected(InvalidInput):
    def __init__(self, rows: list[dict[str, Any]], total: int) -> None:
        first = rows[0]
        lines = len({r["line"] for r in rows})
        super().__init__(
            f"{len(rows)} problem(s) in {lines} bad row(s) of {total}; nothing imported. "
            f"First: line {first['line']}, {first['field']}: {first['reason']}",
            field=first["field"],
            extra={"rows": rows[:1000], "problems": len(rows), "bad_rows": lines},
        )


class AdTooLarge(InvalidInput):
    status_code = 413


class VerificationRateLimited(TooManyRequests):
    pass
