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
    ├── ImportEncodingUnknown        (neither UTF-8, with or without BOM, nor GBK/GB18030)
    ├── ImportMalformed              (CSV the reader cannot split; names the line)
    ├── ImportFieldTooLong           (names the line and the column)
    ├── ImportTooLarge (413)
    ├── ImplausibleDate              (outside 1949-10-01 … 2100-12-31)
    └── AdTooLarge
    TooManyRequests (429)
    └── VerificationRateLimited
    AdScanOverBudget (503)            (the scan ran past its time budget)
"""

from __future__ import annotations

from typing import Any

from minsheng.core.errors import Conflict, DomainError, InvalidInput, NotFound, TooManyRequests


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


class ImportEncodingUnknown(InvalidInput):
    pass


class ImportMalformed(InvalidInput):
    def __init__(self, message: str, *, line: int, field: str | None = None) -> None:
        super().__init__(message, field=field, extra={"line": line})


class ImportFieldTooLong(ImportMalformed):
    pass


class ImportTooLarge(InvalidInput):
    status_code = 413


class ImplausibleDate(InvalidDate):
    pass


class AdTooLarge(InvalidInput):
    status_code = 413


class VerificationRateLimited(TooManyRequests):
    pass


class AdScanOverBudget(DomainError):
    """The scan took longer than ``cert_adscan_budget_s`` (a loaded server, never the input:
    every pattern is linear) and was stopped."""

    status_code = 503
