"""The one error the codec raises: bilingual, with the offending line's number when there is one."""

from __future__ import annotations


class ZkProtocolError(ValueError):
    """A PUSH body or value that does not follow the protocol.

    `code` is stable (e.g. `zk.attlog.bad_time`) for the server to map onto its own errors;
    `line_no` is 1-based within the body, None when the error is not about one line.
    """

    def __init__(
        self, code: str, message_zh: str, message_en: str, *, line_no: int | None = None
    ) -> None:
        self.code = code
        self.line_no = line_no
        self.detail_zh = message_zh  # without the line prefix, for re-wrapping
        self.detail_en = message_en
        where_zh = f"第 {line_no} 行：" if line_no is not None else ""
        where_en = f"line {line_no}: " if line_no is not None else ""
        self.message_zh = where_zh + message_zh
        self.message_en = where_en + message_en
        super().__init__(f"{self.message_zh} / {self.message_en}")
