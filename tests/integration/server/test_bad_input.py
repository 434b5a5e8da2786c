"""Inputs found by fuzzing the OpenAPI schema (schemathesis) that used to answer 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.enums import Role
from tests.factories import login, make_project, make_user

HUGE = 2**70


class TestOutOfRangeNumbers:
    @pytest.mark.parametrize(
        "path",
        [
            f"/api/v1/findings/{HUGE}",
            f"/api/v1/projects/{HUGE}/devices/1/chain",
            f"/api/v1/audit?offset={HUGE}",
            f"/api/v1/projects?limit=10&offset={HUGE}",
        ],
    )
    def test_is_422_not_500(self, client: TestClient, session: Session, path: str) -> None:
        admin = make_user(session, Role.ADMIN)
        session.commit()
        r = client.get(path, headers=login(client, admin))
        assert r.status_code in (404, 422), r.text
        if r.status_code == 422:
            assert r.json()["message_zh"]


class TestPatchNulls:
    def test_null_for_a_required_column_names_the_field(
        self, client: TestClient, session: Session
    ) -> None:
        admin = make_user(session, Role.ADMIN)
        project = make_project(session)
        session.commit()
        r = client.patch(
            f"/api/v1/projects/{project.id}",
            json={"timezone": None, "pay_day": None},
            headers=login(client, admin),
        )
        assert r.status_code == 422, r.text
        assert {f["field"] for f in r.json()["detail"]} == {"timezone", "pay_day"}

    def test_null_where_the_column_allows_it_clears_it(
        self, client: TestClient, session: Session
    ) -> None:
        admin = make_user(session, Role.ADMIN)
        project = make_project(session)
        session.commit()
        headers = login(client, admin)
        url = f"/api/v1/projects/{project.id}"
        assert client.patch(url, json={"ends_on": "2027-06-30"}, headers=headers).status_code == 200
        r = client.patch(url, json={"ends_on": None}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["ends_on"] is None


class TestControlCharacters:
    def test_refused_in_names(self, client: TestClient, session: Session) -> None:
        admin = make_user(session, Role.ADMIN)
        project = make_project(session)
        session.commit()
        r = client.patch(
            f"/api/v1/projects/{project.id}",
            json={"name": "工地\x17项目"},
            headers=login(client, admin),
        )
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "name"

    def test_exports_survive_them_when_already_stored(
        self, client: TestClient, session: Session
    ) -> None:
        # Names also arrive from bank files and ID cards; one stray byte must not break a report.
        admin = make_user(session, Role.ADMIN)
        project = make_project(session, name="工地\x17项目")
        session.commit()
        headers = login(client, admin)
        for path in (
            f"/api/v1/projects/{project.id}/payroll/ledger.xlsx",
            f"/api/v1/projects/{project.id}/reconciliation/2026-10.xlsx?today=2026-11-20",
            f"/api/v1/projects/{project.id}/rosters/monthly.xlsx?month=2026-10",
        ):
            r = client.get(path, headers=headers)
            assert r.status_code == 200, (path, r.text)
            assert r.content.startswith(b"PK")
