"""工资支付表 as a printable A4 landscape PDF (fpdf2): what the firm, the general contractor and
the workers sign. The header facts (project, employing firm, month, the paying account masked,
state, lock time and reason), one row per worker with every addition and deduction summarised
and the worker's confirmation, a totals row equal to the sheet's net total, the disputes with
their resolutions, and the signature lines (编制人, 审核人, 总包单位).

Pure over the snapshot in server/reports/wage_sheet (the figures the page and the XLSX show).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from fpdf import FontFace
from fpdf.enums import Align, TableCellFillMode, XPos, YPos

from server.reports import wage_sheet as layout
from server.reports.cjk_pdf import FAMILY, TABLE_WRAP, LandscapeReport
from server.reports.payslip_pdf import find_cjk_font
from server.reports.wage_sheet_xlsx import header_lines, note_of
from server.wages import rules

_HEAD = FontFace(emphasis="", fill_color=(221, 235, 247))
_TOTAL = FontFace(emphasis="", fill_color=(235, 235, 235))
_WARN = FontFace(emphasis="", fill_color=(255, 242, 204))
_L, _R = Align.L, Align.R

# 273 mm between the margins of a landscape A4 page.
LINE_COLUMNS: tuple[tuple[str, float, Align], ...] = (
    ("序号\nNo.", 7, _R),
    ("姓名\nName", 15, _L),
    ("身份证号\nID number", 26, _L),
    ("班组/工种\nTeam/trade", 19, _L),
    ("天数/工时\nDays/h", 13, _R),
    ("计薪\nTerms", 16, _L),
    ("基本工资\nBase", 16, _R),
    ("加项\nAdditions", 28, _L),
    ("扣项\nDeductions", 24, _L),
    ("应发\nGross", 16, _R),
    ("扣款\nDeducted", 15, _R),
    ("实发\nNet", 16, _R),
    ("工资卡\nWage card", 29, _L),
    ("工人确认\nConfirmation", 33, _L),
)
DISPUTE_COLUMNS: tuple[tuple[str, float, Align], ...] = (
    ("姓名 Name", 18, _L),
    ("提出时间 Raised", 24, _L),
    ("主张 Claimed", 28, _L),
    ("异议说明 Worker's comment", 70, _L),
    ("状态 Status", 24, _L),
    ("处理 Resolution", 109, _L),
)
_WAITING = (rules.LineState.DRAFT, rules.LineState.AWAITING, rules.LineState.DISPUTED)


class _Doc(LandscapeReport):
    def __init__(self, font: tuple[str, int], footer_text: str) -> None:
        super().__init__(font, footer_text, bottom_mm=14)

    def heading(self, text: str, *, size: float = 11, height: float = 7) -> None:
        super().heading(text, size=size, height=height)

    def grid(
        self,
        columns: Sequence[tuple[str, float, Align]],
        rows: Iterable[tuple[Sequence[str], FontFace | None]],
        total: Sequence[str] | None = None,
    ) -> None:
        """A wrapped table whose heading repeats on every page it spans."""
        self.set_font(FAMILY, size=7)
        with self.table(
            col_widths=tuple(w for _, w, _ in columns),
            width=sum(w for _, w, _ in columns),
            align=Align.L,
            headings_style=_HEAD,
            line_height=3.4,
            text_align=tuple(a for _, _, a in columns),
            wrapmode=TABLE_WRAP,
            cell_fill_mode=TableCellFillMode.NONE,
            padding=0.7,
            repeat_headings=1,
        ) as table:
            head = table.row()
            for title, _, _ in columns:
                head.cell(title)
            for values, face in rows:
                row = table.row(style=face)
                for text in values:
                    row.cell(text)
            if total is not None:
                row = table.row(style=_TOTAL)
                for text in total:
                    row.cell(text)


def _terms(line: layout.LineRow) -> str:
    kind = layout.WAGE_KIND_TEXT.get(line.wage_kind, line.wage_kind).split(" ")[0]
    return kind if line.wage_kind == "piece" else f"{kind} {layout.yuan(line.rate_fen)}"


def _line_cells(n: int, line: layout.LineRow, doc: layout.SheetDoc) -> list[str]:
    confirmation = line.confirmation_zh(doc.zone)
    note = note_of(line)
    if line.stale:
        confirmation += "\n考勤已变动,待刷新"
    elif note:
        confirmation += f"\n{note.split(' / ')[0]}"
    return [
        str(n),
        line.name,
        line.id_number_masked,
        " / ".join(x for x in (line.team_name, line.trade) if x) or "-",
        f"{line.days} / {line.hours}",
        _terms(line),
        layout.yuan(line.base_fen),
        "\n".join(i.summary() for i in line.additions) or "-",
        "\n".join(i.summary() for i in line.deductions) or "-",
        layout.yuan(line.gross_fen),
        layout.yuan(line.deductions_fen),
        layout.yuan(line.net_fen),
        " ".join(x for x in (line.bank_card_masked, line.bank_name) if x) or "-",
        confirmation,
    ]


def _local(value: dt.datetime | None, doc: layout.SheetDoc) -> str:
    return "-" if value is None else value.astimezone(doc.zone).strftime("%Y-%m-%d %H:%M")


def _dispute_cells(d: layout.DisputeRow, doc: layout.SheetDoc) -> list[str]:
    claims = []
    if d.claimed_days:
        claims.append(f"{d.claimed_days} 天")
    if d.claimed_net_fen is not None:
        claims.append(f"¥{layout.yuan(d.claimed_net_fen)}")
    resolution = "-"
    if d.resolved_at is not None:
        by = f"({d.resolved_by})" if d.resolved_by else ""
        resolution = f"{_local(d.resolved_at, doc)}{by}: {d.resolution or ''}"
    return [
        d.name,
        _local(d.at, doc),
        ",".join(claims) or "-",
        d.comment,
        layout.DISPUTE_STATUS_PRINT[d.status],
        resolution,
    ]


def wage_sheet_pdf(
    doc: layout.SheetDoc,
    *,
    generated_at: dt.datetime,
    font: tuple[str, int] | None = None,
) -> bytes:
    pdf = _Doc(
        font or find_cjk_font(),
        f"工资支付表 {doc.project_code} {doc.company_name} {doc.period} · "
        f"{doc.state.text[0]} · 生成 {_local(generated_at, doc)}",
    )
    pdf.set_title(doc.title_line())
    pdf.set_creator("SiteGate")
    pdf.add_page()
    pdf.set_font(FAMILY, size=15)
    pdf.cell(0, 9, layout.TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=11)
    pdf.cell(0, 7, doc.title_line(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=8)
    for text in header_lines(doc, generated_at):
        pdf.multi_cell(0, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.lock_reason:
        pdf.set_fill_color(255, 242, 204)
        pdf.multi_cell(
            0,
            5,
            f"强制锁定原因 / Locked anyway because: {doc.lock_reason}",
            border=1,
            fill=True,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_fill_color(255, 255, 255)  # the table fills only the rows that wait
    pdf.ln(2)

    counts = doc.counts
    pdf.grid(
        LINE_COLUMNS,
        (
            (_line_cells(n, line, doc), _WARN if line.state in _WAITING else None)
            for n, line in enumerate(doc.lines, start=1)
        ),
        total=(
            "",
            f"合计 Total {len(doc.lines)} 人",
            "",
            "",
            doc.total_days_text,
            "",
            layout.yuan(doc.total("base_fen")),
            layout.yuan(doc.total("piece_fen") + doc.total("additions_fen")),
            layout.yuan(doc.total("deductions_fen")),
            layout.yuan(doc.total("gross_fen")),
            layout.yuan(doc.total("deductions_fen")),
            layout.yuan(doc.total("net_fen")),
            "",
            ";".join(
                f"{layout.LINE_STATE_PRINT[s]} {counts[s]}"
                for s in layout.LINE_STATE_PRINT
                if counts[s]
            ),
        ),
    )

    if doc.disputes:
        pdf.heading(f"异议及处理 / Disputes ({len(doc.disputes)})")
        pdf.grid(DISPUTE_COLUMNS, ((_dispute_cells(d, doc), None) for d in doc.disputes))

    if pdf.will_page_break(26):  # the signatures stay together, after the figures they sign
        pdf.add_page()
    pdf.ln(4)
    width = 273 / len(layout.SIGNATURES)
    pdf.set_font(FAMILY, size=9)
    for label in layout.SIGNATURES:
        pdf.cell(width, 6, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.ln(11)
    for _ in layout.SIGNATURES:
        pdf.cell(width, 6, f"签字 {'_' * 14}  日期 {'_' * 10}", new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.ln(6)
    if doc.general_contractor:
        pdf.set_font(FAMILY, size=8)
        pdf.cell(0, 5, f"总包单位 / General contractor: {doc.general_contractor}")
    return bytes(pdf.output())
