"""The browser seat (role ``hotline``, issue 16): a counsellor answers 12356 in the staff page.

The page registers the signed-in staff user's counsellor with Kamailio over SIP-over-WebSocket
(JsSIP, vendored under ``static/vendor/``) using a short-lived credential it asks for here
(``POST /staff/hotline/seat/credentials``, ``rules.seat``); it never holds a password. Calls ring
in the page with an audible and visible alert and a polite live-region announcement; answering,
muting, holding and hanging up work from the keyboard. docs/hotline-seat.md.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from minsheng.core import i18n, timeutil
from minsheng.core.auth import Principal, Role
from minsheng.core.errors import DomainError, InvalidInput
from minsheng.core.guard import CSP
from minsheng.core.i18n import N_
from minsheng.core.web import AppSettings, DbSession, ReadSession, require_role
from minsheng.hotline import service as hotline_service
from minsheng.hotline.schemas import AssessmentCreate
from minsheng.hotline.service import cluster as cluster_service
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute, prefix="/staff/hotline/seat")
# The page's own calls (fetch): refusals come back as JSON {"error", "detail", "field"}, not pages.
calls = APIRouter()
Staff = Annotated[Principal, Depends(require_role(Role.HOTLINE))]


RISK_LABEL = {
    "high": N_("高风险"),
    "medium": N_("中风险"),
    "low": N_("低风险"),
    "none": N_("未发现风险"),
}
STATE_LABEL = {"available": N_("签入（等待来电）"), "break": N_("小休"), "offline": N_("签出")}
# What static/seat.js shows and says (Chinese source text, "{name}" for a value): the page
# gives each in the reader's language (#seat-words), the script looks its Chinese up there.
SEAT_WORDS = (
    N_("{s} 秒"),
    N_("{m} 分 {s} 秒"),
    N_("是（危机来电，请优先处置）"),
    N_("否"),
    N_("未知"),
    N_("危机来电振铃"),
    N_("来电振铃"),
    N_("振铃中"),
    N_("危机来电，号码 {caller}，已等待 {waited}。按回车接听。"),
    N_("新来电，号码 {caller}，已等待 {waited}。按回车接听。"),
    N_("通话中"),
    N_("上一通来电已转接至 {to}（本坐席通话结束）。"),
    N_("上一通来电已结束（本坐席挂断）。"),
    N_("上一通来电已结束（对方挂断）。"),
    N_("小休"),
    N_("已签入，等待来电"),
    N_("通话已结束，请填写通话小结与危机评估。"),
    N_("通话已结束。"),
    N_("正在连接…"),
    N_("未签入"),
    N_("签入失败：{why}"),
    N_("未知原因"),
    N_("坐席签入失败。"),
    N_("连接中断，正在重连…"),
    N_("凭据更新失败：{why}"),
    N_("已签出"),
    N_("已签入。"),
    N_("已小休。"),
    N_("操作失败：{why}"),
    N_("已签出。"),
    N_("已记录：{risk}（规则 {rule}，{version}），已生成回访任务。"),
    N_("已记录：{risk}（规则 {rule}，{version}）。"),
    N_("提交失败：{why}"),
    N_("转接失败：{why}"),
    N_("转接失败。"),
    N_("确认将来电转接至 {to}（先与对方沟通，来电者听等待提示）？"),
    N_("确认将来电转接至 {to}（直接转接，对方接听后本坐席通话结束）？"),
    N_("正在呼叫 {to}…"),
    N_("正在呼叫 {to}：接通后可与对方沟通，来电者在听等待提示；再选择“转入来电者”或“返回来电者”。"),
    N_("正在呼叫 {to}：对方接听后来电者直接转入，本坐席通话随之结束。"),
    N_("已将来电者转入 {to}。"),
    N_("已返回来电者，未转接。"),
    N_("已返回来电者。"),
)
# JsSIP refreshes a registration before it runs out; a credential outlives two refreshes.
REGISTER_EXPIRES_S = 60


def ws_origin(ws_url: str) -> str:
    """``wss://sip.example.cn:8443/ws`` → ``wss://sip.example.cn:8443`` (for connect-src)."""
    parts = urlsplit(ws_url)
    if parts.scheme not in ("ws", "wss") or not re.fullmatch(r"[A-Za-z0-9.\-:\[\]]+", parts.netloc):
        return ""  # nothing that could add a directive to the policy
    return f"{parts.scheme}://{parts.netloc}"


