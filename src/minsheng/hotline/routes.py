"""HTTP API of the hotline system, mounted under ``/api/hotline``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/hotline", tags=["hotline"])

from minsheng.hotline.planning_routes import router as planning_router  # noqa: E402

router.include_router(planning_router)
