"""The web pages' router: the home page, the static files and every page module's routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from minsheng.core.errors import NotFound
from minsheng.web import (
    auth,
    public,
    staff_certification,
    staff_enforcement,
    staff_enforcement_reports,
    staff_hotline,
    staff_hotline_seat,
    staff_hotline_workforce,
)
from minsheng.web.render import PageRoute, render

STATIC = Path(__file__).parent / "static"
# Only these files are served: nothing else under the package is reachable by URL.
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
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


router.include_router(auth.router)
router.include_router(public.router)
router.include_router(staff_certification.router)
router.include_router(staff_enforcement.router)
router.include_router(staff_hotline.router)
router.include_router(staff_hotline_seat.router)
router.include_router(staff_hotline_workforce.router)
router.include_router(staff_enforcement_reports.router)
