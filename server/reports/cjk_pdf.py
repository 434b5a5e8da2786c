"""The CJK font setup every printable PDF shares (pay slip, 考勤凭证, 工资核对报告, 工资支付表),
and the landscape report page the long tables print on."""

from __future__ import annotations

from fpdf import FPDF, XPos, YPos
from fpdf.enums import WrapMode

FAMILY = "cjk"

# Tables wrap at spaces: a time ("2026-05-01 19:06:03"), a gate code or an English heading word
# stays whole on its line. A run without spaces wider than its column (a Chinese phrase) is
# still broken between characters, which is where Chinese may break.
TABLE_WRAP = WrapMode.WORD


def add_cjk_font(pdf: FPDF, font: tuple[str, int]) -> None:
    """Register `font` (path, index) as the family "cjk".

    A .ttc holds several faces; the index picks the Simplified Chinese one (see find_cjk_font).
    """
    path, index = font
    if path.lower().endswith(".ttc"):
        pdf.add_font(FAMILY, "", path, collection_font_number=index)
    else:
        pdf.add_font(FAMILY, "", path)


class LandscapeReport(FPDF):
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
