"""`sitegate admin list-users | set-password | deactivate | activate`: a table, hidden prompts or
stdin, sessions ended, the last admin kept; refusals are one bilingual line, exit 2, no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import Role
from server.auth import service as auth_service
from server.auth.models import AuditLog, AuthSession, User
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.registry.models import Project
from sitegate_cli.app import app as cli_app

runner = CliRunner()
PW = "initial-pass-2026"
NEW = "brand-new-pass-77"


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'accounts.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        a, b = Project(code="PA", name="甲项目"), Project(code="PB", name="乙项目")
        s.add_all([a, b])
        s.flush()
        auth_service.create_user(s, username="boss", password=PW, role=Role.ADMIN)
        auth_service.create_user(
            s, username="zhang", password=PW, role=Role.SITE_MANAGER, full_name="张经理",
            project_ids=[a.id],
        )  # fmt: skip
        auth_service.create_user(
            s, username="li", password=PW, role=Role.INSPECTOR, project_ids=[b.id]
        )
    engine.dispose()
    return url


def _read(url: str, fn: object) -> object:
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as s:
            return fn(s)  # type: ignore[operator]
    finally:
        engine.dispose()


def _user(url: str, username: str) -> User:
    user = _read(url, lambda s: s.scalar(select(User).where(User.username == username)))
    assert isinstance(user, User)
    return user


class TestListUsers:
    def test_table_and_filters(self, url: str) -> None:
        r = runner.invoke(cli_app, ["admin", "list-users", "--database-url", url])
        assert r.exit_code == 0, r.output
        for name in ("boss", "zhang", "张经理", "li", "site_manager"):
            assert name in r.output
        r = runner.invoke(
            cli_app, ["admin", "list-users", "--role", "inspector", "--database-url", url]
        )
        assert "li" in r.output
        assert "zhang" not in r.output
        r = runner.invoke(
            cli_app, ["admin", "list-users", "--project", "PA", "--database-url", url]
        )
        assert "zhang" in r.output
        assert " li " not in r.output

    def test_unknown_project_and_role(self, url: str) -> None:
        r = runner.invoke(
            cli_app, ["admin", "list-users", "--project", "NOPE", "--database-url", url]
        )
        assert r.exit_code == 2
        assert "项目 NOPE" in r.output
        assert "Traceback" not in r.output
        r = runner.invoke(cli_app, ["admin", "list-users", "--role", "boss", "--database-url", url])
        assert r.exit_code == 2


class TestSetPassword:
    def test_prompted_twice_hidden_ends_sessions(self, url: str) -> None:
        settings = Settings(database_url=url, environment="test")

        def sign_in(s: Session) -> None:
            user = auth_service.authenticate(s, settings, "zhang", PW, address="127.0.0.1")
            auth_service.start_session(s, settings, user)

        _read(url, sign_in)
        r = runner.invoke(
            cli_app,
            ["admin", "set-password", "zhang", "--database-url", url],
            input=f"{NEW}\n{NEW}\n",
        )
        assert r.exit_code == 0, r.output
        assert NEW not in r.output  # hidden
        assert "sessions ended: 1" in r.output
        user = _user(url, "zhang")
        assert user.must_change_password is True
        assert auth_service.verify_password(user.password_hash, NEW)
        count = _read(
            url,
            lambda s: s.scalar(
                select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user.id)
            ),
        )
        assert count == 0
        details = _read(url, lambda s: list(s.scalars(select(AuditLog.detail))))
        assert NEW not in str(details)

    def test_stdin_and_policy(self, url: str) -> None:
        r = runner.invoke(
            cli_app,
            ["admin", "set-password", "li", "--password-stdin", "--no-must-change",
             "--database-url", url],
            input=f"{NEW}\n",
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        assert _user(url, "li").must_change_password is False
        r = runner.invoke(
            cli_app,
            ["admin", "set-password", "li", "--password-stdin", "--database-url", url],
            input="short\n",
        )
        assert r.exit_code == 2
        assert "至少 10 个字符" in r.output
        assert "Traceback" not in r.output

    def test_unknown_user(self, url: str) -> None:
        r = runner.invoke(
            cli_app,
            ["admin", "set-password", "ghost", "--password-stdin", "--database-url", url],
            input=f"{NEW}\n",
        )
        assert r.exit_code == 2
        assert "ghost" in r.output


class TestActive:
    def test_deactivate_then_activate(self, url: str) -> None:
        r = runner.invoke(cli_app, ["admin", "deactivate", "zhang", "--database-url", url])
        assert r.exit_code == 0, r.output
        assert _user(url, "zhang").active is False
        r = runner.invoke(cli_app, ["admin", "deactivate", "zhang", "--database-url", url])
        assert "already inactive" in r.output
        r = runner.invoke(cli_app, ["admin", "activate", "zhang", "--database-url", url])
        assert r.exit_code == 0
        assert _user(url, "zhang").active is True

    def test_last_admin_is_kept(self, url: str) -> None:
        r = runner.invoke(cli_app, ["admin", "deactivate", "boss", "--database-url", url])
        assert r.exit_code == 2
        assert "最后一个" in r.output
        assert "last active admin" in r.output
        assert "Traceback" not in r.output
        assert _user(url, "boss").active is True
