"""Real server processes for the several-workers tests: `sitegate server` started as a
subprocess on a free port against a scratch PostgreSQL database, and stopped by its pid."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.server.reconciliation.recon_support import Month


@dataclass
class World:
    url: str
    month: Month


REPO = Path(__file__).resolve().parents[4]
WORKER_STARTED = re.compile(r"server worker started \(pid (\d+)\)")
ISSUER_LEADS = re.compile(r"issuing daily digests: this process leads \(pid (\d+)\)")


BASE = os.environ.get("TEST_DATABASE_URL", "")
# Each test module carries this: skipped, with the reason, on SQLite.
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not BASE.startswith("postgresql"),
        reason="several server processes need PostgreSQL (set TEST_DATABASE_URL)",
    ),
]

PASSWORD = "correct horse 42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One `sitegate server` (its supervisor and, with workers > 1, its worker processes)."""

    def __init__(self, database_url: str, data_dir: Path, *, workers: int, digest_s: int = 0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.data_dir = data_dir
        self.log_path = data_dir / f"server-{self.port}.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SITEGATE_ENVIRONMENT": "dev",
            "SITEGATE_DATA_DIR": str(data_dir),
            "SITEGATE_DIGEST_EVERY_S": str(digest_s),
            "SITEGATE_LOG_FORMAT": "console",
            # the tests sign in often from one address: keep the address-wide lock out of it
            "SITEGATE_LOGIN_ADDRESS_MAX_FAILURES": "1000",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        args = [
            sys.executable, "-c", "from sitegate_cli.app import app; app()",
            "server", "--port", str(self.port), "--database-url", database_url,
            "--workers", str(workers),
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.log()}")
            started = len(set(WORKER_STARTED.findall(self.log())))
            if self.workers == 1 or started >= self.workers:
                try:
                    if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        raise AssertionError(f"server not ready in {timeout} s:\n{self.log()}")

    def worker_pids(self) -> set[int]:
        return {int(p) for p in WORKER_STARTED.findall(self.log())}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # uvicorn stops its workers gracefully
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
