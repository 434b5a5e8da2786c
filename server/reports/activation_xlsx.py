"""The same issue of activation codes as an XLSX the site office can send on (one row per worker:
name, masked ID number, team, code, valid until, the sign-up address, how to use it), with a
second sheet of the workers skipped and why. Every cell goes through server/reports/cells.py.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from server.auth.activation import IssueResult
from server.auth.rules import MIN_LENGTH
from server.reports import sheet_style as style
from server.reports.activation_pdf import local_time
from server.reports.cells import put
from server.reports.sheet_style import workbook_bytes

HEADERS = (
    ("序号", "No."),
    ("姓名", "Name"),
    ("身份证号(脱敏)", "ID number (masked)"),
    ("班组", "Team"),
    ("激活码", "Code"),
    ("有效期至", "Valid until"),
    ("开通网址", "Sign up at"),
    ("说明", "Note"),
)
WIDTHS = (6, 12, 22, 14, 14, 18, 36, 16)
HOW_TO = (
    "用法:手机浏览器打开开通网址,输入本人身份证号、激活码,设置新密码(至少 {n} 位)并再输一次;"
    "开通后页面显示用户名(一般是身份证号)。激活码只能用一次,请只发给本人。"
    " / How to: open the address on a phone, enter your own ID number and the code, choose a "
    "password (at least {n} characters) twice; the page then shows your username (usually "
    "the ID number). A code works once: send each only to its worker."
)


def _codes_sheet(ws: Worksheet, issue: IssueResult) -> None:
    last = len(HEADERS)
    until = local_time(issue.expires_at, issue.timezone)
    style.merged_line(
        ws,
        1,
        f"工人账号激活码 / Activation codes · {issue.project_name}({issue.project_code}) · "
        f"发放 issued {local_time(issue.issued_at, issue.timezone)} ({issue.timezone})",
        last,
        bold=True,
        size=12,
        height=22,
    )
    style.merged_line(ws, 2, HOW_TO.format(n=MIN_LENGTH), last, height=48)
    style.header_row(ws, 3, HEADERS)
    for r, (n, c) in enumerate(enumerate(issue.issued, 1), 4):
        note = "重置已有账号密码 resets the account" if c.resets_account else "新开通 new account"
        values = (n, c.name, c.id_number_masked, c.team or "-", c.code, until,
                  issue.signup_url, note)  # fmt: skip
        for col, value in enumerate(values, 1):
            cell = put(ws, r, col, value)
            cell.border = style.BORDER
            if col in (3, 5):
                cell.number_format = style.TEXT
    style.widths(ws, WIDTHS)
    style.print_setup(ws, header_row_no=3, last_col=last)


def _skipped_sheet(ws: Worksheet, issue: IssueResult) -> None:
    headers = (("姓名", "Name"), ("身份证号(脱敏)", "ID number (masked)"), ("班组", "Team"),
               ("原因", "Reason"))  # fmt: skip
    style.header_row(ws, 1, headers)
    for r, s in enumerate(issue.skipped, 2):
        values = (s.name, s.id_number_masked, s.team or "-", f"{s.reason_zh} / {s.reason_en}")
        for col, value in enumerate(values, 1):
            put(ws, r, col, value).border = style.BORDER
    if not issue.skipped:
        put(ws, 2, 1, "无 / none")
    style.widths(ws, (12, 22, 14, 80))


def activation_xlsx(issue: IssueResult) -> bytes:
    wb = Workbook()
    ws = wb.active
    if not isinstance(ws, Worksheet):
        ws = wb.create_sheet()
    ws.title = "激活码 Codes"
    _codes_sheet(ws, issue)
    _skipped_sheet(wb.create_sheet("未发放 Skipped"), issue)
    return workbook_bytes(wb)
