"""Where a staff user may act: the nation, one province or one city, and optionally one
enforcement bureau (issue 12 item 10).

A ``Scope`` is a small value object the routes, pages and CLI take from the signed-in user
(``Principal.scope``) and hand to every staff service. Services filter each list by it and check
each read and change against it; a record outside the scope is answered exactly like a record
that does not exist (``<Thing>NotFound``, 404), so a user cannot even learn that it exists. A new
record a user tries to create outside the scope is ``OutOfScope`` (403): nothing is revealed by
refusing it.

- ``region``: ``None`` for national staff; else a GB/T 2260 province code (``440000``) or
  prefecture-level city code (``440300``; a municipality's whole city is ``XX0100``).
- ``bureau``: ``None``, or the abbreviation of one enforcement bureau (``琼山综执``); an
  enforcement user with a bureau sees only that bureau's parties and what hangs off them.

``Scope.ALL`` (national, no bureau) is what the command line and the platform itself act with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from minsheng.core import regions
from minsheng.core.errors import InvalidInput, OutOfScope
from minsheng.core.validation import text_problem

MAX_BUREAU_LENGTH = 30


@dataclass(frozen=True)
class Scope:
    region: str | None = None
    bureau: str | None = None

    ALL: ClassVar[Scope]

    # what the scope is -------------------------------------------------------------------
    @property
    def national(self) -> bool:
        return self.region is None

    @property
    def unrestricted(self) -> bool:
        return self.region is None and self.bureau is None

    @property
    def is_province(self) -> bool:
        return self.region is not None and self.region.endswith("0000")

    @property
    def province_code(self) -> str | None:
        """The 6-digit province code of the scope (a city's province), None if national."""
        return None if self.region is None else self.region[:2] + "0000"

    @property
    def province2(self) -> str | None:
        """The 2-digit province code (as certificate numbers and bodies carry it)."""
        return None if self.region is None else self.region[:2]

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "bureau": self.bureau}

    def audit_text(self) -> str | None:
        """How the audit log records the scope (``region:440300,bureau:琼山综执``); None when
        unrestricted."""
        parts = [f"region:{self.region}"] if self.region else []
        parts += [f"bureau:{self.bureau}"] if self.bureau else []
        return ",".join(parts) or None

    def label(self) -> str:
        """A short Chinese description, e.g. ``广东省深圳市`` or ``全国``."""
        if self.region is None:
            place = "全国"
        else:
            table = regions.table()
            region = table.get(self.region)
            place = region.name if region else self.region
            province = table.get(self.region[:2] + "0000")
            # A city is named with its province; 北京市 is both and named once.
            if (
                region is not None
                and province is not None
                and not self.is_province
                and not place.startswith(province.name)
            ):
                place = province.name + place
        return place + (f" · {self.bureau}" if self.bureau else "")

    # what the scope covers ---------------------------------------------------------------
    def covers_region(self, code: str | None) -> bool:
        """Whether a 6-digit region code (province, city or county) lies in the scope.

        National staff cover everything (also records with no region); regional staff cover
        only codes inside their province or city.
        """
        if self.region is None:
            return True
        if not code or len(code) != 6:
            return False
        if self.is_province:
            return code[:2] == self.region[:2]
        if code.endswith("0000"):
            return False  # a whole province is wider than a city
        if code[:2] in regions.MUNICIPALITIES:
            return code[:2] == self.region[:2]
        return code[:4] == self.region[:4]

    def covers_regions(self, codes: Iterable[str]) -> bool:
        """Whether every code lies in the scope (and there is at least one, unless national):
        a line serving two provinces belongs to neither province's staff alone."""
        codes = list(codes)
        if self.region is None:
            return True
        return bool(codes) and all(self.covers_region(c) for c in codes)

    def covers_province2(self, code2: str | None) -> bool:
        """Whether a 2-digit province code lies in the scope. A city's staff cover their
        province here: certification is run by the provinces."""
        if self.region is None:
            return True
        return code2 is not None and code2 == self.region[:2]

    def covers_bureau(self, bureau: str | None) -> bool:
        """Whether a record of ``bureau`` lies in the scope (staff with no bureau: any)."""
        return self.bureau is None or bureau == self.bureau

    def require(self, covered: bool, what: str) -> None:
        """Refuse creating ``what`` outside the scope (403 OutOfScope)."""
        if not covered:
            raise OutOfScope(f"{what} lies outside your scope ({self.label()})")


Scope.ALL = Scope()


def parse_scope(region: str | None, bureau: str | None) -> Scope:
    """A scope from a region code or name (province or city; empty = national) and a bureau.

    ``广东省深圳市``, ``440300`` and ``深圳`` all give the city; a county is refused (staff are
    scoped to a province or a city).
    """
    code: str | None = None
    if region is not None and region.strip() and region.strip() not in ("national", "全国"):
        found = regions.table().lookup(region.strip())
        if found.level == "county":
            raise InvalidInput(
                f"{found.name} is a county; staff belong to a province or a city", field="region"
            )
        code = found.code
    name: str | None = None
    if bureau is not None and bureau.strip():
        name = bureau.strip()
        problem = text_problem(name)
        if problem is not None or len(name) > MAX_BUREAU_LENGTH:
            raise InvalidInput(
                problem or f"bureau is at most {MAX_BUREAU_LENGTH} characters", field="bureau"
            )
    return Scope(region=code, bureau=name)
