"""Request bodies of the enforcement API (shape only; the services check the domain rules).

Every date, id, amount and text is bounded here with core.validation's types (docs/security.md,
items 5, 12 and 16): out-of-range input is a 422 naming the field, never a 500 deep in a service.
Free text an officer types (facts, notes, statements, records, grounds, reasons) is ``FreeText``:
phone and ID numbers in it are masked as it is written (docs/security.md, item 11).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from minsheng.core.validation import (
    BoundedDate,
    CleanText,
    DbId,
    FreeLine,
    FreeText,
)

# Amounts in yuan: the columns are 32-bit integers on PostgreSQL (at most 2,147,483,647), so
# a fine is at most 10亿元 and the base a multiple-based fine multiplies (at most 2×, e.g. the
# 耕地开垦费 of GD-01) at most 5亿元.
MAX_FINE_YUAN = 1_000_000_000
MAX_FINE_BASE_YUAN = 500_000_000
Yuan = Annotated[int, Field(ge=0, le=MAX_FINE_YUAN)]
BaseYuan = Annotated[int, Field(ge=0, le=MAX_FINE_BASE_YUAN)]
# Codes of rule items, domains, factors and inspectors: one short line each.
Code = Annotated[CleanText, Field(min_length=1, max_length=60)]
Codes = Annotated[list[Code], Field(max_length=50)]
PersonName = Annotated[CleanText, Field(min_length=1, max_length=100)]


class PartyCreate(BaseModel):
    kind: Literal["person", "organisation"]
    category: CleanText = Field(max_length=30)
    name: CleanText = Field(min_length=1, max_length=200)
    credit_code: CleanText | None = Field(None, max_length=40)
    id_number: CleanText | None = Field(None, max_length=40)
    registered_on: BoundedDate | None = None
    address: CleanText | None = Field(None, max_length=300)
    # The bureau that supervises the party (core.scope); default: the user's, else the one
    # configured in data/procedure.json.
    bureau: CleanText | None = Field(None, min_length=1, max_length=30)


class CommitmentCreate(BaseModel):
    party_id: DbId
    domain: Code | None = None
    item: Code | None = None
    signed_on: BoundedDate | None = None
    valid_until: BoundedDate | None = None
    consent_publish: bool = True


class CaseOpen(BaseModel):
    party_id: DbId
    item: Code
    discovery: Code
    occurred_on: BoundedDate
    discovered_on: BoundedDate
    ended_on: BoundedDate | None = None
    facts: FreeText = Field("", max_length=5000)
    site_id: DbId | None = None
    officers: Codes = []  # inspector codes of the (≥ 2) certified officers (Art. 42)
    filed_on: BoundedDate | None = None  # 立案 (default today): starts the 90 days of Art. 60


class EvidenceAdd(BaseModel):
    filename: CleanText = Field(min_length=1, max_length=200)
    content_base64: str
    note: FreeText = Field("", max_length=500)
    officers: Codes = []  # default: the case's investigators (Art. 42)


class CaseFacts(BaseModel):
    harm: Code
    corrected_in_time: bool
    aggravating: Codes = []
    mitigating: Codes = []
    # 第三十二条第五项: the provisions relied on (with the mitigating factor "other_statutory").
    mitigating_basis: list[Annotated[CleanText, Field(max_length=200)]] = Field([], max_length=10)
    endangers_safety: bool = False
    no_fault_proven: bool = False  # 第三十三条第二款
    mental_state: Code = "normal"  # 第三十一条: normal | incapable | limited
    fine_base_yuan: BaseYuan | None = None  # the amount a multiple-based fine multiplies
    facts: FreeText | None = Field(None, max_length=5000)
    officers: Codes = []  # inspector codes of the (≥ 2) certified officers (Art. 42)


class CaseDecide(BaseModel):
    """The engine's proposal and the officer's proposed fine (a penalty), or the final
    不予处罚 decision."""

    sign_commitment: bool = False
    fine_yuan: Yuan | None = None
    decided_on: BoundedDate | None = None
    departure_reason: FreeText | None = Field(None, max_length=2000)


class PriorNotice(BaseModel):
    notice_on: BoundedDate | None = None
    major_flags: Codes = []
    # A new notice after new facts were recorded: the new proposed fine (Art. 44, 45).
    fine_yuan: Yuan | None = None


class Statement(BaseModel):
    stated_on: BoundedDate | None = None
    statement: FreeText | None = Field(None, max_length=5000)
    waived: bool = False
    # 复核 of the party's facts and reasons
    review: FreeText | None = Field(None, max_length=5000)
    new_facts: FreeText | None = Field(None, max_length=5000)


class HearingRequest(BaseModel):
    requested_on: BoundedDate | None = None


class HearingSchedule(BaseModel):
    notified_on: BoundedDate
    hearing_on: BoundedDate
    place: CleanText = Field(min_length=1, max_length=200)
    presider: CleanText = Field(min_length=1, max_length=20)


class HearingHeld(BaseModel):
    attended: bool
    record: FreeText = Field(min_length=1, max_length=10000)
    held_on: BoundedDate | None = None


class LegalReview(BaseModel):
    reviewer: Code
    passed: bool
    note: FreeText = Field(min_length=1, max_length=5000)
    reviewed_on: BoundedDate | None = None


class FinalDecision(BaseModel):
    fine_yuan: Yuan | None = None
    decided_on: BoundedDate | None = None
    party_address: CleanText | None = Field(None, max_length=300)
    serious: bool = False
    serious_reason: FreeText | None = Field(None, max_length=2000)


class Service(BaseModel):
    served_on: BoundedDate | None = None
    how: Literal["in_person", "post", "electronic", "left_at_address", "announcement"] = "in_person"


class Extension(BaseModel):
    days: int = Field(gt=0, le=365)
    basis: FreeText = Field(min_length=1, max_length=500)
    approved_by: PersonName


class Fulfilment(BaseModel):
    fulfilled_on: BoundedDate | None = None


class OfficerCertCreate(BaseModel):
    inspector: Code
    cert_no: CleanText = Field(min_length=4, max_length=30)
    valid_until: BoundedDate
    legal_qualified: bool = False


class ObjectionCreate(BaseModel):
    party_id: DbId
    target: Literal["grade", "credit_record"]
    target_id: DbId
    grounds: FreeText = Field(min_length=1, max_length=5000)
    filed_on: BoundedDate | None = None


class ObjectionReview(BaseModel):
    upheld: bool
    outcome: FreeText = Field(min_length=1, max_length=5000)
    revised_grade: Literal["A", "B", "C", "D"] | None = None
    reviewed_on: BoundedDate | None = None


class CaseCancel(BaseModel):
    """Cancel a case: withdrawn | transferred (第五十七条第四项) | revoked (第四十八条第二款)."""

    reason: Literal["withdrawn", "transferred", "revoked"]
    note: FreeText = Field(min_length=1, max_length=2000)
    cancelled_on: BoundedDate | None = None


class Rectification(BaseModel):
    rectify_by: BoundedDate


class RectificationCheck(BaseModel):
    rectified: bool
    checked_on: BoundedDate | None = None


class InspectorCreate(BaseModel):
    code: CleanText = Field(min_length=1, max_length=20)
    name: PersonName


class ConflictCreate(BaseModel):
    inspector: Code
    party_id: DbId
    reason: FreeLine = Field(min_length=1, max_length=200)


class InspectionCreate(BaseModel):
    party_id: DbId
    inspected_on: BoundedDate
    passed: bool
    items: Codes
    inspectors: Codes
    kind: Code = "routine"


class IndustryRecordCreate(BaseModel):
    party_id: DbId
    kind: Code
    recorded_on: BoundedDate
    note: FreeText = Field("", max_length=500)
