"""Real processes on loopback: the server as a child process, throw-away databases on SQLite or
PostgreSQL, and what the server stored, read straight from its database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.db.session import normalise_url

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_KEY = "e2e-template-key-not-secret"
SECRET_KEY = "e2e-secret-key-not-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SITEGATE_DATABASE_URL=db_url,
        SITEGATE_TEMPLATE_KEY=TEMPLATE_KEY,
        SITEGATE_SECRET_KEY=SECRET_KEY,
        SITEGATE_ENVIRONMENT="test",
        PYTHONPATH=str(REPO),
    )
    return env


class ServerProc:
    """The server as a child process; stop() or kill() and start() again make an outage."""

    def __init__(self, db_url: str, port: int | None = None, log: Path | None = None) -> None:
        self.db_url = db_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = log or Path(db_url.removeprefix("sqlite:///")).with_suffix(".server.log")

    def start(self, timeout_s: float = 30.0) -> None:
        # uvicorn on the app factory, not `sitegate server`: the CLI imports the gate's face
        # stack too, which costs seconds per restart; the database is migrated by the seed.
        command = [sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                command,
                env=server_env(self.db_url),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=0.5).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, open transactions die with the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@contextmanager
def database(backend: str, workdir: Path, pg_url: str) -> Iterator[str]:
    """A fresh, empty database for one check: a SQLite file, or a PostgreSQL database created
    next to `pg_url`'s and dropped afterwards."""
    if backend == "sqlite":
        path = workdir / f"soak-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}"
        return
    name = f"soak_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def server_events(db_url: str, device_pk: int) -> list[tuple[int, str, str, bool]]:
    """(seq, prev_hash, hash, chain_ok) of the device's events as the server stored them."""
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT seq, prev_hash, hash, chain_ok FROM gate_event"
                    " WHERE device_id = :d ORDER BY seq"
                ),
                {"d": device_pk},
            )
            return [(int(s), str(p), str(h), bool(ok)) for s, p, h, ok in rows]
    finally:
        engine.dispose()


def chain_breaks(db_url: str, device_pk: int) -> int:
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.connect() as conn:
            n = conn.execute(
                text("SELECT count(*) FROM chain_break WHERE device_id = :d"), {"d": device_pk}
            ).scalar_one()
            return int(n)
    finally:
        engine.dispose()
