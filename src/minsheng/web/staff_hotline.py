"""Staff pages of the 12356 hotline (role ``hotline``): the live board of counsellor states and
the newest calls (refreshed in place by htmx polling), the KPIs of a period with SVG charts (answer
rate, average speed of answer and abandonment by hour; calls by day), the compliance report and
the seat recommendations of the planner, and a simulator run's comparison of its variants.

Every number comes from ``hotline.service``, the same functions behind ``GET /api/hotline/kpi``,
``/compliance`` and ``/planning/plan`` and the ``hotline simulate`` command.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import escape

from minsheng.core import i18n, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.i18n import N_
from minsheng.core.scope import Scope
from minsheng.core.timeutil import BEIJING
from minsheng.core.validation import parse_date
from minsheng.core.web import AppSettings, DbSession, require_role
from minsheng.hotline import service as hotline_service
from minsheng.hotline.service import cluster as cluster_service
from minsheng.web import listing as ls
from minsheng.web import live_board, messages
from minsheng.web import render as r
from minsheng.web import staff_hotline_lists as hotline_lists
from minsheng.web.charts import Series, bar_chart, percent, seconds
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/hotline")
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]

STATES = ("available", "ringing", "talking", "wrapup", "break", "offline")
# Chinese source text, marked for the catalogue and translated per request (i18n.localise_labels)
STATE_LABEL = {
    "available": N_("空闲"),
    "ringing": N_("振铃"),
    "talking": N_("通话中"),
    "wrapup": N_("话后整理"),
    "break": N_("小休"),
    "offline": N_("离线"),
}
OUTCOME_LABEL = {"answered": N_("已接听"), "abandoned": N_("来电放弃"), "no_answer": N_("无人接听")}
CALL_STATE_LABEL = {"waiting": N_("排队中"), "ringing": N_("振铃"), "talking": N_("通话中")}
SUPERVISION_LABEL = {"listen": N_("监听"), "whisper": N_("耳语"), "join": N_("强插")}
HANDOVER_LABEL = {
    "ringing": N_("正在呼叫{n}"),
    "consulting": N_("正与{n}沟通（来电人保持）"),
    "connected": N_("已转接{n}"),
    "returned": N_("未转{n}，已回到来电人"),
    "failed": N_("转{n}未接通"),
}


def media_label(note: str | None) -> str:
    """The media state a SIP node noted for a call (sip/b2bua.py ``media_note``), in the
    reader's language (Chinese unless English was asked for)."""
    words = []
    for part in (note or "").split():
        kind, _, rest = part.partition(":")
        if kind == "anchored":
            words.append(i18n.gettext("语音经媒体中继"))
        elif kind == "recorded":
            words.append(i18n.gettext("录音"))
        elif kind == "supervised":
            modes = i18n.gettext("、").join(
                i18n.gettext(SUPERVISION_LABEL[m]) if m in SUPERVISION_LABEL else m
                for m in rest.split(",")
            )
            words.append(i18n.localise("督导（{modes}）", modes=modes))
        elif kind == "handover":
            number, _, status = rest.partition(":")
            words.append(i18n.localise(HANDOVER_LABEL.get(status, N_("转{n}")), n=number))
    return i18n.gettext("；").join(words)


LIVE_REFRESH_S = 5
NO_CALLS = N_("该时段无来电")
SIM_TIMEOUT_S = 240  # no progress for this long: the page gives up (the thread is a daemon)


# Live board -----------------------------------------------------------------------------------


