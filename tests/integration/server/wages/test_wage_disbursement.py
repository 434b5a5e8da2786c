"""A locked wage sheet as the bank's 代发 instruction, and back: in the canonical template and in
every bank layout the file, filled in as the bank returns it, imports with the same names, cards
and fen as the sheet (lines with nothing to pay left out); and the month's reconciliation finds
what the bank did otherwise than the workers confirmed (PAID_NOT_AS_CONFIRMED), what was paid
unconfirmed on a sheet locked anyway (PAYROLL_NOT_CONFIRMED with the lock reason), a dispute
still open (PAYROLL_DISPUTED), and wages not paid from the wage account
(PAID_NOT_FROM_WAGE_ACCOUNT). Through the API and the site manager's sheet page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.auth.models import AuditLog, User
from server.payroll import service as payroll_service
from server.payroll.disbursement import yuan_text
from server.payroll.parsers import load_layouts
from server.wages import disbursement as wage_disbursement
from server.wages.models import WageLine, WageSheet
from tests.factories import login, make_assignment, make_device, make_worker
from tests.integration.server.web.helpers import web_login
from tests.support.bank_result import fill_status, set_field
from tests.support.payroll_month import attend, card, october
from tests.support.wage_month import Site

PERIOD = "2026-10"
AFTER_PAY_DAY = "2026-11-16"  # the pay day is the 15th of the next month
LAYOUTS = list(load_layouts())
FORMATS = ("xlsx", "csv")
OTHER_ACCOUNT = "110060000000009999"  # not the project's wage account (…0001)


@dataclass
class Cycle:
    """One firm's October through the API: the sheet, the workers' answers, the lock, the
    instruction, the bank's result and the reconciliation."""

    client: TestClient
    session: Session
    site: Site
    mh: dict[str, str]
    sheet_id: int = 0
    lines: dict[str, int] = field(default_factory=dict)  # name -> line id

    @property
    def url(self) -> str:
        return f"{self.site.base}/{self.sheet_id}"

    def build(self) -> None:
        r = self.client.post(
            self.site.base,
            json={"company_id": self.site.company.id, "period": PERIOD},
            headers=self.mh,
        )
        assert r.status_code == 201, r.text
        self.sheet_id = r.json()["id"]
        detail = self.client.get(self.url, headers=self.mh).json()
        self.lines = {ln["name"]: ln["id"] for ln in detail["lines"]}

    def send(self) -> None:
        r = self.client.post(f"{self.url}/send", headers=self.mh)
        assert r.status_code == 200, r.text

    def answer(self, worker: User, verb: str = "confirm") -> None:
        h = login(self.client, worker)
        mine = self.client.get("/api/v1/me/wage-lines", headers=h).json()
        assert len(mine) == 1
        lid = mine[0]["id"]
        shown = self.client.get(f"/api/v1/me/wage-lines/{lid}", headers=h).json()["shown_hash"]
        body: dict[str, Any] = {"shown_hash": shown}
        if verb == "dispute":
            body |= {"comment": "10 月 11 日也上班了", "claimed_days": "3"}
        r = self.client.post(f"/api/v1/me/wage-lines/{lid}/{verb}", json=body, headers=h)
        assert r.status_code == 200, r.text

    def lock(self, reason: str | None = None) -> None:
        r = self.client.post(f"{self.url}/lock", json={"reason": reason}, headers=self.mh)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "locked"

    def sheet(self) -> WageSheet:
        self.session.expire_all()
        found = self.session.get(WageSheet, self.sheet_id)
        assert found is not None
        return found

    def instruction(self, ext: str = "xlsx", layout: str = "canonical") -> bytes:
        r = self.client.get(
            f"{self.url}/disbursement.{ext}", params={"layout": layout}, headers=self.mh
        )
        assert r.status_code == 200, r.text
        assert "attachment" in r.headers["content-disposition"]
        return bytes(r.content)

    def result(
        self, ext: str = "xlsx", layout: str = "canonical", **fields: dict[int, str]
    ) -> bytes:
        """The bank's answer to the instruction: every line paid; `fields` changes some
        lines' cells (by the line's number in the file) as the bank's result says otherwise."""
        chosen = load_layouts()[layout]
        batch = wage_disbursement.batch_for(self.session, self.sheet())
        data = fill_status(self.instruction(ext, layout), ext, chosen, batch)
        for name, values in fields.items():
            data = set_field(data, ext, chosen, batch, name, values)
        return data

    def row_of(self, name: str) -> int:
        """The line's number (序号) in the instruction."""
        batch = wage_disbursement.batch_for(self.session, self.sheet())
        return next(ln.row_no for ln in batch.lines if ln.name == name)

    def net_of(self, name: str) -> int:
        self.session.expire_all()
        line = self.session.get(WageLine, self.lines[name])
        assert line is not None
        return line.net_fen

    def import_result(self, data: bytes, ext: str = "xlsx", layout: str | None = None) -> None:
        r = self.client.post(
            f"/api/v1/projects/{self.site.project.id}/payroll/imports",
            files={"file": (f"代发结果.{ext}", data, "application/octet-stream")},
            data={"layout": layout} if layout else {},
            headers=self.mh,
        )
        assert r.status_code == 201, r.text

    def reconcile(self, today: str = AFTER_PAY_DAY) -> list[dict[str, Any]]:
        r = self.client.post(
            f"/api/v1/projects/{self.site.project.id}/reconciliation/{PERIOD}/run",
            params={"today": today},
            headers=self.mh,
        )
        assert r.status_code == 200, r.text
        findings: list[dict[str, Any]] = r.json()["findings"]
        return findings


