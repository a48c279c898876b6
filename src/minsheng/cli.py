"""The ``minsheng`` command: serving, database, demo data, users, and each system's group."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from minsheng.certification.cli import app as certification_app
from minsheng.core import audit, auth, migrate, privacy
from minsheng.core.cli import app as core_app
from minsheng.core.cli_support import ErrorRenderingGroup, cli_session, echo_json
from minsheng.core.config import get_settings
from minsheng.core.db import describe_url
from minsheng.core.scope import parse_scope
from minsheng.enforcement.cli import app as enforcement_app
from minsheng.hotline.cli import app as hotline_app

app = typer.Typer(
    cls=ErrorRenderingGroup,
    help="民生 minsheng: the 12356 hotline, skill certificates and credit enforcement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users and their API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(core_app, name="core")
app.add_typer(hotline_app, name="hotline")
app.add_typer(certification_app, name="certs")
app.add_typer(enforcement_app, name="enforcement")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes (default MINSHENG_WORKERS, 1); with more than one, set "
            "MINSHENG_REDIS_URL so that rate limits are shared (docs/deployment.md)",
        ),
    ] = None,
    access_log: Annotated[
        bool | None,
        typer.Option(
            "--access-log/--no-access-log",
            help="A line per request (default MINSHENG_ACCESS_LOG, off: nginx keeps one)",
        ),
    ] = None,
) -> None:
    """Serve the API and web pages (migrate first with `minsheng db upgrade`).

    Refuses to start while demo rule data would decide cases, unless MINSHENG_ALLOW_DEMO_RULES=1
    (`make run` sets it); see `minsheng rule-data`."""
    import uvicorn

    from minsheng.app import check_rule_data, create_app
    from minsheng.core.ruledata import DemoRulesRefused

    settings = get_settings()
    try:
        demo = check_rule_data(settings)
    except DemoRulesRefused as exc:
        typer.echo(f"refusing to serve: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    for r in demo:
        typer.echo(f"warning: demo rule data in use — {r.system}: {r.name} {r.version}", err=True)
    workers = workers or settings.workers
    if workers > 1 and not settings.redis_url and settings.cert_verify_rate_store != "database":
        typer.echo(
            f"warning: {workers} workers without MINSHENG_REDIS_URL: each counts rate limits "
            f"alone, so every limit is {workers} times the setting",
            err=True,
        )
    # uvicorn's access and error logs go through the redacting filter (as JSON lines when
    # MINSHENG_LOG_FORMAT=json); X-Forwarded-For and X-Forwarded-Proto are believed only from
    # the configured proxies (none by default). uvloop and httptools when installed (the
    # default install has them). Several workers import the app by name (each builds its own).
    options = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": "info",
        "log_config": privacy.uvicorn_log_config(json_lines=settings.log_format == "json"),
        "access_log": settings.access_log if access_log is None else access_log,
        "proxy_headers": bool(settings.trusted_proxies.strip()),
        "forwarded_allow_ips": settings.trusted_proxies.strip() or None,
        "server_header": False,
    }
    if workers > 1:
        metrics_dir = _shared_metrics_dir(settings.var_dir)
        # uvicorn kills a worker that does not answer its health check in time (5 s by default)
        # and starts another; a worker answers only once it has imported the app, which took
        # over 30 s on a loaded machine, so the workers were killed again and again.
        options["timeout_worker_healthcheck"] = 120
        try:
            uvicorn.run("minsheng.app:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
        finally:
            if metrics_dir is not None:
                shutil.rmtree(metrics_dir, ignore_errors=True)
    else:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]


def _shared_metrics_dir(var_dir: Path) -> Path | None:
    """Workers of one server write their metrics to one directory that /metrics sums
    (prometheus-client's multiprocess mode); a new one per server, removed when it stops (the
    counters start again with the server). None when the environment names one already."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    directory = var_dir / f"metrics-{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


@app.command("rule-data")
def rule_data(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Which rule data is official and which is demo, system by system."""
    from minsheng.app import rule_data_status

    items = rule_data_status()
    if as_json:
        echo_json([r.to_dict() for r in items])
        return
    for r in items:
        typer.echo(f"{r.label}  {r.system}: {r.name} [{r.version}] — {r.source}")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Apply migrations (default: all heads) to the configured database, and say which one."""
    settings = get_settings()
    migrate.upgrade(settings, revision)
    typer.echo(f"database {describe_url(settings.effective_database_url)} at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "base") -> None:
    """Revert migrations (default: everything)."""
    settings = get_settings()
    migrate.downgrade(settings, revision)
    typer.echo(f"database {describe_url(settings.effective_database_url)} at {revision}")


@demo_app.command("load")
def demo_load(
    systems: Annotated[
        list[str] | None,
        typer.Argument(help="hotline, certification, enforcement (default: all three)"),
    ] = None,
) -> None:
    """Load demo data (safe to run again: data already there is left alone)."""
    from minsheng.demo import load_all

    with cli_session() as session:
        echo_json(load_all(session, systems or ()))


@demo_app.command("users")
def demo_users() -> None:
    """Create the demo staff (national, Guangdong, Shenzhen, Hainan, 琼山综执 …) with scopes that
    fit the demo data; prints each new user's token once (existing users are left alone)."""
    from minsheng.demo import create_demo_users

    with cli_session() as session:
        echo_json(create_demo_users(session))


REGION_HELP = "Province or city (code or name, e.g. 440300 or 广东省深圳市); omit for national"
BUREAU_HELP = "Enforcement bureau abbreviation (e.g. 琼山综执); omit for any bureau"


def _lifetime() -> timedelta:
    return timedelta(days=get_settings().token_lifetime_days)


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option(help="admin, hotline, certification or enforcement")],
    region: Annotated[str | None, typer.Option(help=REGION_HELP)] = None,
    bureau: Annotated[str | None, typer.Option(help=BUREAU_HELP)] = None,
) -> None:
    """Create a staff user and print its API token (shown only this once)."""
    with cli_session() as session:
        scope = parse_scope(region, bureau)
        user, token = auth.create_user(
            session,
            name=name,
            role=role,
            actor=audit.cli_actor(),
            lifetime=_lifetime(),
            scope=scope,
        )
        typer.echo(f"user {user.name} ({user.role}, {scope.label()}) created; token (shown once):")
        typer.echo(token)


@users_app.command("scope")
def users_scope(
    name: Annotated[str, typer.Argument(help="Login name")],
    region: Annotated[str | None, typer.Option(help=REGION_HELP)] = None,
    bureau: Annotated[str | None, typer.Option(help=BUREAU_HELP)] = None,
) -> None:
    """Set where a user may act (both options are replaced; omit both for national)."""
    with cli_session() as session:
        scope = parse_scope(region, bureau)
        user = auth.set_scope(session, name=name, scope=scope, actor=audit.cli_actor())
        typer.echo(f"user {user.name}: {scope.label()}")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Every staff user: role, whether active, when the token expires."""
    with cli_session() as session:
        rows = [
            {
                "name": u.name,
                "role": u.role,
                "region": u.region_code,
                "bureau": u.bureau,
                "active": u.active,
                "token_expires_at": u.token_expires_at.isoformat() if u.token_expires_at else None,
                "created_at": u.created_at.isoformat(),
            }
            for u in auth.list_users(session)
        ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        state = "active" if row["active"] else "disabled"
        expires = row["token_expires_at"]
        place = str(row["region"] or "national")
        if row["bureau"]:
            place += f"/{row['bureau']}"
        typer.echo(f"{row['name']}\t{row['role']}\t{place}\t{state}\ttoken expires {expires}")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Disable a user: the token and every web session are refused from the next request."""
    with cli_session() as session:
        user = auth.set_active(session, name=name, active=False, actor=audit.cli_actor())
        typer.echo(f"user {user.name} disabled")


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Enable a disabled user again (their token, if not expired, works again)."""
    with cli_session() as session:
        user = auth.set_active(session, name=name, active=True, actor=audit.cli_actor())
        typer.echo(f"user {user.name} enabled")


@users_app.command("rotate")
def users_rotate(name: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Give a user a new token (printed once); the old token and web sessions stop at once."""
    with cli_session() as session:
        user, token = auth.rotate_token(
            session, name=name, actor=audit.cli_actor(), lifetime=_lifetime()
        )
        expires = user.token_expires_at.isoformat() if user.token_expires_at else "never"
        typer.echo(f"user {user.name}: new token (shown once), valid until {expires}:")
        typer.echo(token)


def main() -> None:
    privacy.install_log_redaction()
    app()