def _live_context(
    session: DbSession,
    hotline: str,
    province: str = "",
    *,
    scope: Scope,
    seen: str | None = None,
) -> dict[str, Any]:
    now = timeutil.now()
    names = {h.id: h.name for h in hotline_service.list_hotlines(session)}
    in_scope = {hid for hid, _ in hotline_service.hotline_choices(session, scope=scope)}
    # calls waiting (or ringing, talking) on every node of the SIP cluster, crisis calls first
    waiting = [
        cluster_service.live_call_dict(c)
        for c in cluster_service.live_calls(
            session, province_code=province or None, hotline_id=hotline or None, scope=scope
        )
    ]
    for w in waiting:
        w["media_cn"] = media_label(w.get("media"))
        w["key"] = live_board.call_key(w["sip_call_id"])
    announce = live_board.changes(
        seen,
        waiting,
        place=lambda c: r.province_name(c.get("province_code")) or i18n.gettext("未知省份"),
        state_label=i18n.localise_labels(CALL_STATE_LABEL),
    )
    by_line: dict[str, Counter[str]] = defaultdict(Counter)
    counsellors = []
    for c in hotline_service.list_counsellors(session, hotline_id=hotline or None, scope=scope):
        by_line[c.hotline_id][c.state] += 1
        if hotline:
            counsellors.append(hotline_service.counsellor_dict(c))
    board = [
        {"id": hid, "name": names.get(hid, hid), "states": counts, "total": sum(counts.values())}
        for hid, counts in sorted(by_line.items())
    ]
    calls = [
        hotline_service.call_dict(c, attempts=False)
        for c in hotline_service.list_calls(
            session, hotline_id=hotline or None, limit=15, scope=scope
        )
    ]
    for row in calls:
        row["media_cn"] = media_label(row.get("media"))
    return {
        "board": board,
        "waiting": waiting,
        "seen": live_board.seen_of(waiting),
        "announce": announce,
        "province": province,
        "call_state_label": i18n.localise_labels(CALL_STATE_LABEL),
        "supervision_label": i18n.localise_labels(SUPERVISION_LABEL),
        "counsellors": counsellors,
        "calls": calls,
        "hotline": hotline,
        "hotline_name": names.get(hotline, ""),
        "hotline_names": names,
        "hotlines": sorted(names.items()),
        "states": STATES,
        "state_label": i18n.localise_labels(STATE_LABEL),
        "outcome_label": i18n.localise_labels(OUTCOME_LABEL),
        "refresh_s": LIVE_REFRESH_S,
        "updated": now.strftime("%H:%M:%S"),
        # only the lines of the user's scope (the roster query itself is not scoped)
        "absent": [
            a
            for a in hotline_service.rostered_not_signed_in(
                session, at=now, hotline_id=hotline or None
            )
            if a["hotline_id"] in in_scope
        ],
    }


@router.get("", response_class=HTMLResponse)
def live(
    request: Request, session: DbSession, user: Staff, hotline: str = "", province: str = ""
) -> HTMLResponse:
    ctx = _live_context(session, hotline.strip(), province.strip(), scope=user.scope)
    return r.render(
        request, "staff/hotline/live.html", {"title": i18n.gettext("热线实时看板"), **ctx}
    )


@router.get("/live", response_class=HTMLResponse)
def live_fragment(
    request: Request,
    session: DbSession,
    user: Staff,
    hotline: str = "",
    province: str = "",
    seen: Annotated[str | None, Query(max_length=20_000)] = None,
) -> HTMLResponse:
    """The board as htmx polls it every few seconds: the browser swaps in only its tables and
    the sentence saying what changed since ``seen`` (what the browser showed before)."""
    ctx = _live_context(session, hotline.strip(), province.strip(), scope=user.scope, seen=seen)
    return r.render(request, "staff/hotline/_live.html", ctx)


