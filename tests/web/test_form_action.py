"""``render.form_action``: the one staff-form handler (validate → call → redirect, or roll back
and re-render with the error beside its field)."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.audit import AuditEntry
from minsheng.core.errors import Conflict
from minsheng.web import render as r


class Body(BaseModel):
    name: str = Field(min_length=2)


def _rerender(form: r.Form, status: int) -> Response:
    return HTMLResponse(f"{form.error_name}|{form.errors}|{form.general}", status_code=status)


def _audit_rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _write_then(session: Session, body: dict[str, str]) -> str:
    audit.record(session, actor="user:t", action="test", table="t", record_id=1)
    Body.model_validate(body)
    return "/done"


def test_success_redirects_with_303(session: Session) -> None:
    form = r.Form(fields=("name",))
    response = r.form_action(session, form, lambda: _write_then(session, {"name": "ok"}), _rerender)
    assert response.status_code == 303
    assert response.headers["location"] == "/done"
    assert _audit_rows(session) == 1
    assert form.ok


def test_schema_failure_is_422_beside_the_field_and_writes_nothing(session: Session) -> None:
    form = r.Form(fields=("name",))
    response = r.form_action(session, form, lambda: _write_then(session, {"name": "x"}), _rerender)
    assert response.status_code == 422
    assert "name" in form.errors
    assert form.error_name == "ValidationError"
    assert _audit_rows(session) == 0


def test_domain_error_keeps_its_status_and_rolls_back(session: Session) -> None:
    def run() -> str:
        audit.record(session, actor="user:t", action="test", table="t", record_id=1)
        raise Conflict("exists already", field="name")

    form = r.Form(fields=("name",))
    response = r.form_action(session, form, run, _rerender)
    assert response.status_code == 409
    assert form.errors == {"name": "与现有记录冲突，请刷新后重试。"}
    assert form.error_name == "Conflict"
    assert _audit_rows(session) == 0
