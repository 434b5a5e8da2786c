"""The line every report prints: the fingerprint of the server's signing key (issue 13).

A printed 考勤表, 工资核对报告 or 考勤凭证 then says which key signed the daily digests and
evidence packs of its time, so a copy kept outside the server anchors that key. One place
decides the text; the shared PDF page (cjk_pdf.CjkPdf) and the shared XLSX finish
(sheet_style.workbook_bytes) print it.

Which settings: the app's, for a report made while answering a request (`SettingsMiddleware`
sets them for the request's context); otherwise the environment's (`Settings()`), which is what
every `sitegate` command builds its own settings from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

from server.anchors import server_key
from server.config import Settings

_SETTINGS: ContextVar[Settings | None] = ContextVar("report_settings", default=None)


def fingerprint() -> str:
    return server_key.fingerprint(_SETTINGS.get() or Settings())


def text() -> str:
    return f"服务器签名密钥指纹 / server signing key: {fingerprint()}"


@contextmanager
def using(settings: Settings) -> Iterator[None]:
    """Reports made inside print `settings`' key (a command or a test with its own settings)."""
    token = _SETTINGS.set(settings)
    try:
        yield
    finally:
        _SETTINGS.reset(token)


class SettingsMiddleware:
    """Pure ASGI, so the value reaches the endpoint's thread (Starlette copies the context)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with using(self.settings):
            await self.app(scope, receive, send)
