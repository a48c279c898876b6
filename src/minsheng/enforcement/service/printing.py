"""PDF of an issued document, printed with fpdf2 (pure Python, LGPL, maintained) and the
machine's CJK font (``core.pdf``: WenQuanYi Micro Hei from Debian's ``fonts-wqy-microhei``; Noto
Sans CJK as a second choice). The text is the document's ``sections`` — the same as the HTML
page — so the PDF and the page never differ; fpdf2 embeds the font subset with a ToUnicode map,
so the PDF's text can be extracted and checked.
"""

from __future__ import annotations

from minsheng.core.pdf import FONT_CANDIDATES, PdfFontMissing, cjk_font
from minsheng.enforcement.models import Document
from minsheng.enforcement.service.documents import sections

__all__ = ["FONT_CANDIDATES", "PdfFontMissing", "cjk_font", "document_pdf"]


def document_pdf(doc: Document) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font("cjk", fname=str(cjk_font()))
    pdf.set_title(doc.number)
    pdf.add_page()
    parts = sections(doc)
    title, number = parts[0]
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, number, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for heading, text in parts[1:]:
        pdf.set_font("cjk", size=11)
        pdf.multi_cell(0, 7, f"{heading}：{text}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())
