"""Public pages (no login): certificate verification, the certificate's QR link, the evaluation
body registry, the scam-ad checker and the 12356 finder (which hotline serves a city, its hours).

Verification posts its form (never a query string, so ID numbers stay out of access logs) and
answers exactly as ``POST /api/certification/verify`` does: a masked answer, the same answer for
every miss, and the rate limit explained with its Retry-After.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from minsheng.certification import service as cert_service
from minsheng.certification.rules.numbering import LEVELS as LEVEL_NAMES
from minsheng.certification.schemas import AdScanRequest, VerifyRequest
from minsheng.core import i18n, regions, timeutil
from minsheng.core.errors import DomainError, NotFound, PlaceAmbiguous, TooManyRequests
from minsheng.core.web import DbSession, client_id, public_url
from minsheng.hotline import service as hotline_service
from minsheng.web import render as r
from minsheng.web.render import PageRoute

router = APIRouter(route_class=PageRoute)

VERIFY_FIELDS = ("id_number", "name", "number")
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
RISK_LABEL = {"high": "高风险", "medium": "中风险", "low": "低风险", "none": "未发现风险"}


# Certificate verification ---------------------------------------------------------------------


def _verify_page(
    request: Request,
    form: r.Form,
    result: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    retry_after: int | None = None,
) -> HTMLResponse:
    return r.render(
        request,
        "public/verify.html",
        {
            "title": "职业技能等级证书查询",
            "form": form,
            "result": result,
            "retry_after": retry_after,
            "levels": LEVEL_NAMES,
        },
        status_code=status_code,
        headers=headers,
    )


@router.get("/certificates/verify", response_class=HTMLResponse)
def verify_form(request: Request) -> HTMLResponse:
    return _verify_page(request, r.Form(fields=VERIFY_FIELDS))


@router.post("/certificates/verify", response_class=HTMLResponse)
def verify(
    request: Request,
    session: DbSession,
    id_number: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
) -> HTMLResponse:
    typed = {"id_number": id_number, "name": name, "number": number}
    # The ID number is never echoed back into the page: the user types it again if needed.
    form = r.Form(values={"name": name, "number": number}, fields=VERIFY_FIELDS)
    try:
        data = VerifyRequest.model_validate(r.blank_to_none(typed))
    except ValidationError as exc:
        form.add_validation(exc)
        return _verify_page(request, form, status_code=422)
    try:
        result = cert_service.verify_certificate(
            session, request.app.state.settings, data, client=client_id(request), channel="web"
        )
    except TooManyRequests as exc:
        r.rollback_on_error(session)
        form.error_name = exc.name
        return _verify_page(
            request,
            form,
            status_code=429,
            headers={"Retry-After": str(exc.retry_after_s)},
            retry_after=exc.retry_after_s,
        )
    except DomainError as exc:
        r.rollback_on_error(session)
        form.add_domain(exc)
        return _verify_page(request, form, status_code=exc.status_code)
    return _verify_page(request, form, result)


@router.get("/certificates/v/{token}", response_class=HTMLResponse)
def certificate_link(request: Request, token: str, session: DbSession) -> HTMLResponse:
    """The page a certificate's QR code opens: the same masked answer, by random token."""
    found = TOKEN_RE.match(token) is not None
    result = cert_service.verify_token(session, token) if found else {"found": False}
    link = public_url(request, f"/certificates/v/{token}")
    return r.render(
        request,
        "public/certificate_link.html",
        {"title": "证书核验", "result": result, "token": token, "link": link}
        | {"levels": LEVEL_NAMES},
        status_code=200 if result["found"] else 404,
    )


@router.get("/certificates/v/{token}/qr.png")
def certificate_qr(request: Request, token: str, session: DbSession) -> Response:
    """A QR code of the certificate's verification link (only for a certificate that exists)."""
    if not TOKEN_RE.match(token) or not cert_service.verify_token(session, token)["found"]:
        raise NotFound("没有这个核验链接 (no such verification link)", field="token")
    link = public_url(request, f"/certificates/v/{token}")
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=6, border=2)
    return Response(buffer.getvalue(), media_type="image/png")


# Evaluation bodies ------------------------------------------------------------------------------


@router.get("/certificates/bodies", response_class=HTMLResponse)
def bodies(request: Request, session: DbSession, q: str = "") -> HTMLResponse:
    query = q.strip()[:100]
    form = r.Form(values={"q": query}, fields=("q",))
    rows = cert_service.list_body_views(session, query) if query else None
    return r.render(
        request,
        "public/bodies.html",
        {"title": "评价机构查询", "form": form, "rows": rows, "levels": LEVEL_NAMES},
    )


