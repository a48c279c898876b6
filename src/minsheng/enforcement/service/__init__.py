"""The enforcement services: every query and change of 承诺+执法, one module per topic.

``parties``, ``commitments``, ``cases`` (the workflow and its reads), ``decisions`` (the rules
applied to a case), ``procedure`` (事先告知, statement, hearing, 法制审核, decision, 送达, the
Art. 60 period), ``officers`` (执法证), ``documents`` (文号 and printed content), ``credit``
(publication, repair, objections), ``calendar`` (holidays for working days), ``evidence``,
``inspectors``, ``records`` (inspections and industry records), ``grading``, ``planning``,
``stats``, ``standing`` (which decisions count: never a proposal, an unserved decision or a
cancelled case), ``cancellation``; ``catalog`` reads the shipped data files.
Functions take a ``Session`` and flush, never commit; callers write
``from minsheng.enforcement import service`` and ``service.open_case(session, data, ...)``.
Changes take the request schema (``schemas.CaseOpen`` …), the officer (case data) and the audit
actor (``Principal.actor`` or ``audit.cli_actor()``); ``*_dict`` functions give the one response
shape the API, the CLI and the pages share.
"""

from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.cancellation import cancel_case
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
from minsheng.enforcement.service.credit import (
    credit_section,
    expire_due,
    file_objection,
    get_objection,
    get_record,
    list_records,
    objection_dict,
    record_dict,
    repair,
    review_objection,
)
from minsheng.enforcement.service.decisions import (
    DecideResult,
    decide_case,
    decision_input,
)
from minsheng.enforcement.service.documents import (
    document_dict,
    get_document,
    list_documents,
    sections,
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
from minsheng.enforcement.service.listing import (
    case_filters,
    grade_filters,
    party_filters,
    search_cases,
    search_grades,
    search_parties,
    suggest_parties,
)
from minsheng.enforcement.service.officers import cert_dict, register_cert
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
from minsheng.enforcement.service.procedure import (
    decide_final,
    extend,
    get_procedure,
    hold_hearing,
    late_cases,
    legal_review,
    pre_notify,
    procedure_dict,
    record_fulfilment,
    record_statement,
    request_hearing,
    schedule_hearing,
    serve,
)
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
    "cancel_case",
    "case_brief",
    "case_dict",
    "case_filters",
    "catalog",
    "cert_dict",
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
    "credit_section",
    "decide_case",
    "decide_final",
    "decision_dict",
    "decision_input",
    "document_dict",
    "evidence_dict",
    "expire_due",
    "extend",
    "facts_dict",
    "file_objection",
    "find_decision",
    "get_case",
    "get_document",
    "get_evidence",
    "get_grade",
    "get_inspector_by_code",
    "get_objection",
    "get_party",
    "get_party_by_identifier",
    "get_procedure",
    "get_record",
    "grade_dict",
    "grade_filters",
    "grade_year",
    "grade_years",
    "grades_of_party",
    "hold_hearing",
    "industry_record_dict",
    "inspection_dict",
    "inspector_dict",
    "late_cases",
    "legal_review",
    "list_case_rows",
    "list_cases",
    "list_commitments",
    "list_documents",
    "list_grades",
    "list_parties",
    "list_records",
    "objection_dict",
    "open_case",
    "order_rectification",
    "party_dict",
    "party_filters",
    "party_names",
    "plan",
    "pre_notify",
    "procedure_dict",
    "record_dict",
    "record_facts",
    "record_fulfilment",
    "record_inspection",
    "record_statement",
    "rectification_dict",
    "register_cert",
    "repair",
    "request_hearing",
    "review_objection",
    "rule_data_status",
    "schedule_hearing",
    "search_cases",
    "search_grades",
    "search_parties",
    "sections",
    "serve",
    "sign_commitment",
    "status_dict",
    "suggest_parties",
    "summaries_for_year",
]
