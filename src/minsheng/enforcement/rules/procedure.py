"""The 行政处罚 general procedure in the law's order, as pure checks.

Source throughout: 《中华人民共和国行政处罚法》(2021年1月22日第十三届全国人大常委会
第二十五次会议修订, 2021年7月15日起施行); article texts as verified in the project's law
facts (transcription of flk.npc.gov.cn). Each function names the article it enforces; each
refusal is a named error.

Order of a penalty case::

    立案 open (two certified officers, Art. 42)
    → 调查 facts / evidence (two certified officers, Art. 42, 55)
    → 拟处罚 proposed (the engine's proposal; a different fine only with a recorded reason)
    → 事先告知 pre_notified (Art. 44: proposed penalty, facts, reasons, basis, rights)
    → 陈述申辩 (Art. 45) | 听证 hearing_requested → hearing_scheduled → heard (Art. 63–65)
    → 法制审核 for 重大 decisions (Art. 58)
    → 决定 decided (≤ 90 days after 立案, Art. 60; not heavier because the party argued, Art. 45)
    → 送达 notified (7 working days, Art. 61, 85) → 责令改正 (Art. 28) → 复查 → 结案

A 不予处罚 or time-barred case goes from the proposal straight to the (不予)决定, with the education
of Art. 33 para. 3 recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from minsheng.enforcement.errors import (
    DepartureWithoutReason,
    FineOutOfRange,
    HearingNoticeTooShort,
    HearingPending,
    HearingRequestLate,
    HeavierPenaltyAfterStatement,
    LegalReviewRequired,
    OfficerNotCertified,
    PresiderIsInvestigator,
    PriorNoticeMissing,
    ReviewerNotQualified,
    StatementPeriodRunning,
    TooFewOfficers,
)
from minsheng.enforcement.rules import workdays as wd

MIN_OFFICERS = 2  # Art. 42: 执法人员不得少于两人


@dataclass(frozen=True)
class Officer:
    code: str
    cert_no: str | None
    cert_valid_until: date | None
    legal_qualified: bool = False


def check_officers(officers: Sequence[Officer], on: date) -> tuple[str, ...]:
    """Art. 42 第一款: 行政处罚应当由具有行政执法资格的执法人员实施。执法人员不得少于两人.

    Returns the officers' 执法证号 (recorded on the step); refuses fewer than two distinct
    officers (TooFewOfficers) or one without a 执法证 valid on ``on`` (OfficerNotCertified)."""
    codes = {o.code for o in officers}
    if len(codes) < MIN_OFFICERS:
        raise TooFewOfficers(
            f"{len(codes)} officer(s) named; 《行政处罚法》第四十二条 requires at least "
            f"{MIN_OFFICERS} certified officers",
            field="officers",
        )
    for o in officers:
        if o.cert_no is None or o.cert_valid_until is None or o.cert_valid_until < on:
            raise OfficerNotCertified(
                f"officer {o.code} holds no 执法证 valid on {on.isoformat()} (第四十二条)",
                field="officers",
            )
    return tuple(sorted({o.cert_no for o in officers if o.cert_no}))


def proposed_fine(
    engine_range: tuple[int, int] | None,
    statutory: tuple[int, int],
    fine: int | None,
    departure_reason: str | None,
) -> tuple[int, bool]:
    """The officer's proposed fine and whether it departs from the engine's band.

    Inside the engine's band: accepted. Outside it but inside the statutory range (过罚相当,
    Art. 5; the item's 法定幅度): accepted only with a recorded reason (DepartureWithoutReason).
    Outside the statutory range: refused (FineOutOfRange) — no reason can make it lawful.
    Without a fine the engine's lower bound is proposed."""
    if engine_range is None:
        raise FineOutOfRange("no fine band: this outcome carries no fine", field="fine_yuan")
    if fine is None:
        return engine_range[0], False
    if engine_range[0] <= fine <= engine_range[1]:
        return fine, False
    if fine < 0 or fine > statutory[1]:
        raise FineOutOfRange(
            f"fine {fine} yuan is outside the statutory range {list(statutory)}",
            field="fine_yuan",
        )
    if not (departure_reason or "").strip():
        raise DepartureWithoutReason(
            f"{fine} yuan departs from the proposed band {list(engine_range)}: record the reason",
            field="departure_reason",
        )
    return fine, True


