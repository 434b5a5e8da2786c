"""Parsing the wage account's statement (专户流水): headers in Chinese or English, in/out or a
signed amount, and one error naming every bad row and column with nothing returned."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from server.safeguards import statement
from server.safeguards.statement import StatementFileError
from server.sheet_reader import FileTooLargeError, ImportLimits, TooManyRowsError


def csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


ZH = "交易日期,收入金额,支出金额,余额,对方户名,对方账号,摘要"


class TestParse:
    def test_chinese_in_out_columns_below_a_title(self) -> None:
        data = csv(
            "农民工工资专用账户交易明细,,,,,,",
            ZH,
            '2026-11-05,"500,000.00",,500000.00,某某置业有限公司,1234 5678 9012,人工费',
            "2026/11/10,,300000.00,200000.00,,,代发工资",
            ",,,,,,",
        )
        rows = statement.parse(data, "流水.csv")
        assert [(r.row_no, r.booked_on, r.amount_fen, r.balance_fen) for r in rows] == [
            (3, dt.date(2026, 11, 5), 500_000_00, 500_000_00),
            (4, dt.date(2026, 11, 10), -300_000_00, 200_000_00),
        ]
        assert rows[0].counterparty_account == "123456789012"
        assert rows[0].summary == "人工费"

    def test_english_signed_amount_gbk(self) -> None:
        data = "Date,Amount,Balance,Counterparty,Summary\n20261105,-12.50,,银行,fee\n".encode(
            "gb18030"
        )
        (r,) = statement.parse(data, "s.csv")
        assert (r.amount_fen, r.balance_fen, r.counterparty_name) == (-12_50, None, "银行")

    def test_newest_first_is_turned_round(self) -> None:
        data = csv(ZH, "2026-11-10,,1.00,0,,,代发", "2026-11-05,1.00,,1.00,,,人工费")
        rows = statement.parse(data, "s.csv")
        assert [r.booked_on.day for r in rows] == [5, 10]

    def test_xlsx(self) -> None:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["记账日期", "贷方发生额", "借方发生额", "账户余额", "用途"])
        ws.append([dt.date(2026, 11, 5), 1000.5, None, 1000.5, "人工费"])
        buf = io.BytesIO()
        wb.save(buf)
        (r,) = statement.parse(buf.getvalue(), "s.xlsx")
        assert (r.booked_on, r.amount_fen, r.summary) == (dt.date(2026, 11, 5), 1000_50, "人工费")

    def test_every_bad_cell_named_by_row_and_column(self) -> None:
        data = csv(
            ZH,
            "2026-11-05,100.00,,100.00,,,人工费",
            "2026-13-40,abc,,,,,",
            "2026-11-06,1.00,2.00,x,,,",
            "2026-11-07,,,,,,没有金额",
        )
        with pytest.raises(StatementFileError) as err:
            statement.parse(data, "s.csv")
        problems = [(p["row"], p["column"], p["code"]) for p in err.value.detail["problems"]]
        assert problems == [
            (3, "交易日期 (A)", "safeguards.bad_date"),
            (3, "收入金额 (B)", "safeguards.bad_amount"),
            (4, "支出金额 (C)", "safeguards.both_amounts"),
            (4, "余额 (D)", "safeguards.bad_amount"),
            (5, "收入金额 (B)", "safeguards.no_amount"),
        ]
        assert err.value.status_code == 422
        assert "第 3 行 交易日期 (A)" in err.value.message_zh
        assert "row 3" in err.value.message_en

    def test_too_precise_money_is_an_error(self) -> None:
        with pytest.raises(StatementFileError) as err:
            statement.parse(csv(ZH, "2026-11-05,1.005,,,,,"), "s.csv")
        assert err.value.detail["problems"][0]["code"] == "safeguards.bad_amount"
        assert "两位小数" in err.value.detail["problems"][0]["message_zh"]

    def test_no_header(self) -> None:
        with pytest.raises(StatementFileError) as err:
            statement.parse(csv("a,b,c", "1,2,3"), "s.csv")
        assert "表头" in err.value.message_zh

    def test_no_bookings(self) -> None:
        with pytest.raises(StatementFileError):
            statement.parse(csv(ZH), "s.csv")

    def test_caps_before_and_while_reading(self) -> None:
        limits = ImportLimits(max_bytes=100, max_rows=2)
        with pytest.raises(FileTooLargeError):
            statement.parse(b"x" * 101, "s.csv", limits=limits)
        small = ImportLimits(max_rows=2)
        body = [f"2026-11-0{d},1.00,,,,,人工费" for d in range(1, 4)]
        assert len(statement.parse(csv(ZH, *body[:2]), "s.csv", limits=small)) == 2
        with pytest.raises(TooManyRowsError):
            statement.parse(csv(ZH, *body), "s.csv", limits=small)

    def test_legacy_xls_refused(self) -> None:
        with pytest.raises(StatementFileError):
            statement.parse(b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "s.xls")
