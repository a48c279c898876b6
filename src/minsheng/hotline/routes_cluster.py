"""HTTP API of the SIP cluster's live view (role ``hotline``), included in the hotline router:
the calls waiting or up on every node, and staff actions forwarded to the node that holds the
call (docs/hotline-scale.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from minsheng.core.auth import Principal, Role
from minsheng.core.web import AppSettings, DbSession, require_role
from minsheng.hotline.service import cluster as cluster_service

router = APIRouter(tags=["hotline"])
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]


@router.get("/live/calls")
def live_calls(
    session: DbSession,
    _user: Staff,
    province: str | None = None,
    hotline_id: str | None = None,
) -> list[dict[str, Any]]:
    """Calls waiting, ringing or talking on every node alive, crisis calls first."""
    rows = cluster_service.live_calls(session, province_code=province, hotline_id=hotline_id)
    return [cluster_service.live_call_dict(c) for c in rows]


@router.post("/live/calls/{sip_call_id}/crisis")
def mark_crisis(
    sip_call_id: str, session: DbSession, settings: AppSettings, user: Staff
) -> dict[str, Any]:
    """Mark a waiting call as crisis on the node that holds it (which audits it)."""
    return cluster_service.forward_crisis(
        session, sip_call_id, secret=settings.secret_key, actor=f"user:{user.name}"
    )
