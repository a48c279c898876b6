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
    rtpengine: Annotated[
        str,
        typer.Option(help="rtpengine ng host:port anchoring media, or 'off' (default: setting)"),
    ] = "",
    dtmf_listen: Annotated[
        str, typer.Option(help="UDP host:port of rtpengine's dtmf-log-dest (default: setting)")
    ] = "",
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
    rtp_text = rtpengine or settings.hotline_sip_rtpengine
    rtp_at = None if rtp_text in ("off", "") else _address(rtp_text, "rtpengine")
    dtmf_text = dtmf_listen or settings.hotline_sip_dtmf_listen
    dtmf_at = None if dtmf_text in ("off", "") else _address(dtmf_text, "dtmf_listen")
    assert rtp_at is None or isinstance(rtp_at, ListenAddress)
    assert dtmf_at is None or isinstance(dtmf_at, ListenAddress)
    options = ServeOptions(
        listen=listen_at,
        control=control_at,
        log=log,
        rtpengine=rtp_at,
        dtmf_listen=dtmf_at,
        node=node or None,
        kamailio_db=kamailio_db or None,
    )
    server = SipServer.from_database(settings, seats, options)
    warning = server.media_warning()
    if warning:
        print(f"warning: {warning}", file=sys.stderr, flush=True)

    def ready() -> None:
        # One line on stdout once the port is bound: scripts and tests wait for it.
        media = f"; media: rtpengine {rtp_at}" if rtp_at else ""
        print(
            f"listening on udp:{listen_at} (staff endpoint: {control_at or 'off'}{media})",
            flush=True,
        )

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


prompts_app = typer.Typer(
    help="What callers hear: the prompt files (default/ and one folder per hotline).",
    no_args_is_help=True,
)


@prompts_app.command("build")
def prompts_build(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Prompts folder (default: setting, var/prompts)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Regenerate files that exist")] = False,
) -> None:
    """Generate the national default prompts (Mandarin, espeak-ng + sox) into DIR/default."""
    from minsheng.hotline.sip.prompts import build_defaults
    from minsheng.hotline.sip.server import prompts_dir

    root = directory or prompts_dir(get_settings())
    try:
        written = build_defaults(root, force=force)
    except RuntimeError as exc:
        raise InvalidInput(str(exc), field="tools") from exc
    echo_json({"dir": str(root / "default"), "written": [p.name for p in written]})


@prompts_app.command("list")
def prompts_list(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Prompts folder (default: setting, var/prompts)")
    ] = None,
    hotline: Annotated[str | None, typer.Option(help="A hotline's id: which file it plays")] = None,
) -> None:
    """Each prompt with its text and the file played for it (a hotline's own, else the default)."""
    from minsheng.hotline.sip.prompts import COMFORT, TEXTS, PromptSet
    from minsheng.hotline.sip.server import prompts_dir

    prompts = PromptSet(directory or prompts_dir(get_settings()))
    rows = [
        {"name": name, "text": text, "file": str(prompts.path(name, hotline) or "")}
        for name, text in {**TEXTS, COMFORT: "(舒缓提示音)"}.items()
    ]
    echo_json(rows)


@sip_app.command("supervise")
def supervise(
    sip_call_id: Annotated[str, typer.Argument(help="The call's SIP Call-ID (live board)")],
    supervisor: Annotated[str, typer.Option(help="The supervisor's phone (seats file)")],
    reason: Annotated[str, typer.Option(help="Why (goes to the audit log)")],
    mode: Annotated[str, typer.Option(help="listen, whisper or join")] = "listen",
) -> None:
    """Ring a supervisor's phone into a call in conversation on the node holding it: listen
    (监听), whisper to the counsellor (耳语) or join (强插); audited with the reason."""
    from minsheng.core import audit
    from minsheng.core.cli_support import cli_session
    from minsheng.hotline.service import cluster as cluster_service

    settings = get_settings()
    with cli_session() as session:
        echo_json(
            cluster_service.forward_supervise(
                session,
                sip_call_id,
                mode=mode,
                supervisor=supervisor,
                reason=reason,
                secret=settings.secret_key,
                actor=audit.cli_actor(),
            )
        )


@sip_app.command("unsupervise")
def unsupervise(
    sip_call_id: Annotated[str, typer.Argument(help="The call's SIP Call-ID")],
) -> None:
    """End the supervision of a call (the supervisor's phone is hung up); audited."""
    from minsheng.core import audit
    from minsheng.core.cli_support import cli_session
    from minsheng.hotline.service import cluster as cluster_service

    settings = get_settings()
    with cli_session() as session:
        echo_json(
            cluster_service.forward_unsupervise(
                session, sip_call_id, secret=settings.secret_key, actor=audit.cli_actor()
            )
        )


