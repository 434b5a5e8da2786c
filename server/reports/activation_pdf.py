"""工人账号开通单: the printable slips of one issue of activation codes (A4, three slips a page,
with cut lines), after a cover page for the site office listing who got a slip and who was
skipped and why (it holds no code).

Each slip: project, name, masked ID number, the code, until when it is valid, the sign-up
address, and how to use it in plain Chinese and English. The words are `slip_text` (pure, so
they are tested without typesetting); the CJK font comes from payslip_pdf.find_cjk_font.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fpdf.enums import MethodReturnValue, XPos, YPos

from server.auth.activation import IssuedCode, IssueResult
from server.auth.rules import MIN_LENGTH
from server.reports.cjk_pdf import FAMILY, CjkPdf, add_cjk_font
from server.reports.payslip_pdf import find_cjk_font

SLIPS_PER_PAGE = 3
MARGIN = 12.0
SLIP_HEIGHT = (297 - 2 * MARGIN) / SLIPS_PER_PAGE


@dataclass(frozen=True, slots=True)
class SlipText:
    title: str
    project: str
    fields: tuple[tuple[str, str], ...]  # (label, value) under the title
    code: str
    valid_until: str
    url: str
    steps_zh: str
    steps_en: str


def local_time(value: dt.datetime, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def slip_text(issue: IssueResult, slip: IssuedCode) -> SlipText:
    """Everything one slip says, in the order it is printed."""
    until = local_time(issue.expires_at, issue.timezone)
    resets = slip.resets_account
    reset_zh = "此激活码用于重置您已有账号的密码。\n" if resets else ""
    reset_en = "This code resets the password of your existing account.\n" if resets else ""
    return SlipText(
        title="工人账号开通单 / Worker account activation",
        project=f"{issue.project_name}({issue.project_code})",
        fields=(
            ("姓名 Name", slip.name),
            ("身份证号 ID number", slip.id_number_masked),
            ("班组 Team", slip.team or "-"),
        ),
        code=slip.code,
        valid_until=f"{until} 前有效 / valid until {until}",
        url=issue.signup_url,
        steps_zh=(
            f"{reset_zh}1. 用手机浏览器打开上面的网址(或在登录页点“用激活码开通账号”)。\n"
            f"2. 输入本人身份证号和激活码,设置新密码(至少 {MIN_LENGTH} 位)并再输一次。\n"
            "3. 开通后页面显示您的用户名(一般是身份证号),以后用它和新密码登录,"
            "查看自己的考勤和工资。\n"
            "激活码只能用一次,请勿交给他人;丢失或过期请找项目管理人员重新发放。"
        ),
        steps_en=(
            f"{reset_en}1. Open the address above in your phone's browser (or tap 'Activate "
            "with a code' on the sign-in page).\n2. Enter your own ID number and this code, "
            f"choose a new password (at least {MIN_LENGTH} characters) and repeat it.\n3. The "
            "page then shows your username (usually your ID number): sign in with it and your "
            "password to see your own attendance and pay.\nThe code works once: keep it to "
            "yourself; if it is lost or expired, ask the site office for a new one."
        ),
    )


class _Slips(CjkPdf):
    def __init__(self, font: tuple[str, int]) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        add_cjk_font(self, font)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=False)
        self._broken: dict[tuple[str, float, float], list[str]] = {}

    def paragraph(self, text: str, *, size: float, width: float, height: float) -> None:
        """`multi_cell` for the instructions, broken into lines once: every slip repeats them,
        and fpdf2's line breaking of CJK text is most of the typesetting time."""
        key = (text, size, width)
        self.set_font(FAMILY, size=size)
        if key not in self._broken:
            lines = self.multi_cell(
                width, height, text, align="L", dry_run=True, output=MethodReturnValue.LINES
            )
            assert isinstance(lines, list)  # noqa: S101 - output=LINES gives the lines
            self._broken[key] = [str(line) for line in lines]
        x = self.get_x()
        for line in self._broken[key]:
            self.set_x(x)
            self.cell(width, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def slip(self, top: float, text: SlipText) -> None:
        left, width = MARGIN, self.w - 2 * MARGIN
        self.set_xy(left + 3, top + 3)
        self.set_font(FAMILY, size=12)
        self.cell(width - 6, 7, text.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_x(left + 3)
        self.set_font(FAMILY, size=9)
        self.cell(width - 6, 5, text.project, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_x(left + 3)
        line = "    ".join(f"{label}: {value}" for label, value in text.fields)
        self.set_font(FAMILY, size=10)
        self.cell(width - 6, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_x(left + 3)
        self.set_font(FAMILY, size=10)
        self.cell(32, 11, "激活码 Code:", new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font(FAMILY, size=22)
        self.cell(70, 11, text.code, border=1, align="C", new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font(FAMILY, size=9)
        self.cell(0, 11, "  " + text.valid_until, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.set_x(left + 3)
        self.set_font(FAMILY, size=10)
        self.cell(width - 6, 6, f"开通网址 Sign up at: {text.url}", new_x=XPos.LMARGIN,
                  new_y=YPos.NEXT)  # fmt: skip
        self.ln(1)
        self.set_x(left + 3)
        self.paragraph(text.steps_zh, size=9, width=width - 6, height=4.6)
        self.ln(0.8)
        self.set_x(left + 3)
        self.paragraph(text.steps_en, size=8, width=width - 6, height=4.0)

    def cut_line(self, y: float) -> None:
        self.set_draw_color(150, 150, 150)
        self.set_dash_pattern(dash=2, gap=1.5)
        self.line(MARGIN / 2, y, self.w - MARGIN / 2, y)
        self.set_dash_pattern()
        self.set_draw_color(0, 0, 0)

    def cover(self, issue: IssueResult) -> None:
        """For the site office: what this file holds; no code on it."""
        self.add_page()
        self.set_auto_page_break(auto=True, margin=MARGIN)
        self.set_font(FAMILY, size=15)
        self.cell(0, 10, "激活码发放记录 / Activation codes issued", align="C",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        self.set_font(FAMILY, size=9)
        self.multi_cell(
            0,
            5,
            f"项目 Project: {issue.project_name}({issue.project_code})\n"
            f"发放时间 Issued: {local_time(issue.issued_at, issue.timezone)}    "
            f"有效期至 Valid until: {local_time(issue.expires_at, issue.timezone)} "
            f"({issue.timezone})\n"
            f"开通单 Slips: {len(issue.issued)}    未发放 Skipped: {len(issue.skipped)}    "
            f"作废的旧激活码 Earlier codes voided: {issue.voided}\n"
            "本页仅供项目办公室留存,请勿张贴。开通单请剪开后交给本人;激活码只显示在本文件中,"
            "系统不保存明文。\n"
            "This page is for the site office, not for posting. Cut the slips and hand each to "
            "its worker in person; the codes exist only in this file.",
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.ln(2)
        widths = (12, 40, 50, 42, 42)
        heads = ("#", "姓名 Name", "身份证号 ID number", "班组 Team", "说明 Note")
        self._row(widths, heads)
        for n, c in enumerate(issue.issued, 1):
            note = "重置密码 reset" if c.resets_account else "新开通 new"
            self._row(widths, (str(n), c.name, c.id_number_masked, c.team or "-", note))
        if issue.skipped:
            self.ln(4)
            self.set_font(FAMILY, size=11)
            self.cell(0, 7, "未发放 / Skipped", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            for s in issue.skipped:
                self.set_font(FAMILY, size=8.5)
                self.multi_cell(
                    0,
                    4.6,
                    align="L",
                    text=f"{s.name}  {s.id_number_masked}  {s.team or '-'}: {s.reason_zh} / "
                    f"{s.reason_en}",
                    new_x=XPos.LMARGIN,
                    new_y=YPos.NEXT,
                )
        self.set_auto_page_break(auto=False)

    def _row(self, widths: tuple[int, ...], cells: tuple[str, ...]) -> None:
        self.set_font(FAMILY, size=8.5)
        for w, text in zip(widths, cells, strict=True):
            self.cell(w, 6, text, border=1, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.ln(6)


def ensure_font() -> tuple[str, int]:
    """The CJK font, or CjkFontMissingError (503): asked before codes are issued, so a server
    that cannot print does not void anyone's code for slips it cannot make."""
    return find_cjk_font()


def activation_pdf(issue: IssueResult, *, font: tuple[str, int] | None = None) -> bytes:
    pdf = _Slips(font or ensure_font())
    pdf.set_title(f"工人账号开通单 {issue.project_code}")
    pdf.set_creator("SiteGate")
    pdf.cover(issue)
    for n, slip in enumerate(issue.issued):
        place = n % SLIPS_PER_PAGE
        if place == 0:
            pdf.add_page()
        top = MARGIN + place * SLIP_HEIGHT
        pdf.slip(top, slip_text(issue, slip))
        if place < SLIPS_PER_PAGE - 1:
            pdf.cut_line(top + SLIP_HEIGHT)
    return bytes(pdf.output())
