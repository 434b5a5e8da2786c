"""What a bank sends back for a 代发 instruction written by server/payroll/disbursement.py: the
same file with the status column filled in (the unit, page and browser tests share it)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from server.payroll.disbursement import DisbursementBatch, csv_encoding, sheet
from server.payroll.parsers import BankLayout, TransferStatus


def success_word(layout: BankLayout) -> str:
    words = layout.status_words.get(TransferStatus.SUCCESS)
    return words[0] if words else "成功"


def fill_status(
    data: bytes, kind: str, layout: BankLayout, batch: DisbursementBatch, word: str | None = None
) -> bytes:
    """`data` (the instruction, "xlsx" or "csv") with every line's status set to `word` (the
    layout's own word for success by default)."""
    grid = sheet(batch, layout)
    col = grid.fields.index("status")
    word = word or success_word(layout)
    last = grid.header_row + batch.count  # Excel row of the last line
    if kind == "xlsx":
        wb = load_workbook(io.BytesIO(data))
        ws = wb.active
        assert ws is not None
        for r in range(grid.header_row + 1, last + 1):
            ws.cell(row=r, column=col + 1).value = word
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    encoding, delimiter = csv_encoding(layout), layout.delimiter or ","
    rows = list(csv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=delimiter))
    for r in range(grid.header_row, last):
        rows[r][col] = word
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n", delimiter=delimiter).writerows(rows)
    return buf.getvalue().encode(encoding)
