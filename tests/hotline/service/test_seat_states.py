"""Seat-state history in batches: ``record_seat_states`` stores what ``record_seat_state`` stores
change by change, and leaves out (and returns) what it refuses, without losing the rest."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.hotline import service
from minsheng.hotline.errors import CounsellorNotFound, InvalidHotline
from minsheng.hotline.models import Counsellor, SeatState
from tests.hotline.service.test_workforce import line_with_staff


def script(a: str, b: str, t0: datetime) -> list[tuple[str, str, datetime]]:
    def s(seconds: float) -> datetime:
        return t0 + timedelta(seconds=seconds)

    return [
        (a, "available", s(1)),
        (b, "available", s(1)),
        (a, "available", s(2)),  # the state it is in: nothing changes
        (a, "talking", s(3)),
        (b, "break", s(3)),
        (a, "break", s(2.5)),  # before the open state began: refused
        (a, "offline", s(4)),
        (b, "available", s(4)),
    ]


def history(session: Session, cid: str) -> list[tuple[str, datetime, datetime | None, str]]:
    rows = session.scalars(
        select(SeatState).where(SeatState.counsellor_id == cid).order_by(SeatState.from_at)
    )
    return [(r.state, r.from_at, r.to_at, r.source) for r in rows]


def test_a_batch_stores_what_one_by_one_stores(session: Session) -> None:
    line_with_staff(session, people=4)
    # after whatever the counsellors' creation stored (its clock is not ours)
    t0 = max(
        [*session.scalars(select(SeatState.from_at)), *session.scalars(select(Counsellor.state_at))]
        or [datetime(2026, 1, 1).astimezone()]
    )
    refused_one = []
    for cid, state, at in script("sz-00", "sz-01", t0):
        try:
            service.record_seat_state(session, cid, state, at=at, source="sip")
        except InvalidHotline as exc:
            refused_one.append((cid, exc.field))
    changes = [
        *script("sz-02", "sz-03", t0),
        ("nobody", "available", t0 + timedelta(seconds=5)),
        ("sz-03", "dancing", t0 + timedelta(seconds=5)),
    ]
    refused = service.record_seat_states(session, changes, source="sip")
    assert refused_one == [("sz-00", "at")]
    assert [(i, type(e), e.field) for i, e in refused] == [
        (5, InvalidHotline, "at"),
        (8, CounsellorNotFound, "counsellor_id"),
        (9, InvalidHotline, "state"),
    ]
    assert history(session, "sz-00") == history(session, "sz-02")
    assert history(session, "sz-01") == history(session, "sz-03")
    assert [h[0] for h in history(session, "sz-02")][-3:] == ["available", "talking", "offline"]
    # a second batch goes on from the stored open states
    service.record_seat_states(session, [("sz-02", "available", t0 + timedelta(seconds=6))])
    service.record_seat_state(session, "sz-00", "available", at=t0 + timedelta(seconds=6))
    assert history(session, "sz-00") == history(session, "sz-02")
    assert history(session, "sz-02")[-2][2] == t0 + timedelta(seconds=6)  # offline closed
