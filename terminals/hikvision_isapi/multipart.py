"""Pure multipart/form-data (and multipart/mixed) building and parsing, as terminals use it.

Terminals put `Content-Type` and `Content-Length` on every part and CRLF line ends everywhere; we
build exactly that, and parse leniently (a missing Content-Length, a preamble, a trailing `;` in
Content-Disposition as some firmware writes it). The size cap is checked before anything is parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from terminals.hikvision_isapi.errors import IsapiProtocolError

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # an event JSON plus one capture JPEG is ~50-200 KiB
_BOUNDARY_RE = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PARAM_RE = re.compile(r';\s*([A-Za-z0-9_-]+)="?([^";]*)"?')


@dataclass(frozen=True)
class Part:
    name: str | None
    content_type: str | None
    data: bytes
    filename: str | None = None


def check_size(body: bytes, max_bytes: int) -> None:
    if len(body) > max_bytes:
        raise IsapiProtocolError(
            "isapi.body_too_large",
            f"请求体过大：{len(body)} 字节，上限 {max_bytes} 字节",
            f"body too large: {len(body)} bytes, limit {max_bytes}",
        )


def boundary_of(content_type: str) -> str:
    match = _BOUNDARY_RE.search(content_type)
    if not content_type.lower().startswith("multipart/") or match is None:
        raise IsapiProtocolError(
            "isapi.not_multipart",
            f"不是带 boundary 的 multipart 内容：{content_type!r}",
            f"not a multipart content type with a boundary: {content_type!r}",
        )
    return match.group(1)


def build_multipart(
    parts: list[Part], boundary: str, *, subtype: str = "form-data"
) -> tuple[str, bytes]:
    out = bytearray()
    for part in parts:
        out += f"--{boundary}\r\n".encode("ascii")
        if part.name is not None:
            disposition = f'Content-Disposition: form-data; name="{part.name}"'
            if part.filename is not None:
                disposition += f'; filename="{part.filename}"'
            out += disposition.encode() + b"\r\n"
        if part.content_type is not None:
            out += f"Content-Type: {part.content_type}\r\n".encode("ascii")
        out += f"Content-Length: {len(part.data)}\r\n\r\n".encode("ascii")
        out += part.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode("ascii")
    return f"multipart/{subtype}; boundary={boundary}", bytes(out)


def _bad(what_zh: str, what_en: str) -> IsapiProtocolError:
    return IsapiProtocolError(
        "isapi.bad_multipart", f"multipart 格式错误：{what_zh}", f"malformed multipart: {what_en}"
    )


def parse_multipart(
    content_type: str, body: bytes, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> list[Part]:
    check_size(body, max_bytes)
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    start = body.find(delimiter)
    if start < 0:
        raise _bad("找不到 boundary", "boundary not found")
    chunks = body[start + len(delimiter) :].split(b"\r\n" + delimiter)
    parts: list[Part] = []
    closed = False
    for chunk in chunks:
        if chunk.startswith(b"--"):
            closed = True
            break
        if not chunk.startswith(b"\r\n"):
            raise _bad("boundary 后缺少换行", "no CRLF after a boundary")
        head, sep, data = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            raise _bad("分段缺少头部结束空行", "a part has no end of headers")
        parts.append(_part(head, data))
    if not closed:
        raise _bad("缺少结束 boundary", "no closing boundary")
    return parts


def _part(head: bytes, data: bytes) -> Part:
    name = filename = ctype = None
    for raw in head.split(b"\r\n"):
        key, colon, value = raw.decode("utf-8", "replace").partition(":")
        if not colon:
            raise _bad(f"无效头部行 {raw[:40]!r}", f"bad header line {raw[:40]!r}")
        key, value = key.strip().lower(), value.strip()
        if key == "content-disposition":
            params = dict(_PARAM_RE.findall(value))
            name, filename = params.get("name"), params.get("filename")
        elif key == "content-type":
            ctype = value
    # Content-Length is not trusted: the boundary is what delimits a part.
    return Part(name=name, content_type=ctype, data=data, filename=filename)
