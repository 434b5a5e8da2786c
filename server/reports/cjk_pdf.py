"""The CJK font setup every printable PDF shares (pay slip, 考勤凭证, 工资核对报告)."""

from __future__ import annotations

from fpdf import FPDF

FAMILY = "cjk"


def add_cjk_font(pdf: FPDF, font: tuple[str, int]) -> None:
    """Register `font` (path, index) as the family "cjk".

    A .ttc holds several faces; the index picks the Simplified Chinese one (see find_cjk_font).
    """
    path, index = font
    if path.lower().endswith(".ttc"):
        pdf.add_font(FAMILY, "", path, collection_font_number=index)
    else:
        pdf.add_font(FAMILY, "", path)
