"""Plausible dates for the registry (issue 12, item 16): a date outside these bounds is a typing
or an attack (``0001-01-01``, ``9999-12-31``), never a real body filing or certificate, and is
refused with ``ImplausibleDate`` before any rule or arithmetic runs on it.

- Bodies (filing dates) and occupations: 1949-10-01 (founding of the People's Republic; no
  filing of this registry predates it) to 2100-12-31.
- Certificates: 2000-01-01 to 2100-12-31 — the number carries the year in two digits read as
  20YY (《职业技能等级证书编码规则（试行）》, 人社鉴发〔2019〕2号, positions 14–15), so an earlier
  year cannot be numbered.
- Subsidy applications and claims: 2017-01-01 (the first rule set) to 2100-12-31.
"""

from __future__ import annotations

from datetime import date

EARLIEST = date(1949, 10, 1)
LATEST = date(2100, 12, 31)
CERTIFICATES_FROM = date(2000, 1, 1)
SUBSIDY_FROM = date(2017, 1, 1)


def date_problem(value: date, *, earliest: date = EARLIEST, latest: date = LATEST) -> str | None:
    """Why ``value`` is implausible (a sentence), or None."""
    if value < earliest or value > latest:
        return (
            f"日期 {value.isoformat()} 不合理：须在 {earliest.isoformat()} 至 "
            f"{latest.isoformat()} 之间 (implausible date)"
        )
    return None
