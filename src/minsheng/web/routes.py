"""The web pages' router: the home page, the static files and every page module's routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from minsheng.core import i18n
from minsheng.core import web as core_web
from minsheng.core.errors import NotFound
from minsheng.web import (
    auth,
    public,
    staff_certification,
    staff_certification_bodies,
    staff_certification_lists,
    staff_certification_subsidy,
    staff_enforcement,
    staff_enforcement_lists,
    staff_enforcement_reports,
    staff_hotline,
    staff_hotline_followups,
    staff_hotline_lines,
    staff_hotline_lists,
    staff_hotline_recordings,
    staff_hotline_seat,
    staff_hotline_workforce,
)
from minsheng.web.render import PageRoute, error_page, render, safe_next

STATIC = Path(__file__).parent / "static"
# Only these files are served: nothing else under the package is reachable by URL.
STATIC_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".ico": "image/vnd.microsoft.icon",
}
STATIC_FILES = {p.name: p for p in STATIC.iterdir() if p.suffix in STATIC_TYPES}
# Third-party files, each recorded with its version and checksum in static/PROVENANCE.md.
VENDOR_FILES = {p.name: p for p in (STATIC / "vendor").iterdir() if p.suffix in STATIC_TYPES}

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", {"title": "首页"})


def _serve(files: dict[str, Path], name: str) -> FileResponse:
    path = files.get(name)
    if path is None:
        raise NotFound(f"no static file {name!r}", field="name")
    return FileResponse(
        path,
        media_type=STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    return _serve(STATIC_FILES, name)


@router.get("/static/vendor/{name}")
def vendor(name: str) -> FileResponse:
    return _serve(VENDOR_FILES, name)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return static("favicon.ico")


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from the app's own copy (static/PROVENANCE.md): it works offline."""
    openapi_url = request.app.openapi_url or "/openapi.json"
    return render(request, "docs.html", {"title": request.app.title, "openapi_url": openapi_url})


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/") -> Response:
    """Remember the reader's language (``zh`` or ``en``) and go back to the page."""
    locale = i18n.normalise(code)
    if locale is None:
        raise NotFound(f"no language {code!r}", field="code")
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    response.set_cookie(
        i18n.LANG_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", httponly=True
    )
    return response


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """A page address that does not exist gets the HTML 404 page (a browser asked for HTML);
    the API and everything else keep the JSON error body."""
    accepts_html = "text/html" in request.headers.get("accept", "")
    if exc.status_code == 404 and accepts_html and not core_web.is_api(request):
        return await run_in_threadpool(error_page, request, 404, str(exc.detail), error="NotFound")
    return await core_web.http_error(request, exc)


router.include_router(auth.router)
router.include_router(public.router)
router.include_router(staff_certification.router)
router.include_router(staff_certification_lists.router)
router.include_router(staff_certification_bodies.router)
router.include_router(staff_certification_subsidy.router)
router.include_router(staff_enforcement.router)
router.include_router(staff_enforcement_lists.router)
router.include_router(staff_hotline.router)
router.include_router(staff_hotline_lists.router)
router.include_router(staff_hotline_seat.router)
router.include_router(staff_hotline_workforce.router)
router.include_router(staff_hotline_recordings.router)
router.include_router(staff_hotline_lines.router)
router.include_router(staff_hotline_followups.router)
router.include_router(staff_enforcement_reports.router)
