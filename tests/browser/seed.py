"""A realistic site for the browser tests: firms, teams, 30 workers, signed gate chains over six
weeks ingested through the real ingest service, a February payroll with faults, three accounts.

The pages run on a fixed clock (NOW) so "today" has arrivals, departures and refusals.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.device_auth import new_private_key, public_key_hex, sign_event_hash
from models.enums import (
    CompanyRole,
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    Role,
    WageKind,
)
from models.gate_event import GENESIS_HASH, GateEvent, GateEventBody, seal
from models.ids import mask_id_number
from models.sync import EventBatch
from platforms.national.fake_platform import FakePlatform, FakePlatformServer
from server.auth import service as auth_service
from server.auth.models import User
from server.config import Settings
from server.ingest import service as ingest_service
from server.payroll.models import PayrollImport, PayrollLine
from server.platform import runner as platform_runner
from server.platform import service as platform_service
from server.reconciliation import service as recon_service
from server.registry.models import Assignment, Device, Project, Worker
from server.terminals import service as terminal_service
from server.terminals.models import TerminalCommand, TerminalUser
from tests.factories import (
    make_assignment,
    make_company,
    make_id_number,
    make_project,
    make_team,
    make_worker,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=TZ).astimezone(dt.UTC)
PASSWORD = "site-gate-demo-1"

NAMES = [
    "张伟", "王芳", "李强", "刘洋", "陈杰", "杨军", "赵磊", "黄勇", "周涛", "吴斌",
    "徐明", "孙浩", "胡鹏", "朱林", "高峰", "林飞", "何刚", "郭亮", "马超", "罗平",
    "梁辉", "宋健", "郑宇", "谢东", "韩冰", "唐文", "冯雷", "于洪", "董建", "萧远",
]  # fmt: skip
TRADES = ["钢筋工", "木工", "混凝土工", "架子工"]


@dataclass
class Seeded:
    project: Project
    other_project: Project
    manager: User
    inspector: User
    worker_user: User
    worker: Worker
    other_worker: Worker
    period: str
    # A second worker account (张伟, the same firm as 王芳): the wage sheet test needs two.
    colleague_user: User | None = None
    colleague: Worker | None = None
    # A worker paid short in February (赵磊), whose account carries only the role as its name,
    # as the demo's does: the phone test (test_browser_worker_phone.py).
    short_user: User | None = None
    short_worker: Worker | None = None


class _Chain:
    def __init__(self, device: Device, key: Ed25519PrivateKey) -> None:
        self.device = device
        self.key = key
        self.seq = 0
        self.prev = GENESIS_HASH
        self.events: list[GateEvent] = []

    def add(self, at: dt.datetime, **fields: object) -> None:
        self.seq += 1
        values: dict[str, object] = {
            "event_id": uuid.uuid4(),
            "device_id": self.device.code,
            "seq": self.seq,
            "device_time": at.astimezone(dt.UTC),
            "direction": self.device.direction,
            "mode": GateMode.CARD_AND_FACE,
            "credential": CredentialKind.ID_CARD,
            "result": GateResult.GRANTED,
            "face_score": 0.38,
            "prev_hash": self.prev,
        }
        values.update(fields)
        sealed = seal(GateEventBody(**values))  # type: ignore[arg-type]
        event = sealed.model_copy(update={"signature": sign_event_hash(self.key, sealed.hash)})
        self.prev = event.hash
        self.events.append(event)

    def ingest(self, session: Session) -> None:
        for i in range(0, len(self.events), 1000):
            batch = EventBatch(events=self.events[i : i + 1000])
            ingest_service.ingest(session, self.device, batch, now=NOW)


def _device(session: Session, project: Project, code: str, name: str, d: Direction) -> _Chain:
    key = new_private_key()
    device = Device(
        code=code,
        project_id=project.id,
        name=name,
        direction=d,
        public_key=public_key_hex(key),
        model="ZK-SG200",
    )
    session.add(device)
    session.flush()
    return _Chain(device, key)


def _user(session: Session, username: str, role: Role, **kw: object) -> User:
    return auth_service.create_user(
        session,
        username=username,
        password=PASSWORD,
        role=role,
        **kw,  # type: ignore[arg-type]
    )


def seed(session: Session) -> Seeded:
    rng = random.Random(20260318)
    project = make_project(
        session,
        name="城南安置房二期 A3 标段",
        address="北京市丰台区南苑路 88 号",
        region="北京",
        wage_account_bank="中国建设银行北京丰台支行",
        wage_account_no="11050188000000001234",
        notice_board=(
            "项目负责人: 王建国 138 0000 1234\n"
            "劳资专管员: 刘敏 139 0000 5678\n"
            "丰台区人社局劳动保障监察大队: 010-6380 0000\n"
            "全国根治欠薪线索反映平台 / 12333"
        ),
    )
    other = make_project(session, name="别处项目(不应出现)", region="上海")
    gc = make_company(session, project, CompanyRole.GENERAL_CONTRACTOR)
    gc.name = "北京城建安居建设有限公司"
    sub1 = make_company(session, project, CompanyRole.LABOUR_SUBCONTRACTOR)
    sub1.name = "河北恒达劳务有限公司"
    sub2 = make_company(session, project, CompanyRole.SUBCONTRACTOR)
    sub2.name = "四川蜀安建筑劳务有限公司"
    teams = [
        make_team(session, project, sub1, "钢筋班"),
        make_team(session, project, sub1, "木工班"),
        make_team(session, project, sub2, "混凝土班"),
        make_team(session, project, sub2, "架子工班"),
    ]
    workers: list[Worker] = []
    for i, name in enumerate(NAMES):
        team = teams[i % 4]
        worker = make_worker(
            session,
            name=name,
            id_number=make_id_number(dt.date(1975 + i % 20, 1 + i % 12, 1 + i % 27)),
            bank_card=f"62170000{i:011d}",
            phone=f"1380000{i:04d}",
            face_consent=i % 5 != 0,
            face_consent_at=NOW - dt.timedelta(days=60) if i % 5 != 0 else None,
        )
        monthly = i in (3, 17)
        make_assignment(
            session,
            project,
            worker,
            sub1 if team.company_id == sub1.id else sub2,
            team,
            trade=TRADES[i % 4],
            wage_kind=WageKind.MONTHLY if monthly else WageKind.DAILY,
            wage_rate_fen=900000 if monthly else 30000 + (i % 5) * 2500,
            entered_on=dt.date(2026, 1, 5),
        )
        workers.append(worker)
    other_worker = make_worker(session, name="外项目工人")
    make_assignment(session, other, other_worker)

    gate_in = _device(session, project, "A3-GATE-1-IN", "1号门 进", Direction.IN)
    gate_out = _device(session, project, "A3-GATE-1-OUT", "1号门 出", Direction.OUT)
    gate_b = _device(session, project, "A3-GATE-2-IN", "2号门 进", Direction.IN)

    # Six weeks of working days (Sundays off), plus today up to NOW.
    feb_days: dict[int, int] = {}
    day = dt.date(2026, 2, 2)
    today = NOW.astimezone(TZ).date()
    while day <= today:
        if day.weekday() != 6:
            for i, w in enumerate(workers):
                if rng.random() < 0.08 or (i == 5 and day.month == 2 and day.day > 20):
                    continue  # absent
                t_in = dt.datetime.combine(day, dt.time(6, 50), TZ) + dt.timedelta(
                    minutes=rng.randint(0, 50)
                )
                if day.month == 2:
                    feb_days[w.id] = feb_days.get(w.id, 0) + 1
                chain = gate_b if i % 7 == 0 else gate_in
                chain.add(t_in, worker_id=w.id, credential_ref=mask_id_number(w.id_number))
                if day == today:
                    if i % 3 == 0:  # left at lunch
                        t_out = dt.datetime.combine(day, dt.time(12, 5), TZ) + dt.timedelta(
                            minutes=rng.randint(0, 30)
                        )
                        gate_out.add(t_out, worker_id=w.id, direction=Direction.OUT)
                    continue
                if i == 9 and day.day % 9 == 0:
                    continue  # forgot to swipe out: anomaly
                t_out = dt.datetime.combine(day, dt.time(17, 0), TZ) + dt.timedelta(
                    minutes=rng.randint(0, 60)
                )
                gate_out.add(t_out, worker_id=w.id, direction=Direction.OUT)
        day += dt.timedelta(days=1)
    # Refused attempts today, each with its reason.
    for minutes, reason, worker in (
        (7 * 60 + 2, DenyReason.NOT_ON_ROSTER, None),
        (7 * 60 + 15, DenyReason.FACE_MISMATCH, workers[4]),
        (8 * 60 + 40, DenyReason.NO_SAFETY_TRAINING, workers[12]),
        (13 * 60 + 5, DenyReason.ANTI_PASSBACK, workers[1]),
    ):
        at = dt.datetime.combine(today, dt.time(0), TZ) + dt.timedelta(minutes=minutes)
        gate_in.add(
            at,
            worker_id=worker.id if worker else None,
            result=GateResult.REFUSED,
            reason=reason,
            face_score=None,
        )
    for chain in (gate_in, gate_out, gate_b):
        chain.ingest(session)
    # Gate health as heartbeats would have left it: gate 2 has been silent for two hours.
    for chain, seen, queue, skew in (
        (gate_in, NOW - dt.timedelta(seconds=20), 0, 120),
        (gate_out, NOW - dt.timedelta(seconds=45), 2, -380),
        (gate_b, NOW - dt.timedelta(hours=2), 37, 5200),
    ):
        chain.device.last_seen_at = seen
        chain.device.queue_depth = queue
        chain.device.clock_skew_ms = skew
        chain.device.last_event_at = chain.events[-1].device_time
    session.flush()

    _payroll(session, project, workers, feb_days)
    recon_service.run(session, project_id=project.id, period="2026-02", today=NOW.date())

    manager = _user(
        session, "zhang.manager", Role.SITE_MANAGER, full_name="张经理", project_ids=[project.id]
    )
    inspector = _user(session, "li.inspector", Role.INSPECTOR, full_name="李监察", region="北京")
    worker_user = _user(
        session, "wang.worker", Role.WORKER, full_name=workers[1].name, worker_id=workers[1].id
    )
    _user(session, "zhao.admin", Role.ADMIN, full_name="赵管理员")
    colleague_user = _user(
        session, "zhang.worker", Role.WORKER, full_name=workers[0].name, worker_id=workers[0].id
    )
    short_user = _user(
        session, "zhao.worker", Role.WORKER, full_name="工人", worker_id=workers[6].id
    )
    session.flush()
    return Seeded(
        project, other, manager, inspector, worker_user, workers[1], other_worker, "2026-02",
        colleague_user, workers[0], short_user, workers[6],
    )  # fmt: skip


def _payroll(
    session: Session, project: Project, workers: list[Worker], days: dict[int, int]
) -> None:
    """February's 代发 result with the faults an inspector should find."""
    imp = PayrollImport(
        project_id=project.id,
        file_name="2026-02-代发结果.xlsx",
        sha256="0" * 64,
        layout="canonical",
        row_count=0,
    )
    session.add(imp)
    session.flush()
    row = 0

    def line(w: Worker | None, net_yuan: int, **kw: object) -> None:
        nonlocal row
        row += 1
        values: dict[str, object] = {
            "import_id": imp.id,
            "project_id": project.id,
            "period": "2026-02",
            "row_no": row,
            "payee_name": w.name if w else "赵四",
            "payee_id_number": w.id_number if w else make_id_number(),
            "account_no": (w.bank_card if w else None) or "6217000099999999999",
            "bank_name": "中国建设银行",
            "net_fen": net_yuan * 100,
            "gross_fen": net_yuan * 100,
            "days_declared": None,
            "paid_on": dt.date(2026, 3, 13),
            "status": "success",
            "worker_id": w.id if w else None,
        }
        values.update(kw)
        session.add(PayrollLine(**values))

    def due(i: int, w: Worker) -> int:
        if i in (3, 17):
            return 9000  # monthly wage
        return (300 + (i % 5) * 25) * days.get(w.id, 0)

    for i, w in enumerate(workers):
        if i == 2:
            continue  # unpaid
        if i == 6:
            line(w, 3000)  # underpaid
        elif i == 8:
            line(w, due(i, w), account_no="6217000088888888888")  # the team leader's card
        elif i == 10:
            line(w, due(i, w), status="failed")
        elif i == 11:
            line(w, due(i, w), paid_on=dt.date(2026, 3, 17))  # late
        elif i == 14:
            line(w, due(i, w), days_declared=float(days.get(w.id, 0) + 3))  # days differ
        else:
            line(w, due(i, w))
    line(None, 6500)  # a payee nobody registered
    imp.row_count = row
    session.flush()


