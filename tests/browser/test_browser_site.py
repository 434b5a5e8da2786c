"""Site manager's main path: now board, workers, profile, register, edit, entry/exit, 补卡,
roster import with row errors, month grid and its export, gates and their provisioning codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser


def test_site_manager_now_board(browser: Browser) -> None:
    site = browser.site.data
    browser.sign_in("zhang.manager")
    assert browser.driver.current_url.endswith(f"/site/{site.project.id}/now")
    assert int(browser.text("headcount")) > 0
    assert int(browser.text("arrivals")) >= int(browser.text("headcount"))
    assert "离线" in browser.text("gates")  # gate 2 has been silent for two hours
    assert browser.driver.find_elements(By.CSS_SELECTOR, "figure.chart svg path.line")
    browser.shot("site_manager-now")
    # the refusals, with their reasons, are in the 异常 tab
    browser.follow(browser.driver.find_element(By.ID, "tab-anomalies"))
    assert "人证不符" in browser.text("refusals")


def _month_closed(browser: Browser, project_id: int, period: str) -> bool:
    from sqlalchemy.orm import Session

    from server.db.session import make_engine
    from server.rosters import closing

    engine = make_engine(browser.site.database_url)
    try:
        with Session(engine) as session:
            return closing.month_closed(session, project_id=project_id, period=period) is not None
    finally:
        engine.dispose()


def test_site_manager_workers_path(browser: Browser, tmp_path: object) -> None:
    site = browser.site.data
    pid = site.project.id
    browser.sign_in("zhang.manager")
    browser.follow(browser.driver.find_element(By.LINK_TEXT, "工人"))
    assert "张伟" in browser.text("workers")
    assert "********" in browser.text("workers")  # masked ID numbers
    browser.shot("site_manager-workers")
    browser.driver.find_element(By.ID, "q").send_keys("王芳")
    browser.click("search")
    browser.follow(browser.driver.find_element(By.LINK_TEXT, "王芳"))
    masked = browser.text("id-number")
    assert "********" in masked
    browser.shot("site_manager-worker-profile")

    # The full number only on request (audited), and masked again on the next view.
    browser.click("show-full-id")
    full = browser.text("id-number")
    assert "*" not in full
    assert full[:6] == masked[:6]
    assert full[-4:] == masked[-4:]
    assert browser.driver.find_elements(By.ID, "full-id-note")
    browser.open(f"/site/{pid}/workers/{site.worker.id}")
    assert browser.text("id-number") == masked

    # 补卡 with problems: every field's message at once, and what was typed stays.
    # (Values go in through the DOM: typing into date/time inputs depends on the locale.)
    browser.driver.find_element(By.ID, "corr-reason").send_keys("短")
    browser.click("corr-submit")
    errors = browser.text("form-errors")
    assert "时间必须填写" in errors
    assert "原因至少 4 个字" in errors
    assert browser.driver.find_element(By.ID, "corr-reason").get_attribute("value") == "短"
    assert not browser.driver.find_elements(By.ID, "corrections")  # nothing was written
    browser.shot("site_manager-correction-errors")

    # Corrected on the same page: the 补卡 is recorded with its reason.
    browser.driver.execute_script("document.getElementById('corr-time').value = '07:30'")
    reason = browser.driver.find_element(By.ID, "corr-reason")
    reason.clear()
    reason.send_keys("闸机故障,班组长证明")
    closed = _month_closed(browser, pid, "2026-03")  # reconciled or paid by an earlier test?
    browser.click("corr-submit")
    if closed:  # then it waits for another manager's approval (a closed month)
        assert "须由本项目另一位管理人员审批" in browser.page_text()
    else:
        assert "补卡已记录" in browser.page_text()
    assert "闸机故障" in browser.text("corrections")

    # Register: errors first, then a valid worker, then 进场.
    browser.open(f"/site/{pid}/workers/new")
    browser.driver.find_element(By.ID, "f-id").send_keys("110101199001011234")
    browser.click("f-submit")
    errors = browser.page_text()
    assert "姓名必须填写" in errors
    assert "身份证号" in errors
    browser.shot("site_manager-register-errors")
    from tests.factories import make_id_number

    browser.driver.find_element(By.ID, "f-name").send_keys("新工人")
    id_field = browser.driver.find_element(By.ID, "f-id")
    id_field.clear()
    id_field.send_keys(make_id_number())
    browser.driver.find_element(By.ID, "f-rate").send_keys("380")
    browser.click("f-submit")
    assert "已保存" in browser.page_text()
    browser.click("enter")
    assert "已办理进场" in browser.page_text()
    assert browser.text("entered-on") == "2026-03-18"

    # 退场 asks first: cancelling leaves the worker on site, accepting records the exit.
    question = browser.confirm(browser.driver.find_element(By.ID, "leave"), accept=False)
    assert "新工人" in question
    assert browser.text("left-on") == "-"
    browser.confirm(browser.driver.find_element(By.ID, "leave"))
    assert "已办理退场" in browser.page_text()
    assert browser.text("left-on") == "2026-03-18"


def test_site_manager_import_and_month(browser: Browser, tmp_path: Path) -> None:
    pid = browser.site.data.project.id
    browser.sign_in("zhang.manager")
    browser.open(f"/site/{pid}/import")
    bad = tmp_path / "花名册.csv"
    bad.write_text(
        "姓名,身份证号,手机号\n李四,110101199001011235,13800000000\n,123,abc\n", encoding="utf-8"
    )
    browser.driver.find_element(By.ID, "import-file").send_keys(str(bad))
    browser.click("import-submit")
    assert "未导入" in browser.text("import-error")
    rows = browser.text("import-errors")
    assert "3" in rows  # the row number as Excel shows it
    browser.shot("site_manager-import-errors")

    browser.open(f"/site/{pid}/month?period=2026-02")
    grid = browser.text("month-grid")
    assert "√" in grid
    assert "张伟" in grid
    browser.shot("site_manager-month")
    # The export link answers with an XLSX file.
    href = browser.driver.find_element(By.ID, "month-xlsx").get_attribute("href")
    assert href
    assert href.endswith("period=2026-02")


def test_site_manager_english_and_phone(browser: Browser) -> None:
    pid = browser.site.data.project.id
    browser.sign_in("zhang.manager")
    browser.click("lang-switch")
    assert "Headcount on site" in browser.page_text()
    browser.shot("site_manager-now-en")
    browser.open(f"/site/{pid}/now")
    browser.shot("site_manager-now-phone", width=390, mobile=True)
    browser.click("lang-switch")
    assert "当前在场人数" in browser.page_text()


def test_site_manager_gates_path(browser: Browser) -> None:
    browser.sign_in("zhang.manager")
    browser.click("nav-gates")
    gates = browser.text("gates")
    assert "1号门 进" in gates
    assert "2号门 进" in gates
    assert "已注册" in gates  # the seeded gates have their keys
    terminals = browser.text("terminal-list")
    assert "CKJX212360042" in terminals
    assert "服务器接收,非设备签名" in terminals
    assert "待确认删除 1" in terminals
    assert "失败 1" in terminals
    assert "待批准" in terminals
    browser.shot("site_manager-gates")
    # On a 360 px phone the same answer, and the page no wider than the screen.
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True},
    )
    try:
        browser.driver.refresh()
        phone = browser.text("terminal-list")
        assert "CKJX212360042" in phone
        assert "待确认删除 1" in phone
        scroll, inner = browser.driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert int(inner) <= 360
        assert int(scroll) <= int(inner)
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # Register: the missing fields are listed at once, what was typed stays.
    browser.click("register-gate")
    browser.driver.find_element(By.ID, "g-code").send_keys("A3-GATE-3-IN")
    browser.click("g-submit")
    errors = browser.text("form-errors")
    assert "名称必须填写" in errors
    assert "闸机型号的取值无效" in errors
    assert browser.driver.find_element(By.ID, "g-code").get_attribute("value") == "A3-GATE-3-IN"
    browser.driver.find_element(By.ID, "g-name").send_keys("3号门 进")
    Select(browser.driver.find_element(By.ID, "g-model")).select_by_value("standard-two-way")
    browser.click("g-submit")
    assert "闸机已登记" in browser.page_text()
    match = re.search(r"#gate-(\d+)$", browser.driver.current_url)
    assert match, browser.driver.current_url
    row = browser.text(f"gate-{match.group(1)}")
    assert "3号门 进" in row
    assert "未注册" in row

    # The one-time code: shown once with its expiry, the command and the warning.
    browser.click(f"issue-{match.group(1)}")
    code = browser.text("provisioning-code")
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert "只显示这一次" in browser.text("code-once")
    assert f"--code {code}" in browser.text("install-command")
    assert "device_code: A3-GATE-3-IN" in browser.text("install-config")
    browser.shot("site_manager-gate-code")
    browser.click("back-to-gates")
    assert code not in browser.page_text()
    assert "注册码有效至" in browser.text(f"gate-{match.group(1)}")