# Scam-ad checker --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of the ad's text with the (1-based) numbers of the hits covering it; ``ends``
    lists the hits that end here, so the page can put their number after the phrase."""

    text: str
    hits: tuple[int, ...]
    ends: tuple[int, ...]


def highlight(text: str, hits: list[dict[str, Any]]) -> list[Segment]:
    """Cut ``text`` at every hit boundary; overlapping hits share the segments they cover."""
    spans = [
        (max(0, int(h["start"])), min(len(text), int(h["end"])), i + 1) for i, h in enumerate(hits)
    ]
    cuts = sorted({0, len(text)} | {s for s, _e, _i in spans} | {e for _s, e, _i in spans})
    out: list[Segment] = []
    for a, b in itertools.pairwise(cuts):
        if a >= b:
            continue
        covering = tuple(i for s, e, i in spans if s <= a and b <= e)
        ends = tuple(i for s, e, i in spans if e == b and s <= a)
        out.append(Segment(text[a:b], covering, ends))
    return out


@router.get("/ads/check", response_class=HTMLResponse)
def ad_form(request: Request) -> HTMLResponse:
    return r.render(
        request,
        "public/ads.html",
        {"title": "证书广告风险识别", "form": r.Form(fields=("text",)), "result": None},
    )


@router.post("/ads/check", response_class=HTMLResponse)
def ad_check(
    request: Request, session: DbSession, text: Annotated[str, Form()] = ""
) -> HTMLResponse:
    form = r.Form(values={"text": text}, fields=("text",))
    result: dict[str, Any] | None = None
    segments: list[Segment] = []
    status = 200
    if not text.strip():
        form.add("text", i18n.gettext("请粘贴要检查的广告文字。"))
        status = 422
    else:
        try:
            data = AdScanRequest(text=text)
            result = cert_service.scan_ad(
                session, data.text, budget_s=request.app.state.settings.cert_adscan_budget_s
            )
            segments = highlight(text, result["hits"])
        except DomainError as exc:
            r.rollback_on_error(session)
            form.add_domain(exc)
            status = exc.status_code
    return r.render(
        request,
        "public/ads.html",
        {
            "title": "证书广告风险识别",
            "form": form,
            "result": result,
            "segments": segments,
            "risk_label": RISK_LABEL,
        },
        status_code=status,
    )


# 12356: which hotline serves my city ------------------------------------------------------------

WEEKDAY_LABEL = {
    "mon": "周一",
    "tue": "周二",
    "wed": "周三",
    "thu": "周四",
    "fri": "周五",
    "sat": "周六",
    "sun": "周日",
}
LEVEL_LABEL = {"city": "市级热线", "province": "省级热线", "national": "国家备份热线"}
# Numbers people may call at once: the 12356 line itself and the emergency services.
TEL_NUMBER = re.compile(r"^\+?[0-9][0-9 -]{1,18}[0-9]$")


def hours_label(span: str) -> str:
    """``08:00-02:00`` → ``08:00–次日02:00``; ``00:00-24:00`` → ``全天 24 小时``; closed →
    不开通."""
    if not span:
        return "不开通"
    start, _, end = span.partition("-")
    start, end = start.strip(), end.strip()
    if (start, end) in (("00:00", "24:00"), ("00:00", "00:00")):
        return "全天 24 小时"
    if end == "24:00":
        return f"{start}–24:00"
    if end <= start:
        return f"{start}–次日{end}"
    return f"{start}–{end}"


def hours_rows(hours: dict[str, str]) -> list[tuple[str, str]]:
    """The week as rows of (days, hours), consecutive days with the same hours joined
    (``周一至周五 08:00–22:00``): two narrow columns that fit a phone."""
    rows: list[tuple[list[str], str]] = []
    for key, label in WEEKDAY_LABEL.items():
        text = hours_label(hours.get(key, ""))
        if rows and rows[-1][1] == text:
            rows[-1][0].append(label)
        else:
            rows.append(([label], text))
    out: list[tuple[str, str]] = []
    for days, text in rows:
        if len(days) == len(WEEKDAY_LABEL):
            out.append(("每天", text))
        elif len(days) > 2:
            out.append((f"{days[0]}至{days[-1]}", text))
        else:
            out.append(("、".join(days), text))
    return out


def tel_href(number: str) -> str:
    """``tel:`` link of a phone number as written (digits and a leading + only)."""
    digits = re.sub(r"[^0-9+]", "", number)
    return f"tel:{digits}"


@router.get("/hotline", response_class=HTMLResponse)
def hotline_finder(request: Request, session: DbSession, city: str = "") -> HTMLResponse:
    query = city.strip()[:40]
    form = r.Form(values={"city": query}, fields=("city",))
    found: dict[str, Any] = {"region": None, "lines": []}
    choices: list[dict[str, str]] = []
    missing = False
    status = 200
    now = timeutil.now()
    if query:
        try:
            found = hotline_service.lines_for_place(session, query, at=now)
        except PlaceAmbiguous as exc:
            choices = list(exc.extra.get("choices", []))
        except NotFound:
            missing = True
            status = 404
            form.add(
                "city", f"没有找到“{query}”：请填写城市或区县名称（如 深圳、浦东）或完整地址。"
            )
        except DomainError as exc:
            form.add_domain(exc)
            status = exc.status_code
    cities = [c.name for c in regions.table().cities()]
    for line in found["lines"]:
        line["hours_rows"] = hours_rows(line["hours"])
    return r.render(
        request,
        "public/hotline.html",
        {
            "title": "12356 心理援助热线",
            "form": form,
            "query": query,
            "region": found["region"],
            "lines": found["lines"],
            "choices": choices,
            "missing": missing,
            "now": now,
            "cities": sorted(set(cities)),
            "level_label": LEVEL_LABEL,
            "tel_href": tel_href,
        },
        status_code=status,
    )
