"""HTTP endpoints of the shared core: health, regions, ID checks, the caller's identity, audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from minsheng.core import audit, idnumber, regions
from minsheng.core.auth import Principal, Role
from minsheng.core.validation import AwareDateTime, CleanText
from minsheng.core.web import DbSession, require_role

router = APIRouter()


@router.get("/healthz", tags=["core"])
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver failure means "not healthy"
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "detail": type(exc).__name__},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok"})


class RegionRead(BaseModel):
    code: str
    name: str
    level: str
    current: bool
    province: dict[str, str] | None
    city: dict[str, str] | None


@router.get("/api/core/regions/{code_or_name}", response_model=RegionRead, tags=["core"])
def get_region(
    code_or_name: Annotated[CleanText, Path(min_length=1, max_length=60)],
) -> dict[str, Any]:
    """A region by GB/T 2260 code or Chinese name (e.g. ``广东省深圳市``)."""
    return regions.describe(regions.table().lookup(code_or_name))


class IdCheckRequest(BaseModel):
    number: CleanText = Field(min_length=1, max_length=40)


@router.post("/api/core/idcheck", tags=["core"])
def idcheck(data: IdCheckRequest) -> dict[str, Any]:
    """Check a resident ID number (GB 11643-1999). Always 200; ``valid`` says the verdict."""
    return idnumber.check(data.number).to_dict()


@router.get("/api/core/me", tags=["core"])
def me(user: Annotated[Principal, Depends(require_role(*Role))]) -> dict[str, str | None]:
    """Who the bearer token belongs to."""
    return {"name": user.name, "role": user.role.value, **user.scope.to_dict()}


@router.get("/api/core/audit", tags=["core"])
def audit_log(
    session: DbSession,
    _user: Annotated[Principal, Depends(require_role(Role.ADMIN))],
    table: Annotated[CleanText | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    since: Annotated[AwareDateTime | None, Query(description="from (inclusive)")] = None,
    until: Annotated[AwareDateTime | None, Query(description="to (exclusive)")] = None,
) -> list[dict[str, Any]]:
    """The newest audit rows (admins only), optionally of one table and a time range."""
    return [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "table": e.table_name,
            "record_id": e.record_id,
            "request_id": e.request_id,
            "scope": e.scope,
            "detail": e.detail,
        }
        for e in audit.list_entries(session, table=table, limit=limit, since=since, until=until)
    ]
