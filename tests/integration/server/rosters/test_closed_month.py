"""Corrections (补卡) to a closed month: stored as pending, counting nowhere, until another site
manager or admin of the project approves; approval marks the month's reconciliation stale on
every page and API that shows it, until it is run again. Over HTTP (API and pages) and the
service."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from models.enums import Direction, Role
from server.auth.models import User
from server.payroll import service as payroll_service
from server.reconciliation import service as recon_service
from server.registry.models import Project, Worker
from server.rosters import closing
from server.rosters import service as roster_service
from tests.factories import (
    login,
    make_assignment,
    make_device,
    make_project,
    make_user,
    make_worker,
)
from tests.integration.server.rosters.roster_support import add_event
from tests.integration.server.web.helpers import csrf_of, web_login
from tests.support.payroll_month import attend, card, csv_bytes, line, october

SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 20)
PERIOD = "2026-10"
CORRECTIONS = "/api/v1/projects/{pid}/corrections"
RECON = "/api/v1/projects/{pid}/reconciliation/2026-10"
# A missed IN: the gate has 10-20 17:00 OUT only (a missing IN, no hours); the IN at 08:00 added
# by hand makes it a full day more.
GATE_OUT = dt.datetime(2026, 10, 20, 17, 0, tzinfo=SH)
MISSED_IN = dt.datetime(2026, 10, 20, 8, 0, tzinfo=SH)


@dataclass
class Closed:
    project: Project
    worker: Worker
    author: User  # the site manager who corrects
    other: User  # another site manager of the project
    admin: User
    stranger: User  # a site manager of another project


def _closed_month(session: Session, *, reconcile: bool = True) -> Closed:
    project = make_project(session, settings={"reconciliation": {"require_wage_sheet": False}})
    device = make_device(session, project)
    worker = make_worker(session, "陈十一", bank_card=card())
    make_assignment(session, project, worker)
    attend(session, project, device, worker, october(3))
    # (A gate of its own: the two helpers number their events separately.)
    add_event(session, project, make_device(session, project), worker, GATE_OUT, Direction.OUT)
    payroll_service.import_file(
        session,
        project_id=project.id,
        file_name="oct.csv",
        data=csv_bytes([line(worker.name, worker.id_number, worker.bank_card or "", "1050.00")]),
        user=None,
    )
    if reconcile:
        recon_service.run(session, project_id=project.id, period=PERIOD, today=TODAY)
    other_project = make_project(session)
    closed = Closed(
        project,
        worker,
        make_user(session, Role.SITE_MANAGER, [project]),
        make_user(session, Role.SITE_MANAGER, [project]),
        make_user(session, Role.ADMIN),
        make_user(session, Role.SITE_MANAGER, [other_project]),
    )
    session.commit()
    return closed


def _post(client: TestClient, c: Closed, who: User, at: dt.datetime) -> dict[str, object]:
    r = client.post(
        CORRECTIONS.format(pid=c.project.id),
        json={
            "worker_id": c.worker.id,
            "at": at.isoformat(),
            "direction": "in",
            "reason": "进场时闸机断电",
        },
        headers=login(client, who),
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def _days(session: Session, c: Closed) -> float:
    session.expire_all()
    roster = roster_service.load_month(session, project_id=c.project.id, period=PERIOD)
    return roster.rows[0].month.attended_days


class TestPendingUntilApproved:
    def test_the_whole_way(self, client: TestClient, session: Session) -> None:
        c = _closed_month(session)
        assert _days(session, c) == 3

        made = _post(client, c, c.author, MISSED_IN)
        assert (made["status"], made["counts"], made["closed_reason"]) == (
            "pending",
            False,
            "reconciled",
        )
        assert made["closed_reason_zh"] == "该月已做工资核对"
        assert _days(session, c) == 3  # pending: not on the roster
        roster = client.get(
            f"/api/v1/projects/{c.project.id}/rosters/monthly?month={PERIOD}",
            headers=login(client, c.other),
        ).json()
        assert roster["corrections"] == []
        assert roster["rows"][0]["attended_days"] == 3
        listed = client.get(
            CORRECTIONS.format(pid=c.project.id) + "?status=pending",
            headers=login(client, c.other),
        ).json()
        assert [x["id"] for x in listed] == [made["id"]]

        approve = CORRECTIONS.format(pid=c.project.id) + f"/{made['id']}/approve"
        own = client.post(approve, json={}, headers=login(client, c.author))
        assert (own.status_code, own.json()["code"]) == (403, "corrections.own_approval")
        elsewhere = client.post(approve, json={}, headers=login(client, c.stranger))
        assert elsewhere.status_code == 404
        assert _days(session, c) == 3

        ok = client.post(approve, json={"comment": "已核实监控"}, headers=login(client, c.other))
        assert ok.status_code == 200, ok.text
        assert (ok.json()["status"], ok.json()["counts"], ok.json()["decision_comment"]) == (
            "approved",
            True,
            "已核实监控",
        )
        assert _days(session, c) == 4  # counts now

        again = client.post(approve, json={}, headers=login(client, c.admin))
        assert (again.status_code, again.json()["code"]) == (409, "corrections.not_pending")

        # The stored reconciliation says it is stale, in JSON, until it is run again.
        hi = login(client, c.admin)
        recon = client.get(RECON.format(pid=c.project.id), headers=hi).json()
        assert recon["stale"] is True
        assert f"#{made['id']}" in recon["stale_reason"]
        assert recon["stale_at"] is not None
        rerun = client.post(RECON.format(pid=c.project.id) + "/run", headers=hi)
        assert rerun.status_code == 200, rerun.text
        assert rerun.json()["stale"] is False
        assert client.get(RECON.format(pid=c.project.id), headers=hi).json()["stale"] is False

    def test_reject_needs_a_comment_and_never_counts(
        self, client: TestClient, session: Session
    ) -> None:
        c = _closed_month(session)
        made = _post(client, c, c.author, MISSED_IN)
        reject = CORRECTIONS.format(pid=c.project.id) + f"/{made['id']}/reject"
        h = login(client, c.admin)
        bare = client.post(reject, json={"comment": "  "}, headers=h)
        assert (bare.status_code, bare.json()["code"]) == (422, "corrections.comment_required")
        r = client.post(reject, json={"comment": "当天未出勤,监控无此人"}, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "rejected"
        assert _days(session, c) == 3
        recon = client.get(RECON.format(pid=c.project.id), headers=h).json()
        assert recon["stale"] is False  # nothing changed

    def test_an_open_month_counts_at_once(self, client: TestClient, session: Session) -> None:
        c = _closed_month(session)
        made = _post(client, c, c.author, dt.datetime(2026, 11, 10, 17, 0, tzinfo=SH))
        assert (made["status"], made["counts"], made["closed_reason"]) == ("effective", True, None)

    def test_early_on_the_first_reaches_back_into_the_closed_month(
        self, client: TestClient, session: Session
    ) -> None:
        c = _closed_month(session)
        made = _post(client, c, c.author, dt.datetime(2026, 11, 1, 2, 0, tzinfo=SH))
        assert (made["status"], made["closed_reason"]) == ("pending", "reconciled")

    def test_paid_but_not_reconciled_is_closed(self, client: TestClient, session: Session) -> None:
        c = _closed_month(session, reconcile=False)
        made = _post(client, c, c.author, MISSED_IN)
        assert (made["status"], made["closed_reason"]) == ("pending", "paid")
        # No run yet: approving marks the month, but nothing stored is shown as stale.
        approve = CORRECTIONS.format(pid=c.project.id) + f"/{made['id']}/approve"
        assert client.post(approve, headers=login(client, c.other)).status_code == 200
        recon = client.get(RECON.format(pid=c.project.id), headers=login(client, c.admin))
        assert recon.json()["stale"] is False


class TestPages:
    @pytest.fixture(autouse=True)
    def _page_clock(self, app) -> None:  # type: ignore[no-untyped-def]
        # The overview shows the current month and the two before: October must be one.
        app.state.web_clock = lambda: dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)

    def test_pending_approve_banner_rerun(self, app, session: Session) -> None:  # type: ignore[no-untyped-def]
        c = _closed_month(session)
        author, other, admin = TestClient(app), TestClient(app), TestClient(app)
        web_login(author, c.author)
        page = author.get(f"/site/{c.project.id}/workers/{c.worker.id}")
        r = author.post(
            f"/site/{c.project.id}/workers/{c.worker.id}/correction",
            data={
                "csrf_token": csrf_of(page.text),
                "day": "2026-10-20",
                "time": "08:00",
                "direction": "in",
                "reason": "出场时闸机断电",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert "msg=worker.correction_pending" in r.headers["location"]
        profile = author.get(r.headers["location"])
        assert "须由本项目另一位管理人员审批" in profile.text
        assert "correction-pending" in profile.text

        mine = author.get(f"/site/{c.project.id}/corrections")
        assert mine.status_code == 200
        assert "own-correction" in mine.text
        assert "decide-" not in mine.text
        (pending,) = roster_service.list_corrections(
            session, project_id=c.project.id, statuses=("pending",)
        )
        own = author.post(
            f"/site/{c.project.id}/corrections/{pending.correction_id}/approve",
            data={"csrf_token": csrf_of(mine.text)},
        )
        assert own.status_code == 403
        assert "不能审批自己提交的补卡" in own.text

        web_login(other, c.other)
        listing = other.get(f"/site/{c.project.id}/corrections")
        assert f'id="decide-{pending.correction_id}"' in listing.text
        assert "陈十一" in listing.text
        ok = other.post(
            f"/site/{c.project.id}/corrections/{pending.correction_id}/approve",
            data={"csrf_token": csrf_of(listing.text), "comment": "监控已核实"},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        assert "corrections.approved_ok" in ok.headers["location"]
        assert _days(session, c) == 4

        web_login(admin, c.admin)
        month = admin.get(f"/inspect/{c.project.id}/{PERIOD}")
        assert 'id="stale-banner"' in month.text
        assert "本月工资核对结果已过期" in month.text
        assert f"#{pending.correction_id}" in month.text
        overview = admin.get("/inspect/")
        assert "stale-mark" in overview.text
        slip = admin.get(f"/inspect/{c.project.id}/{PERIOD}/workers/{c.worker.id}")
        assert 'id="stale-banner"' in slip.text
        admin.cookies.set("sitegate_lang", "en")
        english = admin.get(f"/inspect/{c.project.id}/{PERIOD}")
        admin.cookies.delete("sitegate_lang")
        assert "reconciliation is stale" in english.text
        xlsx = admin.get(f"/inspect/{c.project.id}/{PERIOD}/export.xlsx")
        ws = load_workbook(io.BytesIO(xlsx.content))["核对汇总"]
        assert ws["A8"].value == "已过期 Stale"

        recon_service.run(session, project_id=c.project.id, period=PERIOD, today=TODAY)
        session.commit()
        again = admin.get(f"/inspect/{c.project.id}/{PERIOD}")
        assert 'id="stale-banner"' not in again.text
        assert "stale-mark" not in admin.get("/inspect/").text
        for client in (author, other, admin):
            client.close()

    def test_reject_with_comment_on_the_page(self, app, session: Session) -> None:  # type: ignore[no-untyped-def]
        c = _closed_month(session)
        roster_service.add_correction(
            session,
            user=c.author,
            project_id=c.project.id,
            worker_id=c.worker.id,
            at=MISSED_IN,
            direction=Direction.IN,
            reason="出场时闸机断电",
        )
        session.commit()
        (pending,) = roster_service.list_corrections(
            session, project_id=c.project.id, statuses=("pending",)
        )
        with TestClient(app) as other:
            web_login(other, c.other)
            listing = other.get(f"/site/{c.project.id}/corrections")
            url = f"/site/{c.project.id}/corrections/{pending.correction_id}/reject"
            bare = other.post(url, data={"csrf_token": csrf_of(listing.text)})
            assert bare.status_code == 422
            assert "驳回补卡须填写说明" in bare.text
            r = other.post(
                url,
                data={"csrf_token": csrf_of(listing.text), "comment": "无此事"},
                follow_redirects=False,
            )
            assert r.status_code == 303
            decided = other.get(r.headers["location"])
            assert "correction-rejected" in decided.text
            assert "无此事" in decided.text
            missing = other.post(
                f"/site/{c.project.id}/corrections/999999/approve",
                data={"csrf_token": csrf_of(listing.text)},
            )
            assert missing.status_code == 404


class TestService:
    def test_month_closed_reasons(self, session: Session) -> None:
        c = _closed_month(session, reconcile=False)
        pid = c.project.id
        assert closing.month_closed(session, project_id=pid, period=PERIOD) == "paid"
        assert closing.month_closed(session, project_id=pid, period="2026-11") is None
        recon_service.run(session, project_id=pid, period=PERIOD, today=TODAY)
        assert closing.month_closed(session, project_id=pid, period=PERIOD) == "reconciled"

    def test_mark_month_changed_and_run_clear_it(self, session: Session) -> None:
        c = _closed_month(session)
        pid = c.project.id
        assert not recon_service.staleness(session, project_id=pid, period=PERIOD).stale
        closing.mark_month_changed(
            session, project_id=pid, period=PERIOD, reason="工资表第 3 行改动 / sheet line 3"
        )
        closing.mark_month_changed(session, project_id=pid, period=PERIOD, reason="再改 / again")
        state = recon_service.staleness(session, project_id=pid, period=PERIOD)
        assert (state.stale, state.reason) == (True, "再改 / again")
        levels = recon_service.levels_for_projects(session, project_ids=[pid], periods=[PERIOD])
        assert levels[(pid, PERIOD)].stale
        recon_service.run(session, project_id=pid, period=PERIOD, today=TODAY)
        assert not recon_service.staleness(session, project_id=pid, period=PERIOD).stale

    @pytest.mark.parametrize("role", [Role.INSPECTOR, Role.WORKER])
    def test_only_managers_and_admins_decide(self, session: Session, role: Role) -> None:
        from server.errors import SiteGateError

        c = _closed_month(session)
        rec = roster_service.add_correction(
            session,
            user=c.author,
            project_id=c.project.id,
            worker_id=c.worker.id,
            at=MISSED_IN,
            direction=Direction.IN,
            reason="出场时闸机断电",
        )
        kw: dict[str, object] = {"worker": c.worker} if role is Role.WORKER else {}
        who = make_user(session, role, [c.project], **kw)  # type: ignore[arg-type]
        with pytest.raises(SiteGateError) as err:
            roster_service.decide_correction(
                session,
                user=who,
                project_id=c.project.id,
                correction_id=rec.correction_id,
                approve=True,
            )
        assert err.value.status_code == 403
