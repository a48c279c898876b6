"""The application factory: one FastAPI app mounting the core, each system's router and the
web pages (``minsheng.web``, which serves ``/``)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

import minsheng
from minsheng.certification.routes import router as certification_router
from minsheng.core import metrics, openapi, privacy, web
from minsheng.core.config import Settings, get_settings
from minsheng.core.db import make_engine, make_sessionmaker
from minsheng.core.routes import router as core_router
from minsheng.core.ruledata import RuleData, check_allowed
from minsheng.enforcement.routes import router as enforcement_router
from minsheng.hotline.routes import router as hotline_router
from minsheng.web.routes import http_error as page_http_error
from minsheng.web.routes import router as web_router


def rule_data_status() -> list[RuleData]:
    """Every system's rule data with its status (official or demo); the systems never import
    each other, so the app composes their answers."""
    from minsheng.certification import service as certification_service
    from minsheng.enforcement import service as enforcement_service
    from minsheng.hotline import service as hotline_service

    return [
        *hotline_service.rule_data_status(),
        *certification_service.rule_data_status(),
        *enforcement_service.rule_data_status(),
    ]


def check_rule_data(settings: Settings) -> list[RuleData]:
    """The demo rule sets in use, or ``DemoRulesRefused`` unless ``allow_demo_rules``."""
    return check_allowed(rule_data_status(), allow_demo_rules=settings.allow_demo_rules)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    privacy.install_log_redaction()
    app = FastAPI(
        title="minsheng 民生",
        version=minsheng.__version__,
        description="12356 hotline, skill certificates and credit-commitment enforcement.",
        # /docs is served by the web pages from a local Swagger UI (no CDN); no ReDoc.
        docs_url=None,
        redoc_url=None,
    )
    engine = make_engine(settings)
    app.state.settings = settings
    app.state.rule_data = rule_data_status()
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.write_sessionmaker = make_sessionmaker(engine, write=True)
    web.install(app, settings)
    # FastAPI tries routes in order: the busiest public ones (health, certificate verification)
    # come first (docs/performance.md); no two routers share a path, so nothing else changes.
    app.include_router(core_router)
    app.include_router(certification_router)
    app.include_router(hotline_router)
    app.include_router(enforcement_router)
    app.include_router(web_router)
    app.include_router(metrics.router)
    metrics.add_gauge_source(app.state, hotline_gauges)
    # Page addresses that do not exist get the HTML 404 page; the API keeps its JSON body.
    app.add_exception_handler(StarletteHTTPException, page_http_error)  # type: ignore[arg-type]
    openapi.install(app)
    return app


def hotline_gauges(session: Session) -> list[metrics.Gauge]:
    from minsheng.hotline.service import gauges

    return gauges.gauges(session)
