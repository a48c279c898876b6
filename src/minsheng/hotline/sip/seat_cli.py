"""``minsheng hotline sip seat-front-config | seat-user``: the browser seat's commands
(docs/hotline-seat.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from minsheng.core import audit
from minsheng.core.cli_support import cli_session, echo_json
from minsheng.core.config import get_settings
from minsheng.core.errors import InvalidInput


def _address(text: str, name: str) -> object:
    from minsheng.hotline.sip.seatfront import Address

    try:
        return Address.parse(text)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=name) from None


def seat_front_config(
    out: Annotated[Path, typer.Option(help="Directory for kamailio.cfg (and tls.cfg)")],
    node: Annotated[
        list[str], typer.Option(help="A B2BUA node (host:port) that rings seats; repeatable")
    ],
    listen: Annotated[str, typer.Option(help="The front's UDP host:port (toward the nodes)")] = (
        "127.0.0.1:5080"
    ),
    ws: Annotated[str, typer.Option(help="ws:// listener host:port (127.0.0.1 only)")] = "",
    wss: Annotated[str, typer.Option(help="wss:// listener host:port (production)")] = "",
    rtpengine: Annotated[str, typer.Option(help="rtpengine's ng address host:port")] = (
        "127.0.0.1:2223"
    ),
    origin: Annotated[
        list[str] | None,
        typer.Option(help="Origin allowed to open the WebSocket (the app's URL); repeatable"),
    ] = None,
    children: Annotated[int, typer.Option(help="Kamailio worker processes per transport")] = 2,
) -> None:
    """Generate the browser seat front's kamailio.cfg: SIP over WebSocket, the app's short-lived
    credentials (the key is derived from MINSHENG_SECRET_KEY), rtpengine DTLS-SRTP ↔ RTP."""
    from minsheng.hotline.rules.seat import seat_secret
    from minsheng.hotline.sip import seatfront

    settings = get_settings()
    out.mkdir(parents=True, exist_ok=True)
    tls_path = ""
    if wss:
        cert = settings.hotline_seat_tls_certificate
        key = settings.hotline_seat_tls_private_key
        if not cert or not key:
            raise InvalidInput(
                "wss:// needs MINSHENG_HOTLINE_SEAT_TLS_CERTIFICATE and "
                "MINSHENG_HOTLINE_SEAT_TLS_PRIVATE_KEY",
                field="wss",
            )
        tls = out / "tls.cfg"
        tls.write_text(seatfront.tls_config(cert, key), encoding="utf-8")
        tls_path = str(tls.resolve())
    options = seatfront.SeatFrontOptions(
        sip=_address(listen, "listen"),  # type: ignore[arg-type]
        rtpengine=_address(rtpengine, "rtpengine"),  # type: ignore[arg-type]
        nodes=tuple(_address(n, "node") for n in node),  # type: ignore[misc]
        secret=seat_secret(settings.hmac_key),
        ctl_socket=str((out / "kamailio_ctl").resolve()),
        ws=_address(ws, "ws") if ws else None,  # type: ignore[arg-type]
        wss=_address(wss, "wss") if wss else None,  # type: ignore[arg-type]
        tls_config=tls_path,
        origins=tuple(origin or ()),
        realm=settings.hotline_sip_realm,
        children=children,
    )
    problems = seatfront.check(options)
    if problems:
        raise InvalidInput("; ".join(problems), field="options")
    cfg = out / "kamailio.cfg"
    # the file holds the seat secret: readable by its owner only
    fd = os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(seatfront.render_cfg(options))
    echo_json(
        {
            "kamailio_cfg": str(cfg),
            "ws": str(options.ws) if options.ws else None,
            "wss": str(options.wss) if options.wss else None,
            "nodes": [str(n) for n in options.nodes],
        }
    )


def seat_user(
    counsellor_id: Annotated[str, typer.Argument(help="Counsellor id")],
    user: Annotated[str, typer.Argument(help="Staff user (role hotline) answering as them")] = "",
    unlink: Annotated[bool, typer.Option("--unlink", help="Remove the link")] = False,
) -> None:
    """Let a staff user answer as a counsellor in the browser seat (or --unlink)."""
    from minsheng.hotline import service

    if not unlink and not user:
        raise InvalidInput("name the staff user, or give --unlink", field="user")
    with cli_session() as session:
        c = service.link_seat_user(
            session, counsellor_id, None if unlink else user, actor=audit.cli_actor()
        )
        echo_json({"counsellor_id": c.id, "staff_user": c.staff_user})


def register(app: typer.Typer) -> None:
    app.command("seat-front-config")(seat_front_config)
    app.command("seat-user")(seat_user)
