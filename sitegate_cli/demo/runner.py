"""`sitegate demo`: a whole site month end to end on the embedded defaults, live today.

seed (in-process services) → server (child process, SQLite, the real clock) → enrollment
station and two gates (real edge code on emulated hardware, provisioned over HTTP) → the paid
month and the days since, up to now → the paid month's wage sheets, bank file and
reconciliation → summary, then the server stays up for the pages with both gates still
connected (unless --fast). The site is live: whoever came in and has not left is on site now.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from sitegate_cli.demo import faces as demo_faces
from sitegate_cli.demo import platform as demo_platform
from sitegate_cli.demo import terminal as demo_terminal
from sitegate_cli.demo.month import IN, OUT, TZ, MonthPlan, Pass, demo_calendar, plan_month
from sitegate_cli.demo.seed import (
    FIRMS,
    PROJECT_NAME,
    TEAMS,
    WorkerSpec,
    credit_code,
    ghost_person,
    make_workers,
    stranger_id,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from edge.face import FaceMatcher
    from server.rosters.service import MonthRoster
    from sitegate_cli.demo.payroll import Faults
    from sitegate_cli.demo.site import EnrollmentStation, Gate
    from sitegate_cli.demo.wages import WageRun

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DIR = REPO / "var" / "demo"
PROJECT_CODE = "DEMO-BJ-02"
REGION = "四川省成都市"
DEMO_ACCOUNTS = (
    ("admin", "demo-admin-2026", "admin", "管理员 / administrator"),
    ("manager", "demo-manager-2026", "site_manager", "项目经理 / site manager"),
    ("inspector", "demo-inspector-2026", "inspector", "劳动监察 / labour inspector"),
    ("worker", "demo-worker-2026", "worker", "工人 / worker"),
)
MARKER = ".sitegate-demo"

log = logging.getLogger("sitegate.demo")


class DemoError(Exception):
    """Shown as a bilingual one-liner by the CLI (sitegate_cli.errors)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True, slots=True)
class Scale:
    workers: int
    days: int | None  # site days of the paid month simulated (None: the whole month)
    face_workers: int
    live_days: int | None = None  # the last site days up to today (None: all since)


FULL = Scale(workers=300, days=None, face_workers=16)
FAST = Scale(workers=60, days=7, face_workers=4, live_days=3)


@dataclass
class Ids:
    project: int = 0
    devices: dict[str, int] = field(default_factory=dict)  # "in"/"out"/"enroll" -> device pk
    codes: dict[str, str] = field(default_factory=dict)  # device code by the same key
    provisioning: dict[str, str] = field(default_factory=dict)
    teams: list[int] = field(default_factory=list)


# --- console ---------------------------------------------------------------------------------


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def say(console: Console, zh: str, en: str) -> None:
    console.print(f"[bold cyan]▶[/] {zh} / [dim]{en}[/]")


# --- workspace -------------------------------------------------------------------------------


