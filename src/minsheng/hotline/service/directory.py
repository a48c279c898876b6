"""The hotline directory: hotlines (import/export, all-or-nothing), counsellors, and which lines
serve a place (the public 12356 finder)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import address, audit, regions
from minsheng.core.db import utcnow
from minsheng.core.errors import DomainError, NotFound, PlaceAmbiguous
from minsheng.core.scope import Scope
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.errors import (
    CounsellorOnTwoHotlines,
    HotlineNotFound,
    InvalidHotline,
    InvalidHours,
    InvalidImport,
    InvalidNumber,
    OverlappingRegions,
)
from minsheng.hotline.models import Counsellor, Hotline
from minsheng.hotline.rules import routing
from minsheng.hotline.rules.snapshot import CounsellorInfo, Directory, HotlineInfo, Level
from minsheng.hotline.schemas import CounsellorCreate, HotlineIn
from minsheng.hotline.service.scoping import (
    check_counsellor,
    check_hotline,
    counsellor_filter,
    hotline_in_scope,
)
from minsheng.hotline.service.seats import record_seat_state

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
        recording=bool(h.recording),
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
        "connected_at": h.connected_at.astimezone(BEIJING).isoformat() if h.connected_at else None,
        "recording": bool(h.recording),
        "demo": h.demo,
    }


PRIVATE_FIELDS = ("sip_uri",)


def public_hotline_view(h: Hotline) -> dict[str, Any]:
    """The one public view of a hotline, used by every public route and page.

    The SIP address is internal addressing for staff (export, the SIP server), never public.
    """
    d = hotline_dict(h)
    for name in PRIVATE_FIELDS:
        del d[name]
    return d


def list_hotlines(
    session: Session,
    *,
    level: str | None = None,
    region: str | None = None,
    scope: Scope = Scope.ALL,
) -> list[Hotline]:
    stmt = select(Hotline).order_by(Hotline.id)
    if level:
        stmt = stmt.where(Hotline.level == level)
    found = [h for h in session.scalars(stmt) if hotline_in_scope(h, scope)]
    if region:
        r = regions.table().lookup(region)
        codes = {r.code, r.province_code, r.city_code or ""}
        found = [h for h in found if codes & set(h.regions) or h.level == "national"]
    return found


def get_hotline(session: Session, hotline_id: str) -> Hotline:
    h = session.get(Hotline, hotline_id)
    if h is None:
        raise HotlineNotFound(f"no hotline {hotline_id!r}", field="hotline_id")
    return h


def set_hotline_recording(
    session: Session,
    hotline_id: str,
    recording: bool,
    *,
    actor: str,
    reason: str = "",
    scope: Scope = Scope.ALL,
) -> Hotline:
    """Turn a line's recording on or off (audited ``hotline.recording.setting`` with the old and
    new value and the reason). A line outside the scope answers HotlineNotFound. The SIP server
    reads the setting again within a minute (``sip/server.py``); a call already answered keeps
    what it had when its counsellor answered."""
    h = check_hotline(session, hotline_id, scope)
    before = bool(h.recording)
    h.recording = recording
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="hotline.recording.setting",
        table=TABLE,
        record_id=h.id,
        detail={"recording": recording, "before": before, "reason": reason.strip()[:500]},
    )
    return h


def recording_settings(session: Session) -> dict[str, bool]:
    """Which lines record their calls: hotline id → setting (the SIP server's refresh)."""
    return {hid: bool(on) for hid, on in session.execute(select(Hotline.id, Hotline.recording))}


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
        hours = routing.normalise_hours(row.hours)
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
            routing.check_number_syntax(number, field_name=f"legacy_numbers.{i}")
        except InvalidNumber as exc:
            problems.append(_Problem(index, row.id, exc.field or "legacy_numbers", exc.detail))
    if row.connected_at is not None and row.connected_at.tzinfo is None:
        row.connected_at = row.connected_at.replace(tzinfo=BEIJING)
    return row, hours, problems


def import_hotlines(
    session: Session,
    data: Any,
    *,
    actor: str,
    scope: Scope = Scope.ALL,
    default_recording: bool = False,
) -> dict[str, Any]:
    """Create or replace hotlines from a JSON list; all-or-nothing, naming every bad row/field.
    Regional staff may only touch lines of their own province or city (``scoping``).

    A row's ``recording`` sets whether the line records its calls; without it a stored line keeps
    its setting and a new one takes ``default_recording`` (the platform's HOTLINE_RECORDING)."""
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
    # Scope first: a refusal for a line outside the scope says nothing about other lines.
    for row, _ in rows:
        stored = session.get(Hotline, row.id)
        if stored is not None:
            check_hotline(session, row.id, scope)
        target = Hotline(id=row.id, level=row.level, regions=list(row.regions))
        scope.require(hotline_in_scope(target, scope), f"hotline {row.id!r}")
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
            key = routing.legacy_key(number)
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
            h = Hotline(id=row.id, demo=False, recording=default_recording)
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
        if row.recording is not None:
            h.recording = row.recording
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


def export_hotlines(session: Session, *, scope: Scope = Scope.ALL) -> list[dict[str, Any]]:
    """The directory in the import format (round-trips through ``import_hotlines``); the lines
    of the scope only."""
    out = []
    for h in list_hotlines(session):
        if not hotline_in_scope(h, scope):
            continue
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


def create_counsellor(
    session: Session, data: CounsellorCreate, *, actor: str, scope: Scope = Scope.ALL
) -> Counsellor:
    check_hotline(session, data.hotline_id, scope)
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
        qualification_kind=data.qualification_kind,
        certificate_no=data.certificate_no,
        certificate_date=data.certificate_date,
        training_hours=data.training_hours,
        supervision_hours_month=data.supervision_hours_month,
        dialects=sorted({d.strip() for d in data.dialects if d.strip()}),
        active=data.active,
        weekly_hours_max=data.weekly_hours_max,
        availability=data.availability,
    )
    audit.add_and_record(
        session, c, actor=actor, action="counsellor.create", detail={"hotline_id": c.hotline_id}
    )
    return c


