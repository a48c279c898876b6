"""``minsheng hotline roster …`` and ``minsheng hotline report …`` and the register commands
under ``minsheng hotline counsellor``: the workforce (issue 19). Each command calls the same
service function as the API."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from minsheng.core import audit, timeutil
from minsheng.core.cli_support import cli_session, echo_json, parse_model
from minsheng.core.config import get_settings
from minsheng.core.timeutil import BEIJING
from minsheng.hotline import service
from minsheng.hotline.errors import InvalidRoster
from minsheng.hotline.rules import roster as roster_rules
from minsheng.hotline.schemas import CounsellorUpdate, ShiftCreate

roster_app = typer.Typer(
    help="Rosters (排班): generate, add by hand, list, staffing.", no_args_is_help=True
)
report_app = typer.Typer(help="Reports to the health commission.", no_args_is_help=True)


def _date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRoster(f"{text!r} is not an ISO date", field=field) from None


def _moment(text: str | None, field: str) -> datetime | None:
    if text is None:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRoster(f"{text!r} is not an ISO date-time", field=field) from None
    return t if t.tzinfo else t.replace(tzinfo=BEIJING)


def register_commands(counsellor_app: typer.Typer) -> None:
    """Add ``register`` and ``show`` to the ``counsellor`` group."""

    @counsellor_app.command("register")
    def counsellor_register(
        counsellor_id: Annotated[str, typer.Argument()],
        qualification_kind: Annotated[
            str | None,
            typer.Option(help="psychotherapist|counsellor|psychiatrist|social_worker|volunteer"),
        ] = None,
        certificate_no: Annotated[str | None, typer.Option()] = None,
        certificate_date: Annotated[str | None, typer.Option(help="ISO date")] = None,
        training_hours: Annotated[float | None, typer.Option(help="岗前培训小时")] = None,
        supervision_hours: Annotated[float | None, typer.Option(help="每月督导小时")] = None,
        dialect: Annotated[list[str] | None, typer.Option(help="粤语, 闽南语 …")] = None,
        active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
        weekly_hours_max: Annotated[float | None, typer.Option()] = None,
        availability: Annotated[
            str | None, typer.Option(help='JSON, e.g. {"mon": ["08:00-20:00"]}')
        ] = None,
    ) -> None:
        """Set a counsellor's register entry (only the options given change)."""
        raw: dict[str, Any] = {
            "qualification_kind": qualification_kind,
            "certificate_no": certificate_no,
            "certificate_date": certificate_date,
            "training_hours": training_hours,
            "supervision_hours_month": supervision_hours,
            "dialects": dialect,
            "active": active,
            "weekly_hours_max": weekly_hours_max,
        }
        if availability is not None:
            try:
                raw["availability"] = json.loads(availability)
            except json.JSONDecodeError:
                raise InvalidRoster("availability is not JSON", field="availability") from None
        data = parse_model(CounsellorUpdate, {k: v for k, v in raw.items() if v is not None})
        with cli_session() as session:
            c = service.update_counsellor(session, counsellor_id, data, actor=audit.cli_actor())
            echo_json(service.register_dict(c, on=timeutil.today()))

    @counsellor_app.command("show")
    def counsellor_show(
        counsellor_id: Annotated[str, typer.Argument()],
        on: Annotated[str | None, typer.Option(help="Eligibility on this day (ISO)")] = None,
    ) -> None:
        """A counsellor's register entry and whether they may be rostered."""
        day = _date(on, "on") or timeutil.today()
        with cli_session() as session:
            echo_json(service.register_dict(service.get_counsellor(session, counsellor_id), on=day))


@roster_app.command("generate")
def roster_generate(
    hotline: Annotated[str, typer.Option(help="Hotline id")],
    from_: Annotated[str, typer.Option("--from", help="First Beijing day (ISO)")],
    days: Annotated[int, typer.Option(min=1, max=62)] = 7,
    need_from: Annotated[str, typer.Option(help="plan | declared")] = "plan",
    length: Annotated[
        list[float] | None, typer.Option(help="Allowed shift lengths in hours (repeat)")
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep generated shifts already there")
    ] = False,
) -> None:
    """Shifts covering the seat plan at the fewest staffed hours (OR-Tools CP-SAT)."""
    start = _date(from_, "from")
    assert start is not None
    policy = roster_rules.RosterPolicy(lengths_h=tuple(length) if length else (4.0, 6.0, 8.5))
    with cli_session() as session:
        echo_json(
            service.generate_roster(
                session,
                hotline_id=hotline,
                start=start,
                days=days,
                need_from=need_from,
                policy=policy,
                replace=not keep,
                actor=audit.cli_actor(),
            )
        )


