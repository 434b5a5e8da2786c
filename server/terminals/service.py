"""Registering a face terminal and approving it: its records count only from approval on.

A terminal is a device row of kind "terminal" with its family (zkteco / hikvision) and the
serial number it reports. It is added by a site manager (or `sitegate registry add-terminal`)
and approved; a terminal that calls before approval is seen (last contact is kept, so the
manager knows it is wired up) but its records are refused, and it keeps and re-sends them.
Approval puts the server's sealing key for the terminal (receipt.py) on the row and in the
audit log as a provisioning, so the evidence pack's key spans cover terminals like gates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Direction
from server.auth import service as auth_service
from server.auth.models import User
from server.config import Settings
from server.errors import ConflictError, NotAuthenticatedError, ValidationFailedError
from server.registry.models import Device, Project
from server.terminals import commands, receipt
from server.terminals.models import TerminalGap

VENDORS = {"zkteco": "ZKTeco PUSH (ADMS)", "hikvision": "Hikvision ISAPI"}
_SERIAL = re.compile(r"^[A-Za-z0-9_-]{4,64}$")


class TerminalRefusedError(NotAuthenticatedError):
    """A terminal the server does not take records from (unknown, not approved, inactive)."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh, message_en)
        self.code = code


def add_terminal(
    session: Session,
    settings: Settings,
    user: User | None,
    project: Project,
    *,
    code: str,
    vendor: str,
    serial_number: str,
    direction: Direction,
    model: str = "",
    name: str = "",
    url: str = "",
    username: str = "",
    password: str = "",
) -> Device:
    if vendor not in VENDORS:
        raise ValidationFailedError(
            f"终端厂家须为 {' / '.join(VENDORS)}",
            f"the terminal family must be one of {', '.join(VENDORS)}",
            code="terminal.bad_vendor",
        )
    if not _SERIAL.match(serial_number):
        raise ValidationFailedError(
            "序列号须为 4–64 位字母、数字、- 或 _",
            "the serial number must be 4-64 letters, digits, - or _",
            code="terminal.bad_serial",
        )
    if vendor == "hikvision" and not (url.startswith(("http://", "https://")) and username):
        raise ValidationFailedError(
            "海康终端须填写其地址(http://…)和 ISAPI 账号,服务器用它补取漏传的记录并下发人员",
            "a Hikvision terminal needs its address (http://…) and ISAPI account: the server "
            "pulls missed events and pushes users with it",
            code="terminal.isapi_account",
        )
    taken = session.scalar(
        select(Device).where((Device.code == code) | (Device.serial_number == serial_number))
    )
    if taken is not None:
        raise ConflictError(
            f"设备编号 {code} 或序列号 {serial_number} 已登记",
            f"device code {code} or serial number {serial_number} is already registered",
            code="terminal.exists",
        )
    device = Device(
        code=code,
        project_id=project.id,
        name=name,
        kind="terminal",
        direction=direction,
        model=model or VENDORS[vendor],
        vendor=vendor,
        serial_number=serial_number,
        terminal_url=url.rstrip("/"),
        terminal_user=username,
        terminal_secret=Fernet(settings.fernet_key()).encrypt(password.encode())
        if password
        else None,
    )
    session.add(device)
    session.flush()
    auth_service.audit(
        session,
        user,
        "add_terminal",
        "device",
        device.id,
        project_id=project.id,
        detail={"code": code, "vendor": vendor, "serial_number": serial_number},
    )
    return device


def _encrypt(settings: Settings, password: str) -> bytes:
    return Fernet(settings.fernet_key()).encrypt(password.encode())


def approve(
    session: Session, settings: Settings, user: User | None, device: Device, *, now: dt.datetime
) -> Device:
    """From now on the terminal's records count; its sealing key is recorded like a gate's."""
    if device.kind != "terminal":
        raise ConflictError("该设备不是人脸终端", "the device is not a face terminal")
    if device.approved_at is not None:
        return device
    device.approved_at = now
    device.public_key = receipt.receipt_public_key(settings, device.code)
    device.provisioned_at = now
    session.flush()
    auth_service.audit(
        session,
        user,
        "provision",
        "device",
        device.id,
        project_id=device.project_id,
        detail={
            "code": device.code,
            "public_key": device.public_key,
            "old_public_key": None,
            "terminal": device.serial_number,
            "sealed_by": "server",
        },
    )
    return device


