"""The seat-state history: every change of a counsellor's seat (signed in, talking, on break,
offline) as a row from ``from_at`` until ``to_at``. The SIP front and the engine call
``record_seat_state``; so does the staff board when a counsellor is signed in or out by hand.
Compliance (``service.workforce``) is judged on these rows, not on declared seats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.hotline.errors import CounsellorNotFound, InvalidHotline
from minsheng.hotline.models import Counsellor, SeatState
from minsheng.hotline.rules.workforce import SEAT_STATES


def record_seat_state(
    session: Session,
    counsellor_id: str,
    state: str,
    *,
    at: datetime,
    source: str = "engine",
) -> SeatState | None:
    """Close the counsellor's open state at ``at`` and open ``state`` from then on.

    Returns the new row, or None when the counsellor already is in ``state`` (nothing changes).
    A time before the open state's start is refused: the history only moves forward.
    """
    if state not in SEAT_STATES:
        raise InvalidHotline(f"unknown seat state {state!r}", field="state")
    if at.tzinfo is None:
        raise InvalidHotline("the time of a seat state needs a zone", field="at")
    c = session.get(Counsellor, counsellor_id)
    if c is None:
        raise CounsellorNotFound(f"no counsellor {counsellor_id!r}", field="counsellor_id")
    current = session.scalar(
        select(SeatState)
        .where(SeatState.counsellor_id == counsellor_id, SeatState.to_at.is_(None))
        .order_by(SeatState.from_at.desc())
        .limit(1)
    )
    if current is not None:
        if current.state == state:
            return None
        if at < current.from_at:
            raise InvalidHotline(
                f"{at.isoformat()} is before the current state began "
                f"({current.from_at.isoformat()})",
                field="at",
            )
        current.to_at = at
    row = SeatState(
        counsellor_id=counsellor_id,
        hotline_id=c.hotline_id,
        state=state,
        from_at=at,
        to_at=None,
        source=source,
    )
    session.add(row)
    session.flush()
    return row
