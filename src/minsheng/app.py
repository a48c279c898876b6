"""The application factory: one FastAPI app mounting the core, each system's router and the
web pages (``minsheng.web``, which serves ``/``)."""

from __future__ import annotations

from fastapi import FastAPI

import minsheng
from minsheng.certification.routes import router as certification_router
from minsheng.core import privacy, web
from minsheng.core.config import Settings, get_settings
from minsheng.core.db import make_engine, make_sessionmaker
from minsheng.core.routes import router as core_router
from minsheng.enforcement.routes import router as enforcement_router
from minsheng.hotline.routes import router as hotline_router
from minsheng.web.routes import router as web_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    privacy.install_log_redaction()
    app = FastAPI(
        title="minsheng 民生",
        version=minsheng.__version__,
        description="12356 hotline, skill certificates and credit-commitment enforcement.",
    )
    engine = make_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.write_sessionmaker = make_sessionmaker(engine, write=True)
    web.install(app, settings)
    app.include_router(core_router)
    app.include_router(hotline_router)
    app.include_router(certification_router)
    app.include_router(enforcement_router)
    app.include_router(web_router)
    return app
