"""Bulk import of existing certificate records: all or nothing, every bad row named."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.errors import (
    ImportRejected,
)
from minsheng.certification.models import Certificate
from minsheng.core.config import Settings
from minsheng.core.privacy import keyed_hash
from tests.certification import factories as f


class TestImport:
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
