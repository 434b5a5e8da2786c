"""server.sheet_reader: the XLSX row reader and its caps, on workbooks built in memory."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from openpyxl import Workbook

from server.config import Settings
from server.errors import SiteGateError
from server.sheet_reader import (
    FileTooLargeError,
    ImportLimits,
    TooManyRowsError,
    rows_with_values,
    xlsx_rows,
)
from server.tabular import read_grid
from tests.support import hostile_files


class BadFile(SiteGateError):
    code = "test.bad_file"
    status_code = 422


def _xlsx(cells: dict[str, object]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for ref, value in cells.items():
        ws[ref].value = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class TestXlsxRows:
    def test_rows_as_excel_numbers_them_with_gaps_and_types(self) -> None:
        data = _xlsx({"A1": "姓名", "B1": 3, "A3": dt.date(2026, 10, 1), "C3": 1.5})
        rows = list(xlsx_rows(data, ImportLimits(), error=BadFile))
        day = dt.datetime(2026, 10, 1)  # noqa: DTZ001 - Excel cells hold no zone
        assert rows == [["姓名", 3], [], [day, None, 1.5]]

    def test_cells_past_the_column_cap_are_dropped(self) -> None:
        data = _xlsx({"A1": "a", "E1": "e", "F1": "f"})
        assert list(xlsx_rows(data, ImportLimits(max_columns=5), error=BadFile)) == [
            ["a", None, None, None, "e"]
        ]

    def test_blank_rows_are_free_and_cheap(self) -> None:
        # Excel's last row: a million rows in between cost one shared empty list, not the cap
        data = _xlsx({"A1": "a", "A1048576": "z"})
        start = time.perf_counter()
        grid = read_grid(data, "x.xlsx", error=BadFile, limits=ImportLimits(max_rows=100))
        assert time.perf_counter() - start < 2.0
        assert len(grid) == 1_048_576
        assert grid[-1] == ["z"]
        assert grid[1] is grid[2]

    def test_rows_with_values_over_the_cap_are_refused(self) -> None:
        data = _xlsx({f"A{n}": n for n in range(1, 40)})
        with pytest.raises(TooManyRowsError):
            read_grid(data, "x.xlsx", error=BadFile, limits=ImportLimits(max_rows=20), head_rows=5)
        read_grid(data, "x.xlsx", error=BadFile, limits=ImportLimits(max_rows=34), head_rows=5)

    def test_csv_blank_lines_are_free(self) -> None:
        data = ("a,b\r\n" + ",,\r\n" * 500 + "c,d\r\n").encode()
        grid = read_grid(data, "x.csv", error=BadFile, limits=ImportLimits(max_rows=5))
        assert len(grid) == 502
        with pytest.raises(TooManyRowsError):
            read_grid(b"a\r\n" * 20, "x.csv", error=BadFile, limits=ImportLimits(max_rows=5))

    def test_the_quick_count_sees_only_rows_with_values(self) -> None:
        xml = b"<row><c s='1'/></row><row><c><v>1</v></c></row><row><c><is><t>x</t></is></c></row>"
        assert rows_with_values(xml, 10) == 2
        assert rows_with_values(xml * 100, 5) == 6  # stops counting past the cap

    def test_a_directory_that_lies_about_sizes_fails_fast(self) -> None:
        start = time.perf_counter()
        with pytest.raises(BadFile):  # the first KB of the sheet is cut-off XML
            read_grid(hostile_files.lying_sizes(), "x.xlsx", error=BadFile)
        assert time.perf_counter() - start < 0.5

    def test_parts_parsed_whole_have_their_own_cap(self) -> None:
        data = hostile_files.bank_xlsx(10)
        with pytest.raises(FileTooLargeError, match="inflates"):
            read_grid(data, "x.xlsx", error=BadFile, limits=ImportLimits(max_other_parts_bytes=10))


class TestSettings:
    def test_caps_come_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SITEGATE_PAYROLL_MAX_ROWS", "123")
        monkeypatch.setenv("SITEGATE_IMPORT_MAX_UNZIPPED_BYTES", str(2 * 1024 * 1024))
        settings = Settings()
        payroll = settings.import_limits("payroll")
        assert payroll.max_rows == 123
        assert payroll.max_unzipped_bytes == 2 * 1024 * 1024
        assert settings.import_limits("roster").max_rows == 20_000
