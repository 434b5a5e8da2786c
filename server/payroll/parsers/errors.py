"""The one exception the parsers raise: the file itself cannot be read (bad rows never raise)."""

from __future__ import annotations

from server.errors import SiteGateError


class PayrollFileError(SiteGateError):
    code = "payroll.unreadable_file"
    status_code = 422
