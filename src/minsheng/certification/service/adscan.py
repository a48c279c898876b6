"""The scam-ad scanner backed by the registry: occupation names, skill standards and filed
bodies come from the database; the matching itself is the pure ``rules.adscan``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.certification.errors import AdScanOverBudget, AdTooLarge
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


def time_budget(seconds: float) -> Callable[[], None]:
    """A budget for ``rules.adscan.scan``: raises ``AdScanOverBudget`` once ``seconds`` have
    passed since it was made."""
    deadline = time.monotonic() + seconds

    def check() -> None:
        if time.monotonic() > deadline:
            raise AdScanOverBudget(
                f"广告扫描超过 {seconds:g} 秒，已停止，请稍后再试 "
                "(the scan ran past its time budget)",
                field="text",
            )

    return check


def scan_ad(session: Session, text: str, *, budget_s: float = 2.0) -> dict[str, Any]:
    """Scan an ad against the registry, stopped after ``budget_s`` seconds (the caller passes
    ``settings.cert_adscan_budget_s``)."""
    if len(text) > rules_adscan.MAX_AD_CHARS:
        raise AdTooLarge(
            f"the ad has {len(text)} characters; at most {rules_adscan.MAX_AD_CHARS} are "
            "scanned (split it)",
            field="text",
        )
    registry = DbRegistry(session)  # reading the registry is not the scan's time
    return rules_adscan.scan(text, registry, time_budget(budget_s)).to_dict()
