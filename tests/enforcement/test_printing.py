"""PDF of the bureau's documents (fpdf2 with the machine's CJK font, .ci/tools ``pdf-font``): a
行政处罚决定书 carries every item of 《行政处罚法》第五十九条 in its extracted text, and the API and
staff pages serve it."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from minsheng.enforcement import schemas, service
from minsheng.enforcement.models import Case, Document, Party
from minsheng.enforcement.service import printing
from tests.conftest import Cli
from tests.enforcement import factories as f
from tests.enforcement.test_procedure import (
    ACTOR,
    ADDRESS,
    art59_items,
    facts,
    final,
    open_case,
    propose,
    step,
)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def decided(session: Session) -> tuple[Party, Case, Document]:
    firm = f.organisation(session, category="construction_firm", name="海南测试建设有限公司")
    team = f.officers(session)
    case = open_case(session, firm, team, "GC-01", date(2026, 6, 1))
    service.add_evidence(
        session,
        case.id,
        filename="现场照片.jpg",
        content=b"jpeg",
        officer="王执法",
        actor=ACTOR,
        max_bytes=100,
    )
    facts(session, case, team, "general")
    propose(session, case, 50000, date(2026, 6, 2))
    step(service.pre_notify, session, case, schemas.PriorNotice(notice_on=date(2026, 6, 3)))
    step(
        service.record_statement,
        session,
        case,
        schemas.Statement(waived=True, stated_on=date(2026, 6, 3)),
    )
    final(session, case, date(2026, 6, 26), party_address=ADDRESS)
    doc = service.list_documents(session, case_id=case.id)[-1]
    assert doc.kind == "penalty_decision"
    return firm, case, doc


def test_the_decision_pdf_states_every_art_59_item(session: Session) -> None:
    firm, _case, doc = decided(session)
    pdf = printing.document_pdf(doc)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for item, words in art59_items(doc, firm, 50000).items():
        for word in words:
            assert re.sub(r"\s+", "", word) in text, (item, word)
    assert doc.number in text


def test_api_and_staff_page_serve_the_document(
    client: TestClient,
    staff_token: Callable[[str], dict[str, str]],
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        _firm, case, doc = decided(s)
        s.commit()
        doc_id, case_id, number = doc.id, case.id, doc.number
    h = staff_token("enforcement")
    listed = client.get(f"/api/enforcement/cases/{case_id}/documents", headers=h).json()
    assert [d["kind"] for d in listed] == ["prior_notice", "penalty_decision"]
    r = client.get(f"/api/enforcement/documents/{doc_id}/pdf", headers=h)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert number in pdf_text(r.content)
    shown = client.get(f"/api/enforcement/documents/{doc_id}", headers=h).json()
    assert shown["issued_on_cn"] == "2026年6月26日"
    assert client.get("/api/enforcement/documents/999999", headers=h).json()["error"] == (
        "DocumentNotFound"
    )


def test_cli_writes_the_pdf(
    cli: Cli, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_factory() as s:
        _firm, _case, doc = decided(s)
        s.commit()
        doc_id, number = doc.id, doc.number
    out = tmp_path / "decision.pdf"
    r = cli("enforcement", "documents", "pdf", str(doc_id), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["bytes"] == out.stat().st_size
    assert number in pdf_text(out.read_bytes())
