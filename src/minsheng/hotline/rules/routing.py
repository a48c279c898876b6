"""Where a 12356 call goes: opening hours, the caller's location, the ordered route. Pure (no
database, no web, no clock, no I/O: the time of the call is an argument).

Sources (also in docs/hotline.md):

- 国家卫生健康委《关于推进"12356"全国统一心理援助热线建设的通知》 (December 2024,
  nhc.gov.cn/yzygj/c100068/202412/49a1a65386cd4be582d4702fd0926ee8.shtml): every 设区的市 runs at
  least one hotline; "暂不具备设置条件的，可以由省级热线承担"; "原有热线号码和'12356'均可接通".
  The minimums a line must meet are in :mod:`minsheng.hotline.rules.compliance`.
- Peer practice (988 in the US, reference notes §3): local centre by the caller's area, then
  in-state backup, then a national backup; a person in crisis is never turned away.

Every decision names its rule (``RULES`` below) and ``RULES_VERSION``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import geocoder
from phonenumbers.geodata import GEOCODE_DATA, GEOCODE_LONGEST_PREFIX

from minsheng.core.regions import Region, RegionTable
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.errors import InvalidHours, InvalidNumber
from minsheng.hotline.rules.snapshot import WEEKDAYS, HotlineInfo, Level, Step

RULES_VERSION = "12356-routing/2025-05-01.v1"
NON_MAINLAND = frozenset({"71", "81", "82"})  # 台湾, 香港, 澳门: outside the 12356 network

RULES: dict[str, str] = {
    "legacy_number": "原有热线号码和'12356'均可接通: a dialled legacy number reaches its own line",
    "city_line": "每个设区的市至少开通1条心理援助热线: the caller's city line first",
    "province_line": "省级热线: the caller's provincial line after the city line",
    "province_for_city": "暂不具备设置条件的，可以由省级热线承担: the city has no line of its own",
    "national_backup": "a person in crisis is never turned away: the national backup last",
}


class LocationSource(StrEnum):
    CARRIER = "carrier"
    NUMBER = "number"
    LEGACY_NUMBER = "legacy_number"
    UNKNOWN = "unknown"


# opening hours ---------------------------------------------------------------------------------
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Span:
    """Minutes from the day's midnight; ``end`` above 1440 crosses into the next day."""

    start: int
    end: int

    @property
    def hours(self) -> float:
        return (self.end - self.start) / 60


@lru_cache(maxsize=4096)
def parse_span(text: str, *, field_name: str = "hours") -> Span | None:
    """``"08:00-20:00"``, ``"08:00-02:00"`` (crosses midnight), ``"00:00-24:00"``; ``""`` or
    ``"closed"`` is closed all day (None). Anything else raises InvalidHours naming the field."""
    raw = text.strip().lower()
    if raw in ("", "closed"):
        return None
    m = _SPAN.match(raw)
    if m is None:
        raise InvalidHours(f"{text!r} is not HH:MM-HH:MM", field=field_name)
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise InvalidHours(f"{text!r} names an impossible time of day", field=field_name)
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end == start:
        raise InvalidHours(f"{text!r} opens and closes at the same time", field=field_name)
    if end < start:
        end += 24 * 60
    return Span(start, end)


def normalise_hours(value: str | dict[str, str], *, field_name: str = "hours") -> dict[str, str]:
    """One string for every day, or an object keyed ``mon``..``sun`` (all seven required)."""
    if isinstance(value, str):
        days = dict.fromkeys(WEEKDAYS, value)
    elif isinstance(value, dict):
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise InvalidHours(f"unknown weekday keys {unknown}", field=field_name)
        missing = [d for d in WEEKDAYS if d not in value]
        if missing:
            raise InvalidHours(f"missing weekdays {missing}", field=field_name)
        days = {d: value[d] for d in WEEKDAYS}
    else:
        raise InvalidHours("hours must be a string or an object keyed mon..sun", field=field_name)
    out: dict[str, str] = {}
    for day, text in days.items():
        if not isinstance(text, str):
            raise InvalidHours(f"{day}: hours must be a string", field=f"{field_name}.{day}")
        span = parse_span(text, field_name=f"{field_name}.{day}")
        out[day] = "" if span is None else text.strip()
    return out


def is_open(hours: dict[str, str], at: datetime) -> bool:
    """Whether a line with these hours is open at ``at`` (any zone; judged in Beijing time)."""
    local = at.astimezone(BEIJING)
    return open_at(hours, local.weekday(), local.hour * 60 + local.minute)


