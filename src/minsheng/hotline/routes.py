"""HTTP API of the hotline system, mounted under ``/api/hotline``.

Public: the directory (list, one hotline, which lines serve a region) and the compliance report.
Role ``hotline`` (or admin): route preview, import/export, counsellors, call records, KPIs,
assessments and follow-ups, purge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query

from minsheng.core.auth import Principal, Role
from minsheng.core.web import AppSettings, DbSession, require_role
from minsheng.hotline import service
from minsheng.hotline.rules import BEIJING
from minsheng.hotline.schemas import (
    AssessmentCreate,
    CounsellorCreate,
    CounsellorStateUpdate,
    FollowUpDone,
)
from minsheng.hotline.service.cluster import forward_seat_state as cluster_forward_seat_state

router = APIRouter(prefix="/api/hotline", tags=["hotline"])
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]


def _actor(user: Principal) -> str:
    return f"user:{user.name}"


def _zoned(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=BEIJING)


def _public(h: Any) -> dict[str, Any]:
    # The SIP address is operational detail for staff (export), not for the public directory.
    d = service.hotline_dict(h)
    del d["sip_uri"]
    return d


# public ----------------------------------------------------------------------------------------
@router.get("/hotlines")
def list_hotlines(
    session: DbSession,
    level: Literal["city", "province", "national"] | None = None,
    region: str | None = Query(None, description="Region code or name served"),
) -> list[dict[str, Any]]:
    return [
        service.hotline_dict(h) for h in service.list_hotlines(session, level=level, region=region)
    ]


@router.get("/hotlines/{hotline_id}")
def get_hotline(hotline_id: str, session: DbSession) -> dict[str, Any]:
    return _public(service.get_hotline_or_raise(session, hotline_id))


@router.get("/compliance")
def compliance(session: DbSession) -> dict[str, Any]:
    return service.compliance(session)


# staff -----------------------------------------------------------------------------------------
@router.get("/route")
def route_preview(
    session: DbSession,
    settings: AppSettings,
    _user: Staff,
    number: str,
    origin: str | None = None,
    at: datetime | None = None,
    dialled: str | None = None,
) -> dict[str, Any]:
    return service.route_preview(
        session, settings, number, origin=origin, at=_zoned(at), dialled=dialled
    )


@router.post("/import")
def import_hotlines(
    session: DbSession, user: Staff, rows: Annotated[Any, Body(description="JSON list of hotlines")]
) -> dict[str, Any]:
    return service.import_hotlines(session, rows, actor=_actor(user))


@router.get("/export")
def export_hotlines(session: DbSession, _user: Staff) -> list[dict[str, Any]]:
    return service.export_hotlines(session)


@router.get("/counsellors")
def list_counsellors(
    session: DbSession, _user: Staff, hotline_id: str | None = None
) -> list[dict[str, Any]]:
    return [
        service.counsellor_dict(c) for c in service.list_counsellors(session, hotline_id=hotline_id)
    ]


@router.post("/counsellors", status_code=201)
def create_counsellor(data: CounsellorCreate, session: DbSession, user: Staff) -> dict[str, Any]:
    return service.counsellor_dict(service.create_counsellor(session, data, actor=_actor(user)))


@router.put("/counsellors/{counsellor_id}/state")
def set_counsellor_state(
    counsellor_id: str,
    data: CounsellorStateUpdate,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
) -> dict[str, Any]:
    c = service.set_counsellor_state(session, counsellor_id, data.state, actor=_actor(user))
    # in a SIP cluster the node serving the seat's partition applies it (and publishes it)
    forwarded = cluster_forward_seat_state(
        session, counsellor_id, data.state, secret=settings.secret_key, actor=_actor(user)
    )
    return service.counsellor_dict(c) | ({"node": forwarded["node"]} if forwarded else {})


@router.get("/calls")
def list_calls(
    session: DbSession,
    _user: Staff,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    hotline_id: str | None = None,
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
    )
    return [service.call_dict(c) for c in calls]


@router.get("/calls/{call_ref}")
def get_call(call_ref: str, session: DbSession, _user: Staff) -> dict[str, Any]:
    return service.call_dict(service.get_call_or_raise(session, call_ref))


@router.get("/kpi")
def kpi(
    session: DbSession,
    settings: AppSettings,
    _user: Staff,
    start: Annotated[datetime, Query(alias="from")],
    end: Annotated[datetime, Query(alias="to")],
    by: Literal["hotline", "province", "day", "hour"] = "hotline",
    threshold_s: Annotated[float | None, Query(gt=0)] = None,
) -> dict[str, Any]:
    s, e = _zoned(start), _zoned(end)
    assert s is not None
    assert e is not None
    return service.kpis(session, settings, start=s, end=e, by=by, threshold_s=threshold_s)


@router.post("/calls/{call_ref}/assessment", status_code=201)
def assess(
    call_ref: str, data: AssessmentCreate, session: DbSession, user: Staff
) -> dict[str, Any]:
    return service.record_assessment(session, call_ref, data, actor=_actor(user))


@router.get("/followups")
def followups(session: DbSession, _user: Staff, overdue: bool = False) -> list[dict[str, Any]]:
    return service.list_followups(session, overdue_only=overdue)


@router.post("/followups/{followup_id}/done")
def followup_done(
    followup_id: int, data: FollowUpDone, session: DbSession, user: Staff
) -> dict[str, Any]:
    return service.complete_followup(session, followup_id, data.note, actor=_actor(user))


@router.post("/purge")
def purge(session: DbSession, settings: AppSettings, user: Staff) -> dict[str, Any]:
    return service.purge(session, settings, actor=_actor(user))


from minsheng.hotline.planning_routes import router as planning_router  # noqa: E402

router.include_router(planning_router)


# the SIP cluster's live view (routes_cluster.py)
from minsheng.hotline.routes_cluster import router as _cluster_router  # noqa: E402

router.include_router(_cluster_router)
