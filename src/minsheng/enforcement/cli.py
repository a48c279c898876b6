"""``minsheng enforcement …``: the enforcement system's commands.

Case steps and commitments take ``--officer`` (the officer named on the case step, as case data);
the audit log names the operating-system user (``cli:<user>``). Options are validated by the same
schemas as the API (``parse_model``). Rule commands (``items``, ``decide``, ``grade explain``)
need no database.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from minsheng.core.audit import cli_actor
from minsheng.core.cli_support import cli_session, echo_json, parse_model, read_input
from minsheng.core.config import get_settings
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import schemas, service
from minsheng.enforcement.errors import InvalidDate
from minsheng.enforcement.rules import base as rules_base
from minsheng.enforcement.rules import decision as rules
from minsheng.enforcement.rules import grading as rules_grading
from minsheng.enforcement.rules import inputs as rules_input
from minsheng.enforcement.service import catalog

HELP = (
    "Credit-commitment enforcement (承诺+执法): parties, commitments, cases, first- "
    "violation exemption, repeat penalties, grading, inspection plans and statistics."
)
app = typer.Typer(help=HELP, no_args_is_help=True)
parties_app = typer.Typer(
    help="Supervised parties (persons and organisations).", no_args_is_help=True
)
commitments_app = typer.Typer(help="Credit commitments (信用承诺书).", no_args_is_help=True)
cases_app = typer.Typer(help="Cases from discovery to closure.", no_args_is_help=True)
inspectors_app = typer.Typer(help="Inspectors and conflicts of interest.", no_args_is_help=True)
records_app = typer.Typer(help="Inspections and industry records.", no_args_is_help=True)
grade_app = typer.Typer(help="Yearly A/B/C/D grading of construction-site firms.")
app.add_typer(parties_app, name="parties")
app.add_typer(commitments_app, name="commitments")
app.add_typer(cases_app, name="cases")
app.add_typer(inspectors_app, name="inspectors")
app.add_typer(records_app, name="records")
app.add_typer(grade_app, name="grade")

Json = Annotated[bool, typer.Option("--json", help="Print JSON")]
Officer = Annotated[
    str, typer.Option("--officer", help="The officer doing this step (recorded on the case)")
]


def parse_date(value: str | None, field_name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidDate(f"{value!r} is not a YYYY-MM-DD date", field=field_name) from None


def read_json(path: str) -> Any:
    try:
        return json.loads(read_input(path))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} (line {exc.lineno})", field="file") from None


# --------------------------------------------------------------------------------------------
# Rules without a database


@app.command("items")
def items(
    domain: Annotated[
        str | None, typer.Option(help="roadside, garbage, farmland, construction")
    ] = None,
    as_json: Json = False,
) -> None:
    """List the rule items in force (id, domain, legal basis, exemptible, tiers)."""
    rulebase = catalog.rulebase()
    found = rules_base.items_of(rulebase, domain)
    if as_json:
        echo_json([i.to_dict() for i in found])
        return
    for i in found:
        flag = "首违可免罚" if i.exemptible else "不适用首违免罚"
        typer.echo(f"{i.id}  [{i.domain}] {i.description}  ({flag}; {i.legal_basis})")


@app.command("decide")
def decide(
    file: Annotated[str, typer.Argument(help="Decision input JSON, or - for stdin")],
    as_json: Json = False,
) -> None:
    """Try the decision rules on one violation, without a case."""
    settings = get_settings()
    inp = rules_input.parse_decision_input(
        read_json(file), lookback_days=settings.enf_lookback_days
    )
    result = rules.decide(catalog.rulebase(), inp, today=date.today())
    if as_json:
        echo_json(result.to_dict())
        return
    fine = result.fine_range_yuan
    typer.echo(
        f"{result.outcome.value} ({result.tier.value if result.tier else '-'}"
        f"{f', {fine[0]}–{fine[1]} yuan' if fine else ''}) by {result.item} {result.rule_version}"
    )
    for reason in result.reasons:
        typer.echo(f"  - {reason}")


# --------------------------------------------------------------------------------------------
# Parties and commitments


@parties_app.command("add")
def parties_add(
    kind: Annotated[str, typer.Option(help="person or organisation")],
    category: Annotated[
        str,
        typer.Option(
            help="street_vendor, shop, farmer, property_company, construction_firm, other"
        ),
    ],
    name: Annotated[str, typer.Option(help="Name")],
    credit_code: Annotated[
        str | None, typer.Option(help="18-character credit code (organisations)")
    ] = None,
    id_number: Annotated[str | None, typer.Option(help="Resident ID number (persons)")] = None,
    registered_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today)")] = None,
) -> None:
    """Register a party; a person's ID number is kept only as a keyed hash and a mask."""
    data = parse_model(
        schemas.PartyCreate,
        {
            "kind": kind,
            "category": category,
            "name": name,
            "credit_code": credit_code,
            "id_number": id_number,
            "registered_on": parse_date(registered_on, "registered_on"),
        },
    )
    settings = get_settings()
    with cli_session(settings) as session:
        party = service.create_party(session, data, key=settings.hmac_key, actor=cli_actor())
        echo_json(service.party_dict(party))


