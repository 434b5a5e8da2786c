"""What each upload sends, in clear: built from the registry, the gate records and the pay
sheets at send time (so fixed data is what goes), checked by platforms/national/precheck.py, and
only then encrypted as the profile says.

A payload that cannot go yet raises `Waiting` (its team, company or workers are not on the
platform yet); one the platform would refuse raises `Invalid` with the problems. Both are said
on the job; neither is sent.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import CompanyRole, Direction
from models.ids import ID_TYPES, IdType
from models.money import fen_to_yuan
from platforms.national import precheck
from platforms.national.profile import Profile
from server.ingest.models import GateEventRow
from server.payroll.models import PayrollLine
from server.payroll.service import recon_settings
from server.platform.models import PlatformAccount, PlatformJob
from server.reconciliation import rules as recon_rules
from server.registry.models import Assignment, Company, Project, ProjectCompany, Team, Worker
from server.safeguards.models import LabourContract
from server.wages.models import WageLine, WageSheet

# The platform's 参建单位类型 for the roles the registry knows.
CORP_TYPE = {
    CompanyRole.GENERAL_CONTRACTOR: "009",
    CompanyRole.SUBCONTRACTOR: "001",
    CompanyRole.LABOUR_SUBCONTRACTOR: "006",
}
ON_PLATFORM = ("sent", "uploaded")  # taken: later calls may name it


class Waiting(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")


class Invalid(Exception):
    def __init__(self, problems: list[precheck.Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Context:
    session: Session
    account: PlatformAccount
    profile: Profile
    project: Project
    today: dt.date  # in the project's time zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.project.timezone)


def _check(problems: list[precheck.Problem]) -> None:
    if problems:
        raise Invalid(problems)


def _remote(ctx: Context, kind: str, subject_id: int | None) -> str | None:
    if subject_id is None:
        return None
    value = ctx.session.scalar(
        select(PlatformJob.remote_id).where(
            PlatformJob.project_id == ctx.project.id,
            PlatformJob.kind == kind,
            PlatformJob.subject_id == subject_id,
            PlatformJob.state.in_(ON_PLATFORM),
        )
    )
    return str(value) if value else None


def _on_platform(ctx: Context, kind: str, subject_ids: Iterable[int]) -> set[int]:
    ids = list(subject_ids)
    if not ids:
        return set()
    return set(
        ctx.session.scalars(
            select(PlatformJob.subject_id).where(
                PlatformJob.project_id == ctx.project.id,
                PlatformJob.kind == kind,
                PlatformJob.subject_id.in_(ids),
                PlatformJob.state.in_(ON_PLATFORM),
            )
        )
    )


def _team_sys_no(ctx: Context, team_id: int | None) -> str:
    number = _remote(ctx, "team", team_id)
    if number is None:
        raise Waiting("等待所属班组先上传", "waiting for its team to be uploaded")
    return number


def _id_type(ctx: Context, worker: Worker) -> str:
    """The platform's idCardType for the worker's ID type, or Invalid when it has none known."""
    kind = worker.id_card_type or IdType.RESIDENT.value
    info = ID_TYPES.get(IdType(kind)) if kind in {t.value for t in IdType} else None
    code = ctx.profile.id_type_map.get(kind) or (info.platform_code if info else None)
    if code is None:
        name = info.name_zh if info else kind
        raise Invalid(
            [
                precheck.Problem(
                    "idCardType",
                    f"证件类型「{name}」在{ctx.profile.title_zh}的代码未确认:"
                    "请在 profiles.yaml 的 id_type_map 中填写",
                    f"{info.name_en if info else kind} has no confirmed code on "
                    f"{ctx.profile.title_en}: add it to id_type_map in profiles.yaml",
                )
            ]
        )
    return code


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen):.2f}"


# -- the registry -------------------------------------------------------------------------------


def subcontractor(ctx: Context, link_id: int) -> dict[str, Any]:
    link = ctx.session.get(ProjectCompany, link_id)
    assert link is not None  # noqa: S101 - jobs are made from existing rows
    company = ctx.session.get(Company, link.company_id)
    assert company is not None  # noqa: S101
    data = {
        "projectCode": ctx.account.appid,
        "corpCode": company.credit_code,
        "corpName": company.name,
        "corpType": CORP_TYPE[link.role],
        "pmName": company.contact_name,
        "pmPhone": company.contact_phone,
    }
    _check(precheck.subcontractor(data, ctx.profile))
    return data


def team(ctx: Context, team_id: int) -> dict[str, Any]:
    row = ctx.session.get(Team, team_id)
    assert row is not None  # noqa: S101
    company = ctx.session.get(Company, row.company_id)
    assert company is not None  # noqa: S101
    if ctx.profile.takes("subcontractor"):
        link = ctx.session.scalar(
            select(ProjectCompany.id).where(
                ProjectCompany.project_id == ctx.project.id,
                ProjectCompany.company_id == company.id,
            )
        )
        if link is None or not _on_platform(ctx, "subcontractor", [link]):
            raise Waiting("等待所属参建单位先上传", "waiting for its company to be uploaded")
    leader = ctx.session.get(Worker, row.leader_worker_id) if row.leader_worker_id else None
    data: dict[str, Any] = {
        "projectCode": ctx.account.appid,
        "corpCode": company.credit_code,
        "corpName": company.name,
        "teamName": row.name,
    }
    if leader is not None:
        data |= {
            "teamLeaderName": leader.name,
            "teamLeaderIdCardType": _id_type(ctx, leader),
            "teamLeaderIdNumber": leader.id_number,
        }
    return data


def worker(ctx: Context, assignment_id: int, photo: bytes | None) -> dict[str, Any]:
    a = ctx.session.get(Assignment, assignment_id)
    assert a is not None  # noqa: S101
    w = ctx.session.get(Worker, a.worker_id)
    assert w is not None  # noqa: S101
    team_sys_no = _team_sys_no(ctx, a.team_id)
    item: dict[str, Any] = {
        "workerName": w.name,
        "idCardType": _id_type(ctx, w),
        "idCardNumber": w.id_number,
        "gender": w.gender,
        "nation": w.nation,
        "birthday": w.birth_date.isoformat(),
        "address": w.address,
        "workType": ctx.profile.trade_code(a.trade) or a.trade,
        "cellPhone": w.phone or "",
        "payRollBankCardNumber": w.bank_card or "",
        "payRollBankName": w.bank_name,
    }
    if item["idCardType"] == "01":
        item["birthPlaceCode"] = w.id_number[:6]
    if photo is not None:
        item["headImage"] = _b64(photo)
    _check(precheck.worker(item, ctx.profile))
    return {"projectCode": ctx.account.appid, "teamSysNo": team_sys_no, "workerList": [item]}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _worker_uploaded(ctx: Context, assignment_id: int) -> None:
    if not _on_platform(ctx, "worker", [assignment_id]):
        raise Waiting("等待人员信息先上传", "waiting for the worker to be uploaded")


def entry_exit(ctx: Context, assignment_id: int, *, entry: bool) -> dict[str, Any]:
    a = ctx.session.get(Assignment, assignment_id)
    assert a is not None  # noqa: S101
    w = ctx.session.get(Worker, a.worker_id)
    assert w is not None  # noqa: S101
    _worker_uploaded(ctx, assignment_id)
    team_sys_no = _team_sys_no(ctx, a.team_id)
    if entry:
        day = a.entered_on
        # a re-entry comes after the worker's last exit from the same project
        previous = ctx.session.scalar(
            select(func.max(Assignment.left_on)).where(
                Assignment.project_id == a.project_id,
                Assignment.worker_id == a.worker_id,
                Assignment.id != a.id,
            )
        )
    else:
        if not _on_platform(ctx, "entry", [assignment_id]):
            raise Waiting("等待进场记录先上传", "waiting for the entry to be uploaded")
        day, previous = a.left_on, a.entered_on
    assert day is not None  # noqa: S101 - enqueued only with the date set
    item = {
        "idCardType": _id_type(ctx, w),
        "idCardNumber": w.id_number,
        "date": day.isoformat(),
        "type": "1" if entry else "0",  # 1 进场, 0 退场
    }
    _check(precheck.entry_exit(item, ctx.today, previous))
    return {"projectCode": ctx.account.appid, "teamSysNo": team_sys_no, "workerList": [item]}


def contract(ctx: Context, assignment_id: int) -> dict[str, Any]:
    """劳动合同 / 用工书面协议 as recorded (server/safeguards); the scan stays with us."""
    a = ctx.session.get(Assignment, assignment_id)
    assert a is not None  # noqa: S101
    w = ctx.session.get(Worker, a.worker_id)
    assert w is not None  # noqa: S101
    paper = ctx.session.scalar(
        select(LabourContract).where(LabourContract.assignment_id == assignment_id)
    )
    assert paper is not None  # noqa: S101 - enqueued only with a contract recorded
    _worker_uploaded(ctx, assignment_id)
    company = ctx.session.get(Company, a.company_id) if a.company_id else None
    item: dict[str, Any] = {
        "corpCode": company.credit_code if company else "",
        "corpName": company.name if company else "",
        "idCardType": _id_type(ctx, w),
        "idCardNumber": w.id_number,
        "contractCode": paper.code,
        # 0 固定期限; 1 以完成一定工作任务为期限 (no end date)
        "contractPeriodType": 0 if paper.end_on is not None else 1,
        "startDate": paper.start_on.isoformat(),
        "endDate": paper.end_on.isoformat() if paper.end_on else "",
        "signDate": paper.signed_on.isoformat(),
        "unit": ctx.profile.pay_units.get(paper.pay_unit, ctx.profile.pay_units["other"]),
        "unitPrice": _yuan(paper.unit_price_fen),
    }
    _check(precheck.contract(item, ctx.today))
    return {"projectCode": ctx.account.appid, "contractList": [item]}


# -- the gate records ---------------------------------------------------------------------------


def attendance(ctx: Context, team_id: int, event_ids: list[int]) -> dict[str, Any]:
    team_sys_no = _team_sys_no(ctx, team_id)
    rows = ctx.session.execute(
        select(GateEventRow, Worker, Assignment.id)
        .join(Worker, Worker.id == GateEventRow.worker_id)
        .join(
            Assignment,
            (Assignment.worker_id == Worker.id) & (Assignment.project_id == ctx.project.id),
        )
        .where(GateEventRow.id.in_(event_ids))
        .order_by(GateEventRow.device_time)
    ).all()
    waiting = {a for _e, _w, a in rows} - _on_platform(ctx, "worker", {a for _e, _w, a in rows})
    if waiting:
        raise Waiting(
            f"等待 {len(waiting)} 名人员信息先上传",
            f"waiting for {len(waiting)} worker(s) to be uploaded",
        )
    options = ctx.account.options or {}
    items = []
    seen: set[int] = set()
    for event, w, _a in rows:
        if event.id in seen:
            continue
        seen.add(event.id)
        item: dict[str, Any] = {
            "idCardType": _id_type(ctx, w),
            "idCardNumber": w.id_number,
            "date": event.device_time.astimezone(ctx.zone).strftime("%Y-%m-%d %H:%M:%S"),
            "direction": "01" if event.direction == Direction.IN else "02",
            "attendType": ctx.profile.attend_types.get(str(event.credential or "manual"), ""),
            "channel": str(options.get("channel", "01")),
        }
        if "lng" in options and "lat" in options:
            item |= {"lng": options["lng"], "lat": options["lat"]}
        items.append(item)
    _check(precheck.attendance(items, ctx.today))
    return {"projectCode": ctx.account.appid, "teamSysNo": team_sys_no, "dataList": items}


# -- pay ----------------------------------------------------------------------------------------


def payroll(ctx: Context, sheet_id: int) -> dict[str, Any]:
    sheet = ctx.session.get(WageSheet, sheet_id)
    assert sheet is not None  # noqa: S101
    if sheet.team_id is None:
        raise Invalid(
            [
                precheck.Problem(
                    "teamSysNo",
                    "工资表未按班组编制,平台按班组收工资",
                    "the sheet has no team; the platform takes pay per team",
                )
            ]
        )
    team_sys_no = _team_sys_no(ctx, sheet.team_id)
    lines = list(
        ctx.session.scalars(
            select(WageLine).where(WageLine.sheet_id == sheet.id).order_by(WageLine.id)
        )
    )
    # a line names its assignment when the sheet was built from one; else the worker's on here
    assignments = set(
        ctx.session.scalars(
            select(Assignment.id).where(
                Assignment.project_id == ctx.project.id,
                Assignment.worker_id.in_([ln.worker_id for ln in lines]),
            )
        )
    )
    waiting = assignments - _on_platform(ctx, "worker", assignments)
    if waiting:
        raise Waiting(
            f"等待 {len(waiting)} 名人员信息先上传",
            f"waiting for {len(waiting)} worker(s) to be uploaded",
        )
    paid = _ledger(ctx.session, ctx.project.id, sheet.period, [ln.worker_id for ln in lines])
    pay_day = _pay_day(ctx.project, sheet.period)
    details = []
    for ln in lines:
        w = ctx.session.get(Worker, ln.worker_id)
        assert w is not None  # noqa: S101
        actual_fen, paid_on = paid.get(ln.worker_id, (0, None))
        if paid_on is None and sheet.paid_at is not None:
            paid_on = sheet.paid_at.astimezone(ctx.zone).date()
        details.append(
            {
                "idCardType": _id_type(ctx, w),
                "idCardNumber": ln.id_number,
                "workerName": ln.name,
                "days": ln.half_days / 2,
                "workHours": round(ln.seconds / 3600, 1),
                "payRollBankCardNumber": ln.bank_card,
                "payRollBankName": ln.bank_name,
                "payBankCardNumber": sheet.payer_account,
                "payBankName": sheet.payer_bank,
                "totalPayAmount": _yuan(ln.gross_fen),
                "actualAmount": _yuan(actual_fen),
                "isBackPay": 1 if paid_on is not None and paid_on > pay_day else 0,
                "balanceDate": (paid_on or ctx.today).isoformat(),
            }
        )
    _check(precheck.payroll(details, ctx.today))
    return {
        "projectCode": ctx.account.appid,
        "teamSysNo": team_sys_no,
        "payMonth": sheet.period,
        "detailList": details,
    }


def _ledger(
    session: Session, project_id: int, period: str, worker_ids: list[int]
) -> dict[int, tuple[int, dt.date | None]]:
    """Per worker: what the bank paid for the month (successful lines) and the last pay date."""
    out: dict[int, tuple[int, dt.date | None]] = {}
    for wid, net, last in session.execute(
        select(PayrollLine.worker_id, func.sum(PayrollLine.net_fen), func.max(PayrollLine.paid_on))
        .where(
            PayrollLine.project_id == project_id,
            PayrollLine.period == period,
            PayrollLine.status == "success",
            PayrollLine.worker_id.in_(worker_ids),
        )
        .group_by(PayrollLine.worker_id)
    ):
        if wid is not None:
            out[int(wid)] = (int(net or 0), last)
    return out


def _pay_day(project: Project, period: str) -> dt.date:
    return recon_rules.pay_day_for(period, recon_settings(project))


# -- encryption ---------------------------------------------------------------------------------


def encrypted(data: Any, profile: Profile, secret: str) -> Any:
    """`data` with the profile's sensitive fields encrypted, wherever they sit (empty ones
    stay empty)."""
    if isinstance(data, list):
        return [encrypted(x, profile, secret) for x in data]
    if not isinstance(data, dict):
        return data
    return {
        k: (
            profile.encrypt(v, secret)
            if k in profile.encrypted and isinstance(v, str) and v
            else encrypted(v, profile, secret)
        )
        for k, v in data.items()
    }
