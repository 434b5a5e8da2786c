"""Issue 10 item 2: what was imported never runs in an export. Formula-like names, teams,
companies, banks, gate names, correction reasons and finding comments go in through the real
API (roster and bank file imports, forms); then every XLSX and CSV export comes out and no
cell is a formula, no text cell or CSV field starts like one, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import CompanyRole, Role
from server.reconciliation.models import Finding
from server.registry.models import Assignment, Project, Worker
from tests.factories import (
    login,
    make_credit_code,
    make_device,
    make_id_number,
    make_project,
    make_user,
)
from tests.support.hostile_files import FORMULAS
from tests.support.payroll_month import attend, card, october

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")  # openpyxl reads a stored CR back as LF
# What survives the 花名册 import as typed: its cell reader trims surrounding whitespace, so a
# leading tab or CR is gone there (those two go in through the JSON forms instead).
PRINTABLE = tuple(f for f in FORMULAS if not f[0].isspace())
PERIOD = "2026-10"
TODAY = "2026-11-20"


def _roster_csv(company_code: str) -> bytes:
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(
        ["姓名", "身份证号", "银行卡号", "开户银行", "所属企业", "班组", "工种", "工资方式",
         "工资标准(元)", "进场日期"]
    )  # fmt: skip
    for text in PRINTABLE:
        out.writerow(
            [text, make_id_number(), card(), text, company_code, text, text, "日薪", "350",
             "2026-10-01"]
        )  # fmt: skip
    return buf.getvalue().encode("utf-8-sig")


def _bank_csv(workers: list[Worker]) -> bytes:
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(["姓名", "身份证号", "银行卡号", "开户银行", "实发金额", "工资所属期", "发放状态"])
    for w in workers:  # paid less than earned: the reconciliation's difference is negative
        out.writerow([w.name, w.id_number, w.bank_card, w.name, "100.00", PERIOD, "成功"])
    return buf.getvalue().encode("utf-8-sig")


class Site:
    def __init__(self, client: TestClient, session: Session) -> None:
        admin = make_user(session, Role.ADMIN)
        self.project: Project = make_project(session)
        device = make_device(session, self.project)
        session.commit()
        self.h = login(client, admin)
        self.client = client
        pid = self.project.id

        code = make_credit_code()
        r = client.post(
            "/api/v1/companies", json={"name": FORMULAS[0], "credit_code": code}, headers=self.h
        )
        assert r.status_code == 201, r.text
        r = client.put(
            f"/api/v1/projects/{pid}/companies/{r.json()['id']}",
            json={"role": CompanyRole.LABOUR_SUBCONTRACTOR.value},
            headers=self.h,
        )
        assert r.status_code == 200, r.text
        r = client.patch(
            f"/api/v1/projects/{pid}/devices/{device.id}",
            json={"name": FORMULAS[1]},
            headers=self.h,
        )
        assert r.status_code == 200, r.text

        r = client.post(
            f"/api/v1/projects/{pid}/roster-import",
            files={"file": ("花名册.csv", _roster_csv(code), "text/csv")},
            headers=self.h,
        )
        assert r.status_code == 200, r.text
        assert r.json()["imported"] == len(PRINTABLE)
        self.workers = list(
            session.scalars(
                select(Worker)
                .join(Assignment, Assignment.worker_id == Worker.id)
                .where(Assignment.project_id == pid)
                .order_by(Worker.id)
            )
        )
        assert sorted(w.name for w in self.workers) == sorted(PRINTABLE)
        for w in self.workers:
            attend(session, self.project, device, w, october(2))
        session.commit()

        for i, text in enumerate(FORMULAS):  # every variant, tab and CR included
            r = client.post(
                f"/api/v1/projects/{pid}/corrections",
                json={
                    "worker_id": self.workers[i % len(self.workers)].id,
                    "at": f"2026-10-{20 + i}T08:00:00+08:00",
                    "direction": "in",
                    "reason": text,
                },
                headers=self.h,
            )
            assert r.status_code == 201, r.text

        r = client.post(
            f"/api/v1/projects/{pid}/payroll/imports",
            files={"file": ("代发.csv", _bank_csv(self.workers), "text/csv")},
            headers=self.h,
        )
        assert r.status_code == 201, r.text
        r = client.post(
            f"/api/v1/projects/{pid}/reconciliation/{PERIOD}/run",
            params={"today": TODAY},
            headers=self.h,
        )
        assert r.status_code == 200, r.text
        findings = session.scalars(select(Finding).where(Finding.project_id == pid)).all()
        assert findings
        for f, text in zip(findings, FORMULAS, strict=False):
            r = client.post(
                f"/api/v1/findings/{f.id}/actions",
                json={"action": "resolve", "comment": text},
                headers=self.h,
            )
            assert r.status_code == 200, r.text

    def get(self, path: str, **params: str) -> bytes:
        r = self.client.get(path, params=params, headers=self.h)
        assert r.status_code == 200, (path, r.text)
        return bytes(r.content)

    def workbooks(self) -> Iterator[tuple[str, bytes]]:
        pid = self.project.id
        p = f"/api/v1/projects/{pid}"
        yield "workers.xlsx", self.get(f"{p}/workers.xlsx", full="true")
        yield "workers masked", self.get(f"{p}/workers.xlsx")
        yield "daily.xlsx", self.get(f"{p}/rosters/daily.xlsx", day="2026-10-08")
        yield "monthly.xlsx", self.get(f"{p}/rosters/monthly.xlsx", month=PERIOD)
        yield (
            "monthly per company",
            self.get(f"{p}/rosters/monthly.xlsx", month=PERIOD, per_company="true"),
        )
        yield "ledger.xlsx", self.get(f"{p}/payroll/ledger.xlsx", period=PERIOD)
        yield "reconciliation", self.get(f"{p}/reconciliation/{PERIOD}.xlsx", today=TODAY)
        for w in self.workers:
            yield f"evidence {w.id}", self.get(f"{p}/workers/{w.id}/evidence.xlsx", month=PERIOD)
        yield "roster template", self.get("/api/v1/roster-import/template.xlsx")
        yield "payroll template", self.get("/api/v1/payroll/template.xlsx")


@pytest.fixture
def site(client: TestClient, session: Session) -> Site:
    return Site(client, session)


def _strings(data: bytes) -> tuple[list[str], list[str]]:
    """(text of every string cell, coordinates of every formula cell) in a workbook."""
    wb = load_workbook(io.BytesIO(data))
    texts: list[str] = []
    formulas: list[str] = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    formulas.append(f"{ws.title}!{c.coordinate}")
                elif isinstance(c.value, str):
                    texts.append(c.value)
    return texts, formulas


def _live(text: str) -> bool:
    return text.startswith(TRIGGERS) and text != "-"


class TestHostileExports:
    def test_no_workbook_carries_a_formula_or_formula_like_text(self, site: Site) -> None:
        seen: set[str] = set()
        for name, data in site.workbooks():
            texts, formulas = _strings(data)
            assert formulas == [], name
            assert [t for t in texts if _live(t)] == [], name
            seen.update(texts)
        # every hostile text came out neutralised somewhere (the forms trim a leading tab or CR,
        # so those two arrive as "=1")
        for text in FORMULAS:
            assert "'" + text.strip() in seen, text

    def test_csv_fields_never_start_like_a_formula(self, site: Site) -> None:
        pid = site.project.id
        data = site.get(f"/api/v1/projects/{pid}/rosters/monthly.csv", month=PERIOD)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        fields = [f for r in rows for f in r]
        assert [f for f in fields if _live(f)] == []
        for text in PRINTABLE:
            assert "'" + text in fields, text
        for path in ("/api/v1/payroll/template.csv",):
            header = site.get(path).decode("utf-8-sig")
            assert not any(_live(f) for f in next(csv.reader(io.StringIO(header))))

    def test_a_negative_amount_stays_a_number(self, site: Site) -> None:
        data = site.get(
            f"/api/v1/projects/{site.project.id}/reconciliation/{PERIOD}.xlsx", today=TODAY
        )
        ws = load_workbook(io.BytesIO(data))["工人明细"]
        differences = [ws.cell(row=r, column=12).value for r in range(2, ws.max_row)]
        negative = [d for d in differences if isinstance(d, int | float) and d < 0]
        assert negative, differences
        assert all(ws.cell(row=r, column=12).data_type == "n" for r in range(2, ws.max_row))

    def test_the_exported_roster_imports_back_unchanged(self, site: Site) -> None:
        data = site.get(f"/api/v1/projects/{site.project.id}/workers.xlsx", full="true")
        r = site.client.post(
            f"/api/v1/projects/{site.project.id}/roster-import",
            files={"file": ("花名册.xlsx", data, "application/octet-stream")},
            headers=site.h,
        )
        assert r.status_code == 200, r.text
        assert r.json()["updated_workers"] == 0  # names, banks came back as they went out