def seed_terminals(session: Session, settings: Settings, data: Seeded) -> None:
    """Two face terminals on the gates page: an approved ZKTeco terminal in contact, holding
    most workers, one removal unconfirmed and one picture refused; a Hikvision terminal
    registered but not yet approved. No records of theirs: the month's figures stay the gates'."""
    project = data.project
    zk = terminal_service.add_terminal(
        session, settings, None, project, code="A3-ZK-3-IN", vendor="zkteco",
        serial_number="CKJX212360042", direction=Direction.IN, model="SpeedFace-V5L",
        name="3号门 人脸",
    )  # fmt: skip
    terminal_service.add_terminal(
        session, settings, None, project, code="A3-HK-3-OUT", vendor="hikvision",
        serial_number="DS-K1T671M0001", direction=Direction.OUT, model="DS-K1T671M",
        name="3号门 出 人脸", url="http://192.168.1.64", username="admin", password="admin12345",
    )  # fmt: skip
    terminal_service.approve(session, settings, None, zk, now=NOW - dt.timedelta(days=20))
    zk.last_seen_at = NOW - dt.timedelta(seconds=40)
    workers = session.scalars(
        select(Assignment.worker_id)
        .where(Assignment.project_id == project.id)
        .order_by(Assignment.id)
    ).all()
    for worker_id in workers[:-2]:
        session.add(TerminalUser(device_id=zk.id, worker_id=worker_id, pin=str(worker_id),
                                 access="face", digest="seed", confirmed_at=NOW))  # fmt: skip
    left, refused = workers[-3], workers[-1]
    session.add(
        TerminalCommand(
            device_id=zk.id, worker_id=left, pin=str(left), action="delete", reason="left",
            state="sent", created_at=NOW, sent_at=NOW,
        )
    )  # fmt: skip
    session.add(TerminalCommand(device_id=zk.id, worker_id=refused, pin=str(refused),
                                action="upsert", reason="new", state="failed", return_code=-1,
                                payload={"access": "face"}, created_at=NOW))  # fmt: skip
    session.flush()