def seat_headers(ws_url: str) -> dict[str, str]:
    """The seat page may open its WebSocket to Kamailio and use the microphone; every other
    page keeps the default policy (no microphone, connections to the app only)."""
    origin = ws_origin(ws_url)
    csp = CSP.replace("connect-src 'self'", f"connect-src 'self' {origin}".rstrip())
    return {
        "content-security-policy": csp,
        "permissions-policy": "camera=(), microphone=(self), geolocation=()",
        "cache-control": "no-store",
    }


@router.get("", response_class=HTMLResponse)
def seat_page(
    request: Request, session: DbSession, settings: AppSettings, user: Staff
) -> HTMLResponse:
    counsellor = hotline_service.find_seat_counsellor(session, user.name)
    ctx: dict[str, Any] = {
        "title": i18n.gettext("我的坐席"),
        "seat": hotline_service.seat_dict(counsellor) if counsellor else None,
        "ws_url": settings.hotline_seat_ws_url,
        "domain": settings.hotline_sip_realm,
        "register_expires": REGISTER_EXPIRES_S,
        "state_label": i18n.localise_labels(STATE_LABEL),
        "seat_words": {text: i18n.gettext(text) for text in SEAT_WORDS},
    }
    if counsellor is not None:
        names = {h.id: h.name for h in hotline_service.list_hotlines(session)}
        ctx["hotline_name"] = names.get(counsellor.hotline_id, counsellor.hotline_id)
    return r.render(
        request,
        "staff/hotline/seat.html",
        ctx,
        headers=seat_headers(settings.hotline_seat_ws_url),
    )


@calls.post("/credentials")
def credentials(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
) -> JSONResponse:
    """A SIP credential for the signed-in counsellor, valid a few minutes (JSON)."""
    r.check_csrf(request, csrf_token)
    cred = hotline_service.seat_credential(
        session,
        user.name,
        key=settings.hmac_key,
        now=timeutil.now(),
        ttl_s=settings.hotline_seat_credential_ttl_s,
    )
    body = {
        "ws_url": settings.hotline_seat_ws_url,
        # the seat's address of record is at the front's host (Kamailio ignores the domain)
        "sip_uri": f"sip:{cred.sip_user}@{urlsplit(settings.hotline_seat_ws_url).hostname}",
        "authorization_user": cred.username,
        "password": cred.password,
        "realm": settings.hotline_sip_realm,
        "expires_at": cred.expires_at,
        "ttl_s": cred.ttl_s,
        "register_expires": REGISTER_EXPIRES_S,
        "rule": cred.rule,
    }
    return JSONResponse(body, headers={"cache-control": "no-store"})


@calls.post("/state")
def set_state(
    request: Request,
    reader: ReadSession,  # the node audits in the same database: forward without a write lock
    session: DbSession,
    settings: AppSettings,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
) -> JSONResponse:
    """Sign the own seat in to the queue, on break or out (JSON): on the node serving the seat
    first (it audits the change), then stored."""
    r.check_csrf(request, csrf_token)
    counsellor = hotline_service.get_seat_counsellor(reader, user.name)
    cluster_service.forward_seat_state(
        reader,
        counsellor.id,
        state,
        secret=settings.secret_key,
        actor=user.actor,
        single=settings.hotline_seat_node_control,
    )
    hotline_service.set_counsellor_state(session, counsellor.id, state, actor=user.actor)
    return JSONResponse(
        {"state": state, "label": i18n.localise_labels(STATE_LABEL).get(state, state)},
        headers={"cache-control": "no-store"},
    )


