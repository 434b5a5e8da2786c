"""`sitegate demo --faces DIR`: any folder of photos, one sub-folder per person; a folder that
cannot give the demo a face worker is refused at once in one bilingual line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sitegate_cli.demo.faces import check_folder

REPO = Path(__file__).resolve().parents[3]


def _photo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff")  # only the name and the suffix are looked at here


def test_a_folder_of_people_with_two_photos_each_is_accepted(tmp_path: Path) -> None:
    _photo(tmp_path / "wang" / "1.jpg")
    _photo(tmp_path / "wang" / "2.JPG")
    _photo(tmp_path / "li" / "1.png")
    assert check_folder(tmp_path) is None


@pytest.mark.parametrize(
    ("layout", "zh", "en"),
    [
        ("missing", "人脸照片目录不存在", "face photo folder not found"),
        ("file", "不是目录", "not a folder"),
        ("empty", "没有子目录", "has no sub-folders"),
        ("loose", "没有子目录", "one sub-folder of photos per person"),
        ("one_each", "没有两张以上的照片", "holds two photos or more"),
    ],
)
def test_what_is_refused(tmp_path: Path, layout: str, zh: str, en: str) -> None:
    root = tmp_path / "faces"
    if layout == "file":
        root.write_text("x")
    elif layout != "missing":
        root.mkdir()
    if layout == "loose":
        _photo(root / "a.jpg")
        _photo(root / "b.jpg")
    if layout == "one_each":
        _photo(root / "wang" / "1.jpg")
        _photo(root / "li" / "notes.txt")
    problem = check_folder(root)
    assert problem is not None
    assert zh in problem[0]
    assert en in problem[1]


def test_the_command_says_it_in_one_line(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("sitegate")
    args = ["demo", "--fast", "--faces", str(tmp_path / "nope"), "--dir", str(tmp_path / "d")]
    proc = subprocess.run(
        [str(exe), *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "人脸照片目录不存在" in lines[0]
    assert "face photo folder not found" in lines[0]
    assert not (tmp_path / "d").exists()  # refused before anything was made
