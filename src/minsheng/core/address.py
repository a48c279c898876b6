"""Where a typed place is: a Chinese address read down to the county, or the places a short
name could mean.

People type ``广东省深圳市南山区粤海街道``, ``深圳市南山区``, ``深圳南山``, ``浦东`` or ``琼中``.
An address is read left to right as province → city → county, each level optional, each
written in full (``深圳市``) or short (``深圳``, ``琼中`` for 琼中黎族苗族自治县); whatever follows
the county (street, building) is ignored. The reading that covers the most characters wins;
when several readings cover as many and end in different places (``南山区`` is in 深圳 and in
鹤岗, ``鼓楼区`` in five cities), every one of them is returned so the caller can ask which.

Only current regions are read (GB/T 2260 as shipped in python-stdnum, see :mod:`regions`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from minsheng.core import regions
from minsheng.core.regions import Region

# The 55 recognised minorities, longest names first: 琼中黎族苗族自治县 is short 琼中.
_ETHNIC_NAMES = (
    "柯尔克孜 乌孜别克 达斡尔 维吾尔 哈萨克 傈僳 布依 朝鲜 土家 哈尼 拉祜 东乡 纳西 景颇 仫佬 "
    "布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 俄罗斯 鄂温克 德昂 保安 裕固 塔塔尔 独龙 鄂伦春 "
    "赫哲 门巴 珞巴 基诺 高山 蒙古 回 藏 苗 彝 壮 满 侗 瑶 白 傣 黎 佤 畲 水 土 羌 怒 京"
)
ETHNIC = tuple(_ETHNIC_NAMES.split(" "))
_AUTONOMOUS = re.compile(
    "(?:(?:" + "|".join(sorted(ETHNIC, key=len, reverse=True)) + ")族?)+自治(?:县|旗|州|区)$"
)
_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "自治区",
    "自治州",
    "自治县",
    "新区",
    "林区",
    "地区",
    "矿区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
)
_NOISE = re.compile(r"[\s,，、/·]+")
_COUNTRY = ("中华人民共和国", "中国")
MIN_FORM = 2


def forms(name: str) -> set[str]:
    """The ways people write a region's name: in full and short (at least two characters)."""
    out = {name}
    m = _AUTONOMOUS.search(name)
    if m is not None and m.start() >= MIN_FORM:
        out.add(name[: m.start()])
        return out
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_FORM:
            out.add(name[: -len(suffix)])
            break
    return out


@dataclass(frozen=True)
class _Index:
    by_form: dict[str, tuple[Region, ...]]
    longest: int


@cache
def _index() -> _Index:
    by_form: dict[str, list[Region]] = {}
    for region in regions.table().all():
        if not region.current:
            continue
        for form in forms(region.name):
            by_form.setdefault(form, []).append(region)
    longest = max(len(f) for f in by_form)
    return _Index({k: tuple(v) for k, v in by_form.items()}, longest)


def _matches(text: str, at: int) -> list[tuple[Region, int, bool]]:
    """Regions whose name (full or short) starts ``text`` at ``at``: (region, length, full)."""
    index = _index()
    found: list[tuple[Region, int, bool]] = []
    for length in range(min(index.longest, len(text) - at), MIN_FORM - 1, -1):
        piece = text[at : at + length]
        for region in index.by_form.get(piece, ()):
            found.append((region, length, piece == region.name))
    return found


def _inside(child: Region, parent: Region) -> bool:
    if parent.level == "province":
        return child.province_code == parent.code and child.code != parent.code
    if parent.level == "city":
        return child.level == "county" and child.city_code == parent.code
    return False


def _clean(text: str) -> str:
    text = _NOISE.sub("", text.strip())
    for country in _COUNTRY:
        if text.startswith(country):
            text = text[len(country) :]
    return text


def resolve(text: str) -> list[Region]:
    """The place(s) an address or name means: one region when it is clear, several when a
    name is ambiguous (provinces, then cities, then counties), none when nothing matches."""
    text = _clean(text)
    if not text:
        return []
    # (characters covered, names written in full, regions read, deepest region)
    readings: list[tuple[int, int, int, Region]] = []

    def walk(at: int, parent: Region | None, covered: int, full: int, depth: int) -> None:
        extended = False
        for region, length, is_full in _matches(text, at):
            if parent is not None and not _inside(region, parent):
                continue
            extended = True
            walk(at + length, region, covered + length, full + is_full, depth + 1)
        if not extended and parent is not None:
            readings.append((covered, full, depth, parent))

    walk(0, None, 0, 0, 0)
    if not readings:
        return []
    best = max((c, f) for c, f, _d, _r in readings)
    ends = {r.code: r for c, f, _d, r in readings if (c, f) == best}
    order = {"province": 0, "city": 1, "county": 2}
    places = sorted(ends.values(), key=lambda r: (order[r.level], r.code))
    return _collapse(places)


def _collapse(places: list[Region]) -> list[Region]:
    """Readings along one line mean one place: a province and a city of it with the same short
    name (上海 the municipality, 吉林) mean the city; a city and its county of the same name
    (乌鲁木齐市, 乌鲁木齐县) mean the city."""
    codes = {p.code for p in places}
    kept: list[Region] = []
    for place in places:
        if place.level == "province" and any(
            q.level == "city" and q.province_code == place.code for q in places
        ):
            continue
        if place.level == "county" and (
            place.city_code in codes or (place.city_code is None and place.province_code in codes)
        ):
            continue
        kept.append(place)
    return kept


def label(region: Region) -> str:
    """``广东省深圳市南山区``: the region with the province and city above it."""
    table = regions.table()
    parts: list[str] = []
    province = table.province_of(region)
    city = table.city_of(region)
    for part in (province, city, region):
        if part is not None and part.name not in parts:
            parts.append(part.name)
    return "".join(parts)
