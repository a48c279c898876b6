"""Request bodies of the enforcement API (shape only; the services check the domain rules)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class PartyCreate(BaseModel):
    kind: Literal["person", "organisation"]
    category: str = Field(max_length=30)
    name: str = Field(min_length=1, max_length=200)
    credit_code: str | None = Field(None, max_length=40)
    id_number: str | None = Field(None, max_length=40)
    registered_on: date | None = None
    address: str | None = Field(None, max_length=300)


class CommitmentCreate(BaseModel):
    party_id: int
    domain: str | None = None
    item: str | None = None
    signed_on: date | None = None
    valid_until: date | None = None
    consent_publish: bool = True


class CaseOpen(BaseModel):
    party_id: int
    item: str
    discovery: str
    occurred_on: date
    discovered_on: date
    ended_on: date | None = None
    facts: str = Field("", max_length=5000)
    site_id: int | None = None
    officers: list[str] = []  # inspector codes of the (≥ 2) certified officers (Art. 42)
    filed_on: date | None = None  # 立案 (default today): starts the 90 days of Art. 60


class EvidenceAdd(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str
    note: str = Field("", max_length=500)
    officers: list[str] = []  # default: the case's investigators (Art. 42)


class CaseFacts(BaseModel):
    harm: str
    corrected_in_time: bool
    aggravating: list[str] = []
    mitigating: list[str] = []
    # 第三十二条第五项: the provisions relied on (with the mitigating factor "other_statutory").
    mitigating_basis: list[str] = Field([], max_length=10)
    endangers_safety: bool = False
    no_fault_proven: bool = False  # 第三十三条第二款
    mental_state: str = "normal"  # 第三十一条: normal | incapable | limited
    fine_base_yuan: int | None = Field(None, ge=0)  # the amount a multiple-based fine multiplies
    facts: str | None = Field(None, max_length=5000)
    officers: list[str] = []  # inspector codes of the (≥ 2) certified officers (Art. 42)


class CaseDecide(BaseModel):
    """The engine's proposal and the officer's proposed fine (a penalty), or the final
    不予处罚 decision."""

    sign_commitment: bool = False
    fine_yuan: int | None = None
    decided_on: date | None = None
    departure_reason: str | None = Field(None, max_length=2000)


class PriorNotice(BaseModel):
    notice_on: date | None = None
    major_flags: list[str] = []
    # A new notice after new facts were recorded: the new proposed fine (Art. 44, 45).
    fine_yuan: int | None = None


class Statement(BaseModel):
    stated_on: date | None = None
    statement: str | None = Field(None, max_length=5000)
    waived: bool = False
    review: str | None = Field(None, max_length=5000)  # 复核 of the party's facts and reasons
    new_facts: str | None = Field(None, max_length=5000)


class HearingRequest(BaseModel):
    requested_on: date | None = None


class HearingSchedule(BaseModel):
    notified_on: date
    hearing_on: date
    place: str = Field(min_length=1, max_length=200)
    presider: str = Field(min_length=1, max_length=20)


class HearingHeld(BaseModel):
    attended: bool
    record: str = Field(min_length=1, max_length=10000)
    held_on: date | None = None


class LegalReview(BaseModel):
    reviewer: str
    passed: bool
    note: str = Field(min_length=1, max_length=5000)
    reviewed_on: date | None = None


class FinalDecision(BaseModel):
    fine_yuan: int | None = None
    decided_on: date | None = None
    party_address: str | None = Field(None, max_length=300)
    serious: bool = False
    serious_reason: str | None = Field(None, max_length=2000)


class Service(BaseModel):
    served_on: date | None = None
    how: Literal["in_person", "post", "electronic", "left_at_address", "announcement"] = "in_person"


class Extension(BaseModel):
    days: int = Field(gt=0, le=365)
    basis: str = Field(min_length=1, max_length=500)
    approved_by: str = Field(min_length=1, max_length=100)


class Fulfilment(BaseModel):
    fulfilled_on: date | None = None


class OfficerCertCreate(BaseModel):
    inspector: str
    cert_no: str = Field(min_length=4, max_length=30)
    valid_until: date
    legal_qualified: bool = False


class ObjectionCreate(BaseModel):
    party_id: int
    target: Literal["grade", "credit_record"]
    target_id: int
    grounds: str = Field(min_length=1, max_length=5000)
    filed_on: date | None = None


class ObjectionReview(BaseModel):
    upheld: bool
    outcome: str = Field(min_length=1, max_length=5000)
    revised_grade: Literal["A", "B", "C", "D"] | None = None
    reviewed_on: date | None = None


class CaseCancel(BaseModel):
    """Cancel a case: withdrawn | transferred (第五十七条第四项) | revoked (第四十八条第二款)."""

    reason: Literal["withdrawn", "transferred", "revoked"]
    note: str = Field(min_length=1, max_length=2000)
    cancelled_on: date | None = None


class Rectification(BaseModel):
    rectify_by: date


class RectificationCheck(BaseModel):
    rectified: bool
    checked_on: date | None = None


class InspectorCreate(BaseModel):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)


class ConflictCreate(BaseModel):
    inspector: str
    party_id: int
    reason: str = Field(min_length=1, max_length=200)


class InspectionCreate(BaseModel):
    party_id: int
    inspected_on: date
    passed: bool
    items: list[str]
    inspectors: list[str]
    kind: str = "routine"


class IndustryRecordCreate(BaseModel):
    party_id: int
    kind: str
    recorded_on: date
    note: str = Field("", max_length=500)