def hearing_available(fine: int | None, threshold: int) -> bool:
    """Art. 63(一): 较大数额罚款 — the party must be told of the right to a hearing. The yuan
    threshold is not in the law; it comes from the rule base (a cited local rule, or demo)."""
    return fine is not None and fine >= threshold


def statement_due(calendar: wd.HolidayCalendar, notice_on: date, days: int) -> wd.Deadline:
    """Art. 44, 45 set no statement period; the rule base's period (a local rule, or demo) is
    counted in working days, as Art. 85 does for the law's own short periods."""
    return wd.add_working_days(calendar, notice_on, days)


def check_hearing_request(
    calendar: wd.HolidayCalendar, notice_on: date, requested_on: date
) -> None:
    """Art. 64(一), 85: 当事人要求听证的，应当在行政机关告知后五日内提出 (5 working days)."""
    due = wd.period_deadline(calendar, "hearing_request", notice_on)
    if requested_on > due.on:
        raise HearingRequestLate(
            f"hearing requested on {requested_on.isoformat()}; the 5 working days after the "
            f"notice of {notice_on.isoformat()} ended on {due.on.isoformat()} (第六十四条第一项)",
            field="requested_on",
        )


def check_hearing_notice(
    calendar: wd.HolidayCalendar, notified_on: date, hearing_on: date
) -> wd.Deadline:
    """Art. 64(二), 85: 行政机关应当在举行听证的七日前，通知当事人 — at least 7 working days
    wholly between the notice and the hearing. Returns the seventh working day (the hearing
    must come after it)."""
    seventh = wd.add_working_days(calendar, notified_on, 7)
    if hearing_on <= seventh.on:
        raise HearingNoticeTooShort(
            f"a hearing on {hearing_on.isoformat()} leaves fewer than 7 working days after the "
            f"notice of {notified_on.isoformat()}; hold it after {seventh.on.isoformat()} "
            "(第六十四条第二项、第八十五条)",
            field="hearing_on",
        )
    return seventh


def check_presider(presider: str, investigators: Sequence[str]) -> None:
    """Art. 64(四): 听证由行政机关指定的非本案调查人员主持."""
    if presider in investigators:
        raise PresiderIsInvestigator(
            f"{presider} investigated this case and cannot preside (第六十四条第四项)",
            field="presider",
        )


def check_reviewer(reviewer: Officer, investigators: Sequence[str]) -> None:
    """Art. 58: 法制审核 by 从事行政处罚决定法制审核的人员 — not an investigator of the case; a
    reviewer must hold the 法律职业资格 (required of first-time reviewers, last paragraph; this
    platform asks it of every reviewer, the stricter reading)."""
    if reviewer.code in investigators:
        raise ReviewerNotQualified(
            f"{reviewer.code} investigated this case and cannot review it (第五十八条)",
            field="reviewer",
        )
    if not reviewer.legal_qualified:
        raise ReviewerNotQualified(
            f"{reviewer.code} holds no 法律职业资格 (第五十八条第二款)", field="reviewer"
        )


@dataclass(frozen=True)
class MajorPolicy:
    """Which decisions are 重大 and need 法制审核 (Art. 58): fines from ``fine_at_least`` (per
    party kind; a local setting), every case that went through a hearing (Art. 58(二)), and
    cases the officer flags (重大公共利益 58(一), 疑难复杂 58(三))."""

    fine_at_least: Mapping[str, int]
    source: str
    status: str  # official | demo


def parse_major_policy(data: Mapping[str, Any]) -> MajorPolicy:
    return MajorPolicy(
        fine_at_least={k: int(v) for k, v in data["fine_at_least_yuan"].items()},
        source=str(data["source"]),
        status=str(data["status"]),
    )


