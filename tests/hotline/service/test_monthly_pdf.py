"""The monthly report as PDF (fpdf2 with the machine's CJK font, .ci/tools ``report-font``): the
text extracted from the PDF holds the title, every column, each province's and line's figures as
the report dict has them, and the definitions."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from pypdf import PdfReader
from sqlalchemy.orm import Session

from minsheng.core.config import Settings
from minsheng.core.timeutil import BEIJING
from minsheng.hotline import demo, service
from minsheng.hotline.service.monthly_files import COLUMNS, _fmt


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_pdf_carries_the_figures_of_the_report(session: Session, settings: Settings) -> None:
    demo.load(session, settings=settings, days=1, calls_per_day=150)
    report = service.monthly_report(
        session, settings, month=date(2025, 6, 1), as_of=datetime(2025, 7, 1, 9, tzinfo=BEIJING)
    )
    pdf = service.monthly_pdf(report)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "12356心理援助热线月度报表2025-06" in text
    assert "一、按省汇总" in text and "二、各热线" in text and "三、指标定义" in text
    for _, label in COLUMNS:
        assert re.sub(r"\s+", "", label) in text or all(ch in text for ch in label), label
    for p in report["provinces"]:
        assert p["name"] in text
    offered = [line["offered"] for line in report["lines"] if line["offered"]]
    assert offered, "the demo day has calls"
    for line in report["lines"]:
        assert line["hotline_id"] in text
        # The figures of a line appear in the order of the columns.
        figures = [_fmt(k, line[k]) for k in ("offered", "answered", "answer_rate")]
        assert "".join(figures) in text, (line["hotline_id"], figures)
    total = report["total"]
    assert _fmt("offered", total["offered"]) in text
    for key in report["definitions"]:
        assert key in text


def test_the_pdf_is_the_same_for_the_same_report(session: Session, settings: Settings) -> None:
    demo.load(session, settings=settings, days=1, calls_per_day=20)
    report = service.monthly_report(
        session, settings, month=date(2025, 6, 1), as_of=datetime(2025, 7, 1, 9, tzinfo=BEIJING)
    )
    assert service.monthly_pdf(report) == service.monthly_pdf(report)
