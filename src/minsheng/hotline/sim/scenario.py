"""Simulation scenarios: what a YAML or JSON scenario file may say, with its defaults, checked.

A scenario names the day to simulate, where the calls come from and how many, how long they last,
how patient callers are, who is on duty, and how calls are routed; ``variants`` override parts of it
to compare policies side by side. Every error names the field (``variants[1].routing.mode``) and
the rule it broke; nothing is simulated from a half-valid scenario. See docs/hotline-planning.md
for the format, and ``sim/scenarios/`` for the shipped files.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from minsheng.core.timeutil import BEIJING
from minsheng.hotline.rules.erlang import PlanningInputError
from minsheng.hotline.rules.snapshot import WEEKDAYS, HotlineInfo, Level

# Share of a day's calls per hour, after Beijing's report (peak 18:00-22:00, over 60% at night:
# People's Daily 2025-11-28, reference notes §4). Relative weights; normalised when used.
DEFAULT_PROFILE = (
    3.0, 2.0, 1.5, 1.0, 1.0, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 4.0,
    4.0, 4.0, 4.5, 5.0, 5.5, 6.0, 8.0, 9.0, 9.0, 8.0, 6.0, 4.0,
)  # fmt: skip
HANDLING = ("lognormal", "exponential", "fixed")
PATIENCE = ("exponential", "none")
MODES = ("rollover", "city_only")


class ScenarioError(PlanningInputError):
    """A scenario broke a rule; ``field`` is the path inside the file."""


class UnknownScenarioHotline(ScenarioError):
    """A scenario names a hotline that is not in the directory."""


@dataclass(frozen=True)
class Handling:
    distribution: str = "lognormal"
    mean_s: float = 18 * 60.0  # average call at a Shanghai site (reference notes §4)
    cv: float = 0.8  # assumption: spread of call lengths (coefficient of variation)


@dataclass(frozen=True)
class Patience:
    distribution: str = "exponential"
    mean_s: float = 180.0  # planning assumption, as in planning.PlanTarget


@dataclass(frozen=True)
class Routing:
    mode: str = "rollover"  # rollover: city -> province -> national; city_only: first line only
    step_timeout_s: float = 30.0
    backup_timeout_s: float = 300.0
    city_only_wait_s: float = 600.0


@dataclass(frozen=True)
class Shift:
    """``seats`` counsellors on duty from ``start`` to ``end`` minutes (end may pass 1440)."""

    start: int
    end: int
    seats: int


@dataclass(frozen=True)
class Variant:
    """One policy to simulate: the scenario with some fields overridden."""

    name: str
    routing: Routing
    handling: Handling
    patience: Patience
    crisis_share: float
    pickup_s: float
    wrapup_s: float
    offer_timeout_s: float
    extra_seats: dict[str, int] = field(default_factory=dict)
    seats_from_plan: bool = False
    rosters: dict[str, tuple[Shift, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    start: datetime
    duration_s: float
    seed: int
    calls_per_day: float | None  # national total, shared by line weights
    demand: dict[str, float]  # calls per day per hotline (overrides the share)
    unknown_share: float  # callers whose location is unknown: straight to the national backup
    profile: tuple[float, ...]
    hotlines: tuple[HotlineInfo, ...] | None  # None: the directory in the database
    variants: tuple[Variant, ...]
    service_level_s: float = 30.0

    @property
    def base(self) -> Variant:
        return self.variants[0]


# --------------------------------------------------------------------------------------------
# reading


def load_file(path: str | Path) -> dict[str, Any]:
    """The raw mapping of a ``.yaml``/``.yml``/``.json`` scenario file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read {p}: {exc.strerror}", field="scenario") from None
    try:
        raw = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{p.name} is not valid YAML/JSON: {exc}", field="scenario") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{p.name} must hold a mapping at the top", field="scenario")
    return raw


