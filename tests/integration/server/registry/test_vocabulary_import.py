"""Every word the forms offer is a word the importers accept (server.vocabulary).

The worker form's wage kinds are read off the rendered page, in Chinese and in English, and each
goes through a real roster import; the pay pages' transfer states and what the exports print go
through the bank-file status parser."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from registry_support import ZH_HEADERS, csv_bytes, make_site
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import WageKind
from server import vocabulary
from server.payroll.parsers import cells as payroll_cells
from server.payroll.parsers.row import TransferStatus
from server.registry import importer
from server.registry.models import Assignment, Worker
from server.reports import ledger_xlsx, payslip_pdf, reconciliation_xlsx, wage_sheet, workers_xlsx
from server.web.i18n import MESSAGES
from tests.factories import login, make_id_number
from tests.integration.server.registry.test_registry_import import _row
from tests.integration.server.web.helpers import web_login

_KIND_SELECT = re.compile(r'<select name="wage_kind"[^>]*>(.*?)</select>', re.S)
_OPTION = re.compile(r'<option value="([a-z]+)"[^>]*>([^<]+)</option>')


def _form_options(client: TestClient, project_id: int, lang: str) -> list[tuple[str, str]]:
    client.cookies.set("sitegate_lang", lang)
    page = client.get(f"/site/{project_id}/workers/new")
    assert page.status_code == 200, page.text
    select_html = _KIND_SELECT.search(page.text)
    assert select_html, "no wage kind select on the worker form"
    return _OPTION.findall(select_html.group(1))


def test_each_wage_kind_on_the_worker_form_imports(client: TestClient, session: Session) -> None:
    site = make_site(session)
    session.commit()
    web_login(client, site.manager)
    pid = site.project.id
    options = [*_form_options(client, pid, "zh"), *_form_options(client, pid, "en")]
    assert ("daily", "按日计薪") in options  # the word the importer used to refuse
    assert ("daily", "daily rate") in options
    assert len(options) == 6
    rows = [ZH_HEADERS]
    expected: dict[str, WageKind] = {}
    for value, label in options:
        id_number = make_id_number()
        rows.append(_row(site, id_number, f"工人{len(rows)}", **{"工资方式": label}))
        expected[id_number] = WageKind(value)
    client.cookies.delete("sitegate_lang")
    r = client.post(
        f"/api/v1/projects/{site.project.id}/roster-import",
        files={"file": ("roster.csv", csv_bytes(rows))},
        headers=login(client, site.manager),
    )
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 6
    session.expire_all()
    got = dict(
        session.execute(
            select(Worker.id_number, Assignment.wage_kind)
            .join(Worker, Worker.id == Assignment.worker_id)
            .where(Assignment.project_id == site.project.id)
        )
        .tuples()
        .all()
    )
    assert got == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("按日计薪", WageKind.DAILY),
        ("按日计薪 / daily rate", WageKind.DAILY),
        ("  按月计薪 ", WageKind.MONTHLY),
        ("Piece Rate", WageKind.PIECE),
        ("日薪", WageKind.DAILY),
        ("monthly", WageKind.MONTHLY),
    ],
)
def test_wage_kind_words(text: str, kind: WageKind) -> None:
    assert importer.parse_wage_kind_cell(text) is kind


def test_an_unknown_wage_kind_names_the_forms_words() -> None:
    with pytest.raises(importer.CellError) as caught:
        importer.parse_wage_kind_cell("按小时")
    assert "按日计薪、按月计薪、计件" in caught.value.message_zh


def test_what_the_exports_print_imports_back() -> None:
    printed = [
        *wage_sheet.WAGE_KIND_TEXT.items(),
        *reconciliation_xlsx.WAGE_KIND_TEXT.items(),
        *payslip_pdf.WAGE_KIND_TEXT.items(),
        *((k.value, v) for k, v in workers_xlsx.WAGE_KIND_ZH.items()),
    ]
    for value, text in printed:
        assert vocabulary.WAGE_KIND.parse(text) is WageKind(value), text
    table = payroll_cells.status_lookup()
    for value, text in [*ledger_xlsx.STATUS_TEXT.items(), *payslip_pdf.LINE_STATUS_TEXT.items()]:
        assert payroll_cells.parse_status(text, table) is TransferStatus(value), text


def test_the_pay_pages_words_are_the_bank_files_words() -> None:
    table = payroll_cells.status_lookup()
    for status in TransferStatus:
        zh, en = MESSAGES[f"pay.status.{status.value}"]
        assert (zh, en) == vocabulary.TRANSFER_STATUS.labels[status]
        assert payroll_cells.parse_status(zh, table) is status
        assert payroll_cells.parse_status(en, table) is status
    assert MESSAGES["wage.daily"] == ("按日计薪", "daily rate")
