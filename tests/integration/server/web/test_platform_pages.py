"""The platform pages answer the site manager's question (what reached the platform, what did
not and why) and the inspector's (read-only), and the upload-now button really uploads to the
fake platform over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from platforms.national.fake_platform import FakePlatform, FakePlatformServer
from server.platform import service
from server.registry.models import Assignment
from tests.factories import make_company, make_team
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import page_csrf, web_login

SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def platform() -> Iterator[tuple[FakePlatform, str]]:
    fake = FakePlatform(secrets={"PF-A": SECRET})
    with FakePlatformServer(fake) as server:
        yield fake, server.url


def _configure(client: TestClient, session: Session, world: World, url: str) -> None:
    company = make_company(session, world.a)
    team = make_team(session, world.a, company)
    for a in session.scalars(select(Assignment).where(Assignment.project_id == world.a.id)):
        a.company_id, a.team_id = company.id, team.id
    first = session.scalars(
        select(Assignment).where(Assignment.worker_id == world.x.id)
    ).one()
    first.trade = "宇航员"  # the platform has no such trade: held back, said in its words
    settings = client.app.state.settings  # type: ignore[attr-defined]
    service.configure(session, settings, world.a, url=url, appid="PF-A", secret=SECRET)
    session.commit()


def test_the_manager_sees_what_went_and_what_did_not(
    client: TestClient, session: Session, world: World, platform: tuple[FakePlatform, str]
) -> None:
    fake, url = platform
    web_login(client, world.manager_a)
    before = client.get(f"/site/{world.a.id}/platform")
    assert before.status_code == 200
    assert "尚未配置平台账号" in before.text
    assert 'id="platform-sync"' not in before.text  # nothing to press yet
    _configure(client, session, world, url)
    token = page_csrf(client, f"/site/{world.a.id}/platform")
    ran = client.post(f"/site/{world.a.id}/platform/sync", data={"csrf_token": token})
    assert ran.status_code == 200  # followed the redirect back to the page
    assert "本次发送 4 项" in ran.text  # the company, the team, 赵同事, and 赵同事's entry
    assert "ProjectWorker.Add" in fake.calls
    assert "全国建筑工人管理服务信息平台" in ran.text
    assert "王小明" in ran.text  # held back, named …
    assert "工种代码 宇航员 不在平台代码表中" in ran.text  # … with the reason
    assert "本地检查未通过" in ran.text
    assert 'id="count-worker"' in ran.text


def test_the_inspector_reads_it_and_cannot_press(
    client: TestClient, session: Session, world: World, platform: tuple[FakePlatform, str]
) -> None:
    _fake, url = platform
    _configure(client, session, world, url)
    web_login(client, world.inspector_a)
    page = client.get(f"/inspect/{world.a.id}/platform")
    assert page.status_code == 200
    assert 'id="platform-counts"' in page.text
    assert 'id="platform-sync"' not in page.text
    assert client.get(f"/site/{world.a.id}/platform").status_code in (403, 404)
