"""The one enforcement of server/auth/policy.py: `authorize` for a resource kind and an action,
on a project and/or one worker, firm or finding; and the projects a caller sees.

Every router and page calls it (the API through server/deps.py `Authorized`, the pages through
server/web/session.py `PageAuthorized`, both as route dependencies so the check runs before the
body is read). Order of the checks, so that nothing of other projects is disclosed:

1. the project named (or the project of the finding, the worker, the firm) must be in scope,
   else 404;
2. a kind the role may not see at all is 403;
3. a role that reaches only its own rows: another worker's row is 404, a project-wide list 403;
4. a write by a role that only reads is 403.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import User, UserProject
from server.auth.policy import Access, Action, Area, Resource, access, may_enter
from server.complaints.models import Complaint
from server.errors import ForbiddenError, NotFoundError
from server.reconciliation.models import Finding
from server.registry import repository as registry_repo
from server.registry.models import Assignment, Company, Project, Worker
from server.wages.models import WageLine, WageSheet

__all__ = [
    "Access",
    "Action",
    "Area",
    "Resource",
    "authorize",
    "authorize_path",
    "grant",
    "may_unmask",
    "project_ids_in_scope",
    "require_area",
]


def project_ids_in_scope(session: Session, user: User) -> set[int] | None:
    """None means every project (admin). Inspectors also see every project of their region;
    a worker, the projects they are (or were) assigned to."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.WORKER:
        rows = session.scalars(
            select(Assignment.project_id).where(Assignment.worker_id == user.worker_id)
        )
        return set(rows)
    ids = set(session.scalars(select(UserProject.project_id).where(UserProject.user_id == user.id)))
    if user.role == Role.INSPECTOR and user.region:
        ids |= set(session.scalars(select(Project.id).where(Project.region == user.region)))
    return ids


def grant(user: User, resource: Resource) -> Access:
    """The caller's reach into a kind: lists use it to narrow themselves to the caller's own."""
    return access(user.role, resource)


def require_area(user: User, area: Area) -> None:
    if not may_enter(user.role, area):
        raise ForbiddenError()


def may_unmask(session: Session, user: User, project_ids: set[int]) -> bool:
    """Full ID and bank numbers (Resource.FULL_IDS) of workers on these projects: for the roles
    the table allows, on a project in scope, or on none yet (a fresh registration)."""
    if grant(user, Resource.FULL_IDS) is Access.NONE:
        return False
    scope = project_ids_in_scope(session, user)
    return scope is None or not project_ids or bool(project_ids & scope)


def _in_scope(scope: set[int] | None, project_ids: set[int]) -> bool:
    return scope is None or bool(project_ids & scope)


def authorize(
    session: Session,
    user: User,
    resource: Resource,
    action: Action = Action.READ,
    *,
    project_id: int | None = None,
    worker_id: int | None = None,
    company_id: int | None = None,
    assignment_id: int | None = None,
    not_found: tuple[str, str] | None = None,
) -> Project | None:
    """The project named (None when no project is), or NotFoundError / ForbiddenError.

    `worker_id` names the one worker the operation is about (a pay slip, a registry row), or
    `assignment_id` the worker's row on the project; without either the operation is
    project-wide. `not_found` names what a 404 says was not found (default: the project, the
    worker, the assignment or the firm)."""
    reach = grant(user, resource)
    scope = project_ids_in_scope(session, user)

    def missing(zh: str, en: str) -> NotFoundError:
        return NotFoundError(*(not_found or (zh, en)))

    project = None
    if project_id is not None:
        project = session.get(Project, project_id)
        if project is None or not _in_scope(scope, {project_id}):
            raise missing("项目", "project")
    if reach is Access.NONE:
        raise ForbiddenError()
    if assignment_id is not None and project_id is not None:
        assignment = registry_repo.get_assignment(session, project_id, assignment_id)
        if assignment is None or (reach.own_only and assignment.worker_id != user.worker_id):
            raise missing("用工记录", "assignment")
        worker_id = assignment.worker_id
    if worker_id is not None:
        _check_worker(session, user, reach, scope, worker_id, project_id, missing("工人", "worker"))
    elif reach.own_only:
        raise ForbiddenError()  # a project-wide list for a role that sees only its own rows
    if company_id is not None:
        _check_company(session, user, scope, company_id, missing("企业", "company"))
    if not reach.allows(action):
        raise ForbiddenError()
    return project


