"""The verifier as a clerk runs it: `python3 verify_pack.py pack.zip` from the pack alone (no
module of ours importable), and `sitegate verify PACK` with the same options and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cryptography
import pytest
from typer.testing import CliRunner

from models import pack_verifier as pv
from sitegate_cli.app import app
from tests.support import evidence_pack as ep
from tests.support.evidence_pack_edits import SERVER_FP, honest, honest_pack


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    path = tmp_path / "pack.zip"
    path.write_bytes(honest_pack())
    return path


def gate_args() -> list[str]:
    return [a for g, fp in ep.fingerprints(honest()).items() for a in ("--gate-key", f"{g}={fp}")]


def test_main_exit_codes_and_lines(pack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pv.main([str(pack)]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓ pack.read pack ")
    assert "结论 / verdict: VALID_UNANCHORED" in out
    assert pv.main([str(pack), *gate_args(), "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "✓ record.hash GATE-A-IN #5 hash matches its content" in out
    assert out[-1].startswith("VALID: ")
    bad = pack.with_name("bad.zip")
    bad.write_bytes(b"not a zip")
    assert pv.main([str(bad), "--lang", "zh"]) == 1
    assert capsys.readouterr().out.startswith("✗ pack.read pack 无法读取压缩包")


def test_main_json_and_archived_digests(
    pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    for day in ("2026-03-03", "2026-03-17"):
        (archive / f"sitegate-digest-1-{day}.json").write_bytes(honest().digests[day])
    assert pv.main([str(pack), "--server-key", SERVER_FP, "--digests", str(archive), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "VALID"
    archived = [c for c in report["checks"] if c["name"] == "anchor.archive"]
    assert [c["subject"] for c in archived] == [
        "sitegate-digest-1-2026-03-03.json",
        "sitegate-digest-1-2026-03-17.json",
    ]


def test_main_cannot_read_the_inputs(pack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pv.main([str(pack.with_name("nowhere.zip"))]) == 2
    assert pv.main([str(pack), "--gate-key", "GATE-A-IN"]) == 2
    assert pv.main([str(pack), "--earlier", str(pack.with_name("nowhere.zip"))]) == 2
    assert pv.main([str(pack), "--lang", "fr"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_standalone_from_the_pack_alone(tmp_path: Path) -> None:
    """The shipped file with only the standard library and `cryptography`: -S skips site's
    .pth files (so not even the editable install of this project is importable)."""
    files = ep.unzip(honest_pack())
    (tmp_path / "verify_pack.py").write_bytes(files["verify_pack.py"])
    (tmp_path / "pack.zip").write_bytes(honest_pack())
    site = str(Path(cryptography.__file__).resolve().parents[1])
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": site, "PYTHONIOENCODING": "utf-8"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )

    assert run("-c", "import models").returncode != 0  # nothing of ours to import here
    done = run("verify_pack.py", "pack.zip")
    assert done.returncode == 3, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "✓ pack.read pack 证据包可读 / the pack reads"
    assert all(line.startswith("✓ ") for line in lines[:-3])
    assert lines[-3] == "结论 / verdict: VALID_UNANCHORED"
    assert run("verify_pack.py", "pack.zip", *gate_args()).returncode == 0


def test_sitegate_verify(pack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["verify", str(pack)])
    assert result.exit_code == 3
    assert "结论 / verdict: VALID_UNANCHORED" in result.output
    result = runner.invoke(app, ["verify", str(pack), *gate_args(), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["verdict"] == "VALID"
    forged = tmp_path / "forged.zip"
    forged.write_bytes(ep.make_pack(ep.make_world(ep.Plan(gate_seed="forger")), 101))
    result = runner.invoke(app, ["verify", str(forged), *gate_args(), "--lang", "en"])
    assert result.exit_code == 1
    assert "✗ anchor.gate_key GATE-A-IN the gate key at the month's end is " in result.output
    assert runner.invoke(app, ["verify", str(tmp_path / "nowhere.zip")]).exit_code == 2
