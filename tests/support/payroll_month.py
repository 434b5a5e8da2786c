"""Rows and files for the payroll and reconciliation tests: attended days as gate events, canonical
代发 CSV files. One module, imported as `tests.support.payroll_month` (test folders are not
packages), so both suites share one event-seq and card counter."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.enums import Direction, GateMode, GateResult
from server.ingest.models import GateEventRow
from server.registry.models import Device, Project, Worker

SH = ZoneInfo("Asia/Shanghai")
HEADER = "姓名,身份证号,银行卡号,开户银行,应发金额,实发金额,出勤天数,工资所属期,发放日期,发放状态"
_seq = itertools.count(1)
_cards = itertools.count(10)


def card() -> str:
    """A distinct 19-digit bank card number."""
    return f"62220202001122{next(_cards):05d}"


def _event(
    project: Project, device: Device, worker: Worker, at: dt.datetime, d: Direction
) -> GateEventRow:
    return GateEventRow(
        event_id=uuid.uuid4(),
        device_id=device.id,
        project_id=project.id,
        seq=next(_seq),
        device_time=at.astimezone(dt.UTC),
        direction=d,
        mode=GateMode.CARD_AND_FACE,
        worker_id=worker.id,
        result=GateResult.GRANTED,
        prev_hash="0" * 64,
        hash="0" * 64,
        signature="0" * 128,
    )


def attend(
    session: Session, project: Project, device: Device, worker: Worker, days: Sequence[dt.date]
) -> None:
    """A full day (08:00-17:00 local) on each of `days`."""
    for day in days:
        start = dt.datetime(day.year, day.month, day.day, 8, tzinfo=SH)
        session.add(_event(project, device, worker, start, Direction.IN))
        session.add(_event(project, device, worker, start + dt.timedelta(hours=9), Direction.OUT))
    session.flush()


def october(n: int) -> list[dt.date]:
    return [dt.date(2026, 10, 8 + i) for i in range(n)]


def line(
    name: str,
    id_number: str,
    account: str,
    net: str,
    *,
    days: str = "",
    period: str = "2026-10",
    paid_on: str = "2026-11-10",
    status: str = "成功",
    gross: str = "",
) -> str:
    return f"{name},{id_number},{account},示例银行,{gross},{net},{days},{period},{paid_on},{status}"


def csv_bytes(lines: Sequence[str], encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode(encoding)