def list_counsellors(
    session: Session, *, hotline_id: str | None = None, scope: Scope = Scope.ALL
) -> list[Counsellor]:
    stmt = select(Counsellor).where(counsellor_filter(session, scope)).order_by(Counsellor.id)
    if hotline_id:
        stmt = stmt.where(Counsellor.hotline_id == hotline_id)
    return list(session.scalars(stmt))


def set_counsellor_state(
    session: Session, counsellor_id: str, state: str, *, actor: str, scope: Scope = Scope.ALL
) -> Counsellor:
    c = check_counsellor(session, counsellor_id, scope)
    if state not in ("offline", "available", "break"):
        raise InvalidHotline(f"state {state!r} cannot be set by hand", field="state")
    c.state = state
    c.state_at = utcnow()
    record_seat_state(session, c.id, state, at=c.state_at, source="manual")
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


def hotline_ids(session: Session) -> Sequence[str]:
    return list(session.scalars(select(Hotline.id).order_by(Hotline.id)))


# which line serves a place ---------------------------------------------------------------------
LEVEL_ORDER = {"city": 0, "province": 1, "national": 2}


def find_place(query: str) -> regions.Region:
    """A place by code, landline area code (``0755``) or address / name, read down to the
    county (``广东省深圳市南山区``, ``深圳南山``, ``浦东``, ``琼中``; see core.address). A name
    several places share raises PlaceAmbiguous listing them; an unknown one NotFound, both
    naming the field ``city`` (the public finder's field)."""
    table = regions.table()
    query = query.strip()
    if query.isdigit() and query.startswith("0") and len(query) in (3, 4):
        found = routing.area_code_location(table, query)
        if found is None:
            raise NotFound(f"no city has the area code {query}", field="city")
        province, city = found
        return city or province
    if not query.isdigit():
        places = address.resolve(query)
        if len(places) == 1:
            return places[0]
        if places:
            choices = [{"code": p.code, "name": address.label(p)} for p in places]
            raise PlaceAmbiguous(
                f"{query!r} names {len(places)} places: "
                + ", ".join(f"{c['code']} {c['name']}" for c in choices),
                field="city",
                extra={"choices": choices},
            )
    try:
        return table.lookup(query)
    except DomainError as exc:  # the core names its own field; the form's field is "city"
        raise NotFound(exc.detail, field="city") from None


def lines_for_place(session: Session, query: str, *, at: datetime) -> dict[str, Any]:
    """The 12356 lines serving a place (city line, then province line, then national backup),
    each with its hours normalised and whether it is open and connected to 12356 at ``at``.

    Returns ``{"region": <regions.describe>, "lines": [...]}``; an unknown place raises NotFound.
    """
    region = find_place(query)
    lines: list[dict[str, Any]] = []
    for h in list_hotlines(session, region=region.code):
        d = public_hotline_view(h)
        hours = routing.normalise_hours(d["hours"])
        d["hours"] = hours
        d["open_now"] = routing.is_open(hours, at)
        d["connected"] = routing.is_connected(to_info(h), at)
        lines.append(d)
    lines.sort(key=lambda d: (LEVEL_ORDER.get(d["level"], 9), d["id"]))
    described = regions.describe(region)
    described["label"] = address.label(region)
    return {"region": described, "lines": lines}
