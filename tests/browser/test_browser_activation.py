"""A worker without an account, on a 360 px phone: from the sign-in page to /activate, ID
number + the code from the slip + a new password twice, a wrong code first (one message in
both languages), then the username shown and their own pages, nothing of anyone else's."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.conftest import Browser
from tests.browser.seed import PASSWORD

pytestmark = pytest.mark.browser

WIDTH = 360
NEW = "my-phone-pass-2026"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Browser]:
    _phone_viewport(browser.driver)
    try:
        yield browser
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _phone_viewport(driver: WebDriver) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": 780, "deviceScaleFactor": 2, "mobile": True},
    )


def _issue_code(site_url: str, project_id: int, worker_id: int) -> str:
    """The site office's part, through the API: the admin issues this worker's code."""
    with httpx.Client(base_url=site_url, timeout=10) as api:
        r = api.post("/api/v1/auth/token", data={"username": "zhao.admin", "password": PASSWORD})
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = api.post(
            f"/api/v1/projects/{project_id}/activation-codes",
            json={"worker_ids": [worker_id]},
            headers=headers,
        )
        r.raise_for_status()
        issued = r.json()["issued"]
        assert [c["worker_id"] for c in issued] == [worker_id]
        code: str = issued[0]["code"]
        return code


def _fits_the_phone(driver: WebDriver) -> None:
    width = int(driver.execute_script("return document.documentElement.scrollWidth"))
    assert width <= WIDTH, f"the page is {width} px wide on a {WIDTH} px phone"


def _fill(driver: WebDriver, field: str, value: str) -> None:
    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(value)


def test_a_worker_activates_on_a_phone(phone: Browser) -> None:
    site = phone.site.data
    worker = site.other_worker  # on the other project, no account yet
    code = _issue_code(phone.site.url, site.other_project.id, worker.id)
    driver = phone.driver

    phone.open("/login")
    _fits_the_phone(driver)
    phone.click("activate-link")
    assert driver.current_url.endswith("/activate")
    _fits_the_phone(driver)

    # A mistyped code: one message, in both languages, that does not say which part was wrong.
    _fill(driver, "id-number", worker.id_number)
    _fill(driver, "code", "WXYZ-WXYZ")
    _fill(driver, "new-password", NEW)
    _fill(driver, "repeat-password", NEW)
    phone.click("activate-submit")
    errors = phone.text("form-errors")
    assert "身份证号或激活码不正确" in errors
    assert "The ID number or the code is wrong" in errors
    _fits_the_phone(driver)
    phone.shot("worker-activate-error-phone", width=WIDTH, mobile=True)
    _phone_viewport(driver)

    # The ID number stays typed; the code and the passwords are asked again.
    assert driver.find_element(By.ID, "id-number").get_attribute("value") == worker.id_number
    _fill(driver, "code", code.lower())  # as a phone keyboard types it
    _fill(driver, "new-password", NEW)
    _fill(driver, "repeat-password", NEW)
    phone.click("activate-submit")
    assert driver.current_url.endswith("/activate/done")
    assert phone.text("my-username") == worker.id_number
    _fits_the_phone(driver)
    phone.shot("worker-activated-phone", width=WIDTH, mobile=True)
    _phone_viewport(driver)

    phone.click("go-my-days")
    assert driver.current_url.endswith("/me/")
    assert worker.name in phone.page_text()
    assert driver.find_elements(By.ID, "calendar")
    _fits_the_phone(driver)
    phone.open("/me/pay")
    assert driver.find_elements(By.ID, "my-payments")
    # Signed in as a worker: another project's pages are closed.
    phone.open(f"/me/pay/{site.project.id}/2026-02")
    assert "页面不存在" in phone.page_text()

    # The new password signs in from now on; the code does not work twice.
    phone.sign_in(worker.id_number, NEW)
    assert driver.current_url.endswith("/me/")
    driver.delete_all_cookies()
    phone.open("/activate")
    _fill(driver, "id-number", worker.id_number)
    _fill(driver, "code", code)
    _fill(driver, "new-password", "another-pass-2026")
    _fill(driver, "repeat-password", "another-pass-2026")
    phone.click("activate-submit")
    assert "身份证号或激活码不正确" in phone.text("form-errors")
