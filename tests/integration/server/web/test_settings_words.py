"""The settings page in plain words: each setting by its label with one line of help (no raw
keys), shares shown and typed as percentages and stored as the share, the pay day edited here
(no pointer to a page that does not exist), and every link on the page answers."""

from __future__ import annotations

import html as html_lib
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import AuditLog
from server.registry.models import Project
from server.web.i18n import LANG_COOKIE
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import page_csrf, web_login


def _url(world: World) -> str:
    return f"/site/{world.a.id}/settings"


def _input(page: str, key: str) -> str:
    match = re.search(rf'name="{re.escape(key)}" id="[^"]+" value="([^"]*)"', page)
    assert match, f"no input {key}"
    return match.group(1)


def _row(page: str, key: str) -> str:
    match = re.search(rf'<tr id="row-{re.escape(key.replace(".", "-"))}".*?</tr>', page, re.S)
    assert match, f"no row {key}"
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group()))


def _fresh(session: Session, project_id: int) -> Project:
    session.expire_all()
    project = session.get(Project, project_id)
    assert project is not None
    return project


def test_labels_help_and_percentages(client: TestClient, world: World) -> None:
    web_login(client, world.manager_a)
    page = client.get(_url(world)).text
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "reconciliation.underpaid_tolerance" not in text  # keys stay in the markup only
    assert "gate_policy.face_threshold" not in text
    assert "数值越小越严格" in text
    tolerance = _row(page, "reconciliation.underpaid_tolerance")
    assert "少发容差" in tolerance
    assert "0 % ≤ x ≤ 50 %" in tolerance
    assert "5 %" in tolerance  # the default
    assert "0.05" not in tolerance
    assert _input(page, "reconciliation.underpaid_tolerance") == "5"
    assert _input(page, "reconciliation.underpaid_red_below") == "50"
    assert "在项目资料中修改" not in text
    assert _input(page, "project.pay_day") == "15"
    client.cookies.set(LANG_COOKIE, "en")
    english = client.get(_url(world)).text
    assert "Smaller is stricter" in english
    assert "edit with the project" not in english


def test_a_percentage_round_trips_as_a_share(
    client: TestClient, session: Session, world: World
) -> None:
    web_login(client, world.manager_a)
    token = page_csrf(client, _url(world))
    r = client.post(
        _url(world),
        data={"csrf_token": token, "reconciliation.underpaid_tolerance": "8 %",
              "reconciliation.unpaid_red_share": "20"},  # as shown: unchanged
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    project = _fresh(session, world.a.id)
    assert project.settings["reconciliation"] == {"underpaid_tolerance": 0.08}
    audit = session.scalars(select(AuditLog).where(AuditLog.entity == "project_settings")).one()
    assert audit.detail == {"reconciliation.underpaid_tolerance": [0.05, 0.08]}
    page = client.get(_url(world)).text
    assert _input(page, "reconciliation.underpaid_tolerance") == "8"
    assert "已修改" in _row(page, "reconciliation.underpaid_tolerance")


def test_a_percentage_out_of_range_is_named_in_percent(
    client: TestClient, session: Session, world: World
) -> None:
    web_login(client, world.manager_a)
    token = page_csrf(client, _url(world))
    r = client.post(
        _url(world), data={"csrf_token": token, "reconciliation.underpaid_tolerance": "80"}
    )
    assert r.status_code == 422
    error = re.search(r'id="err-reconciliation-underpaid_tolerance"[^>]*>([^<]+)<', r.text)
    assert error
    assert error.group(1) == "须不大于 50 %"
    assert _input(r.text, "reconciliation.underpaid_tolerance") == "80"
    assert not _fresh(session, world.a.id).settings


def test_the_pay_day_is_edited_here(client: TestClient, session: Session, world: World) -> None:
    web_login(client, world.manager_a)
    token = page_csrf(client, _url(world))
    r = client.post(
        _url(world), data={"csrf_token": token, "project.pay_day": "10"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert _fresh(session, world.a.id).pay_day == 10
    audit = session.scalars(select(AuditLog).where(AuditLog.entity == "project")).all()
    assert audit[-1].detail["pay_day"] == [15, 10]
    token = page_csrf(client, _url(world))
    bad = client.post(
        _url(world), data={"csrf_token": token, "project.pay_day": "40"}, follow_redirects=False
    )
    assert bad.status_code == 422, (bad.status_code, bad.headers.get("location"))
    assert 'id="err-project-pay_day"' in bad.text
    assert "须为 1 到 28 之间的日期" in bad.text
    assert _fresh(session, world.a.id).pay_day == 10


def test_every_link_on_the_page_answers(client: TestClient, world: World) -> None:
    web_login(client, world.manager_a)
    page = client.get(_url(world)).text
    links = {
        html_lib.unescape(h)
        for h in re.findall(r'href="(/[^"]*)"', page)
        if not h.startswith(("/logout", "/lang/", "/static/"))
    }
    assert links
    for link in sorted(links):
        r = client.get(link)
        assert r.status_code < 400, (link, r.status_code)