@parties_app.command("show")
def parties_show(party_id: Annotated[int, typer.Argument()]) -> None:
    """One party (personal data masked)."""
    with cli_session() as session:
        echo_json(service.party_dict(service.get_party(session, party_id)))


@parties_app.command("find")
def parties_find(
    credit_code: Annotated[str | None, typer.Option()] = None,
    id_number: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Find a party by credit code or ID number (matched by keyed hash)."""
    settings = get_settings()
    with cli_session(settings) as session:
        party = service.get_party_by_identifier(
            session, key=settings.hmac_key, credit_code=credit_code, id_number=id_number
        )
        echo_json(service.party_dict(party))


@commitments_app.command("sign")
def commitments_sign(
    party: Annotated[int, typer.Option(help="Party id")],
    officer: Officer,
    domain: Annotated[str | None, typer.Option(help="Domain (or give --item)")] = None,
    item: Annotated[str | None, typer.Option(help="Rule item id")] = None,
    signed_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today)")] = None,
    valid_until: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD (default: the setting)")
    ] = None,
    publish: Annotated[
        bool, typer.Option("--publish/--no-publish", help="Consent to publication")
    ] = True,
) -> None:
    """Record a signed credit commitment with the four standard promises."""
    data = parse_model(
        schemas.CommitmentCreate,
        {
            "party_id": party,
            "domain": domain,
            "item": item,
            "signed_on": parse_date(signed_on, "signed_on"),
            "valid_until": parse_date(valid_until, "valid_until"),
            "consent_publish": publish,
        },
    )
    settings = get_settings()
    with cli_session(settings) as session:
        c = service.sign_commitment(
            session,
            data,
            officer=officer,
            actor=cli_actor(),
            valid_days=settings.enf_commitment_valid_days,
        )
        echo_json(service.commitment_dict(c))


@commitments_app.command("list")
def commitments_list(party: Annotated[int | None, typer.Option(help="Party id")] = None) -> None:
    """Commitments (first 1,000), optionally of one party."""
    with cli_session() as session:
        echo_json(
            [service.commitment_dict(c) for c in service.list_commitments(session, party_id=party)]
        )


# --------------------------------------------------------------------------------------------
# Cases


@cases_app.command("open")
def cases_open(
    party: Annotated[int, typer.Option(help="Party id")],
    item: Annotated[str, typer.Option(help="Rule item id")],
    discovery: Annotated[str, typer.Option(help="patrol, complaint or inspection")],
    occurred_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    discovered_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    officer: Officer,
    ended_on: Annotated[str | None, typer.Option(help="Last day of a continuing violation")] = None,
    facts: Annotated[str, typer.Option(help="What was found")] = "",
    site: Annotated[int | None, typer.Option(help="Site id")] = None,
) -> None:
    """Open a case on discovery."""
    data = parse_model(
        schemas.CaseOpen,
        {
            "party_id": party,
            "item": item,
            "discovery": discovery,
            "occurred_on": parse_date(occurred_on, "occurred_on"),
            "discovered_on": parse_date(discovered_on, "discovered_on"),
            "ended_on": parse_date(ended_on, "ended_on"),
            "facts": facts,
            "site_id": site,
        },
    )
    with cli_session() as session:
        case = service.open_case(session, data, officer=officer, actor=cli_actor())
        echo_json(
            {"id": case.id, "party_id": case.party_id, "item": case.item_id, "status": case.status}
        )


@cases_app.command("evidence")
def cases_evidence(
    case_id: Annotated[int, typer.Argument()],
    file: Annotated[Path, typer.Argument(help="File to attach")],
    officer: Officer,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Attach an evidence file (stored once per SHA-256, in the database)."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}", field="file") from None
    settings = get_settings()
    with cli_session(settings) as session:
        ev = service.add_evidence(
            session,
            case_id,
            filename=file.name,
            content=content,
            officer=officer,
            actor=cli_actor(),
            max_bytes=settings.enf_evidence_max_bytes,
            note=note,
        )
        echo_json(service.evidence_dict(ev))


@cases_app.command("facts")
def cases_facts(
    case_id: Annotated[int, typer.Argument()],
    harm: Annotated[str, typer.Option(help="none, minor, general or serious")],
    officer: Officer,
    corrected: Annotated[
        bool, typer.Option("--corrected/--not-corrected", help="Corrected in time")
    ] = False,
    aggravating: Annotated[
        list[str] | None, typer.Option(help="Aggravating factor (repeatable)")
    ] = None,
    mitigating: Annotated[
        list[str] | None, typer.Option(help="Mitigating factor (repeatable)")
    ] = None,
    endangers_safety: Annotated[
        bool, typer.Option(help="Life, health or financial safety harmed")
    ] = False,
    facts: Annotated[str | None, typer.Option(help="Replace the facts text")] = None,
) -> None:
    """Record the established facts (harm, correction, factors)."""
    data = parse_model(
        schemas.CaseFacts,
        {
            "harm": harm,
            "corrected_in_time": corrected,
            "aggravating": aggravating or [],
            "mitigating": mitigating or [],
            "endangers_safety": endangers_safety,
            "facts": facts,
        },
    )
    with cli_session() as session:
        case = service.record_facts(session, case_id, data, officer=officer, actor=cli_actor())
        echo_json(service.facts_dict(case))


@cases_app.command("decide")
def cases_decide(
    case_id: Annotated[int, typer.Argument()],
    officer: Officer,
    sign_commitment: Annotated[bool, typer.Option(help="The party signs a commitment now")] = False,
    fine: Annotated[int | None, typer.Option(help="Fine in yuan, inside the decided range")] = None,
    decided_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today)")] = None,
) -> None:
    """Decide the case with the rules (首违免罚 / 再犯必罚 / time limit)."""
    data = parse_model(
        schemas.CaseDecide,
        {
            "sign_commitment": sign_commitment,
            "fine_yuan": fine,
            "decided_on": parse_date(decided_on, "decided_on"),
        },
    )
    settings = get_settings()
    with cli_session(settings) as session:
        result = service.decide_case(
            session,
            case_id,
            data,
            officer=officer,
            actor=cli_actor(),
            lookback_days=settings.enf_lookback_days,
            valid_days=settings.enf_commitment_valid_days,
        )
        echo_json(result.to_dict())


@cases_app.command("notify")
def cases_notify(case_id: Annotated[int, typer.Argument()], officer: Officer) -> None:
    """Serve the notice: decision, reasons and the party's rights."""
    with cli_session() as session:
        echo_json(service.notify(session, case_id, officer=officer, actor=cli_actor()))


@cases_app.command("rectify")
def cases_rectify(
    case_id: Annotated[int, typer.Argument()],
    by: Annotated[str, typer.Option("--by", help="Deadline YYYY-MM-DD")],
    officer: Officer,
) -> None:
    """Order rectification by a deadline."""
    data = parse_model(schemas.Rectification, {"rectify_by": parse_date(by, "rectify_by")})
    with cli_session() as session:
        case = service.order_rectification(
            session, case_id, data, officer=officer, actor=cli_actor()
        )
        echo_json(service.rectification_dict(case))


@cases_app.command("check")
def cases_check(
    case_id: Annotated[int, typer.Argument()],
    officer: Officer,
    rectified: Annotated[bool, typer.Option("--rectified/--not-rectified")] = True,
    checked_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today)")] = None,
) -> None:
    """Record the rectification check."""
    data = parse_model(
        schemas.RectificationCheck,
        {"rectified": rectified, "checked_on": parse_date(checked_on, "checked_on")},
    )
    with cli_session() as session:
        case = service.check_rectification(
            session, case_id, data, officer=officer, actor=cli_actor()
        )
        echo_json(service.check_dict(case))