def open_at(hours: dict[str, str], weekday: int, minute: int) -> bool:
    """Whether open at ``minute`` past midnight of ``weekday`` (0 = Monday), Beijing time."""
    return open_in(day_spans(hours), weekday, minute)


def day_spans(hours: dict[str, str]) -> tuple[Span | None, ...]:
    """The opening span of each weekday (Monday first), for :func:`open_in`: a caller asking
    about one line at many times parses its hours once."""
    return tuple(parse_span(hours.get(d, "")) for d in WEEKDAYS)


def open_in(spans: tuple[Span | None, ...], weekday: int, minute: int) -> bool:
    """:func:`open_at` on hours already parsed by :func:`day_spans`."""
    span = spans[weekday]
    if span is not None and span.start <= minute < span.end:
        return True
    before = spans[weekday - 1]  # index -1 is Sunday, the day before Monday
    return before is not None and minute + 24 * 60 < before.end


def describe_hours(hours: dict[str, str]) -> str:
    values = set(hours.values())
    if len(values) == 1:
        return next(iter(values)) or "closed"
    return ", ".join(f"{d} {hours[d] or 'closed'}" for d in WEEKDAYS)


# caller numbers and location -------------------------------------------------------------------
_NUMBER_CHARS = re.compile(r"^\+?[\d\s\-()]{3,24}$")


class CallerNumber(NamedTuple):
    """A caller number normalised to national digits (``13800138000``, ``075583001234``).
    ``valid``: a plausible mainland mobile or landline (or, for other forms, valid according to
    phonenumbers)."""

    raw: str
    digits: str
    valid: bool
    region_code: str | None  # phonenumbers' ISO region ("CN", "HK"...)
    home: str = ""  # Chinese home-location description ("广东省深圳市"), "" when unknown


_SEPARATORS = re.compile(r"[\s\-()]")
_CN_FORM = re.compile(r"^(?:\+86|0086|86(?=1\d{10}$))?(1\d{10}|0\d{9,11})$")


def parse_caller(raw: str) -> CallerNumber:
    """Parse mobile, landline, ``+86`` and ``0086`` forms. Never raises: a withheld or garbled
    caller ID still gets routed (as ``unknown``)."""
    text = raw if raw.isdigit() else _SEPARATORS.sub("", raw)
    m = _CN_FORM.match(text)
    if m is not None:
        national = m.group(1)
        valid, home = _geo(national)
        return CallerNumber(raw, national, valid, "CN", home)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return CallerNumber(raw, re.sub(r"\D", "", raw), False, None)
    region = phonenumbers.region_code_for_number(parsed)
    national = str(parsed.national_number)
    if parsed.country_code == 86 and not (len(national) == 11 and national.startswith("1")):
        national = "0" + national  # landlines keep their trunk prefix: 0755…
    if parsed.country_code != 86:
        national = f"+{parsed.country_code}{national}"
    valid = phonenumbers.is_valid_number(parsed)
    home = _geo(national)[1] if region == "CN" else ""
    return CallerNumber(raw, national, valid, region, home)


_PLAUSIBLE = re.compile(r"^(?:1[3-9]\d{9}|0[1-9]\d{8,10})$")


def _geo(national: str) -> tuple[bool, str]:
    """Whether a mainland number (national form) is plausible, and its Chinese home-location
    description from phonenumbers' geocoding data ("" when its range has none).

    We read phonenumbers' prefix table directly (longest prefix first, as its geocoder does)
    instead of parsing and type-checking every number, which costs ten times more; the result
    is the same for every number phonenumbers calls valid, except that it answers "中国" where
    we answer "" (both mean unknown). tests/hotline/rules/test_routing.py checks this.
    """
    if not _PLAUSIBLE.match(national):
        return False, ""
    digits = "86" + (national[1:] if national[0] == "0" else national)
    for n in range(min(len(digits), GEOCODE_LONGEST_PREFIX), 2, -1):
        entry = GEOCODE_DATA.get(digits[:n])
        if entry is not None and "zh" in entry:
            return True, str(entry["zh"])
    return True, ""


def check_number_syntax(raw: str, *, field_name: str = "number") -> None:
    """Refuse input that is not a phone number at all (letters, wrong length) at the boundary."""
    if not _NUMBER_CHARS.match(raw.strip()) or not 3 <= len(re.sub(r"\D", "", raw)) <= 20:
        raise InvalidNumber(
            f"{raw!r} is not a phone number (digits, optional +, 3 to 20 digits)", field=field_name
        )


class Location(NamedTuple):
    source: LocationSource
    province: Region | None
    city: Region | None
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {
            "location_source": self.source.value,
            "province": self.province.brief() if self.province else None,
            "city": self.city.brief() if self.city else None,
            "location_detail": self.detail,
        }


