"""``minsheng hotline sip …``: the SIP server commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from minsheng.core.cli_support import echo_json
from minsheng.core.config import get_settings
from minsheng.core.errors import InvalidInput

sip_app = typer.Typer(help="12356 over SIP: the back-to-back user agent.", no_args_is_help=True)


def _address(text: str, field: str) -> object:
    from minsheng.hotline.sip.stack import ListenAddress

    try:
        return ListenAddress.parse(text)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


@sip_app.command("serve")
def serve(
    seats: Annotated[
        Path,
        typer.Option(help="Seats JSON: each counsellor's SIP user and password/HA1, or contact"),
    ],
    listen: Annotated[str, typer.Option(help="UDP host:port (default: setting)")] = "",
    control: Annotated[
        str, typer.Option(help="Staff HTTP endpoint host:port, or 'off' (default: setting)")
    ] = "",
    log: Annotated[str, typer.Option(help="SIP message log: none, stderr, syslog, file")] = "none",
    node: Annotated[
        str, typer.Option(help="Run as this node of the SIP cluster (docs/hotline-scale.md)")
    ] = "",
    kamailio_db: Annotated[
        str,
        typer.Option(
            envvar="MINSHENG_HOTLINE_SIP_KAMAILIO_DB",
            help="Cluster node: SQLAlchemy URL of Kamailio's database (registrations)",
        ),
    ] = "",
) -> None:
    """Answer 12356 and the legacy numbers on SIP: route, queue, ring seats, record every call.

    The hotlines and counsellors are the directory in the database (``minsheng hotline import``,
    ``minsheng hotline counsellor add``); call records go to the database as well.
    """
    from minsheng.hotline.sip.server import ServeOptions, SipServer
    from minsheng.hotline.sip.stack import ListenAddress

    settings = get_settings()
    if log not in ("none", "stderr", "syslog", "file"):
        raise InvalidInput("log must be none, stderr, syslog or file", field="log")
    listen_at = _address(listen or settings.hotline_sip_listen, "listen")
    control_text = control or settings.hotline_sip_control
    control_at = None if control_text in ("off", "") else _address(control_text, "control")
    assert isinstance(listen_at, ListenAddress)
    assert control_at is None or isinstance(control_at, ListenAddress)
    options = ServeOptions(
        listen=listen_at,
        control=control_at,
        log=log,
        node=node or None,
        kamailio_db=kamailio_db or None,
    )
    server = SipServer.from_database(settings, seats, options)

    def ready() -> None:
        # One line on stdout once the port is bound: scripts and tests wait for it.
        print(f"listening on udp:{listen_at} (staff endpoint: {control_at or 'off'})", flush=True)

    server.run(ready)
    print(
        f"stopped; {server.writer.written} call records written, {server.writer.lost} lost",
        file=sys.stderr,
        flush=True,
    )


@sip_app.command("ha1")
def ha1(
    user: Annotated[str, typer.Argument(help="The softphone's SIP user")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
) -> None:
    """Print the digest HA1 of a softphone password, to put in the seats file instead of it."""
    from minsheng.hotline.sip.control import Credentials

    realm = get_settings().hotline_sip_realm
    echo_json(
        {"sip_user": user, "realm": realm, "sip_ha1": Credentials.ha1_of(user, realm, password)}
    )


def register(app: typer.Typer) -> None:
    """Add the ``sip`` sub-group to the ``hotline`` group."""
    from minsheng.hotline.sip import cluster_cli

    cluster_cli.register(sip_app)
    app.add_typer(sip_app, name="sip")
