"""Request and response shapes of the certification API (and the CLI's JSON inputs)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from minsheng.core.validation import BoundedDate, CleanMultilineText, CleanText, FreeLine


class ScopeItem(BaseModel):
    occupation_code: str = Field(pattern=r"^[1-8]-\d{2}-\d{2}-\d{2}$")
    levels: list[int] = Field(min_length=1, max_length=5)


class BodyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: CleanText = Field(min_length=2, max_length=200)
    body_type: Literal["Y", "S"]
    code: str = Field(pattern=r"^\d{4}$", description="0001–9999 national, 0000 provincial")
    province_code: str | None = Field(None, pattern=r"^\d{2}$")
    valid_from: BoundedDate
    valid_to: BoundedDate | None = None
    scope: list[ScopeItem] = Field(min_length=1)


class BodyScopeChange(BaseModel):
    """A body's new scope (every occupation × level it may evaluate) and why it changed."""

    model_config = ConfigDict(extra="forbid")

    scope: list[ScopeItem] = Field(min_length=1, max_length=500)
    reason: FreeLine = Field(min_length=2, max_length=200)


class OccupationCreate(BaseModel):
    """An occupation published after the 2022 edition of the classification."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[1-8]-\d{2}-\d{2}-\d{2}$")
    name: CleanText = Field(min_length=2, max_length=100)
    definition: CleanMultilineText = Field("", max_length=4000)
    green: bool = False
    digital: bool = False
    added_on: BoundedDate
    source: CleanText = Field(min_length=2, max_length=300)


class BodyStatusChange(BaseModel):
    status: Literal["active", "suspended", "revoked"]
    reason: FreeLine = Field(min_length=2, max_length=200)


class CertificateIssue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: CleanText = Field(min_length=1, max_length=50)
    id_number: CleanText = Field(min_length=1, max_length=40)
    occupation_code: CleanText = Field(min_length=1, max_length=20)
    work_type: CleanText | None = Field(None, max_length=100)
    level: int = Field(ge=1, le=5)
    body: CleanText = Field(min_length=1, max_length=20, description="the body's filing number")
    province_code: str = Field(pattern=r"^\d{2}$")
    site_code: str = Field(pattern=r"^\d{6}$")
    issued_on: BoundedDate


class CertificateStatusChange(BaseModel):
    status: Literal["valid", "suspended", "revoked"]
    reason: FreeLine = Field(min_length=2, max_length=200)


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: CleanText | None = Field(None, max_length=40)
    name: CleanText | None = Field(None, max_length=50)
    number: CleanText | None = Field(None, max_length=40)


class VerifiedCertificate(BaseModel):
    number: str
    name_masked: str
    id_masked: str | None = Field(
        None, description="first and last character only, and only when the query gave the ID"
    )
    occupation_code: str
    occupation: str
    level: int
    level_name: str
    work_type: str | None
    body: str | None
    issued_on: date
    status: str
    status_reason: str | None


class VerifyResponse(BaseModel):
    found: bool
    certificates: list[VerifiedCertificate]


class AdScanRequest(BaseModel):
    text: str = Field(description="the ad's text; at most 20,000 characters")


class ApplicantIn(BaseModel):
    insured_months: int = Field(ge=0, le=1200)
    category: Literal["enterprise_employee", "unemployment_benefit", "other"] = Field(
        description=(
            "企业在职职工 (enterprise_employee), 领取失业保险金人员 (unemployment_benefit) or "
            "anyone else (other, refused): required"
        )
    )
    province_code: str = Field(pattern=r"^\d{2}$")
    id_number: CleanText | None = Field(None, max_length=40, description="only to record the claim")


class SubsidyCertificateIn(BaseModel):
    occupation_code: str = Field(pattern=r"^[1-8]-\d{2}-\d{2}-\d{2}$")
    level: int = Field(ge=1, le=5)
    issued_on: BoundedDate
    urgent_occupation: bool = Field(
        False, description="on a 急需紧缺职业（工种）list (2025: two more claims a year)"
    )


class PreviousClaimIn(BaseModel):
    occupation_code: str = Field(pattern=r"^[1-8]-\d{2}-\d{2}-\d{2}$")
    level: int = Field(ge=1, le=5)
    paid_on: BoundedDate


class SubsidyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    applicant: ApplicantIn
    certificate: SubsidyCertificateIn
    applied_on: BoundedDate
    previous_claims: list[PreviousClaimIn] = Field(default_factory=list, max_length=100)
    training_subsidy_same_training: bool = Field(
        description="the 职业培训补贴 was paid for the same training: required"
    )