@pytest.fixture
def cycle(client: TestClient, session: Session) -> Cycle:
    site = Site(session)
    return Cycle(client, session, site, login(client, site.manager))


def _of(findings: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The open findings of a kind (a run also lists those an earlier run raised and this one
    no longer finds, as gone)."""
    return [f for f in findings if f["kind"] == kind and f["status"] == "open"]


# --- the instruction and its re-import ---------------------------------------------------------


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_instruction_reimports_as_the_sheet_says(
    cycle: Cycle, session: Session, layout: str, ext: str
) -> None:
    # A third worker whose advance takes the whole month: nothing to pay, so no line in the file.
    zero = make_worker(session, "赵六", bank_card=card())
    make_assignment(session, cycle.site.project, zero, cycle.site.company, wage_rate_fen=35000)
    attend(session, cycle.site.project, make_device(session, cycle.site.project), zero, october(1))
    cycle.build()
    r = cycle.client.post(
        f"{cycle.url}/lines/{cycle.lines['赵六']}/items",
        json={"category": "advance", "reason": "10-05 借支", "amount_fen": 35000},
        headers=cycle.mh,
    )
    assert r.status_code == 201, r.text
    assert r.json()["net_fen"] == 0
    cycle.send()
    cycle.lock("赵六本月已全部借支;张三、李四电话确认")

    sheet = cycle.sheet()
    lines = list(session.scalars(select(WageLine).where(WageLine.sheet_id == sheet.id)))
    with_pay = {(ln.name, ln.bank_card, ln.net_fen) for ln in lines if ln.net_fen > 0}
    assert len(with_pay) == 2

    data = cycle.result(ext, layout)
    parsed = payroll_service.parse_upload(data, file_name=f"回单.{ext}", layout=layout)
    assert not parsed.errors, parsed.errors
    assert {(r.name, r.bank_card, r.net_fen) for r in parsed.rows} == with_pay
    assert sum(r.net_fen for r in parsed.rows) == sheet.net_total_fen
    assert {r.period for r in parsed.rows} == {PERIOD}
    assert all(r.status.value == "success" for r in parsed.rows)
    by_card = {ln.bank_card: ln for ln in lines}
    for row in parsed.rows:
        if row.id_number:  # the layouts without an ID column match by card
            assert row.id_number == by_card[row.bank_card].id_number
        if row.payer_account:
            assert row.payer_account == cycle.site.project.wage_account_no


def test_a_sheet_not_locked_has_no_instruction(cycle: Cycle) -> None:
    cycle.build()
    for send in (True, False):  # a draft, then a sheet sent to the workers
        r = cycle.client.get(f"{cycle.url}/disbursement.xlsx", headers=cycle.mh)
        assert r.status_code == 409
        assert r.json()["code"] == "wages.not_locked"
        if send:
            cycle.send()


def test_a_card_the_bank_cannot_take_is_a_clear_422(cycle: Cycle, session: Session) -> None:
    cycle.build()
    cycle.send()
    cycle.lock("李四未答复")
    # A card the bank cannot take (an old record typed before cards were checked): the lock
    # refuses a line without a card, the writer one whose card is not 12-19 digits.
    session.execute(update(WageLine).where(WageLine.name == "李四").values(bank_card="62-22ab"))
    session.flush()
    r = cycle.client.get(f"{cycle.url}/disbursement.xlsx", headers=cycle.mh)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "disbursement.bad_batch"
    assert "代发文件无法生成" in body["message_zh"]
    assert "cannot write the disbursement file" in body["message_en"]
    bad = [p for p in body["detail"] if p["field"] == "bank_card"]
    assert [p["row_no"] for p in bad] == [cycle.row_of("李四")]
    assert len(body["detail"]) == 1  # 张三's line is fine


# --- the bank's result, imported and reconciled -------------------------------------------------


def test_paid_otherwise_than_confirmed_is_found_for_that_worker_only(cycle: Cycle) -> None:
    cycle.build()
    cycle.send()
    cycle.answer(cycle.site.wa)
    cycle.answer(cycle.site.wb)
    cycle.lock()
    confirmed = cycle.net_of("张三")
    paid = confirmed - 100_00  # the bank paid 100 yuan less than 张三 confirmed
    data = cycle.result(net_amount={cycle.row_of("张三"): yuan_text(paid)})
    cycle.import_result(data)
    findings = cycle.reconcile()
    found = _of(findings, "PAID_NOT_AS_CONFIRMED")
    assert [f["worker_id"] for f in found] == [cycle.site.a.id]
    assert found[0]["level"] == "orange"
    assert found[0]["evidence"]["confirmed_fen"] == confirmed
    assert found[0]["evidence"]["paid_fen"] == paid
    assert "少 100.00 元" in found[0]["message_zh"]
    assert "short by ¥100.00" in found[0]["message_en"]
    # Everyone confirmed and the rest was paid as confirmed: nothing else about the sheet.
    assert not _of(findings, "PAYROLL_NOT_CONFIRMED")
    assert not _of(findings, "PAID_NOT_FROM_WAGE_ACCOUNT")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_paid_less_than_half_of_it_is_red(cycle: Cycle, layout: str) -> None:
    cycle.build()
    cycle.send()
    cycle.answer(cycle.site.wa)
    cycle.answer(cycle.site.wb)
    cycle.lock()
    row = cycle.row_of("李四")
    data = cycle.result("csv", layout, net_amount={row: yuan_text(cycle.net_of("李四") // 3)})
    cycle.import_result(data, "csv", layout)
    found = _of(cycle.reconcile(), "PAID_NOT_AS_CONFIRMED")
    assert [(f["worker_id"], f["level"]) for f in found] == [(cycle.site.b.id, "red")]


def test_paid_unconfirmed_on_a_sheet_locked_anyway_names_the_reason(cycle: Cycle) -> None:
    cycle.build()
    cycle.send()
    cycle.answer(cycle.site.wa)  # 李四 never answers
    reason = "李四已返乡,电话确认无误"
    cycle.lock(reason)
    cycle.import_result(cycle.result())
    findings = cycle.reconcile()
    found = _of(findings, "PAYROLL_NOT_CONFIRMED")
    assert [f["worker_id"] for f in found] == [cycle.site.b.id]
    assert f"锁定原因:{reason}" in found[0]["message_zh"]
    assert f"lock reason: {reason}" in found[0]["message_en"]
    assert found[0]["evidence"]["lock_reason"] == reason
    assert found[0]["evidence"]["sheet_locked"] is True
    assert not _of(findings, "PAID_NOT_AS_CONFIRMED")  # 张三 was paid as confirmed


def test_an_open_dispute_at_pay_day(cycle: Cycle) -> None:
    cycle.build()
    cycle.send()
    cycle.answer(cycle.site.wa)
    cycle.answer(cycle.site.wb, "dispute")
    cycle.lock("李四的异议待劳资员核实,先按表发放")
    # On the pay day itself, unpaid: not yet a dispute left open (the forced lock over it is
    # PAYROLL_NOT_CONFIRMED); the day after, it is.
    early = cycle.reconcile("2026-11-15")
    assert not _of(early, "PAYROLL_DISPUTED")
    assert "本人有异议未处理" in _of(early, "PAYROLL_NOT_CONFIRMED")[0]["message_zh"]
    found = _of(cycle.reconcile(), "PAYROLL_DISPUTED")
    assert [f["worker_id"] for f in found] == [cycle.site.b.id]
    assert "已过发薪日 2026-11-15" in found[0]["message_zh"]
    # Paid with the dispute still open: the same finding, now saying it was paid, and not
    # PAYROLL_NOT_CONFIRMED as well.
    cycle.import_result(cycle.result())
    findings = cycle.reconcile()
    found = _of(findings, "PAYROLL_DISPUTED")
    assert [f["worker_id"] for f in found] == [cycle.site.b.id]
    assert "工资已发放" in found[0]["message_zh"]
    assert not _of(findings, "PAYROLL_NOT_CONFIRMED")


def test_paid_from_another_account_than_the_wage_account(cycle: Cycle) -> None:
    cycle.build()
    cycle.send()
    cycle.answer(cycle.site.wa)
    cycle.answer(cycle.site.wb)
    cycle.lock()
    data = cycle.result(payer_account={cycle.row_of("张三"): OTHER_ACCOUNT})
    cycle.import_result(data)
    findings = cycle.reconcile()
    found = _of(findings, "PAID_NOT_FROM_WAGE_ACCOUNT")
    assert [(f["worker_id"], f["level"]) for f in found] == [(cycle.site.a.id, "red")]
    assert "不是本项目的农民工工资专用账户" in found[0]["message_zh"]
    assert found[0]["evidence"]["payer_account"].endswith("9999")
    assert found[0]["evidence"]["wage_account"].endswith("0001")
    assert not _of(findings, "PAID_NOT_AS_CONFIRMED")


# --- the site manager's sheet page ---------------------------------------------------------------


def _page(cycle: Cycle) -> str:
    return f"/site/{cycle.site.project.id}/wages/{cycle.sheet_id}"


def test_the_page_offers_the_file_once_the_sheet_is_locked(cycle: Cycle, session: Session) -> None:
    cycle.build()
    cycle.send()
    web_login(cycle.client, cycle.site.manager)
    r = cycle.client.get(_page(cycle))
    assert r.status_code == 200
    assert 'id="disbursement-form"' not in r.text  # sent, not locked: nothing to pay yet
    # Asked for anyway: refused on the sheet page, in both languages, nothing written.
    r = cycle.client.get(f"{_page(cycle)}/disbursement.xlsx")
    assert r.status_code == 409
    assert "text/html" in r.headers["content-type"]
    assert "工资表锁定后才能生成代发文件" in r.text
    assert "the 代发 file is written once the sheet is locked" in r.text
    cycle.client.cookies.clear()

    cycle.lock("电话确认")
    web_login(cycle.client, cycle.site.manager)
    r = cycle.client.get(_page(cycle))
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*id="disbursement-form"', r.text)
    assert form
    assert form.group(1) == f"{_page(cycle)}/disbursement.xlsx"
    assert f'formaction="{_page(cycle)}/disbursement.csv"' in r.text
    for name, spec in load_layouts().items():
        assert f'<option value="{name}"' in r.text
        assert spec.title.split(" / ")[0] in r.text  # the layout's Chinese title

    before = session.scalar(
        select(AuditLog.id).where(AuditLog.action == "wages.disbursement").limit(1)
    )
    assert before is None
    for ext, layout in (("xlsx", "canonical"), ("csv", "bank_b_result")):
        r = cycle.client.get(f"{_page(cycle)}/disbursement.{ext}", params={"layout": layout})
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        assert f"{PERIOD}_{layout}.{ext}" in r.headers["content-disposition"]
        chosen = load_layouts()[layout]
        batch = wage_disbursement.batch_for(session, cycle.sheet())
        parsed = payroll_service.parse_upload(
            fill_status(r.content, ext, chosen, batch), file_name=f"x.{ext}", layout=layout
        )
        assert sorted(row.net_fen for row in parsed.rows) == sorted(
            (cycle.net_of("张三"), cycle.net_of("李四"))
        )
    assert "gb18030" in r.headers["content-type"]
    session.expire_all()
    audits = session.scalars(
        select(AuditLog).where(AuditLog.action == "wages.disbursement").order_by(AuditLog.id)
    ).all()
    assert [(a.user_id, a.entity_id, a.detail) for a in audits] == [
        (cycle.site.manager.id, cycle.sheet_id, {"layout": lt, "format": e, "via": "web"})
        for e, lt in (("xlsx", "canonical"), ("csv", "bank_b_result"))
    ]


def test_the_page_lists_the_lines_it_cannot_pay(cycle: Cycle, session: Session) -> None:
    cycle.build()
    cycle.send()
    cycle.lock("李四未答复")
    # A card the bank cannot take (an old record typed before cards were checked): the lock
    # refuses a line without a card, the writer one whose card is not 12-19 digits.
    session.execute(update(WageLine).where(WageLine.name == "李四").values(bank_card="62-22ab"))
    session.flush()
    web_login(cycle.client, cycle.site.manager)
    r = cycle.client.get(f"{_page(cycle)}/disbursement.csv", params={"layout": "bank_a_result"})
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]
    problems = re.search(r'<table id="disbursement-problems">(.*?)</table>', r.text, re.S)
    assert problems
    assert "李四" in problems.group(1)
    assert "张三" not in problems.group(1)
    assert "银行卡号" in problems.group(1)
    assert "代发文件无法生成" in r.text
    assert "cannot write the disbursement file" in r.text
    assert '<option value="bank_a_result" selected>' in r.text  # the choice kept
    assert (
        session.scalar(select(AuditLog.id).where(AuditLog.action == "wages.disbursement")) is None
    )
    # A layout nobody configured, or a format not offered: said on the page too.
    r = cycle.client.get(f"{_page(cycle)}/disbursement.xlsx", params={"layout": "no_such_bank"})
    assert r.status_code == 404
    assert "银行格式 no_such_bank" in r.text
    r = cycle.client.get(f"{_page(cycle)}/disbursement.pdf")
    assert r.status_code == 422
    assert "xlsx/csv" in r.text


def test_an_inspector_reads_the_sheet_but_gets_no_file(cycle: Cycle) -> None:
    cycle.build()
    cycle.send()
    cycle.lock("电话确认")
    web_login(cycle.client, cycle.site.inspector)
    r = cycle.client.get(f"/inspect/{cycle.site.project.id}/{PERIOD}/wages/{cycle.sheet_id}")
    assert r.status_code == 200
    assert "disbursement" not in r.text
    assert cycle.client.get(f"{_page(cycle)}/disbursement.xlsx").status_code == 403
