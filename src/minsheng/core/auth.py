"""Staff users, roles and bearer API tokens.

Tokens are random (256 bits) and shown once; only their SHA-256 digest is stored, so a database
leak does not leak tokens. Public endpoints need no token; a staff endpoint declares the roles it
accepts with ``require_role`` (``admin`` is accepted everywhere), answering 401 without a valid
token and 403 with the wrong role.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from minsheng.core import audit
from minsheng.core.db import Base, UTCDateTime, utcnow
from minsheng.core.errors import DuplicateUser, Forbidden, InvalidInput, InvalidRole, Unauthorized


class Role(StrEnum):
    ADMIN = "admin"
    HOTLINE = "hotline"
    CERTIFICATION = "certification"
    ENFORCEMENT = "enforcement"


class User(Base):
    __tablename__ = "core_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a staff user, or the CLI operator."""

    name: str
    role: Role

    @property
    def actor(self) -> str:
        """The audit actor of this staff user's changes (see ``core.audit``)."""
        return f"user:{self.name}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidRole(f"unknown role {value!r}; allowed: {allowed}", field="role") from None


def create_user(session: Session, *, name: str, role: str, actor: str = "cli") -> tuple[User, str]:
    """Create a staff user; returns the user and the clear token (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name must be 1 to 100 characters", field="name")
    parsed = parse_role(role)
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise DuplicateUser(f"a user named {name!r} exists already", field="name")
    token = secrets.token_urlsafe(32)
    user = User(name=name, role=parsed.value, token_hash=hash_token(token), active=True)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        table=User.__tablename__,
        record_id=user.id,
        detail={"role": parsed.value},
    )
    return user, token


def authenticate(session: Session, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("a bearer token is required", field="Authorization")
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    if user is None or not user.active:
        raise Unauthorized("the token is not valid", field="Authorization")
    return Principal(name=user.name, role=Role(user.role))


def check_role(principal: Principal, roles: tuple[Role, ...]) -> None:
    if principal.role is Role.ADMIN or principal.role in roles:
        return
    needed = ", ".join(r.value for r in roles)
    raise Forbidden(f"role {principal.role.value!r} may not do this; needs one of: {needed}")
