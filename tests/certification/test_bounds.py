"""Issue 12 items 5 and 12 on the certification API: dates, numbers and text are bounded at the
schema, so a value out of range is a 422 with the standard body naming the field (never a 500,
never stored). The public subsidy decision with ``issued_on: 9999-11-30`` was a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.certification import factories as f

Token = Callable[[str], dict[str, str]]
API = "/api/certification"

NUL = "\x00"
RLO = "\u202e"  # right-to-left override
BIG = 2**63
EARLY = "0001-01-01"
LATE = "9999-12-31"

SUBSIDY: dict[str, Any] = {
    "applicant": {"insured_months": 12, "category": "enterprise_employee", "province_code": "44"},
    "certificate": {"occupation_code": f.CARBON, "level": 3, "issued_on": "2024-03-01"},
    "applied_on": "2024-04-01",
    "training_subsidy_same_training": False,
}
BODY: dict[str, Any] = {
    "name": "测试评价中心",
    "body_type": "S",
    "code": "0000",
    "province_code": "46",
    "valid_from": "2022-01-01",
    "scope": [{"occupation_code": f.CARBON, "levels": [4]}],
}
ISSUE: dict[str, Any] = {
    "name": "张伟",
    "id_number": f.make_id(),
    "occupation_code": f.CARBON,
    "level": 4,
    "body": "S0000-46-0001",
    "province_code": "46",
    "site_code": "460100",
    "issued_on": "2024-05-10",
}
NUMBER = "S000046460100244000001"
REASON = {"status": "revoked", "reason": "证书信息有误"}


def _with(base: dict[str, Any], part: str | None, **values: Any) -> dict[str, Any]:
    """A copy of ``base`` with ``values`` set at the top level or inside ``base[part]``."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    (out[part] if part else out).update(values)
    return out


# (method, path, query, JSON body, the field the 422 names)
CASES: list[tuple[str, str, dict[str, str] | None, dict[str, Any] | None, str]] = [
    # public: the subsidy decision
    (
        "POST",
        f"{API}/subsidy/decide",
        None,
        _with(SUBSIDY, "certificate", issued_on="9999-11-30"),
        "certificate.issued_on",
    ),
    (
        "POST",
        f"{API}/subsidy/decide",
        None,
        _with(SUBSIDY, "certificate", issued_on=EARLY),
        "certificate.issued_on",
    ),
    ("POST", f"{API}/subsidy/decide", None, _with(SUBSIDY, None, applied_on=LATE), "applied_on"),
    (
        "POST",
        f"{API}/subsidy/decide",
        None,
        _with(
            SUBSIDY,
            None,
            previous_claims=[{"occupation_code": f.CARBON, "level": 4, "paid_on": EARLY}],
        ),
        "previous_claims.0.paid_on",
    ),
    (
        "POST",
        f"{API}/subsidy/decide",
        None,
        _with(SUBSIDY, "applicant", id_number=f"1101{NUL}05"),
        "applicant.id_number",
    ),
    # public: lookups and verification
    ("POST", f"{API}/verify", None, {"name": f"张{NUL}伟", "number": NUMBER}, "name"),
    ("POST", f"{API}/verify", None, {"name": "张伟", "number": f"{RLO}{NUMBER}"}, "number"),
    (
        "POST",
        f"{API}/verify",
        None,
        {"id_number": f"{f.make_id()}{RLO}", "number": NUMBER},
        "id_number",
    ),
    ("GET", f"{API}/occupations/{quote(f.CARBON + NUL)}", None, None, "code"),
    ("GET", f"{API}/occupations", {"q": f"碳{RLO}"}, None, "q"),
    ("GET", f"{API}/bodies", {"q": f"S0000{NUL}"}, None, "q"),
    ("GET", f"{API}/standards", {"occupation": f"{f.CARBON}{NUL}"}, None, "occupation"),
    ("GET", f"{API}/numbers/{quote(RLO + NUMBER)}", None, None, "number"),
    ("GET", f"{API}/v/{quote(RLO)}abc", None, None, "token"),
    # staff: bodies
    ("POST", f"{API}/bodies", None, _with(BODY, None, valid_from=EARLY), "valid_from"),
    ("POST", f"{API}/bodies", None, _with(BODY, None, valid_to=LATE), "valid_to"),
    ("POST", f"{API}/bodies", None, _with(BODY, None, name=f"测试{RLO}评价中心"), "name"),
    (
        "POST",
        f"{API}/bodies/S0000-46-0001/status",
        None,
        {"status": "suspended", "reason": f"暂停{NUL}"},
        "reason",
    ),
    ("POST", f"{API}/bodies/{quote('S0000' + NUL)}/status", None, REASON, "filing_no"),
    # staff: certificates
    ("POST", f"{API}/certificates", None, _with(ISSUE, None, issued_on=LATE), "issued_on"),
    ("POST", f"{API}/certificates", None, _with(ISSUE, None, issued_on=EARLY), "issued_on"),
    ("POST", f"{API}/certificates", None, _with(ISSUE, None, name=f"张{NUL}伟"), "name"),
    ("POST", f"{API}/certificates", None, _with(ISSUE, None, name=f"张{RLO}伟"), "name"),
    ("POST", f"{API}/certificates", None, _with(ISSUE, None, level=BIG), "level"),
    (
        "POST",
        f"{API}/certificates/{NUMBER}/status",
        None,
        _with(REASON, None, reason=f"信息{RLO}有误"),
        "reason",
    ),
    ("POST", f"{API}/certificates/{quote(NUMBER + NUL)}/status", None, REASON, "number"),
    ("GET", f"{API}/subsidy/stats", {"start": EARLY, "end": "2025-01-01"}, None, "start"),
    ("GET", f"{API}/subsidy/stats", {"start": "2025-01-01", "end": LATE}, None, "end"),
]


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "field"),
    CASES,
    ids=[f"{c[0]} {c[1]} {c[4]}".encode("unicode_escape").decode() for c in CASES],
)
def test_out_of_range_input_is_a_422_naming_the_field(
    client: TestClient,
    staff_token: Token,
    method: str,
    path: str,
    query: dict[str, str] | None,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    reply = client.request(
        method, path, params=query, json=body, headers=staff_token("certification")
    )
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == "application/json"
    answer = reply.json()
    assert set(answer) >= {"error", "detail", "field"}, answer
    assert answer["error"] == "ValidationError"
    assert answer["field"] == field, answer


def test_values_inside_the_bounds_still_work(client: TestClient, staff_token: Token) -> None:
    decision = client.post(
        f"{API}/subsidy/decide", json=_with(SUBSIDY, "certificate", issued_on="2100-12-31")
    )
    assert decision.status_code == 200, decision.text
    stats = client.get(
        f"{API}/subsidy/stats",
        params={"start": "1900-01-01", "end": "2100-12-31"},
        headers=staff_token("certification"),
    )
    assert stats.status_code == 200, stats.text
