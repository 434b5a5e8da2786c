"""`sitegate platform configure | sync | status` against the fake national platform over real
HTTP: teams before their workers, ID numbers encrypted on the wire, tickets polled to the end,
a rate limit waited out, a rejection kept in the platform's words, a refused secret blocking
the queue until the account is fixed. Nothing is lost across runs (the queue is the database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from platforms.national.fake_platform import FakePlatform, FakePlatformServer
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.platform.models import PlatformJob
from server.registry.models import Worker
from sitegate_cli.app import app as cli_app
from tests.factories import make_assignment, make_company, make_project, make_team, make_worker

runner = CliRunner(env={"COLUMNS": "200"})
SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, FakePlatform, str, list[str]]]:
    url = f"sqlite:///{tmp_path / 'platform.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        project = make_project(s, code="PF-1")
        company = make_company(s, project)
        team = make_team(s, project, company)
        ids = []
        for name in ("张三", "李四"):
            worker = make_worker(s, name)
            make_assignment(s, project, worker, company, team)
            ids.append(worker.id_number)
    engine.dispose()
    platform = FakePlatform(secrets={"PF-1": SECRET})
    with FakePlatformServer(platform) as server:
        yield url, platform, server.url, ids


def _cli(url: str, *args: str) -> str:
    result = runner.invoke(cli_app, ["platform", *args, "--project", "PF-1", "--database-url", url])
    assert result.exit_code == 0, result.output
    return result.output


def _states(url: str) -> dict[str, str]:
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        out = {f"{j.kind}:{j.subject_id}": j.state for j in s.scalars(select(PlatformJob))}
    engine.dispose()
    return out


def test_the_project_reaches_the_platform(world: tuple[str, FakePlatform, str, list[str]]) -> None:
    url, platform, base, ids = world
    _cli(url, "configure", "--url", base, "--appid", "PF-1", "--secret", SECRET)
    platform.rate_limit_next = 1  # the first call is turned away: the run stops, nothing lost
    first = _cli(url, "sync")
    assert "发送 sent 1" in first
    assert set(_states(url).values()) == {"pending"}
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:  # the back-off is over
        s.execute(update(PlatformJob).values(next_attempt_at=None))
    engine.dispose()
    _cli(url, "sync")
    assert platform.calls == ["Team.Add", "ProjectWorker.Add", "ProjectWorker.Add"]
    assert sorted(platform.workers) == sorted(ids)  # decrypted by the platform: sent encrypted
    assert set(_states(url).values()) == {"sent"}
    _cli(url, "sync")  # tickets polled: processing
    _cli(url, "sync")  # … and done
    assert set(_states(url).values()) == {"uploaded"}
    table = _cli(url, "status")
    assert "已上传" in table


def test_a_rejection_and_a_refused_secret(world: tuple[str, FakePlatform, str, list[str]]) -> None:
    url, _platform, base, _ids = world
    _cli(url, "configure", "--url", base, "--appid", "PF-1", "--secret", "f" * 32)
    _cli(url, "sync")
    assert set(_states(url).values()) == {"blocked", "pending"}  # the team refused, workers wait
    _cli(url, "configure", "--url", base, "--appid", "PF-1", "--secret", SECRET)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:  # a worker with a broken ID number
        worker = s.scalars(select(Worker).order_by(Worker.id)).first()
        assert worker is not None
        worker.id_number = "1234567"
    engine.dispose()
    _cli(url, "sync")
    states = _states(url)
    assert sorted(states.values()) == ["rejected", "sent", "sent"]
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        rejected = s.scalars(select(PlatformJob).where(PlatformJob.state == "rejected")).one()
        assert "idCardNumber 格式错误" in rejected.message
    engine.dispose()


def test_unconfigured_is_a_one_line_error(world: tuple[str, FakePlatform, str, list[str]]) -> None:
    url, _platform, _base, _ids = world
    args = ["--project", "PF-1", "--database-url", url]
    result = runner.invoke(cli_app, ["platform", "sync", *args])
    assert result.exit_code == 1
    assert "尚未配置监管平台账号" in result.output
    assert "Traceback" not in result.output
    configure = ["platform", "configure", "--url", "x", "--appid", "PF-1", "--secret", "short"]
    bad = runner.invoke(cli_app, [*configure, *args])
    assert bad.exit_code == 1
    assert "32 字节" in bad.output
