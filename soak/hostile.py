"""Hostile input against a running server at its default caps: every file of the hostile corpus
(tests/support/hostile_files.py: zip bombs, too many rows or parts, broken or mislabelled files,
NUL bytes, gigantic cells, entity bombs) posted to both importers must be refused with a 413 or
422 within 2 s and leave nothing behind; then formula-like names, banks, teams and correction
reasons go in through the real API and no cell of any export may carry them as a formula."""

from __future__ import annotations

import csv
import io
import time

import httpx
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, select, table

from server.config import Settings
from server.db.session import normalise_url
from soak.context import Context
from soak.gate import seed_gate_world
from soak.procs import ServerProc, database
from soak.result import CheckResult
from soak.world import Seeded, add_admin, admin_client
from tests.support import hostile_files
from tests.support.hostile_files import FORMULAS, bank_card, id_number

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
ENDPOINTS = ("/api/v1/projects/{pid}/roster-import", "/api/v1/projects/{pid}/payroll/imports")
COUNTED = ("worker", "assignment", "payroll_import", "payroll_line")
PERIOD = "2026-11"


def _counts(db_url: str) -> tuple[int, ...]:
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.connect() as conn:
            return tuple(
                int(conn.execute(select(func.count()).select_from(table(t))).scalar_one())
                for t in COUNTED
            )
    finally:
        engine.dispose()


def _imports(http: httpx.Client, db_url: str, seeded: Seeded, res: CheckResult) -> list[str]:
    defaults = Settings()
    files = hostile_files.hostile_files(
        max_rows=defaults.payroll_max_rows, max_bytes=defaults.import_max_bytes
    )
    problems = []
    slowest = 0.0
    for endpoint in ENDPOINTS:
        for f in files:
            before = _counts(db_url)
            started = time.perf_counter()
            r = http.post(
                endpoint.format(pid=seeded.project_id),
                files={"file": (f.filename, f.data, "application/octet-stream")},
            )
            took = time.perf_counter() - started
            slowest = max(slowest, took)
            res.cases = (res.cases or 0) + 1
            res.server_errors = (res.server_errors or 0) + int(r.status_code >= 500)
            if r.status_code not in (413, 422) or took > 2.0 or _counts(db_url) != before:
                problems.append(f"{endpoint.split('/')[-1]} {f.key}: {r.status_code} {took:.1f} s")
    res.notes.append(f"{len(files)} hostile files × 2 importers, slowest refusal {slowest:.2f} s")
    return problems


def _roster_csv(company: str) -> bytes:
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(["姓名", "身份证号", "银行卡号", "开户银行", "所属企业", "班组", "工种",
                  "工资方式", "工资标准(元)", "进场日期"])  # fmt: skip
    for i, text in enumerate(f for f in FORMULAS if not f[0].isspace()):
        out.writerow([text, id_number(500 + i), bank_card(500 + i), text, company, text, text,
                      "日薪", "350", "2026-11-01"])  # fmt: skip
    return buf.getvalue().encode("utf-8-sig")


def _live_cells(data: bytes, name: str) -> list[str]:
    if name.endswith(".csv"):
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        return [
            f"{name}: {v!r}" for row in rows for v in row if v.startswith(TRIGGERS) and v != "-"
        ]
    found = []
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = c.value if isinstance(c.value, str) else ""
                if c.data_type == "f" or (text.startswith(TRIGGERS) and text != "-"):
                    found.append(f"{name}!{c.coordinate}: {c.value!r}")
    return found


def _texts(xlsx: bytes) -> str:
    wb = load_workbook(io.BytesIO(xlsx))
    return "\n".join(
        c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    )


def _exports(http: httpx.Client, seeded: Seeded, res: CheckResult) -> list[str]:
    p = f"/api/v1/projects/{seeded.project_id}"
    company_code = http.get(f"{p}/companies").json()[0]["company"]["credit_code"]
    problems = []
    r = http.post(f"{p}/roster-import", files={"file": ("花名册.csv", _roster_csv(company_code))})
    if r.status_code != 200:
        return [f"the hostile roster did not import: {r.status_code} {r.text[:200]}"]
    workers = [w["id"] for w in http.get("/api/v1/workers", params={"limit": 200}).json()["items"]]
    for i, text in enumerate(FORMULAS):
        http.post(
            f"{p}/corrections",
            json={"worker_id": workers[i % len(workers)], "at": f"2026-11-{10 + i}T08:00:00+08:00",
                  "direction": "in", "reason": text},
        )  # fmt: skip
    exports = {
        "workers.xlsx": (f"{p}/workers.xlsx", {"full": "true"}),
        "daily.xlsx": (f"{p}/rosters/daily.xlsx", {"day": "2026-11-10"}),
        "monthly.xlsx": (f"{p}/rosters/monthly.xlsx", {"month": PERIOD}),
        "monthly.csv": (f"{p}/rosters/monthly.csv", {"month": PERIOD}),
        "ledger.xlsx": (f"{p}/payroll/ledger.xlsx", {"period": PERIOD}),
        "evidence.xlsx": (f"{p}/workers/{workers[0]}/evidence.xlsx", {"month": PERIOD}),
    }
    live = []
    for name, (path, params) in exports.items():
        r = http.get(path, params=params)
        res.cases = (res.cases or 0) + 1
        if r.status_code != 200:
            problems.append(f"{name}: {r.status_code}")
            continue
        live += _live_cells(r.content, name)
        if name == "workers.xlsx" and "'=HYPERLINK(" not in _texts(r.content):
            problems.append("the hostile names are not in the 花名册 export, neutralised or not")
    res.live_cells = len(live)
    res.notes.append(f"{len(exports)} exports read after hostile names went in")
    return problems + live[:3]


def run(ctx: Context) -> list[CheckResult]:
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("hostile imports and exports", backend=backend, server_errors=0)
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            seeded = seed_gate_world(db_url)
            add_admin(db_url)
            server = ServerProc(db_url, log=ctx.workdir / f"hostile-{backend}.log")
            server.start()
            try:
                http = admin_client(server.url)
                problems = _imports(http, db_url, seeded, res)
                problems += _exports(http, seeded, res)
                http.close()
            finally:
                server.stop()
        res.failures = len([p for p in problems if "!" not in p and ": '" not in p])
        res.notes += problems[:4]
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
