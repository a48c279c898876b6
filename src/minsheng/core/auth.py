"""Staff users, roles, bearer API tokens and web sessions.

Tokens are random (256 bits) and shown once; only their SHA-256 digest is stored, so a database
leak does not leak tokens. A token expires ``token_lifetime_days`` after it was issued (90 by
default) and can be rotated (a new one replaces it at once) or disabled with the user; a disabled
user is refused on the next request, by the API and the pages alike.

The pages never keep the API token: logging in with it opens a server-side web session
(``core_sessions``) whose random id is the cookie; it lasts ``web_session_minutes`` (8 hours by
default) and ends at logout, when the user is disabled, or when the token is rotated. The JSON API
takes bearer tokens only, never the cookie (so no cross-site form can act through it).

Public endpoints need no token; a staff endpoint declares the roles it accepts with
``require_role`` (``admin`` is accepted everywhere), answering 401 without a valid token and 403
with the wrong role. Every change (create, rotate, disable, login, logout) is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from minsheng.core import audit
from minsheng.core.db import Base, UTCDateTime, utcnow
from minsheng.core.errors import (
    DuplicateUser,
    Forbidden,
    InvalidInput,
    InvalidRole,
    Unauthorized,
    UserNotFound,
)
from minsheng.core.scope import Scope
from minsheng.core.validation import text_problem


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
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Where the user may act (core.scope): NULL region = national; NULL bureau = any bureau.
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    bureau: Mapped[str | None] = mapped_column(String(30), nullable=True)

    @property
    def scope(self) -> Scope:
        return Scope(region=self.region_code, bureau=self.bureau)


class WebSession(Base):
    """A staff login on the pages: the cookie holds the random id, the table its digest."""

    __tablename__ = "core_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("core_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a staff user, or the CLI operator."""

    name: str
    role: Role
    scope: Scope = Scope.ALL

    @property
    def actor(self) -> str:
        """The audit actor of this staff user's changes (see ``core.audit``)."""
        return f"user:{self.name}"


DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
SESSION_KEEP_AFTER_END = timedelta(days=30)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidRole(f"unknown role {value!r}; allowed: {allowed}", field="role") from None


def create_user(
    session: Session,
    *,
    name: str,
    role: str,
    actor: str = "cli",
    now: datetime | None = None,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    scope: Scope = Scope.ALL,
) -> tuple[User, str]:
    """Create a staff user; returns the user and the clear token (shown once, never stored).

    ``scope`` is where the user may act (``core.scope``; national by default)."""
    now = now or utcnow()
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name must be 1 to 100 characters", field="name")
    problem = text_problem(name)
    if problem is not None:
        raise InvalidInput(f"name: {problem}", field="name")
    parsed = parse_role(role)
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise DuplicateUser(f"a user named {name!r} exists already", field="name")
    token = secrets.token_urlsafe(32)
    expires = now + lifetime
    user = User(
        name=name,
        role=parsed.value,
        token_hash=hash_token(token),
        active=True,
        created_at=now,
        token_expires_at=expires,
        region_code=scope.region,
        bureau=scope.bureau,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        table=User.__tablename__,
        record_id=user.id,
        detail={
            "role": parsed.value,
            "token_expires_at": expires.isoformat(),
            "scope": scope.to_dict(),
        },
    )
    return user, token


def set_scope(session: Session, *, name: str, scope: Scope, actor: str) -> User:
    """Move a user to another region or bureau (audited with the old and the new scope);
    takes effect on the user's next request."""
    user = get_user_or_raise(session, name)
    old = user.scope
    user.region_code = scope.region
    user.bureau = scope.bureau
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.scope",
        table=User.__tablename__,
        record_id=user.id,
        detail={"from": old.to_dict(), "to": scope.to_dict()},
    )
    return user


