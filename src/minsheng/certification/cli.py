"""``minsheng certs …``: the certification system's commands."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer

from minsheng.certification import service
from minsheng.certification.rules.numbering import decode_number
from minsheng.certification.rules.verification import verification_fields
from minsheng.certification.schemas import (
    BodyCreate,
    BodyStatusChange,
    CertificateIssue,
    CertificateStatusChange,
    OccupationCreate,
    SubsidyRequest,
    VerifyRequest,
)
from minsheng.core.audit import cli_actor
from minsheng.core.cli_support import cli_session, echo_json, parse_model, read_input
from minsheng.core.config import get_settings
from minsheng.core.errors import InvalidInput


def read_bytes(path: str) -> bytes:
    """A file's bytes, or standard input's for ``-`` (the import detects the encoding)."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="file") from None


HELP = (
    "Vocational skill certificates: occupations, standards, filed evaluation bodies, "
    "issuance, public verification, scam-ad scanning and the skill-upgrade subsidy."
)
app = typer.Typer(help=HELP, no_args_is_help=True)
number_app = typer.Typer(help="Certificate numbers (人社鉴发〔2019〕2号).", no_args_is_help=True)
body_app = typer.Typer(help="Filed evaluation bodies.", no_args_is_help=True)
subsidy_app = typer.Typer(help="The skill-upgrade subsidy.", no_args_is_help=True)
reference_app = typer.Typer(help="Reference data.", no_args_is_help=True)
app.add_typer(number_app, name="number")
app.add_typer(body_app, name="body")
app.add_typer(subsidy_app, name="subsidy")
app.add_typer(reference_app, name="reference")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (the default output)")]


@app.command("occupation")
def occupation(code: str, json_out: JsonFlag = True) -> None:
    """An occupation of the 2022 classification, with green/digital flags and eligibility."""
    del json_out
    with cli_session() as session:
        echo_json(service.get_occupation(session, code).to_dict())


@app.command("occupations")
def occupations(query: str) -> None:
    """Search occupations by name."""
    with cli_session() as session:
        echo_json([service.occupation_summary(o) for o in service.list_occupations(session, query)])


@reference_app.command("load")
def reference_load() -> None:
    """Load the shipped occupations and qualification catalogue (idempotent)."""
    with cli_session() as session:
        echo_json(service.load_reference(session))


@reference_app.command("import-standards")
def import_standards(file: str) -> None:
    """Import national skill standards from CSV (all or nothing)."""
    with cli_session() as session:
        echo_json(
            {"imported": service.import_standards(session, read_input(file), actor=cli_actor())}
        )


@reference_app.command("add-occupation")
def add_occupation(
    code: str,
    name: str,
    added_on: Annotated[str, typer.Option(help="publication date YYYY-MM-DD")],
    source: Annotated[str, typer.Option(help="the announcement it comes from")],
    definition: str = "",
    green: bool = False,
    digital: bool = False,
) -> None:
    """Add an occupation published after the 2022 edition."""
    data = parse_model(
        OccupationCreate,
        {
            "code": code,
            "name": name,
            "definition": definition,
            "green": green,
            "digital": digital,
            "added_on": added_on,
            "source": source,
        },
    )
    with cli_session() as session:
        occ = service.add_occupation(session, data, actor=cli_actor())
        echo_json(service.get_occupation(session, occ.code).to_dict())


@number_app.command("decode")
def number_decode(number: str, json_out: JsonFlag = True) -> None:
    """Decode a certificate number (exit 0 whether valid or not)."""
    del json_out
    echo_json(decode_number(number).to_dict())


@body_app.command("create")
def body_create(file: str) -> None:
    """File a body from JSON (name, body_type, code, province_code, valid_from, scope…)."""
    data = parse_model(BodyCreate, read_input(file))
    with cli_session() as session:
        echo_json(
            service.body_to_dict(session, service.create_body(session, data, actor=cli_actor()))
        )


@body_app.command("search")
def body_search(query: str) -> None:
    """The public registry lookup by name, code or occupation code."""
    with cli_session() as session:
        echo_json([service.body_to_dict(session, b) for b in service.list_bodies(session, query)])


