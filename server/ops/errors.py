"""The operations commands' user errors (bilingual, never a traceback)."""

from __future__ import annotations

from server.errors import ConflictError, SiteGateError


class BackupError(SiteGateError):
    code = "ops.backup"


class RestoreRefusedError(ConflictError):
    code = "ops.restore_refused"


class RetentionRefusedError(ConflictError):
    code = "ops.retention_refused"
