"""Seat planning from the database: demand read from the call records, plans for the directory.

The arithmetic lives in ``rules/planning.py`` (pure); this module only reads. A hotline's demand is
the calls whose *first* routing step was that hotline (its own callers: the calls it is meant to
answer), counted by Beijing weekday and half hour of arrival.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import timeutil
from minsheng.core.scope import Scope
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.models import Call, CallAttempt, Hotline
from minsheng.hotline.rules import planning, routing
from minsheng.hotline.rules.snapshot import WEEKDAYS
from minsheng.hotline.service.scoping import check_hotline, hotline_in_scope


def open_slots(hours: dict[str, str]) -> set[tuple[int, int]]:
    """The half hours a line with these opening hours is open, Monday to Sunday."""
    spans: dict[str, tuple[int, int] | None] = {}
    for day in WEEKDAYS:
        span = routing.parse_span(hours.get(day, ""))
        spans[day] = None if span is None else (span.start, span.end)
    return planning.open_slots_from_spans(spans)


def default_as_of(session: Session) -> date:
    """The day after the newest call record (Beijing), or today when there is none."""
    newest = session.scalar(select(Call.arrived_at).order_by(Call.arrived_at.desc()).limit(1))
    if newest is None:
        return timeutil.today()
    if newest.tzinfo is None:  # SQLite returns naive UTC through some drivers
        newest = newest.replace(tzinfo=UTC)
    return newest.astimezone(BEIJING).date() + timedelta(days=1)


def arrivals(session: Session, hotline_id: str, *, start: date, end: date) -> list[datetime]:
    """Beijing-local arrival times of the calls first offered to ``hotline_id`` in [start, end)."""
    lo = datetime.combine(start, time(0), tzinfo=BEIJING)
    hi = datetime.combine(end, time(0), tzinfo=BEIJING)
    rows = session.scalars(
        select(Call.arrived_at)
        .join(CallAttempt, CallAttempt.call_id == Call.id)
        .where(
            CallAttempt.seq == 0,
            CallAttempt.hotline_id == hotline_id,
            Call.arrived_at >= lo,
            Call.arrived_at < hi,
        )
    ).all()
    return [_utc(t).astimezone(BEIJING).replace(tzinfo=None) for t in rows]


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def plan(
    session: Session,
    *,
    hotline_id: str | None = None,
    as_of: date | None = None,
    weeks: int = 4,
    smooth: int = 1,
    pool_weekdays: bool = False,
    target: planning.PlanTarget | None = None,
    detail: bool = False,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Plans for one hotline or the whole directory (the lines of ``scope``), as JSON-ready
    dicts."""
    target = target or planning.PlanTarget()
    target.validate()
    if weeks < 1 or weeks > 104:
        raise planning.PlanningError(f"weeks must be between 1 and 104, got {weeks}", field="weeks")
    if hotline_id is not None:
        hotlines = [check_hotline(session, hotline_id, scope)]
    else:
        every = session.scalars(select(Hotline).order_by(Hotline.id))
        hotlines = [h for h in every if hotline_in_scope(h, scope)]
    as_of = as_of or default_as_of(session)
    start = as_of - timedelta(days=7 * weeks)
    plans = []
    for h in hotlines:
        counts = planning.count_arrivals(arrivals(session, h.id, start=start, end=as_of))
        demand = planning.forecast(
            counts, as_of=as_of, weeks=weeks, smooth=smooth, pool_weekdays=pool_weekdays
        )
        result = planning.plan_hotline(
            h.id, seats=h.seats, open_slots=open_slots(h.hours), demand=demand, target=target
        )
        d = result.to_dict(detail=detail)
        d["name"] = h.name
        d["level"] = h.level
        plans.append(d)
    short = [p for p in plans if not p["enough"]]
    return {
        "as_of": as_of.isoformat(),
        "weeks": weeks,
        "smooth_half_hours": smooth,
        "weekdays_pooled": pool_weekdays,
        "target": target.to_dict(),
        "rules": planning.RULES,
        "version": planning.PLANNING_VERSION,
        "hotlines_planned": len(plans),
        "hotlines_short_of_seats": len(short),
        "hotlines": plans,
    }