def seed_platform(session: Session, settings: Settings, data: Seeded) -> None:
    """The project has reported to a (fake) national platform through the real upload run: most
    of it went; one worker with a trade the platform does not know is held back by the local
    check, and one the platform refused in its own words. The platform is gone afterwards, so
    pressing the button shows the run pausing, not a hang."""
    project = data.project
    fake = FakePlatform(secrets={project.code: "browser-platform-secret-32-bytes"[:32]})
    first = session.scalars(
        select(Assignment).where(Assignment.project_id == project.id).order_by(Assignment.id)
    ).first()
    assert first is not None
    first.trade = "宇航员"
    with FakePlatformServer(fake) as server:
        platform_service.configure(
            session, settings, project, url=server.url, appid=project.code,
            secret="browser-platform-secret-32-bytes"[:32], options={"lng": 116.39, "lat": 39.8},
        )  # fmt: skip

        def unit(work: Any) -> Any:
            out = work(session, settings, project)
            session.flush()
            return out

        platform_runner.run(unit, now=dt.datetime.now(dt.UTC), max_calls=12)
        fake.reject_next = 1  # the next write is refused after the platform's own checks
        for _ in range(8):  # until everything that can go went and every ticket is answered
            report = platform_runner.run(unit, now=dt.datetime.now(dt.UTC))
            if report.sent == 0 and report.polled == 0:
                break
    session.flush()


