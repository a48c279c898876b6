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


class EvidenceAdd(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str
    note: str = Field("", max_length=500)


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


class CaseDecide(BaseModel):
    sign_commitment: bool = False
    fine_yuan: int | None = None
    decided_on: date | None = None


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
