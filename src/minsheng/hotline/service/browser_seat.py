"""The browser seat (issue 16): which counsellor a staff user answers as, and the short-lived SIP
credential the seat page registers with (``rules.seat``). Functions take a Session, never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.auth import User, get_user_or_raise
from minsheng.hotline.errors import SeatDisabled, SeatNotLinked, SeatUserTaken
from minsheng.hotline.models import Counsellor
from minsheng.hotline.rules import seat as seat_rules
from minsheng.hotline.service.workforce import get_counsellor


def find_seat_counsellor(session: Session, user_name: str) -> Counsellor | None:
    """The counsellor whose seat the staff user works, if any."""
    return session.scalar(select(Counsellor).where(Counsellor.staff_user == user_name))


def get_seat_counsellor(session: Session, user_name: str) -> Counsellor:
    c = find_seat_counsellor(session, user_name)
    if c is None:
        raise SeatNotLinked(
            f"工作人员 {user_name} 未关联咨询员坐席，请管理员先关联", field="staff_user"
        )
    return c


def link_seat_user(
    session: Session, counsellor_id: str, user_name: str | None, *, actor: str
) -> Counsellor:
    """Let ``user_name`` (a staff user) answer as the counsellor in the browser; None unlinks."""
    c = get_counsellor(session, counsellor_id)
    if user_name is not None:
        user = get_user_or_raise(session, user_name)
        other = find_seat_counsellor(session, user.name)
        if other is not None and other.id != c.id:
            raise SeatUserTaken(
                f"staff user {user.name} already works the seat of {other.id}", field="staff_user"
            )
        user_name = user.name
    c.staff_user = user_name
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="counsellor.seat_user",
        table=Counsellor.__tablename__,
        record_id=c.id,
        detail={"staff_user": user_name},
    )
    return c


def seat_credential(
    session: Session, user_name: str, *, key: bytes, now: datetime, ttl_s: int
) -> seat_rules.SeatCredential:
    """A SIP credential for the staff user's counsellor, valid ``ttl_s`` from ``now``.

    Refused (``SeatDisabled``) for a disabled counsellor or staff user; the SIP user is the
    counsellor's id, as in the B2BUA's seats file.
    """
    c = get_seat_counsellor(session, user_name)
    user = session.scalar(select(User).where(User.name == user_name))
    if not c.active or user is None or not user.active:
        raise SeatDisabled(f"咨询员 {c.id} 已停用，不能登录坐席", field="counsellor_id")
    secret = seat_rules.seat_secret(key)
    return seat_rules.issue(secret, c.id, now_unix=int(now.timestamp()), ttl_s=ttl_s)


def seat_dict(c: Counsellor) -> dict[str, Any]:
    return {
        "counsellor_id": c.id,
        "name": c.name,
        "hotline_id": c.hotline_id,
        "state": c.state,
        "active": c.active,
    }
