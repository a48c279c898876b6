"""``minsheng hotline sip …``: the SIP server commands."""

from __future__ import annotations

import sys
from pathlib import Path

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
    listen: str = typer.Option("", help="UDP address to listen on (default: setting)"),
    directory: Path | None = typer.Option(  # noqa: B008
        None, help="Directory JSON: hotlines, counsellors and their SIP users/contacts"
    ),
    records: Path | None = typer.Option(None, help="Call-record file (JSON lines)"),  # noqa: B008
    control: str = typer.Option("", help="Staff HTTP endpoint host:port; 'off' disables"),
    log: str = typer.Option("none", help="SIP message log: none, stderr, syslog or file"),
) -> None:
    """Answer 12356 (and legacy numbers) on SIP, queue, ring counsellor seats, write records."""
    from minsheng.hotline.sip import directory as directory_mod
    from minsheng.hotline.sip.server import ServeOptions, SipServer, records_path
    from minsheng.hotline.sip.stack import ListenAddress

    settings = get_settings()
    source = directory or (
        Path(settings.hotline_sip_directory) if settings.hotline_sip_directory else None
    )
    if source is None:
        raise InvalidInput(
            "no directory: pass --directory or set MINSHENG_HOTLINE_SIP_DIRECTORY",
            field="directory",
        )
    loaded = directory_mod.load_file(source)
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
        records=records or records_path(settings),
        log=log,
    )
    server = SipServer(settings, loaded, options)

    def ready() -> None:
        # One line on stdout when the port is bound: scripts and tests wait for it.
        print(
            f"listening on udp:{listen_at} (control: {control_at or 'off'}, "
            f"records: {options.records})",
            flush=True,
        )

    server.run(ready)
    print(f"stopped; {server.writer.written} call records written", file=sys.stderr, flush=True)


@sip_app.command("records")
def records_cmd(
    records: Path | None = typer.Option(None, help="Call-record file (JSON lines)"),  # noqa: B008
    last: int = typer.Option(20, min=1, help="How many of the newest records"),
) -> None:
    """Print the newest call records written by the SIP server (numbers masked)."""
    from minsheng.hotline.sip.records import read_jsonl
    from minsheng.hotline.sip.server import records_path

    path = records or records_path(get_settings())
    echo_json(read_jsonl(path)[-last:])


def register(app: typer.Typer) -> None:
    """Add the ``sip`` sub-group to the ``hotline`` group."""
    app.add_typer(sip_app, name="sip")
