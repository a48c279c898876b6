"""Demo data of the hotline system, loaded by ``minsheng demo load`` (idempotently)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def load(session: Session) -> dict[str, Any]:
    """Load this system's demo data unless present; returns what was loaded."""
    del session
    return {}
