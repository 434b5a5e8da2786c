"""server.reports.cells: text that would run as a formula is neutralised, numbers stay numbers;
and no module under server/ writes a cell value or a CSV row any other way."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from server.reports import cells
from server.tabular import text_of
from tests.support.hostile_files import FORMULAS

SERVER = Path(__file__).resolve().parents[4] / "server"
CELLS_MODULE = SERVER / "reports" / "cells.py"
CELL_REF = re.compile(r"^[A-Z]{1,3}[0-9]+$")


class TestNeutral:
    @pytest.mark.parametrize("text", FORMULAS)
    def test_formula_text_gets_an_apostrophe(self, text: str) -> None:
        assert cells.neutral(text) == "'" + text

    @pytest.mark.parametrize(
        "value", [-350, -2.5, Decimal("-12.30"), 0, True, dt.date(2026, 10, 1), None]
    )
    def test_values_that_are_not_text_keep_their_type(self, value: object) -> None:
        out = cells.neutral(value)
        assert out == value
        assert type(out) is type(value)

    @pytest.mark.parametrize("text", ["张三", "中建三局", "a=b", "1+1", "-", "'=quoted"])
    def test_ordinary_text_is_left_alone(self, text: str) -> None:
        assert cells.neutral(text) == text

    def test_a_formula_hidden_behind_a_control_character_is_caught(self) -> None:
        # the illegal character is stripped first; what remains starts with "="
        assert cells.neutral("\x01=1+1") == "'=1+1"

    @pytest.mark.parametrize("text", FORMULAS)
    def test_the_importers_read_the_original_back(self, text: str) -> None:
        # the exported 花名册 re-imports unchanged (text_of strips, as for any cell)
        assert text_of(cells.neutral(text)) == text_of(text)  # type: ignore[arg-type]


class TestPut:
    def test_xlsx_cells_are_text_and_numbers_stay_numbers(self) -> None:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        for col, text in enumerate(FORMULAS, 1):
            cells.put(ws, 1, col, text)
        cells.put(ws, 2, 1, -350)
        cells.put(ws, 2, 2, Decimal("-1.50"))
        cells.append(ws, ["=1+1", -7])
        buf = io.BytesIO()
        wb.save(buf)
        back = load_workbook(io.BytesIO(buf.getvalue())).active
        assert back is not None
        for col, text in enumerate(FORMULAS, 1):
            cell = back.cell(row=1, column=col)
            assert cell.data_type == "s"
            assert cell.value == "'" + text.replace("\r", "\n")  # XML reads CR as LF
        assert back.cell(row=2, column=1).value == -350
        assert back.cell(row=2, column=2).value == -1.5
        assert back.cell(row=3, column=1).data_type == "s"
        assert back.cell(row=3, column=2).value == -7
        formulas = [c.coordinate for row in back.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == []


class TestCsv:
    def test_no_field_starts_with_a_trigger_unless_a_number(self) -> None:
        data = cells.csv_bytes([list(FORMULAS), ["-", -350, Decimal("-1.50")]])
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert rows[0] == ["'" + t for t in FORMULAS]
        assert rows[1] == ["-", "-350", "-1.50"]


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    uses_openpyxl = any(
        isinstance(n, ast.ImportFrom) and (n.module or "").startswith("openpyxl")
        for n in ast.walk(tree)
    )
    out: list[str] = []
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, owner = node.func.attr, node.func.value
            valued = len(node.args) > 2 or any(k.arg == "value" for k in node.keywords)
            if uses_openpyxl and name == "cell" and valued:
                out.append(f"{where}: .cell(value=...)")
            if (
                name in ("writer", "DictWriter")
                and isinstance(owner, ast.Name)
                and owner.id == "csv"
            ):
                out.append(f"{where}: csv.{name}")
            if uses_openpyxl and name == "append" and _is_sheet_name(owner):
                out.append(f"{where}: worksheet.append")
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and t.attr == "value":
                    out.append(f"{where}: .value =")
                if (
                    isinstance(t, ast.Subscript)
                    and isinstance(t.slice, ast.Constant)
                    and isinstance(t.slice.value, str)
                    and CELL_REF.match(t.slice.value)
                ):
                    out.append(f"{where}: ws[{t.slice.value!r}] =")
    return out


def _is_sheet_name(owner: ast.expr) -> bool:
    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    return bool(re.fullmatch(r"ws|\w*_ws|sheet|\w*sheet|notes|events|corrections|how|gs", name))


class TestOnePlace:
    def test_no_module_writes_cells_or_csv_rows_around_cells_py(self) -> None:
        found = [
            v
            for path in sorted(SERVER.rglob("*.py"))
            if path != CELLS_MODULE
            for v in _violations(path)
        ]
        assert found == []

    def test_the_scan_would_catch_each_way_around(self, tmp_path: Path) -> None:
        probe = tmp_path / "probe.py"
        probe.write_text(
            "import csv\nfrom openpyxl import Workbook\n"
            "def f(ws, buf, c):\n"
            "    ws.cell(row=1, column=1, value='=1')\n"
            "    ws.cell(1, 1, '=1')\n"
            "    ws['A1'] = '=1'\n"
            "    c.value = '=1'\n"
            "    ws.append(['=1'])\n"
            "    csv.writer(buf)\n",
            encoding="utf-8",
        )
        assert len(_violations(probe)) == 6
