"""The month's pay cycle end to end in a real browser, as the issue tells it: the site manager
builds a firm's 工资支付表 and sends it (desktop); on a 360 px phone one worker confirms their
line and another disputes theirs; the manager resolves the dispute, locks the sheet and downloads
the bank's 代发 file in a bank's layout; the bank pays one line 100 yuan short of what its worker
confirmed; the manager imports the bank's result and reconciles the month; the inspector finds
PAID_NOT_AS_CONFIRMED for that worker at the top of the month's page.

Its own firm (四川蜀安, whose workers get accounts here through the admin API) and month (March),
so the wage sheet test's February sheet of 河北恒达 and its two worker accounts are untouched.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from sqlalchemy.orm import Session

from models.money import format_yuan
from server.db.session import make_engine
from server.payroll.disbursement import DisbursementBatch, yuan_text
from server.payroll.parsers import load_layouts
from server.wages import disbursement as wage_disbursement
from server.wages.models import WageSheet
from tests.browser.conftest import Browser
from tests.browser.seed import NAMES, PASSWORD
from tests.support.bank_result import fill_status, set_field

pytestmark = pytest.mark.browser

PHONE = 360
FIRM = "四川蜀安建筑劳务有限公司"
PERIOD = "2026-03"
CONFIRMS, DISPUTES = NAMES[6], NAMES[7]  # 赵磊, 黄勇: both of 四川蜀安 (seed: i % 4 in 2, 3)
# 赵磊 already has an account in the seed (zhao.worker, for the phone test); 黄勇 gets one here.
ACCOUNTS = {CONFIRMS: "zhao.worker", DISPUTES: "huang.yong"}
LAYOUT = "bank_a_result"
SHORT_FEN = 100_00  # what the bank paid 赵磊 less than he confirmed


def _phone(browser: Browser) -> None:
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE, "height": 740, "deviceScaleFactor": 2, "mobile": True},
    )


def _desktop(browser: Browser) -> None:
    browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _fits_the_phone(browser: Browser) -> None:
    """Nothing makes the page itself wider than the phone (tables scroll inside their box)."""
    width = int(browser.driver.execute_script("return document.documentElement.scrollWidth"))
    assert width <= PHONE, f"the page is {width} px wide on a {PHONE} px phone"
    assert int(browser.driver.execute_script("return window.innerWidth")) == PHONE


def _worker_accounts(site_url: str, project_id: int) -> None:
    """The site office's part, through the API: the admin gives the two workers accounts."""
    with httpx.Client(base_url=site_url, timeout=10) as api:
        r = api.post("/api/v1/auth/token", data={"username": "zhao.admin", "password": PASSWORD})
        r.raise_for_status()
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}
        for name, username in ACCOUNTS.items():
            r = api.get("/api/v1/workers", params={"q": name, "project_id": project_id}, headers=h)
            r.raise_for_status()
            (worker,) = [w for w in r.json()["items"] if w["name"] == name]
            body = {
                "username": username,
                "password": PASSWORD,
                "role": "worker",
                "full_name": name,
                "worker_id": worker["id"],
            }
            r = api.post("/api/v1/auth/users", json=body, headers=h)
            taken = r.status_code == 409 and r.json()["code"] in ("conflict", "auth.worker_taken")
            assert r.status_code == 201 or (taken and username in r.text), r.text


def _row(browser: Browser, table_id: str, name: str) -> WebElement:
    """The row of the worker's line in the sheet's table of lines."""
    link = browser.driver.find_element(By.ID, table_id).find_element(By.LINK_TEXT, name)
    row: WebElement = link.find_element(By.XPATH, "./ancestor::tr")
    return row


def _fen(text: str) -> int:
    """ "4,550.00" (as the pages show yuan) in fen."""
    return int(Decimal(text.replace(",", "").lstrip("¥")) * 100)


