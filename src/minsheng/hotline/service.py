"""Hotline services: directory (import/export, counsellors), route preview, call records, KPIs,
compliance, crisis follow-up and retention. Functions take a Session, flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from minsheng.core import audit, regions
from minsheng.core.config import Settings
from minsheng.core.db import utcnow
from minsheng.core.privacy import keyed_hash, mask_phone, redact
from minsheng.hotline import kpi as kpi_math
from minsheng.hotline import rules
from minsheng.hotline.engine import CallRecord
from minsheng.hotline.errors import (
    CallNotFound,
    CounsellorNotFound,
    CounsellorOnTwoHotlines,
    FollowUpNotFound,
    HotlineNotFound,
    InvalidHotline,
    InvalidHours,
    InvalidImport,
    InvalidNumber,
    OverlappingRegions,
)
from minsheng.hotline.models import Assessment, Call, CallAttempt, Counsellor, FollowUp, Hotline
from minsheng.hotline.schemas import AssessmentCreate, CounsellorCreate, HotlineIn
from minsheng.hotline.snapshot import CallTag, CounsellorInfo, Directory, HotlineInfo, Level

PHONE_PURPOSE = "hotline-caller"
TABLE = "hotline_hotlines"


# directory -------------------------------------------------------------------------------------
def to_info(h: Hotline) -> HotlineInfo:
    return HotlineInfo(
        id=h.id,
        name=h.name,
        level=Level(h.level),
        regions=tuple(h.regions),
        legacy_numbers=tuple(h.legacy_numbers),
        hours=dict(h.hours),
        seats=h.seats,
        sip_uri=h.sip_uri,
        connected_at=h.connected_at,
    )


def hotline_dict(h: Hotline) -> dict[str, Any]:
    return {
        "id": h.id,
        "name": h.name,
        "level": h.level,
        "regions": list(h.regions),
        "legacy_numbers": list(h.legacy_numbers),
        "hours": dict(h.hours),
        "seats": h.seats,
        "sip_uri": h.sip_uri,
        "connected_at": h.connected_at.astimezone(rules.BEIJING).isoformat()
        if h.connected_at
        else None,
        "demo": h.demo,
    }


def list_hotlines(
    session: Session, *, level: str | None = None, region: str | None = None
) -> list[Hotline]:
    stmt = select(Hotline).order_by(Hotline.id)
    if level:
        stmt = stmt.where(Hotline.level == level)
    found = list(session.scalars(stmt))
    if region:
        r = regions.table().lookup(region)
        codes = {r.code, r.province_code, r.city_code or ""}
        found = [h for h in found if codes & set(h.regions) or h.level == "national"]
    return found


def get_hotline_or_raise(session: Session, hotline_id: str) -> Hotline:
    h = session.get(Hotline, hotline_id)
    if h is None:
        raise HotlineNotFound(f"no hotline {hotline_id!r}", field="hotline_id")
    return h


def directory_snapshot(session: Session) -> Directory:
    hotlines = tuple(to_info(h) for h in session.scalars(select(Hotline).order_by(Hotline.id)))
    counsellors = tuple(
        CounsellorInfo(c.id, c.hotline_id, frozenset(c.skills), c.name)
        for c in session.scalars(select(Counsellor).order_by(Counsellor.id))
    )
    return Directory(hotlines, counsellors)


@dataclass
class _Problem:
    row: int
    id: str | None
    field: str
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "field": self.field, "error": self.error}


def _check_row(index: int, raw: Any) -> tuple[HotlineIn | None, dict[str, str], list[_Problem]]:
    rid = raw.get("id") if isinstance(raw, dict) else None
    rid = rid if isinstance(rid, str) else None
    problems: list[_Problem] = []
    try:
        row = HotlineIn.model_validate(raw)
    except ValidationError as exc:
        for e in exc.errors():
            loc = ".".join(str(p) for p in e["loc"]) or "row"
            problems.append(_Problem(index, rid, loc, e["msg"]))
        return None, {}, problems
    hours: dict[str, str] = {}
    try:
        hours = rules.normalise_hours(row.hours)
    except InvalidHours as exc:
        problems.append(_Problem(index, row.id, exc.field or "hours", exc.detail))
    table = regions.table()
    if row.level == "national" and row.regions:
        problems.append(_Problem(index, row.id, "regions", "the national backup serves no region"))
    if row.level != "national" and not row.regions:
        problems.append(_Problem(index, row.id, "regions", f"a {row.level} line needs regions"))
    for i, code in enumerate(row.regions):
        region = table.get(code)
        want = "province" if row.level == "province" else "city"
        if region is None or not region.current:
            problems.append(
                _Problem(index, row.id, f"regions.{i}", f"{code!r} is no GB/T 2260 code")
            )
        elif region.level != want:
            problems.append(
                _Problem(index, row.id, f"regions.{i}", f"{code} is a {region.level}, not a {want}")
            )
    for i, number in enumerate(row.legacy_numbers):
        try:
            rules.check_number_syntax(number, field_name=f"legacy_numbers.{i}")
        except InvalidNumber as exc:
            problems.append(_Problem(index, row.id, exc.field or "legacy_numbers", exc.detail))
    if row.connected_at is not None and row.connected_at.tzinfo is None:
        row.connected_at = row.connected_at.replace(tzinfo=rules.BEIJING)
    return row, hours, problems


def import_hotlines(session: Session, data: Any, *, actor: str) -> dict[str, Any]:
    """Create or replace hotlines from a JSON list; all-or-nothing, naming every bad row/field."""
    if not isinstance(data, list):
        raise InvalidImport("the file must hold a JSON list of hotlines", field="file")
    problems: list[_Problem] = []
    rows: list[tuple[HotlineIn, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data):
        row, hours, found = _check_row(index, raw)
        problems.extend(found)
        if row is None:
            continue
        if row.id in seen:
            problems.append(_Problem(index, row.id, "id", f"duplicate of row {seen[row.id]}"))
        seen[row.id] = index
        rows.append((row, hours))
    # Regions: no two lines of one level may claim a region (counting lines already stored).
    claims: dict[tuple[str, str], str] = {}
    imported = {row.id for row, _ in rows}
    for h in session.scalars(select(Hotline)):
        if h.id not in imported:
            for code in h.regions:
                claims[(h.level, code)] = h.id
    overlaps: list[_Problem] = []
    row_index = {row.id: seen[row.id] for row, _ in rows}
    for row, _ in rows:
        for code in row.regions:
            other = claims.setdefault((row.level, code), row.id)
            if other != row.id:
                overlaps.append(
                    _Problem(
                        row_index[row.id],
                        row.id,
                        "regions",
                        f"{row.level} lines {other!r} and {row.id!r} both claim region {code}",
                    )
                )
    problems.extend(overlaps)
    legacy: dict[str, str] = {}
    for row, _ in rows:
        for number in row.legacy_numbers:
            key = rules.legacy_key(number)
            if legacy.setdefault(key, row.id) != row.id:
                problems.append(
                    _Problem(
                        row_index[row.id],
                        row.id,
                        "legacy_numbers",
                        f"{number} also belongs to {legacy[key]!r}",
                    )
                )
    if problems:
        listed = [p.as_dict() for p in problems]
        first = problems[0]
        detail = "; ".join(f"row {p.row} ({p.id}) {p.field}: {p.error}" for p in problems[:20])
        cls = OverlappingRegions if problems == overlaps else InvalidImport
        raise cls(
            f"import refused, nothing written: {detail}",
            field=f"rows[{first.row}].{first.field}",
            extra={"problems": listed},
        )
    created = updated = 0
    for row, hours in rows:
        stored = session.get(Hotline, row.id)
        if stored is None:
            h = Hotline(id=row.id, demo=False)
            session.add(h)
            created += 1
        else:
            h = stored
            updated += 1
        h.name = row.name
        h.level = row.level
        h.regions = list(row.regions)
        h.legacy_numbers = list(row.legacy_numbers)
        h.hours = hours
        h.seats = row.seats
        h.sip_uri = row.sip_uri
        h.connected_at = row.connected_at
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="hotline.import",
        table=TABLE,
        record_id="*",
        detail={"created": created, "updated": updated},
    )
    return {"created": created, "updated": updated, "total": len(rows)}


def export_hotlines(session: Session) -> list[dict[str, Any]]:
    """The directory in the import format (round-trips through ``import_hotlines``)."""
    out = []
    for h in list_hotlines(session):
        d = hotline_dict(h)
        del d["demo"]
        values = set(d["hours"].values())
        if len(values) == 1:
            d["hours"] = next(iter(values))
        out.append(d)
    return out


# counsellors -----------------------------------------------------------------------------------
def counsellor_dict(c: Counsellor) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "hotline_id": c.hotline_id,
        "skills": list(c.skills),
        "qualification": c.qualification,
        "state": c.state,
    }


def create_counsellor(session: Session, data: CounsellorCreate, *, actor: str) -> Counsellor:
    get_hotline_or_raise(session, data.hotline_id)
    existing = session.get(Counsellor, data.id)
    if existing is not None:
        if existing.hotline_id != data.hotline_id:
            raise CounsellorOnTwoHotlines(
                f"counsellor {data.id!r} already answers for {existing.hotline_id!r}; "
                "a counsellor belongs to one hotline",
                field="hotline_id",
            )
        raise CounsellorOnTwoHotlines(f"counsellor {data.id!r} already exists", field="id")
    skills = sorted({s.strip().lower() for s in data.skills if s.strip()})
    c = Counsellor(
        id=data.id,
        name=data.name,
        hotline_id=data.hotline_id,
        skills=skills,
        qualification=data.qualification,
        state="offline",
    )
    session.add(c)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="counsellor.create",
        table="hotline_counsellors",
        record_id=c.id,
        detail={"hotline_id": c.hotline_id},
    )
    return c


def list_counsellors(session: Session, *, hotline_id: str | None = None) -> list[Counsellor]:
    stmt = select(Counsellor).order_by(Counsellor.id)
    if hotline_id:
        stmt = stmt.where(Counsellor.hotline_id == hotline_id)
    return list(session.scalars(stmt))


def set_counsellor_state(
    session: Session, counsellor_id: str, state: str, *, actor: str
) -> Counsellor:
    c = session.get(Counsellor, counsellor_id)
    if c is None:
        raise CounsellorNotFound(f"no counsellor {counsellor_id!r}", field="counsellor_id")
    if state not in ("offline", "available", "break"):
        raise InvalidHotline(f"state {state!r} cannot be set by hand", field="state")
    c.state = state
    c.state_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="counsellor.state",
        table="hotline_counsellors",
        record_id=c.id,
        detail={"state": state},
    )
    return c


# routing ---------------------------------------------------------------------------------------
def route_settings(settings: Settings) -> rules.RouteSettings:
    return rules.RouteSettings(settings.hotline_step_timeout_s, settings.hotline_backup_timeout_s)


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
    rules.check_number_syntax(number)
    if dialled:
        rules.check_number_syntax(dialled, field_name="dialled")
    if origin is not None and not re.fullmatch(r"\d{2,6}", origin.strip()):
        raise InvalidNumber(
            f"origin {origin!r} is neither an area code nor a GB/T 2260 code", field="origin"
        )
    when = at or utcnow()
    if when.tzinfo is None:
        when = when.replace(tzinfo=rules.BEIJING)
    index = rules.DirectoryIndex.build([to_info(h) for h in session.scalars(select(Hotline))])
    caller, plan = rules.route_call(
        index,
        regions.table(),
        number,
        at=when,
        settings=route_settings(settings),
        origin=origin,
        dialled=dialled,
    )
    return plan_dict(caller, plan, when)


def plan_dict(caller: rules.CallerNumber, plan: rules.RoutePlan, at: datetime) -> dict[str, Any]:
    loc = plan.location.to_dict()
    return {
        "caller": {"masked": mask_phone(caller.digits), "valid": caller.valid, **loc},
        "at": at.astimezone(rules.BEIJING).isoformat(),
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
    caller: rules.CallerNumber,
    plan: rules.RoutePlan,
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


def save_records(
    session: Session, records: Iterable[CallRecord], *, demo: bool = False
) -> list[Call]:
    """Persist finished engine records (their ``tag`` must be a CallTag; times epoch seconds)."""
    provinces = {
        h.id: (h.regions[0][:2] + "0000" if h.regions else None)
        for h in session.scalars(select(Hotline))
    }
    saved = []
    for r in records:
        tag = r.tag
        if not isinstance(tag, CallTag):
            raise InvalidHotline(f"call {r.call_id} has no caller tag", field="tag")
        call = Call(
            call_ref=r.call_id,
            caller_hash=tag.caller_hash,
            caller_masked=tag.caller_masked,
            dialled=tag.dialled,
            arrived_at=_ts(r.arrived_at),
            ended_at=_ts(r.ended_at),
            location_source=tag.location_source,
            province_code=tag.province_code,
            city_code=tag.city_code,
            rule_version=tag.rule_version,
            outcome=r.outcome.value,
            crisis=r.crisis,
            skill=r.skill,
            last_resort=r.last_resort,
            hotline_id=r.hotline_id,
            hotline_province_code=provinces.get(r.hotline_id) if r.hotline_id else None,
            counsellor_id=r.counsellor_id,
            answered_at=_ts(r.answered_at) if r.answered_at is not None else None,
            wait_s=round(r.wait_s, 3),
            talk_s=round(r.talk_s, 3),
            wrapup_s=round(r.wrapup_s, 3),
            offers=r.offers,
            rollovers=r.rollovers,
            demo=demo,
        )
        call.attempts = [
            CallAttempt(
                seq=i,
                hotline_id=a.hotline_id,
                level=a.level.value,
                rule=a.rule,
                entered_at=_ts(a.entered_at),
                left_at=_ts(a.left_at) if a.left_at is not None else None,
                result=a.result.value if a.result else None,
            )
            for i, a in enumerate(r.attempts)
        ]
        session.add(call)
        saved.append(call)
    session.flush()
    return saved


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
        "crisis": c.crisis,
        "last_resort": c.last_resort,
        "hotline_id": c.hotline_id,
        "counsellor_id": c.counsellor_id,
        "wait_s": c.wait_s,
        "talk_s": c.talk_s,
        "wrapup_s": c.wrapup_s,
        "rollovers": c.rollovers,
        "rule_version": c.rule_version,
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


def get_call_or_raise(session: Session, call_ref: str) -> Call:
    c = session.scalar(select(Call).where(Call.call_ref == call_ref))
    if c is None:
        raise CallNotFound(f"no call {call_ref!r}", field="call_ref")
    return c


def list_calls(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    hotline_id: str | None = None,
    outcome: str | None = None,
    crisis: bool | None = None,
    limit: int = 100,
) -> list[Call]:
    stmt = select(Call).options(selectinload(Call.attempts)).order_by(Call.arrived_at.desc())
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
    session: Session, settings: Settings, *, actor: str, now: datetime | None = None
) -> dict[str, Any]:
    """Delete call records (with their steps, assessments, follow-ups) past the retention."""
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


# KPIs ------------------------------------------------------------------------------------------
GROUPINGS = ("hotline", "province", "day", "hour")


def kpis(
    session: Session,
    settings: Settings,
    *,
    start: datetime,
    end: datetime,
    by: str = "hotline",
    threshold_s: float | None = None,
) -> dict[str, Any]:
    """The KPIs of calls that arrived in [start, end), grouped ``by`` (see ``kpi.py``)."""
    if end <= start:
        raise InvalidHotline("the period ends before it starts", field="to")
    if by not in GROUPINGS:
        raise InvalidHotline(f"cannot group by {by!r}", field="by")
    threshold = threshold_s if threshold_s is not None else settings.hotline_service_level_s
    calls = session.execute(
        select(
            Call.id,
            Call.arrived_at,
            Call.outcome,
            Call.wait_s,
            Call.province_code,
            Call.hotline_province_code,
            Call.rollovers,
            Call.crisis,
            Call.hotline_id,
        ).where(Call.arrived_at >= start, Call.arrived_at < end)
    ).all()
    facts: list[kpi_math.CallFact] = []
    if by == "hotline":
        by_id = {c.id: c for c in calls}
        attempts = session.execute(
            select(CallAttempt.call_id, CallAttempt.hotline_id, CallAttempt.result)
            .join(Call, Call.id == CallAttempt.call_id)
            .where(Call.arrived_at >= start, Call.arrived_at < end)
        ).all()
        for a in attempts:
            c = by_id[a.call_id]
            outcome = {"answered": "answered", "abandoned": "abandoned"}.get(a.result or "", "")
            if not outcome:
                outcome = (
                    "no_answer"
                    if c.outcome == "no_answer" and a.result == "timeout"
                    else "passed_on"
                )
            # At one hotline, a rollover is a call it passed on to the next step.
            facts.append(_fact(a.hotline_id, c, outcome, int(outcome == "passed_on")))
        # Calls with no step at all (empty route) still count, under "(none)".
        stepped = {a.call_id for a in attempts}
        facts.extend(_fact("(none)", c, c.outcome) for c in calls if c.id not in stepped)
    else:
        for c in calls:
            local = c.arrived_at.astimezone(rules.BEIJING)
            key = {
                "province": c.province_code or "unknown",
                "day": local.date().isoformat(),
                "hour": f"{local.hour:02d}",
            }[by]
            facts.append(_fact(key, c, c.outcome))
    result = kpi_math.aggregate(facts, threshold)
    if by == "hotline":
        result["total"] = kpi_math.aggregate([_fact("t", c, c.outcome) for c in calls], threshold)[
            "total"
        ]
    if by == "province":
        table = regions.table()
        for g in result["groups"]:
            region = table.get(g["key"])
            g["name"] = region.name if region else "未知 unknown"
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "by": by,
        "service_level_threshold_s": threshold,
        **result,
    }


def _fact(group: str, c: Any, outcome: str, rollovers: int | None = None) -> kpi_math.CallFact:
    home_known = c.province_code is not None
    return kpi_math.CallFact(
        group=group,
        outcome=outcome,
        wait_s=float(c.wait_s),
        home_known=home_known,
        home_answered=home_known and c.hotline_province_code == c.province_code,
        rollovers=rollovers if rollovers is not None else int(c.rollovers),
        crisis=bool(c.crisis),
    )


# compliance ------------------------------------------------------------------------------------
def compliance(session: Session) -> dict[str, Any]:
    """Every hotline against the official minimums and every prefecture city's coverage."""
    infos = [to_info(h) for h in list_hotlines(session)]
    index = rules.DirectoryIndex.build(infos)
    hotlines = []
    for h in infos:
        problems = rules.hotline_problems(h)
        hotlines.append(
            {"hotline_id": h.id, "level": h.level.value, "ok": not problems, "problems": problems}
        )
    cities = []
    for city in regions.table().cities():
        if city.province_code[:2] in rules.NON_MAINLAND:
            continue
        cities.append(
            {"code": city.code, "name": city.name, "served_by": rules.city_served_by(index, city)}
        )
    counts: dict[str, int] = {}
    for c in cities:
        counts[c["served_by"]] = counts.get(c["served_by"], 0) + 1
    return {
        "rule_version": rules.RULES_VERSION,
        "minimums": {
            "seats": rules.MIN_SEATS,
            "hours_per_day": rules.MIN_HOURS_PER_DAY,
            "connected_before": rules.CONNECT_DEADLINE.isoformat(),
        },
        "summary": {
            "hotlines": len(hotlines),
            "hotlines_ok": sum(h["ok"] for h in hotlines),
            "cities": len(cities),
            "cities_served_by": counts,
        },
        "hotlines": hotlines,
        "cities": cities,
    }


