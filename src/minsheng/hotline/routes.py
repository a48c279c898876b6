"""HTTP API of the hotline system, mounted under ``/api/hotline``.

Public: the directory (list, one hotline, which lines serve a region) and the compliance report.
Role ``hotline`` (or admin): route preview, import/export, counsellors, call records, KPIs,
assessments and follow-ups, purge, the workforce (counsellor register, shifts, generated rosters,
staffing compliance from the seat states, the monthly report as JSON, Excel or PDF), and seat
planning under ``/planning`` (``/erlang`` sizes one
interval, Erlang C or Erlang A with ``patience_s``; ``/plan`` is the "add N seats" plan of one
hotline or the whole directory from its call records; neither changes any data).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response

from minsheng.core import paging, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.timeutil import BEIJING
from minsheng.core.validation import BoundedDate, BoundedDateTime, CleanText, DbId
from minsheng.core.web import AppSettings, DbSession, ReadSession, require_role
from minsheng.hotline import service
from minsheng.hotline.rules import erlang
from minsheng.hotline.rules import roster as roster_rules
from minsheng.hotline.rules import workforce as workforce_rules
from minsheng.hotline.rules.planning import PlanTarget
from minsheng.hotline.schemas import (
    AssessmentCreate,
    AssessmentRatings,
    CounsellorCreate,
    CounsellorStateUpdate,
    CounsellorUpdate,
    FollowUpDone,
    RosterGenerate,
    ShiftCreate,
)
from minsheng.hotline.service import cluster as cluster_service

router = APIRouter(prefix="/api/hotline", tags=["hotline"])
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]

# Bounded parameters (issue 12 items 5 and 12): out of range is a 422 naming the parameter.
HotlineId = Annotated[CleanText, Path(min_length=1, max_length=64)]
CallRef = Annotated[CleanText, Path(min_length=1, max_length=64)]
CounsellorId = Annotated[CleanText, Path(min_length=1, max_length=64)]
FilterId = Annotated[CleanText | None, Query(max_length=64)]
Seconds = Annotated[float, Query(gt=0, le=86_400)]
MAX_SEATS = 10_000


def _zoned(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=BEIJING)


# public ----------------------------------------------------------------------------------------
@router.get("/hotlines")
def list_hotlines(
    session: DbSession,
    level: Literal["city", "province", "national"] | None = None,
    region: Annotated[
        CleanText | None, Query(max_length=60, description="Region code or name served")
    ] = None,
) -> list[dict[str, Any]]:
    return [
        service.public_hotline_view(h)
        for h in service.list_hotlines(session, level=level, region=region)
    ]


@router.get("/hotlines/{hotline_id}")
def get_hotline(hotline_id: HotlineId, session: DbSession) -> dict[str, Any]:
    return service.public_hotline_view(service.get_hotline(session, hotline_id))


@router.get("/compliance")
def compliance(session: DbSession) -> dict[str, Any]:
    return service.compliance(session)


# staff -----------------------------------------------------------------------------------------
@router.get("/route")
def route_preview(
    session: DbSession,
    settings: AppSettings,
    _user: Staff,
    number: Annotated[CleanText, Query(min_length=1, max_length=40)],
    origin: Annotated[CleanText | None, Query(max_length=40)] = None,
    at: BoundedDateTime | None = None,
    dialled: Annotated[CleanText | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    return service.route_preview(
        session, settings, number, origin=origin, at=_zoned(at), dialled=dialled
    )


@router.post("/import")
def import_hotlines(
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    rows: Annotated[
        list[dict[str, Any]], Body(description="JSON list of hotlines", max_length=10_000)
    ],
) -> dict[str, Any]:
    return service.import_hotlines(
        session,
        rows,
        actor=user.actor,
        scope=user.scope,
        default_recording=settings.hotline_recording,
    )


@router.get("/export")
def export_hotlines(session: DbSession, user: Staff) -> list[dict[str, Any]]:
    return service.export_hotlines(session, scope=user.scope)


@router.get("/counsellors")
def list_counsellors(
    session: DbSession, user: Staff, hotline_id: FilterId = None
) -> list[dict[str, Any]]:
    found = service.list_counsellors(session, hotline_id=hotline_id, scope=user.scope)
    return [service.counsellor_dict(c) for c in found]


@router.post("/counsellors", status_code=201)
def create_counsellor(data: CounsellorCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    c = service.create_counsellor(session, data, actor=user.actor, scope=user.scope)
    return service.counsellor_dict(c)


@router.put("/counsellors/{counsellor_id}/state")
def set_counsellor_state(
    counsellor_id: CounsellorId,
    data: CounsellorStateUpdate,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
) -> dict[str, Any]:
    c = service.set_counsellor_state(
        session, counsellor_id, data.state, actor=user.actor, scope=user.scope
    )
    # in a SIP cluster the node serving the seat's partition applies it (and publishes it)
    forwarded = cluster_service.forward_seat_state(
        session, counsellor_id, data.state, secret=settings.secret_key, actor=user.actor
    )
    return service.counsellor_dict(c) | ({"node": forwarded["node"]} if forwarded else {})


@router.get("/calls")
def list_calls(
    session: DbSession,
    user: Staff,
    start: Annotated[BoundedDateTime | None, Query(alias="from")] = None,
    end: Annotated[BoundedDateTime | None, Query(alias="to")] = None,
    hotline_id: FilterId = None,
    outcome: Literal["answered", "abandoned", "no_answer"] | None = None,
    crisis: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[dict[str, Any]]:
    calls = service.list_calls(
        session,
        start=_zoned(start),
        end=_zoned(end),
        hotline_id=hotline_id,
        outcome=outcome,
        crisis=crisis,
        limit=limit,
        scope=user.scope,
    )
    return [service.call_dict(c) for c in calls]


@router.get("/calls/{call_ref}")
def get_call(call_ref: CallRef, session: DbSession, user: Staff) -> dict[str, Any]:
    return service.call_dict(service.get_call(session, call_ref, scope=user.scope))


@router.get("/kpi")
def kpi(
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    start: Annotated[BoundedDateTime, Query(alias="from")],
    end: Annotated[BoundedDateTime, Query(alias="to")],
    by: Literal["hotline", "province", "day", "hour"] = "hotline",
    threshold_s: Annotated[float | None, Query(gt=0, le=86_400)] = None,
) -> dict[str, Any]:
    s, e = _zoned(start), _zoned(end)
    assert s is not None
    assert e is not None
    return service.kpis(
        session, settings, start=s, end=e, by=by, threshold_s=threshold_s, scope=user.scope
    )


@router.post("/calls/{call_ref}/assessment", status_code=201)
def assess(
    call_ref: CallRef, data: AssessmentCreate, session: DbSession, user: Staff
) -> dict[str, Any]:
    return service.record_assessment(session, call_ref, data, actor=user.actor, scope=user.scope)


@router.get("/followups")
def followups(session: DbSession, user: Staff, overdue: bool = False) -> list[dict[str, Any]]:
    return service.list_followups(session, overdue_only=overdue, scope=user.scope)


@router.post("/followups/{followup_id}/done")
def followup_done(
    followup_id: Annotated[DbId, Path()], data: FollowUpDone, session: DbSession, user: Staff
) -> dict[str, Any]:
    return service.complete_followup(
        session, followup_id, data.note, actor=user.actor, scope=user.scope
    )


@router.post("/purge")
def purge(session: DbSession, settings: AppSettings, user: Staff) -> dict[str, Any]:
    return service.purge(session, settings, actor=user.actor, scope=user.scope)


# seat planning ---------------------------------------------------------------------------------
@router.get("/planning/erlang", tags=["hotline planning"])
def size_interval(
    _user: Staff,
    calls: Annotated[float, Query(ge=0, le=1e9, description="Calls offered in the interval")],
    interval_s: Annotated[float, Query(gt=0, le=86_400, description="Interval length, seconds")],
    aht_s: Annotated[float, Query(gt=0, le=86_400, description="Average handling time, seconds")],
    target_s: Annotated[float, Query(ge=0, le=86_400, description="Answer within, seconds")],
    service_level: Annotated[float, Query(ge=0, le=1, description="Share answered within target")],
    shrinkage: Annotated[float, Query(ge=0, lt=1)] = 0.0,
    max_occupancy: Annotated[float, Query(gt=0, le=1)] = 1.0,
    patience_s: Annotated[float | None, Query(gt=0, le=86_400)] = None,
    max_abandon: Annotated[float | None, Query(ge=0, le=1)] = None,
    seats: Annotated[
        int | None, Query(ge=0, le=MAX_SEATS, description="Evaluate this many seats too")
    ] = None,
) -> dict[str, Any]:
    """Seats needed for one interval, and optionally how a given number of seats performs."""
    _result, out = erlang.answer(
        calls=calls,
        interval_s=interval_s,
        aht_s=aht_s,
        target_s=target_s,
        service_level=service_level,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        patience_s=patience_s,
        max_abandon=max_abandon,
        seats=seats,
    )
    return out


@router.get("/planning/plan", tags=["hotline planning"])
def plan(
    session: DbSession,
    user: Staff,
    hotline_id: FilterId = None,
    weeks: Annotated[int, Query(ge=1, le=104, description="Weeks of call records (≤ 2 years)")] = 4,
    smooth: Annotated[int, Query(ge=0, le=6, description="Half-hours averaged each side")] = 1,
    pool_weekdays: bool = False,
    as_of: BoundedDate | None = None,
    target_s: Annotated[float, Query(ge=0, le=86_400)] = 30.0,
    service_level: Annotated[float, Query(ge=0, le=1)] = 0.8,
    max_abandon: Annotated[float, Query(ge=0, le=1)] = 0.05,
    aht_s: Seconds = 1080.0,
    patience_s: Seconds = 180.0,
    detail: bool = False,
) -> dict[str, Any]:
    """The seats plan of one hotline (``hotline_id``) or of all, from the last ``weeks`` weeks."""
    target = PlanTarget(
        target_s=target_s,
        service_level=service_level,
        max_abandon=max_abandon,
        aht_s=aht_s,
        patience_s=patience_s,
    )
    return service.plan(
        session,
        hotline_id=hotline_id,
        as_of=as_of,
        weeks=weeks,
        smooth=smooth,
        pool_weekdays=pool_weekdays,
        target=target,
        detail=detail,
        scope=user.scope,
    )


# live view across the SIP cluster's nodes (docs/hotline-scale.md) ----------------------------
@router.get("/live/calls")
def live_calls(
    session: DbSession,
    user: Staff,
    province: Annotated[CleanText | None, Query(max_length=12)] = None,
    hotline_id: FilterId = None,
) -> list[dict[str, Any]]:
    """Calls waiting, ringing or talking on every SIP node alive, crisis calls first."""
    rows = cluster_service.live_calls(
        session, province_code=province, hotline_id=hotline_id, scope=user.scope
    )
    return [cluster_service.live_call_dict(c) for c in rows]


@router.post("/live/calls/{sip_call_id}/crisis")
def mark_live_crisis(
    sip_call_id: Annotated[CleanText, Path(min_length=1, max_length=256)],
    session: DbSession,
    settings: AppSettings,
    user: Staff,
) -> dict[str, Any]:
    """Mark a waiting call as crisis on the SIP node that holds it (which audits it)."""
    return cluster_service.forward_crisis(
        session, sip_call_id, secret=settings.secret_key, actor=user.actor, scope=user.scope
    )


@router.post("/live/calls/{sip_call_id}/supervise")
def supervise_live_call(
    sip_call_id: Annotated[CleanText, Path(min_length=1, max_length=256)],
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    mode: Annotated[Literal["listen", "whisper", "join"], Body()],
    supervisor: Annotated[CleanText, Body(min_length=1, max_length=64)],
    reason: Annotated[CleanText, Body(min_length=1, max_length=500)],
) -> dict[str, Any]:
    """Ring a supervisor's phone into a call in conversation: listen (监听), whisper to the
    counsellor (耳语) or join (强插); the node holding the call audits it with the reason."""
    return cluster_service.forward_supervise(
        session,
        sip_call_id,
        mode=mode,
        supervisor=supervisor,
        reason=reason,
        secret=settings.secret_key,
        actor=user.actor,
        scope=user.scope,
    )


@router.post("/live/calls/{sip_call_id}/unsupervise")
def unsupervise_live_call(
    sip_call_id: Annotated[CleanText, Path(min_length=1, max_length=256)],
    session: DbSession,
    settings: AppSettings,
    user: Staff,
) -> dict[str, Any]:
    """End the supervision of a call (the supervisor's phone is hung up)."""
    return cluster_service.forward_unsupervise(
        session, sip_call_id, secret=settings.secret_key, actor=user.actor, scope=user.scope
    )


@router.post("/live/calls/{sip_call_id}/transfer")
def transfer_live_call(
    sip_call_id: Annotated[CleanText, Path(min_length=1, max_length=256)],
    session: ReadSession,
    settings: AppSettings,
    user: Staff,
    to: Annotated[str, Body(max_length=3)] = "",
    attended: Annotated[bool, Body()] = False,
    step: Annotated[Literal["start", "complete", "return"], Body()] = "start",
    assessment: Annotated[AssessmentRatings | None, Body()] = None,
) -> dict[str, Any]:
    """Hand a call in conversation over to 110/119/120 on the node holding it (blind, or
    attended: ``start`` then ``complete`` or ``return``), with the crisis assessment sent along.
    A duty supervisor may hand over any call in their region; a staff user who answers as a
    counsellor (a browser seat) only the call in conversation with that counsellor. The node
    audits it."""
    counsellor = service.find_seat_counsellor(session, user.name)
    return cluster_service.forward_transfer(
        session,
        sip_call_id,
        step=step,
        to=to,
        attended=attended,
        assessment=assessment.model_dump() if assessment is not None else None,
        counsellor_id=counsellor.id if counsellor is not None else None,
        secret=settings.secret_key,
        actor=user.actor,
        scope=user.scope,
        single=settings.hotline_seat_node_control,
    )


# workforce -------------------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return timeutil.today()


@router.get("/workforce/requirement", tags=["hotline workforce"])
def requirement(_user: Staff) -> dict[str, Any]:
    """What a counsellor needs before being rostered, and the roster rules with their sources."""
    return {
        "requirement": workforce_rules.DEFAULT_REQUIREMENT.to_dict(),
        "roster_policy": roster_rules.RosterPolicy().to_dict(),
        "rules": {**workforce_rules.RULES, **roster_rules.RULES},
    }


@router.get("/counsellors/{counsellor_id}/register", tags=["hotline workforce"])
def counsellor_register(
    counsellor_id: CounsellorId, session: DbSession, user: Staff, on: BoundedDate | None = None
) -> dict[str, Any]:
    c = service.get_counsellor(session, counsellor_id, scope=user.scope)
    return service.register_dict(c, on=on or _today())


@router.patch("/counsellors/{counsellor_id}", tags=["hotline workforce"])
def update_counsellor(
    counsellor_id: CounsellorId, data: CounsellorUpdate, session: DbSession, user: Staff
) -> dict[str, Any]:
    c = service.update_counsellor(session, counsellor_id, data, actor=user.actor, scope=user.scope)
    return service.register_dict(c, on=_today())


@router.get("/shifts", tags=["hotline workforce"])
def list_shifts(
    session: DbSession,
    user: Staff,
    start: Annotated[BoundedDate, Query(alias="from")],
    days: Annotated[int, Query(ge=1, le=62)] = 7,
    hotline_id: FilterId = None,
) -> list[dict[str, Any]]:
    shifts = service.list_shifts(
        session,
        start=start,
        end=start + timedelta(days=days),
        hotline_id=hotline_id,
        scope=user.scope,
    )
    return [service.shift_dict(s) for s in shifts]


@router.post("/shifts", status_code=201, tags=["hotline workforce"])
def create_shift(data: ShiftCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    shift = service.create_shift(session, data, actor=user.actor, scope=user.scope)
    return service.shift_dict(shift)


@router.delete("/shifts/{shift_id}", status_code=204, tags=["hotline workforce"])
def delete_shift(shift_id: Annotated[DbId, Path()], session: DbSession, user: Staff) -> Response:
    service.delete_shift(session, shift_id, actor=user.actor, scope=user.scope)
    return Response(status_code=204)


@router.post("/rosters/generate", tags=["hotline workforce"])
def generate_roster(data: RosterGenerate, session: DbSession, user: Staff) -> dict[str, Any]:
    """Shifts from the seat plan at the fewest staffed hours (OR-Tools CP-SAT), assigned to
    eligible, available counsellors; the solver's proven bound is in ``solver``."""
    return service.generate_roster(
        session,
        hotline_id=data.hotline_id,
        start=data.start,
        days=data.days,
        need_from=data.need_from,
        policy=roster_rules.RosterPolicy(lengths_h=tuple(data.lengths_h)),
        replace=data.replace,
        actor=user.actor,
        scope=user.scope,
    )


@router.get("/staffing", tags=["hotline workforce"])
def staffing(
    session: DbSession,
    user: Staff,
    start: Annotated[BoundedDate, Query(alias="from")],
    days: Annotated[int, Query(ge=1, le=62)] = 7,
    hotline_id: FilterId = None,
) -> dict[str, Any]:
    """Per line and day: seats per half hour rostered and actually signed in, hours with at
    least 2 seats, gaps; compliant only on the facts (the seat states)."""
    return service.staffing(
        session,
        start=start,
        days=days,
        hotline_id=hotline_id,
        now=timeutil.now(),
        scope=user.scope,
    )


@router.get("/reports/monthly", tags=["hotline workforce"], response_model=None)
def monthly_report(
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    month: Annotated[CleanText, Query(max_length=7, description="2025-06")],
    format: Literal["json", "xlsx", "pdf"] = "json",
) -> dict[str, Any] | Response:
    """The monthly report to the health commission: per line and per province."""
    report = service.monthly_report(
        session,
        settings,
        month=service.parse_month(month),
        as_of=timeutil.now(),
        scope=user.scope,
    )
    if format == "xlsx":
        return Response(
            service.monthly_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="12356-{month}.xlsx"'},
        )
    if format == "pdf":
        return Response(
            service.monthly_pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="12356-{month}.pdf"'},
        )
    return report


# The staff list of calls with search, filters and paging (issue 18 item 6).
SearchText = Annotated[CleanText | None, Query(max_length=paging.MAX_SEARCH_LENGTH)]


@router.get("/lists/calls")
def search_calls(
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    q: SearchText = None,
    hotline: SearchText = None,
    outcome: SearchText = None,
    crisis: SearchText = None,
    from_: Annotated[BoundedDate | None, Query(alias="from")] = None,
    to: BoundedDate | None = None,
    page: Annotated[int, Query(ge=1, le=paging.MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(description="20, 50 or 100")] = paging.DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Calls in the user's scope, newest first, with line and counsellor names; ``q`` is a call
    reference or a caller's number (matched by keyed hash); ``from``/``to`` are Beijing days."""
    filters = service.call_filters(
        q=q,
        hotline=hotline,
        outcome=outcome,
        crisis=crisis,
        from_=from_.isoformat() if from_ else None,
        to=to.isoformat() if to else None,
    )
    found = service.search_calls(
        session, filters, paging.api_page(page, page_size), settings=settings, scope=user.scope
    )
    assert isinstance(found, paging.Page)
    return found.to_dict()