def _num(
    raw: dict[str, Any],
    key: str,
    default: float,
    path: str,
    *,
    low: float | None = 0.0,
    high: float | None = None,
    strict_low: bool = False,
) -> float:
    value = raw.get(key, default)
    where = f"{path}{key}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{where} must be a number, got {value!r}", field=where)
    if low is not None and (value < low or (strict_low and value == low)):
        sign = ">" if strict_low else ">="
        raise ScenarioError(f"{where} must be {sign} {low:g}, got {value}", field=where)
    if high is not None and value > high:
        raise ScenarioError(f"{where} must be <= {high:g}, got {value}", field=where)
    return float(value)


def _choice(
    raw: dict[str, Any], key: str, default: str, options: tuple[str, ...], path: str
) -> str:
    value = raw.get(key, default)
    if value not in options:
        where = f"{path}{key}"
        raise ScenarioError(
            f"{where} must be one of {', '.join(options)}, got {value!r}", field=where
        )
    return str(value)


def _section(raw: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(f"{path}{key} must be a mapping", field=f"{path}{key}")
    return value


def _hhmm(text: Any, where: str) -> int:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise ScenarioError(f"{where} must be HH:MM, got {text!r}", field=where)
    try:
        h, m = int(text[:2]), int(text[3:])
    except ValueError:
        raise ScenarioError(f"{where} must be HH:MM, got {text!r}", field=where) from None
    if not (0 <= h <= 24 and 0 <= m < 60) or h * 60 + m > 1440:
        raise ScenarioError(f"{where} is not a time of day: {text!r}", field=where)
    return h * 60 + m


def _shifts(raw: Any, where: str) -> tuple[Shift, ...]:
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{where} must be a non-empty list of shifts", field=where)
    out: list[Shift] = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise ScenarioError(f"{w} must be a mapping with from, to, seats", field=w)
        start = _hhmm(item.get("from"), f"{w}.from")
        end = _hhmm(item.get("to"), f"{w}.to")
        if end <= start:
            end += 1440  # crosses midnight
        seats = item.get("seats")
        if isinstance(seats, bool) or not isinstance(seats, int) or seats < 0:
            raise ScenarioError(f"{w}.seats must be a whole number >= 0", field=f"{w}.seats")
        out.append(Shift(start, end, seats))
    return tuple(out)


def _variant(raw: dict[str, Any], base: Variant | None, path: str) -> Variant:
    b = base or Variant(
        name="base",
        routing=Routing(),
        handling=Handling(),
        patience=Patience(),
        crisis_share=0.05,
        pickup_s=5.0,
        wrapup_s=60.0,
        offer_timeout_s=20.0,
    )
    r = _section(raw, "routing", path)
    rp = f"{path}routing."
    routing = Routing(
        mode=_choice(r, "mode", b.routing.mode, MODES, rp),
        step_timeout_s=_num(r, "step_timeout_s", b.routing.step_timeout_s, rp, strict_low=True),
        backup_timeout_s=_num(
            r, "backup_timeout_s", b.routing.backup_timeout_s, rp, strict_low=True
        ),
        city_only_wait_s=_num(
            r, "city_only_wait_s", b.routing.city_only_wait_s, rp, strict_low=True
        ),
    )
    h = _section(raw, "handling", path)
    hp = f"{path}handling."
    handling = Handling(
        distribution=_choice(h, "distribution", b.handling.distribution, HANDLING, hp),
        mean_s=_num(h, "mean_s", b.handling.mean_s, hp, strict_low=True),
        cv=_num(h, "cv", b.handling.cv, hp, strict_low=True),
    )
    pa = _section(raw, "patience", path)
    pp = f"{path}patience."
    patience = Patience(
        distribution=_choice(pa, "distribution", b.patience.distribution, PATIENCE, pp),
        mean_s=_num(pa, "mean_s", b.patience.mean_s, pp, strict_low=True),
    )
    extra_raw = raw.get("extra_seats")
    seats_from_plan = b.seats_from_plan
    extra = dict(b.extra_seats)
    if extra_raw == "plan":
        seats_from_plan = True
    elif isinstance(extra_raw, dict):
        for hid, n in extra_raw.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                w = f"{path}extra_seats.{hid}"
                raise ScenarioError(f"{w} must be a whole number >= 0", field=w)
            extra[str(hid)] = n
    elif extra_raw is not None:
        w = f"{path}extra_seats"
        raise ScenarioError(f"{w} must be 'plan' or a mapping hotline -> seats", field=w)
    rosters = dict(b.rosters)
    for hid, shifts in _section(raw, "rosters", path).items():
        rosters[str(hid)] = _shifts(shifts, f"{path}rosters.{hid}")
    variant = Variant(
        name=str(raw.get("name", b.name)),
        routing=routing,
        handling=handling,
        patience=patience,
        crisis_share=_num(raw, "crisis_share", b.crisis_share, path, high=1.0),
        pickup_s=_num(raw, "pickup_s", b.pickup_s, path),
        wrapup_s=_num(raw, "wrapup_s", b.wrapup_s, path),
        offer_timeout_s=_num(raw, "offer_timeout_s", b.offer_timeout_s, path, strict_low=True),
        extra_seats=extra,
        seats_from_plan=seats_from_plan,
        rosters=rosters,
    )
    if variant.pickup_s >= variant.offer_timeout_s:
        w = f"{path}pickup_s"
        raise ScenarioError(
            f"{w} ({variant.pickup_s:g} s) must be shorter than offer_timeout_s "
            f"({variant.offer_timeout_s:g} s), or no counsellor ever answers",
            field=w,
        )
    return variant


def _hotline(raw: Any, where: str) -> HotlineInfo:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise ScenarioError(f"{where} must be a mapping with an id", field=where)
    try:
        level = Level(raw.get("level", "city"))
    except ValueError:
        w = f"{where}.level"
        raise ScenarioError(f"{w} must be city, province or national", field=w) from None
    hours_raw = raw.get("hours", "00:00-24:00")
    hours = dict.fromkeys(WEEKDAYS, hours_raw) if isinstance(hours_raw, str) else dict(hours_raw)
    seats = raw.get("seats", 2)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 0:
        raise ScenarioError(f"{where}.seats must be a whole number >= 0", field=f"{where}.seats")
    connected = raw.get("connected_at", "2025-04-30T00:00:00+08:00")
    return HotlineInfo(
        id=raw["id"],
        name=str(raw.get("name", raw["id"])),
        level=level,
        regions=tuple(str(r) for r in raw.get("regions", ())),
        hours={d: str(hours.get(d, "")) for d in WEEKDAYS},
        seats=seats,
        connected_at=datetime.fromisoformat(connected) if connected else None,
    )


def parse(raw: dict[str, Any], *, variant_names: list[str] | None = None) -> Scenario:
    """A checked scenario from its raw mapping; ``variant_names`` keeps only those variants."""
    name = str(raw.get("name", "scenario"))
    start_raw = raw.get("start", "2026-11-30T00:00:00+08:00")
    try:
        start = datetime.fromisoformat(str(start_raw))
    except ValueError:
        raise ScenarioError(
            f"start must be an ISO date-time, got {start_raw!r}", field="start"
        ) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=BEIJING)
    duration_h = _num(raw, "duration_h", 24.0, "", strict_low=True, high=24 * 31)
    seed = raw.get("seed", 12356)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ScenarioError(f"seed must be a whole number, got {seed!r}", field="seed")
    calls_per_day = raw.get("calls_per_day")
    if calls_per_day is not None:
        calls_per_day = _num(raw, "calls_per_day", 0.0, "")
    demand: dict[str, float] = {}
    for hid, n in _section(raw, "demand", "").items():
        demand[str(hid)] = _num({"v": n}, "v", 0.0, f"demand.{hid}")
    if calls_per_day is None and not demand:
        raise ScenarioError(
            "give calls_per_day or demand (calls a day per hotline)", field="demand"
        )
    profile_raw = raw.get("hourly_profile", list(DEFAULT_PROFILE))
    if (
        not isinstance(profile_raw, list)
        or len(profile_raw) != 24
        or not all(isinstance(x, int | float) and x >= 0 for x in profile_raw)
        or sum(profile_raw) <= 0
    ):
        raise ScenarioError(
            "hourly_profile must be 24 numbers >= 0, not all zero", field="hourly_profile"
        )
    hotlines_raw = raw.get("hotlines")
    hotlines: tuple[HotlineInfo, ...] | None = None
    source = raw.get("directory", "inline" if hotlines_raw is not None else "database")
    if source not in ("inline", "database", "synthetic"):
        raise ScenarioError(
            f"directory must be database, synthetic or inline, got {source!r}", field="directory"
        )
    if source == "synthetic":
        from minsheng.hotline.sim.directory import synthetic

        lines = raw.get("synthetic_lines", 0)
        if isinstance(lines, bool) or not isinstance(lines, int) or not 0 <= lines <= 5000:
            raise ScenarioError(
                "synthetic_lines must be a whole number from 0 to 5000", field="synthetic_lines"
            )
        hotlines = synthetic(lines)
    elif hotlines_raw is not None:
        if not isinstance(hotlines_raw, list) or not hotlines_raw:
            raise ScenarioError("hotlines must be a non-empty list", field="hotlines")
        hotlines = tuple(_hotline(h, f"hotlines[{i}]") for i, h in enumerate(hotlines_raw))
    base = _variant(raw, None, "")
    base = Variant(**{**base.__dict__, "name": str(raw.get("base_name", "base"))})
    variants = [base]
    raw_variants = raw.get("variants", [])
    if not isinstance(raw_variants, list):
        raise ScenarioError("variants must be a list", field="variants")
    for i, v in enumerate(raw_variants):
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            raise ScenarioError(
                f"variants[{i}] must be a mapping with a name", field=f"variants[{i}]"
            )
        variants.append(_variant(v, base, f"variants[{i}]."))
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ScenarioError(f"variant names must differ: {names}", field="variants")
    if variant_names:
        unknown = [n for n in variant_names if n not in names]
        if unknown:
            raise ScenarioError(
                f"no variant named {', '.join(unknown)} (have {', '.join(names)})",
                field="variant",
            )
        variants = [v for v in variants if v.name in variant_names]
    return Scenario(
        name=name,
        start=start,
        duration_s=duration_h * 3600.0,
        seed=seed,
        calls_per_day=calls_per_day,
        demand=demand,
        unknown_share=_num(raw, "unknown_share", 0.02, "", high=1.0),
        profile=tuple(float(x) for x in profile_raw),
        hotlines=hotlines,
        variants=tuple(variants),
        service_level_s=_num(raw, "service_level_s", 30.0, "", strict_low=True),
    )


def check_against(scenario: Scenario, hotlines: tuple[HotlineInfo, ...]) -> None:
    """Every hotline the scenario names must exist in the directory it runs on."""
    known = {h.id for h in hotlines}
    named: list[tuple[str, str]] = [(hid, f"demand.{hid}") for hid in scenario.demand]
    for i, v in enumerate(scenario.variants):
        where = "" if i == 0 else f"variants[{v.name}]."
        named += [(hid, f"{where}extra_seats.{hid}") for hid in v.extra_seats]
        named += [(hid, f"{where}rosters.{hid}") for hid in v.rosters]
    for hid, where in named:
        if hid not in known:
            raise UnknownScenarioHotline(
                f"{where}: no hotline {hid!r} in the directory", field=where
            )


def with_overrides(raw: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A copy of a raw scenario with top-level fields replaced (for the CLI and the bench)."""
    out = copy.deepcopy(raw)
    out.update({k: v for k, v in overrides.items() if v is not None})
    return out