def _regions_from_description(table: RegionTable, text: str) -> tuple[Region, Region | None] | None:
    if not text or text == "中国":
        return None
    return _description_regions(table, text)


@lru_cache(maxsize=4096)
def _description_regions(table: RegionTable, text: str) -> tuple[Region, Region | None] | None:
    found = [r for r in table.lookup_all(text) if r.current]
    if not found:
        return None
    province = table.province_of(found[0])
    if province is None or province.code[:2] in NON_MAINLAND:
        return None
    cities = {c.code for r in found if (c := table.city_of(r)) is not None}
    # "海南省海口市、三亚市" names two cities: only the province is certain.
    city = table.city_of(found[0]) if len(cities) == 1 else None
    return province, city


def area_code_location(table: RegionTable, area: str) -> tuple[Region, Region | None] | None:
    """An area code (``0755``, ``755``) through phonenumbers' geocoding of a landline in it."""
    digits = area.lstrip("0")
    for tail in ("6123456", "61234567"):
        try:
            parsed = phonenumbers.parse("0" + digits + tail, "CN")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            text = geocoder.description_for_number(parsed, "zh")
            return _regions_from_description(table, text)
    return None


@lru_cache(maxsize=8192)
def origin_location(table: RegionTable, origin: str) -> tuple[Region, Region | None] | None:
    """The carrier's origin: a 6-digit GB/T 2260 region code or a 3-4 digit area code."""
    text = origin.strip()
    if re.fullmatch(r"\d{6}", text):
        region = table.get(text)
        if region is None:
            return None
        province = table.province_of(region)
        if province is None or province.code[:2] in NON_MAINLAND:
            return None
        return province, table.city_of(region)
    if re.fullmatch(r"0?\d{2,3}", text):
        return area_code_location(table, text)
    return None


def locate(
    table: RegionTable,
    caller: CallerNumber,
    *,
    origin: str | None = None,
    legacy: HotlineInfo | None = None,
) -> Location:
    """Where the caller is, in order: the dialled legacy number's own area, the carrier's origin
    area, the number's home location (phonenumbers, Chinese descriptions), else ``unknown``.
    A mobile's home city is not where the caller is: the number source is the weakest."""
    if legacy is not None and legacy.regions:
        region = table.get(legacy.regions[0])
        if region is not None:
            prov = table.province_of(region)
            city = table.city_of(region) if legacy.level is Level.CITY else None
            return Location(LocationSource.LEGACY_NUMBER, prov, city, f"dialled {legacy.id}")
    if origin:
        found = origin_location(table, origin)
        if found is not None:
            return Location(LocationSource.CARRIER, found[0], found[1], f"carrier origin {origin}")
    if caller.valid and caller.region_code == "CN":
        text = caller.home
        found = _regions_from_description(table, text)
        if found is not None:
            return Location(LocationSource.NUMBER, found[0], found[1], f"number home {text}")
        return Location(LocationSource.UNKNOWN, None, None, f"number geocoded only as {text!r}")
    reason = "invalid or withheld number" if not caller.valid else "number outside the mainland"
    return Location(LocationSource.UNKNOWN, None, None, reason)


# routing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RouteSettings:
    step_timeout_s: int = 30
    backup_timeout_s: int = 300


class Skipped(NamedTuple):
    hotline_id: str
    reason: str


class RoutePlan(NamedTuple):
    location: Location
    steps: tuple[Step, ...]
    skipped: tuple[Skipped, ...]
    notes: tuple[str, ...]
    version: str = RULES_VERSION


@dataclass
class DirectoryIndex:
    """The directory arranged for routing: lines by city, by province, national, by old number."""

    hotlines: dict[str, HotlineInfo] = field(default_factory=dict)
    by_city: dict[str, list[HotlineInfo]] = field(default_factory=dict)
    by_province: dict[str, list[HotlineInfo]] = field(default_factory=dict)
    national: list[HotlineInfo] = field(default_factory=list)
    legacy: dict[str, HotlineInfo] = field(default_factory=dict)
    spans: dict[str, tuple[Span | None, ...]] = field(default_factory=dict)
    candidates: dict[
        tuple[str | None, str | None, str | None],
        tuple[tuple[tuple[HotlineInfo, str, bool], ...], tuple[str, ...]],
    ] = field(default_factory=dict)

    @classmethod
    def build(cls, hotlines: list[HotlineInfo] | tuple[HotlineInfo, ...]) -> DirectoryIndex:
        index = cls()
        for h in sorted(hotlines, key=lambda h: h.id):
            index.hotlines[h.id] = h
            index.spans[h.id] = tuple(parse_span(h.hours.get(d, "")) for d in WEEKDAYS)
            if h.level is Level.NATIONAL:
                index.national.append(h)
            for code in h.regions:
                target = index.by_city if h.level is Level.CITY else index.by_province
                target.setdefault(code, []).append(h)
            for number in h.legacy_numbers:
                index.legacy[legacy_key(number)] = h
        return index


