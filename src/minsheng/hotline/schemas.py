"""Request and response shapes of the hotline API and the import file (pydantic)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from minsheng.core.validation import (
    BoundedDate,
    BoundedDateTime,
    CleanText,
    FreeLine,
    FreeText,
)
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
    recording: bool | None = Field(
        default=None,
        description="The line records its answered calls; omitted: a stored line keeps its "
        "setting, a new one takes the platform's HOTLINE_RECORDING",
    )


QualificationKind = Literal[
    "psychotherapist", "counsellor", "psychiatrist", "social_worker", "volunteer"
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class CounsellorRegister(BaseModel):
    """The register fields of a counsellor (issue 19): all optional on update."""

    model_config = ConfigDict(extra="forbid")

    qualification_kind: QualificationKind | None = Field(
        default=None,
        description="心理治疗师 | 心理咨询师 | 精神科医师 | 社会工作者 | 经培训的志愿者",
    )
    certificate_no: str | None = Field(default=None, max_length=64)
    certificate_date: date | None = None
    training_hours: float = Field(default=0.0, ge=0, le=10_000, description="岗前培训小时数")
    supervision_hours_month: float = Field(default=0.0, ge=0, le=744, description="每月督导小时数")
    dialects: list[str] = Field(default_factory=list)
    active: bool = True
    weekly_hours_max: float = Field(default=40.0, gt=0, le=84)
    availability: dict[Weekday, list[str]] | None = Field(
        default=None,
        description='Beijing time, e.g. {"mon": ["08:00-20:00"]}; omitted: available any time',
    )


class CounsellorCreate(CounsellorRegister):
    id: str = Field(pattern=SLUG)
    name: CleanText = Field(min_length=1, max_length=100)
    hotline_id: CleanText = Field(max_length=64)
    skills: list[CleanText] = Field(default_factory=list)
    qualification: CleanText = Field(default="", max_length=200)


class CounsellorUpdate(BaseModel):
    """Register fields to change; the ones left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: CleanText | None = Field(default=None, min_length=1, max_length=100)
    skills: list[Annotated[CleanText, Field(max_length=60)]] | None = Field(None, max_length=50)
    qualification: CleanText | None = Field(default=None, max_length=200)
    qualification_kind: QualificationKind | None = None
    certificate_no: CleanText | None = Field(default=None, max_length=64)
    certificate_date: BoundedDate | None = None
    training_hours: float | None = Field(default=None, ge=0, le=10_000)
    supervision_hours_month: float | None = Field(default=None, ge=0, le=744)
    dialects: list[Annotated[CleanText, Field(max_length=60)]] | None = Field(None, max_length=50)
    active: bool | None = None
    weekly_hours_max: float | None = Field(default=None, gt=0, le=84)
    availability: dict[Weekday, list[Annotated[CleanText, Field(max_length=20)]]] | None = None


class ShiftCreate(BaseModel):
    """A shift by hand; times without a zone are Beijing time."""

    model_config = ConfigDict(extra="forbid")

    hotline_id: CleanText = Field(max_length=64)
    counsellor_id: CleanText = Field(max_length=64)
    start: BoundedDateTime
    end: BoundedDateTime
    break_start: BoundedDateTime | None = None
    break_minutes: int = Field(default=0, ge=0, le=120)


class RosterGenerate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hotline_id: CleanText = Field(max_length=64)
    start: BoundedDate = Field(description="First Beijing day of the roster")
    days: int = Field(default=7, ge=1, le=62)
    need_from: Literal["plan", "declared"] = Field(
        default="plan",
        description="plan: the seat plan forecast from the records; declared: the line's seats",
    )
    lengths_h: list[Annotated[float, Field(gt=0, le=24)]] = Field(
        default_factory=lambda: [4.0, 6.0, 8.5], min_length=1, max_length=10
    )
    replace: bool = Field(default=True, description="Replace generated shifts in the period")


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
    notes: FreeText = Field(default="", max_length=2000)
    follow_up_due: BoundedDateTime | None = Field(
        default=None, description="Due time of the follow-up task; defaulted for high risk"
    )
    follow_up_task: FreeLine = Field(default="回访", max_length=300)


class AssessmentRatings(BaseModel):
    """The two ratings of a crisis assessment, sent along with a hand-over to 110/119/120."""

    model_config = ConfigDict(extra="forbid")

    suicidal_ideation: RiskLevel
    hopelessness: RiskLevel


class FollowUpDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: FreeText = Field(default="", max_length=2000)
