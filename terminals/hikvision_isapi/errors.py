"""Errors of the ISAPI layer, each with a Chinese and an English message.

`IsapiProtocolError` is raised by the pure parsers (bytes that are not what a terminal or a client
sends); `IsapiError` and its two subclasses by the client, when the terminal answers an error
`ResponseStatus`, refuses the password, or cannot be reached.
"""

from __future__ import annotations


class IsapiProtocolError(ValueError):
    """Malformed ISAPI input: bad multipart, bad JSON/XML, a missing or mistyped field, too big."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


class IsapiError(Exception):
    """The terminal refused a request. `status_code`/`sub_status_code` are the ResponseStatus
    fields (e.g. 6 / "badJsonContent") when the terminal sent one, else None."""

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        http_status: int | None = None,
        status_code: int | None = None,
        status_string: str | None = None,
        sub_status_code: str | None = None,
        error_code: int | None = None,
        error_msg: str | None = None,
    ) -> None:
        bits = [f"HTTP {http_status}"] if http_status is not None else []
        bits += [f"statusCode {status_code}"] if status_code is not None else []
        bits += [sub_status_code] if sub_status_code else []
        super().__init__(f"{message_zh} / {message_en}" + (f" ({', '.join(bits)})" if bits else ""))
        self.message_zh = message_zh
        self.message_en = message_en
        self.http_status = http_status
        self.status_code = status_code
        self.status_string = status_string
        self.sub_status_code = sub_status_code
        self.error_code = error_code
        self.error_msg = error_msg


class IsapiAuthError(IsapiError):
    """401 even after the Digest exchange: wrong user name or password (or a locked account)."""


class IsapiOfflineError(IsapiError):
    """No connection to the terminal (refused, timed out, reset)."""
