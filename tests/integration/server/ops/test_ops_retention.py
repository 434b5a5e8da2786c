"""`sitegate retention run`: the dry run counts per project and kind and deletes nothing; the run
deletes only what is past its period, writes an audit entry, and leaves the gate's chain verified
from its retention boundary (no break); the gate then goes on uploading."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import AssignmentStatus
from server.app import create_app
from server.auth.models import AuditLog
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine
from server.ingest import chain_check, evidence
from server.ingest import service as ingest_service
from server.ingest.models import GateEventRow
from server.ops.models import ProjectSettlement, RetentionBoundary
from server.payroll.models import PayrollLine
from server.registry.models import FaceTemplate
from sitegate_cli.app import app as cli_app
from tests.factories import make_assignment, make_device, make_payment, make_project, make_worker
from tests.integration.server.ingest.ingest_support import Gate
from tests.integration.server.ops.ops_support import scratch_database

runner = CliRunner()
OLD = dt.datetime(2022, 5, 3, 7, 30, tzinfo=dt.UTC)
RECENT = dt.datetime(2024, 1, 8, 7, 30, tzinfo=dt.UTC)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[dict[str, object]]:
    """A project ended in 2022 and settled, with old and recent gate records, an old and a
    recent payroll month, a worker who left (template) and one still on another project; and
    a project never settled, with old records too."""
    with scratch_database(db_url, tmp_path, "ret") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        settings = Settings(environment="test", database_url=url, secret_key="s", template_key="t")
        with TestClient(create_app(settings, engine=engine)) as client:
            with Session(engine, expire_on_commit=False) as s:
                done = make_project(s, ends_on=dt.date(2022, 6, 30))
                s.add(ProjectSettlement(project_id=done.id, settled_on=dt.date(2022, 8, 15)))
                other = make_project(s)
                gone, staying = make_worker(s, "李四"), make_worker(s, "王五")
                make_assignment(s, done, gone, status=AssignmentStatus.LEFT,
                                left_on=dt.date(2022, 6, 30))  # fmt: skip
                make_assignment(s, done, staying, status=AssignmentStatus.LEFT,
                                left_on=dt.date(2022, 6, 30))  # fmt: skip
                make_assignment(s, other, staying)
                s.add_all([FaceTemplate(worker_id=w.id, ciphertext=b"x") for w in (gone, staying)])
                make_payment(s, done, gone, period="2022-05", net_yuan=5000)
                make_payment(s, done, gone, period="2024-01", net_yuan=300)
                make_payment(s, other, staying, period="2022-05", net_yuan=4000)
                gate = Gate.provision(client, s, make_device(s, done))
                open_gate = Gate.provision(client, s, make_device(s, other))
                codes = (done.code, other.code)
            for g in (gate, open_gate):
                old = [g.event(i, device_time=OLD + dt.timedelta(hours=i)) for i in range(1, 7)]
                assert g.upload(old).status_code == 200
            recent = [
                gate.event(i, device_time=RECENT + dt.timedelta(hours=i), worker_id=gone.id)
                for i in (7, 8)
            ]
            assert gate.upload(recent).status_code == 200
            yield {
                "url": url, "engine": engine, "gate": gate, "codes": codes, "client": client,
                "worker": gone.id,
            }  # fmt: skip
        engine.dispose()


def _table(output: str) -> dict[tuple[str, str], int]:
    """(project, kind in English) -> count, from the rows of the command's table."""
    out = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 3 and cells[2].isdigit():
            out[(cells[0], cells[1].split(" / ")[-1])] = int(cells[2])
    return out


def _count(engine: object, stmt: object) -> int:
    with Session(engine) as s:  # type: ignore[call-overload]
        return int(s.scalar(stmt))


