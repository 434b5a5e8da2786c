"""One error type for the whole server: a stable code, an HTTP status and zh/en messages."""

from __future__ import annotations

from typing import Any


class SiteGateError(Exception):
    code = "error"
    status_code = 400
    headers: dict[str, str] | None = None  # sent with the answer (e.g. Retry-After on 429)

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        detail: Any = None,
    ) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.detail = detail
        super().__init__(f"{message_zh} / {message_en}")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        if self.detail is not None:
            body["detail"] = self.detail
        return body


class NotFoundError(SiteGateError):
    code = "not_found"
    status_code = 404

    def __init__(self, what_zh: str, what_en: str) -> None:
        super().__init__(f"{what_zh}不存在", f"{what_en} not found")


class ForbiddenError(SiteGateError):
    code = "forbidden"
    status_code = 403

    def __init__(self) -> None:
        super().__init__("无权访问", "not permitted")


class NotAuthenticatedError(SiteGateError):
    code = "not_authenticated"
    status_code = 401

    def __init__(self, message_zh: str = "请先登录", message_en: str = "sign-in required") -> None:
        super().__init__(message_zh, message_en)


class ConflictError(SiteGateError):
    code = "conflict"
    status_code = 409


class ValidationFailedError(SiteGateError):
    code = "validation"
    status_code = 422
