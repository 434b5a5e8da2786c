"""What a bank sends back for a 代发 instruction written by server/payroll/disbursement.py: the
same file with the status column filled in (the unit, page and browser tests share it), and, for
the tests of what a reconciliation finds, the same file with a cell of some lines changed (an
amount the bank paid otherwise, another paying account)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from openpyxl import load_workbook

from server.payroll.disbursement import DisbursementBatch, csv_encoding, sheet
from server.payroll.parsers import BankLayout, TransferStatus


def success_word(layout: BankLayout) -> str:
    words = layout.status_words.get(TransferStatus.SUCCESS)
    return words[0] if words else "成功"


def _rewrite(
    data: bytes,
    kind: str,
    layout: BankLayout,
    batch: DisbursementBatch,
    field: str,
    values: Mapping[int, str],
) -> bytes:
    """`data` with `field` of the lines numbered (row_no) as the keys of `values` set to them."""
    grid = sheet(batch, layout)
    col = grid.fields.index(field)
    # The writer puts the lines right under the header in row_no order.
    position = {ln.row_no: i for i, ln in enumerate(sorted(batch.lines, key=lambda ln: ln.row_no))}
    if kind == "xlsx":
        wb = load_workbook(io.BytesIO(data))
        ws = wb.active
        assert ws is not None
        for row_no, value in values.items():
            ws.cell(row=grid.header_row + 1 + position[row_no], column=col + 1).value = value
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    encoding, delimiter = csv_encoding(layout), layout.delimiter or ","
    rows = list(csv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=delimiter))
    for row_no, value in values.items():
        rows[grid.header_row + position[row_no]][col] = value
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n", delimiter=delimiter).writerows(rows)
    return buf.getvalue().encode(encoding)


def fill_status(
    data: bytes, kind: str, layout: BankLayout, batch: DisbursementBatch, word: str | None = None
) -> bytes:
    """`data` (the instruction, "xlsx" or "csv") with every line's status set to `word` (the
    layout's own word for success by default)."""
    word = word or success_word(layout)
    return _rewrite(data, kind, layout, batch, "status", {ln.row_no: word for ln in batch.lines})


def set_field(
    data: bytes,
    kind: str,
    layout: BankLayout,
    batch: DisbursementBatch,
    field: str,
    values: Mapping[int, str],
) -> bytes:
    """`data` with one canonical field ("net_amount", "payer_account", ...) of some lines, by
    their row_no, set to the text given, as a bank's result would say it."""
    return _rewrite(data, kind, layout, batch, field, values)
