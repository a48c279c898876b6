"""The CJK font every PDF of the platform is printed with (fpdf2, the one PDF library): WenQuanYi
Micro Hei from Debian's ``fonts-wqy-microhei`` (.ci/tools ``pdf-font``), Noto Sans CJK as a second
choice. fpdf2 embeds the subset of the font that a document uses, with a ToUnicode map, so the
text of every PDF can be extracted and checked. Used by the enforcement documents and the 12356
monthly report."""

from __future__ import annotations

from pathlib import Path

from minsheng.core.errors import DomainError

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


class PdfFontMissing(DomainError):
    """No CJK font on the machine: install fonts-wqy-microhei (.ci/tools)."""

    status_code = 503


def cjk_font() -> Path:
    for path in FONT_CANDIDATES:
        if path.exists():
            return path
    raise PdfFontMissing("no CJK font for the PDF: install the Debian package fonts-wqy-microhei")
