"""China's administrative divisions (GB/T 2260): provinces, prefecture-level cities, counties.

Data: the GB/T 2260 table shipped by python-stdnum (``stdnum/cn/loc.dat``, LGPL-2.1+, compiled
from the Chinese Wikipedia lists of 行政区划代码 and kept up to date with each stdnum release). It
records every code with the years it was in use, so current and historical codes are both known;
historical codes still appear on valid ID numbers. We read the installed file at first use.

Conventions used here:
- A province-level code ends in ``0000``; a prefecture-level city in ``00``; else a county.
- The four municipalities (北京, 天津, 上海, 重庆) have no prefecture level: their ``XX0100``
  (市辖区) stands for the whole city, named after the municipality, and ``XX0200`` (县) folds
  into it, so every municipality counts as one city.
- ``XX90xx`` (省直辖县级行政单位) are county-level units directly under the province: they
  have no prefecture city, so ``city`` is ``None`` for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from minsheng.core.errors import RegionNotFound

Level = Literal["province", "city", "county"]
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
_RANGE = re.compile(r"^\[(\d{4})?-(\d{4})?\](.*)$")
_CODE = re.compile(r"^\d{6}$")
_SPLIT = re.compile(r"[、,，/\s]+")
_SUFFIXES = ("省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: Level
    current: bool

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str | None:
        if self.code[:2] in MUNICIPALITIES:
            return self.code[:2] + "0100"
        if self.level == "province" or self.code[2:4] == "90":
            return None
        return self.code[:4] + "00"

    def brief(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name}


def _current_name(raw: str) -> tuple[str, bool]:
    """Pick the name in use today from entries such as ``[1983-1986]郊区,[1987-]白云区``."""
    names = [part.strip() for part in raw.split(",") if part.strip()]
    last = names[-1]
    for part in names:
        m = _RANGE.match(part)
        if m is None:
            return part, True
        if m.group(2) is None:
            return m.group(3), True
    m = _RANGE.match(last)
    return (m.group(3) if m else last), False


class RegionTable:
    """All regions by code, with lookups by name and parent/child navigation."""

    def __init__(self, rows: dict[str, tuple[str, bool]]) -> None:
        self._by_code: dict[str, Region] = {}
        for code, (name, current) in rows.items():
            level: Level
            if code.endswith("0000"):
                level = "province"
            elif code.endswith("00") and code[2:4] != "90":
                level = "city"
            else:
                level = "county"
            prov = code[:2]
            if prov in MUNICIPALITIES and level != "province":
                if code[2:] in ("0100", "0200"):
                    if code[2:] == "0200":
                        continue  # 县 folds into the one municipal city
                    name = rows.get(prov + "0000", (name, True))[0]
                    level = "city"
                    current = True
                else:
                    level = "county" if not code.endswith("00") else level
                    if level == "city":
                        continue
            if level == "county" and name in ("市辖区", "区", "县"):
                continue
            self._by_code[code] = Region(code, name, level, current)
        self._children: dict[str, list[Region]] = {}
        for region in self._by_code.values():
            parent = self.parent_code(region)
            if parent is not None:
                self._children.setdefault(parent, []).append(region)
        for kids in self._children.values():
            kids.sort(key=lambda r: r.code)

    def parent_code(self, region: Region) -> str | None:
        if region.level == "province":
            return None
        if region.level == "city":
            return region.province_code
        return region.city_code or region.province_code

    # lookups -----------------------------------------------------------------------------
    def all(self) -> list[Region]:
        """Every region, current and historical, by code."""
        return sorted(self._by_code.values(), key=lambda r: r.code)

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def by_code(self, code: str) -> Region:
        region = self.get(code)
        if region is None:
            raise RegionNotFound(f"no region has code {code!r}", field="code")
        return region

    def provinces(self) -> list[Region]:
        return sorted(
            (r for r in self._by_code.values() if r.level == "province" and r.current),
            key=lambda r: r.code,
        )

    def cities(self, province_code: str | None = None) -> list[Region]:
        """Current prefecture-level cities (municipalities count as one city each)."""
        return sorted(
            (
                r
                for r in self._by_code.values()
                if r.level == "city"
                and r.current
                and (province_code is None or r.province_code == province_code)
            ),
            key=lambda r: r.code,
        )

    def children(self, code: str, *, current_only: bool = True) -> list[Region]:
        return [r for r in self._children.get(code, []) if r.current or not current_only]

    def province_of(self, region: Region) -> Region | None:
        return self.get(region.province_code)

    def city_of(self, region: Region) -> Region | None:
        if region.level == "city":
            return region
        code = region.city_code
        return self.get(code) if code else None

    def lookup(self, code_or_name: str) -> Region:
        """A region by 6-digit code or Chinese name; a combined string gives its first city.

        ``广东省深圳市`` → 深圳市; ``海南省海口市、三亚市`` → 海口市;
        ``北京市`` → 北京市 (province).
        """
        found = self.lookup_all(code_or_name)
        if not found:
            raise RegionNotFound(f"no region matches {code_or_name!r}", field="code_or_name")
        return found[0]

    def lookup_all(self, code_or_name: str) -> list[Region]:
        text = code_or_name.strip()
        if _CODE.match(text):
            region = self.get(text)
            return [region] if region else []
        if not text:
            return []
        province = self._match_province(text)
        if province is None:
            return self._match_anywhere(text)
        rest = text[len(province[1]) :]
        if not rest:
            return [province[0]]
        results: list[Region] = []
        for part in _SPLIT.split(rest):
            if part:
                results.extend(self._match_within(province[0], part)[:1])
        return results or [province[0]]

    # name matching ------------------------------------------------------------------------
    @cache  # noqa: B019 - the table lives for the process
    def _province_names(self) -> list[tuple[str, Region]]:
        names: list[tuple[str, Region]] = []
        for prov in self.provinces():
            names.append((prov.name, prov))
            names.append((_short(prov.name), prov))
        names.sort(key=lambda pair: -len(pair[0]))
        return names

    def _match_province(self, text: str) -> tuple[Region, str] | None:
        for name, prov in self._province_names():
            if name and text.startswith(name):
                return prov, name
        return None

    def _match_within(self, province: Region, part: str) -> list[Region]:
        candidates = [
            r
            for r in self._by_code.values()
            if r.province_code == province.code and r.level != "province"
        ]
        return self._best(candidates, part)

    def _match_anywhere(self, part: str) -> list[Region]:
        return self._best([r for r in self._by_code.values() if r.level != "province"], part)

    @staticmethod
    def _best(candidates: list[Region], part: str) -> list[Region]:
        order = {"city": 0, "county": 1, "province": 2}
        exact = [r for r in candidates if r.name == part]
        if not exact:
            exact = [r for r in candidates if _short(r.name) == _short(part) and _short(part)]
        return sorted(exact, key=lambda r: (not r.current, order[r.level], r.code))


def _short(name: str) -> str:
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _parse_loc_dat(text: str) -> dict[str, tuple[str, bool]]:
    rows: dict[str, tuple[str, bool]] = {}
    prefix = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r'^(\s*)(\d+)\s+(?:province|county)="(.*)"', line)
        if m is None:
            continue
        indent, digits, raw = m.groups()
        if not indent:
            prefix = digits
            continue
        rows[prefix + digits] = _current_name(raw)
    return rows


@cache
def table() -> RegionTable:
    """The process-wide region table, parsed from python-stdnum's GB/T 2260 data on first use."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    return RegionTable(_parse_loc_dat(text))


def describe(region: Region) -> dict[str, object]:
    """The JSON form used by the CLI and the API."""
    t = table()
    province = t.province_of(region)
    city = t.city_of(region)
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "current": region.current,
        "province": province.brief() if province else None,
        "city": city.brief() if city else None,
    }
