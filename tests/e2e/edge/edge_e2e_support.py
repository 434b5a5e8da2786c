"""E2E helpers: the real server in a subprocess on a free port, seeded through its own services."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[3]
FACES = (REPO.parent / "shared" / "testdata" / "faces").resolve()
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
    """`sitegate server` as a child process; stop() and start() again simulate an outage."""

    def __init__(self, db_url: str, port: int | None = None) -> None:
        self.db_url = db_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(db_url.removeprefix("sqlite:///")).with_suffix(".server.log")

    def start(self, timeout_s: float = 30.0) -> None:
        exe = Path(sys.executable).with_name("sitegate")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(exe), "server", "--port", str(self.port), "--database-url", self.db_url],
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
                if httpx.get(self.url + "/docs", timeout=0.5).status_code < 500:
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


@dataclass
class Person:
    name: str
    id_number: str
    worker_id: int = 0
    assignment_id: int = 0
    card_uid: str | None = None


@dataclass
class Seeded:
    project_id: int
    device_code: str
    device_pk: int
    provisioning_code: str
    people: dict[str, Person] = field(default_factory=dict)


def seed(
    db_url: str,
    people: list[tuple[str, str, str | None, list[list[float]], bool]],
    *,
    direction: str = "in",
) -> Seeded:
    """people: (key, name, card uid or None, face templates, left?). Runs migrations first."""
    from sqlalchemy.orm import Session

    from models.enums import Direction
    from server.config import Settings
    from server.db import migrate
    from server.db.session import make_engine
    from server.registry import service as registry_service
    from tests.factories import (
        make_assignment,
        make_company,
        make_device,
        make_id_number,
        make_project,
        make_worker,
    )

    migrate.upgrade(db_url)
    settings = Settings(database_url=db_url, template_key=TEMPLATE_KEY, secret_key=SECRET_KEY)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            project = make_project(session)
            company = make_company(session, project)
            device = make_device(session, project, Direction(direction))
            code, _ = registry_service.issue_provisioning_code(session, None, device)
            out = Seeded(project.id, device.code, device.id, code)
            for i, (key, name, uid, templates, left) in enumerate(people):
                id_number = make_id_number(birth=dt.date(1980 + i, 3, 1))
                worker = make_worker(session, name=name, id_number=id_number)
                assignment = make_assignment(session, project, worker, company)
                if uid:
                    registry_service.bind_card(session, None, assignment, uid=uid)
                if templates:
                    registry_service.set_consent(session, None, worker, consent=True)
                    for t in templates:
                        registry_service.add_face_template(
                            session, settings, None, worker, encoding=t
                        )
                if left:
                    registry_service.leave(session, None, assignment, on=dt.date(2026, 1, 10))
                out.people[key] = Person(name, id_number, worker.id, assignment.id, uid)
            from server.registry import versioning

            versioning.bump(session, project.id)
            session.commit()
            return out
    finally:
        engine.dispose()


def server_events(db_url: str, device_pk: int) -> list[tuple[int, str, str, bool]]:
    """(seq, prev_hash, hash, chain_ok) of the device's events as the server stored them."""
    import sqlite3

    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        return [
            (int(s), str(p), str(h), bool(ok))
            for s, p, h, ok in conn.execute(
                "SELECT seq, prev_hash, hash, chain_ok FROM gate_event WHERE device_id = ?"
                " ORDER BY seq",
                (device_pk,),
            )
        ]
    finally:
        conn.close()


def chain_breaks(db_url: str, device_pk: int) -> int:
    import sqlite3

    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        return int(
            conn.execute(
                "SELECT count(*) FROM chain_break WHERE device_id = ?", (device_pk,)
            ).fetchone()[0]
        )
    finally:
        conn.close()
