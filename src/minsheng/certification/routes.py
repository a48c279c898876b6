"""HTTP API of the certification system, mounted under ``/api/certification``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/certification", tags=["certification"])