@body_app.command("status")
def body_status(
    filing_no: str,
    status: Annotated[str, typer.Argument(help="active, suspended or revoked")],
    reason: Annotated[str, typer.Option()],
) -> None:
    """Suspend, revoke or reactivate a body (audited)."""
    data = parse_model(BodyStatusChange, {"status": status, "reason": reason})
    with cli_session() as session:
        body = service.update_body_status(session, filing_no, data, actor=cli_actor())
        echo_json(service.body_to_dict(session, body))


@app.command("issue")
def issue(file: str) -> None:
    """Issue a certificate from JSON, through the issuance rules."""
    data = parse_model(CertificateIssue, read_input(file))
    with cli_session() as session:
        cert = service.issue_certificate(session, data, get_settings(), actor=cli_actor())
        echo_json(service.certificate_to_dict(session, cert))


@app.command("status")
def certificate_status(
    number: str,
    status: Annotated[str, typer.Argument(help="valid, suspended or revoked")],
    reason: Annotated[str, typer.Option()],
) -> None:
    """Suspend, revoke or reinstate a certificate (audited)."""
    data = parse_model(CertificateStatusChange, {"status": status, "reason": reason})
    with cli_session() as session:
        cert = service.update_certificate_status(session, number, data, actor=cli_actor())
        echo_json(service.certificate_to_dict(session, cert))


@app.command("import")
def import_certificates(file: str) -> None:
    """Import records (number,name,id_number,occupation_code,level,body_code,issued_on[,status]
    or the Chinese headers); UTF-8 or GBK, any line ends."""
    text = read_bytes(file)
    with cli_session() as session:
        echo_json(service.import_certificates(session, text, get_settings(), actor=cli_actor()))


@app.command("verify")
def verify(
    id_number: Annotated[str | None, typer.Option("--id", help="ID number")] = None,
    name: Annotated[str | None, typer.Option("--name", help="holder's name")] = None,
    number: Annotated[str | None, typer.Option("--number", help="certificate number")] = None,
    json_out: JsonFlag = True,
) -> None:
    """Public verification by any two of ID number, name and certificate number."""
    del json_out
    if len(verification_fields(id_number, name, number)) < 2:
        raise typer.BadParameter("give any two of --id, --name and --number")
    # One lookup per process: per-process counters and a write-behind log would mean nothing
    # here, so the CLI counts in the database and logs in its own transaction.
    settings = get_settings().model_copy(
        update={"cert_verify_rate_store": "database", "cert_verify_log_flush_s": 0}
    )
    data = parse_model(VerifyRequest, {"id_number": id_number, "name": name, "number": number})
    with cli_session(settings) as session:
        echo_json(
            service.verify_certificate(session, settings, data, client=cli_actor(), channel="cli")
        )


@app.command("purge")
def purge() -> None:
    """Delete lookup-log rows past retention (settings) and stale rate-limit windows."""
    settings = get_settings()
    with cli_session(settings) as session:
        echo_json(service.purge_verification_log(session, settings))


@app.command("scan-ad")
def scan_ad(
    file: Annotated[str, typer.Argument(help="a text file, or - for standard input")] = "-",
    json_out: JsonFlag = True,
) -> None:
    """Scan an ad for certificate-scam patterns and registry-checked claims."""
    del json_out
    text = read_input(file)
    with cli_session() as session:
        echo_json(service.scan_ad(session, text))


@subsidy_app.command("decide")
def subsidy_decide(
    file: str,
    record: Annotated[bool, typer.Option(help="keep the decision for the statistics")] = False,
    json_out: JsonFlag = True,
) -> None:
    """Decide a skill-upgrade subsidy application given as JSON."""
    del json_out
    req = parse_model(SubsidyRequest, read_input(file))
    settings = get_settings()
    if not record:
        echo_json(service.decide_subsidy(req, settings))
        return
    with cli_session(settings) as session:
        echo_json(service.record_subsidy_claim(session, req, settings, actor=cli_actor()))


@subsidy_app.command("stats")
def subsidy_stats(
    start: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="YYYY-MM-DD")],
) -> None:
    """People and yuan paid in a period, overall and by province."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise InvalidInput("start/end: not a date YYYY-MM-DD", field="start") from None
    with cli_session() as session:
        echo_json(service.subsidy_statistics(session, start=first, end=last))


@subsidy_app.command("rule-sets")
def subsidy_rule_sets() -> None:
    """The rule sets, national and provincial, with their dates and sources."""
    echo_json([service.rule_set_to_dict(r) for r in service.subsidy_rule_sets()])
