"""Services of the certification system, one module per topic; they take a session, flush and
never commit. Callers write ``from minsheng.certification import service`` and then
``service.issue_certificate(...)``:

- ``reference`` — occupations, the qualification catalogue, skill standards (the shipped data)
- ``bodies`` — filed evaluation bodies and the public registry
- ``registry`` — issuance, status changes and the masked view of certificates
- ``status`` — the status change (with reason and audit) shared by bodies and certificates
- ``imports`` — bulk import of existing records
- ``verify`` — public two-of-three verification, the QR token link, the lookup log
- ``adscan`` — the scam-ad scanner over the registry
- ``subsidy`` — the skill-upgrade subsidy rule sets, decisions and statistics
- ``pickers`` — occupations, bodies and sites found by name or code for the clerk's forms
"""

from minsheng.certification.service.adscan import scan_ad
from minsheng.certification.service.bodies import (
    body_facts,
    body_to_dict,
    body_view,
    create_body,
    filed_with_name,
    find_body,
    get_body,
    list_bodies,
    list_body_views,
    update_body_scope,
    update_body_status,
)
from minsheng.certification.service.imports import (
    IMPORT_FIELDS,
    STATUSES,
    decode_csv,
    import_certificates,
    template_csv,
)
from minsheng.certification.service.listing import (
    certificate_filters,
    count_certificates_by_status,
    search_certificates,
)
from minsheng.certification.service.pickers import (
    pick_bodies,
    pick_occupations,
    pick_sites,
    resolve_occupation,
)
from minsheng.certification.service.reference import (
    OccupationView,
    add_occupation,
    find_occupation,
    get_occupation,
    import_standards,
    list_occupations,
    list_qualifications,
    list_standards,
    load_demo_standards,
    load_reference,
    occupation_summary,
)
from minsheng.certification.service.registry import (
    ID_PURPOSE,
    certificate_to_dict,
    get_certificate,
    issue_certificate,
    update_certificate_status,
)
from minsheng.certification.service.ruledata import rule_data_status
from minsheng.certification.service.subsidy import (
    decide_subsidy,
    list_subsidy_claims,
    record_subsidy_claim,
    rule_set_to_dict,
    subsidy_breakdown,
    subsidy_rule_sets,
    subsidy_statistics,
)
from minsheng.certification.service.verify import (
    discard_pending_log,
    flush_all,
    flush_log,
    lookup_never_waits,
    purge_verification_log,
    verify_certificate,
    verify_token,
)

__all__ = [
    "ID_PURPOSE",
    "IMPORT_FIELDS",
    "STATUSES",
    "OccupationView",
    "add_occupation",
    "body_facts",
    "body_to_dict",
    "body_view",
    "certificate_filters",
    "certificate_to_dict",
    "count_certificates_by_status",
    "create_body",
    "decide_subsidy",
    "decode_csv",
    "discard_pending_log",
    "filed_with_name",
    "find_body",
    "find_occupation",
    "flush_all",
    "flush_log",
    "get_body",
    "get_certificate",
    "get_occupation",
    "import_certificates",
    "import_standards",
    "issue_certificate",
    "list_bodies",
    "list_body_views",
    "list_occupations",
    "list_qualifications",
    "list_standards",
    "list_subsidy_claims",
    "load_demo_standards",
    "load_reference",
    "lookup_never_waits",
    "occupation_summary",
    "pick_bodies",
    "pick_occupations",
    "pick_sites",
    "purge_verification_log",
    "record_subsidy_claim",
    "resolve_occupation",
    "rule_data_status",
    "rule_set_to_dict",
    "scan_ad",
    "search_certificates",
    "subsidy_breakdown",
    "subsidy_rule_sets",
    "subsidy_statistics",
    "template_csv",
    "update_body_scope",
    "update_body_status",
    "update_certificate_status",
    "verify_certificate",
    "verify_token",
]
