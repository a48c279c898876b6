"""Route previews and call records: the caller's number only as a keyed hash and a mask;
retention purge."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, selectinload

from minsheng.core import audit, regions
from minsheng.core.config import Settings
from minsheng.core.db import utcnow
from minsheng.core.privacy import keyed_hash, mask_phone
from minsheng.core.scope import Scope
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.engine import CallRecord
from minsheng.hotline.errors import (
    InvalidHotline,
    InvalidNumber,
)
from minsheng.hotline.models import Assessment, Call, CallAttempt, FollowUp, Hotline
from minsheng.hotline.rules import routing
from minsheng.hotline.rules.snapshot import CallTag
from minsheng.hotline.service.directory import to_info
from minsheng.hotline.service.scoping import call_filter, check_call

PHONE_PURPOSE = "hotline-caller"


# routing ---------------------------------------------------------------------------------------
def route_settings(settings: Settings) -> routing.RouteSettings:
    return routing.RouteSettings(settings.hotline_step_timeout_s, settings.hotline_backup_timeout_s)


def route_preview(
    session: Session,
    settings: Settings,
    number: str,
    *,
    origin: str | None = None,
    at: datetime | None = None,
    dialled: str | None = None,
) -> dict[str, Any]:
    """Where a call from ``number`` would go at ``at`` (default now); the number only masked."""
    routing.check_number_syntax(number)
    if dialled:
        routing.check_number_syntax(dialled, field_name="dialled")
    if origin is not None and not re.fullmatch(r"\d{2,6}", origin.strip()):
        raise InvalidNumber(
            f"origin {origin!r} is neither an area code nor a GB/T 2260 code", field="origin"
        )
    when = at or utcnow()
    if when.tzinfo is None:
        when = when.replace(tzinfo=BEIJING)
    index = routing.DirectoryIndex.build([to_info(h) for h in session.scalars(select(Hotline))])
    caller, plan = routing.route_call(
        index,
        regions.table(),
        number,
        at=when,
        settings=route_settings(settings),
        origin=origin,
        dialled=dialled,
    )
    return plan_dict(caller, plan, when)


def plan_dict(
    caller: routing.CallerNumber, plan: routing.RoutePlan, at: datetime
) -> dict[str, Any]:
    loc = plan.location.to_dict()
    return {
        "caller": {"masked": mask_phone(caller.digits), "valid": caller.valid, **loc},
        "at": at.astimezone(BEIJING).isoformat(),
        "steps": [
            {
                "hotline_id": s.hotline_id,
                "level": s.level.value,
                "timeout_s": s.timeout_s,
                "rule": s.rule,
            }
            for s in plan.steps
        ],
        "skipped": [{"hotline_id": s.hotline_id, "reason": s.reason} for s in plan.skipped],
        "notes": list(plan.notes),
        "rule_version": plan.version,
    }


def call_tag(
    settings: Settings,
    caller: routing.CallerNumber,
    plan: routing.RoutePlan,
    dialled: str | None = None,
) -> CallTag:
    """The engine tag of a routed call: the caller only as a keyed hash and a masked form."""
    loc = plan.location
    return CallTag(
        caller_hash=keyed_hash(caller.digits, settings.hmac_key, purpose=PHONE_PURPOSE),
        caller_masked=mask_phone(caller.digits),
        location_source=loc.source.value,
        province_code=loc.province.code if loc.province else None,
        city_code=loc.city.code if loc.city else None,
        rule_version=plan.version,
        dialled=dialled,
    )


# call records ----------------------------------------------------------------------------------
def _ts(seconds: float) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(seconds, UTC)


def _call_row(r: CallRecord, provinces: dict[str, str | None], demo: bool) -> dict[str, Any]:
    tag = r.tag
    if not isinstance(tag, CallTag):
        raise InvalidHotline(f"call {r.call_id} has no caller tag", field="tag")
    return {
        "call_ref": r.call_id,
        "caller_hash": tag.caller_hash,
        "caller_masked": tag.caller_masked,
        "dialled": tag.dialled,
        "arrived_at": _ts(r.arrived_at),
        "ended_at": _ts(r.ended_at),
        "location_source": tag.location_source,
        "province_code": tag.province_code,
        "city_code": tag.city_code,
        "rule_version": tag.rule_version,
        "outcome": r.outcome.value,
        "ended_by": r.ended_by.value if r.ended_by is not None else None,
        "crisis": r.crisis,
        "skill": r.skill,
        "last_resort": r.last_resort,
        "hotline_id": r.hotline_id,
        "hotline_province_code": provinces.get(r.hotline_id) if r.hotline_id else None,
        "counsellor_id": r.counsellor_id,
        "answered_at": _ts(r.answered_at) if r.answered_at is not None else None,
        "wait_s": round(r.wait_s, 3),
        "talk_s": round(r.talk_s, 3),
        "wrapup_s": round(r.wrapup_s, 3),
        "offers": r.offers,
        "rollovers": r.rollovers,
        "media": r.media,
        "demo": demo,
    }


def _attempt_rows(r: CallRecord) -> list[dict[str, Any]]:
    return [
        {
            "seq": i,
            "hotline_id": a.hotline_id,
            "level": a.level.value,
            "rule": a.rule,
            "entered_at": _ts(a.entered_at),
            "left_at": _ts(a.left_at) if a.left_at is not None else None,
            "result": a.result.value if a.result else None,
        }
        for i, a in enumerate(r.attempts)
    ]


def _provinces(session: Session) -> dict[str, str | None]:
    return {
        h.id: (h.regions[0][:2] + "0000" if h.regions else None)
        for h in session.scalars(select(Hotline))
    }


def save_records(
    session: Session, records: Iterable[CallRecord], *, demo: bool = False
) -> list[Call]:
    """Persist finished engine records (their ``tag`` must be a CallTag; times epoch seconds)."""
    provinces = _provinces(session)
    saved = []
    for r in records:
        call = Call(**_call_row(r, provinces, demo))
        call.attempts = [CallAttempt(**row) for row in _attempt_rows(r)]
        session.add(call)
        saved.append(call)
    session.flush()
    return saved


def save_records_bulk(
    session: Session, records: Sequence[CallRecord], *, demo: bool = False, batch: int = 2000
) -> int:
    """``save_records`` for many records at once (demo data, simulations): Core inserts in
    batches, several times faster than the ORM; returns how many calls were stored."""
    provinces = _provinces(session)
    for start in range(0, len(records), batch):
        part = records[start : start + batch]
        rows = [_call_row(r, provinces, demo) for r in part]
        ids = (
            session.execute(insert(Call).returning(Call.id, sort_by_parameter_order=True), rows)
            .scalars()
            .all()
        )
        attempts = [
            {"call_id": call_id, **row}
            for call_id, r in zip(ids, part, strict=True)
            for row in _attempt_rows(r)
        ]
        if attempts:
            session.execute(insert(CallAttempt), attempts)
    session.flush()
    return len(records)


def call_dict(c: Call, *, attempts: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {
        "call_ref": c.call_ref,
        "caller": c.caller_masked,
        "arrived_at": c.arrived_at.isoformat(),
        "ended_at": c.ended_at.isoformat(),
        "location_source": c.location_source,
        "province_code": c.province_code,
        "city_code": c.city_code,
        "outcome": c.outcome,
        "ended_by": c.ended_by,
        "crisis": c.crisis,
        "last_resort": c.last_resort,
        "hotline_id": c.hotline_id,
        "counsellor_id": c.counsellor_id,
        "wait_s": c.wait_s,
        "talk_s": c.talk_s,
        "wrapup_s": c.wrapup_s,
        "rollovers": c.rollovers,
        "rule_version": c.rule_version,
        "media": c.media,
    }
    if attempts:
        d["attempts"] = [
            {
                "hotline_id": a.hotline_id,
                "level": a.level,
                "rule": a.rule,
                "entered_at": a.entered_at.isoformat(),
                "left_at": a.left_at.isoformat() if a.left_at else None,
                "result": a.result,
            }
            for a in c.attempts
        ]
    return d


def get_call(session: Session, call_ref: str, *, scope: Scope = Scope.ALL) -> Call:
    """The call; CallNotFound when missing or outside the scope (``scoping``)."""
    c = session.scalar(select(Call).where(Call.call_ref == call_ref))
    return check_call(c, session, call_ref, scope)


def list_calls(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    hotline_id: str | None = None,
    outcome: str | None = None,
    crisis: bool | None = None,
    limit: int = 100,
    scope: Scope = Scope.ALL,
) -> list[Call]:
    stmt = (
        select(Call)
        .options(selectinload(Call.attempts))
        .where(call_filter(session, scope))
        .order_by(Call.arrived_at.desc())
    )
    if start:
        stmt = stmt.where(Call.arrived_at >= start)
    if end:
        stmt = stmt.where(Call.arrived_at < end)
    if hotline_id:
        stmt = stmt.where(Call.hotline_id == hotline_id)
    if outcome:
        stmt = stmt.where(Call.outcome == outcome)
    if crisis is not None:
        stmt = stmt.where(Call.crisis == crisis)
    return list(session.scalars(stmt.limit(limit)))


def purge(
    session: Session,
    settings: Settings,
    *,
    actor: str,
    now: datetime | None = None,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Delete call records (with their steps, assessments, follow-ups) past the retention.
    The retention applies to the whole country: national staff only."""
    scope.require(scope.national, "purging every region's call records")
    cutoff = (now or utcnow()) - timedelta(days=settings.hotline_retention_days)
    ids = list(session.scalars(select(Call.id).where(Call.arrived_at < cutoff)))
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        # Children first: SQLite without foreign-key cascades must not be relied on.
        session.execute(delete(FollowUp).where(FollowUp.call_id.in_(part)))
        session.execute(delete(Assessment).where(Assessment.call_id.in_(part)))
        session.execute(delete(CallAttempt).where(CallAttempt.call_id.in_(part)))
        session.execute(delete(Call).where(Call.id.in_(part)))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="hotline.purge",
        table="hotline_calls",
        record_id="*",
        detail={"deleted": len(ids), "cutoff": cutoff.isoformat()},
    )
    return {
        "deleted": len(ids),
        "cutoff": cutoff.isoformat(),
        "retention_days": settings.hotline_retention_days,
    }


def count_calls(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Call)) or 0)
