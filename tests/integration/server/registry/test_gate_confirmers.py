"""Gate confirmers (card + manager confirmation): API scope, audit, roster download, CLI and the
0003 migration, on SQLite or on PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import Role
from server.auth.models import AuditLog
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.registry.models import GateConfirmer, Project
from sitegate_cli.app import app as cli_app
from tests.factories import login, make_device, make_project, make_user
from tests.integration.server.ingest.ingest_support import Gate

PATH = "/api/v1/projects/{}/gate-confirmers"
ROSTER = "/api/v1/edge/roster"


@pytest.fixture
def project(session: Session) -> Project:
    return make_project(session)


class TestApi:
    def test_manager_adds_lists_and_deactivates_audited(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        manager = make_user(session, Role.SITE_MANAGER, [project])
        h = login(client, manager)
        before = project.roster_version
        r = client.post(
            PATH.format(project.id),
            json={"card_uid": "0a:0b:0c:0d", "name": "王经理", "user_id": manager.id},
            headers=h,
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["card_uid"], body["name"], body["user_id"], body["active"]) == (
            "0A0B0C0D",
            "王经理",
            manager.id,
            True,
        )
        session.refresh(project)
        assert project.roster_version == before + 1  # the gates must learn it
        listed = client.get(PATH.format(project.id), headers=h)
        assert [c["id"] for c in listed.json()] == [body["id"]]

        r = client.post(f"{PATH.format(project.id)}/{body['id']}/deactivate", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["active"] is False
        session.refresh(project)
        assert project.roster_version == before + 2
        assert client.get(PATH.format(project.id), headers=h).json() == []
        every = client.get(PATH.format(project.id), params={"include_inactive": True}, headers=h)
        assert [c["active"] for c in every.json()] == [False]
        # Deactivating again changes nothing and bumps nothing.
        again = client.post(f"{PATH.format(project.id)}/{body['id']}/deactivate", headers=h)
        assert again.status_code == 200
        session.refresh(project)
        assert project.roster_version == before + 2
        actions = session.scalars(
            select(AuditLog.action).where(
                AuditLog.entity == "gate_confirmer", AuditLog.entity_id == body["id"]
            )
        ).all()
        assert sorted(actions) == ["add_confirmer", "deactivate_confirmer"]

    def test_card_reusable_after_deactivation_not_before(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        h = login(client, make_user(session, Role.ADMIN))
        first = client.post(
            PATH.format(project.id), json={"card_uid": "0A0B0C0D", "name": "甲"}, headers=h
        )
        dup = client.post(
            PATH.format(project.id), json={"card_uid": "0A0B0C0D", "name": "乙"}, headers=h
        )
        assert dup.status_code == 409
        assert "card_uid" in dup.json()["message_en"]
        client.post(f"{PATH.format(project.id)}/{first.json()['id']}/deactivate", headers=h)
        again = client.post(
            PATH.format(project.id), json={"card_uid": "0A0B0C0D", "name": "乙"}, headers=h
        )
        assert again.status_code == 201

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"card_uid": "XYZ", "name": "王"}, "card_uid"),
            ({"card_uid": "0A0B0C0D", "name": ""}, "name"),
            ({"card_uid": "0A0B0C0D", "name": "王", "user_id": 999999}, "user_id"),
            ({"name": "王"}, "card_uid"),
            ({"card_uid": "0A0B0C0D", "name": "王", "extra": 1}, "extra"),
        ],
    )
    def test_bad_input_names_the_field(
        self,
        client: TestClient,
        session: Session,
        project: Project,
        body: dict[str, object],
        field: str,
    ) -> None:
        h = login(client, make_user(session, Role.ADMIN))
        r = client.post(PATH.format(project.id), json=body, headers=h)
        assert r.status_code == 422, r.text
        assert field in r.text

    def test_scope(self, client: TestClient, session: Session, project: Project) -> None:
        other = make_project(session)
        admin = make_user(session, Role.ADMIN)
        confirmer = client.post(
            PATH.format(project.id),
            json={"card_uid": "0A0B0C0D", "name": "王经理"},
            headers=login(client, admin),
        ).json()
        deactivate = f"{PATH.format(project.id)}/{confirmer['id']}/deactivate"
        elsewhere = login(client, make_user(session, Role.SITE_MANAGER, [other]))
        inspector = login(client, make_user(session, Role.INSPECTOR, [project]))
        add = {"card_uid": "01020304", "name": "李"}
        # A manager of another project: the project does not exist for them.
        assert client.get(PATH.format(project.id), headers=elsewhere).status_code == 404
        r = client.post(PATH.format(project.id), json=add, headers=elsewhere)
        assert r.status_code == 404
        assert client.post(deactivate, headers=elsewhere).status_code == 404
        # …and a confirmer of this project is not found through theirs.
        wrong = f"{PATH.format(other.id)}/{confirmer['id']}/deactivate"
        assert client.post(wrong, headers=elsewhere).status_code == 404
        # Read-only roles of the project: forbidden, even to look.
        assert client.get(PATH.format(project.id), headers=inspector).status_code == 403
        r = client.post(PATH.format(project.id), json=add, headers=inspector)
        assert r.status_code == 403
        assert client.post(deactivate, headers=inspector).status_code == 403
        assert client.get(PATH.format(project.id)).status_code == 401
        still = client.get(PATH.format(project.id), headers=login(client, admin)).json()
        assert [c["active"] for c in still] == [True]


class TestRosterDownload:
    def test_active_confirmers_sent_with_every_download(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        gate = Gate.provision(client, session, make_device(session, project))
        other = make_project(session)
        h = login(client, make_user(session, Role.ADMIN))
        boss = client.post(
            PATH.format(project.id), json={"card_uid": "0A0B0C0D", "name": "王经理"}, headers=h
        ).json()
        client.post(PATH.format(other.id), json={"card_uid": "0E0F1011", "name": "别的"}, headers=h)
        session.refresh(project)
        version = project.roster_version
        delta = gate.get(ROSTER, {"since": 0}).json()
        assert delta["version"] == version
        assert delta["confirmers"] == [
            {"confirmer_id": boss["id"], "card_uid": "0A0B0C0D", "name": "王经理", "user_id": None}
        ]
        # An incremental download with no entry changes still carries the whole list.
        assert gate.get(ROSTER, {"since": version}).json()["confirmers"] == delta["confirmers"]
        client.post(f"{PATH.format(project.id)}/{boss['id']}/deactivate", headers=h)
        later = gate.get(ROSTER, {"since": version}).json()
        assert later["version"] == version + 1
        assert later["confirmers"] == []


class TestMigration:
    def test_models_and_migrations_agree(self, db_url: str) -> None:
        command.check(migrate.alembic_config(db_url))  # raises on any autogenerate diff

    def test_table_and_downgrade(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
        migrate.upgrade(url)
        cfg = migrate.alembic_config(url)
        engine = make_engine(url)
        try:
            assert "gate_confirmer" in inspect(engine).get_table_names()
            command.downgrade(cfg, "0002_roster_indexes")
            assert "gate_confirmer" not in inspect(engine).get_table_names()
            command.upgrade(cfg, "0003_gate_confirmers")
            assert "gate_confirmer" in inspect(engine).get_table_names()
        finally:
            engine.dispose()


runner = CliRunner()


class TestCli:
    def test_add_list_deactivate(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        with unit_of_work(make_sessionmaker(engine)) as s:
            s.add(Project(code="CONF-1", name="确认项目"))
        base = ["registry", "add-confirmer", "--project", "CONF-1", "--database-url", url]
        ok = runner.invoke(cli_app, [*base, "--card", "0a0b0c0d", "--name", "王经理"])
        assert ok.exit_code == 0, ok.output
        assert "0A0B0C0D" in ok.output
        dup = runner.invoke(cli_app, [*base, "--card", "0A0B0C0D", "--name", "王经理"])
        assert dup.exit_code == 1
        assert "card_uid" in dup.output
        assert "Traceback" not in dup.output
        bad = runner.invoke(cli_app, [*base, "--card", "nothex", "--name", "王"])
        assert bad.exit_code == 1
        assert "--card" in bad.output
        missing = runner.invoke(
            cli_app,
            [*base[:2], "--project", "NOPE", "--card", "01020304", "--name", "王", *base[4:]],
        )
        assert missing.exit_code == 1
        assert "NOPE" in missing.output
        listed = runner.invoke(
            cli_app, ["registry", "list-confirmers", "--project", "CONF-1", "--database-url", url]
        )
        assert "王经理" in listed.output
        deactivate = ["registry", "deactivate-confirmer", "--project", "CONF-1", "--card"]
        off = runner.invoke(cli_app, [*deactivate, "0a0b0c0d", "--database-url", url])
        assert off.exit_code == 0, off.output
        with unit_of_work(make_sessionmaker(engine)) as s:
            row = s.scalars(select(GateConfirmer)).one()
            project = s.scalars(select(Project)).one()
            assert row.active is False
            assert project.roster_version == 2
            audits = s.scalars(select(AuditLog.action).where(AuditLog.user_id.is_(None))).all()
            assert {"add_confirmer", "deactivate_confirmer"} <= set(audits)
        engine.dispose()
        again = runner.invoke(cli_app, [*deactivate, "0a0b0c0d", "--database-url", url])
        assert again.exit_code == 1
        assert "0A0B0C0D" in again.output
