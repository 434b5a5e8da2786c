"""工资核对报告 (wage reconciliation report) of a project × month as a printable A4 PDF (fpdf2).

What an inspector prints, acts on and signs: the project's level with the findings counted per
level and status, the thresholds in force, every finding with how it was resolved or waived, the
per-worker table with totals, what the figures rest on, and signature lines. Landscape, because
the per-worker table has nine columns. `recon_pdf` is pure over the reconciliation summary
(server/reconciliation/service.summary, the same data the page and the XLSX show); only
`resolution_comments` reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from fpdf import FontFace
from fpdf.enums import Align, TableCellFillMode, XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import WarningLevel
from models.money import Fen, format_yuan
from server.auth.models import User
from server.reconciliation.models import FindingEvent
from server.reconciliation.service import CHAIN_BREAK, FindingView, ReconSummary
from server.reports.cjk_pdf import FAMILY, TABLE_WRAP, LandscapeReport
from server.reports.payslip_pdf import find_cjk_font
from server.reports.reconciliation_xlsx import (
    FINDING_STATUS_TEXT,
    LEVEL_TEXT,
    PREVIEW_TEXT,
    STATUS_TEXT,
    WAGE_KIND_TEXT,
)

TITLE = "工资核对报告 / Wage reconciliation report"
KIND_TEXT = {
    "UNPAID": "未发工资 unpaid",
    "UNDERPAID": "少发 underpaid",
    "DAYS_MISMATCH": "天数不符 days mismatch",
    "PAID_WITHOUT_ATTENDANCE": "无考勤有发放 paid without attendance",
    "UNKNOWN_PAYEE": "收款人未登记 unknown payee",
    "NAME_MISMATCH": "姓名不符 name mismatch",
    "ACCOUNT_NOT_WORKERS": "非本人账户 not the worker's account",
    "LATE": "逾期发放 late",
    "FAILED_TRANSFER": "转账失败 failed transfer",
    "DUPLICATE_PAYMENT": "重复发放 duplicate payment",
    "PAID_NOT_AS_CONFIRMED": "实发与本人确认不符 paid not as confirmed",
    "PAYROLL_NOT_CONFIRMED": "工资表未经本人确认 wage sheet not confirmed",
    "PAYROLL_DISPUTED": "工资表异议未处理 wage sheet disputed",
    "NO_PAYROLL_SHEET": "无工资支付表 no wage sheet",
    "PAID_NOT_FROM_WAGE_ACCOUNT": "非专用账户发放 not paid from the wage account",
    "LABOUR_COST_NOT_ALLOCATED": "人工费用未拨付 labour cost not allocated",
    "WAGE_ACCOUNT_SHORT": "专户余额不足 wage account short",
    CHAIN_BREAK: "闸机记录链断 gate chain break",
}
LEVELS = (WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW)
FINDING_STATUSES = ("open", "resolved", "waived", "gone")
# Light fills: the level must still read on a grey-scale printer, so the text says it too.
LEVEL_RGB = {
    WarningLevel.RED: (255, 150, 150),
    WarningLevel.ORANGE: (255, 205, 140),
    WarningLevel.YELLOW: (255, 240, 140),
    WarningLevel.GREEN: (200, 235, 190),
}
_HEAD = FontFace(emphasis="", fill_color=(221, 235, 247))
_TOTAL = FontFace(emphasis="", fill_color=(235, 235, 235))
_LEVEL_FACE = {level: FontFace(emphasis="", fill_color=rgb) for level, rgb in LEVEL_RGB.items()}
_LEFT, _RIGHT = Align.L, Align.R


def _yuan(fen: Fen | None) -> str:
    return "-" if fen is None else f"¥{format_yuan(fen)}"


def _days(value: float) -> str:
    return f"{value:g}"


class _Doc(LandscapeReport):
    def heading(self, text: str, *, size: float = 12, height: float = 8) -> None:
        super().heading(text, size=size, height=height)
        self.set_font(FAMILY, size=8)

    def grid(
        self,
        widths: Sequence[float],
        align: Sequence[Align],
        headings: Sequence[str],
        rows: Iterable[tuple[Sequence[str], Sequence[FontFace | None]]],
        total: Sequence[str] | None = None,
    ) -> None:
        """A wrapped table; the heading repeats on every page it spans. A cell is filled only by
        its own style: fpdf2 takes the table's base style from the current fill colour, so the
        level colour of the facts above would otherwise fill every cell."""
        self.set_fill_color(0)  # the default (no fill in the base style)
        with self.table(
            col_widths=tuple(widths),
            width=sum(widths),
            align=Align.L,
            headings_style=_HEAD,
            line_height=4,
            text_align=tuple(align),
            wrapmode=TABLE_WRAP,
            cell_fill_mode=TableCellFillMode.NONE,
            padding=0.8,
            repeat_headings=1,
        ) as table:
            head = table.row()
            for text in headings:
                head.cell(text)
            for values, faces in rows:
                row = table.row()
                for text, face in zip(values, faces, strict=True):
                    row.cell(text, style=face)
            if total is not None:
                row = table.row(style=_TOTAL)
                for text in total:
                    row.cell(text)


def _facts(pdf: _Doc, rows: Sequence[tuple[str, str]], level: WarningLevel) -> None:
    pdf.set_font(FAMILY, size=9)
    for label, value in rows:
        fill = label.startswith("预警级别")
        if fill:
            pdf.set_fill_color(*LEVEL_RGB[level])
        pdf.cell(50, 6, label, border=1, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.cell(0, 6, value, border=1, fill=fill, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def statement(summary: ReconSummary) -> str:
    breaks = sum(1 for f in summary.findings if f.kind == CHAIN_BREAK)
    open_breaks = sum(1 for f in summary.findings if f.kind == CHAIN_BREAK and f.status == "open")
    corrected = sum(r.corrected_days for r in summary.rows)
    return (
        "出勤天数来自闸机记录:每台闸机的记录带签名并首尾相连成哈希链,入库时逐台校验;补卡是人工"
        f"录入,不是闸机记录,单列为“补卡天数”(本月合计 {corrected} 天)。应发按登记的计薪方式"
        "计算(计件无应发金额),实发来自导入的银行代发结果。本月入库时记录的闸机记录链断:"
        f"{breaks} 处(其中未处理 {open_breaks} 处,见预警明细 CHAIN_BREAK)。\n"
        "Attended days come from gate records: each gate signs its records and chains them "
        "by hash, and every gate's chain is checked on ingest. Manual corrections are not gate "
        f"records and are shown apart as 'corrected days' ({corrected} this month). Expected "
        "pay follows the registered wage terms (piece rate has no expected amount); paid "
        "amounts come from the imported bank disbursement results. Gate chain breaks recorded "
        f"on ingest this month: {breaks} ({open_breaks} open; see the CHAIN_BREAK findings)."
    )


def recon_pdf(
    summary: ReconSummary,
    *,
    generated_at: dt.datetime,
    time_zone: str,
    comments: Mapping[int, str] | None = None,
    font: tuple[str, int] | None = None,
) -> bytes:
    """The printable 工资核对报告 of `summary`.

    `generated_at` is aware and shown in `time_zone` (the project's); `comments` maps a resolved
    or waived finding's id to the comment it was closed with (see `resolution_comments`).
    """
    comments = comments or {}
    generated = generated_at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M")
    pdf = _Doc(
        font or find_cjk_font(),
        f"工资核对报告 {summary.project_code} {summary.period} · 生成 {generated}",
    )
    pdf.set_title(f"工资核对报告 {summary.project_name} {summary.period}")
    pdf.set_creator("SiteGate")
    pdf.add_page()
    pdf.set_font(FAMILY, size=16)
    pdf.cell(0, 10, TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    attended = sum(1 for r in summary.rows if r.attended_days)
    _facts(
        pdf,
        (
            ("项目 Project", f"{summary.project_name}({summary.project_code})"),
            ("工资所属期 Period", summary.period),
            ("发薪日 Pay day", summary.pay_day.isoformat()),
            ("核对日期 As of", summary.today.isoformat()),
            ("生成时间 Generated at", f"{generated}({time_zone})"),
            (
                "人数 Workers",
                f"在册 {len(summary.rows)} 人,有出勤 {attended} 人 / "
                f"{len(summary.rows)} on the roster, {attended} attended",
            ),
            ("预警级别 Warning level", LEVEL_TEXT[summary.level]),
            *(
                [
                    (
                        "已过期 Stale",
                        f"核对后考勤已变更({summary.stale_reason_zh}),须重新核对 / "
                        "changed after the run: run it again",
                    )
                ]
                if summary.stale
                else []
            ),
            *((("核对方式 Basis", PREVIEW_TEXT),) if not summary.stored else ()),
        ),
        summary.level,
    )

    pdf.heading("预警统计 / Findings per level and status")
    counts = {(lv, st): 0 for lv in LEVELS for st in FINDING_STATUSES}
    for f in summary.findings:
        if (f.level, f.status) in counts:
            counts[(f.level, f.status)] += 1
    pdf.grid(
        (40, 30, 30, 30, 30, 30),
        (_LEFT, _RIGHT, _RIGHT, _RIGHT, _RIGHT, _RIGHT),
        ("级别 Level", *(FINDING_STATUS_TEXT[s] for s in FINDING_STATUSES), "合计 Total"),
        (
            (
                (
                    LEVEL_TEXT[lv],
                    *(str(counts[(lv, st)]) for st in FINDING_STATUSES),
                    str(sum(counts[(lv, st)] for st in FINDING_STATUSES)),
                ),
                (_LEVEL_FACE[lv], None, None, None, None, None),
            )
            for lv in LEVELS
        ),
        total=(
            "合计 Total",
            *(str(sum(counts[(lv, st)] for lv in LEVELS)) for st in FINDING_STATUSES),
            str(len(summary.findings)),
        ),
    )

    pdf.heading("核对规则 / Rules in force")
    pdf.set_font(FAMILY, size=8)
    for note in summary.rule_notes:
        pdf.multi_cell(0, 4.5, f"· {note}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(
        0,
        4.5,
        "· 项目预警级别取未处理预警中的最高级别;解决或豁免须填写说明,历史保留。/ The project's "
        "level is the highest among open findings; resolving or waiving needs a comment and the "
        "history stays.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )

    pdf.heading(f"预警明细 / Findings ({len(summary.findings)})")
    if summary.findings:
        pdf.grid(
            (22, 40, 26, 105, 20, 60),
            (_LEFT,) * 6,
            (
                "级别 Level",
                "类型 Kind",
                "工人 Worker",
                "说明 Message",
                "状态 Status",
                "处理说明 Resolution",
            ),
            (_finding_row(f, comments) for f in summary.findings),
        )
    else:
        pdf.cell(0, 6, "本月无预警 / no findings this month", border=1)
        pdf.ln(6)

    pdf.heading(f"工人明细 / Workers ({len(summary.rows)})")
    expected = [r.expected_fen for r in summary.rows if r.expected_fen is not None]
    differences = [r.difference_fen for r in summary.rows if r.difference_fen is not None]
    pdf.grid(
        (34, 38, 22, 18, 18, 30, 30, 30, 53),
        (_LEFT, _LEFT, _LEFT, _RIGHT, _RIGHT, _RIGHT, _RIGHT, _RIGHT, _LEFT),
        (
            "姓名 Name",
            "身份证号 ID number",
            "计薪方式 Wage kind",
            "出勤天数 Days",
            "补卡天数 Corrected",
            "应发 Expected",
            "实发 Paid",
            "差额 Difference",
            "状态 Status",
        ),
        (
            (
                (
                    r.name,
                    r.id_number_masked,
                    WAGE_KIND_TEXT.get(r.wage_kind, r.wage_kind),
                    _days(r.attended_days),
                    str(r.corrected_days),
                    _yuan(r.expected_fen),
                    _yuan(r.paid_fen),
                    _yuan(r.difference_fen),
                    STATUS_TEXT.get(r.status.value, r.status.value)
                    + ("" if r.level is WarningLevel.GREEN else f"({LEVEL_TEXT[r.level]})"),
                ),
                (*(None,) * 8, None if r.level is WarningLevel.GREEN else _LEVEL_FACE[r.level]),
            )
            for r in summary.rows
        ),
        total=(
            f"合计 Total ({len(summary.rows)})",
            "",
            "",
            _days(sum(r.attended_days for r in summary.rows)),
            str(sum(r.corrected_days for r in summary.rows)),
            _yuan(sum(expected)) if expected else "-",
            _yuan(sum(r.paid_fen for r in summary.rows)),
            _yuan(sum(differences)) if differences else "-",
            "",
        ),
    )

    pdf.heading("数据依据 / What the figures rest on")
    pdf.multi_cell(0, 4.5, statement(summary), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if pdf.will_page_break(30):  # the signatures stay together, after the figures they sign
        pdf.add_page()
    pdf.ln(12)
    pdf.set_font(FAMILY, size=11)
    line = "_" * 28
    pdf.cell(135, 8, f"监察员 / Inspector: {line}", new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.cell(0, 8, f"日期 / Date: {line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _finding_row(
    f: FindingView, comments: Mapping[int, str]
) -> tuple[Sequence[str], Sequence[FontFace | None]]:
    resolution = comments.get(f.id, "") if f.status in ("resolved", "waived") else ""
    return (
        (
            LEVEL_TEXT[f.level],
            KIND_TEXT.get(f.kind, f.kind),
            f.worker_name or "-",
            f.message_zh,
            FINDING_STATUS_TEXT.get(f.status, f.status),
            resolution or ("-" if f.status in ("open", "gone") else "(无说明 none)"),
        ),
        (_LEVEL_FACE[f.level], None, None, None, None, None),
    )


def resolution_comments(session: Session, findings: Iterable[FindingView]) -> dict[int, str]:
    """finding id -> the comment (and who) of the latest resolve/waive of each closed finding."""
    closed = [f.id for f in findings if f.status in ("resolved", "waived")]
    if not closed:
        return {}
    out: dict[int, str] = {}
    stmt = (
        select(FindingEvent, User.full_name, User.username)
        .outerjoin(User, User.id == FindingEvent.user_id)
        .where(
            FindingEvent.finding_id.in_(closed),
            FindingEvent.action.in_(("resolved", "waived")),
        )
        .order_by(FindingEvent.at, FindingEvent.id)
    )
    for event, full_name, username in session.execute(stmt):
        who = full_name or username
        out[event.finding_id] = f"{event.comment}({who})" if who else event.comment
    return out
