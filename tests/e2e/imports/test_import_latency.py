"""Issue 10 item 6, for real: the server in a subprocess on a SQLite file, the largest allowed
bank file and 花名册 (XLSX at the default row caps) uploading in one thread while another signs
in again and again. Parsing runs in the thread pool with no transaction open, and the write is
short enough, so no sign-in waits long for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from models.enums import Role
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine
from tests.e2e.edge.edge_e2e_support import ServerProc
from tests.factories import PASSWORD, make_project, make_user
from tests.support import hostile_files

pytestmark = pytest.mark.e2e

DEFAULTS = Settings()
IMPORTS = {  # what is uploaded, where, and the answer for a good file
    "bank file": ("payroll/imports", DEFAULTS.payroll_max_rows, hostile_files.bank_xlsx, 201),
    "花名册": ("roster-import", DEFAULTS.roster_max_rows, hostile_files.roster_xlsx, 200),
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ServerProc, int, str]]:
    url = f"sqlite:///{tmp_path / 'latency.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        project = make_project(s)
        user = make_user(s, Role.SITE_MANAGER, [project])
        s.commit()
        pid, username = project.id, user.username
    engine.dispose()
    proc = ServerProc(url)
    proc.start()
    try:
        yield proc, pid, username
    finally:
        proc.stop()


def _sign_in(base: str, username: str) -> tuple[float, str]:
    start = time.perf_counter()
    r = httpx.post(
        base + "/api/v1/auth/token",
        data={"username": username, "password": PASSWORD},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return time.perf_counter() - start, str(r.json()["access_token"])


class TestSignInDuringTheLargestImport:
    @pytest.mark.parametrize("kind", sorted(IMPORTS))
    def test_sign_in_answers_within_a_second(
        self, server: tuple[ServerProc, int, str], kind: str
    ) -> None:
        proc, pid, username = server
        path, rows, make, ok = IMPORTS[kind]
        data = make(rows)
        idle, token = _sign_in(proc.url, username)
        outcome: dict[str, object] = {}

        def upload() -> None:
            start = time.perf_counter()
            r = httpx.post(
                f"{proc.url}/api/v1/projects/{pid}/{path}",
                files={"file": ("upload.xlsx", data, "application/octet-stream")},
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )
            outcome["status"], outcome["body"] = r.status_code, r.text[:300]
            outcome["seconds"] = time.perf_counter() - start
            outcome["done_at"] = time.perf_counter()

        uploader = threading.Thread(target=upload, name="upload")
        uploader.start()
        time.sleep(0.3)  # the body is sent; the server is parsing
        during: list[tuple[float, float]] = []  # (finished at, latency)
        while uploader.is_alive() and len(during) < 50:
            latency, _ = _sign_in(proc.url, username)
            during.append((time.perf_counter(), latency))
            time.sleep(0.1)
        uploader.join(180)
        assert outcome.get("status") == ok, outcome
        done_at = float(outcome["done_at"])  # type: ignore[arg-type]
        overlapped = [lat for at, lat in during if at < done_at]
        print(  # noqa: T201 - the figures the issue asks for, shown with -s
            f"\n{kind} of {rows} rows: {outcome['seconds']:.2f} s; sign-in idle {idle:.3f} s, "
            f"during: n={len(overlapped)} max {max(overlapped, default=0):.3f} s"
        )
        assert len(overlapped) >= 3, during  # the sign-ins really ran while the import did
        assert max(overlapped) < 1.0, during
