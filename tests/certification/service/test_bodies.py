"""Filed evaluation bodies: filing numbers, scope, the registry lookup, the demo load."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.certification import demo, service
from minsheng.certification.errors import (
    DuplicateBody,
    ImplausibleDate,
)
from minsheng.certification.models import Certificate
from minsheng.certification.schemas import BodyStatusChange
from minsheng.core.audit import AuditEntry
from minsheng.core.config import Settings
from minsheng.core.errors import InvalidInput
from tests.certification import factories as f


class TestBodies:
    def test_filing_numbers_scope_and_lookup(self, session: Session) -> None:
        f.reference(session)
        provincial = f.body(session)
        national = f.body(
            session, name="民生测试有限公司", body_type="Y", code="0123", province_code=None
        )
        second = f.body(session, name="另一评价中心")
        assert (provincial.filing_no, national.filing_no) == ("S0000-46-0001", "Y0123")
        assert second.filing_no == "S0000-46-0002"
        with pytest.raises(DuplicateBody):
            f.body(session, name="重复", body_type="Y", code="0123", province_code=None)
        with pytest.raises(InvalidInput) as err:
            f.body(session, code="0000", province_code=None)
        assert err.value.field == "province_code"
        with pytest.raises(InvalidInput) as err:
            f.body(session, scope=[{"occupation_code": "4-99-99-99", "levels": [5]}])
        assert err.value.field == "scope.0.occupation_code"
        assert [b.filing_no for b in service.list_bodies(session, "Y0123")] == ["Y0123"]
        assert len(service.list_bodies(session, f.CARBON)) == 3
        assert [b.name for b in service.list_bodies(session, "有限公司")] == ["民生测试有限公司"]

    def test_public_views_name_each_occupation_in_scope(self, session: Session) -> None:
        f.reference(session)
        f.body(session, scope=[{"occupation_code": f.CARBON, "levels": [5, 4]}])
        f.body(session, name="另一评价中心", scope=[{"occupation_code": f.TWIN, "levels": [4]}])
        views = service.list_body_views(session, "评价中心")
        assert [v["filing_no"] for v in views] == ["S0000-46-0001", "S0000-46-0002"]
        assert views[0]["scope"] == [
            {"occupation_code": f.CARBON, "levels": [4, 5], "occupation": "碳排放管理员"}
        ]
        assert views[1]["scope"][0]["occupation"] == "数字孪生应用技术员"
        assert service.list_body_views(session, "无此机构") == []

    def test_status_change_takes_the_schema_and_is_audited(self, session: Session) -> None:
        f.reference(session)
        b = f.body(session)
        change = BodyStatusChange(status="suspended", reason="audit finding")
        service.update_body_status(session, b.filing_no, change, actor="user:t")
        assert (b.status, b.status_reason) == ("suspended", "audit finding")
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "body.suspended")
        ).one()
        assert (entry.actor, entry.table_name, entry.detail) == (
            "user:t",
            "cert_bodies",
            {"from": "active", "reason": "audit finding"},
        )

    def test_demo_load_is_idempotent(self, session: Session, settings: Settings) -> None:
        first = demo.load(session, settings)
        again = demo.load(session, settings)
        assert len(first["certificates"]) == 4 and "certificates" not in again
        assert session.scalar(select(func.count()).select_from(Certificate)) == 4


class TestImplausibleDates:
    """Issue 12, item 16: filing dates outside 1949-10-01 … 2100-12-31 are refused by name."""

    @pytest.mark.parametrize(
        ("field", "value"),
        [("valid_from", "0001-01-01"), ("valid_from", "1900-01-01"), ("valid_to", "9999-12-31")],
    )
    def test_refused(self, session: Session, field: str, value: str) -> None:
        with pytest.raises(ImplausibleDate) as err:
            f.body(session, **{field: value})
        assert err.value.field == field and err.value.status_code == 422

    def test_the_bounds_themselves_are_accepted(self, session: Session) -> None:
        body = f.body(session, valid_from="1949-10-01", valid_to="2100-12-31")
        assert body.valid_to is not None and body.valid_to.year == 2100
