"""Which enforcement rule data is official and which is demo (issue 13 item 9): the rule base
(items, tiers, the 轻微 setting), its procedure values (statement period, hearing thresholds),
the grading points table and the inspection policy. Asked by ``minsheng.app`` at startup."""

from __future__ import annotations

from minsheng.core.ruledata import Kind, RuleData
from minsheng.enforcement.service import catalog


def rule_data_status() -> list[RuleData]:
    rulebase = catalog.rulebase()
    proc = rulebase.procedure
    versions = ", ".join(v.version for v in rulebase.versions)
    table = catalog.grading_table()
    policy = catalog.planning_policy()
    planning_raw = catalog.read_json("planning.json")
    marked = [
        key
        for key in ("statement_days_status", "hearing_threshold_status")
        if proc.get(key) not in (None, "official")
    ]
    return [
        RuleData(
            system="enforcement",
            name="裁量基准 rule base (data/rulebase.json)",
            version=versions,
            kind=Kind.RULES,
            demo=rulebase.demo,
            source=rulebase.source,
            note=f"轻微 setting: {rulebase.minor.source}",
        ),
        RuleData(
            system="enforcement",
            name="procedure values (statement period, hearing thresholds)",
            version=versions,
            kind=Kind.RULES,
            demo=bool(marked),
            source=str(proc.get("sources", {}).get("hearing_threshold", "")),
            note="not official: " + ", ".join(marked) if marked else "",
        ),
        RuleData(
            system="enforcement",
            name="grading points table (data/grading.json)",
            version=table.version,
            kind=Kind.RULES,
            demo=table.demo,
            source=table.source,
        ),
        RuleData(
            system="enforcement",
            name="inspection policy (data/planning.json)",
            version=policy.version,
            kind=Kind.RULES,
            demo=bool(planning_raw.get("demo", True)),
            source=str(planning_raw.get("source", "")),
        ),
    ]