recording_app = typer.Typer(
    help="Call recordings: encrypted at rest, every playback audited.", no_args_is_help=True
)


@recording_app.command("keygen")
def recording_keygen() -> None:
    """Print a new 256-bit key for MINSHENG_HOTLINE_RECORDING_KEY (never commit it)."""
    from minsheng.hotline.sip.recording import new_key

    print(new_key())


@recording_app.command("set")
def recording_set(
    hotline_id: Annotated[str, typer.Argument(help="The hotline's id, e.g. gd-shenzhen")],
    on: Annotated[
        bool, typer.Option("--on/--off", help="Record this line's answered calls, or not")
    ],
    reason: Annotated[str, typer.Option(help="Why (goes to the audit log)")] = "",
) -> None:
    """Turn a hotline's recording on or off (audited); its callers hear the recording notice
    only while it is on. A running SIP server takes the change within a minute."""
    from minsheng.core import audit
    from minsheng.core.cli_support import cli_session
    from minsheng.hotline import service

    with cli_session() as session:
        h = service.set_hotline_recording(
            session, hotline_id, on, actor=audit.cli_actor(), reason=reason
        )
        echo_json({"hotline_id": h.id, "recording": h.recording})


@recording_app.command("play")
def recording_play(
    call_ref: Annotated[str, typer.Argument(help="The call record's reference (SIP Call-ID)")],
    out: Annotated[Path, typer.Option(help="Write the decrypted WAV here")],
    reason: Annotated[str, typer.Option(help="Why it is played (goes to the audit log)")],
) -> None:
    """Decrypt a call's recording to a WAV file (left: caller, right: counsellor); audited."""
    from minsheng.core import audit
    from minsheng.core.cli_support import cli_session
    from minsheng.core.errors import NotFound
    from minsheng.hotline.sip.recording import decrypt, file_name
    from minsheng.hotline.sip.server import recording_key, recordings_dir

    settings = get_settings()
    key = recording_key(settings)
    path = recordings_dir(settings) / file_name(call_ref)
    if not path.is_file():
        raise NotFound("no recording for this call", field="call_ref")
    if not reason.strip():
        raise InvalidInput("say why the recording is played", field="reason")
    try:
        wav = decrypt(path.read_bytes(), key, call_ref)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="call_ref") from exc
    with cli_session() as session:
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="hotline.recording.play",
            table="hotline_calls",
            record_id=call_ref,
            detail={"reason": reason.strip(), "out": str(out)},
        )
    out.write_bytes(wav)
    echo_json({"call_ref": call_ref, "out": str(out), "bytes": len(wav)})


@recording_app.command("purge")
def recording_purge(
    before: Annotated[
        str, typer.Option(help="Delete recordings written before this date (default: retention)")
    ] = "",
) -> None:
    """Delete recordings older than the retention (HOTLINE_RETENTION_DAYS, at least 3 years)."""
    from datetime import UTC, datetime, timedelta

    from minsheng.core import audit
    from minsheng.core.cli_support import cli_session
    from minsheng.hotline.sip.recording import purge
    from minsheng.hotline.sip.server import recordings_dir

    settings = get_settings()
    if before:
        try:
            limit = datetime.fromisoformat(before)
        except ValueError as exc:
            raise InvalidInput("before must be an ISO date", field="before") from exc
        if limit.tzinfo is None:
            limit = limit.replace(tzinfo=UTC)
    else:
        limit = datetime.now(UTC) - timedelta(days=settings.hotline_retention_days)
    retention_start = datetime.now(UTC) - timedelta(days=3 * 365)
    if limit > retention_start:
        raise InvalidInput("recordings are kept at least 3 years", field="before")
    removed = purge(recordings_dir(settings), limit)
    with cli_session() as session:
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="hotline.recording.purge",
            table="hotline_calls",
            record_id="recordings",
            detail={"before": limit.isoformat(), "removed": len(removed)},
        )
    echo_json({"before": limit.isoformat(), "removed": len(removed)})


def register(app: typer.Typer) -> None:
    """Add the ``sip``, ``prompts`` and ``recording`` sub-groups to the ``hotline`` group."""
    from minsheng.hotline.sip import cluster_cli, seat_cli

    cluster_cli.register(sip_app)
    seat_cli.register(sip_app)
    app.add_typer(sip_app, name="sip")
    app.add_typer(prompts_app, name="prompts")
    app.add_typer(recording_app, name="recording")