@cases_app.command("close")
def cases_close(case_id: Annotated[int, typer.Argument()], officer: Officer) -> None:
    """Close the case."""
    with cli_session() as session:
        case = service.close_case(session, case_id, officer=officer, actor=cli_actor())
        echo_json(service.status_dict(case))


@cases_app.command("list")
def cases_list(
    party: Annotated[int | None, typer.Option(help="Party id")] = None,
    status: Annotated[str | None, typer.Option(help="e.g. open, decided, closed")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 100,
) -> None:
    """Cases, newest first."""
    with cli_session() as session:
        found = service.list_cases(session, party_id=party, status=status, limit=limit)
        echo_json([service.case_brief(c) for c in found])


@cases_app.command("show")
def cases_show(case_id: Annotated[int, typer.Argument()]) -> None:
    """A case with its decision, evidence and timeline."""
    with cli_session() as session:
        echo_json(service.case_dict(session, service.get_case(session, case_id)))


# --------------------------------------------------------------------------------------------
# Inspectors, inspections, industry records


@inspectors_app.command("add")
def inspectors_add(
    code: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Argument()],
) -> None:
    """Add an inspector to the roster."""
    data = parse_model(schemas.InspectorCreate, {"code": code, "name": name})
    with cli_session() as session:
        echo_json(service.inspector_dict(service.add_inspector(session, data, actor=cli_actor())))


