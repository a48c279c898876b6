"""Public verification: two of three fields, uniform misses, the lookup log, rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.errors import (
    VerificationNeedsTwoFields,
    VerificationRateLimited,
)
from minsheng.certification.models import Certificate, VerificationLog
from minsheng.certification.schemas import (
    CertificateStatusChange,
    VerifyRequest,
)
from minsheng.core.config import Settings
from minsheng.core.db import utcnow
from minsheng.core.idnumber import InvalidIdNumber
from tests.certification import factories as f


class TestVerification:
    @pytest.fixture
    def cert(self, session: Session, settings: Settings) -> Certificate:
        f.reference(session)
        b = f.body(session)
        return service.issue_certificate(session, f.issue_request(b.filing_no), settings, actor="t")

    @pytest.mark.parametrize(
        "fields", [("id_number", "name"), ("id_number", "number"), ("name", "number")]
    )
    def test_any_two_fields_find_it(
        self, session: Session, settings: Settings, cert: Certificate, fields: tuple[str, str]
    ) -> None:
        given = {"id_number": f.make_id(), "name": "张伟", "number": cert.number}
        args = {k: (given[k] if k in fields else None) for k in given}
        result = service.verify_certificate(session, settings, VerifyRequest(**args), client="c1")
        assert result["found"] is True
        (c,) = result["certificates"]
        # The ID shows only when the query gave it, and then its first and last character.
        shown = f.make_id()[0] + "*" * 16 + f.make_id()[-1] if "id_number" in fields else None
        assert c["name_masked"] == "张*" and c["id_masked"] == shown
        assert c["occupation"] == "碳排放管理员" and c["status"] == "valid"

    def test_all_three_fields(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        args = {"id_number": f.make_id(), "name": "张伟", "number": cert.number}
        assert (
            service.verify_certificate(session, settings, VerifyRequest(**args), client="c")[
                "found"
            ]
            is True
        )
        args["name"] = "张伟伟"
        assert (
            service.verify_certificate(session, settings, VerifyRequest(**args), client="c")[
                "found"
            ]
            is False
        )

    def test_misses_are_identical(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        wrong_name = service.verify_certificate(
            session,
            settings,
            VerifyRequest(id_number=None, name="李四", number=cert.number),
            client="c",
        )
        unknown = service.verify_certificate(
            session,
            settings,
            VerifyRequest(id_number=f.make_id("44030519920101002"), name="张伟", number=None),
            client="c",
        )
        assert wrong_name == unknown == {"found": False, "certificates": []}

    def test_revoked_is_revoked_not_missing(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        service.update_certificate_status(
            session,
            cert.number,
            CertificateStatusChange(status="revoked", reason="fraud"),
            actor="t",
        )
        result = service.verify_certificate(
            session,
            settings,
            VerifyRequest(id_number=None, name="张伟", number=cert.number),
            client="c",
        )
        assert result["found"] and result["certificates"][0]["status"] == "revoked"

    def test_fewer_than_two_fields_and_bad_formats(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        with pytest.raises(VerificationNeedsTwoFields):
            service.verify_certificate(
                session,
                settings,
                VerifyRequest(id_number=None, name="张伟", number=" "),
                client="c",
            )
        with pytest.raises(InvalidIdNumber):
            service.verify_certificate(
                session,
                settings,
                VerifyRequest(id_number="123", name="张伟", number=None),
                client="c",
            )

    def test_log_has_no_clear_personal_data(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        service.verify_certificate(
            session,
            settings,
            VerifyRequest(id_number=f.make_id(), name="张伟", number=None),
            client="1.2.3.4",
        )
        # Written behind the request: nothing yet, then one row once the buffer is flushed.
        assert session.scalars(select(VerificationLog)).all() == []
        assert service.flush_log(session) == 1
        (row,) = session.scalars(select(VerificationLog)).all()
        dumped = " ".join(str(v) for v in vars(row).values())
        assert f.make_id() not in dumped and "张伟" not in dumped and "1.2.3.4" not in dumped
        assert row.fields == "id_number+name" and row.found

    def test_log_in_the_request_when_write_behind_is_off(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        sync = settings.model_copy(update={"cert_verify_log_flush_s": 0})
        service.verify_certificate(
            session,
            sync,
            VerifyRequest(id_number=None, name="张伟", number=cert.number),
            client="c",
        )
        assert session.scalar(select(func.count()).select_from(VerificationLog)) == 1
        assert service.flush_log(session) == 0

    def test_a_long_buffer_is_written_by_the_request(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        session.commit()  # the request's own writer needs the certificate committed on SQLite
        small = settings.model_copy(update={"cert_verify_log_batch": 1})
        for _ in range(10):
            service.verify_certificate(
                session,
                small,
                VerifyRequest(id_number=None, name="张伟", number=cert.number),
                client="c",
            )
        session.rollback()
        # Ten waiting rows (ten batches of one) are written by the tenth lookup itself.
        assert session.scalar(select(func.count()).select_from(VerificationLog)) == 10

    @pytest.mark.parametrize("store", ["memory", "database"])
    def test_rate_limits(
        self, session: Session, settings: Settings, cert: Certificate, store: str
    ) -> None:
        limited = settings.model_copy(
            update={
                "cert_verify_rate_per_client": 3,
                "cert_verify_rate_per_subject": 2,
                "cert_verify_rate_store": store,
            }
        )
        for _ in range(2):
            service.verify_certificate(
                session,
                limited,
                VerifyRequest(id_number=None, name="张伟", number=cert.number),
                client="a",
            )
        with pytest.raises(VerificationRateLimited) as err:  # same person, other client
            service.verify_certificate(
                session,
                limited,
                VerifyRequest(id_number=None, name="张伟", number=cert.number),
                client="b",
            )
        assert 1 <= err.value.retry_after_s <= 61
        other = "S000046460100244000099"
        service.verify_certificate(
            session, limited, VerifyRequest(id_number=None, name="x", number=other), client="a"
        )
        with pytest.raises(VerificationRateLimited):  # fourth lookup of client a
            service.verify_certificate(
                session, limited, VerifyRequest(id_number=None, name="y", number=other), client="a"
            )

    def test_purge_keeps_recent_lookups(
        self, session: Session, settings: Settings, cert: Certificate
    ) -> None:
        shared = settings.model_copy(update={"cert_verify_rate_store": "database"})
        service.verify_certificate(
            session,
            shared,
            VerifyRequest(id_number=None, name="张伟", number=cert.number),
            client="a",
        )
        service.flush_log(session)
        assert service.purge_verification_log(session, settings) == {
            "verification_log": 0,
            "rate_windows": 0,
        }
        later = utcnow() + timedelta(days=settings.cert_verify_log_retention_days + 1)
        assert service.purge_verification_log(session, settings, now=later) == {
            "verification_log": 1,
            "rate_windows": 6,  # client, number and name, each by minute and by day
        }

    def test_token_link(self, session: Session, cert: Certificate) -> None:
        assert service.verify_token(session, cert.verify_token)["found"] is True
        assert service.verify_token(session, "0" * 32) == {
            "found": False,
            "certificates": [],
        }
