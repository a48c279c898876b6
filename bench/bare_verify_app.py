"""The baseline of ``bench/serve_speed.py``: a bare FastAPI app doing the same indexed SELECT as
``POST /api/certification/verify`` on the same database, and ``GET /healthz`` doing ``SELECT 1``.

No middleware, no rate limits, no lookup log, no masking beyond what the JSON needs: what any
FastAPI app on SQLAlchemy Core pays for the same query. Run with uvicorn's factory mode and
``BARE_DATABASE_URL`` set::

    BARE_DATABASE_URL=sqlite:///… uvicorn --factory bare_verify_app:create_app
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import create_engine, text

LOOKUP = text(
    "SELECT c.number, c.holder_name, c.id_masked, c.occupation_code, c.level, c.work_type, "
    "c.issued_on, c.status, c.status_reason, o.name AS occupation, b.name AS body "
    "FROM cert_certificates c "
    "LEFT OUTER JOIN cert_occupations o ON o.code = c.occupation_code "
    "LEFT OUTER JOIN cert_bodies b ON b.id = c.body_id "
    "WHERE c.number = :number AND c.holder_name = :name LIMIT 50"
)


class Query(BaseModel):
    name: str | None = None
    number: str | None = None
    id_number: str | None = None


def create_app() -> FastAPI:
    engine = create_engine(os.environ["BARE_DATABASE_URL"])
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": "ok"}

    @app.post("/api/certification/verify")
    def verify(q: Query) -> dict[str, Any]:
        with engine.connect() as conn:
            rows = conn.execute(LOOKUP, {"number": q.number, "name": q.name}).mappings().all()
        found = [
            {
                **row,
                "holder_name": row["holder_name"][:1] + "*",
                "issued_on": str(row["issued_on"]),
            }
            for row in rows
        ]
        return {"found": bool(found), "certificates": found}

    return app