def password(settings: Settings, device: Device) -> str:
    if device.terminal_secret is None:
        return ""
    return Fernet(settings.fernet_key()).decrypt(device.terminal_secret).decode()


def by_serial(session: Session, vendor: str, serial_number: str) -> Device | None:
    return session.scalar(
        select(Device).where(
            Device.kind == "terminal",
            Device.vendor == vendor,
            Device.serial_number == serial_number,
        )
    )


def accepting(session: Session, vendor: str, serial_number: str, *, now: dt.datetime) -> Device:
    """The approved, active terminal with this serial number; its contact is noted either way."""
    device = by_serial(session, vendor, serial_number)
    if device is None:
        raise TerminalRefusedError(
            "terminal.unknown",
            f"序列号 {serial_number} 的终端未登记:请现场管理员在闸机页添加并批准",
            f"no terminal with serial number {serial_number} is registered: a site manager "
            "adds and approves it on the gates page",
        )
    device.last_seen_at = now
    if not device.active or device.approved_at is None:
        raise TerminalRefusedError(
            "terminal.not_approved",
            f"终端 {serial_number} 尚未批准或已停用,记录暂不接收(终端会保留并重发)",
            f"terminal {serial_number} is not approved or is deactivated; its records are not "
            "taken yet (the terminal keeps and re-sends them)",
        )
    return device


def approved(session: Session, project_id: int) -> list[Device]:
    return list(
        session.scalars(
            select(Device)
            .where(
                Device.project_id == project_id,
                Device.kind == "terminal",
                Device.active.is_(True),
                Device.approved_at.is_not(None),
            )
            .order_by(Device.code)
        )
    )


@dataclass(frozen=True, slots=True)
class TerminalView:
    """One terminal as the gates page and `sitegate terminals list` show it."""

    id: int
    code: str
    name: str
    vendor: str
    model: str
    serial_number: str
    direction: Direction
    approved: bool
    last_contact: dt.datetime | None
    commands: commands.Status
    open_gaps: int
    flagged_gaps: int
    # What a ZKTeco terminal sent that was not stored as a record (zk_router's counters).
    malformed: int = 0
    duplicates: int = 0
    verify_failures: int = 0

    @property
    def approval(self) -> str:
        return "已批准 approved" if self.approved else "待批准 awaiting approval"


def overview(session: Session, project_id: int) -> list[TerminalView]:
    devices = list(
        session.scalars(
            select(Device)
            .where(Device.project_id == project_id, Device.kind == "terminal")
            .order_by(Device.code)
        )
    )
    ids = [d.id for d in devices]
    status = commands.status(session, ids)
    gaps: dict[tuple[int, str], int] = {}
    for device_id, state, n in session.execute(
        select(TerminalGap.device_id, TerminalGap.state, func.count())
        .where(TerminalGap.device_id.in_(ids))
        .group_by(TerminalGap.device_id, TerminalGap.state)
    ):
        gaps[(int(device_id), str(state))] = int(n)
    return [
        TerminalView(
            id=d.id,
            code=d.code,
            name=d.name,
            vendor=d.vendor,
            model=d.model,
            serial_number=d.serial_number or "",
            direction=d.direction,
            approved=d.approved_at is not None and d.active,
            last_contact=d.last_seen_at,
            commands=status[d.id],
            open_gaps=gaps.get((d.id, "open"), 0),
            flagged_gaps=gaps.get((d.id, "flagged"), 0),
            **_counters(d),
        )
        for d in devices
    ]


def _counters(device: Device) -> dict[str, int]:
    state = (device.health or {}).get("zk")
    if not isinstance(state, dict):
        return {}
    return {k: int(state.get(k, 0) or 0) for k in ("malformed", "duplicates", "verify_failures")}
