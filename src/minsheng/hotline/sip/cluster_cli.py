"""``minsheng hotline sip cluster-load | kamailio-config | status | drain``: the SIP cluster's
commands (docs/hotline-scale.md). ``serve --node ID`` runs one node of it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from minsheng.core import audit
from minsheng.core.cli_support import cli_session, echo_json, read_input
from minsheng.core.config import get_settings
from minsheng.core.errors import InvalidInput

KAMAILIO_DB_ENV = "MINSHENG_HOTLINE_SIP_KAMAILIO_DB"


def cluster_load(
    file: Annotated[str, typer.Argument(help="Cluster JSON (nodes, partitions), or - for stdin")],
) -> None:
    """Replace the cluster's nodes and partitions (all or nothing)."""
    from minsheng.hotline.service import cluster as cluster_service

    try:
        data = json.loads(read_input(file))
    except ValueError as exc:
        raise InvalidInput(f"the cluster file is not JSON: {exc}", field="file") from None
    with cli_session() as session:
        echo_json(cluster_service.load_cluster(session, data, actor=audit.cli_actor()))


def kamailio_config(
    out: Annotated[Path, typer.Option(help="Directory for kamailio.cfg and dispatcher.list")],
    seats: Annotated[Path, typer.Option(help="Seats JSON (digest HA1s for Kamailio's registrar)")],
    listen: Annotated[str, typer.Option(help="Kamailio's UDP host:port")] = "127.0.0.1:5060",
    kamailio_db: Annotated[
        str,
        typer.Option(envvar=KAMAILIO_DB_ENV, help="SQLAlchemy URL of Kamailio's PostgreSQL db"),
    ] = "",
    children: Annotated[int, typer.Option(help="Kamailio UDP worker processes")] = 2,
) -> None:
    """Generate kamailio.cfg + dispatcher.list from the cluster and the directory, and fill
    Kamailio's tables (schema, partition map, digest credentials) in its database."""
    from minsheng.core import regions
    from minsheng.hotline import service
    from minsheng.hotline.service import cluster as cluster_service
    from minsheng.hotline.sip import kamailio
    from minsheng.hotline.sip import seats as seats_mod
    from minsheng.hotline.sip.control import Credentials
    from minsheng.hotline.sip.stack import ListenAddress

    settings = get_settings()
    if not kamailio_db:
        raise InvalidInput(f"--kamailio-db (or {KAMAILIO_DB_ENV}) is required", field="kamailio_db")
    try:
        at = ListenAddress.parse(listen)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="listen") from None
    with cli_session() as session:
        info = cluster_service.cluster_info(session)
        directory = service.directory_snapshot(session)
    if not info.partitions:
        raise InvalidInput(
            "no cluster: run `minsheng hotline sip cluster-load` first", field="cluster"
        )
    book = seats_mod.load_file(seats, {c.id for c in directory.counsellors})
    realm = settings.hotline_sip_realm
    credentials: dict[str, str] = {}
    for seat in book.by_counsellor.values():
        cred = seat.credentials
        if cred is None:
            continue
        ha1 = cred.ha1 or Credentials.ha1_of(seat.sip_user, realm, cred.password or "")
        credentials[seat.sip_user] = ha1
    rows = kamailio.partition_map(info, regions.table())
    legacy = kamailio.legacy_map(directory, info)
    version = kamailio.map_version(rows, legacy)
    out.mkdir(parents=True, exist_ok=True)
    dispatcher = out / "dispatcher.list"
    dispatcher.write_text(kamailio.dispatcher_list(info), encoding="utf-8")
    options = kamailio.KamailioOptions(
        listen_host=at.host,
        listen_port=at.port,
        db_url=kamailio.kamailio_db_url(kamailio_db),
        dispatcher_file=str(dispatcher.resolve()),
        ctl_socket=str((out / "kamailio_ctl").resolve()),
        children=children,
        realm=realm,
        origin_header=settings.hotline_sip_origin_header,
    )
    cfg = out / "kamailio.cfg"
    cfg.write_text(kamailio.render_cfg(info, legacy, version, options), encoding="utf-8")
    counts = kamailio.prepare_database(kamailio_db, rows, credentials)
    echo_json(
        {
            "kamailio_cfg": str(cfg),
            "dispatcher_list": str(dispatcher),
            "map_version": version,
            "legacy_numbers": len(legacy),
            **counts,
        }
    )


def _node_request(
    control: str, method: str, path: str, body: dict[str, Any] | None, actor: str
) -> dict[str, Any]:
    from minsheng.hotline.sip.nodestate import FORWARD_HEADER, sign_forward

    data = json.dumps(body).encode() if body is not None else b""
    signature = sign_forward(get_settings().secret_key, actor, method, path, data, time.time())
    request = urllib.request.Request(
        f"http://{control}{path}",
        data=data if body is not None else None,
        method=method,
        headers={FORWARD_HEADER: signature, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 (http to our node)
        result: dict[str, Any] = json.loads(resp.read())
        return result


def status() -> None:
    """Every node: alive, draining, active partitions, counters, waiting calls (published)."""
    from minsheng.hotline.service import cluster as cluster_service

    now = datetime.now(UTC)
    with cli_session() as session:
        nodes = [cluster_service.node_dict(n, now) for n in cluster_service.list_nodes(session)]
        calls = [cluster_service.live_call_dict(c) for c in cluster_service.live_calls(session)]
    for node in nodes:
        node["live_calls"] = [c for c in calls if c["node"] == node["id"]]
    echo_json({"nodes": nodes})


def drain(
    node: Annotated[str, typer.Argument(help="Node id")],
    undo: Annotated[bool, typer.Option("--undo", help="Serve new calls again")] = False,
) -> None:
    """Drain a node for an upgrade: it answers Kamailio's probes 503 (no new call reaches it)
    and finishes the calls it has. ``--undo`` brings it back."""
    from minsheng.hotline.service import cluster as cluster_service

    actor = audit.cli_actor()
    with cli_session() as session:
        n = cluster_service.set_draining(session, node, not undo, actor=actor)
        control = n.control_address
    result: dict[str, Any] = {"node": node, "draining": not undo}
    if control:
        try:
            result["node_answer"] = _node_request(
                control, "POST", "/drain", {"drain": not undo}, actor
            )
        except (OSError, urllib.error.URLError) as exc:
            # the node picks the flag up from the database within a second anyway
            result["node_answer"] = f"not reached ({exc}); it reads the flag within 1 s"
    echo_json(result)


def register(app: typer.Typer) -> None:
    app.command("cluster-load")(cluster_load)
    app.command("kamailio-config")(kamailio_config)
    app.command("status")(status)
    app.command("drain")(drain)
