"""The text lines of a PDF that fpdf2 wrote with an embedded Unicode font, without a PDF
library: each `Tj`/`TJ` is one printed line; its glyph ids go back to characters through the
font's ToUnicode map. Enough to tell whether a table broke a word or a time in two."""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n")
_BFCHAR = re.compile(rb"beginbfchar\n(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_BFRANGE = re.compile(rb"beginbfrange\n(.*?)endbfrange", re.S)
_TRIPLE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


def _streams(body: bytes) -> list[bytes]:
    out = []
    for m in _STREAM.finditer(body):
        end = body.find(b"endstream", m.end())
        raw = body[m.end() : end]
        try:
            out.append(zlib.decompressobj().decompress(raw))
        except zlib.error:
            out.append(raw)
    return out


def _cmap(streams: list[bytes]) -> dict[int, str]:
    glyphs: dict[int, str] = {}
    for s in streams:
        for block in _BFCHAR.findall(s):
            for gid, uni in _PAIR.findall(block):
                glyphs[int(gid, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
        for block in _BFRANGE.findall(s):
            for lo, hi, start in _TRIPLE.findall(block):
                for i in range(int(lo, 16), int(hi, 16) + 1):
                    glyphs[i] = chr(int(start, 16) + i - int(lo, 16))
    return glyphs


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """The PDF literal string starting after the "(" at data[i - 1]; (its bytes, index after)."""
    out = bytearray()
    depth = 1
    while i < len(data):
        c = data[i]
        if c == 0x5C:  # backslash
            n = data[i + 1]
            if n in _ESCAPES:
                out.append(_ESCAPES[n])
                i += 2
            elif 0x30 <= n <= 0x37:
                j = i + 1
                while j < min(i + 4, len(data)) and 0x30 <= data[j] <= 0x37:
                    j += 1
                out.append(int(data[i + 1 : j], 8) & 0xFF)
                i = j
            elif n in (0x0A, 0x0D):
                i += 2
            else:
                out.append(n)
                i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1
    return bytes(out), i


def pdf_lines(body: bytes) -> list[str]:
    """Every printed line of text, in content-stream order."""
    streams = _streams(body)
    glyphs = _cmap(streams)
    lines: list[str] = []
    for s in streams:
        if b"BT" not in s or b"begincmap" in s:
            continue
        i = 0
        current: list[bytes] = []
        while i < len(s):
            c = s[i]
            if c == 0x28:
                text, i = _literal(s, i + 1)
                current.append(text)
                continue
            if s.startswith(b"Tj", i) or s.startswith(b"TJ", i):
                raw = b"".join(current)
                lines.append(
                    "".join(
                        glyphs.get(int.from_bytes(raw[k : k + 2], "big"), "?")
                        for k in range(0, len(raw) - 1, 2)
                    )
                )
                current = []
                i += 2
                continue
            if s.startswith(b"ET", i):
                current = []
            i += 1
    return lines
