"""Bank 代发 result file parsers: CSV/XLSX -> validated rows with row/column issues."""

from server.payroll.parsers.errors import PayrollFileError
from server.payroll.parsers.layout import CANONICAL, BankLayout, load_layouts
from server.payroll.parsers.row import (
    FIELDS,
    ParseResult,
    PayrollRow,
    RowIssue,
    TransferStatus,
    format_period,
    parse_period,
)
from server.payroll.parsers.tabular import fingerprint, parse_grid, parse_payroll_file
from server.payroll.parsers.template import (
    template_csv_bytes,
    template_xlsx_bytes,
    write_templates,
)

__all__ = [
    "CANONICAL",
    "FIELDS",
    "BankLayout",
    "ParseResult",
    "PayrollFileError",
    "PayrollRow",
    "RowIssue",
    "TransferStatus",
    "fingerprint",
    "format_period",
    "load_layouts",
    "parse_grid",
    "parse_payroll_file",
    "parse_period",
    "template_csv_bytes",
    "template_xlsx_bytes",
    "write_templates",
]
