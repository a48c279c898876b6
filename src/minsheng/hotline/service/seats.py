"""The seat-state history: every change of a counsellor's seat (signed in, talking, on break,
offline) as a row from ``from_at`` until ``to_at``. The SIP front and the engine call
``record_seat_state``; so does the staff board when a counsellor is signed in or out by hand.
Compliance (``service.workforce``) is judged on these rows, not on declared seats.
``record_seat_states`` stores many changes at once (the SIP record writer's batches): the same
rules, a few statements a batch instead of three or four a change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
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
    _check_change(state, at)
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
        if not _moves_on(current.state, current.from_at, state, at):
            return None
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


def _check_change(state: str, at: datetime) -> None:
    if state not in SEAT_STATES:
        raise InvalidHotline(f"unknown seat state {state!r}", field="state")
    if at.tzinfo is None:
        raise InvalidHotline("the time of a seat state needs a zone", field="at")


def _moves_on(current: str, since: datetime, state: str, at: datetime) -> bool:
    """Whether ``state`` at ``at`` follows the open state (False: it is that state already);
    a time before the open state began is refused."""
    if current == state:
        return False
    if at < since:
        raise InvalidHotline(
            f"{at.isoformat()} is before the current state began ({since.isoformat()})",
            field="at",
        )
    return True


@dataclass(slots=True)
class _Open:
    """A counsellor's open state during ``record_seat_states``: a stored row or a new one."""

    state: str
    since: datetime
    row_id: int | None = None
    new_index: int | None = None  # in the batch's new rows


def record_seat_states(
    session: Session, changes: Sequence[tuple[str, str, datetime]], *, source: str = "engine"
) -> list[tuple[int, CounsellorNotFound | InvalidHotline]]:
    """``record_seat_state`` for many (counsellor, state, time) changes in their order, in a
    few statements: the counsellors and their open states read once, the closed rows updated
    and the new rows inserted in one go. A change ``record_seat_state`` would refuse is left
    out (the others are stored); returns those, as (index in ``changes``, the error)."""
    refused: list[tuple[int, CounsellorNotFound | InvalidHotline]] = []
    ids = sorted({cid for cid, _state, _at in changes})
    if not ids:
        return refused
    found = session.execute(
        select(Counsellor.id, Counsellor.hotline_id).where(Counsellor.id.in_(ids))
    )
    hotline_of = {str(cid): str(hid) for cid, hid in found}
    # the open state of each (the newest, as record_seat_state reads it)
    open_: dict[str, _Open] = {}
    rows = session.execute(
        select(SeatState.id, SeatState.counsellor_id, SeatState.state, SeatState.from_at)
        .where(SeatState.counsellor_id.in_(ids), SeatState.to_at.is_(None))
        .order_by(SeatState.from_at)
    )
    for row_id, cid, state, since in rows:
        open_[cid] = _Open(state, since, row_id=row_id)
    closed: list[dict[str, object]] = []
    new: list[dict[str, object]] = []
    for index, (cid, state, at) in enumerate(changes):
        try:
            _check_change(state, at)
            if cid not in hotline_of:
                raise CounsellorNotFound(f"no counsellor {cid!r}", field="counsellor_id")
            current = open_.get(cid)
            if current is not None:
                if not _moves_on(current.state, current.since, state, at):
                    continue
                if current.new_index is not None:
                    new[current.new_index]["to_at"] = at
                else:
                    closed.append({"id": current.row_id, "to_at": at})
        except (CounsellorNotFound, InvalidHotline) as exc:
            refused.append((index, exc))
            continue
        open_[cid] = _Open(state, at, new_index=len(new))
        new.append(
            {"counsellor_id": cid, "hotline_id": hotline_of[cid], "state": state,
             "from_at": at, "to_at": None, "source": source}
        )  # fmt: skip
    if closed:
        session.execute(update(SeatState), closed)  # by primary key, one statement
    if new:
        session.execute(insert(SeatState), new)
    session.flush()
    return refused
