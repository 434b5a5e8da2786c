"""Reconciliation HTTP API: run, read (level, rows, findings), XLSX, finding actions, scope."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from recon_support import build_month
from sqlalchemy.orm import Session

from models.enums import Role
from tests.factories import login, make_project, make_user

RUN = "/api/v1/projects/{pid}/reconciliation/2026-10/run?today=2026-11-20"


class TestReconciliationApi:
    def test_run_read_act(self, client: TestClient, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        manager = make_user(session, Role.SITE_MANAGER, [month.project])
        inspector = make_user(session, Role.INSPECTOR, [month.project])
        session.commit()
        hm, hi = login(client, manager), login(client, inspector)

        assert client.post(RUN.format(pid=pid), headers=hi).status_code == 403
        r = client.post(RUN.format(pid=pid), headers=hm)
        assert r.status_code == 200, r.text
        assert r.json()["level"] == "red"
        assert r.json()["raised"] == 5
        again = client.post(RUN.format(pid=pid), headers=hm).json()
        assert again["raised"] == 0
        assert len(again["findings"]) == 5

        r = client.get(
            f"/api/v1/projects/{pid}/reconciliation/2026-10?today=2026-11-20", headers=hi
        )
        assert r.status_code == 200
        body = r.json()
        assert body["level"] == "red"
        assert body["counts"] == {"red": 1, "orange": 3, "yellow": 1}
        assert {f["kind"] for f in body["findings"]} == {
            "UNPAID",
            "UNDERPAID",
            "ACCOUNT_NOT_WORKERS",
            "PAID_WITHOUT_ATTENDANCE",
            "LATE",
        }
        rows = {row["name"]: row for row in body["rows"]}
        assert rows["王五"]["difference_fen"] == -20000
        assert month.workers["A"].id_number not in r.text

        red = next(f for f in body["findings"] if f["level"] == "red")
        url = f"/api/v1/findings/{red['id']}"
        r = client.post(url + "/actions", json={"action": "resolve", "comment": ""}, headers=hi)
        assert r.status_code == 422
        assert r.json()["message_zh"]
        assert r.json()["message_en"]
        r = client.post(
            url + "/actions",
            json={"action": "waive", "comment": "本人签字委托班组长代收"},
            headers=hi,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "waived"
        r = client.get(url, headers=hm)
        assert [h["action"] for h in r.json()["history"]] == ["raised", "waived"]
        assert r.json()["history"][1]["user_name"] == inspector.username
        level = client.get(f"/api/v1/projects/{pid}/reconciliation/2026-10", headers=hi).json()
        assert level["level"] == "orange"
        r = client.post(url + "/actions", json={"action": "waive", "comment": "again"}, headers=hi)
        assert r.status_code == 409

    def test_scope(self, client: TestClient, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        manager = make_user(session, Role.SITE_MANAGER, [month.project])
        elsewhere = make_user(session, Role.INSPECTOR, [make_project(session)])
        worker_user = make_user(session, Role.WORKER, worker=month.workers["A"])
        session.commit()
        finding_id = client.post(RUN.format(pid=pid), headers=login(client, manager)).json()[
            "findings"
        ][0]["id"]
        # Out of scope is 404; a worker of the project is refused (403) what is not their own.
        for user, status in ((elsewhere, 404), (worker_user, 403)):
            h = login(client, user)
            assert (
                client.get(f"/api/v1/projects/{pid}/reconciliation/2026-10", headers=h).status_code
                == status
            )
            assert client.get(f"/api/v1/findings/{finding_id}", headers=h).status_code == status
            r = client.post(
                f"/api/v1/findings/{finding_id}/actions",
                json={"action": "resolve", "comment": "x"},
                headers=h,
            )
            assert r.status_code == status

    def test_xlsx(self, client: TestClient, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        manager = make_user(session, Role.SITE_MANAGER, [month.project])
        session.commit()
        h = login(client, manager)
        client.post(RUN.format(pid=pid), headers=h)
        r = client.get(
            f"/api/v1/projects/{pid}/reconciliation/2026-10.xlsx?today=2026-11-20", headers=h
        )
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames == ["核对汇总", "工人明细", "预警明细"]
        summary = {row[0]: row[1] for row in wb["核对汇总"].iter_rows(values_only=True) if row[0]}
        assert summary["预警级别 Level"] == "红色 red"
        workers = list(wb["工人明细"].iter_rows(min_row=2, values_only=True))
        wang = next(row for row in workers if row[0] == "王五")
        assert (wang[9], wang[10], wang[11]) == (700, 500, -200)
        findings = wb["预警明细"]
        fills = {
            findings.cell(row=i, column=2).value: findings.cell(row=i, column=1).fill.fgColor.rgb
            for i in range(2, findings.max_row + 1)
        }
        assert fills["ACCOUNT_NOT_WORKERS"].endswith("FF0000")
        assert fills["UNPAID"].endswith("FFC000")
        assert fills["LATE"].endswith("FFFF00")
