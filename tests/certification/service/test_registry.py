"""The certificate registry: issuance through the rules, numbers, status changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.errors import (
    ImplausibleDate,
    IssuanceRefused,
)
from minsheng.certification.models import Certificate
from minsheng.certification.schemas import (
    BodyStatusChange,
)
from minsheng.certification.service import registry
from minsheng.core.audit import AuditEntry
from minsheng.core.config import Settings
from minsheng.core.privacy import keyed_hash
from tests.certification import factories as f


def test_prefixed_hmac_equals_the_core_keyed_hash() -> None:

    digest = registry.prefixed_hmac(b"k", service.ID_PURPOSE)
    for value in ("11010519491231002X", "", "张伟"):
        assert digest(value) == keyed_hash(value, b"k", purpose=service.ID_PURPOSE)


class TestIssuance:
    def test_issue_generates_sequential_numbers(self, session: Session, settings: Settings) -> None:
        f.reference(session)
        b = f.body(session)
        first = service.issue_certificate(
            session, f.issue_request(b.filing_no), settings, actor="t"
        )
        second = service.issue_certificate(
            session, f.issue_request(b.filing_no, name="李四"), settings, actor="t"
        )
        assert first.number == "S000046460100244000001"
        assert second.number == "S000046460100244000002"
        assert first.id_masked.startswith("110105") and "********" in first.id_masked
        assert f.make_id() not in {first.id_hash, first.id_masked}
        assert len(first.verify_token) == 32
        actions = session.scalars(select(AuditEntry.action)).all()
        assert actions.count("certificate.issue") == 2

    def test_refusal_names_every_rule_and_changes_nothing(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        req = f.issue_request(b.filing_no, level=1, id_number="110105199003071230")
        with pytest.raises(IssuanceRefused) as err:
            service.issue_certificate(session, req, settings, actor="t")
        rules_failed = {x["rule"] for x in err.value.extra["failures"]}
        assert {"body.scope", "holder.id_number"} <= rules_failed
        assert session.scalar(select(func.count()).select_from(Certificate)) == 0

    def test_suspended_body_cannot_issue(self, session: Session, settings: Settings) -> None:
        f.reference(session)
        b = f.body(session)
        service.update_body_status(
            session,
            b.filing_no,
            BodyStatusChange(status="suspended", reason="audit finding"),
            actor="t",
        )
        with pytest.raises(IssuanceRefused) as err:
            service.issue_certificate(session, f.issue_request(b.filing_no), settings, actor="t")
        assert [x["rule"] for x in err.value.extra["failures"]] == ["body.active"]


class TestImplausibleIssueDates:
    @pytest.mark.parametrize("issued_on", [date(1, 1, 1), date(1999, 12, 31), date(9999, 12, 31)])
    def test_refused_before_any_rule(
        self, session: Session, settings: Settings, issued_on: date
    ) -> None:
        f.reference(session)
        b = f.body(session)
        with pytest.raises(ImplausibleDate) as err:
            service.issue_certificate(
                session, f.issue_request(b.filing_no, issued_on=issued_on), settings, actor="t"
            )
        assert err.value.field == "issued_on"
