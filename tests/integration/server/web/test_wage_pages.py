"""The 工资支付表 through the pages, as each role uses them: the manager builds a sheet, adds and
removes items, sends it; one worker confirms on the phone page (after the line changed under
them, the new version), another disputes; the inspector sees the open dispute, read-only; the
manager resolves it and locks. Downloads open (XLSX with openpyxl, PDF), errors are pages with
the service's message and status, never a 500, and hostile names stay text."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import CompanyRole, Role
from server.auth.models import User
from server.registry.models import Company, Project, Worker
from server.reports import payslip_pdf, wage_sheet_xlsx
from server.wages import confirm as wage_confirm
from server.wages.models import WageLine, WageSheet
from server.web.downloads import XLSX
from tests.factories import (
    make_assignment,
    make_company,
    make_device,
    make_project,
    make_team,
    make_user,
    make_worker,
)
from tests.integration.server.web.helpers import csrf_of, web_login
from tests.support.payroll_month import attend, card, october

PERIOD = "2026-10"
_HASH = re.compile(r'name="shown_hash" value="([0-9a-f]{64})"')
_PAGE = re.compile(rb"/Type /Page\b(?!s)")


class Site:
    def __init__(self, session: Session, *, a_name: str = "张三", reason: str = "") -> None:
        self.project: Project = make_project(
            session, wage_account_no="110060000000000001", wage_account_bank="中国建设银行"
        )
        self.company: Company = make_company(session, self.project)
        gc = make_company(session, self.project, CompanyRole.GENERAL_CONTRACTOR)
        gc.name = "北京城建安居建设有限公司"
        team = make_team(session, self.project, self.company)
        device = make_device(session, self.project)
        self.a: Worker = make_worker(session, a_name, bank_card=card())
        self.b: Worker = make_worker(session, "李四", bank_card=card())
        for w, days in ((self.a, 3), (self.b, 2)):
            make_assignment(session, self.project, w, self.company, team, wage_rate_fen=35000)
            attend(session, self.project, device, w, october(days))
        self.manager = make_user(session, Role.SITE_MANAGER, [self.project])
        self.inspector = make_user(session, Role.INSPECTOR, [self.project])
        self.wa = make_user(session, Role.WORKER, worker=self.a)
        self.wb = make_user(session, Role.WORKER, worker=self.b)
        session.commit()

    @property
    def base(self) -> str:
        return f"/site/{self.project.id}/wages"


def _as(client: TestClient, user: User) -> str:
    """Sign in (a fresh cookie jar) and return the session's CSRF token."""
    client.cookies.clear()
    web_login(client, user)
    r = client.get("/account/password")
    assert r.status_code == 200
    return csrf_of(r.text)


def _post(client: TestClient, url: str, token: str, **data: str) -> Response:
    r: Response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
    return r


def _follow(client: TestClient, r: Response) -> Response:
    assert r.status_code == 303, (r.status_code, r.text[:2000])
    page: Response = client.get(r.headers["location"])
    assert page.status_code == 200, page.text[:2000]
    return page


def _sheet(session: Session, site: Site) -> WageSheet:
    session.expire_all()
    sheet = session.scalars(select(WageSheet).where(WageSheet.project_id == site.project.id)).one()
    return sheet


def _line(session: Session, sheet: WageSheet, worker: Worker) -> WageLine:
    return session.scalars(
        select(WageLine).where(WageLine.sheet_id == sheet.id, WageLine.worker_id == worker.id)
    ).one()


def _build(client: TestClient, site: Site, token: str) -> Response:
    r = _post(client, site.base, token, company_id=str(site.company.id), period=PERIOD, team_id="")
    return _follow(client, r)


def _hash(page: Response) -> str:
    found = _HASH.search(page.text)
    assert found, "no shown_hash on the page"
    return found.group(1)


@pytest.fixture
def site(session: Session) -> Site:
    return Site(session)


@pytest.fixture
def cjk_font() -> None:
    try:
        payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


