"""The fuzz check can fail: against an API with a 500 in it, it counts the server error."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from soak import fuzz
from soak.procs import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_a_server_error_is_counted(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "broken_app:app", "--port", str(port)],
        cwd=Path(__file__).parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(url + "/openapi.json", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        cases, errors, _ = fuzz.run_schemathesis(
            url, fuzz.Principal("anyone", {}), 5, "examples,fuzzing", tmp_path, tmp_path / "o.txt"
        )
        assert cases >= 1
        assert errors >= 1
    finally:
        proc.terminate()
        proc.wait(10)
