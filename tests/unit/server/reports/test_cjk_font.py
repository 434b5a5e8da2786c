"""The small CJK font copy: what it holds, and that a character outside it still prints (from
the full font) while a document that needs none of those never reads the full font."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from server.reports import cjk_font, key_line, payslip_pdf
from server.reports.cjk_pdf import FAMILY, CjkPdf, add_cjk_font

RARE = "喆"  # a name character outside GB2312


@pytest.fixture
def font() -> tuple[str, int]:
    try:
        return payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font on this machine")


def test_the_copy_holds_ascii_punctuation_and_gb2312_but_not_rare_characters() -> None:
    chars = cjk_font.common_chars()
    for text in ("张伟 王芳 考勤凭证 工资支付表", "0123456789 ABC abc", "¥,。、:—①→■", "ǚ"):
        assert {ord(c) for c in text} <= chars, text
    assert ord(RARE) not in chars
    assert 10_000 < len(chars) < 12_000


def _doc(text: str, font: tuple[str, int]) -> CjkPdf:
    pdf = CjkPdf()
    add_cjk_font(pdf, font)
    pdf.add_page()
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(0, 8, text)
    pdf.output()
    return pdf


def _missing(pdf: FPDF) -> list[int]:
    return [g for f in pdf.fonts.values() for g in getattr(f, "missing_glyphs", [])]


def test_a_rare_character_prints_from_the_full_font(
    font: tuple[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cjk_font.CACHE_ENV, str(tmp_path))
    assert cjk_font.fast_font(font, start=False) is None  # nothing cached here yet
    # every page also prints the server key's line (key_line): the real copy holds it (GB2312)
    small = {ord(c) for c in f"工资条 张伟王{RARE}0123456789{key_line.text()}"} - {ord(RARE)}
    copy = cjk_font.build_subset(font, cjk_font.subset_path(font), small)
    assert cjk_font.fast_font(font, start=False) == str(copy)
    assert copy.stat().st_size < 200_000

    common = _doc("工资条 张伟 2026", font)
    assert "cjk-full" not in common.fonts  # the full font was never read
    assert _missing(common) == []

    rare = _doc(f"工资条 王{RARE} 2026", font)
    assert "cjk-full" in rare.fonts
    assert _missing(rare) == []

    # Without the fallback the copy alone would lose the character: the test can fail.
    plain = FPDF()
    plain.add_font(FAMILY, "", str(copy))
    plain.add_page()
    plain.set_font(FAMILY, size=10)
    plain.cell(0, 8, f"王{RARE}")
    plain.output()
    assert _missing(plain) == [ord(RARE)]


def test_one_process_builds_the_copy_at_a_time(tmp_path: Path) -> None:
    import os

    marker = tmp_path / "cjk-x.building"
    assert cjk_font._claim(marker)
    assert not cjk_font._claim(marker)  # another process (or thread) is building it
    old = marker.stat().st_mtime - cjk_font.STALE_BUILD_S - 1
    os.utime(marker, (old, old))  # left behind by a killed builder
    assert cjk_font._claim(marker)