@inspectors_app.command("conflict")
def inspectors_conflict(
    code: Annotated[str, typer.Argument(help="Inspector code")],
    party: Annotated[int, typer.Option(help="Party id")],
    reason: Annotated[str, typer.Option(help="Why (回避事由)")],
) -> None:
    """Record a conflict of interest: the inspector is never drawn for that party."""
    data = parse_model(
        schemas.ConflictCreate, {"inspector": code, "party_id": party, "reason": reason}
    )
    with cli_session() as session:
        c = service.add_conflict(session, data, actor=cli_actor())
        echo_json(service.conflict_dict(c, code))


@records_app.command("inspection")
def records_inspection(
    party: Annotated[int, typer.Option(help="Party id")],
    on: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    inspector: Annotated[list[str], typer.Option(help="Inspector code (at least two)")],
    item: Annotated[list[str], typer.Option(help="Item checked (repeatable)")],
    passed: Annotated[bool, typer.Option("--passed/--failed")] = True,
    kind: Annotated[str, typer.Option(help="routine, case or campaign")] = "routine",
) -> None:
    """Record a carried-out inspection and its result."""
    data = parse_model(
        schemas.InspectionCreate,
        {
            "party_id": party,
            "inspected_on": parse_date(on, "inspected_on"),
            "passed": passed,
            "items": item,
            "inspectors": inspector,
            "kind": kind,
        },
    )
    with cli_session() as session:
        row = service.record_inspection(session, data, actor=cli_actor())
        echo_json(service.inspection_dict(row))


