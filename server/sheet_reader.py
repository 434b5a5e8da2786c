"""What an uploaded spreadsheet may cost, and the XLSX reader that keeps to it.

Caps are checked on the raw bytes and on the zip directory before any XML is parsed, then while
reading: rows come out one at a time (the caller stops at its row cap) and no single row may
take more than `max_row_bytes` of the sheet. openpyxl's own read-only loader is not used for the
sheet: it scans the whole sheet for its size before handing out the first row (and a sheet
without a <dimension> element, as many exporters write, costs a full parse up front).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._reader import WorkSheetParser

from server.errors import SiteGateError

Cell = str | int | float | Decimal | dt.datetime | dt.date | bool | None
MiB = 1024 * 1024
RATIO_FLOOR = 1 * MiB  # a small part may compress far better than a sheet does, harmlessly
# What goes wrong inside a broken or hostile workbook, from zipfile, zlib, expat and openpyxl.
_BROKEN = (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, zlib.error, SyntaxError)


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """What one uploaded spreadsheet may cost (server.config.Settings.import_limits)."""

    max_bytes: int = 8 * MiB  # the upload as sent
    max_unzipped_bytes: int = 64 * MiB  # an XLSX's parts, inflated, all together
    max_other_parts_bytes: int = 16 * MiB  # inflated parts parsed whole (shared strings, styles)
    max_zip_members: int = 256  # a workbook as Excel saves it has a dozen or two
    max_zip_ratio: int = 100  # inflated / compressed, for parts over RATIO_FLOOR
    max_rows: int = 20_000  # data rows below the header
    max_columns: int = 256  # cells kept per row; the rest is ignored
    max_row_bytes: int = 1 * MiB  # sheet XML one row may take (256 long cells are ~50 KB)


DEFAULT_LIMITS = ImportLimits()


class FileTooLargeError(SiteGateError):
    code = "import.too_large"
    status_code = 413


class TooManyRowsError(SiteGateError):
    code = "import.too_many_rows"
    status_code = 422


def _size(n: int) -> str:
    return f"{n / MiB:.3g} MB" if n >= MiB else f"{n} B"


def check_size(data: bytes, limits: ImportLimits) -> None:
    if len(data) > limits.max_bytes:
        raise FileTooLargeError(
            f"文件过大({_size(len(data))}),上限 {_size(limits.max_bytes)}",
            f"the file is too large ({_size(len(data))}); the limit is {_size(limits.max_bytes)}",
            detail={"limit_bytes": limits.max_bytes},
        )


def too_many_rows(limits: ImportLimits) -> TooManyRowsError:
    return TooManyRowsError(
        f"行数超过上限:一次最多导入 {limits.max_rows} 行,请拆分文件",
        f"too many rows: at most {limits.max_rows} rows per import; split the file",
        detail={"limit_rows": limits.max_rows},
    )


def _is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def check_zip(data: bytes, limits: ImportLimits, *, error: type[SiteGateError]) -> None:
    """Refuse a zip bomb from its directory alone, before anything is inflated. A directory
    that lies about sizes is caught by `clean_copy`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except _BROKEN as err:
        raise error(f"无法打开 XLSX 文件: {err}", f"cannot open the XLSX file: {err}") from None
    if len(members) > limits.max_zip_members:
        raise FileTooLargeError(
            f"XLSX 内含 {len(members)} 个部件,上限 {limits.max_zip_members} 个;"
            "这不像 Excel 保存的工作簿",
            f"the XLSX holds {len(members)} parts (limit {limits.max_zip_members}); "
            "this is not a workbook as Excel saves it",
            detail={"limit_members": limits.max_zip_members},
        )
    total = sum(m.file_size for m in members)
    other = sum(m.file_size for m in members if not _is_sheet(m.filename))
    for size, cap in ((total, limits.max_unzipped_bytes), (other, limits.max_other_parts_bytes)):
        if size > cap:
            raise FileTooLargeError(
                f"XLSX 解压后为 {_size(size)},上限 {_size(cap)};请拆分文件或另存为 CSV",
                f"the XLSX inflates to {_size(size)} (limit {_size(cap)}); "
                "split the file or save it as CSV",
                detail={"limit_unzipped_bytes": cap},
            )
    for m in members:
        ratio = m.file_size // max(m.compress_size, 1)
        if m.file_size > RATIO_FLOOR and ratio > limits.max_zip_ratio:
            raise FileTooLargeError(
                f"XLSX 中的 {m.filename} 压缩比异常({ratio}:1,上限 {limits.max_zip_ratio}:1),"
                "疑似压缩炸弹",
                f"{m.filename} in the XLSX is compressed {ratio}:1 "
                f"(limit {limits.max_zip_ratio}:1): a zip bomb, not a spreadsheet",
                detail={"limit_ratio": limits.max_zip_ratio},
            )


