"""The inspector's month page (/inspect/{project}/{period}) on a demo-sized month, through the app.

    uv run python benchmarks/inspect_month.py [--workers 300] [--views 20] [--resolves 5]
                                              [--sheetless]

Seeded as benchmarks/roster.py seeds a project (N workers, 2 gates, about 60 granted gate
records per worker in October 2026), then: every worker gets a registered bank card, and the
month is paid from the bank's 代发 file with the demo's kinds of faults (a few paid into
another card, unpaid, underpaid, paid late); the month is reconciled. The gates carry a real
public key, so a full chain verification (what the page did on every view before) costs what it
costs on a real gate: a hash and a signature check per record. Each gate has one verified day-end
checkpoint per day of the month (gate_checkpoint), which the page's chain status reads. The
clock is 2026-11-20, after the pay day.

Timed: GET of the month page by a signed-in inspector (`--views` times after one warm-up),
and resolving a finding (POST + the redirect back to the page, `--resolves` times). Prints
median, p95 and max in milliseconds, and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select, update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import roster as roster_bench  # noqa: E402

from models.device_auth import new_private_key, public_key_hex  # noqa: E402
from models.enums import Role  # noqa: E402
from server.app import create_app  # noqa: E402
from server.auth import service as auth_service  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.session import make_engine, make_sessionmaker  # noqa: E402
from server.ingest.models import GateCheckpoint  # noqa: E402
from server.payroll.models import PayrollImport, PayrollLine  # noqa: E402
from server.reconciliation import service as recon_service  # noqa: E402
from server.reconciliation.models import Finding  # noqa: E402
from server.registry.models import Assignment, Device, Project, Worker  # noqa: E402

PERIOD = roster_bench.PERIOD
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)
PASSWORD = "bench-inspect-1"  # noqa: S105 - a throwaway benchmark database
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(url: str, workers: int, sheetless: bool = False) -> tuple[int, str]:
    """The month, paid with faults and reconciled. Returns (project id, inspector username).

    The demo's month has its wage sheet (工资支付表); this seed has none, so NO_PAYROLL_SHEET
    is switched off unless `sheetless` (then every worker has that yellow finding)."""
    migrate.upgrade(url)
    engine = make_engine(url)
    pid, _events = roster_bench.seed(engine, workers, "7")
    factory = make_sessionmaker(engine)
    with factory() as s:
        if not sheetless:
            project = s.get(Project, pid)
            assert project is not None
            project.settings = {"reconciliation": {"require_wage_sheet": False}}
        key = public_key_hex(new_private_key())
        s.execute(update(Device).where(Device.project_id == pid).values(public_key=key))
        # One day-end checkpoint per gate and day, verified at ingest (gate_checkpoint), as the
        # gates seal them: the page reads these, it does not re-verify the records.
        for device_id in s.scalars(select(Device.id).where(Device.project_id == pid)):
            for day in range(1, 32):
                s.add(GateCheckpoint(
                    device_id=device_id, project_id=pid, seq=day * 1000,
                    from_seq=(day - 1) * 1000 + 1, to_seq=day * 1000 - 1, count=999,
                    day=f"{PERIOD}-{day:02d}", reason="day_end", tip_hash="0" * 64,
                    records_root="1" * 64, workers_root="2" * 64,
                    prev_checkpoint_hash="0" * 64, hash=f"{day:064x}", status="verified",
                    problems=[], received_at=NOW, verified_at=NOW,
                ))  # fmt: skip
        wids = list(
            s.scalars(select(Assignment.worker_id).where(Assignment.project_id == pid).order_by(
                Assignment.worker_id))
        )  # fmt: skip
        for wid in wids:
            s.execute(update(Worker).where(Worker.id == wid).values(bank_card=f"62170{wid:014d}"))
        imp = PayrollImport(project_id=pid, file_name="代发.xlsx", sha256="b" * 64,
                            layout="canonical", row_count=len(wids))  # fmt: skip
        s.add(imp)
        s.flush()
        people = {w.id: w for w in s.scalars(select(Worker).where(Worker.id.in_(wids)))}
        for n, wid in enumerate(wids):
            if n % 30 == 3:
                continue  # unpaid
            w = people[wid]
            net = 30 * 35000 if n % 40 != 5 else 15 * 35000  # some underpaid
            card = w.bank_card if n % 60 != 7 else "6217000011112222333"  # someone else's card
            paid_on = dt.date(2026, 11, 12) if n % 25 != 9 else dt.date(2026, 11, 18)  # late
            s.add(PayrollLine(import_id=imp.id, project_id=pid, period=PERIOD, row_no=n + 1,
                              payee_name=w.name, payee_id_number=w.id_number, account_no=card,
                              bank_name="中国建设银行", net_fen=net, gross_fen=net,
                              paid_on=paid_on, status="success", worker_id=wid,
                              days_declared=30))  # fmt: skip
        s.flush()
        recon_service.run(s, project_id=pid, period=PERIOD, today=NOW.date())
        user = auth_service.create_user(
            s, username="bench_inspector", password=PASSWORD, role=Role.INSPECTOR,
            project_ids=[pid],
        )  # fmt: skip
        s.commit()
        name = user.username
    engine.dispose()
    return pid, name


def percentiles(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"median {statistics.median(ms):7.1f} ms · p95 {p95:7.1f} ms · max {ms[-1]:7.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=300)
    ap.add_argument("--views", type=int, default=20)
    ap.add_argument("--resolves", type=int, default=5)
    ap.add_argument("--sheetless", action="store_true", help="also NO_PAYROLL_SHEET per worker")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'inspect_bench.sqlite3'}"
        t = time.perf_counter()
        pid, username = seed(url, args.workers, args.sheetless)
        print(f"seeded {args.workers} workers in {time.perf_counter() - t:.1f} s")
        app = create_app(Settings(database_url=url, digest_every_s=0))  # time the pages alone
        app.state.web_clock = lambda: NOW
        with TestClient(app) as client:
            login = client.get("/login")
            token = TOKEN.search(login.text)
            assert token
            r = client.post("/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token.group(1)},
                            follow_redirects=False)  # fmt: skip
            assert r.status_code == 303, r.text
            path = f"/inspect/{pid}/{PERIOD}"
            first = client.get(path)
            assert first.status_code == 200, first.text[:2000]
            views: list[float] = []
            for _ in range(args.views):
                t = time.perf_counter()
                r = client.get(path)
                views.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
            print(f"month page  ({len(first.text) // 1024} KiB): {percentiles(views)}")
            engine = make_engine(url)
            with make_sessionmaker(engine)() as s:
                ids = list(
                    s.scalars(
                        select(Finding.id)
                        .where(Finding.project_id == pid, Finding.status == "open")
                        .limit(args.resolves)
                    )
                )
            engine.dispose()  # fmt: skip
            resolves: list[float] = []
            for fid in ids:
                token = TOKEN.search(client.get(path).text)
                assert token
                t = time.perf_counter()
                r = client.post(
                    f"{path}/findings/{fid}",
                    data={"action": "resolve", "comment": "已核实", "csrf_token": token.group(1)},
                )
                resolves.append((time.perf_counter() - t) * 1000)  # fmt: skip
                assert r.status_code == 200, r.text[:500]
            if resolves:
                print(f"resolve + page back     : {percentiles(resolves)}")
    with open("/proc/loadavg") as f:
        print("load average:", " ".join(f.read().split()[:3]))


if __name__ == "__main__":
    main()