@records_app.command("industry")
def records_industry(
    party: Annotated[int, typer.Option(help="Party id")],
    kind: Annotated[str, typer.Option(help="Record kind (see grade points table)")],
    on: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Record an industry supervision record (good or bad)."""
    data = parse_model(
        schemas.IndustryRecordCreate,
        {
            "party_id": party,
            "kind": kind,
            "recorded_on": parse_date(on, "recorded_on"),
            "note": note,
        },
    )
    with cli_session() as session:
        row = service.add_industry_record(session, data, actor=cli_actor())
        echo_json(service.industry_record_dict(row))


# --------------------------------------------------------------------------------------------
# Grading, planning, statistics


@grade_app.callback(invoke_without_command=True)
def grade(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option(help="Grade all firms for this year")] = None,
    as_json: Json = False,
) -> None:
    """Grade every construction-site firm for --year from the previous year's records."""
    if ctx.invoked_subcommand is not None:
        return
    if year is None:
        raise InvalidInput("give --year (or a sub-command: explain, show, table)", field="year")
    with cli_session() as session:
        result = service.grade_year(session, year, actor=cli_actor())
    if as_json:
        echo_json(result)
        return
    counts = ", ".join(f"{g} {n}" for g, n in result["by_grade"].items())
    typer.echo(f"graded {result['firms']} firms for {year} ({result['rule_version']}): {counts}")


@grade_app.command("explain")
def grade_explain(
    file: Annotated[str, typer.Argument(help="Summary JSON, or - for stdin")], as_json: Json = False
) -> None:
    """Grade one summary and explain it item by item."""
    summary = rules_grading.parse_summary(read_json(file))
    result = rules_grading.grade(catalog.grading_table(), summary)
    if as_json:
        echo_json(result.to_dict())
        return
    typer.echo(f"grade {result.grade} ({result.points} points, {result.rule_version})")
    for line in result.breakdown:
        typer.echo(f"  {line['points']:+4d}  {line['item']}: {line['note']}")


@grade_app.command("show")
def grade_show(
    party: Annotated[int, typer.Option(help="Party id")], year: Annotated[int, typer.Option()]
) -> None:
    """A firm's stored grade with its breakdown."""
    with cli_session() as session:
        echo_json(service.grade_dict(service.get_grade(session, party, year)))


@grade_app.command("table")
def grade_table() -> None:
    """The points table in force."""
    echo_json(catalog.grading_table().to_dict())


@app.command("plan")
def plan(
    year: Annotated[int, typer.Option(help="Plan year")],
    seed: Annotated[int, typer.Option(help="Random seed (the same seed gives the same plan)")],
    month: Annotated[int | None, typer.Option(help="Only this month's visits")] = None,
    as_json: Json = False,
) -> None:
    """The year's 双随机 visits (date, target, inspectors, items) and the burden."""
    if month is not None and not 1 <= month <= 12:
        raise InvalidInput("month must be 1 to 12", field="month")
    with cli_session() as session:
        result = service.plan(session, year=year, seed=seed)
    data = result.to_dict(month)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
        return
    for v in data["visits"]:
        typer.echo(
            f"{v['date']}  firm {v['target']:>6} [{v['grade']}]  {','.join(v['inspectors'])}  "
            f"{'+'.join(v['items'])}"
        )
    b = data["burden"]
    typer.echo(
        f"{data['visit_count']} visits shown; year: {b['visits']} visits for {b['firms']} firms "
        f"vs {b['visits_without_grading']} without grading ({b['reduction_vs_ungraded']:.1%} fewer)"
    )


@app.command("stats")
def stats_command(
    from_: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    as_json: Json = False,
) -> None:
    """Outcome statistics computed from the records."""
    with cli_session() as session:
        data = service.compute_stats(
            session, start=parse_date(from_, "from"), end=parse_date(to, "to")
        )
    if as_json:
        echo_json(data)
        return
    c = data["commitments"]
    v = data["violated_after_commitment"]
    s = data["street_shops"]
    sites = data["sites"]
    by_domain = ", ".join(f"{k} {n}" for k, n in c["by_domain"].items())
    typer.echo(f"commitments signed: {c['total']} ({by_domain})")
    typer.echo(f"violated again after committing: {v['count']} = {v['percent']}")
    again = s["penalised_again"]
    typer.echo(
        f"street shops: {s['commitments']} commitments, penalised again {again['count']}"
        f" = {again['percent']}"
    )
    typer.echo(
        f"property companies with commitments: {data['property_companies_with_commitments']}"
    )
    typer.echo(
        f"garbage-sorting rooms {sites['garbage_sorting_rooms']}, model compounds "
        f"{sites['model_compounds']}, compounds rectified {sites['compounds_rectified']}, "
        f"vending points {sites['vending_points']}"
    )
    d = data["decisions"]
    typer.echo(
        f"decisions: {d['exemptions']} exemptions, {d['penalties']} penalties "
        f"({d['repeat_penalties']} repeats); fines {data['fines']['total_yuan']} yuan; "
        f"rectification {data['rectification']['percent']}"
    )