def legacy_key(number: str) -> str:
    """Legacy numbers compare by digits without a +86/0086 prefix (``400-161-9995``)."""
    digits = re.sub(r"\D", "", number)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) > len(prefix) + 7:
            return digits[len(prefix) :]
    return digits


def is_connected(h: HotlineInfo, at: datetime) -> bool:
    return h.connected_at is not None and h.connected_at <= at


def plan_route(
    index: DirectoryIndex,
    location: Location,
    at: datetime,
    settings: RouteSettings,
    *,
    legacy: HotlineInfo | None = None,
) -> RoutePlan:
    """The ordered hotlines to try: legacy line (when dialled), city line, province line, then the
    national backup, each open line with its ring timeout; closed or unconnected lines are skipped
    with the reason. The national backup is always the last step when one exists, open or not, so
    no call is refused."""
    steps: list[Step] = []
    skipped: list[Skipped] = []
    notes: list[str] = []
    seen: set[str] = set()
    local = at.astimezone(BEIJING)
    weekday, minute = local.weekday(), local.hour * 60 + local.minute
    timeout = settings.step_timeout_s
    city, province = location.city, location.province
    key = (
        city.code if city else None,
        province.code if province else None,
        legacy.id if legacy else None,
    )
    cached = index.candidates.get(key)
    if cached is None:
        cached = index.candidates[key] = _candidates(index, location, legacy)
    candidates, fixed_notes = cached
    notes.extend(fixed_notes)
    for h, rule, needs_connection in candidates:
        if h.id in seen:
            continue
        seen.add(h.id)
        if needs_connection and (h.connected_at is None or h.connected_at > at):
            skipped.append(Skipped(h.id, "not yet connected to 12356"))
        elif not open_in(index.spans[h.id], weekday, minute):
            when = f"{_DAY_NAMES[weekday]} {minute // 60:02d}:{minute % 60:02d}"
            skipped.append(Skipped(h.id, f"closed at {when} (hours {describe_hours(h.hours)})"))
        else:
            steps.append(Step(h.id, timeout, rule, h.level))
    if not index.national:
        notes.append("no national backup in the directory: unanswered calls go to the last resort")
    for h in index.national:
        if h.id in seen:
            continue
        seen.add(h.id)
        if not open_in(index.spans[h.id], weekday, minute):
            notes.append(f"national backup {h.id} is outside its hours but kept as the last step")
        steps.append(Step(h.id, settings.backup_timeout_s, "national_backup", h.level))
    return RoutePlan(location, tuple(steps), tuple(skipped), tuple(notes))


def _candidates(
    index: DirectoryIndex, location: Location, legacy: HotlineInfo | None
) -> tuple[tuple[tuple[HotlineInfo, str, bool], ...], tuple[str, ...]]:
    """The lines a caller at ``location`` may reach, in order of preference, as (hotline, rule,
    needs a 12356 connection), with notes; independent of the time, so cached per location."""
    candidates: list[tuple[HotlineInfo, str, bool]] = []
    notes: list[str] = []
    if legacy is not None:
        candidates.append((legacy, "legacy_number", False))
    province_rule = "province_line"
    city, province = location.city, location.province
    if city is not None:
        lines = index.by_city.get(city.code)
        if lines:
            candidates.extend((h, "city_line", True) for h in lines)
        else:
            notes.append(f"{city.name} has no city line: served by the province line")
            province_rule = "province_for_city"
    if province is not None:
        lines = index.by_province.get(province.code)
        if lines:
            candidates.extend((h, province_rule, True) for h in lines)
        else:
            notes.append(f"{province.name} has no provincial line")
    return tuple(candidates), tuple(notes)


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def route_call(
    index: DirectoryIndex,
    table: RegionTable,
    number: str,
    *,
    at: datetime,
    settings: RouteSettings,
    origin: str | None = None,
    dialled: str | None = None,
) -> tuple[CallerNumber, RoutePlan]:
    """Locate the caller and plan the route in one go (what the SIP front and the bench call)."""
    caller = parse_caller(number)
    legacy = index.legacy.get(legacy_key(dialled)) if dialled else None
    location = locate(table, caller, origin=origin, legacy=legacy)
    return caller, plan_route(index, location, at, settings, legacy=legacy)