CHUNK = 64 * 1024


def clean_copy(data: bytes, *, error: type[SiteGateError]) -> bytes:
    """The workbook rebuilt uncompressed from its parts, each inflated in small chunks and no
    further than its declared size (zipfile stops there and checks the CRC). openpyxl then
    reads only this copy: its own `ZipFile.read` inflates a part's whole compressed stream in
    one call, so a part whose directory entry understates its size would inflate in full."""
    out = io.BytesIO()
    try:
        with (
            zipfile.ZipFile(io.BytesIO(data)) as src,
            zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst,
        ):
            for info in src.infolist():
                if info.is_dir():
                    continue
                parts: list[bytes] = []
                with src.open(info) as part:
                    while chunk := part.read(CHUNK):
                        parts.append(chunk)
                dst.writestr(info.filename, b"".join(parts))
    except _BROKEN as err:
        raise error(f"无法读取 XLSX 文件: {err}", f"cannot read the XLSX file: {err}") from None
    return out.getvalue()


class _RowBudget(io.RawIOBase):
    """The sheet's XML stream, refusing to feed one row more than `limit` bytes: a row of
    millions of cells would otherwise be parsed whole before the row cap could apply."""

    def __init__(self, source: IO[bytes], limit: int) -> None:
        self.source = source
        self.limit = limit
        self.since_row = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        self.since_row += len(chunk)
        if self.since_row > self.limit:
            raise FileTooLargeError(
                f"XLSX 中有一行数据超过 {_size(self.limit)},不像正常的表格",
                f"a row of the XLSX takes more than {_size(self.limit)}: not a normal table",
                detail={"limit_row_bytes": self.limit},
            )
        return chunk

    def row_done(self) -> None:
        self.since_row = 0


def rows_with_values(xml: bytes, stop: int) -> int:
    """How many <row> elements of a sheet's XML hold a value (<v> or an inline <t>), counting
    no further than `stop` + 1: a quick upper bound, so a file far over the row cap is refused
    in milliseconds rather than after parsing 20,000 rows (a prefixed <x:row> is not seen; the
    exact count while reading still applies)."""
    n = 0
    pos = xml.find(b"<row")
    while pos != -1 and n <= stop:
        nxt = xml.find(b"<row", pos + 4)
        end = len(xml) if nxt == -1 else nxt
        if xml.find(b"<v", pos, end) != -1 or xml.find(b"<t", pos, end) != -1:
            n += 1
        pos = nxt
    return n


def xlsx_rows(
    data: bytes, limits: ImportLimits, *, error: type[SiteGateError], row_cap: int | None = None
) -> Iterator[list[Cell]]:
    """The first worksheet's cached values (formulas as last computed by Excel), one list per
    Excel row from row 1 (a row missing in the file is an empty list), at most `max_columns`
    cells each with trailing blanks dropped. Stops when the caller stops. More than `row_cap`
    rows holding values is TooManyRowsError before the first row is parsed."""
    check_zip(data, limits, error=error)
    clean = clean_copy(data, error=error)
    try:
        reader = ExcelReader(io.BytesIO(clean), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)  # which number formats are dates
        sheets = [
            rel.target
            for _, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
    except _BROKEN as err:
        raise error(f"无法打开 XLSX 文件: {err}", f"cannot open the XLSX file: {err}") from None
    if not sheets:
        raise error("XLSX 中没有工作表", "the XLSX has no worksheet")
    wb: Any = reader.wb
    try:
        xml = reader.archive.read(sheets[0])  # stored: its checked, declared size
        if row_cap is not None and rows_with_values(xml, row_cap) > row_cap:
            raise too_many_rows(limits)
        with io.BytesIO(xml) as raw:
            source = _RowBudget(raw, limits.max_row_bytes)
            parser = WorkSheetParser(
                source,
                reader.shared_strings,
                data_only=True,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            expected = 1
            for number, cells in parser.parse():
                source.row_done()
                if number < expected:  # out of order: Excel never writes this; skip it
                    continue
                while expected < number:
                    expected += 1
                    yield []
                row: list[Cell] = [None] * min(
                    max((c["column"] for c in cells), default=0), limits.max_columns
                )
                for c in cells:
                    if c["column"] <= limits.max_columns:
                        row[c["column"] - 1] = c["value"]
                while row and row[-1] is None:
                    row.pop()
                expected += 1
                yield row
    except _BROKEN as err:
        # a part cut short, failing its CRC or not XML shows only while reading
        raise error(f"无法读取 XLSX 文件: {err}", f"cannot read the XLSX file: {err}") from None
    finally:
        reader.archive.close()