def test_dry_run_then_run(world: dict[str, object]) -> None:
    url, engine, gate = world["url"], world["engine"], world["gate"]
    done, _other = world["codes"]  # type: ignore[misc]
    assert isinstance(gate, Gate)
    events = select(func.count()).select_from(GateEventRow)
    before = _count(engine, events)

    dry = runner.invoke(cli_app, ["retention", "run", "--dry-run", "--database-url", str(url)])
    assert dry.exit_code == 0, dry.output
    assert _table(dry.output) == {
        (done, "gate records"): 6,
        (done, "payroll lines"): 1,
        (done, "payroll files"): 1,
        ("-", "face templates"): 1,
    }  # the other project was never settled: nothing of it is planned
    assert _count(engine, events) == before  # a dry run deletes nothing

    real = runner.invoke(cli_app, ["retention", "run", "--database-url", str(url)])
    assert real.exit_code == 0, real.output
    with Session(engine) as s:  # type: ignore[call-overload]
        kept = s.scalars(
            select(GateEventRow.seq).where(GateEventRow.device_id == gate.device.id).order_by(
                GateEventRow.seq)
        ).all()  # fmt: skip
        assert kept == [7, 8]
        assert s.scalar(select(func.count()).select_from(GateEventRow)) == before - 6
        marker = s.scalars(select(RetentionBoundary)).one()
        assert (marker.through_seq, marker.records, marker.through_hash) == (6, 6, gate.hashes[6])
        periods = sorted(s.scalars(select(PayrollLine.period)).all())
        assert periods == ["2022-05", "2024-01"]  # the other project's 2022-05 and the recent one
        assert len(s.scalars(select(FaceTemplate)).all()) == 1  # the worker still on a project
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "retention")).all()
        assert audit
        assert any(a.detail["deleted"].get("gate_records") == 6 for a in audit)
        # The chain is verified from the boundary: intact, and says where it starts.
        report = ingest_service.verify_chain(s, gate.device.id)
        assert report.intact, report.problems
        assert report.retained_through_seq == 6
        states = chain_check.gate_states(s, gate.device.project_id)
        assert all(not st.ack_problems for st in states), states
        # The kept records' evidence links to the boundary: the first kept one is no "gap".
        ev = evidence.worker_month_evidence(
            s, project_id=gate.device.project_id, worker_id=int(world["worker"]),  # type: ignore[call-overload]
            period="2024-01", now=dt.datetime.now(dt.UTC),
        )  # fmt: skip
        assert (ev.events_checked, ev.events_ok, ev.all_ok) == (2, 2, True)

    # The gate goes on: its next records link to the kept chain.
    client = world["client"]
    assert isinstance(client, TestClient)
    r = gate.upload([gate.event(9, device_time=RECENT + dt.timedelta(days=1))])
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 1

    again = runner.invoke(cli_app, ["retention", "run", "--database-url", str(url)])
    assert again.exit_code == 0
    assert "nothing is past its retention" in again.output


def test_future_today_is_for_dry_runs_only(world: dict[str, object]) -> None:
    url = str(world["url"])
    refused = runner.invoke(
        cli_app, ["retention", "run", "--today", "2030-01-01", "--database-url", url]
    )
    assert refused.exit_code == 1
    assert "--dry-run" in refused.output
    assert "Traceback" not in refused.output
    later = runner.invoke(
        cli_app, ["retention", "run", "--dry-run", "--today", "2030-01-01", "--database-url", url]
    )
    assert later.exit_code == 0, later.output
    plan = _table(later.output)
    done, _ = world["codes"]  # type: ignore[misc]
    assert plan[(done, "gate records")] == 8  # by 2030 the 2024 records may go too
    assert plan[(done, "payroll lines")] == 2
    bad = runner.invoke(cli_app, ["retention", "run", "--today", "soon", "--database-url", url])
    assert bad.exit_code == 1
    assert "YYYY-MM-DD" in bad.output


def test_settle_refuses_a_project_not_ended(world: dict[str, object]) -> None:
    url = str(world["url"])
    _, other = world["codes"]  # type: ignore[misc]
    r = runner.invoke(cli_app, ["retention", "settle", str(other), "--on", "2026-01-01",
                                "--database-url", url])  # fmt: skip
    assert r.exit_code == 1
    assert "has not ended" in r.output
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            from server.registry.models import Project

            project = s.scalars(select(Project).where(Project.code == other)).one()
            project.ends_on = dt.date(2025, 12, 31)
            s.commit()
    finally:
        engine.dispose()
    ok = runner.invoke(cli_app, ["retention", "settle", str(other), "--on", "2026-01-01",
                                 "--database-url", url])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "2029-01-01" in ok.output
