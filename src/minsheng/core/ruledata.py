"""Which rule data is official and which is a demo placeholder (issue 13 item 9).

Each system's service package answers ``rule_data_status() -> list[RuleData]``; the app
(``minsheng.app.rule_data_status``) composes the answers, and ``minsheng serve`` refuses to start
while any *rules* are demo unless ``MINSHENG_ALLOW_DEMO_RULES=1`` (``Settings.allow_demo_rules``).
Demo *data* that decides nothing (an example directory, demo parties) is listed but never blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from minsheng.core.errors import Conflict


class Kind(StrEnum):
    RULES = "rules"  # decides something: a rule base, thresholds, a points table
    DATA = "data"  # example or reference data that decides nothing


@dataclass(frozen=True)
class RuleData:
    system: str
    name: str
    version: str
    kind: Kind
    demo: bool
    source: str
    note: str = ""

    @property
    def label(self) -> str:
        if not self.demo:
            return "正式规则" if self.kind is Kind.RULES else "正式数据"
        return "演示规则（非正式依据）" if self.kind is Kind.RULES else "演示数据（不作决定）"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind.value, "label": self.label}


class DemoRulesRefused(Conflict):
    """Serving was asked for while demo rule data would decide real cases."""


def demo_rules(items: Iterable[RuleData]) -> list[RuleData]:
    return [r for r in items if r.demo and r.kind is Kind.RULES]


def check_allowed(items: Iterable[RuleData], *, allow_demo_rules: bool) -> list[RuleData]:
    """The demo rule sets in use; refused (naming them) unless demo rules are allowed."""
    found = demo_rules(items)
    if found and not allow_demo_rules:
        names = "; ".join(f"{r.system}: {r.name} {r.version}" for r in found)
        raise DemoRulesRefused(
            f"demo rule data would decide cases ({names}); replace it with official rules or "
            "set MINSHENG_ALLOW_DEMO_RULES=1 for a demonstration",
            field="allow_demo_rules",
        )
    return found
