"""The scam-ad scanner backed by the registry: occupation names, skill standards and filed
bodies come from the database; the matching itself is the pure ``rules.adscan``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.certification.errors import AdTooLarge
from minsheng.certification.models import Body, Occupation, SkillStandard
from minsheng.certification.rules import adscan as rules_adscan
from minsheng.certification.service.reference import load_reference


class DbRegistry:
    """A snapshot of what the scanner needs, read once per scan."""

    def __init__(self, session: Session) -> None:
        load_reference(session)
        names = [
            (rules_adscan.normalize(n).text, c)
            for c, n in session.execute(select(Occupation.code, Occupation.name))
        ]
        # Longest first, so 碳排放管理员 wins over a shorter name inside it; two-character
        # names (电工, 模特) are too ambiguous in free text to count as a claim.
        self._names = sorted((p for p in names if len(p[0]) >= 3), key=lambda p: -len(p[0]))
        self._standards = set(session.scalars(select(SkillStandard.occupation_code)))
        self._bodies = {
            rules_adscan.normalize(name).text: status
            for name, status in session.execute(select(Body.name, Body.status))
        }

    def occupation_names(self) -> Iterable[tuple[str, str]]:
        return self._names

    def has_standard(self, code: str) -> bool:
        return code in self._standards

    def body_status(self, normalised_name: str) -> str | None:
        if normalised_name in self._bodies:
            return self._bodies[normalised_name]
        for name, status in self._bodies.items():
            # The ad may prefix the name (e.g. 由 or a city); a filed name at its end counts.
            if normalised_name.endswith(name) and len(name) >= 4:
                return status
        return None


def scan_ad(session: Session, text: str) -> dict[str, Any]:
    if len(text) > rules_adscan.MAX_AD_CHARS:
        raise AdTooLarge(
            f"the ad has {len(text)} characters; at most {rules_adscan.MAX_AD_CHARS} are "
            "scanned (split it)",
            field="text",
        )
    return rules_adscan.scan(text, DbRegistry(session)).to_dict()
