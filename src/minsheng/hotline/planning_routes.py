"""HTTP API of seat planning, included in the hotline router (so under ``/api/hotline/planning``).

``GET /erlang`` sizes one interval (Erlang C, or Erlang A with ``patience_s``); ``GET /plan``
returns the "add N seats" plan of one hotline or of the whole directory from its call records.
Both are for hotline staff; neither changes any data.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from minsheng.core.auth import Principal, Role
from minsheng.core.web import DbSession, require_role
from minsheng.hotline import erlang, planning, planning_service

router = APIRouter(prefix="/planning", tags=["hotline planning"])
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]


@router.get("/erlang")
def size_interval(
    _user: Staff,
    calls: Annotated[float, Query(description="Calls offered in the interval")],
    interval_s: Annotated[float, Query(description="Interval length, seconds")],
    aht_s: Annotated[float, Query(description="Average handling time, seconds")],
    target_s: Annotated[float, Query(description="Answer within, seconds")],
    service_level: Annotated[float, Query(description="Share answered within target")],
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
    patience_s: float | None = None,
    max_abandon: float | None = None,
    seats: Annotated[int | None, Query(description="Evaluate this many seats too")] = None,
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


@router.get("/plan")
def plan(
    session: DbSession,
    _user: Staff,
    hotline_id: str | None = None,
    weeks: int = 4,
    smooth: int = 1,
    pool_weekdays: bool = False,
    as_of: date | None = None,
    target_s: float = 30.0,
    service_level: float = 0.8,
    max_abandon: float = 0.05,
    aht_s: float = 1080.0,
    patience_s: float = 180.0,
    detail: bool = False,
) -> dict[str, Any]:
    """The seats plan of one hotline (``hotline_id``) or of all, from the last ``weeks`` weeks."""
    target = planning.PlanTarget(
        target_s=target_s,
        service_level=service_level,
        max_abandon=max_abandon,
        aht_s=aht_s,
        patience_s=patience_s,
    )
    return planning_service.plan(
        session,
        hotline_id=hotline_id,
        as_of=as_of,
        weeks=weeks,
        smooth=smooth,
        pool_weekdays=pool_weekdays,
        target=target,
        detail=detail,
    )
