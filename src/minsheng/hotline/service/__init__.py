"""Hotline services: functions taking a Session; they flush, never commit.

- ``directory``: hotlines (import/export, all-or-nothing), counsellors, which lines serve a place;
- ``calls``: route previews, call tags, call records, retention purge;
- ``reports``: KPIs and the compliance report;
- ``crisis``: risk assessments, hand-overs and follow-up tasks;
- ``planning``: seat plans from the call records;
- ``simulation``: the shipped scenarios and one set-up of a simulator run;
- ``seats``: the seat-state history (``record_seat_state``, called by the SIP front and the engine);
- ``browser_seat``: the staff user behind a counsellor's browser seat and its SIP credentials;
- ``workforce``: the counsellor register, rosters (by hand and generated) and compliance from facts;
- ``monthly`` and ``monthly_files``: the monthly report to the health commission, Excel and PDF.

Everything is re-exported here, so callers write ``service.import_hotlines(...)``.
"""

from __future__ import annotations

from minsheng.hotline.service.browser_seat import (
    find_seat_counsellor,
    get_seat_counsellor,
    link_seat_user,
    seat_credential,
    seat_dict,
)
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
    recording_settings,
    set_counsellor_state,
    set_hotline_recording,
    to_info,
)
from minsheng.hotline.service.listing import (
    call_filters,
    hotline_choices,
    kpi_line_filters,
    kpi_lines,
    search_calls,
)
from minsheng.hotline.service.monthly import monthly_report, parse_month
from minsheng.hotline.service.monthly_files import monthly_pdf, monthly_xlsx
from minsheng.hotline.service.planning import arrivals, default_as_of, open_slots, plan
from minsheng.hotline.service.reports import GROUPINGS, compliance, kpis
from minsheng.hotline.service.ruledata import rule_data_status
from minsheng.hotline.service.seats import record_seat_state, record_seat_states
from minsheng.hotline.service.simulation import (
    PreparedRun,
    SimulationRun,
    prepare_simulation,
    scenario_path,
    shipped_scenarios,
    simulate,
)
from minsheng.hotline.service.workforce import (
    create_shift,
    delete_shift,
    generate_roster,
    get_counsellor,
    get_shift,
    list_shifts,
    register_dict,
    rostered_not_signed_in,
    shift_dict,
    staffing,
    update_counsellor,
)

__all__ = [
    "GROUPINGS",
    "PHONE_PURPOSE",
    "PreparedRun",
    "SimulationRun",
    "arrivals",
    "call_dict",
    "call_filters",
    "call_tag",
    "complete_followup",
    "compliance",
    "counsellor_dict",
    "count_calls",
    "create_counsellor",
    "create_shift",
    "default_as_of",
    "delete_shift",
    "directory_snapshot",
    "export_hotlines",
    "find_place",
    "find_seat_counsellor",
    "followup_dict",
    "generate_roster",
    "get_call",
    "get_counsellor",
    "get_hotline",
    "get_seat_counsellor",
    "get_shift",
    "hotline_choices",
    "hotline_dict",
    "hotline_ids",
    "import_hotlines",
    "kpi_line_filters",
    "kpi_lines",
    "kpis",
    "lines_for_place",
    "link_seat_user",
    "list_calls",
    "list_counsellors",
    "list_followups",
    "list_hotlines",
    "list_shifts",
    "monthly_pdf",
    "monthly_report",
    "monthly_xlsx",
    "open_slots",
    "parse_month",
    "plan",
    "plan_dict",
    "prepare_simulation",
    "public_hotline_view",
    "purge",
    "record_assessment",
    "record_seat_state",
    "record_seat_states",
    "recording_settings",
    "register_dict",
    "rostered_not_signed_in",
    "route_preview",
    "route_settings",
    "rule_data_status",
    "save_records",
    "save_records_bulk",
    "scenario_path",
    "search_calls",
    "seat_credential",
    "seat_dict",
    "set_counsellor_state",
    "set_hotline_recording",
    "shift_dict",
    "shipped_scenarios",
    "simulate",
    "staffing",
    "to_info",
    "update_counsellor",
]
