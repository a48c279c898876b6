"""The enforcement services: every query and change of 承诺+执法, one module per topic.

``parties``, ``commitments``, ``cases`` (the workflow and its reads), ``decisions`` (the rules
applied to a case, the notice), ``evidence``, ``inspectors``, ``records`` (inspections and
industry records), ``grading``, ``planning``, ``stats``; ``catalog`` reads the shipped data files.
Functions take a ``Session`` and flush, never commit; callers write
``from minsheng.enforcement import service`` and ``service.open_case(session, data, ...)``.
Changes take the request schema (``schemas.CaseOpen`` …), the officer (case data) and the audit
actor (``Principal.actor`` or ``audit.cli_actor()``); ``*_dict`` functions give the one response
shape the API, the CLI and the pages share.
"""

from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.cases import (
    case_brief,
    case_dict,
    check_dict,
    check_rectification,
    close_case,
    count_cases_by_status,
    decision_dict,
    facts_dict,
    find_decision,
    get_case,
    list_case_rows,
    list_cases,
    open_case,
    order_rectification,
    record_facts,
    rectification_dict,
    status_dict,
)
from minsheng.enforcement.service.commitments import (
    commitment_dict,
    list_commitments,
    sign_commitment,
)
from minsheng.enforcement.service.decisions import (
    DecideResult,
    decide_case,
    decision_input,
    notice,
    notice_of,
    notify,
)
from minsheng.enforcement.service.evidence import add_evidence, evidence_dict, get_evidence
from minsheng.enforcement.service.grading import (
    count_grades,
    get_grade,
    grade_dict,
    grade_year,
    grade_years,
    grades_of_party,
    list_grades,
    summaries_for_year,
)
from minsheng.enforcement.service.inspectors import (
    add_conflict,
    add_inspector,
    conflict_dict,
    get_inspector_by_code,
    inspector_dict,
)
from minsheng.enforcement.service.parties import (
    ID_PURPOSE,
    count_parties,
    create_party,
    get_party,
    get_party_by_identifier,
    list_parties,
    party_dict,
    party_names,
)
from minsheng.enforcement.service.planning import plan
from minsheng.enforcement.service.records import (
    add_industry_record,
    industry_record_dict,
    inspection_dict,
    record_inspection,
)
from minsheng.enforcement.service.ruledata import rule_data_status
from minsheng.enforcement.service.stats import compute_stats

__all__ = [
    "ID_PURPOSE",
    "DecideResult",
    "add_conflict",
    "add_evidence",
    "add_industry_record",
    "add_inspector",
    "case_brief",
    "case_dict",
    "catalog",
    "check_dict",
    "check_rectification",
    "close_case",
    "commitment_dict",
    "compute_stats",
    "conflict_dict",
    "count_cases_by_status",
    "count_grades",
    "count_parties",
    "create_party",
    "decide_case",
    "decision_dict",
    "decision_input",
    "evidence_dict",
    "facts_dict",
    "find_decision",
    "get_case",
    "get_evidence",
    "get_grade",
    "get_inspector_by_code",
    "get_party",
    "get_party_by_identifier",
    "grade_dict",
    "grade_year",
    "grade_years",
    "grades_of_party",
    "industry_record_dict",
    "inspection_dict",
    "inspector_dict",
    "list_case_rows",
    "list_cases",
    "list_commitments",
    "list_grades",
    "list_parties",
    "notice",
    "notice_of",
    "notify",
    "open_case",
    "order_rectification",
    "party_dict",
    "party_names",
    "plan",
    "record_facts",
    "record_inspection",
    "rectification_dict",
    "rule_data_status",
    "sign_commitment",
    "status_dict",
    "summaries_for_year",
]
