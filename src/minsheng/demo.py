"""``minsheng demo load``: every system's demo data (or the named systems'), idempotently, in one
transaction; ``minsheng demo users``: demo staff with scopes that fit the demo data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from minsheng.certification import demo as certification_demo
from minsheng.core import audit
from minsheng.core.auth import create_user, list_users
from minsheng.core.errors import InvalidInput
from minsheng.core.scope import Scope
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


# Demo staff and their scopes (docs/security.md, roles): the demo hotlines cover Guangdong and
# Zhejiang cities and every province; the demo certificates were issued in Hainan (46) and
# Guangdong (44); the demo enforcement bureau is 琼山综执 in Haikou.
DEMO_USERS: tuple[tuple[str, str, Scope], ...] = (
    ("demo-admin", "admin", Scope.ALL),
    ("demo-hotline-national", "hotline", Scope.ALL),
    ("demo-hotline-guangdong", "hotline", Scope("440000")),
    ("demo-hotline-shenzhen", "hotline", Scope("440300")),
    ("demo-cert-hainan", "certification", Scope("460000")),
    ("demo-cert-guangdong", "certification", Scope("440000")),
    ("demo-enforcement-qiongshan", "enforcement", Scope("460100", "琼山综执")),
)


def create_demo_users(session: Session) -> list[dict[str, Any]]:
    """Create the demo staff that do not exist yet; each new one's token is in the answer (and
    only there). Existing users are left alone."""
    existing = {u.name for u in list_users(session)}
    created = []
    for name, role, scope in DEMO_USERS:
        if name in existing:
            continue
        user, token = create_user(
            session, name=name, role=role, scope=scope, actor=audit.system_actor("demo")
        )
        created.append({"name": user.name, "role": role, "scope": scope.label(), "token": token})
    return created