@calls.post("/wrapup")
def wrapup(
    request: Request,
    session: DbSession,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    call_ref: Annotated[str, Form()] = "",
    suicidal_ideation: Annotated[str, Form()] = "",
    hopelessness: Annotated[str, Form()] = "",
    handover_to: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> JSONResponse:
    """Wrap-up of the call just ended: its notes and crisis assessment (rules.risk decides the
    risk and a follow-up task), recorded for the own counsellor (JSON)."""
    r.check_csrf(request, csrf_token)
    counsellor = hotline_service.get_seat_counsellor(session, user.name)
    try:
        data = AssessmentCreate(
            counsellor_id=counsellor.id,
            suicidal_ideation=suicidal_ideation,
            hopelessness=hopelessness,
            handover_to=handover_to or None,
            notes=notes,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"评估表填写有误：{first['msg']}", field=str(first["loc"][0])) from None
    result = hotline_service.record_assessment(session, call_ref, data, actor=user.actor)
    result["risk_label"] = i18n.localise_labels(RISK_LABEL).get(result["risk"], result["risk"])
    return JSONResponse(result, headers={"cache-control": "no-store"})


# What the counsellor reads when the node refuses a hand-over (its own reasons are English).
TRANSFER_REFUSED = {
    404: N_("该通话已不在通话中，无法转接。"),
    403: N_("只能转接本坐席正在进行的通话。"),
    409: N_("暂时无法转接"),
    422: N_("转接请求有误"),
    502: N_("热线节点不可达，请联系值班长转接。"),
}


@calls.post("/transfer")
def transfer(
    request: Request,
    session: ReadSession,
    settings: AppSettings,
    user: Staff,
    csrf_token: Annotated[str, Form()] = "",
    call_ref: Annotated[str, Form(max_length=256)] = "",
    to: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "attended",
    step: Annotated[str, Form()] = "start",
    suicidal_ideation: Annotated[str, Form()] = "",
    hopelessness: Annotated[str, Form()] = "",
) -> JSONResponse:
    """Hand the call in conversation over to 110/119/120 (JSON): ``attended`` (consult the
    service while the caller hears the hold prompt, then ``step=complete`` or ``return``) or
    ``blind``, with the crisis assessment sent along. The node holding the call checks that it
    is this counsellor's call and audits it (docs/hotline-seat.md)."""
    r.check_csrf(request, csrf_token)
    counsellor = hotline_service.get_seat_counsellor(session, user.name)
    if mode not in ("attended", "blind"):
        raise InvalidInput("转接方式应为先沟通或直接转接", field="mode")
    assessment = None
    if suicidal_ideation or hopelessness:
        assessment = {"suicidal_ideation": suicidal_ideation, "hopelessness": hopelessness}
    try:
        result = cluster_service.forward_transfer(
            session,
            call_ref,
            step=step,
            to=to,
            attended=mode == "attended",
            assessment=assessment,
            counsellor_id=counsellor.id,
            secret=settings.secret_key,
            actor=user.actor,
            scope=user.scope,
            single=settings.hotline_seat_node_control,
        )
    except DomainError as exc:
        refused = TRANSFER_REFUSED.get(exc.status_code)
        if refused is None:
            raise
        text = i18n.gettext(refused)
        if exc.status_code in (409, 422):
            text = f"{text}：{exc.detail}"
        exc.detail = text
        raise
    return JSONResponse(result, headers={"cache-control": "no-store"})


router.include_router(calls)


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, session: DbSession, user: Staff) -> HTMLResponse:
    """The waiting queue of the own hotline (htmx swaps it in every few seconds)."""
    counsellor = hotline_service.get_seat_counsellor(session, user.name)
    now = timeutil.now()
    calls = []
    for c in cluster_service.live_calls(
        session, hotline_id=counsellor.hotline_id, states=("waiting",), now=now
    ):
        row = cluster_service.live_call_dict(c)
        row["waited_s"] = max(0, int((now - c.arrived_at).total_seconds()))
        calls.append(row)
    return r.render(request, "staff/hotline/_seat_queue.html", {"queue": calls})