def fresh_dir(root: Path, console: Console) -> None:
    """Remove the previous demo's database, gates and files (only a folder we made)."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise DemoError(
                f"{root} 不是演示目录,拒绝删除", f"{root} is not a demo folder; not deleting it"
            )
        say(console, f"删除上次的演示数据库与闸机数据: {root}",
            f"removing the previous demo database and gate data: {root}")  # fmt: skip
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("SiteGate demo data; `sitegate demo` deletes this folder\n")


@contextmanager
def uow(factory: sessionmaker[Session]) -> Iterator[Session]:
    from server.db.session import unit_of_work

    with unit_of_work(factory) as session:
        yield session


# --- seeding ---------------------------------------------------------------------------------


def seed(
    factory: sessionmaker[Session],
    workers: list[WorkerSpec],
    *,
    month_start: dt.date,
    pay_day: int,
    progress: Progress,
) -> Ids:
    from models.enums import CompanyRole, Direction, WageKind
    from server.registry import service as reg
    from server.registry.schemas import (
        AssignmentCreate,
        CompanyCreate,
        DeviceCreate,
        ProjectCreate,
        TeamCreate,
        TeamUpdate,
        WorkerCreate,
    )

    ids = Ids()
    task = progress.add_task("登记项目与工人 / seeding the project", total=len(workers) + 3)
    entered = month_start - dt.timedelta(days=20)
    with uow(factory) as s:
        project = reg.create_project(
            s,
            None,
            data=ProjectCreate(
                code=PROJECT_CODE,
                name=PROJECT_NAME,
                address="四川省成都市双流区滨江路88号",
                region=REGION,
                pay_day=pay_day,
                wage_account_bank="中国建设银行成都双流支行",
                wage_account_no="51050142610800001234",
                starts_on=month_start - dt.timedelta(days=120),
            ),
        )
        ids.project = project.id
        # The demo's workers without a face photo pass on the card alone, as they always have:
        # no confirmer stands at the simulated gate to give the card + manager confirmation.
        project.gate_policy = {**(project.gate_policy or {}), "manager_confirmation": False}
        companies = []
        for i, (name, role) in enumerate(FIRMS):
            company = reg.create_company(
                s,
                None,
                data=CompanyCreate(
                    name=name, credit_code=credit_code(100 + i), contact_name="联系人",
                    contact_phone=f"1398000{i:04d}",
                ),
            )  # fmt: skip
            reg.attach_company(s, None, project, company, role=CompanyRole(role))
            companies.append(company)
        teams = [
            reg.create_team(s, None, project, data=TeamCreate(company_id=companies[t.firm].id,
                                                               name=t.name))
            for t in TEAMS
        ]  # fmt: skip
        ids.teams = [t.id for t in teams]
        progress.advance(task)
        for w in workers:
            spec = TEAMS[w.team]
            assignment = reg.create_assignment(
                s,
                None,
                project,
                data=AssignmentCreate(
                    worker=WorkerCreate(
                        name=w.name,
                        id_number=w.id_number,
                        nation="汉",
                        address=w.address,
                        id_valid_to=dt.date(2036, 1, 1),
                        phone=w.phone,
                        bank_card=w.bank_card,
                        bank_name=w.bank_name,
                    ),
                    team_id=teams[w.team].id,
                    # the leader is the team's (TeamUpdate below), the trade stays the trade
                    trade=spec.trade,
                    wage_kind=WageKind.DAILY,
                    wage_rate_fen=spec.rate_fen + (5000 if w.leader else 0),
                    contract_signed_on=entered,
                    safety_trained_on=entered,
                ),
            )
            reg.enter(s, None, assignment, on=entered)
            if w.card_uid:
                reg.bind_card(s, None, assignment, uid=w.card_uid)
            w.worker_id, w.assignment_id = assignment.worker_id, assignment.id
            if w.leader:
                reg.update_team(
                    s, None, teams[w.team], data=TeamUpdate(leader_worker_id=w.worker_id)
                )
            progress.advance(task)
        for key, code, name, direction, kind in (
            (IN, "DEMO-GATE-IN", "大门 进口", Direction.IN, "gate"),
            (OUT, "DEMO-GATE-OUT", "大门 出口", Direction.OUT, "gate"),
            ("enroll", "DEMO-ENROLL", "项目部 登记站", Direction.IN, "enrollment"),
        ):
            device = reg.create_device(
                s,
                None,
                project,
                data=DeviceCreate(code=code, name=name, kind=kind, direction=direction,
                                  model="emulated"),
            )  # fmt: skip
            ids.devices[key] = device.id
            ids.codes[key] = code
            ids.provisioning[key] = reg.issue_provisioning_code(s, None, device)[0]
        progress.advance(task, 2)
    return ids


def roster_version(factory: sessionmaker[Session], project_id: int) -> int:
    from server.registry.models import Project

    with uow(factory) as s:
        project = s.get(Project, project_id)
        assert project is not None  # noqa: S101
        return int(project.roster_version)


def record_leave(factory: sessionmaker[Session], assignment_id: int, on: dt.date) -> None:
    from server.registry import service as reg
    from server.registry.models import Assignment

    with uow(factory) as s:
        assignment = s.get(Assignment, assignment_id)
        assert assignment is not None  # noqa: S101
        reg.leave(s, None, assignment, on=on)


# --- the month -------------------------------------------------------------------------------


def drive(gate: Gate, passes: list[Pass]) -> None:
    for p in passes:
        gate.attempt(p)


def simulate(
    plan: MonthPlan,
    gates: dict[str, Gate],
    workers: list[WorkerSpec],
    factory: sessionmaker[Session],
    project_id: int,
    progress: Progress,
    console: Console,
) -> dict[str, Any]:
    days = plan.days()
    by_day: dict[dt.date, list[Pass]] = {}
    for p in plan.passes:
        by_day.setdefault(p.at.date(), []).append(p)
    task = progress.add_task("模拟一个月 / simulating the month (days)", total=len(days))
    out_gate = gates[OUT]
    caught_up = 0
    catch_up_s = 0.0
    for day in days:
        progress.update(task, description=f"模拟一个月 / simulating the month: {day}")
        if day == plan.offline_days[0]:
            out_gate.set_offline(True)
            progress.console.print(
                f"  ⚡ {day}: 出口闸机断网两天 / OUT gate offline for two days (network cut)"
            )
        if out_gate.client is not None and out_gate.client.offline and day > plan.offline_days[-1]:
            backlog = out_gate.outbox_depth()
            progress.console.print(
                f"  🔌 {day}: 出口闸机恢复联网,补传 {backlog} 条 / OUT gate back online, "
                f"uploading {backlog} queued events"
            )
            t0 = time.monotonic()
            up = progress.add_task("离线补传 / upload catch-up (OUT gate)", total=backlog)
            out_gate.set_offline(False)
            while (left := out_gate.outbox_depth()) > 0:
                progress.update(up, completed=backlog - left)
                time.sleep(0.1)
            progress.update(up, completed=backlog)
            caught_up, catch_up_s = backlog, time.monotonic() - t0
        if day == plan.leave_recorded_on:
            leaver = workers[plan.leave_worker]
            record_leave(factory, leaver.assignment_id, plan.left_on)
            version = roster_version(factory, project_id)
            for g in gates.values():
                g.wait_roster(version)
            progress.console.print(
                f"  📋 {day}: {leaver.name} 退场({plan.left_on})已登记,两台闸机花名册已更新 / "
                f"exit of {leaver.name} recorded, both gates have the new roster"
            )
        todays = by_day.get(day, [])
        threads = [
            threading.Thread(
                target=drive, args=(g, [p for p in todays if p.gate == key]), name=f"demo-{key}"
            )
            for key, g in gates.items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        progress.advance(task)
    return {"caught_up": caught_up, "catch_up_s": round(catch_up_s, 1)}


def drain(gates: dict[str, Gate], progress: Progress, timeout_s: float = 180.0) -> None:
    total = sum(g.outbox_depth() for g in gates.values())
    task = progress.add_task("上传剩余事件 / uploading the remaining events", total=max(total, 1))
    end = time.monotonic() + timeout_s
    while (left := sum(g.outbox_depth() for g in gates.values())) > 0:
        if time.monotonic() > end:
            raise DemoError(f"仍有 {left} 条事件未上传", f"{left} events not uploaded")
        for g in gates.values():
            if g.rt is not None and g.rt.agent.sync is not None:
                g.rt.agent.sync.wake()
        progress.update(task, completed=total - left)
        time.sleep(0.1)
    progress.update(task, completed=max(total, 1))


# --- checks on the server's side -------------------------------------------------------------


def server_facts(factory: sessionmaker[Session], ids: Ids) -> dict[str, Any]:
    from sqlalchemy import func, select

    from server.ingest import service as ingest_service
    from server.ingest.models import GateEventRow

    facts: dict[str, Any] = {"devices": {}}
    with uow(factory) as s:
        for key in (IN, OUT):
            dev = ids.devices[key]
            n, distinct = s.execute(
                select(func.count(), func.count(func.distinct(GateEventRow.seq))).where(
                    GateEventRow.device_id == dev
                )
            ).one()
            report = ingest_service.verify_chain(s, dev)
            facts["devices"][key] = {
                "events": int(n),
                "distinct_seq": int(distinct),
                "chain_intact": report.intact,
                "highest_contiguous_seq": report.highest_contiguous_seq,
            }
        rows = s.execute(
            select(GateEventRow.result, GateEventRow.reason, func.count())
            .where(GateEventRow.project_id == ids.project)
            .group_by(GateEventRow.result, GateEventRow.reason)
        ).all()
    facts["granted"] = sum(int(n) for r, _, n in rows if str(r.value) == "granted")
    facts["refusals"] = {
        str(reason.value): int(n) for r, reason, n in rows if str(r.value) == "refused" and reason
    }
    return facts


# --- payroll and reconciliation --------------------------------------------------------------


def month_faults(
    factory: sessionmaker[Session], ids: Ids, plan: MonthPlan, workers: list[WorkerSpec]
) -> tuple[MonthRoster, Faults]:
    """The month's roster and who the bank's result will wrong."""
    from server.rosters import service as roster_service
    from sitegate_cli.demo.payroll import pick_faults

    with uow(factory) as s:
        roster = roster_service.load_month(s, project_id=ids.project, period=plan.period)
    leaders = {w.worker_id for w in workers if w.leader}
    return roster, pick_faults(roster, leaders, ghost_person())


def payroll_and_reconcile(
    factory: sessionmaker[Session],
    root: Path,
    ids: Ids,
    plan: MonthPlan,
    workers: list[WorkerSpec],
    progress: Progress,
    today: dt.date,
    pay_day: dt.date,
    month: tuple[MonthRoster, Faults],
    nets: dict[int, int],
) -> dict[str, Any]:
    from server.payroll import service as payroll_service
    from server.reconciliation import service as recon_service
    from sitegate_cli.demo.payroll import bank_file

    task = progress.add_task("工资代发与核对 / payroll import and reconciliation", total=4)
    roster, faults = month
    progress.advance(task)
    data, counts = bank_file(
        roster,
        faults,
        pay_day=pay_day,
        today=today,
        bank_names={w.worker_id: w.bank_name for w in workers},
        nets=nets,
    )
    path = root / f"代发结果_{plan.period}.xlsx"
    path.write_bytes(data)
    progress.advance(task)
    with uow(factory) as s:
        result = payroll_service.import_file(
            s, project_id=ids.project, file_name=path.name, data=data, user=None
        )
    progress.advance(task)
    with uow(factory) as s:
        summary = recon_service.run(s, project_id=ids.project, period=plan.period, today=today)
        kinds = Counter((f.kind, f.level.value) for f in summary.findings if f.status == "open")
        findings = [
            {
                "kind": f.kind,
                "level": f.level.value,
                "worker": f.worker_name,
                "message": f.message_zh,
            }
            for f in summary.findings
            if f.status == "open"
        ]
        out = {
            "file": str(path),
            "lines": result.row_count,
            "matched": result.matched_count,
            "bank_file": counts,
            "faults": {
                "unpaid": faults.unpaid.name,
                "underpaid": faults.underpaid.name,
                "paid_to_leader": f"{faults.leader_card.name} → {faults.leader.name}",
                "late": faults.late.name,
                "ghost": faults.ghost_name,
            },
            "pay_day": pay_day.isoformat(),
            "today": today.isoformat(),
            "level": summary.level.value,
            "counts": {k.value: v for k, v in summary.counts.items()},
            "kinds": [{"kind": k, "level": lv, "count": n} for (k, lv), n in sorted(kinds.items())],
            "findings": findings,
            "headcount": len(roster.rows),
            "with_attendance": sum(1 for r in roster.rows if r.month.attended_days > 0),
            "attended_days": sum(r.month.attended_days for r in roster.rows),
            "hours": round(sum(r.month.total_hours for r in roster.rows), 1),
            "anomalies": sum(r.month.anomaly_count for r in roster.rows),
            "underpaid_worker_id": faults.underpaid.worker_id,
        }
    progress.advance(task)
    return out


def wage_cycle(
    url: str,
    factory: sessionmaker[Session],
    root: Path,
    ids: Ids,
    plan: MonthPlan,
    workers: list[WorkerSpec],
    month: tuple[MonthRoster, Faults],
    progress: Progress,
    *,
    station: EnrollmentStation | None,
    matcher: FaceMatcher,
    photos: dict[int, str],
    scale: Scale,
) -> WageRun:
    """Each firm's 工资支付表 built, sent, answered (phone and station), resolved, locked, and
    its 代发 instruction written: over the server's HTTP API, as the site would."""
    from sitegate_cli.demo import wages as demo_wages

    roster, faults = month
    attended = [r for r in roster.rows if r.month.attended_days > 0]
    firms = sorted({r.company_id for r in attended if r.company_id is not None})
    by_id = {w.worker_id: w for w in workers}
    run = demo_wages.WageRun()
    task = progress.add_task("工资支付表与工人确认 / wage sheets and confirmations", total=4)
    manager = demo_wages.Api.signed_in(url, DEMO_ACCOUNTS[1][0], DEMO_ACCOUNTS[1][1])
    try:
        run.sheets = demo_wages.build_and_send(manager, ids.project, plan.period, firms)
        progress.advance(task)
        # At the station: face workers with a line, ID card + face.
        with_line = {x["worker_id"] for sheet in run.sheets for x in sheet["lines"]}
        at_station = [
            (by_id[w].name, by_id[w].id_number, photo)
            for w, photo in photos.items()
            if w in with_line
        ][: max(2, scale.face_workers // 2)]
        if station is not None:
            run.station_confirmed = demo_wages.station_answers(station, at_station, matcher=matcher)
        progress.advance(task)
        # On the phone: workers who activate with a one-time code (the first disputes), and
        # the demo worker's own account.
        station_names = set(run.station_confirmed)
        skip = {faults.unpaid.worker_id, faults.underpaid.worker_id}
        phone = [
            (r.worker_id, by_id[r.worker_id].id_number)
            for r in attended
            if r.worker_id in with_line and r.worker_id not in skip
            and by_id[r.worker_id].name not in station_names
        ]  # fmt: skip
        phone = phone[: len(phone) - max(3, len(phone) // 8)]  # some never answer
        run.phone_confirmed, run.disputed = demo_wages.phone_answers(
            url, manager, ids.project, phone, dispute_one=True
        )
        demo = demo_wages.Api.signed_in(url, DEMO_ACCOUNTS[3][0], DEMO_ACCOUNTS[3][1])
        try:
            for line in demo.call("GET", "/api/v1/me/wage-lines"):
                mine = demo.call("GET", f"/api/v1/me/wage-lines/{line['id']}")
                demo.call(
                    "POST",
                    f"/api/v1/me/wage-lines/{line['id']}/confirm",
                    json={"shown_hash": mine["shown_hash"]},
                )
                run.phone_confirmed.append(mine["name"])
        finally:
            demo.close()
        progress.advance(task)
        run.unanswered, run.files, run.total_fen, run.nets = demo_wages.resolve_and_lock(
            manager, ids.project, run.sheets, root
        )
        progress.advance(task)
    finally:
        manager.close()
    return run


def live_board(
    url: str,
    project_id: int,
    workers: list[WorkerSpec],
    plan: MonthPlan,
    *,
    also_inside: list[str] | None = None,
) -> dict[str, Any]:
    """Today's board as the server answers it on the real clock (the site manager's daily
    roster), beside who the plan put inside at the end: the demo ends with a live site."""
    from sitegate_cli.demo import wages as demo_wages

    api = demo_wages.Api.signed_in(url, DEMO_ACCOUNTS[1][0], DEMO_ACCOUNTS[1][1])
    try:
        board = api.call("GET", f"/api/v1/projects/{project_id}/rosters/daily")
    finally:
        api.close()
    return {
        "day": board["day"],
        "on_site": sorted(p["worker"]["name"] for p in board["on_site"]),
        "planned_inside": sorted(
            {workers[k].name for k in plan.inside_at_end()} | set(also_inside or ())
        ),
        "arrivals": board["arrivals"],
        "departures": board["departures"],
        "not_come": len(board["not_come"]),
    }


def wage_report(run: WageRun) -> dict[str, Any]:
    return {
        "sheets": len(run.sheets),
        "lines": sum(len(s["lines"]) for s in run.sheets),
        "phone_confirmed": len(run.phone_confirmed),
        "station_confirmed": len(run.station_confirmed),
        "station_names": run.station_confirmed,
        "disputed": run.disputed,
        "unanswered": run.unanswered,
        "disbursement_files": run.files,
        "disbursement_total_fen": run.total_fen,
    }


def create_accounts(factory: sessionmaker[Session], project_id: int, worker_id: int) -> None:
    from models.enums import Role
    from server.auth import service as auth_service

    with uow(factory) as s:
        for username, password, role, label in DEMO_ACCOUNTS:
            auth_service.create_user(
                s,
                username=username,
                password=password,
                role=Role(role),
                full_name=label.split(" / ")[0],
                region=REGION if role == "inspector" else "",
                worker_id=worker_id if role == "worker" else None,
                project_ids=[project_id] if role in ("site_manager", "inspector") else [],
            )


# --- output ----------------------------------------------------------------------------------

LEVEL_STYLE = {"red": "bold red", "orange": "bold dark_orange", "yellow": "bold yellow",
               "green": "bold green"}  # fmt: skip
LEVEL_ZH = {"red": "红", "orange": "橙", "yellow": "黄", "green": "绿"}
REASON_ZH = {
    "id_card_expired": "身份证过期",
    "face_mismatch": "人证不符",
    "left": "已退场",
    "unknown_credential": "未登记的卡",
    "not_on_roster": "不在花名册",
    "face_timeout": "人脸超时",
    "no_face": "未检测到人脸",
    "anti_passback": "防反潜",
}


def summary_table(report: dict[str, Any]) -> Table:
    recon, facts, gates = report["recon"], report["server"], report["gates"]
    t = Table(title=f"SiteGate 演示结果 / demo summary — {PROJECT_NAME} {report['period']}",
              show_lines=False)  # fmt: skip
    t.add_column("项目 / item", style="bold")
    t.add_column("结果 / result")
    t.add_row("工人 / workers (headcount)",
              f"{recon['headcount']} 在册 on the roster, {recon['with_attendance']} 有出勤 "
              f"attended, {report['face_workers']} 人脸登记 enrolled with a face")  # fmt: skip
    t.add_row("工作日 / working days simulated",
              f"{report['working_days']} ({report['period']} 已发薪 paid) + "
              f"{len(report['live_days'])} (至今天 up to today)")  # fmt: skip
    t.add_row("出勤 / attended days · hours",
              f"{recon['attended_days']:g} 天 days · {recon['hours']:g} 小时 h")  # fmt: skip
    t.add_row("考勤异常 / attendance anomalies", f"{recon['anomalies']} (缺出/缺进 missing OUT/IN)")
    for key, label in ((IN, "进口 IN"), (OUT, "出口 OUT")):
        g, sv = gates[key], facts["devices"][key]
        ok = "✓" if sv["events"] == g["recorded"] == sv["distinct_seq"] else "✗"
        chain = "链完整 chain intact" if sv["chain_intact"] else "链断裂 CHAIN BROKEN"
        t.add_row(f"闸机 / gate {label}",
                  f"{g['recorded']} 条记录 recorded, 服务器 server {sv['events']} {ok} "
                  f"(恰好一次 exactly once), {chain}")  # fmt: skip
    t.add_row("离线补传 / offline catch-up",
              f"{report['sim']['caught_up']} 条 events after 2 days offline, "
              f"{report['sim']['catch_up_s']} s")  # fmt: skip
    t.add_row("通行 / granted", str(facts["granted"]))
    side = report["terminal"]
    t.add_row("人脸终端 / face terminal",
              f"{side['code']}: {side['users_on_terminal']} 人已下发 users pushed "
              f"({side['users_confirmed']} 已确认 confirmed), {side['passes']} 次通行 passes "
              f"上传 uploaded {side['uploaded']}, 服务器接收签名 server-sealed")  # fmt: skip
    refusals = ", ".join(
        f"{REASON_ZH.get(k, k)} {k}: {n}" for k, n in sorted(facts["refusals"].items())
    )
    t.add_row("拒绝 / refused", refusals or "-")
    wages = report["wages"]
    t.add_row("工资支付表 / wage sheets",
              f"{wages['sheets']} 张 sheets, {wages['lines']} 行 lines, 实发合计 net "
              f"¥{wages['disbursement_total_fen'] / 100:,.2f}")  # fmt: skip
    t.add_row("工人确认 / workers' confirmation",
              f"手机 phone {wages['phone_confirmed']}, 闸机/登记站 station "
              f"{wages['station_confirmed']} (签名链记录 signed chain records), "
              f"异议 disputed: {wages['disputed'] or '-'} (已处理 resolved), "
              f"未答复 unanswered {wages['unanswered']} "
              "(锁定原因已记录 locked with a reason)")  # fmt: skip
    t.add_row("代发指令 / bank instruction", ", ".join(wages["disbursement_files"]) or "-")
    t.add_row(
        "银行回单 / bank result",
        f"{recon['lines']} 行 lines ({recon['matched']} 匹配 matched) → {recon['file']}",
    )
    counts = recon["counts"]
    t.add_row("核对发现 / findings by level",
              "  ".join(f"[{LEVEL_STYLE[lv]}]{LEVEL_ZH[lv]} {lv}: {counts.get(lv, 0)}[/]"
                        for lv in ("red", "orange", "yellow")))  # fmt: skip
    kinds = ", ".join(f"{k['kind']}({k['level']})×{k['count']}" for k in recon["kinds"])
    t.add_row("发现类型 / findings by kind", kinds)
    lv = recon["level"]
    t.add_row("项目预警 / project warning level",
              f"[{LEVEL_STYLE[lv]}]{LEVEL_ZH[lv]} {lv.upper()}[/]")  # fmt: skip
    live = report["live"]
    t.add_row("今天 / today " + live["day"],
              f"现在在场 {len(live['on_site'])} 人 on site now, 今日进场 {live['arrivals']} "
              f"came in, 已离场 {live['departures']} left, 未到 {live['not_come']} not come "
              "(/site/{id}/now)")  # fmt: skip
    pf = report["platform"]
    t.add_row("实名制平台 / platform report",
              f"{pf['uploaded']} 项已上传 uploaded ({pf['workers_on_platform']} 人 workers, "
              f"{pf['attendance_records']} 条考勤 attendance records, {pf['payrolls']} 份工资 "
              f"payrolls), 待处理 not through {pf['held_or_refused']} → /site/{{id}}/platform")
    t.add_row("工资保障 / safeguards",
              f"专户 wage account ✓, 劳资专管员 labour officer ✓, 支付担保 guarantee ✓, "
              f"劳动合同 contracts {pf['contracts']} ✓, [red]工资保证金 wage deposit ✗ "
              "(故意未登记 left out on purpose)[/]")  # fmt: skip
    checks = report["checklist"]
    failing = "; ".join(f"{i['zh']} ({i['level']})" for i in checks["failing"]) or "-"
    t.add_row("检查清单 / checklist",
              f"[{LEVEL_STYLE.get(checks['level'], 'green')}]{LEVEL_ZH.get(checks['level'], '')} "
              f"{checks['level'].upper()}[/]: {failing} → /site/{{id}}/checklist")  # fmt: skip
    t.add_row("用时 / elapsed", f"{report['elapsed_s']:.0f} s")
    return t


def accounts_panel(url: str) -> Panel:
    from rich.console import Group

    accounts = Table(box=None, pad_edge=False)
    for col in ("角色 / role", "用户名 / user", "密码 / password"):
        accounts.add_column(col)
    for username, password, _role, label in DEMO_ACCOUNTS:
        accounts.add_row(label, f"[bold]{username}[/]", f"[bold]{password}[/]")
    return Panel(
        Group(
            f"[bold]网址 / URL:[/] {url}/   (API: {url}/docs)",
            "",
            accounts,
            "",
            "[yellow]以上均为演示账号,密码公开,切勿用于生产 / demo accounts with published "
            "passwords — never use them in production[/]",
            "按 Ctrl-C 停止服务器 / press Ctrl-C to stop the server",
        ),
        title="SiteGate 已在运行 / SiteGate is running",
    )


# --- the command -----------------------------------------------------------------------------


def run_demo(
    *, fast: bool, port: int | None, root: Path, console: Console, faces: Path | None = None
) -> dict[str, Any]:
    # Everything the later steps need is imported now: the run takes minutes, and a module
    # half-edited in the working tree meanwhile must not break its end.
    import importlib

    for name in ("ingest", "payroll", "reconciliation", "rosters"):
        importlib.import_module(f"server.{name}.service")
    from server.db import migrate
    from server.db.session import make_engine, make_sessionmaker
    from sitegate_cli.demo.server import DemoServer, free_port, port_free
    from sitegate_cli.demo.site import EnrollmentStation, Gate

    t_start = time.monotonic()
    scale = FAST if fast else FULL
    folder = demo_faces.faces_dir(REPO) if faces is None else faces.resolve()
    if faces is not None:
        problem = demo_faces.check_folder(folder)
        if problem is not None:
            raise DemoError(*problem)
    root = root.resolve()
    fresh_dir(root, console)
    logging.basicConfig(
        filename=str(root / "demo.log"),
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(threadName)s %(name)s %(message)s",
        force=True,
    )
    if port is None:
        port = free_port() if fast else 8000
    if not port_free(port):
        raise DemoError(
            f"端口 {port} 已被占用,请用 --port 指定", f"port {port} is in use; use --port"
        )
    # The server and the gates run on the real clock: the simulated days end now.
    now = dt.datetime.now(dt.UTC).astimezone(TZ).replace(microsecond=0)
    today = now.date()
    cal = demo_calendar(today, paid_limit=scale.days, live_limit=scale.live_days)
    year, month = cal.year, cal.month
    db_url = f"sqlite:///{root / 'sitegate.sqlite3'}"
    mode = "快速 / fast (CI)" if fast else "完整 / full"
    first = cal.live_days[0]
    console.print(Panel(
        f"一个工地:{scale.workers} 名工人, 进出两台闸机; {year}-{month:02d} 月"
        f"{'' if scale.days is None else f'前 {scale.days} 个工作日'}已发薪并核对 "
        f"(发薪日 {cal.pay_day}), {first} 至今天 {now:%H:%M} 现场在运行\n"
        f"one site: {scale.workers} workers, an IN and an OUT gate; {year}-{month:02d}"
        f"{'' if scale.days is None else f' (first {scale.days} working days)'} paid and "
        f"reconciled (pay day {cal.pay_day}), live from {first} to today {now:%H:%M} — {mode}\n"
        f"数据 / data: {root}",
        title="SiteGate 演示 / demo",
    ))  # fmt: skip

    from edge.face import FaceRecognitionMatcher

    matcher = FaceRecognitionMatcher()
    server: DemoServer | None = None
    station: EnrollmentStation | None = None
    gates: dict[str, Gate] = {}
    platform_server: Any = None
    engine = None
    try:
        with _progress(console) as progress:
            # 1. Face photos (read in place).
            pairs: list[demo_faces.FacePair] = []
            stranger: Path | None = None
            if folder.is_dir():
                task = progress.add_task("检查人脸照片 / checking face photos", total=None)
                pairs, stranger = demo_faces.select_pairs(
                    folder, matcher, scale.face_workers, lambda: progress.advance(task)
                )
                progress.update(task, total=progress.tasks[task].completed)
                if not pairs:
                    progress.console.print(
                        f"[yellow]{folder} 中没有可比对的人脸照片对:全部工人只用卡通行 / no "
                        f"matching photo pairs in {folder}: every worker uses a card only[/]"
                    )
            else:
                progress.console.print(
                    f"[yellow]没有找到人脸照片 {folder}:全部工人只用卡通行(可用 --faces 指定) / "
                    f"no face photos at {folder}: every worker uses a card only (see --faces)[/]"
                )
            workers = make_workers(
                scale.workers, photo_people=[p.person for p in pairs], month_start=cal.start
            )
            pair_of = {p.person: p for p in pairs}

            # 2. The database and the sample project.
            say(progress.console, f"新建数据库 {db_url}", "creating a fresh SQLite database")
            migrate.upgrade(db_url)
            engine = make_engine(db_url)
            factory = make_sessionmaker(engine)
            ids = seed(
                factory, workers, month_start=cal.start, pay_day=cal.pay_day.day,
                progress=progress,
            )  # fmt: skip

            # 3. The server.
            server = DemoServer(db_url, port, root / "server.log")
            server.start()
            say(progress.console, f"服务器已启动 {server.url}", f"server up at {server.url}")

            # 4. Enrollment station: ID card + photo → POST /api/v1/edge/enrollments.
            face_workers = [w for w in workers if w.photo_person]
            enrolled = 0
            if face_workers:
                station = EnrollmentStation(root, server_url=server.url, matcher=matcher)
                station.provision(ids.provisioning["enroll"])
                task = progress.add_task("人脸登记 / enrolling faces", total=len(face_workers))
                for w in face_workers:
                    assert w.photo_person is not None  # noqa: S101
                    try:
                        station.enroll(w.name, w.id_number, str(pair_of[w.photo_person].enroll))
                        enrolled += 1
                    except Exception as exc:  # the worker stays card-only (no consent recorded)
                        log.warning("enrollment failed for %s: %s", w.name, exc)
                    progress.advance(task)

            # 5. Gates: provisioned over HTTP, roster downloaded by their sync workers.
            task = progress.add_task("闸机注册与花名册下载 / provisioning gates", total=2)
            for key in (IN, OUT):
                gate = Gate(root, code=ids.codes[key], direction=key, server_url=server.url)
                gates[key] = gate
                gate.provision(ids.provisioning[key])
                gate.start()
            version = roster_version(factory, ids.project)
            for gate in gates.values():
                if not gate.wait_roster(version, timeout_s=60):
                    raise DemoError("花名册下载超时", "roster download timed out")
                progress.advance(task)

            # 6. The month.
            plan = plan_month(
                workers,
                cal=cal,
                now=now,
                photo_for={
                    w.key: str(pair_of[w.photo_person].gate) for w in workers if w.photo_person
                },
                stranger_photo=str(stranger) if stranger else None,
                stranger_card=stranger_id(),
            )
            sim = simulate(plan, gates, workers, factory, ids.project, progress, console)
            drain(gates, progress)
            gate_facts = {}
            for key, gate in gates.items():
                assert gate.rt is not None  # noqa: S101
                st = gate.rt.outbox.stats()
                gate_facts[key] = {
                    "recorded": st.last_seq,
                    "depth": st.depth,
                    "acked_through": st.acked_through,
                    "timeouts": gate.timeouts,
                    "outbox": str(gate.cfg.outbox_path),
                    "device_id": ids.devices[key],
                }
            for gate in gates.values():
                gate.clock.follow_real()  # back to the present: heartbeats, online on the board
            facts = server_facts(factory, ids)

            # 7. The month's pay: wage sheets, the workers' confirmations, the 代发 file.
            pay_month = month_faults(factory, ids, plan, workers)
            create_accounts(factory, ids.project, pay_month[1].underpaid.worker_id)
            wages = wage_cycle(
                server.url, factory, root, ids, plan, workers, pay_month, progress,
                station=station, matcher=matcher,
                photos={w.worker_id: str(pair_of[w.photo_person].gate)
                        for w in workers if w.photo_person},
                scale=scale,
            )  # fmt: skip

            # 8. The bank's result, and reconciliation.
            recon = payroll_and_reconcile(
                factory, root, ids, plan, workers, progress, today, cal.pay_day, pay_month,
                wages.nets,
            )  # fmt: skip

            # 9. A ZKTeco face terminal at the side gate, over the real PUSH protocol.
            say(
                progress.console,
                "侧门人脸终端(中控 PUSH)",
                "a ZKTeco face terminal at the side gate",
            )
            side = demo_terminal.side_gate(factory, server.url, ids.project, workers)
            # the board after the side gate too: who came in there is on site now as well
            live = live_board(server.url, ids.project, workers, plan, also_inside=side["passed"])

            # 10. The wage-protection records (the deposit left out on purpose) and the report
            # to a fake real-name platform, over its real signed protocol.
            say(
                progress.console,
                "工资保障记录与实名制平台上报(工资保证金故意未登记)",
                "wage-protection records and the platform report (the deposit left out on "
                "purpose)",
            )
            contracts = demo_platform.record_safeguards(
                factory, ids.project, today, DEMO_ACCOUNTS[1][0]
            )
            platform_server, platform_facts = demo_platform.report(factory, ids.project)
            platform_facts["contracts"] = contracts
            checks = demo_platform.checklist(factory, ids.project)

        report: dict[str, Any] = {
            "period": plan.period,
            "fast": fast,
            "url": server.url,
            "server_pid": server.pid,
            "database": str(root / "sitegate.sqlite3"),
            "project_id": ids.project,
            "working_days": len(plan.working_days),
            "live_days": [d.isoformat() for d in plan.live_days],
            "now": now.isoformat(),
            "live": live,
            "face_workers": enrolled,
            "staged_refusals": plan.staged,
            "offline_days": [d.isoformat() for d in plan.offline_days],
            "gates": gate_facts,
            "server": facts,
            "sim": sim,
            "recon": recon,
            "wages": wage_report(wages),
            "terminal": side,
            "platform": platform_facts,
            "checklist": checks,
            "elapsed_s": round(time.monotonic() - t_start, 1),
        }
        (root / "summary.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        console.print(summary_table(report))
        if fast:
            return report
        console.print(accounts_panel(server.url))
        try:
            server.wait()
        except KeyboardInterrupt:
            console.print("正在停止 / stopping …")
        return report
    finally:
        for gate in gates.values():
            gate.close()
        if station is not None:
            station.close()
        if server is not None:
            server.stop()
        if platform_server is not None:
            platform_server.__exit__(None, None, None)
        if engine is not None:
            engine.dispose()
