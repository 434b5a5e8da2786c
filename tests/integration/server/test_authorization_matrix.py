"""The authorization matrix: every API operation with an id or a project in its path, and every
page, walked as every kind of principal, against the policy table (server/auth/policy.py).

Each operation names here the resource kind and action it serves; the expected class of answer
(allowed, or 401/403/404) follows from the table and from who is on which project in the world
(authz_support.py), not from the server's code. The set of operations walked must equal the
app's, so an endpoint or page added without an entry here fails the suite; and no answer may be
a 5xx or carry the name of a worker or project the principal may not see.

One world per module: every request runs inside a savepoint rolled back after it, so writes by
allowed principals (a detached firm, a reconciliation run) never change what the next sees.
Typesetting a PDF takes about a second (CJK font) and is the reports tests' subject, not this
one's: here the PDF renderers return a placeholder, after the routes have loaded,
scoped and audited the data exactly as they do in service.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from models.enums import Role
from server.app import create_app
from server.auth.policy import AREAS, POLICY, Access, Action, Area, Resource
from server.config import Settings
from server.deps import SESSION_COOKIE
from server.reports import (
    activation_pdf,
    evidence_pdf,
    notice_pdf,
    payslip_pdf,
    recon_pdf,
    wage_sheet_pdf,
)
from tests.conftest import bind_app
from tests.integration.server.authz_support import Bundle, Principal, World, build_world

R, W = Action.READ, Action.WRITE
Kind = Literal["scoped", "signed_in", "public", "catch_all"]


@dataclass(frozen=True)
class Op:
    """What one operation serves. `area`: the page area (pages only); `own`: about the caller's
    own worker record whatever the path says (/me); `query`: what a valid request adds."""

    resource: Resource | None = None
    action: Action = R
    area: Area | None = None
    own: bool = False
    query: str = ""
    kind: Kind = "scoped"
    body: tuple[tuple[str, str], ...] = ()  # a JSON body, where `{}` would not reach the check


SIGNED_IN = Op(kind="signed_in")
PUBLIC = Op(kind="public")
MONTH = "month=2026-02"
WS = "/api/v1/projects/{project_id}/wage-sheets/{sheet_id}"
CP = "/api/v1/projects/{project_id}/complaints/{complaint_id}"
SG = "/api/v1/projects/{project_id}/safeguards"

API: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/auth/users/{user_id}"): Op(Resource.USERS),
    ("PATCH", "/api/v1/auth/users/{user_id}"): Op(Resource.USERS, W),
    ("POST", "/api/v1/auth/users/{user_id}/password"): Op(Resource.USERS, W),
    ("GET", "/api/v1/projects/{project_id}"): Op(Resource.PROJECT),
    ("PATCH", "/api/v1/projects/{project_id}"): Op(Resource.PROJECT, W),
    ("GET", "/api/v1/projects/{project_id}/settings"): Op(Resource.SETTINGS),
    ("PATCH", "/api/v1/projects/{project_id}/settings"): Op(Resource.SETTINGS, W),
    ("GET", "/api/v1/companies/{company_id}"): Op(Resource.COMPANIES),
    ("PATCH", "/api/v1/companies/{company_id}"): Op(Resource.COMPANIES, W),
    ("GET", "/api/v1/projects/{project_id}/companies"): Op(Resource.COMPANIES),
    ("PUT", "/api/v1/projects/{project_id}/companies/{company_id}"): Op(Resource.COMPANIES, W),
    ("DELETE", "/api/v1/projects/{project_id}/companies/{company_id}"): Op(Resource.COMPANIES, W),
    ("GET", "/api/v1/projects/{project_id}/teams"): Op(Resource.COMPANIES),
    ("POST", "/api/v1/projects/{project_id}/teams"): Op(Resource.COMPANIES, W),
    ("PATCH", "/api/v1/projects/{project_id}/teams/{team_id}"): Op(Resource.COMPANIES, W),
    ("GET", "/api/v1/workers/{worker_id}"): Op(Resource.WORKERS),
    ("PATCH", "/api/v1/workers/{worker_id}"): Op(Resource.WORKERS, W),
    ("PUT", "/api/v1/workers/{worker_id}/consent"): Op(Resource.CONSENT, W),
    ("POST", "/api/v1/workers/{worker_id}/face-templates"): Op(Resource.WORKERS, W),
    ("PUT", "/api/v1/workers/{worker_id}/blocklist"): Op(Resource.WORKERS, W),
    ("GET", "/api/v1/projects/{project_id}/assignments"): Op(Resource.WORKERS),
    ("POST", "/api/v1/projects/{project_id}/assignments"): Op(Resource.WORKERS, W),
    ("GET", "/api/v1/projects/{project_id}/assignments/{assignment_id}"): Op(Resource.WORKERS),
    ("PATCH", "/api/v1/projects/{project_id}/assignments/{assignment_id}"): Op(Resource.WORKERS, W),
    ("POST", "/api/v1/projects/{project_id}/assignments/{assignment_id}/enter"): Op(
        Resource.WORKERS, W
    ),
    ("POST", "/api/v1/projects/{project_id}/assignments/{assignment_id}/leave"): Op(
        Resource.WORKERS, W
    ),
    ("POST", "/api/v1/projects/{project_id}/assignments/{assignment_id}/cards"): Op(
        Resource.WORKERS, W
    ),
    ("DELETE", "/api/v1/projects/{project_id}/assignments/{assignment_id}/cards/{uid}"): Op(
        Resource.WORKERS, W
    ),
    ("POST", "/api/v1/projects/{project_id}/roster-import"): Op(Resource.WORKERS, W),
    ("GET", "/api/v1/projects/{project_id}/workers.xlsx"): Op(Resource.WORKERS),
    ("GET", "/api/v1/projects/{project_id}/devices"): Op(Resource.DEVICES),
    ("POST", "/api/v1/projects/{project_id}/devices"): Op(Resource.DEVICES, W),
    ("GET", "/api/v1/projects/{project_id}/devices/{device_id}"): Op(Resource.DEVICES),
    ("PATCH", "/api/v1/projects/{project_id}/devices/{device_id}"): Op(Resource.DEVICES, W),
    ("POST", "/api/v1/projects/{project_id}/devices/{device_id}/provisioning-code"): Op(
        Resource.DEVICES, W
    ),
    ("GET", "/api/v1/projects/{project_id}/devices/{device_id}/chain"): Op(Resource.DEVICES),
    ("GET", "/api/v1/projects/{project_id}/gate-confirmers"): Op(Resource.CONFIRMERS),
    ("POST", "/api/v1/projects/{project_id}/gate-confirmers"): Op(Resource.CONFIRMERS, W),
    ("POST", "/api/v1/projects/{project_id}/gate-confirmers/{confirmer_id}/deactivate"): Op(
        Resource.CONFIRMERS, W
    ),
    ("POST", "/api/v1/projects/{project_id}/payroll/imports"): Op(Resource.PAYROLL, W),
    ("GET", "/api/v1/projects/{project_id}/payroll/imports"): Op(Resource.PAYROLL),
    ("GET", "/api/v1/projects/{project_id}/payroll/ledger"): Op(Resource.PAYROLL),
    ("GET", "/api/v1/projects/{project_id}/payroll/ledger.xlsx"): Op(Resource.PAYROLL),
    ("GET", "/api/v1/projects/{project_id}/workers/{worker_id}/payslips/{period}"): Op(
        Resource.PAYSLIPS
    ),
    ("GET", "/api/v1/projects/{project_id}/workers/{worker_id}/payslips/{period}.pdf"): Op(
        Resource.PAYSLIPS
    ),
    ("POST", "/api/v1/projects/{project_id}/reconciliation/{period}/run"): Op(
        Resource.RECONCILIATION, W
    ),
    ("GET", "/api/v1/projects/{project_id}/reconciliation/{period}"): Op(Resource.RECONCILIATION),
    ("GET", "/api/v1/projects/{project_id}/reconciliation/{period}.xlsx"): Op(
        Resource.RECONCILIATION
    ),
    ("GET", "/api/v1/projects/{project_id}/reconciliation/{period}.pdf"): Op(
        Resource.RECONCILIATION
    ),
    ("POST", "/api/v1/projects/{project_id}/wage-sheets"): Op(Resource.WAGE_SHEETS, W),
    ("GET", "/api/v1/projects/{project_id}/wage-sheets"): Op(Resource.WAGE_SHEETS),
    ("GET", f"{WS}"): Op(Resource.WAGE_SHEETS),
    ("GET", "/api/v1/projects/{project_id}/wage-ledger"): Op(Resource.PAYROLL),
    ("POST", f"{WS}/refresh"): Op(Resource.WAGE_SHEETS, W),
    ("GET", f"{WS}/disbursement.{{ext}}"): Op(Resource.FULL_IDS),
    ("POST", f"{WS}/send"): Op(Resource.WAGE_SHEETS, W),
    ("POST", f"{WS}/lock"): Op(Resource.WAGE_SHEETS, W),
    ("POST", f"{WS}/lines/{{line_id}}/items"): Op(Resource.WAGE_SHEETS, W),
    ("DELETE", f"{WS}/lines/{{line_id}}/items/{{item_id}}"): Op(Resource.WAGE_SHEETS, W),
    ("POST", f"{WS}/lines/{{line_id}}/resolve"): Op(Resource.WAGE_SHEETS, W),
    ("GET", "/api/v1/me/wage-lines/{line_id}"): Op(Resource.WAGE_LINES, own=True),
    ("POST", "/api/v1/me/wage-lines/{line_id}/confirm"): Op(Resource.WAGE_LINES, W, own=True),
    ("POST", "/api/v1/me/wage-lines/{line_id}/dispute"): Op(Resource.WAGE_LINES, W, own=True),
    ("GET", "/api/v1/findings/{finding_id}"): Op(Resource.FINDINGS),
    ("POST", "/api/v1/findings/{finding_id}/actions"): Op(Resource.FINDINGS, W),
    ("GET", "/api/v1/projects/{project_id}/rosters/daily"): Op(
        Resource.ATTENDANCE, query="day=2026-02-10"
    ),
    ("GET", "/api/v1/projects/{project_id}/rosters/daily.xlsx"): Op(
        Resource.ATTENDANCE, query="day=2026-02-10"
    ),
    ("GET", "/api/v1/projects/{project_id}/rosters/monthly"): Op(Resource.ATTENDANCE, query=MONTH),
    ("GET", "/api/v1/projects/{project_id}/rosters/monthly.csv"): Op(
        Resource.ATTENDANCE, query=MONTH
    ),
    ("GET", "/api/v1/projects/{project_id}/rosters/monthly.xlsx"): Op(
        Resource.ATTENDANCE, query=MONTH
    ),
    ("POST", "/api/v1/projects/{project_id}/corrections"): Op(Resource.CORRECTIONS, W),
    ("GET", "/api/v1/projects/{project_id}/corrections"): Op(Resource.CORRECTIONS),
    ("POST", "/api/v1/projects/{project_id}/corrections/{correction_id}/approve"): Op(
        Resource.CORRECTIONS, W
    ),
    ("POST", "/api/v1/projects/{project_id}/corrections/{correction_id}/reject"): Op(
        Resource.CORRECTIONS, W
    ),
    ("GET", "/api/v1/projects/{project_id}/workers/{worker_id}/evidence"): Op(
        Resource.EVIDENCE, query=MONTH
    ),
    ("GET", "/api/v1/projects/{project_id}/workers/{worker_id}/evidence.xlsx"): Op(
        Resource.EVIDENCE, query=MONTH
    ),
    ("GET", "/api/v1/projects/{project_id}/workers/{worker_id}/evidence.pdf"): Op(
        Resource.EVIDENCE, query=MONTH
    ),
    ("GET", "/api/v1/projects/{project_id}/workers/{worker_id}/evidence.zip"): Op(
        Resource.EVIDENCE, query=MONTH
    ),
    ("POST", "/api/v1/projects/{project_id}/activation-codes"): Op(Resource.ACTIVATION, W),
    ("GET", "/api/v1/projects/{project_id}/digests"): Op(Resource.DIGESTS),
    ("GET", "/api/v1/projects/{project_id}/digests/{day}"): Op(Resource.DIGESTS),
    # The wage-protection records (issue 16); a labour contract is its worker's to read too.
    ("GET", SG): Op(Resource.SAFEGUARDS),
    ("PUT", f"{SG}/wage-account"): Op(Resource.SAFEGUARDS, W),
    ("POST", f"{SG}/deposits"): Op(Resource.SAFEGUARDS, W),
    ("POST", f"{SG}/guarantees"): Op(Resource.SAFEGUARDS, W),
    ("POST", f"{SG}/officers"): Op(Resource.SAFEGUARDS, W),
    ("POST", f"{SG}/statements"): Op(Resource.SAFEGUARDS, W),
    ("GET", f"{SG}/contracts/{{assignment_id}}"): Op(Resource.LABOUR_CONTRACTS),
    ("POST", f"{SG}/contracts/{{assignment_id}}"): Op(Resource.LABOUR_CONTRACTS, W),
    ("GET", f"{SG}/contracts/{{assignment_id}}/scan"): Op(Resource.LABOUR_CONTRACTS),
    ("PUT", f"{SG}/contracts/{{assignment_id}}/scan"): Op(Resource.LABOUR_CONTRACTS, W),
    # A Hikvision terminal's event push: no user signs it; the terminal is authenticated by its
    # registered, approved serial number in the path (server/terminals/isapi_router.py).
    ("POST", "/api/v1/terminals/hikvision/{serial}/events"): PUBLIC,
    # 欠薪线索: a worker files and lists their own; a {complaint_id} is about its worker.
    ("POST", "/api/v1/projects/{project_id}/complaints"): Op(Resource.COMPLAINTS, W, own=True),
    ("GET", "/api/v1/projects/{project_id}/complaints"): Op(Resource.COMPLAINTS, own=True),
    ("GET", f"{CP}"): Op(Resource.COMPLAINTS),
    ("POST", f"{CP}/assign"): Op(Resource.COMPLAINT_HANDLING, W),
    ("POST", f"{CP}/transitions"): Op(Resource.COMPLAINT_HANDLING, W),
    ("POST", f"{CP}/reopen"): Op(Resource.COMPLAINT_HANDLING, W),
    ("GET", "/api/v1/projects/{project_id}/checklist"): Op(Resource.CHECKLIST),
}


# Walked as well, though not the path-parameter operations the equality test counts: lists and
# creations without an id, and the waiver, which is decided by the action in the body.
EXTRA: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/projects"): Op(Resource.PROJECT),
    ("POST", "/api/v1/projects"): Op(Resource.NEW_PROJECT, W),
    ("GET", "/api/v1/companies"): Op(Resource.COMPANIES),
    ("POST", "/api/v1/companies"): Op(Resource.COMPANIES, W),
    ("GET", "/api/v1/audit"): Op(Resource.AUDIT),
    ("GET", "/api/v1/auth/users"): Op(Resource.USERS),
    ("POST", "/api/v1/auth/users"): Op(Resource.USERS, W),
    ("POST", "/api/v1/findings/{finding_id}/actions"): Op(
        Resource.FINDING_WAIVER, W, body=(("action", "waive"), ("comment", "矩阵豁免"))
    ),
    # A worker's sign-up with an activation code: public, like /auth/token.
    ("POST", "/api/v1/auth/activate"): PUBLIC,
    # Every project in the caller's scope: the leak check holds it to the caller's names.
    ("GET", "/api/v1/checklist"): Op(Resource.CHECKLIST),
}


def _site(resource: Resource | None = None, action: Action = R) -> Op:
    return Op(resource, action, Area.SITE)


def _inspect(resource: Resource | None = None, action: Action = R) -> Op:
    return Op(resource, action, Area.INSPECT)


def _me(resource: Resource) -> Op:
    return Op(resource, R, Area.ME, own=True)


def _admin(action: Action = R) -> Op:
    return Op(Resource.USERS, action, Area.ADMIN)


P, I_ = "/site/{project_id}", "/inspect/{project_id}/{period}"
SW, IW = f"{P}/wages/{{sheet_id:int}}", f"{I_}/wages/{{sheet_id:int}}"
PAGES: dict[tuple[str, str], Op] = {
    ("GET", "/"): SIGNED_IN,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/lang/{code}"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,  # the site's icon: a file, no data
    # The API docs describe the API, as /openapi.json does; they hold no data.
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/activate"): PUBLIC,
    ("POST", "/activate"): PUBLIC,
    ("GET", "/activate/done"): Op(area=Area.ME),
    ("GET", f"{P}/activation"): _site(Resource.ACTIVATION),
    ("POST", f"{P}/activation"): _site(Resource.ACTIVATION, W),
    ("GET", "/account/password"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", f"{P}/gates"): _site(Resource.DEVICES),
    ("GET", "/inspect/{project_id}/gates"): _inspect(Resource.DEVICES),
    ("GET", f"{P}/platform"): _site(Resource.PLATFORM),
    ("GET", "/inspect/{project_id}/platform"): _inspect(Resource.PLATFORM),
    # the world has no platform account: the run is refused past the scope check (a redirect)
    ("POST", f"{P}/platform/sync"): _site(Resource.PLATFORM, W),
    # The full re-check reads the gates' records; it writes only its own progress and result.
    ("POST", "/inspect/{project_id}/chains/check"): _inspect(Resource.DEVICES),
    ("GET", "/inspect/{project_id}/chains/check"): _inspect(Resource.DEVICES),
    ("GET", f"{P}/gates/new"): _site(Resource.DEVICES, W),
    ("POST", f"{P}/gates/new"): _site(Resource.DEVICES, W),
    ("POST", f"{P}/gates/{{device_id}}/provisioning-code"): _site(Resource.DEVICES, W),
    # approving a face terminal (the world's gates are not terminals: 409, past the scope check)
    ("POST", f"{P}/gates/{{device_id}}/approve"): _site(Resource.DEVICES, W),
    ("POST", f"{P}/gates/confirmers"): _site(Resource.CONFIRMERS, W),
    ("POST", f"{P}/gates/confirmers/{{confirmer_id}}/deactivate"): _site(Resource.CONFIRMERS, W),
    ("GET", f"{P}/settings"): Op(Resource.SETTINGS, R, Area.ANY),
    ("GET", "/inspect/{project_id}/settings"): Op(Resource.SETTINGS, R, Area.ANY),
    ("POST", f"{P}/settings"): _site(Resource.SETTINGS, W),
    ("GET", "/site/"): _site(),
    ("GET", f"{P}/now"): _site(Resource.ATTENDANCE),
    ("GET", f"{P}/now.xlsx"): _site(Resource.ATTENDANCE),
    ("GET", f"{P}/month"): _site(Resource.ATTENDANCE),
    ("GET", f"{P}/month.xlsx"): _site(Resource.ATTENDANCE),
    ("GET", f"{P}/workers"): _site(Resource.WORKERS),
    ("GET", f"{P}/workers.xlsx"): _site(Resource.WORKERS),
    ("POST", f"{P}/workers/batch"): _site(Resource.WORKERS, W),
    ("POST", f"{P}/workers/batch/confirm"): _site(Resource.WORKERS, W),
    ("GET", f"{P}/workers/{{worker_id:int}}"): _site(Resource.WORKERS),
    ("POST", f"{P}/workers/{{worker_id:int}}/full-id"): _site(Resource.WORKERS),
    ("GET", f"{P}/workers/new"): _site(Resource.WORKERS, W),
    ("POST", f"{P}/workers/new"): _site(Resource.WORKERS, W),
    ("GET", f"{P}/workers/{{worker_id:int}}/edit"): _site(Resource.WORKERS, W),
    ("POST", f"{P}/workers/{{worker_id:int}}/edit"): _site(Resource.WORKERS, W),
    ("POST", f"{P}/workers/{{worker_id:int}}/enter"): _site(Resource.WORKERS, W),
    ("POST", f"{P}/workers/{{worker_id:int}}/leave"): _site(Resource.WORKERS, W),
    ("POST", f"{P}/workers/{{worker_id:int}}/correction"): _site(Resource.CORRECTIONS, W),
    ("GET", f"{P}/corrections"): _site(Resource.CORRECTIONS),
    ("POST", f"{P}/corrections/{{correction_id}}/approve"): _site(Resource.CORRECTIONS, W),
    ("POST", f"{P}/corrections/{{correction_id}}/reject"): _site(Resource.CORRECTIONS, W),
    ("GET", f"{P}/import"): _site(Resource.WORKERS, W),
    ("GET", f"{P}/import/template.xlsx"): _site(Resource.WORKERS),
    ("POST", f"{P}/import"): _site(Resource.WORKERS, W),
    ("GET", f"{P}/payroll"): _site(Resource.PAYROLL),
    ("POST", f"{P}/payroll"): _site(Resource.PAYROLL, W),
    ("GET", f"{P}/reconciliation"): _site(Resource.RECONCILIATION),
    ("POST", f"{P}/reconciliation"): _site(Resource.RECONCILIATION, W),
    ("GET", f"{P}/reconciliation.xlsx"): _site(Resource.RECONCILIATION),
    ("GET", f"{P}/reconciliation.pdf"): _site(Resource.RECONCILIATION),
    ("GET", f"{P}/wages"): _site(Resource.WAGE_SHEETS),
    ("POST", f"{P}/wages"): _site(Resource.WAGE_SHEETS, W),
    ("GET", SW): _site(Resource.WAGE_SHEETS),
    ("GET", f"{SW}.xlsx"): _site(Resource.WAGE_SHEETS),
    ("GET", f"{SW}.pdf"): _site(Resource.WAGE_SHEETS),
    ("POST", f"{SW}/refresh"): _site(Resource.WAGE_SHEETS, W),
    ("POST", f"{SW}/send"): _site(Resource.WAGE_SHEETS, W),
    ("POST", f"{SW}/lock"): _site(Resource.WAGE_SHEETS, W),
    # The bank 代发 file: full ID and card numbers, as the API's twin.
    ("GET", f"{SW}/disbursement.{{ext}}"): _site(Resource.FULL_IDS),
    ("GET", f"{SW}/lines/{{line_id}}"): _site(Resource.WAGE_SHEETS),
    ("POST", f"{SW}/lines/{{line_id}}/items"): _site(Resource.WAGE_SHEETS, W),
    ("POST", f"{SW}/lines/{{line_id}}/items/{{item_id}}/remove"): _site(Resource.WAGE_SHEETS, W),
    ("POST", f"{SW}/lines/{{line_id}}/resolve"): _site(Resource.WAGE_SHEETS, W),
    ("GET", f"{I_}/wages"): _inspect(Resource.WAGE_SHEETS),
    ("GET", IW): _inspect(Resource.WAGE_SHEETS),
    ("GET", f"{IW}.xlsx"): _inspect(Resource.WAGE_SHEETS),
    ("GET", f"{IW}.pdf"): _inspect(Resource.WAGE_SHEETS),
    ("GET", f"{IW}/lines/{{line_id}}"): _inspect(Resource.WAGE_SHEETS),
    ("GET", "/me/wages"): _me(Resource.WAGE_LINES),
    ("GET", "/me/wages/{line_id}"): _me(Resource.WAGE_LINES),
    ("POST", "/me/wages/{line_id}/confirm"): Op(Resource.WAGE_LINES, W, Area.ME, own=True),
    ("POST", "/me/wages/{line_id}/dispute"): Op(Resource.WAGE_LINES, W, Area.ME, own=True),
    ("GET", "/inspect/"): _inspect(),
    ("GET", I_): _inspect(Resource.RECONCILIATION),
    ("GET", f"{I_}/workers/{{worker_id}}"): _inspect(Resource.PAYSLIPS),
    ("GET", f"{I_}/workers/{{worker_id}}/payslip.pdf"): _inspect(Resource.PAYSLIPS),
    ("GET", f"{I_}/workers/{{worker_id}}/evidence.{{ext}}"): _inspect(Resource.EVIDENCE),
    ("POST", f"{I_}/findings/{{finding_id}}"): _inspect(Resource.FINDINGS, W),
    ("GET", f"{I_}/export.xlsx"): _inspect(Resource.RECONCILIATION),
    ("GET", f"{I_}/report.pdf"): _inspect(Resource.RECONCILIATION),
    ("GET", f"{I_}/ledger.xlsx"): _inspect(Resource.PAYROLL),
    ("GET", "/me/"): _me(Resource.ATTENDANCE),
    ("GET", "/me/evidence/{project_id:int}/{period}.{ext}"): _me(Resource.EVIDENCE),
    ("GET", "/me/pay"): _me(Resource.PAYSLIPS),
    ("GET", "/me/pay/{project_id:int}/{period}"): _me(Resource.PAYSLIPS),
    ("GET", "/me/pay/{project_id:int}/{period}.pdf"): _me(Resource.PAYSLIPS),
    ("GET", "/me/notice"): _me(Resource.NOTICE),
    ("POST", "/me/objections"): Op(Resource.OBJECTIONS, W, Area.ME, own=True),
    ("GET", f"{P}/notice"): _site(Resource.NOTICE),
    ("POST", f"{P}/notice"): _site(Resource.NOTICE, W),
    ("GET", f"{P}/notice.pdf"): _site(Resource.NOTICE),
    ("GET", f"{P}/safeguards"): _site(Resource.SAFEGUARDS),
    ("POST", f"{P}/safeguards/account"): _site(Resource.SAFEGUARDS, W),
    ("POST", f"{P}/safeguards/deposit"): _site(Resource.SAFEGUARDS, W),
    ("POST", f"{P}/safeguards/guarantee"): _site(Resource.SAFEGUARDS, W),
    ("POST", f"{P}/safeguards/officer"): _site(Resource.SAFEGUARDS, W),
    ("POST", f"{P}/safeguards/statement"): _site(Resource.SAFEGUARDS, W),
    ("POST", f"{P}/safeguards/contract"): _site(Resource.LABOUR_CONTRACTS, W),
    ("GET", f"{P}/objections"): _site(Resource.OBJECTIONS),
    # answering an objection of the project (an empty reply: 422, past the scope check)
    ("POST", f"{P}/objections/{{objection_id}}/reply"): _site(Resource.OBJECTIONS, W),
    ("GET", "/inspect/{project_id}/objections"): _inspect(Resource.OBJECTIONS),
    ("GET", "/me/complaints"): _me(Resource.COMPLAINTS),
    # A worker names the project in the form (an empty one: their only project, then 422).
    ("POST", "/me/complaints"): Op(Resource.COMPLAINTS, W, Area.ME, own=True),
    ("GET", "/inspect/complaints"): _inspect(Resource.COMPLAINTS),
    ("GET", "/inspect/complaints.xlsx"): _inspect(Resource.COMPLAINTS),
    ("GET", "/inspect/complaints/new"): _inspect(Resource.COMPLAINTS, W),
    # no project chosen: 422, past the scope check
    ("POST", "/inspect/complaints/new"): _inspect(Resource.COMPLAINTS, W),
    ("GET", "/inspect/complaints/{complaint_id}"): _inspect(Resource.COMPLAINTS),
    # an empty form changes nothing: 303 back to the page
    ("POST", "/inspect/complaints/{complaint_id}"): _inspect(Resource.COMPLAINT_HANDLING, W),
    ("GET", f"{P}/checklist"): _site(Resource.CHECKLIST),
    ("GET", "/inspect/{project_id}/checklist"): _inspect(Resource.CHECKLIST),
    ("GET", "/inspect/checklist"): _inspect(Resource.CHECKLIST),
    ("GET", "/inspect/checklist.xlsx"): _inspect(Resource.CHECKLIST),
    ("GET", "/admin/users"): _admin(),
    ("GET", "/admin/users/new"): _admin(W),
    ("POST", "/admin/users/new"): _admin(W),
    ("GET", "/admin/users/{user_id}"): _admin(),
    ("POST", "/admin/users/{user_id}"): _admin(W),
    ("POST", "/admin/users/{user_id}/active"): _admin(W),
    ("POST", "/admin/users/{user_id}/password"): _admin(W),
    ("GET", "/site/{rest:path}"): Op(kind="catch_all"),
    ("GET", "/inspect/{rest:path}"): Op(kind="catch_all"),
    ("GET", "/me/{rest:path}"): Op(kind="catch_all"),
    ("GET", "/admin/{rest:path}"): Op(kind="catch_all"),
}

OK, LOGIN, ANY = "ok", "login", "any"  # besides the statuses 401, 403, 404
Expected = str | int


# --- the model: the answer the policy table gives -----------------------------------------


def expected(world: World, who: Principal, op: Op, path: str, bundle: Bundle) -> Expected:
    """The class of answer for `who` on `path` filled from `bundle`, from the policy table and
    who is on which project; in the server's order (area, project, kind, own rows, write)."""
    page = op.area is not None or op.kind != "scoped"
    if op.kind == "public":
        return ANY
    if who.role is None:
        return LOGIN if page else 401
    if op.kind == "catch_all":
        return 404
    if op.area is not None and who.role not in AREAS[op.area]:
        return 403
    if op.resource is None:
        return OK
    reach = POLICY[op.resource][who.role]
    in_scope = who.role is Role.ADMIN or bundle.project in who.projects
    # A finding and a complaint name their project.
    names_project = ("{project_id", "{finding_id}", "{complaint_id}")
    if any(k in path for k in names_project) and not in_scope:
        return 404
    if reach is Access.NONE:
        return 403
    about_worker = ("{worker_id", "{assignment_id}", "{line_id}", "{complaint_id}")
    if op.own or any(k in path for k in about_worker):
        # A wage line (a complaint) is about its worker, whatever the path says.
        subject = who.worker if op.own and "{line_id}" not in path else bundle.worker
        if reach.own_only:
            if subject != who.worker:
                return 404
        elif "{project_id" not in path and not in_scope:  # /workers/{id}: the worker's project
            return 404
    elif reach.own_only:
        return 403
    if "{company_id}" in path and not in_scope:
        return 404
    if not reach.allows(op.action):
        return 403
    return OK