MAJOR_FLAGS = {
    "public_interest": "涉及重大公共利益（第五十八条第一项）",
    "complex": "案件情况疑难复杂、涉及多个法律关系（第五十八条第三项）",
}


def major_reasons(
    policy: MajorPolicy,
    *,
    party_kind: str,
    fine: int | None,
    heard: bool,
    flags: Sequence[str] = (),
) -> list[str]:
    """Why a decision is 重大 (empty: no 法制审核 required)."""
    reasons = []
    limit = policy.fine_at_least.get(party_kind)
    if fine is not None and limit is not None and fine >= limit:
        reasons.append(f"罚款{fine}元达到重大执法决定标准（{limit}元起；{policy.source}）")
    if heard:
        reasons.append("直接关系当事人重大权益，经过听证程序（第五十八条第二项）")
    for f in flags:
        reasons.append(MAJOR_FLAGS[f])
    return reasons


@dataclass(frozen=True)
class ProcedureState:
    """What the decision step needs to know about the steps before it."""

    notice_on: date | None
    statement_due: date | None
    hearing_request_due: date | None
    statement_on: date | None
    statement_waived: bool
    hearing_requested: bool
    hearing_result: str | None
    major: bool
    review_passed: bool | None


def check_ready_to_decide(state: ProcedureState, on: date) -> None:
    """Art. 44, 45, 62: no penalty decision before the notice and before the party was heard
    (statement recorded, waived, or the period over); Art. 63–65: a requested hearing first;
    Art. 58: a 重大 decision only after a passed 法制审核."""
    if state.notice_on is None:
        raise PriorNoticeMissing(
            "no 行政处罚事先告知书 served: 第四十四条、第六十二条 forbid the decision",
            field="status",
        )
    heard = state.statement_on is not None or state.statement_waived
    periods = [d for d in (state.statement_due, state.hearing_request_due) if d is not None]
    if not heard and periods and on <= max(periods):
        raise StatementPeriodRunning(
            f"the statement period runs until {max(periods).isoformat()} and the party has "
            "neither stated nor waived (第四十五条、第六十二条)",
            field="status",
        )
    if state.hearing_requested and state.hearing_result is None:
        raise HearingPending("a requested hearing has not been held (第六十三条至第六十五条)")
    if state.major and state.review_passed is not True:
        raise LegalReviewRequired(
            "a 重大 decision needs a passed 法制审核 first (第五十八条)", field="status"
        )


def check_final_fine(proposed: int, final: int, new_facts: str | None) -> None:
    """Art. 45 para. 2: 行政机关不得因当事人陈述、申辩而给予更重的处罚 — the decided fine is never
    above the notified one. New facts recorded may justify a heavier penalty, but only through a
    new 事先告知书 stating it (Art. 44): the decision itself still never exceeds the notice."""
    if final <= proposed:
        return
    if (new_facts or "").strip():
        raise PriorNoticeMissing(
            f"{final} yuan is more than the {proposed} yuan notified: on the new facts, serve a "
            "new 行政处罚事先告知书 with the heavier proposal first (第四十四条)",
            field="fine_yuan",
        )
    raise HeavierPenaltyAfterStatement(
        f"{final} yuan is more than the {proposed} yuan notified; without new facts the "
        "penalty may not be raised (第四十五条第二款)",
        field="fine_yuan",
    )


def decision_due(filed_on: date, extension_days: int) -> date:
    """Art. 60: 自行政处罚案件立案之日起九十日内作出行政处罚决定 (calendar days; extensions
    under 法律、法规、规章 recorded with their approval)."""
    return filed_on + timedelta(days=90 + extension_days)


def running_late(filed_on: date, extension_days: int, today: date, decided: bool) -> bool:
    return not decided and today > decision_due(filed_on, extension_days)


def days_left(filed_on: date, extension_days: int, today: date) -> int:
    return (decision_due(filed_on, extension_days) - today).days
