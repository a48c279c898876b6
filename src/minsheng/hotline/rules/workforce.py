"""Who may be rostered on a 12356 line, and whether a line was really staffed on a day. Pure.

* **Eligibility** (rule ``staff-eligibility``): a counsellor may be rostered only when active,
  holding one of the recognised qualifications (with its certificate number and a certificate date
  not after the shift), and having done the hotline's pre-service training. Source:
  《心理援助热线技术指南（试行）》国卫办疾控函〔2021〕15号 — counsellors need a relevant
  professional background, qualification and pre-service training (岗前培训). The guideline
  sets no number of hours: ``MIN_TRAINING_HOURS`` (40 h) and ``MIN_SUPERVISION_HOURS_MONTH``
  (2 h of 督导 a month) are **local policy (demo values)**, marked so in every decision; a
  province that sets its own figures changes :data:`DEFAULT_REQUIREMENT`.
* **Compliance from facts** (rule ``staffed-minimum``): a line complies on a Beijing day only when
  at least ``MIN_SEATS`` counsellors were actually signed in (``ON_DUTY`` states) for at least
  ``MIN_HOURS_PER_DAY`` hours of it — measured from the seat-state history, not from the seats the
  line declares (通知 2024-12: 每条热线至少设置2个坐席，每日提供不少于18小时). The same measure
  over the roster says what was planned; both are shown.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from minsheng.hotline.rules.compliance import MIN_HOURS_PER_DAY, MIN_SEATS

WORKFORCE_VERSION = "12356-workforce/2026.1"

QUALIFICATIONS: dict[str, str] = {
    "psychotherapist": "心理治疗师",
    "counsellor": "心理咨询师",
    "psychiatrist": "精神科医师",
    "social_worker": "社会工作者",
    "volunteer": "经培训的志愿者",
}
# A trained volunteer holds a training certificate rather than a professional one; it still has a
# number and a date, issued by the training body.

# Seat states in which a counsellor staffs a seat (the engine's states; break and offline do not).
ON_DUTY = frozenset({"available", "ringing", "talking", "wrapup"})
SEAT_STATES = (*sorted(ON_DUTY), "break", "offline")

MIN_TRAINING_HOURS = 40.0
MIN_SUPERVISION_HOURS_MONTH = 2.0

RULES: dict[str, str] = {
    "staff-eligibility": (
        "心理援助热线技术指南（试行）2021：接线员应具备相关专业背景和资质并经岗前培训；"
        f"岗前培训不少于{MIN_TRAINING_HOURS:g}小时、每月督导不少于{MIN_SUPERVISION_HOURS_MONTH:g}"
        "小时为本地政策（示例值）"
    ),
    "staffed-minimum": (
        f"12356通知（2024-12）：每条热线至少{MIN_SEATS}个坐席、每日不少于{MIN_HOURS_PER_DAY:g}"
        "小时；以实际在岗（签入）记录计算，而非申报坐席数"
    ),
}


@dataclass(frozen=True)
class Requirement:
    """What a hotline requires of a counsellor before rostering, and where each figure is from."""

    qualifications: frozenset[str] = frozenset(QUALIFICATIONS)
    min_training_hours: float = MIN_TRAINING_HOURS
    min_supervision_hours_month: float = MIN_SUPERVISION_HOURS_MONTH
    source: str = "心理援助热线技术指南（试行）国卫办疾控函〔2021〕15号"
    local_policy: tuple[str, ...] = ("min_training_hours", "min_supervision_hours_month")
    version: str = WORKFORCE_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "qualifications": {k: QUALIFICATIONS[k] for k in sorted(self.qualifications)},
            "min_training_hours": self.min_training_hours,
            "min_supervision_hours_month": self.min_supervision_hours_month,
            "source": self.source,
            "local_policy": list(self.local_policy),
            "local_policy_note": "本地政策（示例值），非全国统一标准",
            "version": self.version,
        }


DEFAULT_REQUIREMENT = Requirement()


@dataclass(frozen=True)
class CounsellorFacts:
    """What eligibility looks at."""

    id: str
    active: bool
    qualification_kind: str | None
    certificate_no: str | None
    certificate_date: date | None
    training_hours: float
    supervision_hours_month: float


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...]
    rule: str = "staff-eligibility"
    version: str = WORKFORCE_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "rule": self.rule,
            "version": self.version,
        }


def eligibility(
    c: CounsellorFacts, on: date, requirement: Requirement = DEFAULT_REQUIREMENT
) -> Eligibility:
    """Whether ``c`` may be rostered on day ``on``; every unmet condition is named (Chinese)."""
    reasons: list[str] = []
    if not c.active:
        reasons.append("已停用")
    if not c.qualification_kind:
        reasons.append("未登记资质")
    elif c.qualification_kind not in requirement.qualifications:
        label = QUALIFICATIONS.get(c.qualification_kind, c.qualification_kind)
        reasons.append(f"资质“{label}”不在本热线认可范围内")
    else:
        if not (c.certificate_no or "").strip():
            reasons.append("缺少资质证书编号")
        if c.certificate_date is None:
            reasons.append("缺少发证日期")
        elif c.certificate_date > on:
            reasons.append(f"证书发证日期 {c.certificate_date.isoformat()} 晚于排班日")
    if c.training_hours < requirement.min_training_hours:
        reasons.append(
            f"岗前培训 {c.training_hours:g} 小时，少于要求的 "
            f"{requirement.min_training_hours:g} 小时（本地政策）"
        )
    if c.supervision_hours_month < requirement.min_supervision_hours_month:
        reasons.append(
            f"每月督导 {c.supervision_hours_month:g} 小时，少于要求的 "
            f"{requirement.min_supervision_hours_month:g} 小时（本地政策）"
        )
    return Eligibility(not reasons, tuple(reasons))


# ----------------------------------------------------------------------------------------------
# staffing measured over a day


@dataclass(frozen=True)
class Interval:
    """A counsellor staffing a seat from ``start`` to ``end`` (aware datetimes)."""

    who: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime
    seats: int  # the most seats staffed at any moment of the gap (below MIN_SEATS)

    def to_dict(self, tz: Any) -> dict[str, Any]:
        return {
            "from": self.start.astimezone(tz).strftime("%H:%M"),
            "to": _clock(self.end.astimezone(tz), self.start.astimezone(tz)),
            "minutes": round((self.end - self.start).total_seconds() / 60),
            "seats": self.seats,
        }


def _clock(t: datetime, start: datetime) -> str:
    return (
        "24:00"
        if t.date() > start.date() and t.hour == 0 and t.minute == 0
        else t.strftime("%H:%M")
    )


@dataclass(frozen=True)
class DayStaffing:
    """One day of one source (roster or seat states): seats per half hour and time at ≥ 2."""

    seats_per_half_hour: list[int]  # the fewest seats staffed at any moment of each half hour
    hours_at_minimum: float  # hours of the day with at least MIN_SEATS staffed
    gaps: list[Gap] = field(default_factory=list)  # open time with fewer than MIN_SEATS

    @property
    def compliant(self) -> bool:
        return self.hours_at_minimum >= MIN_HOURS_PER_DAY


def _steps(intervals: Iterable[Interval], lo: datetime, hi: datetime) -> list[tuple[datetime, int]]:
    """The staffed count as a step function on [lo, hi): (time, count from then on)."""
    delta: dict[datetime, int] = {lo: 0}
    for iv in intervals:
        a, b = max(iv.start, lo), min(iv.end, hi)
        if a < b:
            delta[a] = delta.get(a, 0) + 1
            delta[b] = delta.get(b, 0) - 1
    out: list[tuple[datetime, int]] = []
    level = 0
    for t in sorted(delta):
        if t >= hi:
            break
        level += delta[t]
        if out and out[-1][0] == t:
            out[-1] = (t, level)
        elif not out or out[-1][1] != level:
            out.append((t, level))
    return out


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """One interval per unbroken stretch of each counsellor (available → talking → wrap-up … is
    one stretch on duty)."""
    out: list[Interval] = []
    for iv in sorted(intervals, key=lambda i: (i.who, i.start)):
        if out and out[-1].who == iv.who and iv.start <= out[-1].end:
            if iv.end > out[-1].end:
                out[-1] = Interval(iv.who, out[-1].start, iv.end)
        else:
            out.append(iv)
    return out


def measure_day(
    intervals: Sequence[Interval],
    day_start: datetime,
    open_half_hours: Iterable[int],
) -> DayStaffing:
    """Seats staffed per half hour of the day starting at ``day_start`` (a Beijing midnight),
    hours with at least ``MIN_SEATS`` staffed, and the open time below that (the gaps)."""
    day_end = day_start + timedelta(days=1)
    steps = _steps(intervals, day_start, day_end)
    bounds = [*steps, (day_end, 0)]
    seconds_ok = 0.0
    for (t, level), (t2, _) in itertools.pairwise(bounds):
        if level >= MIN_SEATS:
            seconds_ok += (t2 - t).total_seconds()
    per_half: list[int] = []
    k = 0
    for h in range(48):
        a = day_start + timedelta(minutes=30 * h)
        b = a + timedelta(minutes=30)
        while k + 1 < len(steps) and steps[k + 1][0] <= a:
            k += 1
        low = steps[k][1]
        j = k + 1
        while j < len(steps) and steps[j][0] < b:
            low = min(low, steps[j][1])
            j += 1
        per_half.append(low)
    ranges: list[tuple[datetime, datetime]] = []
    for h in sorted(set(open_half_hours)):
        a = day_start + timedelta(minutes=30 * h)
        if ranges and ranges[-1][1] == a:
            ranges[-1] = (ranges[-1][0], a + timedelta(minutes=30))
        else:
            ranges.append((a, a + timedelta(minutes=30)))
    gaps: list[Gap] = []
    for (t, level), (t2, _) in itertools.pairwise(bounds):
        if level >= MIN_SEATS:
            continue
        for a, b in ranges:
            s, e = max(t, a), min(t2, b)
            if s >= e:
                continue
            if gaps and gaps[-1].end == s:
                last = gaps[-1]
                gaps[-1] = Gap(last.start, e, max(last.seats, level))
            else:
                gaps.append(Gap(s, e, level))
    return DayStaffing(per_half, round(seconds_ok / 3600, 3), gaps)


@dataclass(frozen=True)
class DayCompliance:
    """A line's day judged on the facts, with the roster beside it."""

    day: date
    declared_seats: int
    open_hours: float
    rostered: DayStaffing
    actual: DayStaffing
    rule: str = "staffed-minimum"
    version: str = WORKFORCE_VERSION

    @property
    def compliant(self) -> bool:
        return self.actual.compliant

    def to_dict(self, tz: Any) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "declared_seats": self.declared_seats,
            "declared_ok": self.declared_seats >= MIN_SEATS
            and self.open_hours >= MIN_HOURS_PER_DAY,
            "open_hours": self.open_hours,
            "compliant": self.compliant,
            "hours_at_minimum_actual": self.actual.hours_at_minimum,
            "hours_at_minimum_rostered": self.rostered.hours_at_minimum,
            "seats_actual": self.actual.seats_per_half_hour,
            "seats_rostered": self.rostered.seats_per_half_hour,
            "gaps_actual": [g.to_dict(tz) for g in self.actual.gaps],
            "gaps_rostered": [g.to_dict(tz) for g in self.rostered.gaps],
            "rule": self.rule,
            "version": self.version,
        }


def judge_day(
    day: date,
    day_start: datetime,
    *,
    declared_seats: int,
    open_half_hours: Sequence[int],
    rostered: Sequence[Interval],
    actual: Sequence[Interval],
) -> DayCompliance:
    """Compliance of one day: decided by ``actual`` alone; ``declared_seats`` only shown."""
    return DayCompliance(
        day=day,
        declared_seats=declared_seats,
        open_hours=len(set(open_half_hours)) / 2,
        rostered=measure_day(rostered, day_start, open_half_hours),
        actual=measure_day(actual, day_start, open_half_hours),
    )
