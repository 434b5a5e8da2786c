"""A small copy of the CJK font for the PDFs, made once and kept on disk.

The system's Noto Sans CJK collection holds 65,000 glyphs: fpdf2 takes ~1.2 s to read it and
~1 s to cut the document's subset from it, on every PDF, so a one-page pay slip took 2–4 s on
this machine. A copy holding only ASCII, Latin-1, the punctuation and symbols, and the GB2312
characters (about 11,000 code points) reads in 0.1 s; its outlines are converted from CFF to
TrueType (quadratic) because fpdf2 cuts a TrueType subset about four times faster than a CFF
one (1,000 distinct characters: 1.5 s against 5.5 s under load), and a month's report prints
many names.

Making the copy takes ~30 s (fontTools), so it is made once per font file in the background
(the first PDFs use the full font meanwhile) and kept in the cache folder, keyed by the font's
path, size, mtime and face. A character outside the copy (a name with 喆 or 堃) is never lost:
the document falls back, character by character, to the full font (cjk_pdf.CjkPdf).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_ENV = "SITEGATE_FONT_CACHE"
# Bumped when the character set below changes, so an old copy is not reused.
SUBSET_VERSION = 2

_lock = threading.Lock()
_building: set[Path] = set()


def _ranges() -> Iterable[int]:
    yield from range(0x20, 0x7F)  # ASCII
    yield from range(0xA0, 0x250)  # Latin-1, Latin Extended-A/B (pinyin tone marks)
    yield from range(0x2000, 0x2C00)  # punctuation, symbols, arrows, box drawing, shapes, ①
    yield from range(0x3000, 0x3040)  # CJK punctuation 、。「」〇
    yield from range(0xFF00, 0xFFF0)  # full-width forms (,:¥)


def common_chars() -> set[int]:
    """The code points of the copy: the ranges above plus every GB2312 character."""
    chars = set(_ranges())
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sitegate" / "fonts"


def subset_path(font: tuple[str, int]) -> Path:
    path, index = font
    stat = Path(path).stat()
    key = f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{index}|{SUBSET_VERSION}"
    return cache_dir() / f"cjk-{hashlib.sha256(key.encode()).hexdigest()[:16]}.ttf"


def build_subset(font: tuple[str, int], dest: Path, chars: set[int] | None = None) -> Path:
    """Write the copy of `font` holding `chars` (default common_chars()) to `dest`, atomically:
    a reader never sees half a file."""
    from fontTools import subset, ttLib

    path, index = font
    face = ttLib.TTFont(path, fontNumber=index, lazy=False)
    options = subset.Options()
    options.layout_features = []  # no shaping in these PDFs: cells of plain text
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=common_chars() if chars is None else chars)
    subsetter.subset(face)
    if "CFF " in face:
        _to_truetype(face)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".cjk-", suffix=".ttf")
    try:
        with os.fdopen(fd, "wb") as out:
            face.save(out)
        os.chmod(tmp, 0o644)  # a font, not a secret: readable by a server run as another user
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def _to_truetype(face: Any) -> None:
    """Replace the CFF outlines by TrueType ones (cubic curves approximated by quadratics to
    within one font unit), with the tables a glyf font needs in place of the CFF ones."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = face.getGlyphOrder()
    source = face.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(source)
        source[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    face["loca"] = newTable("loca")
    glyf = face["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for tag in ("CFF ", "VORG"):
        if tag in face:
            del face[tag]
    maxp = face["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
        "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
    ):  # fmt: skip
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    maxp.numGlyphs = len(order)
    face["head"].glyphDataFormat = 0
    post = face["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    face.sfntVersion = "\x00\x01\x00\x00"


def fast_font(font: tuple[str, int], *, start: bool = True) -> str | None:
    """The copy's path when it is ready; else None, after starting its build in the background
    (once per process) unless `start` is False."""
    try:
        dest = subset_path(font)
    except OSError:
        return None
    if dest.is_file():
        return str(dest)
    if start:
        with _lock:
            if dest not in _building:
                _building.add(dest)
                threading.Thread(
                    target=_build_quietly, args=(font, dest), name="cjk-font-subset", daemon=True
                ).start()
    return None


# A build left behind by a killed process stops blocking others after this long.
STALE_BUILD_S = 600


def _claim(marker: Path) -> bool:
    """One builder across processes (several server workers, a test run's servers): the one
    that creates the marker file builds; the others keep the full font until the copy is there."""
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        if time.time() - marker.stat().st_mtime > STALE_BUILD_S:
            marker.unlink(missing_ok=True)
    except FileNotFoundError:
        pass
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    return True


def _build_quietly(font: tuple[str, int], dest: Path) -> None:
    marker = dest.with_suffix(".building")
    try:
        if _claim(marker):
            try:
                build_subset(font, dest)
                log.info("CJK font copy written: %s", dest)
            finally:
                marker.unlink(missing_ok=True)
    except Exception:  # the full font keeps working; the next process tries again
        log.warning("CJK font copy could not be made from %s", font[0], exc_info=True)
    finally:
        with _lock:
            _building.discard(dest)
