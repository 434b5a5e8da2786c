"""`sitegate demo --fast` end to end, checked against what the gates and the server hold.

The demo runs as the user runs it (the `sitegate` console script in a child process); afterwards
the test reads the gates' outboxes and the server's database itself rather than trusting the
demo's own summary: every recorded attempt reached the server exactly once (the OUT gate after
two offline days too), each chain verifies, the staged refusals and payroll faults are found,
the paid month is last month (or the one before, on the 1st) and the site is live today (the
server, on the real clock, has people on site now), and nothing is left running.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[3]
FACES = (REPO.parent / "shared" / "testdata" / "faces").resolve()

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def outbox_events(path: Path) -> list[tuple[int, str, str]]:
    """(seq, hash, status) of every event the gate recorded, straight from its SQLite file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [
            (int(seq), str(h), str(st))
            for seq, h, st in conn.execute("SELECT seq, hash, status FROM event ORDER BY seq")
        ]
    finally:
        conn.close()


def server_rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo")
    exe = Path(sys.executable).with_name("sitegate")
    env = {**os.environ, "COLUMNS": "160", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [str(exe), "demo", "--fast", "--dir", str(root)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((root / "summary.json").read_text(encoding="utf-8"))
    return {"root": root, "stdout": proc.stdout, "summary": summary}


def test_every_recorded_event_reached_the_server_exactly_once(demo: dict[str, Any]) -> None:
    summary, db = demo["summary"], Path(demo["summary"]["database"])
    assert set(summary["gates"]) == {"in", "out"}
    for key, gate in summary["gates"].items():
        local = outbox_events(Path(gate["outbox"]))
        assert local, f"{key} gate recorded nothing"
        assert [s for s, _, _ in local] == list(range(1, len(local) + 1))
        assert {st for _, _, st in local} == {"acked"}
        stored = server_rows(
            db, "SELECT seq, hash, chain_ok FROM gate_event WHERE device_id = ? ORDER BY seq",
            gate["device_id"],
        )  # fmt: skip
        # Exactly once: same count, same seqs, same hashes (no duplicate, no gap).
        assert [(s, h) for s, h, _ in stored] == [(s, h) for s, h, _ in local]
        assert all(ok for *_, ok in stored)
        assert server_rows(
            db, "SELECT count(*) FROM chain_break WHERE device_id = ?", gate["device_id"]
        ) == [(0,)]


def test_offline_gate_caught_up(demo: dict[str, Any]) -> None:
    summary, db = demo["summary"], Path(demo["summary"]["database"])
    assert summary["sim"]["caught_up"] > 0
    out = summary["gates"]["out"]["device_id"]
    offline = [dt.date.fromisoformat(d) for d in summary["offline_days"]]
    # Events recorded while offline arrived only after the outage: none before any event of
    # the days before it.
    rows = server_rows(
        db, "SELECT device_time, received_at FROM gate_event WHERE device_id = ?", out
    )
    tz = dt.timezone(dt.timedelta(hours=8))

    def local_day(value: str) -> dt.date:
        at = dt.datetime.fromisoformat(value)
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        return at.astimezone(tz).date()

    during = [r for r in rows if local_day(r[0]) in offline]
    before = [r for r in rows if local_day(r[0]) < offline[0]]
    assert during
    assert before
    # (>=: the last event before the cut may still have been queued, and went up with the rest.)
    assert min(r[1] for r in during) >= max(r[1] for r in before)


def test_chains_verify_on_the_server(demo: dict[str, Any]) -> None:
    from server.db.session import make_engine
    from server.ingest import service as ingest_service

    summary = demo["summary"]
    engine = make_engine(f"sqlite:///{summary['database']}")
    try:
        with Session(engine) as session:
            for gate in summary["gates"].values():
                report = ingest_service.verify_chain(session, gate["device_id"])
                assert report.intact, report.problems
                assert report.events == gate["recorded"]
    finally:
        engine.dispose()


def test_staged_refusals_with_their_reasons(demo: dict[str, Any]) -> None:
    db = Path(demo["summary"]["database"])
    reasons = {
        r
        for (r,) in server_rows(
            db, "SELECT DISTINCT reason FROM gate_event WHERE result = 'refused'"
        )
    }
    expected = {"id_card_expired", "left", "unknown_credential", "not_on_roster"}
    if FACES.is_dir():
        expected.add("face_mismatch")
    assert expected <= reasons
    granted = server_rows(db, "SELECT count(*) FROM gate_event WHERE result = 'granted'")[0][0]
    assert granted > 800  # 60 workers × 9 whole days × IN+OUT, less absences, + today so far


def test_payroll_faults_are_found(demo: dict[str, Any]) -> None:
    from server.reconciliation.models import Finding

    summary = demo["summary"]
    from server.db.session import make_engine

    engine = make_engine(f"sqlite:///{summary['database']}")
    try:
        with Session(engine) as session:
            kinds = {
                (f.kind, f.level.value)
                for f in session.scalars(
                    select(Finding).where(
                        Finding.project_id == summary["project_id"],
                        Finding.period == summary["period"],
                        Finding.status == "open",
                    )
                )
            }
    finally:
        engine.dispose()
    names = {k for k, _ in kinds}
    assert {"UNPAID", "UNDERPAID", "ACCOUNT_NOT_WORKERS", "LATE"} <= names
    assert names & {"UNKNOWN_PAYEE", "PAID_WITHOUT_ATTENDANCE"}
    assert ("ACCOUNT_NOT_WORKERS", "red") in kinds
    assert summary["recon"]["level"] == "red"
    assert "项目预警 / project warning level" in demo["stdout"]


def test_nothing_left_running(demo: dict[str, Any]) -> None:
    summary = demo["summary"]
    pid = summary["server_pid"]
    assert not Path(f"/proc/{pid}").exists() or "sitegate_cli.demo.server" not in Path(
        f"/proc/{pid}/cmdline"
    ).read_bytes().decode(errors="replace")
    with pytest.raises(httpx.HTTPError):
        httpx.get(summary["url"] + "/docs", timeout=2.0)


def test_the_month_ran_through_the_wage_sheet(demo: dict[str, Any]) -> None:
    """Sheets locked, lines confirmed on the phone and at the station (device records in the
    station's chain), one dispute resolved, the 代发 instruction written, and the bank's result
    checked against what the workers confirmed."""
    summary, db = demo["summary"], Path(demo["summary"]["database"])
    wages = summary["wages"]
    assert wages["sheets"] >= 2
    assert wages["phone_confirmed"] > 0
    assert wages["disputed"]
    states = dict(server_rows(db, "SELECT state, count(*) FROM wage_sheet GROUP BY state"))
    assert set(states) <= {"locked", "paid"}
    via = dict(
        server_rows(
            db,
            "SELECT confirmed_via, count(*) FROM wage_line WHERE state = 'confirmed' "
            "GROUP BY confirmed_via",
        )
    )
    assert via.get("web", 0) == wages["phone_confirmed"]
    if FACES.is_dir():
        assert via.get("device", 0) == wages["station_confirmed"] > 0
        seqs = server_rows(
            db,
            "SELECT l.confirmed_device, l.confirmed_seq, e.purpose, e.subject_hash = "
            "l.confirmed_hash FROM wage_line l JOIN device d ON d.code = l.confirmed_device "
            "JOIN gate_event e ON e.device_id = d.id AND e.seq = l.confirmed_seq "
            "WHERE l.confirmed_via = 'device'",
        )
        assert seqs
        assert all(purpose == "wage_confirm" and same for _, _, purpose, same in seqs)
    assert server_rows(db, "SELECT count(*) FROM wage_line WHERE state = 'resolved'") == [(1,)]
    for path in wages["disbursement_files"]:
        assert Path(path).stat().st_size > 1000
    total = server_rows(db, "SELECT sum(net_total_fen) FROM wage_sheet")[0][0]
    assert total == wages["disbursement_total_fen"]
    kinds = {k["kind"] for k in summary["recon"]["kinds"]}
    assert "PAID_NOT_AS_CONFIRMED" in kinds  # the underpaid worker had confirmed more
    assert "NO_PAYROLL_SHEET" not in kinds
    assert "工资支付表 / wage sheets" in demo["stdout"]


def _local_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))


