"""Request and response shapes of the hotline API and the import file (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from minsheng.core.validation import BoundedDateTime, CleanMultilineText, CleanText
from minsheng.hotline.rules.risk import RiskLevel

SLUG = r"^[a-z0-9][a-z0-9\-_.]{0,63}$"


class HotlineIn(BaseModel):
    """One row of ``minsheng hotline import FILE.json`` (and of ``export``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=SLUG, description="Slug, e.g. gd-shenzhen")
    name: CleanText = Field(min_length=1, max_length=200)
    level: Literal["city", "province", "national"]
    regions: list[CleanText] = Field(default_factory=list, description="GB/T 2260 codes served")
    legacy_numbers: list[CleanText] = Field(default_factory=list)
    hours: CleanText | dict[str, CleanText] = Field(
        description='"08:00-02:00" for every day, or an object keyed mon..sun (Asia/Shanghai)'
    )
    seats: int = Field(ge=0, le=10_000)
    sip_uri: CleanText | None = Field(default=None, max_length=300)
    connected_at: BoundedDateTime | None = Field(
        default=None, description="ISO date-time; without a zone it is read as Beijing time"
    )


class CounsellorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=SLUG)
    name: CleanText = Field(min_length=1, max_length=100)
    hotline_id: CleanText = Field(max_length=64)
    skills: list[CleanText] = Field(default_factory=list)
    qualification: CleanText = Field(default="", max_length=200)


class CounsellorStateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["offline", "available", "break"]


class AssessmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counsellor_id: CleanText = Field(max_length=64)
    suicidal_ideation: RiskLevel
    hopelessness: RiskLevel
    handover_to: Literal["110", "119", "120"] | None = None
    handover_at: BoundedDateTime | None = None
    notes: CleanMultilineText = Field(default="", max_length=2000)
    follow_up_due: BoundedDateTime | None = Field(
        default=None, description="Due time of the follow-up task; defaulted for high risk"
    )
    follow_up_task: CleanText = Field(default="回访 follow-up call", max_length=300)


class FollowUpDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: CleanMultilineText = Field(default="", max_length=2000)
