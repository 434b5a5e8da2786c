"""The inspector's month page answers "why is this project red?": the red finding first with the
worker's name and the kind in words, the table filtered to workers with a problem, the gates'
chains from what ingest established (no re-verification on a view), the full re-check in the
background with its progress and result, resolving in place, and a worker page that never says
"paid in full" beside a red finding."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from server.ingest import service as ingest_service
from server.ingest.models import ChainCheck
from server.reconciliation.models import Finding
from server.web.i18n import LANG_COOKIE
from tests.integration.server.web.helpers import csrf_of, page_csrf, web_login
from tests.integration.server.web.inspect_support import PERIOD, RedMonth, red_month, table_rows


@pytest.fixture
def month(session: Session) -> RedMonth:
    return red_month(session)


@pytest.fixture
def jobs(app: FastAPI, connection: Connection) -> list[Callable[[], None]]:
    """Background jobs are kept, not started: the test runs them, on the test's connection."""
    kept: list[Callable[[], None]] = []
    app.state.background = kept.append
    app.state.sessionmaker = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return kept


def _url(m: RedMonth) -> str:
    return f"/inspect/{m.project.id}/{PERIOD}"


class TestFindingsFirst:
    def test_first_row_is_the_red_finding_with_the_worker(
        self, client: TestClient, month: RedMonth
    ) -> None:
        web_login(client, month.inspector)
        html = client.get(_url(month)).text
        rows = table_rows(html, "stored-findings")
        assert [r.attrs["data-level"] for r in rows] == ["red", "orange", "yellow"]
        first = rows[0]
        assert first.attrs["data-kind"] == "ACCOUNT_NOT_WORKERS"
        assert first.cells[1] == "非本人账户"  # the kind in words, not the code
        assert first.cells[2] == "王红"
        assert f"{_url(month)}/workers/{month.red.id}" in first.links
        assert "6217****2333" in first.cells[3] or "2333" in first.cells[3]  # the card: why
        # The findings come before the per-worker table and the chart.
        assert html.index('id="stored-findings"') < html.index('id="recon"')
        assert html.index('id="recon"') < html.index("<svg")

    def test_every_per_worker_finding_names_its_worker(
        self, client: TestClient, month: RedMonth
    ) -> None:
        web_login(client, month.inspector)
        rows = table_rows(client.get(_url(month)).text, "stored-findings")
        by_kind = {r.attrs["data-kind"]: r for r in rows}
        assert by_kind["LATE"].cells[1] == "逾期发放"
        assert by_kind["LATE"].cells[2] == "李迟"  # the message itself names no one
        assert by_kind["UNDERPAID"].cells[1:3] == ["少发", "周缺"]
        assert all(r.cells[2] not in ("", "-") for r in rows)

    def test_kinds_in_english(self, client: TestClient, month: RedMonth) -> None:
        web_login(client, month.inspector)
        client.cookies.set(LANG_COOKIE, "en")
        rows = table_rows(client.get(_url(month)).text, "stored-findings")
        assert rows[0].cells[1] == "Not the worker's account"


class TestWorkerTable:
    def test_filtered_to_workers_with_a_problem(self, client: TestClient, month: RedMonth) -> None:
        web_login(client, month.inspector)
        html = client.get(_url(month)).text
        names = [r.cells[0] for r in table_rows(html, "recon")]
        assert sorted(names) == sorted(["王红", "周缺", "李迟"])  # 赵好 was paid in full
        assert "只显示有问题的工人:3 人(共 4 人)" in html
        everyone = client.get(f"{_url(month)}?rows=all").text
        assert "赵好" in [r.cells[0] for r in table_rows(everyone, "recon")]
        assert 'id="rows-problems"' in everyone

    def test_a_paid_row_with_a_red_finding_names_it(
        self, client: TestClient, month: RedMonth
    ) -> None:
        web_login(client, month.inspector)
        rows = table_rows(client.get(_url(month)).text, "recon")
        red = next(r for r in rows if r.cells[0] == "王红")
        assert "非本人账户" in red.cells[-1]
        assert "已足额发放" not in red.cells[-1]