def get_user_or_raise(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name.strip()))
    if user is None:
        raise UserNotFound(f"no user named {name!r}", field="name")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def rotate_token(
    session: Session,
    *,
    name: str,
    actor: str,
    now: datetime | None = None,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
) -> tuple[User, str]:
    """Replace a user's token (the old one stops working at once) and end their web sessions."""
    now = now or utcnow()
    user = get_user_or_raise(session, name)
    token = secrets.token_urlsafe(32)
    expires = now + lifetime
    user.token_hash = hash_token(token)
    user.token_expires_at = expires
    ended = _revoke_sessions(session, user.id, now)
    audit.record(
        session,
        actor=actor,
        action="user.rotate",
        table=User.__tablename__,
        record_id=user.id,
        detail={"token_expires_at": expires.isoformat(), "sessions_ended": ended},
    )
    return user, token


def set_active(
    session: Session, *, name: str, active: bool, actor: str, now: datetime | None = None
) -> User:
    """Disable a user (refused from the next request on; web sessions end) or enable again."""
    now = now or utcnow()
    user = get_user_or_raise(session, name)
    user.active = active
    ended = 0 if active else _revoke_sessions(session, user.id, now)
    audit.record(
        session,
        actor=actor,
        action="user.enable" if active else "user.disable",
        table=User.__tablename__,
        record_id=user.id,
        detail={"sessions_ended": ended},
    )
    return user


def _revoke_sessions(session: Session, user_id: int, now: datetime) -> int:
    rows = session.scalars(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def _principal(user: User) -> Principal:
    return Principal(name=user.name, role=Role(user.role), scope=user.scope)


def authenticate(session: Session, token: str | None, *, now: datetime | None = None) -> Principal:
    """The user a bearer token belongs to; Unauthorized if missing, unknown, expired or the
    user is disabled (checked on every request, so disabling takes effect at once)."""
    now = now or utcnow()
    if not token:
        raise Unauthorized("a bearer token is required", field="Authorization")
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    if user is None or not user.active:
        raise Unauthorized("the token is not valid", field="Authorization")
    if user.token_expires_at is not None and user.token_expires_at <= now:
        raise Unauthorized(
            "the token has expired; ask an administrator to rotate it", field="Authorization"
        )
    return _principal(user)


def start_web_session(
    session: Session, token: str, *, now: datetime | None = None, lifetime: timedelta
) -> tuple[Principal, str]:
    """Log in on the pages with an API token: a new web session; returns its clear id."""
    now = now or utcnow()
    principal = authenticate(session, token, now=now)
    user = get_user_or_raise(session, principal.name)
    # Ended sessions are kept a while for the audit trail's sake, then dropped.
    session.execute(delete(WebSession).where(WebSession.expires_at < now - SESSION_KEEP_AFTER_END))
    session_id = secrets.token_urlsafe(32)
    row = WebSession(
        id_hash=hash_token(session_id),
        user_id=user.id,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="session.login",
        table=WebSession.__tablename__,
        record_id=row.id,
        detail={"expires_at": row.expires_at.isoformat()},
    )
    return principal, session_id


def session_principal(
    session: Session, session_id: str | None, *, now: datetime | None = None
) -> Principal:
    """The user of a live web session; Unauthorized if ended, expired or the user disabled."""
    now = now or utcnow()
    if not session_id:
        raise Unauthorized("please log in", field="session")
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.id_hash == hash_token(session_id))
    ).first()
    if found is None:
        raise Unauthorized("the login session is not valid", field="session")
    web_session, user = found[0], found[1]
    if web_session.revoked_at is not None or web_session.expires_at <= now or not user.active:
        raise Unauthorized("the login session has ended; please log in again", field="session")
    return _principal(user)


def end_web_session(session: Session, session_id: str, *, now: datetime | None = None) -> bool:
    """Log out: the session is revoked (its cookie no longer works anywhere)."""
    now = now or utcnow()
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.id_hash == hash_token(session_id))
    ).first()
    if found is None:
        return False
    web_session, user = found[0], found[1]
    if web_session.revoked_at is None:
        web_session.revoked_at = now
        audit.record(
            session,
            actor=_principal(user).actor,
            action="session.logout",
            table=WebSession.__tablename__,
            record_id=web_session.id,
        )
    return True


def check_role(principal: Principal, roles: tuple[Role, ...]) -> None:
    if principal.role is Role.ADMIN or principal.role in roles:
        return
    needed = ", ".join(r.value for r in roles)
    raise Forbidden(f"role {principal.role.value!r} may not do this; needs one of: {needed}")
