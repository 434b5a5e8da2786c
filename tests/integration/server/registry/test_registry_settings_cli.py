"""`sitegate registry settings`: the table of values, defaults and overrides; --set / --reset
write through the same service as the API; a bad setting exits 2 naming it. Also `add-gate
--model`, checked against the known gate profiles."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from server.auth.models import AuditLog
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.registry.models import Device, Project
from sitegate_cli.app import app as cli_app

runner = CliRunner()


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'settings.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.add(Project(code="SET-1", name="设置项目"))
    engine.dispose()
    return url


def _project(url: str) -> tuple[dict[str, object], dict[str, object], int, list[AuditLog]]:
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as s:
            p = s.scalars(select(Project).where(Project.code == "SET-1")).one()
            audits = list(s.scalars(select(AuditLog).where(AuditLog.entity == "project_settings")))
            s.expunge_all()
            return dict(p.gate_policy), dict(p.settings), p.roster_version, audits
    finally:
        engine.dispose()


def _run(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        cli_app, ["registry", "settings", "--project", "SET-1", *args, "--database-url", url]
    )
    return result.exit_code, result.output


class TestSettingsCli:
    def test_show(self, tmp_path: Path) -> None:
        url = _db(tmp_path)
        code, out = _run(url)
        assert code == 0, out
        assert "gate_policy.face_threshold" in out
        assert "roster.full_day_hours" in out
        assert "reconciliation.unpaid_red_share" in out
        assert "project.pay_day" in out

    def test_set_and_reset(self, tmp_path: Path) -> None:
        url = _db(tmp_path)
        code, out = _run(
            url,
            "--set", "gate_policy.face_threshold=0.45",
            "--set", "roster.full_day_hours=5",
            "--set", "gate_policy.anti_passback=false",
        )  # fmt: skip
        assert code == 0, out
        assert "gate_policy.face_threshold: 0.55 → 0.45" in out
        policy, settings, version, audits = _project(url)
        assert policy == {"face_threshold": 0.45, "anti_passback": False}
        assert settings["roster"] == {"full_day_hours": 5.0}
        assert version == 1
        assert len(audits) == 1
        code, out = _run(url, "--reset", "gate_policy.anti_passback")
        assert code == 0, out
        policy, _, version, audits = _project(url)
        assert policy == {"face_threshold": 0.45}
        assert version == 2
        assert audits[-1].detail == {"gate_policy.anti_passback": [False, True]}

    def test_bad_settings_exit_2_naming_the_key(self, tmp_path: Path) -> None:
        url = _db(tmp_path)
        for args, key in (
            (["--set", "gate_policy.face_threshold=2"], "gate_policy.face_threshold"),
            (["--set", "gate_policy.helmet=1"], "gate_policy.helmet"),
            (["--set", "roster.auto_close_at=noon"], "roster.auto_close_at"),
            (["--set", "face_threshold=0.4"], "face_threshold"),
            (["--set", "gate_policy.face_threshold"], "gate_policy.face_threshold"),
            (["--reset", "payroll.x"], "payroll"),
            (["--set", "roster.half_day_hours=9"], "roster.half_day_hours"),
        ):
            code, out = _run(url, *args)
            assert code == 2, (args, out)
            assert key in out, (args, out)
            assert "Traceback" not in out
        policy, settings, version, audits = _project(url)
        assert (policy, settings, version, audits) == ({}, {}, 0, [])


class TestAddGateModel:
    def test_known_profile_or_a_named_refusal(self, tmp_path: Path) -> None:
        url = _db(tmp_path)
        base = ["registry", "add-gate", "--project", "SET-1", "--database-url", url]
        ok = runner.invoke(cli_app, [*base, "--code", "G1", "--model", "standard-two-way"])
        assert ok.exit_code == 0, ok.output
        bad = runner.invoke(cli_app, [*base, "--code", "G2", "--model", "ZK-SG200"])
        assert bad.exit_code == 1
        assert "--model" in bad.output
        assert "standard-two-way" in bad.output  # the known values are listed
        assert "Traceback" not in bad.output
        station = runner.invoke(
            cli_app, [*base, "--code", "E1", "--enrollment", "--model", "any-pc"]
        )
        assert station.exit_code == 0, station.output
        engine = make_engine(url)
        with unit_of_work(make_sessionmaker(engine)) as s:
            assert sorted(s.scalars(select(Device.code))) == ["E1", "G1"]
        engine.dispose()