# --- the walk --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture(scope="module")
def module_settings(db_url: str) -> Settings:
    return Settings(
        environment="test", database_url=db_url, secret_key="test-secret", template_key="tk"
    )


@pytest.fixture(scope="module")
def world(module_connection: Connection, module_settings: Settings) -> World:
    s = Session(
        bind=module_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        built = build_world(s, module_settings)
        s.commit()
        return built
    finally:
        s.close()


def _placeholder_pdf(*_: object, **__: object) -> bytes:
    return b"%PDF-1.4 placeholder"


@pytest.fixture(scope="module")
def matrix_app(
    module_connection: Connection, module_settings: Settings, engine: Engine
) -> Iterator[FastAPI]:
    app = bind_app(create_app(module_settings, engine=engine), module_connection)
    # The full chain re-check's work is its own tests' subject: here only who may start it.
    app.state.background = lambda _job: None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(evidence_pdf, "evidence_pdf", _placeholder_pdf)
        mp.setattr(payslip_pdf, "payslip_pdf", _placeholder_pdf)
        mp.setattr(recon_pdf, "recon_pdf", _placeholder_pdf)
        mp.setattr(activation_pdf, "activation_pdf", _placeholder_pdf)
        mp.setattr(activation_pdf, "ensure_font", lambda: ("placeholder.ttf", 0))
        mp.setattr(wage_sheet_pdf, "wage_sheet_pdf", _placeholder_pdf)
        mp.setattr(notice_pdf, "notice_pdf", _placeholder_pdf)
        yield app


@pytest.fixture(scope="module")
def matrix_client(matrix_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(matrix_app) as c:
        yield c


@dataclass
class Walker:
    client: TestClient
    connection: Connection
    requests: int = 0

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        form: dict[str, str] | None,
        body: dict[str, str] | None = None,
    ) -> Response:
        """One request inside a savepoint that is rolled back: the world stays as built."""
        savepoint = self.connection.begin_nested()
        try:
            self.requests += 1
            if form is not None:
                r = self.client.request(
                    method, url, data=form, headers=headers, follow_redirects=False
                )
            elif method in ("GET", "DELETE"):
                r = self.client.request(method, url, headers=headers, follow_redirects=False)
            else:
                r = self.client.request(
                    method, url, json=body or {}, headers=headers, follow_redirects=False
                )
        finally:
            savepoint.rollback()
            self.client.cookies.clear()  # a language or sign-in cookie set by an answer
        return r


@pytest.fixture(scope="module")
def walker(matrix_client: TestClient, module_connection: Connection, world: World) -> Walker:
    return Walker(matrix_client, module_connection)


def fill(path: str, bundle: Bundle) -> str:
    out = path
    for name, value in bundle.params.items():
        out = out.replace(f"{{{name}}}", value).replace(f"{{{name}:int}}", value)
        out = out.replace(f"{{{name}:path}}", value)
    assert "{" not in out, f"no value for a parameter of {path}"
    return out


def classify(r: Response, *, page: bool) -> Expected:
    """The class of an answer: OK, LOGIN (a page's sign-in redirect) or the refusal's status."""
    if page and r.status_code == 303 and r.headers["location"].startswith("/login?next="):
        return LOGIN
    if r.status_code in (401, 403, 404):
        return r.status_code
    return OK


def _text(r: Response) -> str:
    kind = r.headers.get("content-type", "")
    if any(t in kind for t in ("json", "html", "text/")):
        return r.text
    return ""  # XLSX and PDF are compressed: checked through their JSON twins


@dataclass(frozen=True)
class Credentials:
    """How a principal signs a request: bearer (the API), cookie (pages, browsers)."""

    mode: Literal["bearer", "cookie", "cookie+token", "cookie+token+cross-origin"]

    def headers(self, who: Principal) -> dict[str, str]:
        if who.role is None:
            return {}
        if self.mode == "bearer":
            return {"Authorization": f"Bearer {who.bearer}"}
        headers = {"Cookie": f"{SESSION_COOKIE}={who.cookie}"}
        if self.mode != "cookie":
            headers["X-CSRF-Token"] = who.csrf
        if self.mode.endswith("cross-origin"):
            headers["Origin"] = "https://evil.example"
        return headers


def walk(
    world: World,
    walker: Walker,
    ops: dict[tuple[str, str], Op],
    *,
    page: bool,
    who: Principal,
    creds: Credentials,
    bundles: tuple[str, ...],
) -> list[str]:
    problems: list[str] = []
    for bundle_key in bundles:
        bundle = world.bundles[bundle_key]
        hidden = world.all_names() - world.visible_names(who)
        for (method, path), op in ops.items():
            url = fill(path, bundle) + (f"?{op.query}" if op.query else "")
            form = {"csrf_token": who.csrf} if page and method == "POST" else None
            r = walker.send(method, url, headers=creds.headers(who), form=form, body=dict(op.body))
            want = expected(world, who, op, path, bundle)
            if (
                creds.mode in ("cookie", "cookie+token+cross-origin")
                and method != "GET"
                and op.kind != "public"  # reads no session: a cookie gives nothing to forge
            ):
                want = 403  # auth.csrf_failed, before any scope is looked at
            got = classify(r, page=page)
            label = f"{who.key}[{creds.mode}] {method} {url} ({bundle.key})"
            if r.status_code >= 500:
                problems.append(f"{label}: {r.status_code}")
            elif want != ANY and got != want:
                problems.append(f"{label}: expected {want}, got {r.status_code}")
            leaked = sorted(n for n in hidden if n in _text(r))
            if leaked:
                problems.append(f"{label}: {r.status_code} shows {leaked}")
    return problems


# --- the tests -------------------------------------------------------------------------------


def _api_operations(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if "{" in path
    }


def _pages(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and not ctx.include_in_schema:
            found |= {(m, str(ctx.path)) for m in ctx.methods or ()}
    return found


def test_every_operation_and_page_has_an_entry(matrix_app: FastAPI) -> None:
    """A route added without saying what it serves fails here, before anyone relies on it."""
    assert _api_operations(matrix_app) == set(API)
    assert _pages(matrix_app) == set(PAGES)


def test_every_table_kind_is_walked() -> None:
    ops = (*API.values(), *EXTRA.values(), *PAGES.values())
    walked = {op.resource for op in ops if op.resource}
    # Unmasking is decided after the row's own kind (registry tests: `?full=true` → 403).
    assert walked | {Resource.FULL_IDS} == set(POLICY), set(POLICY) - walked


PRINCIPALS = [
    "admin",
    "manager_a",
    "manager_b",
    "inspector_a_region",
    "inspector_other_region",
    "worker_w1",
    "worker_w2",
    "anonymous",
]
COOKIE_MODES = ["cookie", "cookie+token", "cookie+token+cross-origin"]
STATS: dict[str, float] = {"requests": 0, "seconds": 0.0}


def _walked(walker: Walker, started: float, before: int) -> None:
    STATS["requests"] += walker.requests - before
    STATS["seconds"] += time.monotonic() - started


@pytest.mark.parametrize("key", PRINCIPALS)
def test_api_matrix(world: World, walker: Walker, key: str) -> None:
    started, before = time.monotonic(), walker.requests
    who = world.principals[key]
    problems = []
    for ops in (API, EXTRA):
        problems += walk(
            world, walker, ops, page=False, who=who, creds=Credentials("bearer"),
            bundles=who.bundles,
        )  # fmt: skip
    _walked(walker, started, before)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mode", COOKIE_MODES)
def test_api_matrix_with_the_cookie(world: World, walker: Walker, mode: str) -> None:
    """A browser's session: reads as with the token; writes need the X-CSRF-Token header of
    the session and no foreign Origin (403 auth.csrf_failed before any scope is looked at)."""
    started, before = time.monotonic(), walker.requests
    who = world.principals["manager_a"]
    creds = Credentials(mode)  # type: ignore[arg-type]
    problems = walk(world, walker, API, page=False, who=who, creds=creds, bundles=("A/W1",))
    _walked(walker, started, before)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", PRINCIPALS)
def test_page_matrix(world: World, walker: Walker, key: str) -> None:
    started, before = time.monotonic(), walker.requests
    who = world.principals[key]
    problems = walk(
        world, walker, PAGES, page=True, who=who, creds=Credentials("cookie+token"),
        bundles=who.bundles,
    )  # fmt: skip
    _walked(walker, started, before)
    assert not problems, "\n".join(problems)


def test_zz_matrix_figures() -> None:
    """Prints what was walked (run with -s); last in the module, after the walks."""
    walks = len(PRINCIPALS) * 2 + len(COOKIE_MODES)
    print(  # noqa: T201 - the figures are for the person running the suite
        f"\nauthorization matrix: {len(API)}+{len(EXTRA)} API operations, {len(PAGES)} pages, "
        f"{walks} principal walks, {int(STATS['requests'])} requests, "
        f"{STATS['seconds']:.1f} s"
    )


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/projects/abc/rosters/daily", 422),
        ("/api/v1/findings/x1", 422),
        ("/api/v1/workers/1e3", 422),
        ("/site/abc/now", 404),
        ("/inspect/abc/2026-02", 404),
    ],
)
def test_an_id_that_is_not_a_number_is_refused_before_any_lookup(
    world: World, walker: Walker, url: str, status: int
) -> None:
    admin = world.principals["admin"]
    headers = Credentials("bearer" if url.startswith("/api") else "cookie+token")
    r = walker.send("GET", url, headers=headers.headers(admin), form=None)
    assert r.status_code == status, r.text


ROSTER_REGRESSION = [
    "rosters/daily?day=2026-02-10",
    "rosters/daily.xlsx?day=2026-02-10",
    "rosters/monthly?month=2026-02",
    "rosters/monthly.csv?month=2026-02",
    "rosters/monthly.xlsx?month=2026-02",
    "corrections",
    "corrections?month=2026-02",
]


@pytest.mark.parametrize("tail", ROSTER_REGRESSION)
def test_a_worker_of_the_project_reads_no_coworkers_attendance(
    world: World, walker: Walker, tail: str
) -> None:
    """The issue's regression: these answered 200 with every name, time and reason."""
    w1 = world.principals["worker_w1"]
    url = f"/api/v1/projects/{world.projects['A'].id}/{tail}"
    r = walker.send("GET", url, headers={"Authorization": f"Bearer {w1.bearer}"}, form=None)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "forbidden"
    assert not any(name in r.text for name in world.all_names())
    manager = world.principals["manager_a"]
    r = walker.send("GET", url, headers={"Authorization": f"Bearer {manager.bearer}"}, form=None)
    assert r.status_code == 200, r.text  # the project's manager still reads them
