"""A worker's path: sign in, own calendar, own payments and pay slip, where to complain;
nothing of anyone else."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser


def test_worker_path(browser: Browser) -> None:
    site = browser.site.data
    browser.sign_in("wang.worker")
    assert browser.driver.current_url.endswith("/me/")
    assert "王芳" in browser.page_text()
    browser.click("prev-month")
    assert "全天" in browser.text("calendar")
    browser.shot("worker-days")
    browser.shot("worker-days-phone", width=390, mobile=True)

    browser.open("/me/pay")
    assert "2026-02" in browser.text("my-payments")
    browser.shot("worker-pay")
    browser.follow(browser.driver.find_element("css selector", "a.slip-link"))
    assert browser.text("slip-net")
    assert "*" in browser.text("slip-id")
    assert browser.text("slip-days")
    pdf = browser.driver.find_element("id", "slip-pdf").get_attribute("href")
    assert pdf
    assert pdf.endswith(f"/me/pay/{site.project.id}/2026-02.pdf")
    browser.shot("worker-slip")

    browser.open("/me/notice")
    assert "12333" in browser.page_text()
    browser.shot("worker-notice")

    # Other people's pages are closed to a worker.
    browser.open(f"/site/{site.project.id}/workers")
    assert "无权访问" in browser.page_text()
    browser.open(f"/me/pay/{site.other_project.id}/2026-02")
    assert "页面不存在" in browser.page_text()
