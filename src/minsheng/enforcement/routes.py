"""HTTP API of the enforcement system, mounted under ``/api/enforcement``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/enforcement", tags=["enforcement"])
