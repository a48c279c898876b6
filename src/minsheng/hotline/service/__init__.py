"""Hotline services: functions taking a Session; they flush, never commit.

- ``directory``: hotlines (import/export, all-or-nothing), counsellors, which lines serve a place;
- ``calls``: route previews, call tags, call records, retention purge;
- ``reports``: KPIs and the compliance report;
- ``crisis``: risk assessments, hand-overs and follow-up tasks;
- ``planning``: seat plans from the call records;
- ``simulation``: the shipped scenarios and one set-up of a simulator run.

Everything is re-exported here, so callers write ``service.import_hotlines(...)``.
"""

from __future__ import annotations

from minsheng.hotline.service.calls import (
    PHONE_PURPOSE,
    call_dict,
    call_tag,
    count_calls,
    get_call,
    list_calls,
    plan_dict,
    purge,
    route_preview,
    route_settings,
    save_records,
    save_records_bulk,
)
from minsheng.hotline.service.crisis import (
    complete_followup,
    followup_dict,
    list_followups,
    record_assessment,
)
from minsheng.hotline.service.directory import (
    counsellor_dict,
    create_counsellor,
    directory_snapshot,
    export_hotlines,
    find_place,
    get_hotline,
    hotline_dict,
    hotline_ids,
    import_hotlines,
    lines_for_place,
    list_counsellors,
    list_hotlines,
    public_hotline_view,
    set_counsellor_state,
    to_info,
)
from minsheng.hotline.service.planning import arrivals, default_as_of, open_slots, plan
from minsheng.hotline.service.reports import GROUPINGS, compliance, kpis
from minsheng.hotline.service.ruledata import rule_data_status
from minsheng.hotline.service.simulation import (
    SimulationRun,
    scenario_path,
    shipped_scenarios,
    simulate,
)

__all__ = [
    "GROUPINGS",
    "PHONE_PURPOSE",
    "SimulationRun",
    "arrivals",
    "call_dict",
    "call_tag",
    "complete_followup",
    "compliance",
    "counsellor_dict",
    "count_calls",
    "create_counsellor",
    "default_as_of",
    "directory_snapshot",
    "export_hotlines",
    "find_place",
    "followup_dict",
    "get_call",
    "get_hotline",
    "hotline_dict",
    "hotline_ids",
    "import_hotlines",
    "kpis",
    "lines_for_place",
    "list_calls",
    "list_counsellors",
    "list_followups",
    "list_hotlines",
    "open_slots",
    "plan",
    "plan_dict",
    "public_hotline_view",
    "purge",
    "record_assessment",
    "route_preview",
    "route_settings",
    "rule_data_status",
    "save_records",
    "save_records_bulk",
    "scenario_path",
    "set_counsellor_state",
    "shipped_scenarios",
    "simulate",
    "to_info",
]
