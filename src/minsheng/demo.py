"""``minsheng demo load``: every system's demo data, idempotently, in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from minsheng.certification import demo as certification_demo
from minsheng.enforcement import demo as enforcement_demo
from minsheng.hotline import demo as hotline_demo


def load_all(session: Session) -> dict[str, Any]:
    return {
        "hotline": hotline_demo.load(session),
        "certification": certification_demo.load(session),
        "enforcement": enforcement_demo.load(session),
    }