def _download(browser: Browser, button_id: str, into: Path) -> Path:
    """Click a download button and wait for Chromium to have written the file."""
    into.mkdir(parents=True, exist_ok=True)
    browser.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(into)}
    )
    browser.driver.find_element(By.ID, button_id).click()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        done = [p for p in into.iterdir() if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"nothing downloaded into {into}")


def _batch(database_url: str, sheet_id: int) -> DisbursementBatch:
    """The instruction as the server wrote it (what the bank's result has to line up with)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            sheet = session.get(WageSheet, sheet_id)
            assert sheet is not None
            return wage_disbursement.batch_for(session, sheet)
    finally:
        engine.dispose()


def _kind_rows(browser: Browser, table_id: str, kind: str) -> list[WebElement]:
    return browser.driver.find_element(By.ID, table_id).find_elements(
        By.CSS_SELECTOR, f'tr[data-kind="{kind}"]'
    )


def test_the_pay_cycle_from_sheet_to_inspector(browser: Browser, tmp_path: Path) -> None:
    site = browser.site
    pid = site.data.project.id
    _worker_accounts(site.url, pid)
    _desktop(browser)

    # The manager builds March's sheet of the firm and sends it; no 代发 file is offered yet.
    browser.sign_in("zhang.manager")
    browser.click("nav-wages")
    Select(browser.driver.find_element(By.ID, "build-firm")).select_by_visible_text(FIRM)
    browser.driver.execute_script(f"document.getElementById('build-period').value = '{PERIOD}'")
    browser.click("build-submit")
    assert "编制中" in browser.text("sheet-state")
    sheet_url = browser.driver.current_url.split("?")[0]
    sheet_id = int(sheet_url.rsplit("/", 1)[1])
    assert CONFIRMS in browser.text("lines")
    assert DISPUTES in browser.text("lines")
    assert not browser.driver.find_elements(By.ID, "disbursement-form")
    confirmed_net = _row(browser, "lines", CONFIRMS).find_element(By.CSS_SELECTOR, "td.line-net")
    net_fen = _fen(confirmed_net.text)
    assert net_fen > 0
    browser.confirm(browser.driver.find_element(By.ID, "send"))
    assert "待工人确认" in browser.text("sheet-state")
    assert not browser.driver.find_elements(By.ID, "disbursement-form")

    # 赵磊 confirms on his phone.
    _phone(browser)
    browser.sign_in(ACCOUNTS[CONFIRMS])
    browser.open("/me/wages")
    assert "等您确认" in browser.text("waiting")
    _fits_the_phone(browser)
    browser.follow(browser.driver.find_element(By.CSS_SELECTOR, "a.wage-card"))
    assert _fen(browser.text("my-net")) == net_fen  # what he sees is what the sheet says
    _fits_the_phone(browser)
    browser.click("confirm")
    assert "您已确认本月工资单" in browser.page_text()
    assert "已确认" in browser.text("my-state")
    _fits_the_phone(browser)

    # 黄勇 disputes on his: the days and amount he claims, and why.
    browser.sign_in(ACCOUNTS[DISPUTES])
    browser.open("/me/wages")
    browser.follow(browser.driver.find_element(By.CSS_SELECTOR, "a.wage-card"))
    browser.driver.find_element(By.ID, "open-dispute").click()
    browser.driver.find_element(By.ID, "claimed-days").send_keys("16")
    browser.driver.find_element(By.ID, "claimed-amount").send_keys("6000")
    browser.driver.find_element(By.ID, "dispute-comment").send_keys("3 月 8 日星期日也加班了")
    _fits_the_phone(browser)
    browser.click("dispute-submit")
    assert "您的异议已提交" in browser.page_text()
    assert "有异议" in browser.text("my-state")
    _fits_the_phone(browser)

    # Back at the desk: the dispute resolved with a comment, the sheet locked anyway for the
    # lines nobody answered, with the reason.
    _desktop(browser)
    browser.sign_in("zhang.manager")
    browser.driver.get(sheet_url)
    assert DISPUTES in browser.text("disputes")
    assert "3 月 8 日星期日也加班了" in browser.text("disputes")
    form = browser.driver.find_element(By.CSS_SELECTOR, "form.resolve-form")
    form.find_element(By.TAG_NAME, "textarea").send_keys("3 月 8 日闸机无进出记录,维持原数")
    browser.follow(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "异议已处理" in browser.page_text()
    reason = "其余工人已当面核对,按表发放"
    browser.driver.find_element(By.ID, "lock-reason").send_keys(reason)
    browser.confirm(browser.driver.find_element(By.ID, "lock"))
    assert "已锁定" in browser.text("sheet-state")

    # The 代发 file, now offered: the bank's layout chosen, downloaded through the browser.
    layouts = Select(browser.driver.find_element(By.ID, "disbursement-layout"))
    assert [o.get_attribute("value") for o in layouts.options] == list(load_layouts())
    assert "示例银行A" in " ".join(o.text for o in layouts.options)
    layouts.select_by_value(LAYOUT)
    browser.shot("pay-cycle-sheet-locked")
    instruction = _download(browser, "disbursement-xlsx", tmp_path / "downloads")
    assert instruction.name == f"代发_{site.data.project.code}_{PERIOD}_{LAYOUT}.xlsx"
    batch = _batch(site.database_url, sheet_id)
    assert batch.total_fen == _fen(browser.text("net-total"))  # the sheet's total, to the fen
    assert {ln.name for ln in batch.lines} >= {CONFIRMS, DISPUTES}

    # The bank pays every line but 赵磊's as instructed; his is 100 yuan short.
    layout = load_layouts()[LAYOUT]
    row_no = next(ln.row_no for ln in batch.lines if ln.name == CONFIRMS)
    paid = fill_status(instruction.read_bytes(), "xlsx", layout, batch)
    paid = set_field(
        paid, "xlsx", layout, batch, "net_amount", {row_no: yuan_text(net_fen - SHORT_FEN)}
    )
    result = tmp_path / f"代发结果_{PERIOD}_示例银行A.xlsx"
    result.write_bytes(paid)

    # The manager imports the result and reconciles the month.
    browser.click("nav-payroll")
    browser.driver.find_element(By.ID, "payroll-file").send_keys(str(result))
    browser.click("payroll-submit")
    n = batch.count
    assert f"已导入 {n} 行(匹配工人 {n} 行" in browser.text("import-done")
    assert LAYOUT in browser.text("payroll-imports")
    browser.click(f"reconcile-{PERIOD}")
    browser.click("run-recon")
    assert "核对完成" in browser.text("run-done")
    (found,) = _kind_rows(browser, "findings", "PAID_NOT_AS_CONFIRMED")
    assert CONFIRMS in found.text
    assert "少 100.00 元" in found.text
    assert "橙色" in found.text
    unconfirmed = _kind_rows(browser, "findings", "PAYROLL_NOT_CONFIRMED")
    assert any(DISPUTES in r.text and reason in r.text for r in unconfirmed)
    browser.shot("pay-cycle-reconciliation")

    # The inspector: the finding at the top of the month's page, above the figures.
    browser.sign_in("li.inspector")
    browser.open(f"/inspect/{pid}/{PERIOD}")
    findings_y = browser.driver.find_element(By.ID, "findings-card").location["y"]
    assert findings_y < browser.driver.find_element(By.ID, "recon").location["y"]
    assert findings_y < browser.driver.find_element(By.CSS_SELECTOR, "figure.chart").location["y"]
    (row,) = _kind_rows(browser, "stored-findings", "PAID_NOT_AS_CONFIRMED")
    assert "实发与本人确认不符" in row.text
    assert CONFIRMS in row.text
    assert f"银行实发 {format_yuan(net_fen - SHORT_FEN)} 元" in row.text
    assert "橙色" in row.find_element(By.CSS_SELECTOR, "span.badge").text
    assert "finding-open" in (row.get_attribute("class") or "")
    browser.shot("pay-cycle-inspector-month")
