"""The application factory: one FastAPI app mounting the core and each system's router."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

import minsheng
from minsheng.certification.routes import router as certification_router
from minsheng.core import privacy, web
from minsheng.core.config import Settings, get_settings
from minsheng.core.db import make_engine, make_sessionmaker
from minsheng.core.routes import router as core_router
from minsheng.enforcement.routes import router as enforcement_router
from minsheng.hotline.routes import router as hotline_router
from minsheng.web.routes import router as web_router

INDEX_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>民生 minsheng</title></head>
<body><main>
<h1>民生 minsheng</h1>
<p>一个平台，三项公共服务。One platform, three public services.</p>
<ul>
<li>12356 心理援助热线 — psychological assistance hotline</li>
<li>职业技能等级证书 — vocational skill certificates</li>
<li>"承诺+执法" 信用执法 — credit-commitment enforcement</li>
</ul>
<p><a href="/docs">API documentation (OpenAPI)</a> · <a href="/healthz">health</a></p>
</main></body></html>"""


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
    web.install(app)
    app.include_router(core_router)
    app.include_router(hotline_router)
    app.include_router(certification_router)
    app.include_router(enforcement_router)
    app.include_router(web_router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return INDEX_HTML

    return app
