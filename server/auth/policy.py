"""What each role may see of each kind of resource: the one table, pure data.

Every API operation and page names the resource kind it serves and whether it reads or writes
(server/auth/scope.py enforces it); tests/integration/server/test_authorization_matrix.py walks
every operation and page as every kind of principal against this table.

The answers, everywhere the same:
- a project outside the caller's scope, or a row of another worker when the role sees only its
  own, is 404: its existence is not disclosed;
- on a project in scope, a kind the role may not see (a worker asking for a project-wide list),
  or a write by a role that only reads, is 403.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from models.enums import Role


class Resource(StrEnum):
    """Kinds of things a route shows or changes."""

    PROJECT = "project"  # the project record itself (GET/PATCH /projects/{id}, the list)
    NEW_PROJECT = "new_project"  # creating projects
    SETTINGS = "settings"  # the project's thresholds (RULES.md)
    ATTENDANCE = "attendance"  # daily/monthly rosters and their exports, the "now" board
    CORRECTIONS = "corrections"  # 补卡 records
    WORKERS = "workers"  # the registry: workers, assignments, cards, face templates, 花名册
    FULL_IDS = "full_ids"  # ID and bank numbers unmasked (`?full=true`, 花名册 export), audited
    CONSENT = "consent"  # a worker's face-recognition consent
    COMPANIES = "companies"  # firms on projects and their teams
    DEVICES = "devices"  # gates: list, registration, provisioning codes, chain check
    CONFIRMERS = "confirmers"  # 现场确认人: who may open the gate for others
    PAYROLL = "payroll"  # 代发 imports and the 工资支付台账 ledger
    RECONCILIATION = "reconciliation"  # runs, the table, its XLSX and PDF
    FINDINGS = "findings"  # 预警: read, resolve, reopen
    FINDING_WAIVER = "finding_waiver"  # waiving a finding (not the project's own manager)
    WAGE_SHEETS = "wage_sheets"  # 工资支付表: build, send, lock, the 代发 file; disputes resolved
    WAGE_LINES = "wage_lines"  # one worker's line of a sheet: read it, confirm or dispute it
    ACTIVATION = "activation"  # one-time codes a worker signs up with (ID number + code)
    PAYSLIPS = "payslips"  # 工资清单 of one worker
    EVIDENCE = "evidence"  # 考勤凭证 of one worker
    NOTICE = "notice"  # the project's notice board (维权信息告示牌): edited by the site
    OBJECTIONS = "objections"  # 考勤/工资有异议: a worker's objection to a month, the reply
    USERS = "users"  # accounts
    AUDIT = "audit"  # the audit log
    DIGESTS = "digests"  # the server-signed daily digests of the gates' checkpoints
    PLATFORM = "platform"  # reports to the real-name platform: what went, what was refused
    # 欠薪线索 (server/complaints): filed by a worker (their own) or entered by an inspector.
    COMPLAINTS = "complaints"
    COMPLAINT_HANDLING = "complaint_handling"  # owner, status moves, reopen: the regulator's
    SAFEGUARDS = "safeguards"  # wage account, deposit, payment guarantee, labour officer, 专户流水
    LABOUR_CONTRACTS = "labour_contracts"  # 劳动合同 / 用工书面协议 of one assignment, its scan
    CHECKLIST = "checklist"  # the per-project checklist (five systems) and the cross-project view


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


class Access(Enum):
    """How far a role reaches into one kind of resource (on the projects in its scope)."""

    NONE = "none"
    OWN = "own"  # only rows of the caller's own worker record, read-only
    OWN_WRITE = "own+write"  # only the caller's own rows, and may change them
    READ = "read"
    WRITE = "write"

    @property
    def own_only(self) -> bool:
        return self in (Access.OWN, Access.OWN_WRITE)

    def allows(self, action: Action) -> bool:
        if self is Access.NONE:
            return False
        return action is Action.READ or self in (Access.WRITE, Access.OWN_WRITE)


N, OWN, OWN_W, R, W = Access.NONE, Access.OWN, Access.OWN_WRITE, Access.READ, Access.WRITE
ADM, MGR, INS, WKR = Role.ADMIN, Role.SITE_MANAGER, Role.INSPECTOR, Role.WORKER

# resource -> role -> access. Inspectors read (and resolve or waive findings); site managers
# write on their projects; a worker reaches only their own records and their project's record.
POLICY: dict[Resource, dict[Role, Access]] = {
    Resource.PROJECT: {ADM: W, MGR: W, INS: R, WKR: R},
    Resource.NEW_PROJECT: {ADM: W, MGR: N, INS: N, WKR: N},
    Resource.SETTINGS: {ADM: W, MGR: W, INS: R, WKR: N},
    Resource.ATTENDANCE: {ADM: R, MGR: R, INS: R, WKR: OWN},
    Resource.CORRECTIONS: {ADM: W, MGR: W, INS: R, WKR: OWN},
    Resource.WORKERS: {ADM: W, MGR: W, INS: R, WKR: OWN},
    Resource.FULL_IDS: {ADM: R, MGR: R, INS: N, WKR: N},
    Resource.CONSENT: {ADM: W, MGR: W, INS: R, WKR: OWN_W},
    Resource.COMPANIES: {ADM: W, MGR: W, INS: R, WKR: N},
    Resource.DEVICES: {ADM: W, MGR: W, INS: R, WKR: N},
    Resource.CONFIRMERS: {ADM: W, MGR: W, INS: N, WKR: N},
    Resource.PAYROLL: {ADM: W, MGR: W, INS: R, WKR: N},
    Resource.RECONCILIATION: {ADM: W, MGR: W, INS: R, WKR: N},
    Resource.FINDINGS: {ADM: W, MGR: W, INS: W, WKR: N},
    Resource.FINDING_WAIVER: {ADM: W, MGR: R, INS: W, WKR: N},
    Resource.WAGE_SHEETS: {ADM: W, MGR: W, INS: R, WKR: N},
    Resource.WAGE_LINES: {ADM: R, MGR: R, INS: R, WKR: OWN_W},
    Resource.ACTIVATION: {ADM: W, MGR: W, INS: N, WKR: N},
    Resource.PAYSLIPS: {ADM: R, MGR: R, INS: R, WKR: OWN},
    Resource.EVIDENCE: {ADM: R, MGR: R, INS: R, WKR: OWN},
    Resource.NOTICE: {ADM: W, MGR: W, INS: R, WKR: OWN},
    Resource.OBJECTIONS: {ADM: W, MGR: W, INS: R, WKR: OWN_W},
    Resource.USERS: {ADM: W, MGR: N, INS: N, WKR: N},
    Resource.AUDIT: {ADM: R, MGR: R, INS: N, WKR: N},
    Resource.DIGESTS: {ADM: R, MGR: R, INS: R, WKR: N},
    Resource.PLATFORM: {ADM: W, MGR: W, INS: R, WKR: N},
    # A complaint goes to the regulator, who keeps the complainant's identity from the firm
    # complained about (举报人保密): the site manager sees none (docs/complaints.md); the
    # inspector asks the site for records through the pages it already has.
    Resource.COMPLAINTS: {ADM: W, MGR: N, INS: W, WKR: OWN_W},
    Resource.COMPLAINT_HANDLING: {ADM: W, MGR: N, INS: W, WKR: N},
    Resource.SAFEGUARDS: {ADM: W, MGR: W, INS: R, WKR: N},
    Resource.LABOUR_CONTRACTS: {ADM: W, MGR: W, INS: R, WKR: OWN},
    # Read-only everywhere: it is computed from the records, each fixed on its own page.
    Resource.CHECKLIST: {ADM: R, MGR: R, INS: R, WKR: N},
}


class Area(StrEnum):
    """The page areas: each role has its own working pages (links between them are convenience,
    the table above still decides every page's data)."""

    SITE = "site"  # /site/...
    INSPECT = "inspect"  # /inspect/...
    ME = "me"  # /me/...
    ADMIN = "admin"  # /admin/...
    ANY = "any"  # pages any signed-in account opens (its password, the settings page)


AREAS: dict[Area, frozenset[Role]] = {
    Area.SITE: frozenset({ADM, MGR}),
    Area.INSPECT: frozenset({ADM, INS}),
    Area.ME: frozenset({WKR}),
    Area.ADMIN: frozenset({ADM}),
    Area.ANY: frozenset(Role),
}


def access(role: Role, resource: Resource) -> Access:
    return POLICY[resource][role]


def may_enter(role: Role, area: Area) -> bool:
    return role in AREAS[area]
