"""The authorization matrix's world: two projects in two regions with a row of every kind, and
one principal of every kind, each with a live session (bearer token, cookie and CSRF token).

Project A (北京): workers W1 and W2, manager A, inspector of 北京, worker accounts of W1 and W2.
Project B (上海): worker W3, manager B, inspector of 上海. Each project has a firm, a team, a
gate, a confirmer, a bound card, a January 补卡 and a February payment per worker, and a reconciled
February, so every id in every path names a real row and every list has a name to leak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Direction, Role
from server.anchors import digest
from server.auth import service as auth_service
from server.auth.models import AuditLog, User
from server.complaints.models import Complaint
from server.config import Settings
from server.objections.models import Objection
from server.reconciliation import service as recon_service
from server.reconciliation.models import Finding
from server.registry.models import (
    CardBinding,
    Company,
    Device,
    GateConfirmer,
    Project,
    Worker,
)
from server.rosters.models import AttendanceCorrection
from server.safeguards.models import LabourContract, LabourOfficer, WageAccount, WageDeposit
from server.wages.models import WageItem, WageLine, WageSheet
from tests.factories import (
    make_assignment,
    make_company,
    make_device,
    make_payment,
    make_project,
    make_team,
    make_user,
    make_worker,
)

PERIOD = "2026-02"
TODAY = dt.date(2026, 3, 18)
DIGEST_DAY = "2026-03-17"  # a daily digest issued for each project (server/anchors)
# Names found nowhere else in a page or export, so a leak is unambiguous.
NAMES = {"W1": "矩阵甲一", "W2": "矩阵甲二", "W3": "矩阵乙三"}
PROJECT_NAMES = {"A": "矩阵甲项目", "B": "矩阵乙项目"}


@dataclass(frozen=True)
class Bundle:
    """The ids that fill one walk's path parameters: one project's rows and one worker."""

    key: str  # "A/W1", "A/W2", "B/W3"
    project: str  # "A" | "B"
    worker: str  # "W1" | "W2" | "W3"
    params: dict[str, str]


@dataclass(frozen=True)
class Principal:
    key: str
    role: Role | None  # None: no credentials
    projects: frozenset[str]  # the projects in scope ("A", "B")
    worker: str | None = None  # a worker account's own worker
    bearer: str = ""
    cookie: str = ""
    csrf: str = ""
    bundles: tuple[str, ...] = ()  # which bundles this principal walks


@dataclass
class World:
    projects: dict[str, Project]
    workers: dict[str, Worker]
    worker_project: dict[str, str]
    bundles: dict[str, Bundle]
    principals: dict[str, Principal] = field(default_factory=dict)

    def visible_names(self, principal: Principal) -> set[str]:
        """The worker and project names this principal may see anywhere."""
        projects = {PROJECT_NAMES[p] for p in principal.projects}
        if principal.role is Role.WORKER:
            return projects | ({NAMES[principal.worker]} if principal.worker else set())
        names = {NAMES[w] for w, p in self.worker_project.items() if p in principal.projects}
        return names | projects

    def all_names(self) -> set[str]:
        return set(NAMES.values()) | set(PROJECT_NAMES.values())


def _project_rows(
    session: Session, key: str, region: str, workers: list[str]
) -> tuple[Project, dict[str, Worker], dict[str, str], dict[str, dict[str, str]]]:
    """The project's rows; its ids, and each worker's (worker, assignment, card) ids."""
    project = make_project(session, name=PROJECT_NAMES[key], region=region)
    company = make_company(session, project)
    team = make_team(session, project, company)
    device = make_device(session, project)
    confirmer = GateConfirmer(project_id=project.id, card_uid=f"C0FF{key}{key}01", name="确认人")
    session.add(confirmer)
    # The wage-protection records the safeguards API and page show (server/safeguards).
    session.add_all(
        [
            WageAccount(
                project_id=project.id, bank_name="建设银行", account_no=f"6227000000{ord(key)}01",
                account_name=f"{PROJECT_NAMES[key]}专户", owner_name="业主",
            ),
            WageDeposit(
                project_id=project.id, form="cash", amount_fen=100_000_00,
                paid_on=dt.date(2026, 1, 1),
            ),
            LabourOfficer(
                project_id=project.id, name="劳资员", phone="13800138000",
                appointed_on=dt.date(2026, 1, 1),
            ),
        ]
    )  # fmt: skip
    made: dict[str, Worker] = {}
    common: dict[str, str] = {
        "project_id": str(project.id),
        "company_id": str(company.id),
        "team_id": str(team.id),
        "device_id": str(device.id),
        "period": PERIOD,
    }
    per_worker: dict[str, dict[str, str]] = {}
    for n, wkey in enumerate(workers, start=1):
        worker = make_worker(session, name=NAMES[wkey], bank_card=f"621700000000{ord(key)}{n:03d}")
        assignment = make_assignment(session, project, worker, company, team)
        uid = f"AB{ord(key):02X}{n:02d}CD"
        session.add(CardBinding(assignment_id=assignment.id, uid=uid))
        make_payment(session, project, worker, period=PERIOD, net_yuan=3000)
        # A 补卡 (in January: February stays unattended, so reconciling it finds something).
        at = dt.datetime(2026, 1, 10, 0, 30, tzinfo=dt.UTC)
        correction = AttendanceCorrection(
            project_id=project.id,
            worker_id=worker.id,
            at=at,
            direction=Direction.IN,
            reason=f"{NAMES[wkey]}忘带卡",
        )
        session.add(correction)
        # A labour contract with its scan (the worker reads their own, server/safeguards).
        session.add(
            LabourContract(
                assignment_id=assignment.id, project_id=project.id, kind="labour_contract",
                code=f"HT-{key}{n}", signed_on=dt.date(2026, 1, 1), start_on=dt.date(2026, 1, 1),
                pay_unit="day", unit_price_fen=35000, scan=b"%PDF-1.4 contract",
                scan_type="application/pdf",
            )
        )  # fmt: skip
        objection = Objection(
            project_id=project.id, worker_id=worker.id, period=PERIOD, kind="pay",
            text=f"{NAMES[wkey]}的异议",
        )  # fmt: skip
        session.add(objection)
        complaint = Complaint(
            project_id=project.id, worker_id=worker.id, source="worker_phone", channel="app",
            periods=PERIOD, text=f"{NAMES[wkey]}的欠薪线索", status="received",
            received_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), due_on=dt.date(2026, 3, 16),
        )  # fmt: skip
        session.add(complaint)
        session.flush()
        made[wkey] = worker
        per_worker[wkey] = {
            "worker_id": str(worker.id),
            "assignment_id": str(assignment.id),
            "uid": uid,
            # approving it answers 409 (it counts already, not pending): past the scope check
            "correction_id": str(correction.id),
            "objection_id": str(objection.id),
            # moving it to "resolved" without a note answers 409: past the scope check
            "complaint_id": str(complaint.id),
        }
    session.flush()
    common["confirmer_id"] = str(confirmer.id)
    common |= _wage_sheet(session, project, company, made, per_worker)
    return project, made, common, per_worker


def _wage_sheet(
    session: Session,
    project: Project,
    company: Company,
    made: dict[str, Worker],
    per_worker: dict[str, dict[str, str]],
) -> dict[str, str]:
    """A sent wage sheet with a line (and an item) per worker: every worker's own line to walk."""
    sheet = WageSheet(
        project_id=project.id, company_id=company.id, period=PERIOD, state="sent",
        line_count=len(made),
    )  # fmt: skip
    session.add(sheet)
    session.flush()
    for wkey, worker in made.items():
        line = WageLine(
            sheet_id=sheet.id, project_id=project.id, period=PERIOD, worker_id=worker.id,
            name=worker.name, id_number=worker.id_number, wage_kind="daily", state="awaiting",
            shown_hash="0" * 64, base_fen=300000, gross_fen=300000, net_fen=300000,
        )  # fmt: skip
        session.add(line)
        session.flush()
        item = WageItem(line_id=line.id, category="overtime", reason="加班", amount_fen=100)
        session.add(item)
        session.flush()
        per_worker[wkey]["line_id"] = str(line.id)
        per_worker[wkey]["item_id"] = str(item.id)
    return {"sheet_id": str(sheet.id)}


