"""Browser tests: the real app under uvicorn on 127.0.0.1, a seeded SQLite file, Debian's
headless Chromium through its chromedriver (test tools' own browser downloads fail here).
"""

from __future__ import annotations

import base64
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import alert_is_present
from selenium.webdriver.support.wait import WebDriverWait

from server.app import create_app
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, unit_of_work
from tests.browser.seed import (
    NOW,
    PASSWORD,
    Seeded,
    seed,
    seed_checklist,
    seed_platform,
    seed_terminals,
)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


@dataclass
class LiveSite:
    url: str
    data: Seeded
    # The server's SQLite file, for a test that reads what the pages wrote (a sheet's 代发 batch).
    database_url: str = ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    # Always its own SQLite file: the server thread needs committed data it can read.
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'site.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    settings = Settings(
        environment="test",
        database_url=url,
        secret_key="browser-secret",
        template_key="browser-template-key",
        login_lockout_s=2,
    )
    from sqlalchemy.orm import sessionmaker

    with unit_of_work(sessionmaker(bind=engine, expire_on_commit=False)) as session:
        data = seed(session)
        seed_terminals(session, settings, data)
        seed_platform(session, settings, data)
        seed_checklist(session)
    app = create_app(settings, engine=engine)
    app.state.web_clock = lambda: NOW
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="browser-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    try:
        yield LiveSite(f"http://127.0.0.1:{port}", data, url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="session")
def driver() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="sitegate-chromium-")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


class Browser:
    """Small helpers over the driver: sign in as a role, click by id, full-page screenshots."""

    def __init__(self, driver: WebDriver, site: LiveSite) -> None:
        self.driver = driver
        self.site = site

    def open(self, path: str) -> None:
        self.driver.get(self.site.url + path)

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.driver.delete_all_cookies()
        self.open("/login")
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.driver.find_element(By.ID, "login-submit").click()
        WebDriverWait(self.driver, 10).until(lambda d: "/login" not in d.current_url)

    def click(self, element_id: str) -> None:
        self.follow(self.driver.find_element(By.ID, element_id))

    def follow(self, element: WebElement) -> None:
        """Click something that loads a page, and wait until the new page has replaced the old."""
        self._mark_page()
        element.click()
        self._wait_new_page()

    def confirm(self, element: WebElement, *, accept: bool = True) -> str:
        """Click something that asks first (data-confirm); answer, and wait for the new page
        when accepted. Returns the question asked."""
        self._mark_page()
        element.click()
        alert = WebDriverWait(self.driver, 10).until(alert_is_present())
        assert alert, "no confirm dialog"
        question: str = alert.text
        if accept:
            alert.accept()
            self._wait_new_page()
        else:
            alert.dismiss()
        return question

    def _mark_page(self) -> None:
        self.driver.execute_script("window.__sitegateOldPage = true;")

    def _wait_new_page(self) -> None:
        """Wait until a page without the marker has fully loaded. Polling the old <html>
        element for staleness races with chromedriver: mid-navigation it can answer with
        "Node with given id does not belong to the document" instead of a stale reference."""

        def loaded(driver: WebDriver) -> bool:
            try:
                return bool(
                    driver.execute_script(
                        "return !window.__sitegateOldPage && document.readyState === 'complete';"
                    )
                )
            except WebDriverException:  # the document is being swapped; ask again
                return False

        WebDriverWait(self.driver, 10).until(loaded)

    def text(self, element_id: str) -> str:
        text: str = self.driver.find_element(By.ID, element_id).text
        return text

    def page_text(self) -> str:
        text: str = self.driver.find_element(By.TAG_NAME, "body").text
        return text

    def shot(self, name: str, width: int = 1280, mobile: bool = False) -> Path:
        """A full-page PNG for review, captured beyond the viewport through the DevTools API."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        drv = self.driver
        drv.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile},
        )
        height = int(drv.execute_script("return document.documentElement.scrollHeight"))
        shot = drv.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": min(height, 6000), "scale": 1},
            },
        )
        drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        path = SHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@pytest.fixture
def browser(driver: WebDriver, live_site: LiveSite) -> Browser:
    driver.delete_all_cookies()
    return Browser(driver, live_site)