def test_the_paid_month_is_over_and_the_days_run_up_to_today(demo: dict[str, Any]) -> None:
    summary = demo["summary"]
    today = _local_now().date()
    first = today.replace(day=1)
    last_month = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    before = (first - dt.timedelta(days=1)).replace(day=1) - dt.timedelta(days=1)
    assert summary["period"] == (last_month if today.day >= 2 else before.strftime("%Y-%m"))
    pay_day = dt.date.fromisoformat(summary["recon"]["pay_day"])
    assert pay_day < today  # so UNPAID and LATE can be found at all
    assert summary["live_days"][-1] == today.isoformat()
    db = Path(summary["database"])
    times = [dt.datetime.fromisoformat(t) for (t,) in server_rows(
        db, "SELECT device_time FROM gate_event WHERE purpose IS NULL OR purpose = 'pass'"
    )]  # fmt: skip
    aware = [t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in times]
    assert max(aware) <= dt.datetime.now(dt.UTC)  # nothing from the future
    assert max(aware).astimezone(_local_now().tzinfo).date() >= today - dt.timedelta(days=1)


def test_the_site_is_live_today(demo: dict[str, Any]) -> None:
    """Who the demo left inside is on site now, as the server answers on the real clock: the
    daily roster API and the 现场 page a newcomer opens first."""
    import re

    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.config import Settings
    from tests.integration.server.web.helpers import csrf_of

    summary = demo["summary"]
    live = summary["live"]
    assert live["day"] == _local_now().date().isoformat()
    planned = set(live["planned_inside"])
    assert planned, "the plan left nobody on site"
    on_site = set(live["on_site"])
    assert on_site
    # Everyone the plan put inside, within the odd face refused at a gate.
    assert len(on_site ^ planned) <= max(2, len(planned) // 20), on_site ^ planned
    assert f"现在在场 {len(live['on_site'])} 人" in demo["stdout"]

    # the daily digests' background issuer would write to the demo's file meanwhile: not here
    app = create_app(Settings(database_url=f"sqlite:///{summary['database']}", digest_every_s=0))
    pid = summary["project_id"]
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "manager", "password": "demo-manager-2026"}
        ).json()["access_token"]
        board = client.get(
            f"/api/v1/projects/{pid}/rosters/daily",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        names = {p["worker"]["name"] for p in board["on_site"]}
        assert names, "nobody on site now"
        assert names <= planned | on_site
        login = client.get("/login")
        r = client.post(
            "/login",
            data={"username": "manager", "password": "demo-manager-2026",
                  "csrf_token": csrf_of(login.text)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303
        page = client.get(f"/site/{pid}/now")
        assert page.status_code == 200
        shown = re.search(r'id="headcount">(\d+)<', page.text)
        assert shown, "no headcount on the board"
        assert int(shown.group(1)) == len(names) > 0


def test_the_side_gate_terminal_fed_the_same_records(demo: dict[str, Any]) -> None:
    """The ZKTeco terminal (PUSH emulator over HTTP) got the roster and its passes are stored
    once, sealed by the server, in a chain that verifies."""
    from sqlalchemy import func, select

    from server.db.session import make_engine
    from server.ingest import service as ingest_service
    from server.ingest.models import GateEventRow
    from server.registry.models import Device

    side = demo["summary"]["terminal"]
    assert side["users_on_terminal"] == side["users_confirmed"] > 0
    # the face workers' pictures came from the enrollment station's capture
    assert side["faces_on_terminal"] == demo["summary"]["face_workers"] > 0
    assert side["passes"] == side["uploaded"] > 0
    assert side["refused_at_terminal"] == 1  # the stranger: no record
    engine = make_engine(f"sqlite:///{demo['summary']['database']}")
    try:
        with Session(engine) as session:
            device = session.scalars(select(Device).where(Device.code == side["code"])).one()
            stored = session.scalar(
                select(func.count()).where(
                    GateEventRow.device_id == device.id, GateEventRow.terminal_ref.is_not(None)
                )
            )
            assert stored == side["passes"]
            assert ingest_service.verify_chain(session, device.id).intact
    finally:
        engine.dispose()


def test_the_project_reported_to_the_platform_and_one_system_is_missing(
    demo: dict[str, Any],
) -> None:
    """The demo's fake platform got the project's data over its signed protocol; the database,
    not the summary, says what went: every worker on a team and the month's pay are uploaded,
    and the wage deposit is the one safeguard not recorded."""
    db = Path(demo["summary"]["database"])
    states = dict(server_rows(db, "SELECT state, COUNT(*) FROM platform_job GROUP BY state"))
    on_team = server_rows(db, "SELECT COUNT(*) FROM assignment WHERE team_id IS NOT NULL")[0][0]
    workers = server_rows(
        db, "SELECT COUNT(*) FROM platform_job WHERE kind = 'worker' AND state = 'uploaded'"
    )[0][0]
    assert workers == on_team > 0
    assert states.get("uploaded", 0) == sum(states.values()), states  # nothing held back
    kinds = {k for (k,) in server_rows(db, "SELECT DISTINCT kind FROM platform_job")}
    assert {"subcontractor", "team", "worker", "contract", "entry", "attendance"} <= kinds
    platform = demo["summary"]["platform"]
    assert platform["workers_on_platform"] == on_team
    assert platform["attendance_records"] > 0
    assert server_rows(db, "SELECT COUNT(*) FROM wage_deposit")[0][0] == 0  # on purpose
    assert server_rows(db, "SELECT COUNT(*) FROM wage_account")[0][0] == 1
    assert server_rows(db, "SELECT COUNT(*) FROM labour_officer")[0][0] == 1
    assert "工资保证金" in demo["stdout"]
    checks = demo["summary"]["checklist"]
    assert "deposit" in [i["code"] for i in checks["failing"]]  # the one left out shows
    assert checks["level"] in ("red", "orange")
