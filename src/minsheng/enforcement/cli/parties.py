"""``parties`` and ``commitments``: supervised parties and their credit commitments."""

from __future__ import annotations

from typing import Annotated

import typer

from minsheng.core.audit import cli_actor
from minsheng.core.cli_support import cli_session, echo_json, parse_model
from minsheng.core.config import get_settings
from minsheng.enforcement import schemas, service
from minsheng.enforcement.cli.common import Officer, parse_date

parties_app = typer.Typer(
    help="Supervised parties (persons and organisations).", no_args_is_help=True
)
commitments_app = typer.Typer(help="Credit commitments (信用承诺书).", no_args_is_help=True)


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