class TestChainState:
    def test_shown_without_reverifying(
        self, client: TestClient, month: RedMonth, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def refuse(*_a: object, **_k: object) -> None:
            raise AssertionError("verify_chain on a page view")

        monkeypatch.setattr(ingest_service, "verify_chain", refuse)
        web_login(client, month.inspector)
        html = client.get(_url(month)).text
        rows = table_rows(html, "chain-states")
        assert [r.attrs["data-code"] for r in rows] == sorted(g.code for g in month.gates)
        assert all("完整" in r.cells[-1] for r in rows)
        assert rows[0].cells[1] == "16"  # 4 workers × 2 days × IN + OUT, all on the IN gate

    def test_a_deletion_after_the_ack_shows(
        self, client: TestClient, month: RedMonth, session: Session
    ) -> None:
        gate = month.gates[1]
        gate.acked_count = 3  # ingest stored three records the table no longer holds
        gate.highest_contiguous_seq = 3
        session.flush()
        web_login(client, month.inspector)
        rows = table_rows(client.get(_url(month)).text, "chain-states")
        broken = next(r for r in rows if r.attrs["data-code"] == gate.code)
        assert "✘" in broken.cells[-1]
        assert "记录被删除" in broken.cells[-1]


class TestBackgroundRecheck:
    def test_start_progress_result_and_no_double_start(
        self,
        client: TestClient,
        month: RedMonth,
        session: Session,
        jobs: list[Callable[[], None]],
    ) -> None:
        web_login(client, month.inspector)
        url = _url(month)
        assert "尚未逐条重新校验过" in client.get(url).text
        token = page_csrf(client, url)
        check = f"/inspect/{month.project.id}/chains/check"
        r = client.post(check, data={"csrf_token": token, "period": PERIOD}, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == f"{url}?msg=chain.recheck_started#chains"
        assert len(jobs) == 1
        page = client.get(url).text
        assert "正在校验:闸机 0 / 2 台,记录 0 / 16 条" in page
        assert 'id="chain-check-start"' not in page  # no second button while it runs
        again = client.post(check, data={"csrf_token": token, "period": PERIOD})
        assert "逐条重新校验已在进行中" in again.text
        assert len(jobs) == 1  # no second run
        assert client.get(check).json()["state"] == "running"

        jobs[0]()  # the background work, here in the test
        # What a full verification finds (the seeded records carry placeholder hashes and
        # signatures): every one of its problems, counted by the background run.
        expected = sum(
            ingest_service.verify_chain(session, g.id).problems_total for g in month.gates
        )
        assert expected >= 32
        state = client.get(check).json()
        assert state | {"started_at": "", "finished_at": ""} == {
            "state": "done",
            "started_at": "",
            "finished_at": "",
            "gates_total": 2,
            "gates_done": 2,
            "events_total": 16,
            "events_done": 16,
            "problems_total": expected,
        }
        page = client.get(url).text
        assert f"发现 {expected} 处问题(校验于 2026-" in page
        assert 'id="chain-check-start"' in page  # may be run again
        stored = session.scalar(select(ChainCheck).where(ChainCheck.project_id == month.project.id))
        assert stored is not None
        assert stored.state == "done"

    def test_refused_without_csrf(self, client: TestClient, month: RedMonth) -> None:
        web_login(client, month.inspector)
        r = client.post(f"/inspect/{month.project.id}/chains/check", data={"period": PERIOD})
        assert r.status_code == 403


class TestResolveInPlace:
    def _red(self, session: Session, m: RedMonth) -> Finding:
        f = session.scalar(
            select(Finding).where(
                Finding.project_id == m.project.id, Finding.kind == "ACCOUNT_NOT_WORKERS"
            )
        )
        assert f is not None
        return f

    def test_back_to_the_same_finding(
        self, client: TestClient, month: RedMonth, session: Session
    ) -> None:
        web_login(client, month.inspector)
        finding = self._red(session, month)
        token = page_csrf(client, _url(month))
        started = time.perf_counter()
        r = client.post(
            f"{_url(month)}/findings/{finding.id}",
            data={"csrf_token": token, "action": "resolve", "comment": "已退回本人卡"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        location = r.headers["location"]
        assert location.endswith(f"#f-{finding.id}")
        page = client.get(location.split("#")[0]).text
        elapsed = time.perf_counter() - started
        row = next(
            x for x in table_rows(page, "stored-findings") if x.attrs["id"] == f"f-{finding.id}"
        )
        assert "已解决" in row.cells[4]
        assert "已处理:已解决" in row.cells[4]
        assert "已退回本人卡" in row.cells[3]
        assert elapsed < 5, elapsed

    def test_with_script_answers_json(
        self, client: TestClient, month: RedMonth, session: Session
    ) -> None:
        web_login(client, month.inspector)
        finding = self._red(session, month)
        token = csrf_of(client.get(_url(month)).text)
        r = client.post(
            f"{_url(month)}/findings/{finding.id}",
            data={"csrf_token": token, "action": "resolve", "comment": "已核实"},
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 200
        assert r.json() == {
            "ok": True,
            "id": finding.id,
            "status": "resolved",
            "status_text": "已解决",
            "message": "已处理:已解决",
        }
        bad = client.post(
            f"{_url(month)}/findings/{finding.id}",
            data={"csrf_token": token, "action": "resolve", "comment": ""},
            headers={"Accept": "application/json"},
        )
        assert bad.status_code in (409, 422)
        assert bad.json()["ok"] is False
        assert bad.json()["message"]


class TestWorkerPage:
    def test_no_paid_in_full_beside_a_red_finding(
        self, client: TestClient, month: RedMonth
    ) -> None:
        web_login(client, month.inspector)
        html = client.get(f"{_url(month)}/workers/{month.red.id}").text
        assert "已足额发放" not in html
        assert 'id="worker-blocking"' in html
        assert "非本人账户" in html
        fine = client.get(f"{_url(month)}/workers/{month.fine.id}").text
        assert "已足额发放" in fine  # paid in full, no finding: it says so
        assert 'id="worker-blocking"' not in fine
