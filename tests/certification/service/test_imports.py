"""Bulk import of existing certificate records: all or nothing, every bad row named."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.errors import (
    ImportEncodingUnknown,
    ImportFieldTooLong,
    ImportRejected,
    ImportTooLarge,
)
from minsheng.certification.models import Certificate
from minsheng.certification.service import imports
from minsheng.core.config import Settings
from minsheng.core.privacy import keyed_hash
from minsheng.core.scope import Scope
from tests.certification import factories as f


class TestImport:
    def test_import_moves_the_serial_counter(self, session: Session, settings: Settings) -> None:
        f.reference(session)
        b = f.body(session)
        csv_text = (
            "number,name,id_number,occupation_code,level,body_code,issued_on\n"
            f"S000046460100244000041,赵六,{f.make_id()},{f.CARBON},4,{b.filing_no},2024-01-02\n"
        )
        assert service.import_certificates(session, csv_text, settings, actor="t")["imported"] == 1
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
        assert result["imported"] == 2
        certs = {c.number: c for c in session.scalars(select(Certificate))}
        first = certs["S000046460100244000001"]
        assert first.holder_name == "王\\伟"  # a backslash survives PostgreSQL's COPY
        assert first.id_hash == keyed_hash(idn, settings.hmac_key, purpose=service.ID_PURPOSE)
        assert first.level == 4
        assert first.id_masked == idn[:6] + "********" + idn[-4:]
        assert certs["S000046460100244000002"].issued_on == date(2024, 1, 3)
        tokens = [c.verify_token for c in certs.values()]
        assert len(set(tokens)) == 2 and all(len(t) == 32 for t in tokens)

    def test_stored_rows_hold_exactly_what_was_checked(
        self, session: Session, settings: Settings
    ) -> None:
        # Through the stream of either database: full-width digits normalised to ASCII (the
        # keyed hash of the ASCII ID), a status other than valid with its reason, and a name of
        # 50 characters, some of four bytes in UTF-8 (the widest a SQLite record slot holds).
        f.reference(session)
        b = f.body(session)
        idn = f.make_id()
        wide = "".join(chr(ord(c) + 0xFEE0) for c in idn)  # ０-９ for 0-9
        number = "S000046460100244000001"
        wide_number = "".join(chr(ord(c) + 0xFEE0) for c in number)
        long_name = "𬌗" * 25 + "欧阳" * 12 + "娜"
        assert len(long_name) == 50
        csv_text = (
            "number,name,id_number,occupation_code,level,body_code,issued_on,status\n"
            f"{wide_number},{long_name},{wide},{f.CARBON},4,{b.filing_no},2024-01-02,valid\n"
            f"S000046460100244000002,李四,{idn},{f.CARBON},4,{b.filing_no},2024-01-03,suspended\n"
        )
        assert service.import_certificates(session, csv_text, settings, actor="t")["imported"] == 2
        rows = session.execute(
            text(
                "SELECT number, holder_name, id_hash, id_masked, occupation_code, level, body_id,"
                " issued_on, status, status_reason, imported FROM cert_certificates"
                " ORDER BY number"
            )
        ).all()
        hashed = keyed_hash(idn, settings.hmac_key, purpose=service.ID_PURPOSE)
        masked = idn[:6] + "********" + idn[-4:]
        issued = ["2024-01-02", "2024-01-03"]
        if session.get_bind().dialect.name == "postgresql":
            issued = [date.fromisoformat(d) for d in issued]  # type: ignore[misc]
        assert [tuple(r) for r in rows] == [
            (number, long_name, hashed, masked, f.CARBON, 4, b.id, issued[0], "valid", None, 1),
            ("S000046460100244000002", "李四", hashed, masked, f.CARBON, 4, b.id, issued[1],
             "suspended", "imported", 1),
        ]  # fmt: skip
        assert all(isinstance(r.level, int) and isinstance(r.body_id, int) for r in rows)

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


class TestImportFiles:
    """Issue 12, item 6: encodings, line ends, over-long fields and files, Chinese headers."""

    HEADER = "number,name,id_number,occupation_code,level,body_code,issued_on"

    def rows(self, filing_no: str) -> list[str]:
        return [
            f"S000046460100244000001,张伟,{f.make_id()},{f.CARBON},4,{filing_no},2024-01-02",
            f"S000046460100244000002,李娜,{f.make_id('44030519920101002')},{f.CARBON},4,"
            f"{filing_no},2024-01-03",
        ]

    @pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
    def test_encodings_and_line_ends(
        self, session: Session, settings: Settings, encoding: str, end: str
    ) -> None:
        f.reference(session)
        b = f.body(session)
        raw = end.join([self.HEADER, *self.rows(b.filing_no)]).encode(encoding) + end.encode()
        result = service.import_certificates(session, raw, settings, actor="t")
        # The encoding read is said back (GBK text is read as its superset GB18030).
        read = {"gbk": "gb18030"}.get(encoding, encoding)
        assert result == {"imported": 2, "encoding": read, "examples_skipped": 0}
        names = set(session.scalars(select(Certificate.holder_name)))
        assert names == {"张伟", "李娜"}

    def test_a_bom_in_decoded_text_is_not_part_of_the_first_header(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        text = "\ufeff" + "\n".join([self.HEADER, *self.rows(b.filing_no)])
        assert service.import_certificates(session, text, settings, actor="t")["imported"] == 2

    def test_chinese_headers(self, session: Session, settings: Settings) -> None:
        f.reference(session)
        b = f.body(session)
        header = "证书编号,姓名,身份证号,职业编码,等级,评价机构备案号,发证日期,状态"
        lines = [header, *(r + ",valid" for r in self.rows(b.filing_no))]
        raw = "\r\n".join(lines).encode("gbk")
        result = service.import_certificates(session, raw, settings, actor="t")
        assert (result["imported"], result["encoding"]) == (2, "gb18030")

    def test_the_template_has_the_chinese_headers_and_imports_empty(
        self, session: Session, settings: Settings
    ) -> None:
        raw = service.template_csv()
        assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n")
        header, example = raw.decode("utf-8-sig").strip().split("\r\n")
        assert header.split(",")[:3] == ["证书编号", "姓名", "身份证号"]
        assert example.split(",")[-1] == "示例"  # the example row, labelled
        assert service.import_certificates(session, raw, settings, actor="t") == {
            "imported": 0,
            "encoding": "utf-8-sig",
            "examples_skipped": 1,
        }

    def test_a_filled_in_template_imports_below_its_example(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        rows = [r + ",valid," for r in self.rows(b.filing_no)]
        raw = service.template_csv() + "\r\n".join(rows).encode("utf-8")
        result = service.import_certificates(session, raw, settings, actor="t")
        assert (result["imported"], result["examples_skipped"]) == (2, 1)

    def test_a_number_typed_with_spaces_or_full_width_imports_normalised(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        first, second = self.rows(b.filing_no)
        number = first.split(",")[0]
        spaced = f"{number[:5]} {number[5:13]}\u3000{number[13:]}"
        full = "".join(chr(ord(c) + 0xFEE0) for c in second.split(",")[0])
        rows = [first.replace(number, spaced), second.replace(second.split(",")[0], full)]
        raw = "\n".join([self.HEADER, *rows]).encode("utf-8")
        assert service.import_certificates(session, raw, settings, actor="t")["imported"] == 2
        numbers = set(session.scalars(select(Certificate.number)))
        assert numbers == {number, second.split(",")[0]}

    def test_an_unknown_encoding_is_a_named_error(
        self, session: Session, settings: Settings
    ) -> None:
        raw = self.HEADER.encode() + b"\n\xff\xfe\xfd\xfc\x80\x80\n"
        with pytest.raises(ImportEncodingUnknown):
            service.import_certificates(session, raw, settings, actor="t")

    @pytest.mark.parametrize("size", [201, 131_073, 300_000])
    def test_an_over_long_field_names_line_and_field(
        self, session: Session, settings: Settings, size: int
    ) -> None:
        f.reference(session)
        b = f.body(session)
        first, second = self.rows(b.filing_no)
        long_row = second.replace("李娜", "李" * size)
        text = "\n".join([self.HEADER, first, long_row, first]) + "\n"
        with pytest.raises(ImportFieldTooLong) as err:
            service.import_certificates(session, text, settings, actor="t")
        assert err.value.field == "name" and err.value.extra["line"] == 3
        assert session.scalar(select(func.count()).select_from(Certificate)) == 0

    def test_a_file_over_the_cap_is_refused(
        self, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 1000)
        with pytest.raises(ImportTooLarge):
            service.import_certificates(session, b"x" * 1001, settings, actor="t")

    def test_an_unclosed_quote_is_named_not_swallowed(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        first, second = self.rows(b.filing_no)
        broken = first.replace("张伟", '"张伟')  # the rest of the file becomes one field
        text = "\n".join([self.HEADER, second, broken, *[second] * 20]) + "\n"
        with pytest.raises(ImportFieldTooLong) as err:
            service.import_certificates(session, text, settings, actor="t")
        assert (err.value.extra["line"], err.value.field) == (3, "name")


class TestImportInChunks:
    """On PostgreSQL the good rows go to the registry chunk by chunk while the file is still
    checked (elsewhere at the end): the results are the same, and a refusal found after some
    chunks were sent leaves nothing behind and the caller's transaction usable."""

    HEADER = "number,name,id_number,occupation_code,level,body_code,issued_on"

    def lines(self, filing_no: str, count: int, first: int = 1) -> list[str]:
        return [
            f"S0000464601002440{first + i:05d},持证人{i},"
            f"{f.make_id(f'4403051990{1 + i // 28:02d}{1 + i % 28:02d}{i % 1000:03d}')},"
            f"{f.CARBON},4,{filing_no},2024-01-02"
            for i in range(count)
        ]

    @pytest.fixture(autouse=True)
    def small_chunks(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(imports, "COPY_CHUNK", 4)

    def test_every_row_of_every_chunk_is_imported_with_unique_sorted_tokens(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        text = "\n".join([self.HEADER, *self.lines(b.filing_no, 11)]) + "\n"
        assert service.import_certificates(session, text, settings, actor="t")["imported"] == 11
        certs = list(session.scalars(select(Certificate).order_by(Certificate.id)))
        assert {c.holder_name for c in certs} == {f"持证人{i}" for i in range(11)}
        # Each chunk of four in the order its database's widest B-tree wants (PostgreSQL: the
        # number; SQLite: the keyed hash), with tokens of its own whose time prefix rises by one
        # a chunk: one sorted run over all chunks (the token index's end).
        key = "number" if session.get_bind().dialect.name == "postgresql" else "id_hash"
        for start in (0, 4, 8):
            chunk = [getattr(c, key) for c in certs[start : start + 4]]
            assert chunk == sorted(chunk)
        prefixes = [int(c.verify_token[:8], 16) for c in certs]
        assert prefixes == [prefixes[0]] * 4 + [prefixes[0] + 1] * 4 + [prefixes[0] + 2] * 3
        tokens = [c.verify_token for c in certs]
        assert len(set(tokens)) == 11 and all(len(t) == 32 for t in tokens)
        assert tokens == sorted(tokens)

    def test_a_bad_row_after_sent_chunks_leaves_nothing(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        good = self.lines(b.filing_no, 12)
        bad = good[10].replace(",4,", ",9,")
        text = "\n".join([self.HEADER, *good[:10], bad, good[11], good[0]]) + "\n"
        with pytest.raises(ImportRejected) as err:
            service.import_certificates(session, text, settings, actor="t")
        got = [(r["line"], r["field"]) for r in err.value.extra["rows"]]
        assert got == [(12, "level"), (14, "number")]  # a bad level; line 2 again
        assert session.scalar(select(func.count()).select_from(Certificate)) == 0
        # The caller's transaction is still usable: the same file without its faults imports.
        text = "\n".join([self.HEADER, *good]) + "\n"
        assert service.import_certificates(session, text, settings, actor="t")["imported"] == 12

    def test_numbers_the_registry_holds_are_named_with_their_lines(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        first = self.lines(b.filing_no, 6)
        text = "\n".join([self.HEADER, *first]) + "\n"
        service.import_certificates(session, text, settings, actor="t")
        again = self.lines(b.filing_no, 10, first=5)  # numbers 5 and 6 are registered
        text = "\n".join([self.HEADER, *again]) + "\n"
        with pytest.raises(ImportRejected) as err:
            service.import_certificates(session, text, settings, actor="t")
        assert err.value.extra["rows"] == [
            {
                "line": line,
                "field": "number",
                "reason": f"certificate S0000464601002440000{n:02d} is already in the registry",
            }
            for line, n in ((2, 5), (3, 6))
        ]
        assert session.scalar(select(func.count()).select_from(Certificate)) == 6

    def test_a_refusal_no_number_explains_is_raised_and_leaves_nothing(
        self, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Two rows drawn the same verification token: no number is registered, so the unique
        # index's own error goes up (never a rejection naming no line, never half an import).
        f.reference(session)
        b = f.body(session)
        monkeypatch.setattr(imports, "sorted_tokens", lambda n, prefix=None: ["0" * 32] * n)
        text = "\n".join([self.HEADER, *self.lines(b.filing_no, 3)]) + "\n"
        with pytest.raises(Exception, match="verify_token") as err:
            service.import_certificates(session, text, settings, actor="t")
        assert not isinstance(err.value, ImportRejected)
        assert session.scalar(select(func.count()).select_from(Certificate)) == 0

    def test_a_provincial_clerk_imports_their_province_only(
        self, session: Session, settings: Settings
    ) -> None:
        f.reference(session)
        b = f.body(session)
        text = "\n".join([self.HEADER, *self.lines(b.filing_no, 6)]) + "\n"  # province 46
        with pytest.raises(ImportRejected) as err:
            service.import_certificates(
                session, text, settings, actor="t", scope=Scope(region="440000")
            )
        rows = err.value.extra["rows"]
        assert [(r["line"], r["field"]) for r in rows] == [(n, "number") for n in range(2, 8)]
        assert all("province 46 lies outside your scope" in r["reason"] for r in rows)
        assert session.scalar(select(func.count()).select_from(Certificate)) == 0
        got = service.import_certificates(
            session, text, settings, actor="t", scope=Scope(region="460100")
        )
        assert got["imported"] == 6


def test_the_registry_code_columns_compare_bytes_on_postgresql(session: Session) -> None:
    """certification_0002: the B-trees an import fills compare the number, keyed hash and token
    byte by byte (no locale ``strcoll``), and a number-prefix search can use the index."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite compares bytes by default; the migration changes nothing there")
    collations = dict(
        session.execute(
            text(
                "SELECT a.attname, c.collname FROM pg_attribute a "
                "JOIN pg_collation c ON c.oid = a.attcollation "
                "WHERE a.attrelid = 'cert_certificates'::regclass AND a.attnum > 0"
            )
        ).all()
    )
    assert {k: collations[k] for k in ("number", "id_hash", "verify_token")} == dict.fromkeys(
        ("number", "id_hash", "verify_token"), "C"
    )
    assert collations["holder_name"] == "default"  # a name keeps the locale's order


def test_the_keyed_hash_index_is_a_hash_index_on_postgresql(session: Session) -> None:
    """certification_0003: the look-up by ID goes through a hash index on PostgreSQL (a B-tree on
    SQLite, which ignores the option); either way the query by keyed hash uses it."""
    if session.get_bind().dialect.name != "postgresql":
        plan = session.execute(
            text("EXPLAIN QUERY PLAN SELECT id FROM cert_certificates WHERE id_hash = 'x'")
        ).all()
        assert "ix_cert_certificates_id_hash" in str(plan)
        return
    (definition,) = session.execute(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_cert_certificates_id_hash'")
    ).one()
    assert "USING hash (id_hash)" in definition


def test_a_certificate_names_a_filed_body_on_both_databases(session: Session) -> None:
    """certification_0004: on PostgreSQL the body is checked once per statement by triggers, not
    by the foreign key; the guard is the same on both databases. A statement naming a missing
    body is refused whole, a body that certificates name cannot be deleted or renumbered, and
    one nobody names can."""
    from sqlalchemy.exc import IntegrityError

    from minsheng.certification.models import Body

    f.reference(session)
    b = f.body(session)
    spare_id = f.body(session, code="0002").id
    insert = text(
        "INSERT INTO cert_certificates (number, holder_name, id_hash, id_masked, "
        "occupation_code, level, body_id, issued_on, status, verify_token, imported) VALUES "
        "(:n, '张三', 'h', 'm', :occ, 4, :body, '2024-01-02', 'valid', :n, true)"
    )

    def refused(statement: Any, *params: Any) -> str:
        """The database's refusal of ``statement`` (rolled back to a savepoint)."""
        if isinstance(statement, str):
            statement = text(statement)
        with pytest.raises(IntegrityError) as err, session.begin_nested():
            session.execute(statement, *params)
        return str(err.value.orig)

    good = {"n": "S000046460100244000001", "occ": f.CARBON, "body": b.id}
    missing = {"n": "S000046460100244000002", "occ": f.CARBON, "body": b.id + 1000}
    message = refused(insert, [good, missing])
    assert "foreign key" in message.lower()
    if session.get_bind().dialect.name == "postgresql":
        assert 'constraint "fk_cert_certificates_body_id_cert_bodies"' in message
        assert f"Key (body_id)=({b.id + 1000}) is not present" in message
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0
    session.execute(insert, good)
    refused("UPDATE cert_certificates SET body_id = body_id + 1000")
    session.execute(text("UPDATE cert_certificates SET status = 'suspended'"))  # body unchanged
    refused(f"DELETE FROM cert_bodies WHERE id = {b.id}")
    refused(f"UPDATE cert_bodies SET id = id + 1000 WHERE id = {b.id}")
    session.execute(text(f"UPDATE cert_bodies SET name = '改名' WHERE id = {b.id}"))
    session.execute(text(f"DELETE FROM cert_bodies WHERE id = {spare_id}"))
    session.expire_all()
    assert session.get(Body, spare_id) is None
    assert session.scalar(select(Certificate.body_id)) == b.id
