"""Issue 12 items 5, 12 and 16 on the enforcement API: every date, id, amount and text a route
takes is bounded at the schema (core.validation's types), and the hand-parsed rule inputs
(``/decide``, ``/grade/explain``) refuse what they cannot use by name: out of range is a 422
with the standard body naming the field — never a 500, never stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from minsheng.enforcement import schemas
from tests.conftest import table_counts

Token = Callable[[str], dict[str, str]]

NUL = "\x00"
RLO = "\u202e"  # right-to-left override
BIG_ID = str(2**63)
EARLY = "0001-01-01"
LATE = "9999-12-31"
PARTY = {"kind": "person", "category": "street_vendor", "name": "张三"}
CASE = {
    "party_id": 1,
    "item": "RS-01",
    "discovery": "patrol",
    "occurred_on": "2026-11-01",
    "discovered_on": "2026-11-02",
}
VIOLATION = {
    "item": "RS-01",
    "occurred_on": "2026-11-01",
    "discovered_on": "2026-11-02",
    "corrected_in_time": True,
}
E = "/api/enforcement"

# (method, path, query, JSON body, the field the 422 names)
CASES: list[tuple[str, str, dict[str, Any] | None, Any, str]] = [
    # parties
    ("POST", f"{E}/parties", None, {**PARTY, "name": f"张{NUL}"}, "name"),
    ("POST", f"{E}/parties", None, {**PARTY, "name": f"张{RLO}三"}, "name"),
    ("POST", f"{E}/parties", None, {**PARTY, "registered_on": EARLY}, "registered_on"),
    ("POST", f"{E}/parties", None, {**PARTY, "address": f"路{NUL}"}, "address"),
    ("GET", f"{E}/parties/{BIG_ID}", None, None, "party_id"),
    ("GET", f"{E}/parties/0/credit", None, None, "party_id"),
    # commitments
    (
        "POST",
        f"{E}/commitments",
        None,
        {"party_id": 1, "item": "RS-01", "signed_on": LATE},
        "signed_on",
    ),
    ("POST", f"{E}/commitments", None, {"party_id": BIG_ID, "item": "RS-01"}, "party_id"),
    ("GET", f"{E}/commitments", {"party_id": BIG_ID}, None, "party_id"),
    # cases
    ("POST", f"{E}/cases", None, {**CASE, "occurred_on": EARLY}, "occurred_on"),
    ("POST", f"{E}/cases", None, {**CASE, "discovered_on": LATE}, "discovered_on"),
    ("POST", f"{E}/cases", None, {**CASE, "facts": f"占道{NUL}"}, "facts"),
    ("POST", f"{E}/cases", None, {**CASE, "facts": f"占道{RLO}经营"}, "facts"),
    ("POST", f"{E}/cases", None, {**CASE, "site_id": BIG_ID}, "site_id"),
    ("POST", f"{E}/cases", None, {**CASE, "officers": [f"A{RLO}1"]}, "officers.0"),
    ("GET", f"{E}/cases", {"limit": "0"}, None, "limit"),
    ("GET", f"{E}/cases", {"limit": "1000000000"}, None, "limit"),
    ("GET", f"{E}/cases", {"status": f"open{NUL}"}, None, "status"),
    ("GET", f"{E}/cases/{BIG_ID}", None, None, "case_id"),
    ("GET", f"{E}/cases/-1/procedure", None, None, "case_id"),
    # case steps
    ("POST", f"{E}/cases/1/decide", None, {"fine_yuan": 2**63}, "fine_yuan"),
    ("POST", f"{E}/cases/1/decide", None, {"fine_yuan": -1}, "fine_yuan"),
    ("POST", f"{E}/cases/1/decide", None, {"decided_on": LATE}, "decided_on"),
    (
        "POST",
        f"{E}/cases/1/facts",
        None,
        {"harm": "minor", "corrected_in_time": True, "fine_base_yuan": 2**40},
        "fine_base_yuan",
    ),
    ("POST", f"{E}/cases/1/prior-notice", None, {"notice_on": EARLY}, "notice_on"),
    ("POST", f"{E}/cases/1/statement", None, {"statement": f"陈述{NUL}"}, "statement"),
    (
        "POST",
        f"{E}/cases/1/hearing/schedule",
        None,
        {"notified_on": "2026-11-03", "hearing_on": LATE, "place": "会议室", "presider": "李"},
        "hearing_on",
    ),
    ("POST", f"{E}/cases/1/decision", None, {"fine_yuan": 10**12}, "fine_yuan"),
    ("POST", f"{E}/cases/1/serve", None, {"served_on": EARLY}, "served_on"),
    ("POST", f"{E}/cases/1/rectification", None, {"rectify_by": LATE}, "rectify_by"),
    ("POST", f"{E}/cases/{BIG_ID}/close", None, None, "case_id"),
    # documents, evidence, credit, objections
    ("GET", f"{E}/documents/{BIG_ID}", None, None, "document_id"),
    ("GET", f"{E}/documents/{BIG_ID}/pdf", None, None, "document_id"),
    ("GET", f"{E}/evidence/not-a-hash", None, None, "sha256"),
    ("POST", f"{E}/credit-records/{BIG_ID}/repair", None, None, "record_id"),
    (
        "POST",
        f"{E}/objections",
        None,
        {"party_id": 1, "target": "grade", "target_id": BIG_ID, "grounds": "不服"},
        "target_id",
    ),
    (
        "POST",
        f"{E}/objections",
        None,
        {"party_id": 1, "target": "grade", "target_id": 1, "grounds": f"不服{RLO}"},
        "grounds",
    ),
    (
        "POST",
        f"{E}/objections/{BIG_ID}/review",
        None,
        {"upheld": True, "outcome": "维持"},
        "objection_id",
    ),
    # supervision
    (
        "POST",
        f"{E}/inspections",
        None,
        {"party_id": 1, "inspected_on": LATE, "passed": True, "items": [], "inspectors": []},
        "inspected_on",
    ),
    (
        "POST",
        f"{E}/industry-records",
        None,
        {"party_id": 1, "kind": "award", "recorded_on": EARLY},
        "recorded_on",
    ),
    ("POST", f"{E}/inspectors", None, {"code": f"A{NUL}", "name": "李"}, "code"),
    ("POST", f"{E}/grades/0", None, None, "year"),
    ("POST", f"{E}/grades/99999", None, None, "year"),
    ("GET", f"{E}/grades/0/1", None, None, "year"),
    ("GET", f"{E}/grades/2026/{BIG_ID}", None, None, "party_id"),
    ("GET", f"{E}/plan", {"year": "0", "seed": "1"}, None, "year"),
    ("GET", f"{E}/plan", {"year": "2026", "seed": str(2**64)}, None, "seed"),
    ("GET", f"{E}/stats", {"from": EARLY}, None, "from"),
    ("GET", f"{E}/stats", {"to": LATE}, None, "to"),
    ("GET", f"{E}/items", {"domain": f"road{NUL}"}, None, "domain"),
    # the hand-parsed rule inputs
    (
        "POST",
        f"{E}/decide",
        None,
        {"violation": {**VIOLATION, "occurred_on": EARLY}},
        "violation.occurred_on",
    ),
    ("POST", f"{E}/decide", None, {"violation": VIOLATION, "history": "abc"}, "history"),
    ("POST", f"{E}/decide", None, {"violation": VIOLATION, "history": [1]}, "history"),
    ("POST", f"{E}/decide", None, {"violation": VIOLATION, "commitments": 5}, "commitments"),
    (
        "POST",
        f"{E}/decide",
        None,
        {
            "violation": VIOLATION,
            "commitments": [{"signed_on": "2026-01-01", "valid_until": "2026-12-31", "item": {}}],
        },
        "commitments[0].item",
    ),
    ("POST", f"{E}/decide", None, {"violation": VIOLATION, "lookback_days": "x"}, "lookback_days"),
    (
        "POST",
        f"{E}/decide",
        None,
        {"violation": VIOLATION, "lookback_days": 10**9},
        "lookback_days",
    ),
    ("POST", f"{E}/grade/explain", None, {"penalties": 5}, "penalties"),
    ("POST", f"{E}/grade/explain", None, {"industry_records": {"a": 1}}, "industry_records"),
    ("POST", f"{E}/grade/explain", None, {"inspections": 10**30}, "inspections"),
]


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "field"),
    CASES,
    ids=[f"{c[0]} {c[1]} {c[4]}" for c in CASES],
)
def test_out_of_range_input_is_a_422_naming_the_field(
    client: TestClient,
    staff_token: Token,
    engine: Any,
    method: str,
    path: str,
    query: dict[str, Any] | None,
    body: Any,
    field: str,
) -> None:
    before = table_counts(engine)
    response = client.request(
        method, path, params=query, json=body, headers=staff_token("enforcement")
    )
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["field"] == field, answer
    assert answer["error"] in ("ValidationError", "InvalidInput", "InvalidDate"), answer
    after = table_counts(engine)
    # Nothing stored but the token's user (created before the request).
    assert {k: v for k, v in after.items() if not k.startswith("core_")} == {
        k: v for k, v in before.items() if not k.startswith("core_")
    }


def test_text_with_line_breaks_is_still_accepted() -> None:
    """The multi-line kind keeps tabs and line breaks (facts are written in paragraphs); the
    one-line kind does not."""
    facts = "第一段。\n\t第二段。\r\n"
    assert schemas.CaseOpen.model_validate({**CASE, "facts": facts}).facts == facts
    assert schemas.Statement.model_validate({"statement": facts}).statement == facts
    with pytest.raises(ValidationError, match="U\\+000A"):
        schemas.HearingSchedule.model_validate(
            {
                "notified_on": "2026-11-03",
                "hearing_on": "2026-11-20",
                "place": "会议室\n二楼",
                "presider": "李",
            }
        )
