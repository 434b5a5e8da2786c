"""`sitegate server --workers N`: refused on SQLite before anything is touched; each start's
metrics folder (PROMETHEUS_MULTIPROC_DIR) begins empty and leaves other live starts' alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server import workers
from sitegate_cli.app import app


class TestCheck:
    def test_several_workers_on_sqlite_are_refused_in_both_languages(self) -> None:
        with pytest.raises(workers.WorkersNeedPostgresError) as caught:
            workers.check("sqlite:///var/x.sqlite3", 2)
        assert "SQLite 只允许一个写入者" in caught.value.message_zh
        assert "use PostgreSQL" in caught.value.message_en

    @pytest.mark.parametrize(
        ("url", "n"),
        [
            ("sqlite:///var/x.sqlite3", 1),
            ("postgresql://u@db/sitegate", 4),
            ("postgresql+psycopg://u@db/sitegate", 2),
        ],
    )
    def test_one_worker_anywhere_several_on_postgresql(self, url: str, n: int) -> None:
        workers.check(url, n)

    def test_the_command_refuses_before_migrating(self, tmp_path: Path) -> None:
        db = tmp_path / "x.sqlite3"
        result = CliRunner().invoke(
            app, ["server", "--workers", "2", "--database-url", f"sqlite:///{db}"]
        )
        assert result.exit_code == 1
        assert "SQLite 只允许一个写入者" in result.output
        assert "Traceback" not in result.output
        assert not db.exists()  # nothing created, nothing migrated


class TestMetricsDir:
    def test_a_start_gets_an_empty_folder_of_its_own(self, tmp_path: Path) -> None:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        live = os.getppid()
        for pid in (dead.pid, live, os.getpid()):
            (tmp_path / "metrics" / str(pid)).mkdir(parents=True)
            (tmp_path / "metrics" / str(pid) / f"histogram_{pid}.db").write_bytes(b"old")
        mine = workers.metrics_dir(tmp_path, os.getpid())
        assert mine == tmp_path / "metrics" / str(os.getpid())
        assert list(mine.iterdir()) == []  # last start's figures do not carry over
        assert not (tmp_path / "metrics" / str(dead.pid)).exists()  # its process is gone
        assert (tmp_path / "metrics" / str(live) / f"histogram_{live}.db").exists()

    def test_prepare_hands_the_workers_the_database_and_the_folder(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from server.config import Settings

        monkeypatch.delenv(workers.MULTIPROC_ENV, raising=False)
        monkeypatch.delenv("SITEGATE_DATABASE_URL", raising=False)
        settings = Settings(database_url="postgresql://u@db/sg", data_dir=str(tmp_path))
        workers.prepare(settings, 2)
        assert os.environ["SITEGATE_DATABASE_URL"] == "postgresql://u@db/sg"
        assert os.environ[workers.MULTIPROC_ENV] == str(tmp_path / "metrics" / str(os.getpid()))
