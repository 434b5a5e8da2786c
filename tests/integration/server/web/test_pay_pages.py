"""The pay pages: a site manager imports the bank's 代发 result (CSRF, row/column errors, the
same file refused, caps before parsing) and runs the month's reconciliation; an inspector reads
the month as of a date, findings and table from one computation, exports carrying the date."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.models import AuditLog
from server.payroll import service as payroll_service
from server.payroll.disbursement import (
    DisbursementBatch,
    DisbursementLine,
    disbursement_csv,
    disbursement_xlsx,
)
from server.payroll.models import PayrollImport, PayrollLine
from server.payroll.parsers import load_layouts
from server.reconciliation.models import Finding, FindingEvent
from server.registry.models import Project, Worker
from server.reports.reconciliation_xlsx import PREVIEW_TEXT
from tests.factories import make_assignment, make_device, make_id_number, make_worker
from tests.integration.server.web.conftest import PERIOD, World
from tests.integration.server.web.helpers import page_csrf, web_login
from tests.support.bank_result import fill_status
from tests.support.payroll_month import attend, csv_bytes, line

MARCH = "2026-03"


def _count(session: Session, table: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _batch(world: World, period: str = MARCH, *extra: DisbursementLine) -> DisbursementBatch:
    workers = (world.x, world.colleague)
    lines = tuple(
        DisbursementLine(
            row_no=n,
            name=w.name,
            id_number=w.id_number,
            bank_card=w.bank_card or "",
            bank_name="中国建设银行",
            net_fen=350_000 + n,
            period=period,
        )
        for n, w in enumerate(workers, start=1)
    )
    return DisbursementBatch(
        world.a.code, world.a.name, "总包公司", "11050188000000001234", "建行", period,
        lines + extra,
    )  # fmt: skip


def _bank_file(world: World, kind: str = "xlsx", layout: str = "canonical") -> bytes:
    """The instruction the GC sent, as the bank returns it: every line paid."""
    b = _batch(world)
    chosen = load_layouts()[layout]
    written = (disbursement_xlsx if kind == "xlsx" else disbursement_csv)(b, chosen)
    return fill_status(written, kind, chosen, b)


class Manager:
    def __init__(self, client: TestClient, world: World) -> None:
        self.client = client
        self.world = world
        web_login(client, world.manager_a)
        self.base = f"/site/{world.a.id}"

    def upload(
        self, data: bytes, name: str = "结果.xlsx", *, token: str | None = None, **form: str
    ) -> tuple[int, str]:
        csrf = page_csrf(self.client, f"{self.base}/payroll") if token is None else token
        r = self.client.post(
            f"{self.base}/payroll",
            data={"csrf_token": csrf, **form},
            files={"file": (name, data, "application/octet-stream")},
        )
        return r.status_code, r.text


@pytest.fixture
def manager(client: TestClient, world: World) -> Manager:
    return Manager(client, world)


class TestPayrollPage:
    def test_lists_layouts_imports_and_defaults_to_last_month(self, manager: Manager) -> None:
        r = manager.client.get(f"{manager.base}/payroll")
        assert r.status_code == 200
        for name in load_layouts():
            assert f'value="{name}"' in r.text
        assert 'id="payroll-period" value="2026-02"' in r.text  # NOW is 2026-03-18
        assert f"{PERIOD}-代发-" in r.text  # the world's February imports
        assert "3,000.00" in r.text  # its successful total

    def test_upload_imports_and_says_what(self, manager: Manager, session: Session) -> None:
        before = _count(session, PayrollLine)
        status, html = manager.upload(_bank_file(manager.world))
        assert status == 200, html
        assert "已导入 2 行(匹配工人 2 行,跳过错误行 0 行),工资所属期 2026-03" in html
        assert f'href="{manager.base}/reconciliation?period=2026-03"' in html
        assert _count(session, PayrollLine) == before + 2
        imp = session.scalars(select(PayrollImport).order_by(PayrollImport.id.desc())).first()
        assert imp is not None
        assert imp.user_id == manager.world.manager_a.id
        assert imp.file_name == "结果.xlsx"
        # The list now shows it, with the successful total and who imported it.
        listed = manager.client.get(f"{manager.base}/payroll").text
        assert "结果.xlsx" in listed
        assert "7,000.03" in listed

    @pytest.mark.parametrize(
        ("kind", "layout"), [("csv", "bank_b_result"), ("xlsx", "bank_a_result")]
    )
    def test_a_chosen_bank_layout(
        self, manager: Manager, session: Session, kind: str, layout: str
    ) -> None:
        data = _bank_file(manager.world, kind, layout)
        status, html = manager.upload(data, f"回单.{kind}", layout=layout)
        assert status == 200, html
        assert "已导入 2 行" in html
        imp = session.scalars(select(PayrollImport).order_by(PayrollImport.id.desc())).first()
        assert imp is not None
        assert imp.layout == layout

    def test_without_the_csrf_token_nothing_is_imported(
        self, manager: Manager, session: Session
    ) -> None:
        before = _count(session, PayrollImport)
        for token in ("", "forged"):
            status, html = manager.upload(_bank_file(manager.world), token=token)
            assert status == 403
            assert "表单已过期" in html
        assert _count(session, PayrollImport) == before

    def test_bad_rows_give_422_with_row_column_and_reason(
        self, manager: Manager, session: Session
    ) -> None:
        w = manager.world.x
        data = csv_bytes(
            [
                line(w.name, w.id_number, w.bank_card or "", "100.00", period=MARCH),
                line("李坏", "110101198506010000", w.bank_card or "", "12.345", period=MARCH),
            ]
        )
        before = _count(session, PayrollImport)
        status, html = manager.upload(data, "坏.csv")
        assert status == 422
        assert "文件有 1 行错误,未导入任何数据" in html
        assert "nothing was imported" in html
        rows = re.findall(
            r'<tr><td class="num">(\d+)</td><td>(\w+)</td><td>([^<]+)</td><td class="wrap">'
            r'([^<]+)<br><span class="muted">([^<]+)</span>',
            html,
        )
        where = {(row, col, header) for row, col, header, _, _ in rows}
        assert where == {("3", "B", "身份证号"), ("3", "F", "实发金额")}
        zh, en = next((zh, en) for row, col, _, zh, en in rows if col == "F")
        assert "超过两位小数" in zh
        assert "decimals" in en
        assert _count(session, PayrollImport) == before
        # Skipping the bad rows imports the rest and lists what was left out.
        status, html = manager.upload(data, "坏.csv", skip_bad_rows="1", period=MARCH)
        assert status == 200
        assert "已导入 1 行(匹配工人 1 行,跳过错误行 1 行)" in html
        assert 'id="skipped-rows"' in html
        assert _count(session, PayrollImport) == before + 1

    def test_the_same_file_twice_is_refused_and_explained(
        self, manager: Manager, session: Session
    ) -> None:
        data = _bank_file(manager.world)
        assert manager.upload(data)[0] == 200
        before = (_count(session, PayrollImport), _count(session, PayrollLine))
        status, html = manager.upload(data, "改名了.xlsx")
        assert status == 409
        first = session.scalars(select(PayrollImport).order_by(PayrollImport.id.desc())).first()
        assert first is not None
        assert re.search(
            rf"此文件已于 [\d-]+ [\d:]+ 导入\(文件名 结果.xlsx,导入批次 {first.id}\)", html
        )
        assert "this file was already imported on" in html
        assert 'id="duplicate-help"' in html
        assert (_count(session, PayrollImport), _count(session, PayrollLine)) == before

    @pytest.mark.parametrize(
        ("data", "name", "status", "text"),
        [
            (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls", 422, "不支持旧版 .xls"),
            (b"PK\x03\x04broken", "x.xlsx", 422, "无法打开 XLSX 文件"),
            (b"", "empty.csv", 422, "文件为空"),
            (b"a,b\r\n1,2\r\n", "x.csv", 422, "找不到表头"),
        ],
    )
    def test_an_unreadable_file_says_why(
        self, manager: Manager, data: bytes, name: str, status: int, text: str
    ) -> None:
        got, html = manager.upload(data, name)
        assert got == status
        assert text in html

    def test_no_file_and_unknown_layout_and_bad_period(self, manager: Manager) -> None:
        csrf = page_csrf(manager.client, f"{manager.base}/payroll")
        r = manager.client.post(f"{manager.base}/payroll", data={"csrf_token": csrf})
        assert r.status_code == 422
        assert "请选择文件" in r.text
        status, html = manager.upload(_bank_file(manager.world), layout="no_such_bank")
        assert (status, "未知的银行格式" in html) == (422, True)
        status, html = manager.upload(_bank_file(manager.world), period="2026-13")
        assert (status, "格式错误" in html) == (422, True)

    def test_an_upload_over_the_cap_is_refused_before_parsing(
        self, manager: Manager, app: FastAPI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app.state.settings = app.state.settings.model_copy(update={"import_max_bytes": 1024})

        def never(*_: object, **__: object) -> None:
            raise AssertionError("parsed a file over the cap")

        monkeypatch.setattr(payroll_service, "parse_upload", never)
        status, html = manager.upload(_bank_file(manager.world))
        assert status == 413
        assert "文件过大" in html
        assert "too large" in html


def _unpaid_worker(session: Session, project: Project) -> Worker:
    """A worker of `project` who attended five February days and was paid nothing."""
    w = make_worker(
        session, name="孙未发", id_number=make_id_number(), bank_card="6217000000000000099"
    )
    make_assignment(session, project, w)
    attend(session, project, make_device(session, project), w,
           [dt.date(2026, 2, d) for d in (2, 3, 4, 5, 6)])  # fmt: skip
    session.commit()
    return w


class TestManagerReconciliation:
    def test_run_from_the_page_stores_and_shows_a_finding(
        self, manager: Manager, session: Session
    ) -> None:
        stranger = DisbursementLine(
            row_no=9, name="陌生人", id_number=make_id_number(), bank_card="6217000000000000777",
            bank_name="建行", net_fen=100_00, period=MARCH,
        )  # fmt: skip
        b = _batch(manager.world, MARCH, stranger)
        data = fill_status(disbursement_xlsx(b), "xlsx", load_layouts()["canonical"], b)
        assert manager.upload(data)[0] == 200
        page = f"{manager.base}/reconciliation?period={MARCH}"
        r = manager.client.get(page)
        assert r.status_code == 200
        assert 'id="not-reconciled"' in r.text
        before = _count(session, Finding)
        r = manager.client.post(
            f"{manager.base}/reconciliation",
            data={"csrf_token": page_csrf(manager.client, page), "period": MARCH},
        )
        assert r.status_code == 200, r.text
        assert 'id="run-done"' in r.text
        findings = re.search(r'<table id="findings">(.*?)</table>', r.text, re.S)
        assert findings
        assert "UNKNOWN_PAYEE" in findings.group(1)
        assert "陌生人" in findings.group(1)
        assert _count(session, Finding) > before
        run = session.scalars(
            select(AuditLog).where(AuditLog.action == "reconciliation.run")
            .order_by(AuditLog.id.desc())
        ).first()  # fmt: skip
        assert run is not None
        assert run.user_id == manager.world.manager_a.id
        assert run.detail["today"] == "2026-03-18"
        # The page now reads the stored run, and says as of when.
        r = manager.client.get(page)
        assert "核对日期 2026-03-18" in r.text
        assert 'id="not-reconciled"' not in r.text

    def test_run_needs_the_token_and_a_month(self, manager: Manager, session: Session) -> None:
        before = _count(session, FindingEvent)
        r = manager.client.post(
            f"{manager.base}/reconciliation", data={"csrf_token": "x", "period": MARCH}
        )
        assert r.status_code == 403
        token = page_csrf(manager.client, f"{manager.base}/reconciliation")
        r = manager.client.post(
            f"{manager.base}/reconciliation", data={"csrf_token": token, "period": "3月"}
        )
        assert r.status_code == 422
        assert "格式错误" in r.text
        assert _count(session, FindingEvent) == before

    def test_exports_carry_the_as_of_date(self, manager: Manager) -> None:
        r = manager.client.get(f"{manager.base}/reconciliation?period={PERIOD}&as_of=2026-04-30")
        assert r.status_code == 200
        assert f"reconciliation.xlsx?period={PERIOD}&amp;as_of=2026-04-30" in r.text
        assert f"reconciliation.pdf?period={PERIOD}&amp;as_of=2026-04-30" in r.text
        x = manager.client.get(
            f"{manager.base}/reconciliation.xlsx?period={PERIOD}&as_of=2026-04-30"
        )
        assert x.status_code == 200
        ws = load_workbook(io.BytesIO(x.content))["核对汇总"]
        assert (ws["A6"].value, ws["B6"].value) == ("核对日期 As of", "2026-04-30")


class TestInspectorAsOf:
    def _inspector(self, client: TestClient, world: World) -> str:
        web_login(client, world.inspector_a)
        return f"/inspect/{world.a.id}/{PERIOD}"

    @staticmethod
    def _row(html: str, name: str) -> str:
        table = re.search(r'<table id="recon">(.*?)</table>', html, re.S)
        assert table
        row = re.search(
            rf"<tr[^>]*>\s*<td><a [^>]*>{name}</a></td>(.*?)</tr>", table.group(1), re.S
        )
        assert row, name
        return row.group(1)

    @staticmethod
    def _findings(html: str) -> str:
        found = re.search(r'<table id="computed-findings">(.*?)</table>', html, re.S)
        assert found, "no computed findings table"
        return found.group(1)

    def test_findings_and_table_agree_as_of_the_date_and_nothing_is_stored(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        unpaid = _unpaid_worker(session, world.a)
        page = self._inspector(client, world)
        stored = (
            _count(session, Finding),
            _count(session, FindingEvent),
            _count(session, AuditLog),
        )

        # Every row (the table shows only workers with a problem by default: not yet due is none)
        early = client.get(f"{page}?as_of=2026-03-10&rows=all")  # before the pay day (03-15)
        assert early.status_code == 200
        assert "按核对日期 2026-03-10 试算,未保存" in early.text
        assert "UNPAID" not in self._findings(early.text)
        assert "未到发薪日" in self._row(early.text, unpaid.name)
        assert 'id="stored-findings"' not in early.text  # no resolve / waive on a preview
        assert "/export.xlsx?as_of=2026-03-10" in early.text
        assert "/report.pdf?as_of=2026-03-10" in early.text
        assert 'value="2026-03-10"' in early.text

        late = client.get(f"{page}?as_of=2026-04-20")  # 36 days past: red
        findings = self._findings(late.text)
        unpaid_row = re.search(
            r'<tr[^>]*data-kind="UNPAID"[^>]*>((?:(?!</tr>).)*)</tr>', findings, re.S
        )
        assert unpaid_row
        assert "lv-red" in unpaid_row.group(1)
        assert unpaid.name in unpaid_row.group(1)
        assert "未发工资" in unpaid_row.group(1)  # the kind in words
        row = self._row(late.text, unpaid.name)
        assert "未发放" in row
        assert "lv-red" in row
        assert (
            _count(session, Finding), _count(session, FindingEvent), _count(session, AuditLog)
        ) == stored  # fmt: skip

        # Without a date: the stored run (of 2026-03-18), its date stated, the table as of today.
        plain = client.get(page)
        assert 'id="stored-findings"' in plain.text
        assert "核对日期 2026-03-18" in plain.text

    def test_exports_as_of_the_same_date(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        unpaid = _unpaid_worker(session, world.a)
        page = self._inspector(client, world)
        r = client.get(f"{page}/export.xlsx?as_of=2026-04-20")
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.content))
        assert wb["核对汇总"]["B6"].value == "2026-04-20"
        assert wb["核对汇总"]["B8"].value == PREVIEW_TEXT
        ids = {row[1]: row[6] for row in wb["预警明细"].iter_rows(min_row=2, values_only=True)}
        assert ids["UNPAID"] == "-"  # found as of that date, never stored
        assert isinstance(ids["PAID_WITHOUT_ATTENDANCE"], int)  # the stored run's, same id
        kinds = {
            (row[1], row[2], row[0])
            for row in wb["预警明细"].iter_rows(min_row=2, values_only=True)
        }
        assert ("UNPAID", unpaid.name, "红色 red") in kinds
        rows = {row[0]: row for row in wb["工人明细"].iter_rows(min_row=2, values_only=True)}
        assert rows[unpaid.name][12] == "未发 unpaid"
        pdf = client.get(f"{page}/report.pdf?as_of=2026-04-20")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")

    @pytest.mark.parametrize("bad", ["2026-02-30", "yesterday", "2026/04/20"])
    def test_a_bad_date_is_a_422_page(self, client: TestClient, world: World, bad: str) -> None:
        page = self._inspector(client, world)
        for url in (page, f"{page}/export.xlsx", f"{page}/report.pdf"):
            r = client.get(f"{url}?as_of={bad}")
            assert r.status_code == 422, url
            assert "核对日期" in r.text
            assert "as-of date" in r.text
