"""HTTP API of the hotline system, mounted under ``/api/hotline``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/hotline", tags=["hotline"])
