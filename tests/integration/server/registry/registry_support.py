"""Helpers for the registry tests: roster files in memory and a staffed project."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy.orm import Session

from models.enums import CompanyRole, Role
from server.auth.models import User
from server.registry.models import Company, Project
from tests.factories import make_company, make_project, make_user

ZH_HEADERS = [
    "姓名", "身份证号", "手机号", "银行卡号", "开户银行", "所属企业", "班组", "工种",
    "工资方式", "工资标准(元)", "合同签订日期", "安全教育日期", "进场日期", "IC卡号",
]  # fmt: skip
# The export writes every importer column: the ID type and gender come last.
EXPORT_HEADERS = [*ZH_HEADERS, "证件类型", "性别"]


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> bytes:
    lines = [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class Site:
    project: Project
    company: Company
    admin: User
    manager: User


def make_site(session: Session, region: str = "北京") -> Site:
    project = make_project(session, region=region)
    company = make_company(session, project, CompanyRole.LABOUR_SUBCONTRACTOR)
    return Site(
        project=project,
        company=company,
        admin=make_user(session, Role.ADMIN),
        manager=make_user(session, Role.SITE_MANAGER, [project]),
    )
