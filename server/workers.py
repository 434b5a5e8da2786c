"""Several server processes: `sitegate server --workers N` (uvicorn's own supervisor).

Every worker is a full server, so what must hold across them lives in the database, which they
share: sign-in sessions (auth_session) and the throttle's counters (auth_throttle, each counted
under a row lock); device nonces (unique (device_id, nonce), inserted ON CONFLICT DO NOTHING);
ingest (the device row locked for each batch, unique (device_id, seq)); a reconciliation run and
a 代发 import of one project (both lock the project row, so one waits for the other). The
in-process caches (lru_cache on keys, gate models, fonts) hold derived data only, the same in
every process. What must run once, not once per worker, is led by a PostgreSQL advisory lock
(server/db/leader.py): the daily digest issuer.

Metrics: prometheus_client's multiprocess mode keeps each worker's instruments in files of a
folder named by PROMETHEUS_MULTIPROC_DIR; this start's folder (under data_dir) is emptied before
the workers start, and a worker that stops marks itself dead there.

SQLite has one writer: more than one worker is refused, with a message.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from server.config import Settings
from server.db.session import normalise_url
from server.errors import SiteGateError

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("sitegate.server")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The app factory each worker imports (uvicorn needs an import string to start several).
FACTORY = "server.workers:worker_app"


class WorkersNeedPostgresError(SiteGateError):
    code = "server.workers_need_postgres"

    def __init__(self, workers: int) -> None:
        super().__init__(
            f"SQLite 只允许一个写入者,不能以 {workers} 个进程运行:请使用 PostgreSQL"
            "(SITEGATE_DATABASE_URL=postgresql://…),或去掉 --workers",
            f"SQLite has one writer and cannot serve {workers} processes: use PostgreSQL "
            "(SITEGATE_DATABASE_URL=postgresql://…) or leave out --workers",
        )


def check(database_url: str, workers: int) -> None:
    """Refuse several workers on anything but PostgreSQL."""
    if workers > 1 and make_url(normalise_url(database_url)).get_backend_name() != "postgresql":
        raise WorkersNeedPostgresError(workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def metrics_dir(data_dir: str | Path, start_pid: int) -> Path:
    """This start's empty metrics folder, `<data_dir>/metrics/<pid>`: another server running
    from the same data folder keeps its own; folders of starts whose process is gone go."""
    root = Path(data_dir) / "metrics"
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        if old.name.isdigit() and int(old.name) != start_pid and not _alive(int(old.name)):
            shutil.rmtree(old, ignore_errors=True)
    mine = root / str(start_pid)
    shutil.rmtree(mine, ignore_errors=True)  # a pid reused from an earlier start
    mine.mkdir()
    return mine


def prepare(settings: Settings, workers: int) -> None:
    """Before uvicorn starts the workers: they inherit this process's environment and build
    their settings from it (the factory takes no arguments)."""
    check(settings.database_url, workers)
    os.environ["SITEGATE_DATABASE_URL"] = settings.database_url
    os.environ[MULTIPROC_ENV] = str(metrics_dir(settings.data_dir, os.getpid()))


def run(host: str, port: int, workers: int) -> None:
    """Serve with uvicorn's supervisor, which starts a new worker for one that died; here the
    dead one's live gauges also leave the metrics sums (mark_process_dead)."""
    import uvicorn
    from prometheus_client import multiprocess
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        def keep_subprocess_alive(self) -> None:
            before = {p.pid for p in self.processes}
            super().keep_subprocess_alive()
            for pid in before - {p.pid for p in self.processes}:
                if pid is not None:
                    log.warning("server worker %d died; a new one starts", pid)
                    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]

    # log_config=None: uvicorn's loggers keep the handler `serve` set (JSON or console lines).
    config = uvicorn.Config(
        FACTORY, factory=True, host=host, port=port, workers=workers, log_config=None
    )
    Supervisor(config, sockets=[config.bind_socket()]).run()


def worker_app() -> FastAPI:
    """One worker's app: its logs set up as the parent's were (a fresh interpreter)."""
    from server.app import create_app
    from server.ops import logs

    settings = Settings()
    logs.configure(settings.log_format, settings.log_level)
    log.info("server worker started (pid %d)", os.getpid())
    return create_app(settings)


def worker_stopped() -> None:
    """A worker's last act: its live gauges leave the sums (prometheus_client multiprocess)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
