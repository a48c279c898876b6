"""``cases``: a case from discovery to closure, each step naming its officer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minsheng.core.audit import cli_actor
from minsheng.core.cli_support import cli_session, echo_json, parse_model
from minsheng.core.config import get_settings
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import schemas, service
from minsheng.enforcement.cli.common import Officer, Officers, parse_date

cases_app = typer.Typer(help="Cases from discovery to closure.", no_args_is_help=True)


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
    officers: Officers = None,
    filed_on: Annotated[
        str | None, typer.Option(help="立案 date YYYY-MM-DD (default today)")
    ] = None,
) -> None:
    """Open a case on discovery (立案), naming the two certified officers (Art. 42)."""
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
            "officers": officers or [],
            "filed_on": parse_date(filed_on, "filed_on"),
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
    officers: Officers = None,
) -> None:
    """Attach an evidence file (stored once per SHA-256, in the database); the officers collecting
    it default to the case's investigators (Art. 42)."""
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
            officers=officers or [],
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
    mitigating_basis: Annotated[
        list[str] | None,
        typer.Option(help="Provision relied on for other_statutory (第三十二条第五项; repeatable)"),
    ] = None,
    no_fault_proven: Annotated[
        bool, typer.Option(help="Evidence proves no subjective fault (第三十三条第二款)")
    ] = False,
    mental_state: Annotated[
        str, typer.Option(help="normal, incapable or limited (第三十一条)")
    ] = "normal",
    fine_base: Annotated[
        int | None, typer.Option(help="Amount a multiple-based fine multiplies (e.g. 耕地开垦费)")
    ] = None,
    facts: Annotated[str | None, typer.Option(help="Replace the facts text")] = None,
    officers: Officers = None,
) -> None:
    """Record the established facts (harm, correction, factors, Art. 31/32/33 inputs)."""
    data = parse_model(
        schemas.CaseFacts,
        {
            "harm": harm,
            "corrected_in_time": corrected,
            "aggravating": aggravating or [],
            "mitigating": mitigating or [],
            "endangers_safety": endangers_safety,
            "mitigating_basis": mitigating_basis or [],
            "no_fault_proven": no_fault_proven,
            "mental_state": mental_state,
            "fine_base_yuan": fine_base,
            "facts": facts,
            "officers": officers or [],
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
    departure_reason: Annotated[
        str | None, typer.Option(help="Why the fine departs from the engine's band")
    ] = None,
) -> None:
    """Run the rules (首违免罚 / 再犯必罚 / time limit): a penalty becomes the proposal to notify
    (``procedure prior-notice``); 不予处罚 is decided at once with its 不予行政处罚决定书."""
    data = parse_model(
        schemas.CaseDecide,
        {
            "sign_commitment": sign_commitment,
            "fine_yuan": fine,
            "decided_on": parse_date(decided_on, "decided_on"),
            "departure_reason": departure_reason,
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


@cases_app.command("cancel")
def cases_cancel(
    case_id: Annotated[int, typer.Argument()],
    officer: Officer,
    reason: Annotated[
        str, typer.Option(help="withdrawn (撤销立案) | transferred (移送) | revoked (决定被撤销)")
    ],
    note: Annotated[str, typer.Option(help="Why, in words (recorded on the case)")],
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today)")] = None,
) -> None:
    """Cancel a case; it then counts nowhere as a decision or a violation."""
    data = parse_model(
        schemas.CaseCancel,
        {"reason": reason, "note": note, "cancelled_on": parse_date(on, "cancelled_on")},
    )
    with cli_session() as session:
        case = service.cancel_case(session, case_id, data, officer=officer, actor=cli_actor())
        echo_json(service.status_dict(case) | {"cancel_reason": case.cancel_reason})


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