def seed_checklist(session: Session) -> Project:
    """A second project in 北京 with every wage-protection record but the wage account's
    tripartite agreement: orange on the checklist, so the inspector's cross-project view has a
    red project (the seeded one: no deposit, no labour officer) to list before it."""
    from server.notice.models import NoticeBoard
    from server.platform.models import PlatformAccount
    from server.safeguards.models import LabourOfficer, WageAccount, WageDeposit

    project = make_project(session, name="城北配套学校 B1 标段", region="北京")
    session.add_all(
        [
            WageAccount(project_id=project.id, bank_name="中国工商银行北京朝阳支行",
                        account_no="0200000000000005678", account_name="城北配套学校专户",
                        opened_on=dt.date(2026, 1, 5)),
            WageDeposit(project_id=project.id, form="cash", amount_fen=80_000_000,
                        paid_on=dt.date(2026, 1, 8)),
            LabourOfficer(project_id=project.id, name="孙劳资", phone="13900001111",
                          appointed_on=dt.date(2026, 1, 1)),
            NoticeBoard(project_id=project.id, officer_name="孙劳资", officer_phone="13900001111",
                        min_wage_month_fen=254_000, pay_day=15, inspection_phone="010-63800000"),
            # no uploads yet, nothing refused; the seeded project's account is the one reporting
            PlatformAccount(project_id=project.id, base_url="http://127.0.0.1:9", appid="B1",
                            secret=b"-", options={}),
        ]
    )  # fmt: skip
    for name in ("钱一", "钱二"):
        make_assignment(session, project, make_worker(session, name))
    session.flush()
    return project
