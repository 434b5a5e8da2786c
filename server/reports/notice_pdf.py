"""维权信息告示牌 as a printable A3 poster (fpdf2): the Art. 34 lines in large type and a QR code
to the workers' own pages (/me/ on this server), for the site's gate and canteen.

The QR code is drawn as vector rectangles from segno's module matrix (no image): it prints sharp
at any size and the PDF needs nothing but the CJK font. `qr_runs` is the drawing, as data, so a
test can compare it with what segno says the code is.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from fpdf import FPDF, XPos, YPos

from server.notice.rules import Line
from server.reports.cjk_pdf import FAMILY, CjkPdf, add_cjk_font
from server.reports.payslip_pdf import find_cjk_font

PAGE_W, PAGE_H = 297.0, 420.0  # A3 portrait, mm
MARGIN = 20.0
QR_SIZE = 90.0  # mm: the code's side, quiet zone excluded; scans from a couple of metres
QR_BORDER = 4  # modules of quiet zone, as ISO/IEC 18004 asks


@dataclass(frozen=True, slots=True)
class NoticePoster:
    project_name: str
    project_address: str
    lines: tuple[Line, ...]
    url: str  # the workers' page the QR code opens


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code's dark modules (row by row, no quiet zone). Always a full QR code, never a
    Micro QR, which phone cameras do not read."""
    qr = segno.make_qr(url, error="m")
    return tuple(tuple(bool(v) for v in row) for row in qr.matrix)


def qr_runs(matrix: tuple[tuple[bool, ...], ...]) -> list[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules: one rectangle per
    run keeps the PDF small and leaves no hairline gaps between neighbouring modules."""
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return runs


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    matrix = qr_matrix(url)
    module = size / len(matrix)
    pdf.set_fill_color(255, 255, 255)
    pad = QR_BORDER * module
    pdf.rect(x - pad, y - pad, size + 2 * pad, size + 2 * pad, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, c, n in qr_runs(matrix):
        pdf.rect(x + c * module, y + r * module, n * module, module, style="F")


def notice_pdf(poster: NoticePoster, *, font: tuple[str, int] | None = None) -> bytes:
    pdf = CjkPdf(orientation="P", unit="mm", format="A3")
    add_cjk_font(pdf, font or find_cjk_font())
    pdf.set_title(f"维权信息告示牌 {poster.project_name}")
    pdf.set_creator("SiteGate")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_page()
    width = PAGE_W - 2 * MARGIN
    pdf.set_font(FAMILY, size=44)
    pdf.cell(0, 22, "维权信息告示牌", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=16)
    pdf.cell(0, 9, "Workers' rights notice board", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=20)
    pdf.multi_cell(0, 11, poster.project_name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if poster.project_address:
        pdf.set_font(FAMILY, size=13)
        pdf.multi_cell(0, 7, poster.project_address, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.8)
    pdf.line(MARGIN, pdf.get_y(), PAGE_W - MARGIN, pdf.get_y())
    pdf.ln(4)
    label_w = 112.0
    for line in poster.lines:
        top = pdf.get_y()
        pdf.set_font(FAMILY, size=20)
        pdf.set_xy(MARGIN, top)
        pdf.cell(label_w, 11, line.label_zh, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font(FAMILY, size=22)
        value = line.value or "(未公示 / not posted)"
        if line.phone is not None and line.key == "officer" and line.value:
            value = f"{line.value}  {line.phone.shown}"
        elif line.phone is not None:
            value = line.phone.shown
        pdf.multi_cell(width - label_w, 11, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, size=11)
        pdf.set_x(MARGIN)
        pdf.cell(label_w, 6, line.label_en, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
    pdf.ln(2)
    pdf.set_font(FAMILY, size=14)
    pdf.multi_cell(
        0,
        8,
        "依据《保障农民工工资支付条例》第三十四条公示。工资被拖欠或少发,可向以上部门投诉,"
        "或拨打 12333;需要法律帮助可拨打 12348。",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    qr_y = PAGE_H - MARGIN - QR_SIZE - 24
    qr_x = (PAGE_W - QR_SIZE) / 2
    _draw_qr(pdf, poster.url, qr_x, qr_y, QR_SIZE)
    pdf.set_xy(MARGIN, qr_y + QR_SIZE + 5)
    pdf.set_font(FAMILY, size=14)
    pdf.cell(0, 8, "扫码查看本人考勤与工资 / Scan for your own days and pay", align="C",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    pdf.set_font(FAMILY, size=11)
    pdf.cell(0, 6, poster.url, align="C")
    return bytes(pdf.output())
