"""Complaint JSON API (欠薪线索), the pages' twin.

Scope (server/auth/policy.py): a worker files on their own project and reads only their own
complaints (another's is 404); inspectors and admins enter, read, assign and move them; the site
manager sees none (the complainant is kept from the firm complained about). A {complaint_id}
names its project and worker to the one scope check (server/auth/scope.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models.enums import Role
from models.money import fen_to_yuan
from server.auth import scope
from server.auth.models import User
from server.auth.scope import Action, Resource
from server.complaints import rules
from server.complaints import service as complaint_service
from server.complaints.models import Complaint
from server.complaints.schemas import (
    AssignRequest,
    ComplaintCreate,
    ComplaintDetailOut,
    ComplaintOut,
    EventOut,
    MoveRequest,
    ReopenRequest,
)
from server.db.types import utcnow
from server.deps import CurrentUser, SessionDep, authorized
from server.registry.models import Project
from server.rosters import service as roster_service

router = APIRouter(prefix="/api/v1", tags=["complaints"])

BASE = "/projects/{project_id}/complaints"
ONE = BASE + "/{complaint_id}"
FileProject = Annotated[Project, authorized(Resource.COMPLAINTS, Action.WRITE, own=True)]
ListProject = Annotated[Project, authorized(Resource.COMPLAINTS, own=True)]
READ = authorized(Resource.COMPLAINTS)
HANDLE = authorized(Resource.COMPLAINT_HANDLING, Action.WRITE)


def _detail(session: SessionDep, project_id: int, complaint_id: int) -> ComplaintDetailOut:
    view = complaint_service.view_or_raise(
        session, project_id=project_id, complaint_id=complaint_id, now=utcnow()
    )
    events = complaint_service.history(session, complaint_id=complaint_id)
    return ComplaintDetailOut(
        **ComplaintOut.of(view).model_dump(), events=[EventOut.of(e) for e in events]
    )


def file_for(session: SessionDep, project: Project, user: User, body: ComplaintCreate) -> Complaint:
    """A worker's own (from the app), or an inspector's entry for a worker or a person."""
    today = utcnow().astimezone(roster_service.project_settings(project).zone)
    new, issues = rules.validate(
        ",".join(body.periods),
        "" if body.amount_fen is None else str(fen_to_yuan(body.amount_fen)),
        body.against,
        body.text,
        today=today.date(),
    )
    person, worker_id, channel = None, body.worker_id, body.channel
    if user.role == Role.WORKER:
        worker_id, channel = user.worker_id, rules.Channel.APP
    elif worker_id is None:
        person, more = rules.validate_person(
            body.person_name, body.person_phone, body.person_id_number
        )
        issues += more
    if new is None or issues:
        raise complaint_service.ComplaintInvalidError(issues)
    return complaint_service.create(
        session, project=project, user=user, new=new, now=utcnow(), worker_id=worker_id,
        person=person, channel=channel,
    )  # fmt: skip


@router.post(BASE, response_model=ComplaintDetailOut, status_code=201)
def file_complaint(
    project_id: int,
    project: FileProject,
    body: ComplaintCreate,
    session: SessionDep,
    user: CurrentUser,
) -> ComplaintDetailOut:
    row = file_for(session, project, user, body)
    return _detail(session, project.id, row.id)


@router.get(BASE, response_model=list[ComplaintOut])
def list_complaints(
    project_id: int,
    project: ListProject,
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[rules.Status | None, Query()] = None,
) -> list[ComplaintOut]:
    # A worker's list is their own complaints; the regulator's, the project's.
    mine = user.worker_id if scope.grant(user, Resource.COMPLAINTS).own_only else None
    found = complaint_service.views(
        session, now=utcnow(), project_ids={project.id}, worker_id=mine,
        status=status.value if status else None,
    )  # fmt: skip
    if mine is not None:
        found = [v for v in found if v.worker_id == mine]
    return [ComplaintOut.of(v) for v in found]


@router.get(ONE, response_model=ComplaintDetailOut, dependencies=[READ])
def get_complaint(project_id: int, complaint_id: int, session: SessionDep) -> ComplaintDetailOut:
    return _detail(session, project_id, complaint_id)


@router.post(ONE + "/assign", response_model=ComplaintDetailOut)
def assign_complaint(
    project_id: int,
    complaint_id: int,
    project: Annotated[Project, HANDLE],
    body: AssignRequest,
    session: SessionDep,
    user: CurrentUser,
) -> ComplaintDetailOut:
    row = complaint_service.get_or_raise(session, project_id=project.id, complaint_id=complaint_id)
    complaint_service.assign(
        session, row=row, project=project, owner_user_id=body.owner_user_id, user=user,
        now=utcnow(),
    )  # fmt: skip
    return _detail(session, project.id, complaint_id)


@router.post(ONE + "/transitions", response_model=ComplaintDetailOut, dependencies=[HANDLE])
def move_complaint(
    project_id: int, complaint_id: int, body: MoveRequest, session: SessionDep, user: CurrentUser
) -> ComplaintDetailOut:
    row = complaint_service.get_or_raise(session, project_id=project_id, complaint_id=complaint_id)
    complaint_service.move(session, row=row, to=body.to.value, note=body.note, user=user,
                           now=utcnow())  # fmt: skip
    return _detail(session, project_id, complaint_id)


@router.post(ONE + "/reopen", response_model=ComplaintDetailOut, dependencies=[HANDLE])
def reopen_complaint(
    project_id: int,
    complaint_id: int,
    body: ReopenRequest,
    session: SessionDep,
    user: CurrentUser,
) -> ComplaintDetailOut:
    row = complaint_service.get_or_raise(session, project_id=project_id, complaint_id=complaint_id)
    complaint_service.reopen(session, row=row, note=body.note, user=user, now=utcnow())
    return _detail(session, project_id, complaint_id)
