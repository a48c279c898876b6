"""Hotline services: functions taking a Session; they flush, never commit.

- ``directory``: hotlines (import/export, all-or-nothing) and counsellors;
- ``calls``: route previews, call tags, call records, retention purge;
- ``reports``: KPIs and the compliance report;
- ``crisis``: risk assessments, hand-overs and follow-up tasks.

Everything is re-exported here, so callers write ``service.import_hotlines(...)``.
"""

from __future__ import annotations

from minsheng.hotline.service.calls import (
    PHONE_PURPOSE,
    call_dict,
    call_tag,
    count_calls,
    get_call_or_raise,
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
    get_hotline_or_raise,
    hotline_dict,
    hotline_ids,
    import_hotlines,
    list_counsellors,
    list_hotlines,
    set_counsellor_state,
    to_info,
)
from minsheng.hotline.service.reports import GROUPINGS, compliance, kpis

__all__ = [
    "GROUPINGS",
    "PHONE_PURPOSE",
    "call_dict",
    "call_tag",
    "complete_followup",
    "compliance",
    "counsellor_dict",
    "count_calls",
    "create_counsellor",
    "directory_snapshot",
    "export_hotlines",
    "followup_dict",
    "get_call_or_raise",
    "get_hotline_or_raise",
    "hotline_dict",
    "hotline_ids",
    "import_hotlines",
    "kpis",
    "list_calls",
    "list_counsellors",
    "list_followups",
    "list_hotlines",
    "plan_dict",
    "purge",
    "record_assessment",
    "route_preview",
    "route_settings",
    "save_records",
    "save_records_bulk",
    "set_counsellor_state",
    "to_info",
]
