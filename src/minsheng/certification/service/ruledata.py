"""Which certification rule data is official and which is demo (issue 13 item 9): the subsidy
rule sets (a demo provincial set among them) and the demo skill standards (data loaded only by
``minsheng demo load``). Asked by ``minsheng.app`` at startup."""

from __future__ import annotations

from minsheng.certification.service.subsidy import subsidy_rule_sets
from minsheng.core.ruledata import Kind, RuleData


def rule_data_status() -> list[RuleData]:
    out = [
        RuleData(
            system="certification",
            name=f"技能提升补贴 rule set {r.name}",
            version=f"{r.valid_from.isoformat()}–{r.valid_to.isoformat() if r.valid_to else ''}",
            kind=Kind.RULES,
            demo=r.demo,
            source=r.source,
        )
        for r in subsidy_rule_sets()
    ]
    out.append(
        RuleData(
            system="certification",
            name="skill standards (data/skill_standards_demo.csv)",
            version="demo",
            kind=Kind.DATA,
            demo=True,
            source="invented standards, loaded only by `minsheng demo load` and marked demo",
        )
    )
    return out