def _check_worker(
    session: Session,
    user: User,
    reach: Access,
    scope: set[int] | None,
    worker_id: int,
    project_id: int | None,
    missing: NotFoundError,
) -> None:
    if reach.own_only:
        if user.worker_id is None or worker_id != user.worker_id:
            raise missing
        return
    if session.get(Worker, worker_id) is None:
        raise missing
    projects = registry_repo.worker_project_ids(session, worker_id)
    if project_id is not None:
        if project_id not in projects:
            raise missing  # not on this project's roster
        return
    # A worker not yet on any project is visible to admins and site managers, who register
    # people before putting them on a project.
    if not _in_scope(scope, projects) and not (not projects and user.role == Role.SITE_MANAGER):
        raise missing


def _check_company(
    session: Session, user: User, scope: set[int] | None, company_id: int, missing: NotFoundError
) -> None:
    if session.get(Company, company_id) is None:
        raise missing
    # A firm on none of the caller's projects is not disclosed; a fresh firm is, to managers.
    projects = registry_repo.company_project_ids(session, company_id)
    if not _in_scope(scope, projects) and not (not projects and user.role == Role.SITE_MANAGER):
        raise missing


def _int_param(name: str, value: object) -> int | None:
    """A path id as an int (None when the path has no such parameter). Not a number: the
    request is invalid (the API's 422; the pages' 404), and nothing is looked up."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise RequestValidationError(
        [
            {
                "type": "int_parsing",
                "loc": ("path", name),
                "msg": "Input should be a valid integer",
                "input": value,
            }
        ]
    )


def authorize_path(
    session: Session,
    user: User,
    resource: Resource,
    action: Action,
    path_params: dict[str, object],
    not_found: tuple[str, str] | None = None,
    *,
    own: bool = False,
) -> Project | None:
    """`authorize` for a route from the ids in its path: {project_id}, {worker_id},
    {assignment_id}, {company_id}, {finding_id} (which names its project), {sheet_id} and
    {line_id} (a wage sheet's project; a line's worker too), {complaint_id} (its project; for a
    role that reaches only its own rows, its worker: an inspector's entry for someone not
    registered is nobody's own). `own`: the
    route is about the caller's own worker record (the /me pages), whatever the path says."""
    ids = {name: _int_param(name, path_params.get(name)) for name in _ID_PARAMS}
    project_id = ids["project_id"]
    if ids["finding_id"] is not None:
        not_found = ("预警", "finding")
        finding = session.get(Finding, ids["finding_id"])
        if finding is None or project_id not in (None, finding.project_id):
            raise NotFoundError(*not_found)
        project_id = finding.project_id
    worker_id = user.worker_id if own else ids["worker_id"]
    if ids["sheet_id"] is not None or ids["line_id"] is not None:
        project_id, line_worker = _wage_ids(session, project_id, ids["sheet_id"], ids["line_id"])
        if line_worker is not None:
            worker_id = line_worker  # a line is about its worker: only they answer it
    if ids["complaint_id"] is not None:
        complaint = session.get(Complaint, ids["complaint_id"])
        if complaint is None or project_id not in (None, complaint.project_id):
            raise NotFoundError("欠薪线索", "complaint")
        project_id = complaint.project_id
        not_found = ("欠薪线索", "complaint")
        if grant(user, resource).own_only:
            if complaint.worker_id is None:
                raise NotFoundError("欠薪线索", "complaint")
            worker_id = complaint.worker_id
    return authorize(
        session,
        user,
        resource,
        action,
        project_id=project_id,
        worker_id=worker_id,
        company_id=ids["company_id"],
        assignment_id=ids["assignment_id"],
        not_found=not_found,
    )


_ID_PARAMS = (
    "project_id",
    "worker_id",
    "assignment_id",
    "company_id",
    "finding_id",
    "sheet_id",
    "line_id",
    "complaint_id",
)


def _wage_ids(
    session: Session, project_id: int | None, sheet_id: int | None, line_id: int | None
) -> tuple[int, int | None]:
    """The project a wage sheet (or line) names, and the line's worker; a sheet or line that is
    not there, or not under the project in the path, is 404."""
    missing = NotFoundError("工资表", "wage sheet")
    line = session.get(WageLine, line_id) if line_id is not None else None
    if line_id is not None and line is None:
        raise missing
    sheet = session.get(WageSheet, sheet_id if sheet_id is not None else line.sheet_id)  # type: ignore[union-attr]
    if sheet is None or (line is not None and line.sheet_id != sheet.id):
        raise missing
    if project_id is not None and project_id != sheet.project_id:
        raise missing
    return sheet.project_id, line.worker_id if line is not None else None
