"""Services on a real database: reference data, bodies, issuance, import, verification."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.certification import demo, service
from minsheng.certification.errors import (
    AdTooLarge,
    DuplicateBody,
    ImportRejected,
    InvalidOccupationCode,
    IssuanceRefused,
    OccupationNotFound,
    VerificationNeedsTwoFields,
    VerificationRateLimited,
)
from minsheng.certification.models import Certificate, Occupation, VerificationLog
from minsheng.certification.schemas import (
    BodyStatusChange,
    CertificateStatusChange,
    VerifyRequest,
)
from minsheng.certification.service import registry
from minsheng.core.audit import AuditEntry
from minsheng.core.config import Settings
from minsheng.core.db import utcnow
from minsheng.core.errors import InvalidInput
from minsheng.core.idnumber import InvalidIdNumber
from minsheng.core.privacy import keyed_hash
from tests.certification import factories as f


class TestReference:
    def test_catalogue_counts(self, session: Session) -> None:
        service.load_reference(session)
        occupations = list(session.scalars(select(Occupation)))
        # The final 2022 edition: 1,639 occupations (8 major / 79 medium / 450 small groups; the
        # group levels are not shipped, see PROVENANCE.md).
        assert len(occupations) == 1639
        codes = {o.code for o in occupations}
        added = {"4-04-05-09", "4-04-05-10", "4-04-05-11", "6-04-06-07", "6-09-03-05"}
        added |= {"2-02-32-00", "4-05-02-00", "7-01-00-00", "7-04-00-00", "8-00-00-00"}
        assert added <= codes
        assert not {"2-02-32-01", "2-02-32-02", "4-05-02-01", "4-05-02-02", "6-20-03-00"} & codes
        assert {o.major_group for o in occupations} == set(range(1, 9))
        assert sum(o.green for o in occupations) == 134
        assert sum(o.digital for o in occupations) == 95  # official 97: see PROVENANCE.md
        assert sum(o.green and o.digital for o in occupations) == 23
        catalogue = service.list_qualifications(session)
        assert len(catalogue) == 72
        professional = [q for q in catalogue if q["category"] == "professional"]
        assert len(professional) == 59
        assert sum(q["type"] == "access" for q in professional) == 33
        # idempotent
        assert service.load_reference(session) == {"occupations": 0, "qualifications": 0}

    def test_occupation_view(self, session: Session) -> None:
        f.reference(session)
        twin = service.get_occupation(session, "4-04-05-10").to_dict()
        assert twin["name"] == "数字孪生应用技术员" and twin["major_group"] == 4
        assert twin["skill_certificate_eligible"] is True
        carbon = service.get_occupation(session, f.CARBON).to_dict()
        assert carbon["green"] is True and carbon["digital"] is False
        assert carbon["definition"]
        welder = service.get_occupation(session, "6-18-02-04").to_dict()
        assert welder["access_qualification"] == "焊工"
        assert welder["skill_certificate_eligible"] is False
        assert any("access-type" in r for r in welder["reasons"])
        assert service.get_occupation(session, "4-13-01-05").to_dict()["digital"] is True
        with pytest.raises(OccupationNotFound):
            service.get_occupation(session, "4-99-99-99")
        with pytest.raises(InvalidOccupationCode):
            service.get_occupation(session, "abc")

    def test_catalogue_grows(self, session: Session) -> None:
        service.add_occupation(
            session,
            code="4-04-05-13",
            name="生成式人工智能系统应用员",
            definition="",
            green=False,
            digital=True,
            added_on=date(2024, 7, 31),
            source="MOHRSS announcement (test)",
            actor="test",
        )
        view = service.get_occupation(session, "4-04-05-13").to_dict()
        assert view["added_on"] == "2024-07-31" and view["edition"] == "2024"

    def test_standards_import_is_all_or_nothing(self, session: Session) -> None:
        service.load_reference(session)
        text = (
            "code,occupation_code,name,issue_number,issued_on,levels\n"
            "S1,4-03-02-10,调饮师,2021-1,2021-01-01,5;4;3\n"
            "S2,9-99-99-99,x,1,2021-13-01,7\n"
        )
        with pytest.raises(ImportRejected) as err:
            service.import_standards(session, text, actor="t")
        fields = {(r["line"], r["field"]) for r in err.value.extra["rows"]}
        assert fields == {(3, "occupation_code"), (3, "issued_on"), (3, "levels")}
        assert service.list_standards(session) == []


def test_prefixed_hmac_equals_the_core_keyed_hash() -> None:
    from minsheng.core.privacy import keyed_hash

    digest = registry.prefixed_hmac(b"k", service.ID_PURPOSE)
    for value in ("11010519491231002X", "", "张伟"):
        assert digest(value) == keyed_hash(value, b"k", purpose=service.ID_PURPOSE)


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

    def test_demo_load_is_idempotent(self, session: Session, settings: Settings) -> None:
        first = demo.load(session, settings)
        again = demo.load(session, settings)
        assert len(first["certificates"]) == 4 and "certificates" not in again
        assert session.scalar(select(func.count()).select_from(Certificate)) == 4


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

    def test_import_moves_the_serial_counter(self, session: Session, settings: Settings) -> None:
        f.reference(session)
        b = f.body(session)
        csv_text = (
            "number,name,id_number,occupation_code,level,body_code,issued_on\n"
            f"S000046460100244000041,赵六,{f.make_id()},{f.CARBON},4,{b.filing_no},2024-01-02\n"
        )
        assert service.import_certificates(session, csv_text, settings, actor="t") == {
            "imported": 1
        }
        cert = service.issue_certificate(session, f.issue_request(b.filing_no), settings, actor="t")
        assert cert.number.endswith("000042")

    def test_import_reports_every_bad_row(self, session: Session, settings: Settings) -> None:
        f.reference(session)
        b = f.body(session)
        good = f"S000046460100244000001,甲,{f.make_id()},{f.CARBON},4,{b.filing_no},2024-01-02"
        csv_text = (
            "number,name,id_number,occupation_code,level,body_code,issued_on,status\n"
            f"{good},valid\n"
            f"{good},valid\n"
            f"S000046460100244000002,乙,123,{f.CARBON},3,NOPE,2031-01-02,lost\n"
        )
        with pytest.raises(ImportRejected) as err:
            service.import_certificates(session, csv_text, settings, actor="t")
        got = {(r["line"], r["field"]) for r in err.value.extra["rows"]}
        assert got == {
            (3, "number"),
            (4, "id_number"),
            (4, "level"),
            (4, "body_code"),
            (4, "issued_on"),
            (4, "status"),
        }
        assert session.scalar(select(func.count()).select_from(Certificate)) == 0

    def test_import_normalises_what_the_fast_path_leaves_to_the_checker(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        idn = f.make_id()
        spaced = f"{idn[:6]} {idn[6:14]} {idn[14:]}".lower()
        csv_text = (
            "number,name,id_number,occupation_code,level,body_code,issued_on\n"
            f"S000046460100244000001,王\\伟,{spaced},{f.CARBON},04,{b.filing_no.lower()},"
            "2024-01-02\n"
            f"S000046460100244000002,李四,{idn},{f.CARBON},4,{b.filing_no},20240103\n"
        )
        result = service.import_certificates(session, csv_text, settings, actor="t")
        assert result == {"imported": 2}
        certs = {c.number: c for c in session.scalars(select(Certificate))}
        first = certs["S000046460100244000001"]
        assert first.holder_name == "王\\伟"  # a backslash survives PostgreSQL's COPY
        assert first.id_hash == keyed_hash(idn, settings.hmac_key, purpose=service.ID_PURPOSE)
        assert first.level == 4
        assert first.id_masked == idn[:6] + "********" + idn[-4:]
        assert certs["S000046460100244000002"].issued_on == date(2024, 1, 3)
        tokens = [c.verify_token for c in certs.values()]
        assert len(set(tokens)) == 2 and all(len(t) == 32 for t in tokens)

    def test_import_rejects_control_characters_in_names(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        csv_text = (
            "number,name,id_number,occupation_code,level,body_code,issued_on\n"
            f'S000046460100244000001,"王\t伟",{f.make_id()},{f.CARBON},4,{b.filing_no},2024-01-02\n'
        )
        with pytest.raises(ImportRejected) as err:
            service.import_certificates(session, csv_text, settings, actor="t")
        assert [(r["line"], r["field"]) for r in err.value.extra["rows"]] == [(2, "name")]


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
        assert c["name_masked"] == "张*" and c["id_masked"] == "110105********1234"[:6] + (
            "********" + f.make_id()[-4:]
        )
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
            "rate_windows": 2,
        }

    def test_token_link(self, session: Session, cert: Certificate) -> None:
        assert service.verify_token(session, cert.verify_token)["found"] is True
        assert service.verify_token(session, "0" * 32) == {
            "found": False,
            "certificates": [],
        }


class TestAdsAndSubsidy:
    def test_scan_uses_the_registry(self, session: Session, settings: Settings) -> None:
        demo.load(session, settings)
        honest = (
            "海南民生职业技能评价中心（演示）开展碳排放管理员职业技能等级认定（四级），"
            "合格者由海南民生职业技能评价中心（演示）颁发证书，可在技能人才评价工作网查询。"
        )
        assert service.scan_ad(session, honest)["risk"] in ("none", "low")
        scam = service.scan_ad(session, "由中华职业技能鉴定中心颁发，包过")
        assert "claim.body_not_filed" in {h["rule"] for h in scam["hits"]}

    def test_a_megabyte_ad_is_refused(self, session: Session) -> None:
        with pytest.raises(AdTooLarge):
            service.scan_ad(session, "包过" * 500_000)

    def test_statistics(self, session: Session, settings: Settings) -> None:
        demo.load(session, settings)
        stats = service.subsidy_statistics(session, start=date(2024, 1, 1), end=date(2025, 12, 31))
        assert stats["people"] == 3 and stats["yuan"] == 800 + 1200 + 2000
        assert {p["province_code"] for p in stats["provinces"]} == {"44", "46"}