# crisis follow-up ------------------------------------------------------------------------------
def record_assessment(
    session: Session,
    call_ref: str,
    data: AssessmentCreate,
    *,
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record a risk assessment of a call, any hand-over to 110/119/120, and the follow-up task
    (due when given; for high and medium risk a default due time otherwise)."""
    now = now or utcnow()
    call = get_call_or_raise(session, call_ref)
    if session.get(Counsellor, data.counsellor_id) is None:
        raise CounsellorNotFound(f"no counsellor {data.counsellor_id!r}", field="counsellor_id")
    if data.handover_at is not None and data.handover_to is None:
        raise InvalidHotline("a hand-over time needs handover_to", field="handover_to")
    for name in ("handover_at", "follow_up_due"):
        value = getattr(data, name)
        if value is not None and value.tzinfo is None:
            raise InvalidHotline(f"{name} needs a time zone", field=name)
    risk, rule = rules.assess_risk(data.suicidal_ideation, data.hopelessness)
    a = Assessment(
        call_id=call.id,
        counsellor_id=data.counsellor_id,
        assessed_at=now,
        suicidal_ideation=data.suicidal_ideation.value,
        hopelessness=data.hopelessness.value,
        risk=risk,
        risk_rule=rule,
        handover_to=data.handover_to,
        handover_at=data.handover_at or (now if data.handover_to else None),
        notes=redact(data.notes),
        detail={"rule_version": rules.RISK_RULES_VERSION},
    )
    session.add(a)
    if risk in ("high", "medium"):
        call.crisis = True
    session.flush()
    due = data.follow_up_due
    if due is None and risk in rules.FOLLOW_UP_HOURS:
        due = now + timedelta(hours=rules.FOLLOW_UP_HOURS[risk])
    follow = None
    if due is not None:
        follow = FollowUp(
            call_id=call.id,
            assessment_id=a.id,
            task=data.follow_up_task,
            due_at=due,
            created_by=actor,
        )
        session.add(follow)
        session.flush()
    audit.record(
        session,
        actor=actor,
        action="hotline.assessment",
        table="hotline_assessments",
        record_id=a.id,
        detail={"call_ref": call.call_ref, "risk": risk},
    )
    return {
        "assessment_id": a.id,
        "call_ref": call.call_ref,
        "risk": risk,
        "rule": rule,
        "rule_version": rules.RISK_RULES_VERSION,
        "handover_to": a.handover_to,
        "follow_up": followup_dict(follow, call.call_ref, now) if follow else None,
    }


def followup_dict(f: FollowUp, call_ref: str, now: datetime) -> dict[str, Any]:
    return {
        "id": f.id,
        "call_ref": call_ref,
        "task": f.task,
        "due_at": f.due_at.isoformat(),
        "done_at": f.done_at.isoformat() if f.done_at else None,
        "overdue": f.done_at is None and f.due_at < now,
    }


def list_followups(
    session: Session, *, overdue_only: bool = False, now: datetime | None = None
) -> list[dict[str, Any]]:
    now = now or utcnow()
    stmt = (
        select(FollowUp, Call.call_ref)
        .join(Call, Call.id == FollowUp.call_id)
        .order_by(FollowUp.due_at)
    )
    if overdue_only:
        stmt = stmt.where(FollowUp.done_at.is_(None), FollowUp.due_at < now)
    return [followup_dict(f, ref, now) for f, ref in session.execute(stmt).all()]


def complete_followup(
    session: Session, followup_id: int, note: str, *, actor: str, now: datetime | None = None
) -> dict[str, Any]:
    now = now or utcnow()
    f = session.get(FollowUp, followup_id)
    if f is None:
        raise FollowUpNotFound(f"no follow-up {followup_id}", field="followup_id")
    if f.done_at is None:
        f.done_at = now
        f.done_note = redact(note)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="hotline.followup_done",
            table="hotline_followups",
            record_id=f.id,
        )
    ref = session.scalar(select(Call.call_ref).where(Call.id == f.call_id)) or ""
    return followup_dict(f, ref, now)


def count_calls(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Call)) or 0)


def hotline_ids(session: Session) -> Sequence[str]:
    return list(session.scalars(select(Hotline.id).order_by(Hotline.id)))