@roster_app.command("add")
def roster_add(
    hotline: Annotated[str, typer.Option()],
    counsellor: Annotated[str, typer.Option()],
    start: Annotated[str, typer.Option(help="ISO date-time (no zone = Beijing)")],
    end: Annotated[str, typer.Option(help="ISO date-time")],
    break_start: Annotated[str | None, typer.Option(help="ISO date-time")] = None,
    break_minutes: Annotated[int, typer.Option()] = 0,
) -> None:
    """A shift by hand (checked against the same rules as a generated roster)."""
    data = parse_model(
        ShiftCreate,
        {
            "hotline_id": hotline,
            "counsellor_id": counsellor,
            "start": start,
            "end": end,
            "break_start": break_start,
            "break_minutes": break_minutes,
        },
    )
    with cli_session() as session:
        echo_json(service.shift_dict(service.create_shift(session, data, actor=audit.cli_actor())))


@roster_app.command("list")
def roster_list(
    from_: Annotated[str, typer.Option("--from", help="First Beijing day (ISO)")],
    days: Annotated[int, typer.Option(min=1, max=62)] = 7,
    hotline: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Shifts overlapping the days."""
    start = _date(from_, "from")
    assert start is not None
    with cli_session() as session:
        shifts = service.list_shifts(
            session, start=start, end=start + timedelta(days=days), hotline_id=hotline
        )
        echo_json([service.shift_dict(s) for s in shifts])


@roster_app.command("delete")
def roster_delete(shift_id: Annotated[int, typer.Argument()]) -> None:
    """Remove one shift."""
    with cli_session() as session:
        service.delete_shift(session, shift_id, actor=audit.cli_actor())
    typer.echo(f"shift {shift_id} deleted")


@roster_app.command("staffing")
def roster_staffing(
    from_: Annotated[str, typer.Option("--from", help="First Beijing day (ISO)")],
    days: Annotated[int, typer.Option(min=1, max=62)] = 7,
    hotline: Annotated[str | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Compliance from the facts: ≥ 2 seats actually signed in for ≥ 18 h, per line and day."""
    start = _date(from_, "from")
    assert start is not None
    with cli_session() as session:
        report = service.staffing(
            session, start=start, days=days, hotline_id=hotline, now=timeutil.now()
        )
    if as_json:
        echo_json(report)
        return
    for line in report["hotlines"]:
        typer.echo(
            f"{line['hotline_id']}: {line['days_compliant']}/{len(line['days'])} 天达标"
            f"（申报坐席 {line['declared_seats']}）"
        )
        for d in line["days"]:
            if d["compliant"]:
                continue
            gaps = "、".join(f"{g['from']}–{g['to']}({g['seats']}席)" for g in d["gaps_actual"])
            typer.echo(
                f"  {d['day']} 实际≥2席 {d['hours_at_minimum_actual']:g} 小时"
                f"（排班 {d['hours_at_minimum_rostered']:g} 小时）缺口：{gaps or '无'}"
            )


@report_app.command("monthly")
def report_monthly(
    month: Annotated[str, typer.Option(help="2025-06")],
    xlsx: Annotated[Path | None, typer.Option(help="Write the Excel workbook here")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write the PDF here")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Report moment (ISO; default now): for overdue follow-ups")
    ] = None,
) -> None:
    """The monthly report per line and per province; JSON on stdout unless files are asked."""
    moment = _moment(as_of, "as_of") or timeutil.now()
    with cli_session() as session:
        report = service.monthly_report(
            session, get_settings(), month=service.parse_month(month), as_of=moment
        )
    if xlsx is None and pdf is None:
        echo_json(report)
        return
    if xlsx is not None:
        xlsx.write_bytes(service.monthly_xlsx(report))
        typer.echo(f"Excel written to {xlsx}")
    if pdf is not None:
        pdf.write_bytes(service.monthly_pdf(report))
        typer.echo(f"PDF written to {pdf}")
