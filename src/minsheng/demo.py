"""``minsheng demo load``: every system's demo data (or the named systems'), idempotently, in one
transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from minsheng.certification import demo as certification_demo
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import demo as enforcement_demo
from minsheng.hotline import demo as hotline_demo

LOADERS: dict[str, Callable[[Session], dict[str, Any]]] = {
    "hotline": hotline_demo.load,
    "certification": certification_demo.load,
    "enforcement": enforcement_demo.load,
}


def load_all(session: Session, systems: Sequence[str] = ()) -> dict[str, Any]:
    """Load the demo data of ``systems`` (every system when empty); unknown names are refused."""
    unknown = [s for s in systems if s not in LOADERS]
    if unknown:
        raise InvalidInput(
            f"unknown system {unknown[0]!r}: choose from {', '.join(LOADERS)}", field="systems"
        )
    return {name: load(session) for name, load in LOADERS.items() if not systems or name in systems}
