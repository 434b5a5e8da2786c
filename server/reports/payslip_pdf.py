"""工资清单 (pay slip) of one worker and month as a printable A4 PDF (fpdf2).

Chinese text needs a CJK font: `SITEGATE_CJK_FONT` (a .ttf/.otf/.ttc path), else a known system
font (Debian: fonts-noto-cjk or fonts-wqy-microhei), else whatever `fc-list :lang=zh` finds. With
none, `CjkFontMissingError` says what to install.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from fpdf.enums import XPos, YPos

from models.money import Fen, format_yuan
from server.errors import SiteGateError
from server.payroll.service import PaySlip
from server.reports.cjk_pdf import CjkPdf, add_cjk_font

FONT_ENV = "SITEGATE_CJK_FONT"
# (path, index inside a .ttc): Simplified Chinese face first.
KNOWN_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
)
STATUS_TEXT = {
    "paid": ("已发放", "paid"),
    "underpaid": ("少发", "underpaid"),
    "unpaid": ("未发放", "unpaid"),
    "not_yet_due": ("未到发薪日", "not yet due"),
    "paid_without_attendance": ("无考勤有发放", "paid without attendance"),
    "nothing_due": ("本月无出勤", "no attendance this month"),
}
LINE_STATUS_TEXT = {"success": "成功 success", "failed": "失败 failed", "returned": "退汇 returned"}
WAGE_KIND_TEXT = {"daily": "日薪 daily", "monthly": "月薪 monthly", "piece": "计件 piece rate"}


class CjkFontMissingError(SiteGateError):
    # 503, not 500: the server is fine but cannot print until a font is installed; the
    # message says which one.
    code = "reports.no_cjk_font"
    status_code = 503


def _fc_list() -> tuple[str, int] | None:
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [exe, ":lang=zh", "file", "index"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in sorted(out.splitlines()):
        path, _, rest = line.partition(":")
        path = path.strip()
        if not path.lower().endswith((".ttf", ".otf", ".ttc")):
            continue
        index = rest.strip().removeprefix("index=").strip()
        return path, int(index) if index.isdigit() else 0
    return None


@functools.cache
def find_cjk_font() -> tuple[str, int]:
    """(font file, index in a collection) for Chinese text, or CjkFontMissingError."""
    configured = os.environ.get(FONT_ENV)
    if configured:
        if not Path(configured).is_file():
            raise CjkFontMissingError(
                f"环境变量 {FONT_ENV} 指向的字体文件不存在: {configured}",
                f"{FONT_ENV} points to a missing font file: {configured}",
            )
        return configured, 0
    for path, index in KNOWN_FONTS:
        if Path(path).is_file():
            return path, index
    found = _fc_list()
    if found is not None:
        return found
    raise CjkFontMissingError(
        "找不到中文字体,无法生成工资清单 PDF。请安装 fonts-noto-cjk 或 fonts-wqy-microhei "
        f"(apt-get install fonts-noto-cjk),或设置 {FONT_ENV}",
        "no Chinese (CJK) font found for the pay slip PDF: install fonts-noto-cjk or "
        f"fonts-wqy-microhei (apt-get install fonts-noto-cjk), or set {FONT_ENV}",
    )


def _yuan(fen: Fen | None) -> str:
    return "-" if fen is None else f"¥{format_yuan(fen)}"


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


class _Slip(CjkPdf):
    def __init__(self, font: tuple[str, int]) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        add_cjk_font(self, font)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(18, 18, 18)

    def kv(self, label: str, value: str) -> None:
        self.set_font("cjk", size=10)
        self.cell(55, 7, label, border=1, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.cell(0, 7, value, border=1, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def payslip_pdf(slip: PaySlip, *, font: tuple[str, int] | None = None) -> bytes:
    """The printable 工资清单 of `slip`: identity (masked), attendance, terms, amounts, payments."""
    pdf = _Slip(font or find_cjk_font())
    pdf.set_title(f"工资清单 {slip.worker_name} {slip.period}")
    pdf.set_creator("SiteGate")
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, "工资清单 / Pay slip", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=10)
    pdf.cell(
        0,
        7,
        f"{slip.project_name}({slip.project_code})  工资所属期 Period: {slip.period}",
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)
    zh, en = STATUS_TEXT.get(slip.status.value, (slip.status.value, slip.status.value))
    rows = (
        ("姓名 Name", slip.worker_name),
        ("身份证号 ID number", slip.id_number_masked),
        ("工种 Trade", slip.trade or "-"),
        ("本人银行卡 Own bank card", slip.bank_card_masked or "-"),
        ("计薪方式 Wage kind", WAGE_KIND_TEXT.get(slip.wage_kind.value, slip.wage_kind.value)),
        ("单价 Rate", _yuan(slip.rate_fen) if slip.rate_fen else "-"),
        ("出勤天数 Days attended", _days(slip.attended_days)),
        ("出勤工时 Hours on site", f"{slip.hours:.2f}"),
        ("其中补卡天数 Days on corrections", str(slip.corrected_days)),
        ("应发工资 Expected", _yuan(slip.expected_fen)),
        ("应发(银行) Gross (bank)", _yuan(slip.gross_fen)),
        ("实发工资 Net paid", _yuan(slip.net_fen)),
        ("差额 Difference", _yuan(slip.difference_fen)),
        ("发薪日 Pay day", slip.pay_day.isoformat()),
        ("状态 Status", f"{zh} / {en}"),
    )
    for label, value in rows:
        pdf.kv(label, value)
    pdf.ln(5)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, "发放记录 / Payments", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    widths = (26, 40, 28, 28, 30, 22)
    heads = (
        "发放日期 Paid on",
        "账号 Account",
        "应发 Gross",
        "实发 Net",
        "状态 Status",
        "天数 Days",
    )
    for w, h in zip(widths, heads, strict=True):
        pdf.cell(w, 7, h, border=1, new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.ln(7)
    if not slip.payments:
        pdf.cell(sum(widths), 7, "无 / none", border=1, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for p in slip.payments:
        cells = (
            p.paid_on.isoformat() if p.paid_on else "-",
            p.account_masked,
            _yuan(p.gross_fen),
            _yuan(p.net_fen),
            LINE_STATUS_TEXT.get(p.status, p.status),
            _days(p.days_declared),
        )
        for w, text in zip(widths, cells, strict=True):
            pdf.cell(w, 7, text, border=1, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.ln(7)
    pdf.ln(6)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(
        0,
        5,
        "本清单依据闸机考勤与银行代发结果生成;如有疑问请联系项目劳资专管员或当地劳动监察部门。\n"
        "Generated from gate attendance and the bank's disbursement results; questions go to the "
        "project's wage officer or the local labour inspectorate.",
    )
    return bytes(pdf.output())
