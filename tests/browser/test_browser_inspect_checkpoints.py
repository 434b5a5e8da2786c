"""The inspector's month page at a desk (1366×768) and on a phone (360×740): each gate's chain
status for the month from the checkpoints ingest checked (verified / pending / mismatch, sealed
through, records not yet sealed), and the chain table no wider than the screen (issue 13)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from server.db.session import make_engine, unit_of_work
from server.ingest.models import GateCheckpoint
from server.registry.models import Device
from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser

PERIOD = "2026-02"


@pytest.fixture
def sealed(browser: Browser) -> Iterator[dict[str, str]]:
    """Checkpoint rows as ingest leaves them for the seeded site's gates (taken away after)."""
    engine = make_engine(browser.site.database_url)
    made: dict[str, str] = {}
    with unit_of_work(sessionmaker(bind=engine, expire_on_commit=False)) as s:
        gates = s.scalars(
            select(Device).where(Device.project_id == browser.site.data.project.id)
        ).all()
        for n, d in enumerate(sorted(gates, key=lambda d: d.code)):
            status = "mismatch" if n == 1 else "verified"
            for day in (2, 3):
                seq = day * 10 + n
                s.add(GateCheckpoint(
                    device_id=d.id, project_id=d.project_id, seq=seq, from_seq=seq - 9,
                    to_seq=seq - 1, count=9, day=f"{PERIOD}-{day:02d}", reason="day_end",
                    tip_hash="c" * 64, records_root="a" * 64, workers_root="b" * 64,
                    prev_checkpoint_hash="0" * 64, hash=f"{seq:064x}", status=status,
                    problems=[], received_at=dt.datetime(2026, 2, day + 1, tzinfo=dt.UTC),
                ))  # fmt: skip
            made[d.code] = status
    try:
        yield made
    finally:
        with unit_of_work(sessionmaker(bind=engine)) as s:
            s.execute(delete(GateCheckpoint).where(GateCheckpoint.records_root == "a" * 64))
        engine.dispose()


def _viewport(browser: Browser, width: int, height: int, mobile: bool) -> None:
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


@pytest.mark.parametrize(("width", "height", "mobile"), [(1366, 768, False), (360, 740, True)])
def test_chain_status_per_gate_from_checkpoints(
    browser: Browser, sealed: dict[str, str], width: int, height: int, mobile: bool
) -> None:
    pid = browser.site.data.project.id
    browser.sign_in("li.inspector")
    _viewport(browser, width, height, mobile)
    try:
        browser.open(f"/inspect/{pid}/{PERIOD}")
        rows = browser.driver.find_elements(By.CSS_SELECTOR, "#chain-states tr[data-code]")
        assert {r.get_attribute("data-code") for r in rows} == set(sealed)
        for row in rows:
            code = row.get_attribute("data-code") or ""
            seal = row.find_element(By.CSS_SELECTOR, ".chain-checkpoints").text
            if sealed[code] == "verified":
                assert "已核验 2 · 待核验 0 · 不符 0" in seal, seal
            else:
                assert "已核验 0 · 待核验 0 · 不符 2" in seal, seal
                assert "检查点与库中记录不符" in row.text
            assert "已封存至 #" in seal
            assert "未封存记录" in seal
        width_now = int(
            browser.driver.execute_script("return document.documentElement.scrollWidth")
        )
        inner = int(browser.driver.execute_script("return window.innerWidth"))
        assert width_now <= inner, f"the page is {width_now} px wide on a {inner} px screen"
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
