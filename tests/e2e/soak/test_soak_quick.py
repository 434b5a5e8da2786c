"""The reliability command's quick form (`python -m soak --quick`), run in the suite: real
server processes on loopback, SQLite and (with TEST_DATABASE_URL) PostgreSQL. Its full form's
figures are in README; here every target must hold at the small size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from soak.__main__ import run, table
from soak.context import Context

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def _backends() -> tuple[str, ...]:
    return ("sqlite", "postgresql") if os.environ.get("TEST_DATABASE_URL") else ("sqlite",)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list:  # type: ignore[type-arg]
    ctx = Context(
        workdir=tmp_path_factory.mktemp("soak"),
        quick=True,
        backends=_backends(),
        pg_url=os.environ.get("TEST_DATABASE_URL", ""),
    )
    console = Console(width=200, record=True)
    rows = run(ctx, console=console)
    console.print(table(rows))
    (Path(ctx.workdir) / "table.txt").write_text(console.export_text())
    return rows


def test_every_check_meets_its_targets(results: list) -> None:  # type: ignore[type-arg]
    failed = [(r.name, r.backend, r.notes) for r in results if not r.ok]
    assert failed == []


def test_every_check_ran_on_every_backend(results: list) -> None:  # type: ignore[type-arg]
    ran = {(r.name, r.backend) for r in results}
    for backend in _backends():
        assert {name for name, b in ran if b == backend} >= {
            "gate SIGKILL mid-burst",
            "server SIGKILL during ingest",
            "network cuts mid-upload",
            "duplicate / reordered / replayed batches",
            "gate clocks ±1 h, ±1 day",
            "schemathesis, every role + signed gate",
            "authorization matrix, every principal",
            "database tampering (deletions, moves)",
            "hostile imports and exports",
        }
    assert any(r.backend == "edge" for r in results)  # the power-loss row


def test_the_faults_were_really_injected(results: list) -> None:  # type: ignore[type-arg]
    for r in results:
        if r.cycles is not None:
            assert r.cycles > 0, r.name
        if r.tampered is not None:
            assert r.tampered > 0, r.name
