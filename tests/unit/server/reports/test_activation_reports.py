"""The activation slips (PDF) and the XLSX of one issue, from a plain IssueResult: what each
slip says, how they fill the pages, and cells that never run as formulas."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from server.auth.activation import IssuedCode, IssueResult, SkippedWorker, SkipReason
from server.reports import activation_pdf, activation_xlsx, payslip_pdf

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)  # 16:00 in Shanghai
URL = "https://sitegate.example.cn/activate"
_PAGE = re.compile(rb"/Type /Page\b(?!s)")


@pytest.fixture(scope="module")
def font() -> tuple[str, int]:
    try:
        return payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


def _issue(n: int, *, skipped: int = 0, name: str = "") -> IssueResult:
    result = IssueResult(
        project_id=1,
        project_code="P0001",
        project_name="城南安置房二期",
        timezone="Asia/Shanghai",
        issued_at=NOW,
        expires_at=NOW + dt.timedelta(days=14),
        signup_url=URL,
    )
    for i in range(n):
        result.issued.append(
            IssuedCode(i, name or f"工人{i}", "110101********123X", "钢筋班", "ABCD-EFGH", i == 1)
        )
    for i in range(skipped):
        result.skipped.append(
            SkippedWorker(100 + i, f"老工人{i}", "110101********0011", None, SkipReason.HAS_ACCOUNT)
        )
    return result


class TestSlipText:
    def test_what_one_slip_says(self) -> None:
        issue = _issue(1)
        text = activation_pdf.slip_text(issue, issue.issued[0])
        assert "城南安置房二期" in text.project
        assert "P0001" in text.project
        assert ("姓名 Name", "工人0") in text.fields
        assert ("身份证号 ID number", "110101********123X") in text.fields
        assert text.code == "ABCD-EFGH"
        assert text.url == URL
        assert "2026-12-16 16:00" in text.valid_until  # local time of the project
        assert "前有效" in text.valid_until
        assert "valid until" in text.valid_until
        assert "身份证号" in text.steps_zh
        assert "10 位" in text.steps_zh
        assert "ID number" in text.steps_en
        assert "重置" not in text.steps_zh

    def test_a_reset_slip_says_it_resets(self) -> None:
        issue = _issue(2)
        text = activation_pdf.slip_text(issue, issue.issued[1])
        assert text.steps_zh.startswith("此激活码用于重置您已有账号的密码")
        assert text.steps_en.startswith("This code resets the password")


class TestPdf:
    @pytest.mark.parametrize(("slips", "pages"), [(1, 2), (3, 2), (4, 3), (7, 4)])
    def test_a_cover_then_three_slips_a_page(
        self, font: tuple[str, int], slips: int, pages: int
    ) -> None:
        body = activation_pdf.activation_pdf(_issue(slips, skipped=2), font=font)
        assert body.startswith(b"%PDF")
        assert len(_PAGE.findall(body)) == pages

    def test_long_names_and_many_skipped_still_print(self, font: tuple[str, int]) -> None:
        body = activation_pdf.activation_pdf(_issue(2, skipped=80, name="欧阳" * 20), font=font)
        assert len(_PAGE.findall(body)) >= 3  # the skipped list runs over onto another page


class TestXlsx:
    def test_one_row_per_code_and_a_sheet_of_the_skipped(self) -> None:
        wb = load_workbook(io.BytesIO(activation_xlsx.activation_xlsx(_issue(3, skipped=1))))
        codes, skipped = wb["激活码 Codes"], wb["未发放 Skipped"]
        rows = list(codes.iter_rows(min_row=4, values_only=True))
        assert len(rows) == 3
        assert rows[0][:7] == (
            1, "工人0", "110101********123X", "钢筋班", "ABCD-EFGH", "2026-12-16 16:00", URL,
        )  # fmt: skip
        assert "重置" in str(rows[1][7])
        assert codes.cell(row=4, column=5).data_type == "s"
        assert skipped.cell(row=2, column=1).value == "老工人0"
        assert "已有账号" in str(skipped.cell(row=2, column=4).value)

    def test_a_name_that_looks_like_a_formula_stays_text(self) -> None:
        wb = load_workbook(io.BytesIO(activation_xlsx.activation_xlsx(_issue(1, name="=1+1"))))
        cell = wb["激活码 Codes"].cell(row=4, column=2)
        assert cell.value == "'=1+1"
        assert cell.data_type == "s"

    def test_nothing_skipped_says_none(self) -> None:
        wb = load_workbook(io.BytesIO(activation_xlsx.activation_xlsx(_issue(1))))
        assert wb["未发放 Skipped"].cell(row=2, column=1).value == "无 / none"