@router.post("/counsellors/{counsellor_id}/state", response_class=HTMLResponse)
def set_state(
    request: Request,
    counsellor_id: str,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
    hotline: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Sign a counsellor in, out or on break (htmx posts this and swaps the board)."""
    r.check_csrf(request, csrf_token)
    error = ""
    try:
        hotline_service.set_counsellor_state(
            session, counsellor_id, state, actor=user.actor, scope=user.scope
        )
        # in a SIP cluster, the node serving the seat's partition applies the change
        cluster_service.forward_seat_state(
            session, counsellor_id, state, secret=settings.secret_key, actor=user.actor
        )
    except DomainError as exc:
        r.rollback_on_error(session)
        error = r.error_text(exc)
    ctx = _live_context(session, hotline.strip(), scope=user.scope) | {"error": error}
    return r.render(request, "staff/hotline/_live.html", ctx, status_code=422 if error else 200)


@router.post("/calls/{sip_call_id}/crisis", response_class=HTMLResponse)
def mark_crisis(
    request: Request,
    sip_call_id: str,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    hotline: Annotated[str, Form()] = "",
    province: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Mark a waiting call as crisis: the SIP node holding it puts it ahead of every other."""
    r.check_csrf(request, csrf_token)
    error = ""
    try:
        cluster_service.forward_crisis(
            session, sip_call_id, secret=settings.secret_key, actor=user.actor, scope=user.scope
        )
    except DomainError as exc:
        r.rollback_on_error(session)
        error = r.error_text(exc)
    ctx = _live_context(session, hotline.strip(), province.strip(), scope=user.scope) | {
        "error": error
    }
    return r.render(request, "staff/hotline/_live.html", ctx, status_code=422 if error else 200)


@router.post("/calls/{sip_call_id}/supervise", response_class=HTMLResponse)
def supervise(
    request: Request,
    sip_call_id: str,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "listen",
    supervisor: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    hotline: Annotated[str, Form()] = "",
    province: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Listen to, whisper in or join a call in conversation: the supervisor's phone is rung by
    the SIP node holding the call, which audits it with the reason (sip/supervision.py)."""
    r.check_csrf(request, csrf_token)
    error = ""
    notice = ""
    try:
        cluster_service.forward_supervise(
            session,
            sip_call_id,
            mode=mode,
            supervisor=supervisor,
            reason=reason,
            secret=settings.secret_key,
            actor=user.actor,
            scope=user.scope,
        )
        notice = i18n.localise(
            "正在呼叫督导 {supervisor} 的话机（{mode}）",
            supervisor=supervisor,
            mode=i18n.gettext(SUPERVISION_LABEL[mode]) if mode in SUPERVISION_LABEL else mode,
        )
    except DomainError as exc:
        r.rollback_on_error(session)
        error = r.error_text(exc)
    ctx = _live_context(session, hotline.strip(), province.strip(), scope=user.scope) | {
        "error": error,
        "notice": notice,
    }
    return r.render(request, "staff/hotline/_live.html", ctx, status_code=422 if error else 200)


# KPIs -------------------------------------------------------------------------------------------


def _period(start: str, end: str, session: DbSession) -> tuple[date, date]:
    """The period's first and last day (inclusive); default: the last 7 days with records."""
    if not start and not end:
        last = hotline_service.default_as_of(session) - timedelta(days=1)
        return last - timedelta(days=6), last
    first = parse_date(start, field="from")
    last = parse_date(end, field="to")
    if last < first:
        raise InvalidInput("the period ends before it starts", field="to")
    if (last - first).days > 366:
        raise InvalidInput("at most one year at a time", field="to")
    return first, last


@router.get("/kpi", response_class=HTMLResponse)
def kpi_page(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    """KPIs of the days ``from``..``to`` (inclusive, Beijing time) with their charts."""
    start = request.query_params.get("from", "").strip()
    end = request.query_params.get("to", "").strip()
    form = r.Form(values={"from": start, "to": end}, fields=("from", "to"))
    settings = request.app.state.settings
    try:
        first, last = _period(start, end, session)
    except DomainError as exc:
        form.add_domain(exc)
        return r.render(
            request,
            "staff/hotline/kpi.html",
            {"title": i18n.gettext("热线 KPI"), "form": form, "k": None},
            status_code=exc.status_code,
        )
    form.values = {"from": first.isoformat(), "to": last.isoformat()}
    lo = datetime.combine(first, time(0), tzinfo=BEIJING)
    hi = datetime.combine(last + timedelta(days=1), time(0), tzinfo=BEIJING)
    by_hour = hotline_service.kpis(session, settings, start=lo, end=hi, by="hour", scope=user.scope)
    by_day = hotline_service.kpis(session, settings, start=lo, end=hi, by="day", scope=user.scope)
    hours = {g["key"]: g for g in by_hour["groups"]}
    labels = [f"{h:02d}" for h in range(24)]
    rows = [hours.get(h) for h in labels]
    charts = {
        "answer_rate": bar_chart(
            labels,
            [
                Series(
                    i18n.gettext("接听率"),
                    [g["answer_rate"] if g else None for g in rows],
                    "#1f6feb",
                )
            ],
            title=i18n.gettext("各小时接听率"),
            description=i18n.gettext("按来电时刻（北京时间）统计的接听率"),
            y_max=1.0,
            fmt=percent,
            empty=i18n.gettext(NO_CALLS),
        ),
        "asa": bar_chart(
            labels,
            [
                Series(
                    i18n.gettext("平均应答时间"),
                    [g["asa_s"] if g else None for g in rows],
                    "#8c5ae8",
                )
            ],
            title=i18n.gettext("各小时平均应答时间（秒）"),
            description=i18n.gettext("已接听来电的平均等待秒数，按来电时刻统计"),
            fmt=seconds,
            empty=i18n.gettext(NO_CALLS),
        ),
        "abandon": bar_chart(
            labels,
            [
                Series(
                    i18n.gettext("放弃率"),
                    [g["abandonment_rate"] if g else None for g in rows],
                    "#d4380d",
                )
            ],
            title=i18n.gettext("各小时来电放弃率"),
            description=i18n.gettext("来电者在接听前挂断的比例，按来电时刻统计"),
            fmt=percent,
            empty=i18n.gettext(NO_CALLS),
        ),
        "days": bar_chart(
            [g["key"][5:] for g in by_day["groups"]],
            [
                Series(i18n.gettext("来电"), [g["offered"] for g in by_day["groups"]], "#8c959f"),
                Series(i18n.gettext("接听"), [g["answered"] for g in by_day["groups"]], "#389e0d"),
            ],
            title=i18n.gettext("每日来电与接听"),
            description=i18n.gettext("每日来电数与接听数"),
            integer=True,
            empty=i18n.gettext(NO_CALLS),
        ),
    }
    # The table by hotline, with the lines' names: searchable, paged, exported (issue 18 item 6).
    lst = hotline_lists.kpi_listing(request, first.isoformat(), last.isoformat())
    status = ls.run(lst, hotline_lists.kpi_loader(request, session, user, lst))
    return r.render(
        request,
        "staff/hotline/kpi.html",
        {
            "title": i18n.gettext("热线 KPI"),
            "form": form,
            "k": by_hour,
            "total": by_hour["total"],
            "hours": rows,
            "labels": labels,
            "charts": charts,
            "days": by_day["groups"],
            "lst": lst,
        },
        status_code=status,
    )


# Compliance and seat planning -----------------------------------------------------------------


@router.get("/compliance", response_class=HTMLResponse)
def compliance(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    report = hotline_service.compliance(session)
    names = {h.id: h.name for h in hotline_service.list_hotlines(session)}
    served = Counter(c["served_by"] for c in report["cities"])
    chart = bar_chart(
        [i18n.gettext("本市热线"), i18n.gettext("仅省级热线"), i18n.gettext("无热线")],
        [
            Series(
                i18n.gettext("城市数"),
                [served.get("city", 0), served.get("province", 0), served.get("none", 0)],
            )
        ],
        title=i18n.gettext("地级城市的热线覆盖"),
        description=i18n.gettext("由本市热线、仅由本省热线或没有热线服务的地级城市数"),
        height=220,
    )
    return r.render(
        request,
        "staff/hotline/compliance.html",
        {
            "title": i18n.gettext("达标情况"),
            "report": report,
            "names": names,
            "failing": [h for h in report["hotlines"] if not h["ok"]],
            "uncovered": [c for c in report["cities"] if c["served_by"] != "city"],
            "chart": chart,
        },
    )


def chart_label(name: str, limit: int = 8) -> str:
    """A hotline's name short enough for a chart's axis (the table beside has the full name):
    北京市心理援助热线（示例） → 北京市."""
    short = name.replace("心理援助热线", "").replace("（示例）", "").strip() or name
    return short if len(short) <= limit else short[: limit - 1] + "…"


@router.get("/planning", response_class=HTMLResponse)
def seat_planning(
    request: Request, session: DbSession, user: Staff, hotline: str = "", short: str = ""
) -> HTMLResponse:
    """The planner's advice per hotline; ``short=1`` keeps only the lines short of seats."""
    result = hotline_service.plan(session, hotline_id=hotline.strip() or None, scope=user.scope)
    lines = sorted(result["hotlines"], key=lambda h: (h["enough"], h["hotline_id"]))
    only_short = short.strip() in ("1", "on", "true")
    shown = [h for h in lines if not h["enough"]] if only_short else lines
    short_lines = [h for h in lines if not h["enough"]][:30]
    chart = bar_chart(
        [chart_label(h["name"]) for h in short_lines],
        [
            Series(i18n.gettext("现有坐席"), [h["seats"] for h in short_lines], "#8c959f"),
            Series(
                i18n.gettext("高峰所需"), [h["peak_seats_needed"] for h in short_lines], "#d4380d"
            ),
        ],
        title=i18n.gettext("坐席不足的热线：现有与高峰所需"),
        description=i18n.gettext("每条坐席不足的热线现有坐席数与预测高峰时段所需坐席数"),
        integer=True,
    )
    return r.render(
        request,
        "staff/hotline/planning.html",
        {
            "title": i18n.gettext("坐席建议"),
            "plan": result,
            "lines": shown,
            "short": short_lines,
            "only_short": only_short,
            "chart": chart,
        },
    )


# Simulator comparison -----------------------------------------------------------------------------


PROGRESS_MARK = "<!--sim-progress-->"
RESULT_MARK = "<!--sim-result-->"


def _sim_result(run: hotline_service.SimulationRun) -> dict[str, Any]:
    """The comparison table and the chart of a finished run."""
    labels = [f"{h:02d}" for h in range(24)]
    series = []
    parsed = run.scenario
    for res in run.results:
        by_hour = {f"{int(g['hour']):02d}": g for g in res.kpis["by_hour"]}
        series.append(
            Series(res.name, [by_hour[h]["answer_rate"] if h in by_hour else None for h in labels])
        )
    chart = bar_chart(
        labels,
        series,
        title=i18n.localise("{name}：各方案各小时接听率", name=parsed.name),
        description=i18n.gettext("同一情景下各方案按小时的接听率"),
        y_max=1.0,
        fmt=percent,
        show_values=False,
    )
    return {
        "result": {
            "name": parsed.name,
            "seed": parsed.seed,
            "hours": parsed.duration_s / 3600,
            "rows": run.comparison_rows(),
        },
        "chart": chart,
    }


def _progress_line(variant: str, pct: int) -> str:
    label = escape(messages.variant_label(variant))
    progress = escape(i18n.localise("{label} 进度", label=label))
    said = escape(i18n.localise("方案“{label}”：{pct}%", label=label, pct=pct))
    return (
        f'<p><progress max="100" value="{pct}" aria-label="{progress}">{pct}%</progress> '
        f"{said}</p>\n"
    )


def _stream_run(prepared: hotline_service.PreparedRun, locale: str) -> Iterator[str]:
    """Run the simulation in a thread and say how far each variant has got (every 10 %), then
    the result. The page is streamed: the browser shows each line as it comes, CSS shows only
    the newest, and nothing but the page itself is needed (no job store, any worker). Each
    chunk is written in the request's ``locale`` (set around each chunk, never across a
    ``yield``: the chunks may be drawn in different worker threads)."""
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    shown: dict[str, int] = {}

    def progress(variant: str, done: float) -> None:
        step = int(done * 10)
        if shown.get(variant) != step:
            shown[variant] = step
            events.put(("progress", (variant, step * 10)))

    def work() -> None:
        try:
            events.put(("done", prepared.run(progress)))
        except Exception as exc:
            events.put(("failed", exc))

    threading.Thread(target=work, name="sim-page", daemon=True).start()
    while True:
        try:
            kind, value = events.get(timeout=SIM_TIMEOUT_S)
        except queue.Empty:
            kind, value = "failed", None
        if kind == "progress":
            with i18n.using(locale):
                line = _progress_line(*value)
            yield line
        elif kind == "done":
            with i18n.using(locale):
                done = escape(i18n.localise("仿真完成：{n} 个方案。", n=len(value.results)))
                page = r.ENV.get_template("staff/hotline/_sim_result.html").render(
                    _sim_result(value)
                )
            yield f'<p id="sim-done">{done}</p>\n'
            yield RESULT_MARK
            yield page
            return
        else:
            with i18n.using(locale):
                failed = escape(i18n.gettext("仿真未能完成，请稍后重试。"))
            yield f'<p class="alert error" role="alert">{failed}</p>\n'
            yield RESULT_MARK
            return


@router.get("/simulate", response_class=HTMLResponse, response_model=None)
def simulate(
    request: Request, session: DbSession, user: Staff, scenario: str = "", seed: str = ""
) -> Response:
    """Run a shipped scenario on the real routing rules and engine; compare its variants. The
    answer is streamed: progress per variant while it runs, then the comparison."""
    available = hotline_service.shipped_scenarios()
    form = r.Form(values={"scenario": scenario, "seed": seed}, fields=("scenario", "seed"))
    ctx: dict[str, Any] = {
        "title": i18n.gettext("仿真对比"),
        "form": form,
        "scenarios": sorted(available),
    }
    if not scenario:
        return r.render(request, "staff/hotline/simulate.html", ctx | {"result": None})
    try:
        if scenario not in available:
            raise InvalidInput(f"no shipped scenario {scenario!r}", field="scenario")
        if seed.strip() and not seed.strip().isdigit():
            raise InvalidInput("the seed is a whole number", field="seed")
        prepared = hotline_service.prepare_simulation(
            session, available[scenario], seed=int(seed) if seed.strip() else None
        )
    except DomainError as exc:
        form.add_domain(exc)
        return r.render(
            request,
            "staff/hotline/simulate.html",
            ctx | {"result": None},
            status_code=exc.status_code,
        )
    page = bytes(
        r.render(
            request,
            "staff/hotline/simulate.html",
            ctx | {"result": None, "streaming": True, "scenario_label": scenario},
        ).body
    ).decode()
    head, rest = page.split(PROGRESS_MARK, 1)
    locale = i18n.current_locale.get()
    between, tail = rest.split(RESULT_MARK, 1)

    def body() -> Iterator[str]:
        yield head
        for chunk in _stream_run(prepared, locale):
            if chunk == RESULT_MARK:
                yield between
            else:
                yield chunk
        yield tail

    return StreamingResponse(
        body(),
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
