"""The CJK font setup every printable PDF shares (pay slip, 考勤凭证, 工资核对报告, 工资支付表),
and the landscape report page the long tables print on."""

from __future__ import annotations

from fpdf import FPDF, XPos, YPos
from fpdf.enums import WrapMode

from server.reports import cjk_font, key_line

FAMILY = "cjk"
_FULL = "cjk-full"

# Tables wrap at spaces: a time ("2026-05-01 19:06:03"), a gate code or an English heading word
# stays whole on its line. A run without spaces wider than its column (a Chinese phrase) is
# still broken between characters, which is where Chinese may break.
TABLE_WRAP = WrapMode.WORD


def _add(pdf: FPDF, family: str, font: tuple[str, int]) -> None:
    # A .ttc holds several faces; the index picks the Simplified Chinese one (find_cjk_font).
    path, index = font
    if path.lower().endswith(".ttc"):
        pdf.add_font(family, "", path, collection_font_number=index)
    else:
        pdf.add_font(family, "", path)


class CjkPdf(FPDF):
    """A PDF whose family "cjk" is the small copy of the CJK font when it is ready
    (server/reports/cjk_font.py), with the full font read only when a character outside the
    copy is printed, and then only for that character."""

    _full_font: tuple[str, int] | None = None

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        if self._full_font is None:
            return None
        if _FULL not in self.fonts:
            _add(self, _FULL, self._full_font)
        cmap = getattr(self.fonts[_FULL], "cmap", {})
        return _FULL if ord(char) in cmap else None

    def _render_footer(self) -> None:
        # Every page of every report, under the report's own footer (if it has one): the
        # server's signing key, so a printed copy anchors it (server/reports/key_line.py).
        super()._render_footer()
        self.in_footer = True  # no page break while writing at the foot
        self.set_xy(self.l_margin, self.h - 6)
        self.set_font(FAMILY, size=6)
        self.cell(self.w - self.l_margin - self.r_margin, 3.5, key_line.text(), align="C")
        self.in_footer = False


def add_cjk_font(pdf: CjkPdf, font: tuple[str, int]) -> None:
    """Register `font` (path, index) as the family "cjk", through its small copy when ready."""
    fast = cjk_font.fast_font(font)
    if fast is None:
        _add(pdf, FAMILY, font)
        return
    _add(pdf, FAMILY, (fast, 0))
    pdf._full_font = font
    # fpdf2 asks get_fallback_font only while some fallback is named; naming the full font's
    # id before it is read (it is added on the first character that needs it) keeps the full
    # font unread for the documents that never need it.
    pdf._fallback_font_ids = [_FULL]


class LandscapeReport(CjkPdf):
    """A4 landscape with the CJK font, a footer naming the document and its page, and headings
    that never sit alone at the foot of a page."""

    def __init__(self, font: tuple[str, int], footer_text: str, *, bottom_mm: float = 15) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        add_cjk_font(self, font)
        self.footer_text = footer_text
        self.set_auto_page_break(auto=True, margin=bottom_mm)
        self.set_margins(12, 12, 12)

    def footer(self) -> None:
        # A loose printed page must still say which document it belongs to and where it sits.
        self.set_y(-10)
        self.set_font(FAMILY, size=7)
        self.cell(0, 5, f"{self.footer_text} · 第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")

    def heading(self, text: str, *, size: float = 12, height: float = 8) -> None:
        if self.will_page_break(20):
            self.add_page()
        self.ln(3 if size >= 12 else 2)
        self.set_font(FAMILY, size=size)
        self.cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
