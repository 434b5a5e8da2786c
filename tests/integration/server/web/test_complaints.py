"""Complaints (欠薪线索) through the API and the pages: a worker files one, the inspector of the
project's region assigns, verifies and resolves it; the worker reads the answer. Scope: another
worker, another region and the site manager see nothing; the 线索台账 XLSX read back."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from server.complaints.models import Complaint, ComplaintEvent
from tests.factories import login, make_user
from tests.integration.server.web.conftest import TZ, World
from tests.integration.server.web.helpers import page_csrf, web_login

API = "/api/v1/projects/{}/complaints"


def _file(client: TestClient, world: World, **body: object) -> dict[str, object]:
    h = login(client, world.worker_x)
    payload: dict[str, object] = {"periods": ["2026-01", "2026-02"], "text": "两个月没发"}
    r = client.post(API.format(world.a.id), json=payload | body, headers=h)
    assert r.status_code == 201, r.text
    return dict(r.json())


class TestApi:
    def test_life_of_a_complaint(self, client: TestClient, session: Session, world: World) -> None:
        c = _file(client, world, amount_fen=700000, against="某劳务分包")
        assert c["status"] == "received"
        assert c["worker_id"] == world.x.id
        assert c["channel"] == "app"
        assert c["source"] == "worker_phone"
        # The API's clock is the real one: due the project's received day + 15.
        received = dt.datetime.fromisoformat(str(c["received_at"])).astimezone(TZ).date()
        assert c["due_on"] == (received + dt.timedelta(days=15)).isoformat()
        assert c["overdue"] is False
        assert c["days_open"] == 0
        ins = login(client, world.inspector_a)
        one = f"{API.format(world.a.id)}/{c['id']}"
        r = client.post(f"{one}/assign", json={"owner_user_id": world.inspector_a.id}, headers=ins)
        assert r.status_code == 200, r.text
        r = client.post(f"{one}/transitions", json={"to": "resolved", "note": "x"}, headers=ins)
        assert r.status_code == 409
        assert r.json()["code"] == "complaint.bad_move"
        assert r.json()["message_zh"]
        assert r.json()["message_en"]
        assert client.post(f"{one}/transitions", json={"to": "verifying"}, headers=ins).is_success
        r = client.post(f"{one}/transitions", json={"to": "resolved"}, headers=ins)
        assert r.status_code == 409
        assert r.json()["detail"] == {"field": "note"}
        r = client.post(
            f"{one}/transitions", json={"to": "resolved", "note": "已督促补发"}, headers=ins
        )
        assert r.json()["status"] == "resolved"
        assert r.json()["closing_note"] == "已督促补发"
        r = client.post(f"{one}/transitions", json={"to": "closed", "note": "x"}, headers=ins)
        assert r.status_code == 409
        r = client.post(f"{one}/reopen", json={"note": "工人称未到账"}, headers=ins)
        assert r.json()["status"] == "verifying"
        assert r.json()["closing_note"] == ""
        kinds = [(e["kind"], e["to_status"]) for e in r.json()["events"]]
        assert kinds == [
            ("filed", "received"), ("assigned", ""), ("moved", "verifying"),
            ("moved", "resolved"), ("reopened", "verifying"),
        ]  # fmt: skip
        # The first closing note is kept in the history.
        assert "已督促补发" in [e["note"] for e in r.json()["events"]]
        # The worker reads theirs, cannot move it.
        w = login(client, world.worker_x)
        assert client.get(one, headers=w).json()["status"] == "verifying"
        r = client.post(f"{one}/transitions", json={"to": "closed", "note": "x"}, headers=w)
        assert r.status_code == 403

    def test_scope(self, client: TestClient, session: Session, world: World) -> None:
        c = _file(client, world)
        one = f"{API.format(world.a.id)}/{c['id']}"
        colleague = make_user(session, Role.WORKER, worker=world.colleague)
        session.commit()
        other = login(client, colleague)
        r = client.get(one, headers=other)
        assert r.status_code == 404
        assert "王小明" not in r.text
        listed = client.get(API.format(world.a.id), headers=other)
        assert listed.status_code == 200
        assert listed.json() == []
        assert (
            len(client.get(API.format(world.a.id), headers=login(client, world.worker_x)).json())
            == 1
        )
        assert client.get(one, headers=login(client, world.inspector_elsewhere)).status_code == 404
        assert client.get(one, headers=login(client, world.manager_a)).status_code == 403
        # Another project's path: 404, whoever asks.
        assert client.get(f"{API.format(world.b.id)}/{c['id']}", headers=login(
            client, world.inspector_a)).status_code == 404  # fmt: skip
        # A worker files only on their own project.
        r = client.post(API.format(world.b.id), json={"periods": ["2026-02"], "text": "x"},
                        headers=login(client, world.worker_x))  # fmt: skip
        assert r.status_code == 404

    def test_bad_input_is_a_bilingual_422(self, client: TestClient, world: World) -> None:
        h = login(client, world.worker_x)
        r = client.post(
            API.format(world.a.id), json={"periods": ["2027-01"], "text": ""}, headers=h
        )
        assert r.status_code == 422
        body = r.json()
        assert body["code"] == "complaint.invalid"
        assert {d["field"] for d in body["detail"]} == {"periods", "text"}
        ins = login(client, world.inspector_a)
        r = client.post(API.format(world.a.id), json={"periods": ["2026-02"], "text": "电话反映"},
                        headers=ins)  # fmt: skip
        assert r.status_code == 422
        assert "person_name" in r.text

    def test_inspector_enters_one_for_an_unregistered_person(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        ins = login(client, world.inspector_a)
        body = {
            "periods": ["2026-02"], "text": "电话反映", "person_name": "李四",
            "person_phone": "13800138000", "channel": "platform",
        }  # fmt: skip
        r = client.post(API.format(world.a.id), json=body, headers=ins)
        assert r.status_code == 201, r.text
        assert r.json()["worker_id"] is None
        assert r.json()["name"] == "李四"
        assert r.json()["source"] == "inspector"
        assert r.json()["channel"] == "platform"
        # Nobody's own: a worker of the project does not see it.
        one = f"{API.format(world.a.id)}/{r.json()['id']}"
        assert client.get(one, headers=login(client, world.worker_x)).status_code == 404


class TestPages:
    def test_worker_files_inspector_resolves_worker_reads(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        web_login(client, world.worker_x)
        assert 'href="/me/complaints"' in client.get("/me/").text
        token = page_csrf(client, "/me/complaints")
        form = {"csrf_token": token, "periods": "2026-02", "amount": "3500", "text": "=cmd|x"}
        r = client.post("/me/complaints", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text
        bad = client.post("/me/complaints", data=form | {"periods": "下个月"})
        assert bad.status_code == 422
        assert "2026-01" in bad.text
        row = session.scalars(select(Complaint)).one()
        client.post("/logout", data={"csrf_token": page_csrf(client, "/me/complaints")})

        web_login(client, world.inspector_a)
        html = client.get("/inspect/complaints").text
        assert f'id="complaint-{row.id}"' in html
        assert "王小明" in html
        page = f"/inspect/complaints/{row.id}"
        token = page_csrf(client, page)
        act = {"csrf_token": token, "owner_user_id": str(world.inspector_a.id), "to": "verifying"}
        assert client.post(page, data=act, follow_redirects=False).status_code == 303
        refused = client.post(page, data={"csrf_token": token, "to": "resolved", "note": ""})
        assert refused.status_code == 409
        assert "办结说明" in refused.text
        done = {"csrf_token": token, "to": "resolved", "note": "已补发 3500 元"}
        assert client.post(page, data=done, follow_redirects=False).status_code == 303
        html = client.get(page).text
        assert "已解决" in html
        assert "已补发 3500 元" in html
        events = session.scalars(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == row.id)
        )
        assert [e.kind for e in events] == ["filed", "assigned", "moved", "moved"]

        x = client.get("/inspect/complaints.xlsx")
        assert x.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
        assert ws is not None
        header = [c.value for c in ws[3]]
        data = [c.value for c in ws[4]]
        got = dict(zip([str(h).split("\n")[0] for h in header], data, strict=True))
        assert got["反映人"] == "王小明"
        assert got["反映内容"] == "'=cmd|x"  # neutralised: never a formula
        assert ws.cell(4, header.index("反映内容\nComplaint") + 1).data_type == "s"
        assert re.fullmatch(r"\d{6}\*+\d{3}[\dX]", got["身份证号"])
        assert got["状态"].startswith("已解决")
        assert got["是否超期"] in ("", None)
        assert got["办结说明"] == "已补发 3500 元"
        assert isinstance(got["已用天数"], int)
        client.post("/logout", data={"csrf_token": page_csrf(client, "/inspect/complaints")})

        web_login(client, world.worker_x)
        mine = client.get("/me/complaints").text
        assert "已解决" in mine
        assert "已补发 3500 元" in mine

    def test_page_scope(self, client: TestClient, session: Session, world: World) -> None:
        _file(client, world)
        row = session.scalars(select(Complaint)).one()
        web_login(client, world.inspector_elsewhere)
        assert "王小明" not in client.get("/inspect/complaints").text
        assert client.get(f"/inspect/complaints/{row.id}").status_code == 404
        client.cookies.clear()
        web_login(client, world.manager_a)
        assert client.get("/inspect/complaints").status_code == 403