def _digests(session: Session, settings: Settings, project: Project) -> None:
    """The project's gate enrolled two days before TODAY: its daily digests up to yesterday."""
    device = session.scalars(select(Device).where(Device.project_id == project.id)).first()
    assert device is not None
    enrolled = dt.datetime.combine(TODAY - dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC)
    session.add(
        AuditLog(
            at=enrolled, project_id=project.id, action="provision", entity="device",
            entity_id=device.id,
            detail={"code": device.code, "public_key": "ab" * 32, "old_public_key": None},
        )
    )  # fmt: skip
    session.flush()
    now = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
    assert digest.issue_through(session, settings, project.id, now=now)


def build_world(session: Session, settings: Settings) -> World:
    projects: dict[str, Project] = {}
    workers: dict[str, Worker] = {}
    worker_project: dict[str, str] = {}
    commons: dict[str, dict[str, str]] = {}
    per_worker: dict[str, dict[str, str]] = {}
    for key, region, wkeys in (("A", "北京", ["W1", "W2"]), ("B", "上海", ["W3"])):
        project, made, common, ids = _project_rows(session, key, region, wkeys)
        projects[key] = project
        workers |= made
        worker_project |= dict.fromkeys(made, key)
        commons[key] = common
        per_worker |= ids
    for project in projects.values():
        recon_service.run(session, project_id=project.id, period=PERIOD, today=TODAY)
        _digests(session, settings, project)
    findings = {
        key: session.query(Finding).filter_by(project_id=p.id, period=PERIOD).first()
        for key, p in projects.items()
    }
    users: dict[str, User] = {
        "admin": make_user(session, Role.ADMIN),
        "manager_a": make_user(session, Role.SITE_MANAGER, [projects["A"]]),
        "manager_b": make_user(session, Role.SITE_MANAGER, [projects["B"]]),
        "inspector_a_region": make_user(session, Role.INSPECTOR, region="北京"),
        "inspector_other_region": make_user(session, Role.INSPECTOR, region="上海"),
        "worker_w1": make_user(session, Role.WORKER, worker=workers["W1"]),
        "worker_w2": make_user(session, Role.WORKER, worker=workers["W2"]),
    }
    bundles: dict[str, Bundle] = {}
    for wkey, pkey in worker_project.items():
        finding = findings[pkey]
        assert finding is not None, f"project {pkey} has no finding to walk"
        params = (
            commons[pkey]
            | per_worker[wkey]
            | {
                "finding_id": str(finding.id),
                # An account the admin pages and API may act on: the other project's manager.
                "user_id": str(users["manager_b" if pkey == "A" else "manager_a"].id),
                "ext": "pdf",
                "code": "en",
                "rest": "no-such-page",
                "day": DIGEST_DAY,
                "serial": "NO-SUCH-TERMINAL",  # a terminal's push: unknown, refused with 401
            }
        )
        bundles[f"{pkey}/{wkey}"] = Bundle(f"{pkey}/{wkey}", pkey, wkey, params)
    world = World(projects, workers, worker_project, bundles)
    # Who walks which ids: their own, and another project's (and, for W1, the colleague's).
    plan: dict[str, tuple[frozenset[str], str | None, tuple[str, ...]]] = {
        "admin": (frozenset({"A", "B"}), None, ("A/W1", "B/W3")),
        "manager_a": (frozenset({"A"}), None, ("A/W1", "B/W3")),
        "manager_b": (frozenset({"B"}), None, ("B/W3", "A/W1")),
        "inspector_a_region": (frozenset({"A"}), None, ("A/W1", "B/W3")),
        "inspector_other_region": (frozenset({"B"}), None, ("B/W3", "A/W2")),
        "worker_w1": (frozenset({"A"}), "W1", ("A/W1", "A/W2", "B/W3")),
        "worker_w2": (frozenset({"A"}), "W2", ("A/W2", "A/W1")),
    }
    for key, user in users.items():
        projects_in, own, walks = plan[key]
        token, row = auth_service.start_session(session, settings, user)
        world.principals[key] = Principal(
            key, user.role, projects_in, own, bearer=token, cookie=token, csrf=row.csrf_token,
            bundles=walks,
        )  # fmt: skip
    world.principals["anonymous"] = Principal("anonymous", None, frozenset(), bundles=("A/W1",))
    return world