class TestTheMonth:
    @pytest.mark.usefixtures("cjk_font")
    def test_build_items_send_confirm_dispute_resolve_lock(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        mt = _as(client, site.manager)
        listing = client.get(site.base)
        assert listing.status_code == 200
        assert 'id="nav-wages"' in listing.text
        assert site.company.name in listing.text  # the build form's firm

        # Build: a draft with a line per worker who attended.
        page = _build(client, site, mt)
        assert "编制中" in page.text
        sheet = _sheet(session, site)
        assert sheet.line_count == 2
        la, lb = _line(session, sheet, site.a), _line(session, sheet, site.b)
        assert f'id="line-{la.id}"' in page.text
        assert "1,050.00" in page.text  # 3 days × 350
        # The same firm and month again: the service's refusal, on the page, not a 500.
        r = _post(client, site.base, mt, company_id=str(site.company.id), period=PERIOD)
        assert r.status_code == 409
        assert "已存在" in r.text
        r = _post(client, site.base, mt, company_id=str(site.company.id), period="2026-13")
        assert r.status_code == 422
        assert "YYYY-MM" in r.text

        # Items on 张三's line: overtime, an advance, piece work as quantity × unit price.
        line_url = f"{site.base}/{sheet.id}/lines/{la.id}"
        items = f"{line_url}/items"
        for data in (
            {"category": "overtime", "reason": "10-09 加班 3 小时", "amount": "150"},
            {"category": "advance", "reason": "10-05 借支", "amount": "200.00"},
            {
                "category": "piece",
                "reason": "楼板钢筋",
                "quantity": "10.5",
                "unit": "平方米",
                "unit_price": "10.01",
            },
        ):
            page = _follow(client, _post(client, items, mt, **data))
        assert "项目已添加" in page.text
        assert re.search(r'id="line-net">1,105\.11<', page.text)
        assert "楼板钢筋" in page.text
        assert 'list="piece-units"' in page.text
        assert '<option value="立方米">' in page.text
        # Bad input: each field's message at once; the service's own rule (net below zero).
        r = _post(client, items, mt, category="piece", reason="", quantity="x", unit="")
        assert r.status_code == 422
        assert "事由必须填写" in r.text
        assert "单位必须填写" in r.text
        assert "单价(元)必须填写" in r.text
        r = _post(client, items, mt, category="overtime", reason="x", amount="abc")
        assert r.status_code == 422
        assert "不是有效金额" in r.text
        r = _post(client, items, mt, category="advance", reason="借支", amount="100000")
        assert r.status_code == 422
        assert "实发不能为负" in r.text
        r = _post(client, items, mt, category="nope", reason="x", amount="1")
        assert r.status_code == 422
        # Remove: add one, take it away again.
        _follow(
            client, _post(client, items, mt, category="other_deduction", reason="罚款", amount="50")
        )
        session.expire_all()
        extra = max(i for i in _item_ids(client.get(line_url).text))
        page = _follow(client, _post(client, f"{items}/{extra}/remove", mt))
        assert "项目已删除" in page.text
        assert "罚款" not in page.text
        assert _post(client, f"{items}/999999/remove", mt).status_code == 404

        # Workers see nothing of a draft.
        wt = _as(client, site.wa)
        assert "暂无工资单" in client.get("/me/wages").text
        assert client.get(f"/me/wages/{la.id}").status_code == 404

        # Send.
        mt = _as(client, site.manager)
        page = _follow(client, _post(client, f"{site.base}/{sheet.id}/send", mt))
        assert "待工人确认" in page.text
        assert _post(client, f"{site.base}/{sheet.id}/send", mt).status_code == 409

        # 张三 opens the line on the phone page: days, items, the net in big type, the card.
        wt = _as(client, site.wa)
        mine = client.get("/me/wages")
        assert "1,105.11" in mine.text
        assert "等您确认" in mine.text
        assert 'id="nav-my-wages"' in mine.text
        card_page = client.get(f"/me/wages/{la.id}")
        assert card_page.status_code == 200
        assert re.search(r'id="my-net">¥1,105\.11<', card_page.text)
        assert card_page.text.count('class="d c-full"') == 3  # the day grid: 10-08 … 10-10
        assert "10-09 加班 3 小时" in card_page.text
        assert site.a.bank_card
        assert site.a.bank_card[-4:] in card_page.text
        assert site.a.bank_card not in card_page.text  # masked
        shown = _hash(card_page)

        # The manager changes the line meanwhile: the old hash confirms nothing; the page shows
        # the new version with the service's message, and its new hash confirms it.
        mt = _as(client, site.manager)
        _follow(
            client,
            _post(client, items, mt, category="back_pay", reason="9 月少算半天", amount="175"),
        )
        wt = _as(client, site.wa)
        r = _post(client, f"/me/wages/{la.id}/confirm", wt, shown_hash=shown)
        assert r.status_code == 409
        assert "工资单已更新" in r.text
        assert re.search(r'id="my-net">¥1,280\.11<', r.text)
        fresh = _hash(r)
        assert fresh != shown
        page = _follow(client, _post(client, f"/me/wages/{la.id}/confirm", wt, shown_hash=fresh))
        assert "您已确认本月工资单" in page.text
        assert 'id="my-confirmed"' in page.text
        assert "手机" in page.text
        assert "工人确认" in page.text  # the history
        assert 'id="confirm-form"' not in page.text

        # 李四 disputes: a comment is required; then the claim is recorded.
        wt = _as(client, site.wb)
        b_page = client.get(f"/me/wages/{lb.id}")
        b_hash = _hash(b_page)
        r = _post(client, f"/me/wages/{lb.id}/dispute", wt, shown_hash=b_hash, claimed_days="3")
        assert r.status_code == 422
        assert "异议说明必须填写" in r.text
        r = _post(
            client, f"/me/wages/{lb.id}/dispute", wt, shown_hash=b_hash, claimed_days="2.3",
            comment="x",
        )  # fmt: skip
        assert r.status_code == 422
        assert "可含半天" in r.text
        page = _follow(
            client,
            _post(
                client, f"/me/wages/{lb.id}/dispute", wt, shown_hash=b_hash, claimed_days="3",
                claimed_amount="1050", comment="10 月 10 日也上班了",
            ),
        )  # fmt: skip
        assert "您的异议已提交" in page.text
        assert re.search(
            r'id="my-state"><span class="badge line-state-disputed">有异议<', page.text
        )
        assert "10 月 10 日也上班了" in page.text
        # Nobody answers another's line: 张三's line is not 李四's (404, nothing disclosed).
        assert client.get(f"/me/wages/{la.id}").status_code == 404
        r = _post(client, f"/me/wages/{la.id}/confirm", wt, shown_hash=fresh)
        assert r.status_code == 404

        # The inspector sees the open dispute on the month page and the wage pages, read-only.
        it = _as(client, site.inspector)
        recon = client.get(f"/inspect/{site.project.id}/{PERIOD}")
        assert recon.status_code == 200
        assert 'id="wage-sheets"' in recon.text
        assert re.search(r'open-disputes">1<', recon.text)
        month = client.get(f"/inspect/{site.project.id}/{PERIOD}/wages")
        assert month.status_code == 200
        assert "10 月 10 日也上班了" in month.text
        ipage = client.get(f"/inspect/{site.project.id}/{PERIOD}/wages/{sheet.id}")
        assert ipage.status_code == 200
        assert 'id="read-only"' in ipage.text
        assert "resolve-form" not in ipage.text
        assert "10 月 10 日也上班了" in ipage.text
        r = _post(client, f"{site.base}/{sheet.id}/lines/{lb.id}/resolve", it, comment="x")
        assert r.status_code == 403
        wrong = client.get(f"/inspect/{site.project.id}/2026-09/wages/{sheet.id}")
        assert wrong.status_code == 404

        # Locking with a dispute open needs a reason: the page says how many and why.
        mt = _as(client, site.manager)
        page = client.get(f"{site.base}/{sheet.id}")
        assert 'id="disputes"' in page.text
        assert "还有 1 行未确认(有异议 1 行)" in page.text
        r = _post(client, f"{site.base}/{sheet.id}/lock", mt, reason="")
        assert r.status_code == 409
        assert "如需强制锁定,请填写原因" in r.text
        # Resolving needs a comment.
        resolve = f"{site.base}/{sheet.id}/lines/{lb.id}/resolve"
        r = _post(client, resolve, mt, comment="  ", back="sheet")
        assert r.status_code == 422
        assert "处理说明必须填写" in r.text
        page = _follow(
            client, _post(client, resolve, mt, comment="闸机记录 10-10 无进出,维持 2 天")
        )
        assert "异议已处理" in page.text
        assert 'id="disputes"' not in page.text
        assert "所有行均已确认或异议已处理" in page.text
        page = _follow(client, _post(client, f"{site.base}/{sheet.id}/lock", mt))
        assert "已锁定" in page.text
        assert 'id="lock-form"' not in page.text
        r = _post(client, items, mt, category="overtime", reason="x", amount="1")
        assert r.status_code == 409
        assert "已锁定" in r.text

        # Nothing left to answer on the worker's side.
        _as(client, site.wb)
        page = client.get(f"/me/wages/{lb.id}")
        assert "闸机记录 10-10 无进出" in page.text  # the manager's answer in the history
        assert 'id="answered-locked"' in page.text
        assert "dispute-form" not in page.text

        # Downloads, for the manager and the inspector alike.
        sheet = _sheet(session, site)
        _as(client, site.manager)
        for url in (
            f"{site.base}/{sheet.id}",
            f"/inspect/{site.project.id}/{PERIOD}/wages/{sheet.id}",
        ):
            if url.startswith("/inspect"):
                _as(client, site.inspector)
            _check_xlsx(client.get(f"{url}.xlsx"), sheet, site)
            r = client.get(f"{url}.pdf")
            assert r.status_code == 200
            assert r.headers["content-type"] == "application/pdf"
            assert r.content.startswith(b"%PDF")
            assert len(_PAGE.findall(r.content)) == 1
            assert "filename*=UTF-8''%E5%B7%A5%E8%B5%84" in r.headers["content-disposition"]

    def test_lock_anyway_with_a_reason(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        mt = _as(client, site.manager)
        _build(client, site, mt)
        sheet = _sheet(session, site)
        _follow(client, _post(client, f"{site.base}/{sheet.id}/send", mt))
        page = client.get(f"{site.base}/{sheet.id}")
        assert "还有 2 行未确认(待确认 2 行)" in page.text
        page = _follow(
            client, _post(client, f"{site.base}/{sheet.id}/lock", mt, reason="工人已返乡,电话确认")
        )
        assert "工人已返乡,电话确认" in page.text
        ws = _workbook(client.get(f"{site.base}/{sheet.id}.xlsx"))[wage_sheet_xlsx.LINES_SHEET]
        header = " ".join(str(c.value) for row in ws.iter_rows(max_row=6) for c in row if c.value)
        assert "强制锁定原因" in header
        assert "工人已返乡,电话确认" in header

    def test_a_station_confirmation_names_its_device(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        mt = _as(client, site.manager)
        _build(client, site, mt)
        sheet = _sheet(session, site)
        _follow(client, _post(client, f"{site.base}/{sheet.id}/send", mt))
        session.expire_all()
        line = _line(session, sheet, site.a)
        proof = wage_confirm.DeviceProof(
            device_code="A3-KIOSK-1", seq=4711, event_hash="e" * 64, credential="id_card+face",
            at=dt.datetime(2026, 11, 2, 2, 15, tzinfo=dt.UTC),
        )  # fmt: skip
        wage_confirm.confirm(session, line, shown_hash=line.shown_hash, user=None, device=proof)
        session.commit()
        row = re.search(
            rf'<tr id="line-{line.id}".*?</tr>', client.get(f"{site.base}/{sheet.id}").text, re.S
        )
        assert row
        assert "已确认" in row.group(0)
        assert "11-02 10:15 · 设备 A3-KIOSK-1 #4711" in row.group(0)
        history = client.get(f"{site.base}/{sheet.id}/lines/{line.id}").text
        assert "设备 A3-KIOSK-1 #4711" in history
        ws = _workbook(client.get(f"{site.base}/{sheet.id}.xlsx"))[wage_sheet_xlsx.LINES_SHEET]
        confirmations = [c.value for c in ws["T"]]
        assert "已确认 2026-11-02 10:15 设备 A3-KIOSK-1 #4711" in confirmations
        _as(client, site.wa)
        page = client.get(f"/me/wages/{line.id}").text
        assert "设备 A3-KIOSK-1 #4711" in page

    def test_scope(self, client: TestClient, session: Session, site: Site) -> None:
        other = Site(session)
        mt = _as(client, site.manager)
        _build(client, site, mt)
        sheet = _sheet(session, site)
        # Another project's sheet through this project's path, and the other project itself.
        assert client.get(f"/site/{other.project.id}/wages").status_code == 404
        assert client.get(f"{other.base}/{sheet.id}").status_code == 404
        assert client.get(f"/site/{site.project.id}/wages/{sheet.id + 999}").status_code == 404
        assert client.get(f"/site/{site.project.id}/wages/abc").status_code == 404
        # Workers and inspectors do not enter the site pages.
        _as(client, site.wa)
        assert client.get(site.base).status_code == 403
        _as(client, site.inspector)
        assert client.get(site.base).status_code == 403
        # A form without the CSRF token is refused before anything happens.
        _as(client, site.manager)
        r = client.post(f"{site.base}/{sheet.id}/send", data={}, follow_redirects=False)
        assert r.status_code == 403
        assert _sheet(session, site).state == "draft"


class TestEnglish:
    def test_every_page_in_english(self, client: TestClient, session: Session, site: Site) -> None:
        mt = _as(client, site.manager)
        _build(client, site, mt)
        sheet = _sheet(session, site)
        la, lb = _line(session, sheet, site.a), _line(session, sheet, site.b)
        items = f"{site.base}/{sheet.id}/lines/{la.id}/items"
        _post(client, items, mt, category="piece", reason="rebar", quantity="2", unit="t",
              unit_price="100")  # fmt: skip
        _follow(client, _post(client, f"{site.base}/{sheet.id}/send", mt))
        wt = _as(client, site.wb)
        b_hash = _hash(client.get(f"/me/wages/{lb.id}"))
        _post(client, f"/me/wages/{lb.id}/dispute", wt, shown_hash=b_hash, comment="short")
        pages = {
            site.manager: [
                site.base,
                f"{site.base}/{sheet.id}",
                f"{site.base}/{sheet.id}/lines/{la.id}",
                f"{site.base}/{sheet.id}/lines/{lb.id}",
            ],
            site.inspector: [
                f"/inspect/{site.project.id}/{PERIOD}",
                f"/inspect/{site.project.id}/{PERIOD}/wages",
                f"/inspect/{site.project.id}/{PERIOD}/wages/{sheet.id}",
                f"/inspect/{site.project.id}/{PERIOD}/wages/{sheet.id}/lines/{lb.id}",
            ],
            site.wa: ["/me/wages", f"/me/wages/{la.id}", "/me/pay"],
            site.wb: [f"/me/wages/{lb.id}"],
        }
        seen: dict[str, str] = {}
        for user, urls in pages.items():
            _as(client, user)
            client.cookies.set("sitegate_lang", "en")
            for url in urls:
                r = client.get(url)
                assert r.status_code == 200, (url, r.text[:1000])
                assert 'lang="en"' in r.text, url
                seen[url] = r.text
        assert "Confirm" in seen[f"/me/wages/{la.id}"]
        assert "piece work" in seen[f"/me/wages/{la.id}"]
        assert "Open disputes" in seen[f"{site.base}/{sheet.id}"]
        assert "disputed" in seen[f"/inspect/{site.project.id}/{PERIOD}/wages/{sheet.id}"]
        _as(client, site.manager)
        client.cookies.set("sitegate_lang", "en")
        r = _post(client, f"{site.base}/{sheet.id}/lock", _csrf(client))
        assert r.status_code == 409
        assert "give a reason to lock anyway" in r.text


def _csrf(client: TestClient) -> str:
    return csrf_of(client.get("/account/password").text)


class TestHostileNames:
    def test_names_and_reasons_stay_text(self, client: TestClient, session: Session) -> None:
        script = "<script>alert(1)</script>"
        site = Site(session, a_name="=cmd|' /C calc'!A0")
        site.b.name = script
        session.commit()
        mt = _as(client, site.manager)
        _build(client, site, mt)
        sheet = _sheet(session, site)
        la = _line(session, sheet, site.a)
        _follow(
            client,
            _post(
                client, f"{site.base}/{sheet.id}/lines/{la.id}/items", mt,
                category="overtime", reason="+1+1 <b>粗</b>", amount="10",
            ),
        )  # fmt: skip
        for url in (f"{site.base}/{sheet.id}", f"{site.base}/{sheet.id}/lines/{la.id}"):
            page = client.get(url)
            assert page.status_code == 200
            assert script not in page.text
            assert "<b>粗</b>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"{site.base}/{sheet.id}").text
        wb = _workbook(client.get(f"{site.base}/{sheet.id}.xlsx"))
        texts = []
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", c.coordinate
                    if isinstance(c.value, str):
                        texts.append(c.value)
                        assert not c.value.startswith(("=", "+", "@")), c.value
        assert "'=cmd|' /C calc'!A0" in texts
        assert script in texts  # text in a cell, as typed


def _item_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="item-(\d+)"', html)]


def _workbook(r: Response):  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text[:1000]
    assert r.headers["content-type"] == XLSX
    return load_workbook(io.BytesIO(r.content))


def _fen(value: object) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def _check_xlsx(r: Response, sheet: WageSheet, site: Site) -> None:
    ws = _workbook(r)[wage_sheet_xlsx.LINES_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, row in enumerate(rows) if row[0] == "序号\nNo.")
    lines = {row[1]: row for row in rows[head + 1 :] if isinstance(row[0], int)}
    total = next(row for row in rows if row[0] == "合计 Total")
    assert _fen(total[16]) == sheet.net_total_fen
    assert sum(_fen(row[16]) for row in lines.values()) == sheet.net_total_fen
    a, b = lines[site.a.name], lines[site.b.name]
    assert str(a[19]).startswith("已确认 ")
    assert str(a[19]).endswith("手机")
    assert b[19] == "异议已处理"
    assert "加班 150.00" in str(a[12])
    assert "借支/预支 200.00" in str(a[14])
    assert site.a.id_number not in str(a[2])
    assert str(a[17]).endswith((site.a.bank_card or "")[-4:])
    disputes = list(_workbook(r)[wage_sheet_xlsx.DISPUTES_SHEET].iter_rows(values_only=True))
    assert disputes[1][5] == "已处理 resolved"
