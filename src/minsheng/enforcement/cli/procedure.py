"""``procedure``, ``documents``, ``credit``, ``objections`` and ``officers``: the 行政处罚法 steps
of a case after the engine's proposal, the documents it issued (JSON or PDF), credit records and
their repair, objections and their review, and officers' 执法证.

Each step takes its content as JSON (``--body '{...}'``, ``--body @file.json`` or ``--body -``),
validated by the same schema as the API.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from minsheng.core.audit import cli_actor
from minsheng.core.cli_support import cli_session, echo_json, parse_model, read_input
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import schemas, service
from minsheng.enforcement.cli.common import Officer
from minsheng.enforcement.service import printing

procedure_app = typer.Typer(
    help="The 行政处罚法 procedure: 事先告知, 陈述申辩, 听证, 法制审核, 决定, 送达.",
    no_args_is_help=True,
)
documents_app = typer.Typer(help="Documents issued with their 文号 (JSON or PDF).")
credit_app = typer.Typer(help="Credit records: publication, repair, expiry.", no_args_is_help=True)
objections_app = typer.Typer(help="Objections to grades and credit records.")
officers_app = typer.Typer(help="Officers' 执法证 and 法律职业资格.", no_args_is_help=True)

Body = Annotated[str, typer.Option("--body", help="JSON: inline, @file or - for stdin")]


def _body(text: str) -> str:
    if text == "-" or text.startswith("@"):
        return read_input(text[1:] if text.startswith("@") else "-")
    return text


Step = Callable[..., Any]

STEPS: dict[str, tuple[type[BaseModel], Step, str]] = {
    "prior-notice": (schemas.PriorNotice, service.pre_notify, "Serve the 事先告知书 (Art. 44)."),
    "statement": (schemas.Statement, service.record_statement, "陈述、申辩 or waiver (Art. 45)."),
    "hearing-request": (
        schemas.HearingRequest,
        service.request_hearing,
        "The party asks for a hearing (Art. 64(一), 5 working days).",
    ),
    "hearing-schedule": (
        schemas.HearingSchedule,
        service.schedule_hearing,
        "Notify the hearing ≥ 7 working days ahead (Art. 64(二)).",
    ),
    "hearing": (schemas.HearingHeld, service.hold_hearing, "Record the hearing (Art. 64)."),
    "legal-review": (schemas.LegalReview, service.legal_review, "法制审核 (Art. 58)."),
    "decision": (schemas.FinalDecision, service.decide_final, "The penalty decision (Art. 57)."),
    "serve": (schemas.Service, service.serve, "送达 of the decision (Art. 61)."),
    "extend": (schemas.Extension, service.extend, "Extend the Art. 60 period (with basis)."),
    "fulfil": (schemas.Fulfilment, service.record_fulfilment, "The penalty performed."),
}


def _make_step(name: str, model: type[BaseModel], step: Step, help_text: str) -> None:
    def command(
        case_id: Annotated[int, typer.Argument()], officer: Officer, body: Body = "{}"
    ) -> None:
        data = parse_model(model, _body(body))
        with cli_session() as session:
            step(session, case_id, data, officer=officer, actor=cli_actor())
            echo_json(service.procedure_dict(session, service.get_case(session, case_id)))

    command.__doc__ = help_text
    procedure_app.command(name)(command)


for _name, (_model, _step, _help) in STEPS.items():
    _make_step(_name, _model, _step, _help)


@procedure_app.command("show")
def show(case_id: Annotated[int, typer.Argument()]) -> None:
    """The case's procedure: periods, hearing, review, service, the Art. 60 deadline."""
    with cli_session() as session:
        echo_json(service.procedure_dict(session, service.get_case(session, case_id)))


@procedure_app.command("late")
def late() -> None:
    """Cases undecided after the 90 days of Art. 60 (plus extensions)."""
    with cli_session() as session:
        echo_json(service.late_cases(session))


@documents_app.command("list")
def documents_list(case_id: Annotated[int, typer.Argument()]) -> None:
    """A case's documents with their 文号."""
    with cli_session() as session:
        service.get_case(session, case_id)
        echo_json(
            [service.document_dict(d) for d in service.list_documents(session, case_id=case_id)]
        )


@documents_app.command("show")
def documents_show(document_id: Annotated[int, typer.Argument()]) -> None:
    """One document: its 文号 and printed sections."""
    with cli_session() as session:
        echo_json(service.document_dict(service.get_document(session, document_id)))


@documents_app.command("pdf")
def documents_pdf(
    document_id: Annotated[int, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write")],
) -> None:
    """Write the document as PDF."""
    with cli_session() as session:
        pdf = printing.document_pdf(service.get_document(session, document_id))
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror}", field="out") from None
    echo_json({"document": document_id, "file": str(out), "bytes": len(pdf)})


@credit_app.command("show")
def credit_show(party_id: Annotated[int, typer.Argument()]) -> None:
    """A party's credit records (publication periods, repair conditions) and objections."""
    with cli_session() as session:
        service.get_party(session, party_id)
        echo_json(service.credit_section(session, party_id))


@credit_app.command("repair")
def credit_repair(record_id: Annotated[int, typer.Argument()]) -> None:
    """信用修复: end publication early when every condition holds."""
    with cli_session() as session:
        echo_json(service.record_dict(service.repair(session, record_id, actor=cli_actor())))


@credit_app.command("expire")
def credit_expire() -> None:
    """Record the automatic end of publication of every record past its maximum period."""
    with cli_session() as session:
        echo_json({"expired": service.expire_due(session, actor=cli_actor())})


@objections_app.command("file")
def objections_file(body: Body) -> None:
    """File a party's objection to a grade or credit record."""
    data = parse_model(schemas.ObjectionCreate, _body(body))
    with cli_session() as session:
        echo_json(service.objection_dict(service.file_objection(session, data, actor=cli_actor())))


@objections_app.command("review")
def objections_review(
    objection_id: Annotated[int, typer.Argument()], officer: Officer, body: Body
) -> None:
    """Review an objection: upheld (record withdrawn / grade revised) or rejected."""
    data = parse_model(schemas.ObjectionReview, _body(body))
    with cli_session() as session:
        obj = service.review_objection(
            session, objection_id, data, reviewer=officer, actor=cli_actor()
        )
        echo_json(service.objection_dict(obj))


@officers_app.command("cert")
def officers_cert(body: Body) -> None:
    """Record an officer's 执法证 (and 法律职业资格)."""
    data = parse_model(schemas.OfficerCertCreate, _body(body))
    with cli_session() as session:
        cert = service.register_cert(session, data, actor=cli_actor())
        echo_json(service.cert_dict(cert, data.inspector))
