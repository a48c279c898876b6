"""Free text a staff member types keeps no phone or ID number in clear (issue 12 item 11): the
numbers are masked as the text is written, with the patterns the log filter uses
(``core.privacy.redact``), so the database row holds the masked text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from minsheng.certification import schemas as cert_schemas
from minsheng.core.validation import mask_free_text
from minsheng.enforcement import schemas as enf_schemas
from minsheng.hotline import schemas as hotline_schemas

PHONE, ID18, ID15 = "13912345678", "11010519491231002X", "110105491231002"
TYPED = f"来电人手机 {PHONE}，身份证 {ID18}，旧证 {ID15}，+86 139-1234-5678。"
MASKED = "来电人手机 139****5678，身份证 110105********002X，旧证 110105******002，139****5678。"
CLEAR = (PHONE, ID18, ID15, "139-1234-5678")


def assert_masked(stored: str | None) -> None:
    assert stored is not None
    for number in CLEAR:
        assert number not in stored, stored
    assert "139****5678" in stored and "110105********002X" in stored


def test_the_free_text_types_mask() -> None:
    assert mask_free_text(TYPED) == MASKED
    assert mask_free_text("第一行\n第二行 13912345678") == "第一行\n第二行 139****5678"
    with pytest.raises(ValueError, match="control character"):
        mask_free_text("a\x00b")
    with pytest.raises(ValueError, match="control character"):
        mask_free_text("a\nb", multiline=False)


# Every field a staff member types freely, by schema: each must be FreeText or FreeLine.
FREE_TEXT_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    hotline_schemas.AssessmentCreate: ("notes", "follow_up_task"),
    hotline_schemas.FollowUpDone: ("note",),
    cert_schemas.BodyStatusChange: ("reason",),
    cert_schemas.CertificateStatusChange: ("reason",),
    enf_schemas.CaseOpen: ("facts",),
    enf_schemas.EvidenceAdd: ("note",),
    enf_schemas.CaseFacts: ("facts",),
    enf_schemas.CaseDecide: ("departure_reason",),
    enf_schemas.Statement: ("statement", "review", "new_facts"),
    enf_schemas.HearingHeld: ("record",),
    enf_schemas.LegalReview: ("note",),
    enf_schemas.FinalDecision: ("serious_reason",),
    enf_schemas.Extension: ("basis",),
    enf_schemas.ObjectionCreate: ("grounds",),
    enf_schemas.ObjectionReview: ("outcome",),
    enf_schemas.ConflictCreate: ("reason",),
    enf_schemas.IndustryRecordCreate: ("note",),
}


@pytest.mark.parametrize(
    ("model", "name"),
    [(m, n) for m, names in FREE_TEXT_FIELDS.items() for n in names],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_each_free_text_field_masks_on_validation(model: type[BaseModel], name: str) -> None:
    """The field as the schema declares it (type, limits, validators) masks what is typed."""
    field = model.model_fields[name]
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[field.annotation, *field.metadata])
    assert adapter.validate_python(TYPED) == MASKED


@pytest.fixture
def national(session_factory: sessionmaker[Session]) -> Callable[[str], dict[str, str]]:
    from minsheng.core.auth import create_user

    def make(role: str) -> dict[str, str]:
        with session_factory() as s:
            _u, token = create_user(s, name=f"{role}-{uuid.uuid4().hex[:6]}", role=role)
            s.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


def column(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


@pytest.mark.demo("hotline")
def test_hotline_notes_are_stored_masked(
    client: TestClient, engine: Engine, national: Callable[[str], dict[str, str]]
) -> None:
    from minsheng.hotline.models import Call, Counsellor

    staff = national("hotline")
    with Session(engine) as s:
        call = s.scalar(select(Call.call_ref).limit(1))
        counsellor = s.scalar(select(Counsellor.id).limit(1))
    reply = client.post(
        f"/api/hotline/calls/{call}/assessment",
        headers=staff,
        json={
            "counsellor_id": counsellor,
            "suicidal_ideation": "severe",
            "hopelessness": "moderate",
            "notes": TYPED,
            "follow_up_task": f"回拨 {PHONE}",
        },
    )
    assert reply.status_code == 201, reply.text
    answer = reply.json()
    assert_masked(
        column(
            engine, "SELECT notes FROM hotline_assessments WHERE id = :i", i=answer["assessment_id"]
        )
    )
    followup = answer["follow_up"]["id"]
    task = column(engine, "SELECT task FROM hotline_followups WHERE id = :i", i=followup)
    assert task == "回拨 139****5678"
    reply = client.post(
        f"/api/hotline/followups/{followup}/done", headers=staff, json={"note": TYPED}
    )
    assert reply.status_code == 200, reply.text
    assert_masked(
        column(engine, "SELECT done_note FROM hotline_followups WHERE id = :i", i=followup)
    )


@pytest.mark.demo("certification")
def test_a_status_reason_is_stored_masked(
    client: TestClient, engine: Engine, national: Callable[[str], dict[str, str]]
) -> None:
    number = "Y990144440300253000001"
    reply = client.post(
        f"/api/certification/certificates/{number}/status",
        headers=national("certification"),
        json={"status": "suspended", "reason": f"持证人 {PHONE} 举报 {ID18}"},
    )
    assert reply.status_code == 200, reply.text
    stored = column(
        engine, "SELECT status_reason FROM cert_certificates WHERE number = :n", n=number
    )
    assert stored == "持证人 139****5678 举报 110105********002X"


@pytest.mark.demo("enforcement")
def test_enforcement_free_text_is_stored_masked(
    client: TestClient, engine: Engine, national: Callable[[str], dict[str, str]]
) -> None:
    staff = national("enforcement")
    with engine.connect() as conn:
        party, grade = conn.execute(text("SELECT party_id, id FROM enf_grades LIMIT 1")).one()
        inspector = conn.execute(text("SELECT code FROM enf_inspectors LIMIT 1")).scalar_one()
    reply = client.post(
        "/api/enforcement/objections",
        headers=staff,
        json={"party_id": party, "target": "grade", "target_id": grade, "grounds": TYPED},
    )
    assert reply.status_code == 201, reply.text
    assert_masked(
        column(engine, "SELECT grounds FROM enf_objections WHERE id = :i", i=reply.json()["id"])
    )
    reply = client.post(
        "/api/enforcement/industry-records",
        headers=staff,
        json={
            "party_id": party,
            "kind": "complaint_upheld",
            "recorded_on": "2024-12-01",
            "note": TYPED,
        },
    )
    assert reply.status_code == 201, reply.text
    assert_masked(
        column(engine, "SELECT note FROM enf_industry_records WHERE id = :i", i=reply.json()["id"])
    )
    reply = client.post(
        "/api/enforcement/conflicts",
        headers=staff,
        json={"inspector": inspector, "party_id": party, "reason": f"亲属 {PHONE}"},
    )
    assert reply.status_code == 201, reply.text
    stored = column(engine, "SELECT reason FROM enf_conflicts WHERE party_id = :p", p=party)
    assert stored == "亲属 139****5678"
