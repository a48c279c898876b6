"""Which hotlines, counsellors and calls a staff member's scope (``core.scope``) reaches.

- A hotline is in scope when every region it serves lies in the user's province or city; the
  national lines (and any line serving several provinces) belong to national staff only.
- A counsellor, shift or roster follows its hotline.
- A call (with its assessments and follow-ups) is in scope when it went to a line in scope or
  the caller was located in the user's province or city.

Out-of-scope records answer like missing ones (``<Thing>NotFound``), never 403.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from minsheng.core.scope import Scope
from minsheng.hotline.errors import CallNotFound, CounsellorNotFound, HotlineNotFound
from minsheng.hotline.models import Call, Counsellor, Hotline, SipLiveCall


def hotline_in_scope(h: Hotline, scope: Scope) -> bool:
    if scope.national:
        return True
    if h.level == "national":
        return False
    return scope.covers_regions(h.regions)


def hotline_ids_in_scope(session: Session, scope: Scope) -> set[str] | None:
    """The ids of the lines in scope; None when the scope reaches every line."""
    if scope.national:
        return None
    rows = session.scalars(select(Hotline).where(Hotline.level != "national"))
    return {h.id for h in rows if hotline_in_scope(h, scope)}


def check_hotline(session: Session, hotline_id: str, scope: Scope) -> Hotline:
    """The hotline, or HotlineNotFound when missing or outside the scope."""
    h = session.get(Hotline, hotline_id)
    if h is None or not hotline_in_scope(h, scope):
        raise HotlineNotFound(f"no hotline {hotline_id!r}", field="hotline_id")
    return h


def check_counsellor(session: Session, counsellor_id: str, scope: Scope) -> Counsellor:
    """The counsellor, or CounsellorNotFound when missing or their line is outside the scope."""
    c = session.get(Counsellor, counsellor_id)
    if c is None or not counsellor_in_scope(session, c, scope):
        raise CounsellorNotFound(f"no counsellor {counsellor_id!r}", field="counsellor_id")
    return c


def counsellor_in_scope(session: Session, c: Counsellor, scope: Scope) -> bool:
    if scope.national:
        return True
    h = session.get(Hotline, c.hotline_id)
    return h is not None and hotline_in_scope(h, scope)


def counsellor_filter(session: Session, scope: Scope) -> ColumnElement[bool]:
    ids = hotline_ids_in_scope(session, scope)
    if ids is None:
        return true()
    return Counsellor.hotline_id.in_(sorted(ids)) if ids else false()


def hotline_filter(
    session: Session, scope: Scope, column: InstrumentedAttribute[Any]
) -> ColumnElement[bool]:
    """A condition on a ``hotline_id`` column of any table (shifts, seat states, ...)."""
    ids = hotline_ids_in_scope(session, scope)
    if ids is None:
        return true()
    return column.in_(sorted(ids)) if ids else false()


def call_filter(session: Session, scope: Scope) -> ColumnElement[bool]:
    """A condition on ``hotline_calls`` selecting the calls in scope."""
    if scope.national:
        return true()
    assert scope.region is not None
    ids = sorted(hotline_ids_in_scope(session, scope) or ())
    located = (
        Call.province_code == scope.region if scope.is_province else Call.city_code == scope.region
    )
    return or_(Call.hotline_id.in_(ids), located) if ids else located


def call_in_scope(session: Session, call: Call, scope: Scope) -> bool:
    if scope.national:
        return True
    ids = hotline_ids_in_scope(session, scope) or set()
    if call.hotline_id in ids:
        return True
    assert scope.region is not None
    if scope.is_province:
        return call.province_code == scope.region
    return call.city_code == scope.region


def check_call(call: Call | None, session: Session, call_ref: str, scope: Scope) -> Call:
    if call is None or not call_in_scope(session, call, scope):
        raise CallNotFound(f"no call {call_ref!r}", field="call_ref")
    return call


def live_call_filter(session: Session, scope: Scope) -> ColumnElement[bool]:
    """The same rule as ``call_filter`` for the live board (calls up on the SIP nodes)."""
    if scope.national:
        return true()
    assert scope.region is not None
    ids = sorted(hotline_ids_in_scope(session, scope) or ())
    located = (
        SipLiveCall.province_code == scope.region
        if scope.is_province
        else SipLiveCall.city_code == scope.region
    )
    return or_(SipLiveCall.hotline_id.in_(ids), located) if ids else located


def live_call_in_scope(session: Session, live: SipLiveCall, scope: Scope) -> bool:
    if scope.national:
        return True
    ids = hotline_ids_in_scope(session, scope) or set()
    if live.hotline_id in ids:
        return True
    assert scope.region is not None
    if scope.is_province:
        return live.province_code == scope.region
    return live.city_code == scope.region
