"""`sitegate registry add-gate | provisioning-code`: the printed code really provisions a gate."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from models.device_auth import new_private_key, public_key_hex
from server.app import create_app
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.registry.models import Project
from sitegate_cli.app import app as cli_app

runner = CliRunner()
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'gates.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.add(Project(code="GATES-1", name="闸机项目"))
    engine.dispose()
    return url


class TestAddGate:
    def test_code_printed_once_provisions_the_gate(self, tmp_path: Path) -> None:
        url = _db(tmp_path)
        args = ["registry", "add-gate", "--project", "GATES-1", "--code", "GATE-A-OUT"]
        result = runner.invoke(cli_app, [*args, "--direction", "out", "--database-url", url])
        assert result.exit_code == 0, result.output
        found = CODE.search(result.output)
        assert found is not None
        app = create_app(Settings(database_url=url, environment="test"))
        with TestClient(app) as client:
            body = {"code": found.group(0).lower(), "public_key": public_key_hex(new_private_key())}
            r = client.post("/api/v1/edge/provision", json=body)
            assert r.status_code == 200, r.text
            assert r.json()["device_id"] == "GATE-A-OUT"
            assert r.json()["direction"] == "out"
            again = client.post("/api/v1/edge/provision", json=body)
            assert again.status_code == 401  # one-time
        app.state.engine.dispose()

    def test_duplicate_gate_and_unknown_project_are_one_line_errors(self, tmp_path: Path) -> None:
        url = _db(tmp_path)
        args = ["registry", "add-gate", "--project", "GATES-1", "--code", "G1"]
        assert runner.invoke(cli_app, [*args, "--database-url", url]).exit_code == 0
        dup = runner.invoke(cli_app, [*args, "--database-url", url])
        assert dup.exit_code == 1
        assert "已存在" in dup.output
        assert "Traceback" not in dup.output
        missing = runner.invoke(
            cli_app, ["registry", "provisioning-code", "--project", "NOPE", "--gate", "G1",
                      "--database-url", url],
        )  # fmt: skip
        assert missing.exit_code == 1
        assert "项目 NOPE不存在" in missing.output


class TestProvisioningCode:
    def test_new_code_replaces_the_old_one(self, tmp_path: Path) -> None:
        url = _db(tmp_path)
        first = runner.invoke(
            cli_app,
            ["registry", "add-gate", "--project", "GATES-1", "--code", "G2", "--database-url", url],
        )
        second = runner.invoke(
            cli_app,
            ["registry", "provisioning-code", "--project", "GATES-1", "--gate", "G2",
             "--database-url", url],
        )  # fmt: skip
        assert second.exit_code == 0, second.output
        old, new = CODE.search(first.output), CODE.search(second.output)
        assert old is not None
        assert new is not None
        app = create_app(Settings(database_url=url, environment="test"))
        with TestClient(app) as client:
            key = public_key_hex(new_private_key())
            stale = client.post("/api/v1/edge/provision", json={"code": old[0], "public_key": key})
            assert stale.status_code == 401
            ok = client.post("/api/v1/edge/provision", json={"code": new[0], "public_key": key})
            assert ok.status_code == 200
        app.state.engine.dispose()
