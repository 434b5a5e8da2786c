"""File, list, assign and move complaints, every change an event. The caller has checked scope
(server/auth/scope.py: a complaint id in the path names its project and worker); the services
check that a complaint belongs to the project named (else 404) and apply server/complaints/rules.
They flush, never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from models.enums import Role
from models.ids import mask_id_number
from server.auth import service as auth_service
from server.auth.models import User, UserProject
from server.complaints import rules
from server.complaints.models import Complaint, ComplaintEvent
from server.errors import ConflictError, NotFoundError, ValidationFailedError
from server.registry import repository as registry_repo
from server.registry.models import Project, Worker
from server.rosters import service as roster_service


class ComplaintInvalidError(ValidationFailedError):
    code = "complaint.invalid"

    def __init__(self, issues: list[rules.Issue]) -> None:
        super().__init__(
            ";".join(i.message_zh for i in issues),
            "; ".join(i.message_en for i in issues),
            detail=[{"field": i.field, "message_zh": i.message_zh, "message_en": i.message_en}
                    for i in issues],
        )  # fmt: skip


class ComplaintMoveError(ConflictError):
    code = "complaint.bad_move"

    def __init__(self, issue: rules.Issue) -> None:
        super().__init__(issue.message_zh, issue.message_en, detail={"field": issue.field})


def _missing() -> NotFoundError:
    return NotFoundError("欠薪线索", "complaint")


@dataclass(frozen=True, slots=True)
class ComplaintView:
    id: int
    project_id: int
    project_name: str
    project_code: str
    worker_id: int | None
    name: str
    phone: str
    id_number_masked: str
    source: str
    channel: str
    periods: tuple[str, ...]
    amount_fen: int | None
    against: str
    text: str
    owner_user_id: int | None
    owner: str
    status: str
    closing_note: str
    received_at: dt.datetime
    due_on: dt.date
    closed_at: dt.datetime | None
    overdue: bool
    due_soon: bool
    days_open: int
    time_zone: str

    @property
    def open(self) -> bool:
        return rules.is_open(self.status)


@dataclass(frozen=True, slots=True)
class EventView:
    at: dt.datetime
    kind: str
    author: str
    from_status: str
    to_status: str
    note: str


def _who(user: User | None) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _event(
    session: Session, row: Complaint, user: User, kind: rules.EventKind, *, now: dt.datetime,
    from_status: str = "", to_status: str = "", note: str = "",
) -> None:  # fmt: skip
    session.add(
        ComplaintEvent(
            complaint_id=row.id,
            at=now,
            kind=kind.value,
            author_user_id=user.id,
            author_name=_who(user)[:64],
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )


def create(
    session: Session,
    *,
    project: Project,
    user: User,
    new: rules.NewComplaint,
    now: dt.datetime,
    worker_id: int | None = None,
    person: rules.Person | None = None,
    channel: rules.Channel = rules.Channel.APP,
) -> Complaint:
    """A worker's own complaint (`worker_id`, from the phone), or one an inspector enters for a
    registered worker of the project (`worker_id`) or for someone not registered (`person`)."""
    if worker_id is not None and project.id not in registry_repo.worker_project_ids(
        session, worker_id
    ):
        raise ComplaintInvalidError(
            [rules.Issue("worker_id", "该工人不在本项目", "that worker is not on this project")]
        )
    if worker_id is None and person is None:
        raise ComplaintInvalidError(
            [rules.Issue("person_name", "请填写反映人", "say who complains")]
        )
    zone = roster_service.project_settings(project).zone
    source = rules.Source.WORKER_PHONE if user.role == Role.WORKER else rules.Source.INSPECTOR
    row = Complaint(
        project_id=project.id, worker_id=worker_id,
        person_name=person.name if person else "", person_phone=person.phone if person else "",
        person_id_number=person.id_number if person else "",
        source=source.value, channel=channel.value, periods=",".join(new.periods),
        amount_fen=new.amount_fen, against=new.against, text=new.text, filed_by_user_id=user.id,
        received_at=now, due_on=rules.due_on(now, zone, rules.due_days(project.settings)),
        status=rules.Status.RECEIVED.value, closing_note="",
    )  # fmt: skip
    session.add(row)
    session.flush()
    _event(session, row, user, rules.EventKind.FILED, now=now, to_status=row.status)
    auth_service.audit(
        session, user, "complaint.file", "complaint", row.id, project_id=project.id,
        detail={"source": source.value, "channel": channel.value},
    )  # fmt: skip
    session.flush()
    return row


def get_or_raise(session: Session, *, project_id: int, complaint_id: int) -> Complaint:
    row = session.get(Complaint, complaint_id)
    if row is None or row.project_id != project_id:
        raise _missing()
    return row


def views(
    session: Session,
    *,
    now: dt.datetime,
    project_ids: set[int] | None = None,
    worker_id: int | None = None,
    complaint_id: int | None = None,
    status: str | None = None,
) -> list[ComplaintView]:
    """Complaints on these projects (None: all), of one worker, or one; overdue first, then by
    due date, then the closed ones newest first (rules.list_order)."""
    c = Complaint
    where: list[object] = []
    if project_ids is not None:
        where.append(c.project_id.in_(project_ids or {-1}))
    if worker_id is not None:
        where.append(c.worker_id == worker_id)
    if complaint_id is not None:
        where.append(c.id == complaint_id)
    if status:
        where.append(c.status == status)
    stmt = (
        select(c, Project, Worker, User)
        .join(Project, Project.id == c.project_id)
        .outerjoin(Worker, Worker.id == c.worker_id)
        .outerjoin(User, User.id == c.owner_user_id)
        .where(*where)  # type: ignore[arg-type]
    )
    out: list[tuple[tuple[int, str, str, str], ComplaintView]] = []
    for row, project, worker, owner in session.execute(stmt):
        settings = roster_service.project_settings(project)
        today = now.astimezone(settings.zone).date()
        view = ComplaintView(
            id=row.id, project_id=project.id, project_name=project.name,
            project_code=project.code, worker_id=row.worker_id,
            name=worker.name if worker else row.person_name,
            phone=(worker.phone or "") if worker else row.person_phone,
            id_number_masked=mask_id_number(worker.id_number if worker else row.person_id_number),
            source=row.source, channel=row.channel,
            periods=tuple(p for p in row.periods.split(",") if p), amount_fen=row.amount_fen,
            against=row.against, text=row.text, owner_user_id=row.owner_user_id,
            owner=_who(owner), status=row.status, closing_note=row.closing_note,
            received_at=row.received_at, due_on=row.due_on, closed_at=row.closed_at,
            overdue=rules.is_overdue(row.status, row.due_on, today),
            due_soon=rules.is_due_soon(row.status, row.due_on, today),
            days_open=rules.days_open(row.received_at, row.closed_at, now, settings.zone),
            time_zone=settings.timezone,
        )  # fmt: skip
        key = rules.list_order(row.status, row.due_on, today, row.received_at)
        out.append(((*key, str(row.id).zfill(12)), view))
    return [v for _, v in sorted(out, key=lambda kv: kv[0])]


def view_or_raise(
    session: Session, *, project_id: int, complaint_id: int, now: dt.datetime
) -> ComplaintView:
    found = views(session, now=now, project_ids={project_id}, complaint_id=complaint_id)
    if not found:
        raise _missing()
    return found[0]


def history(session: Session, *, complaint_id: int) -> list[EventView]:
    e = ComplaintEvent
    rows = session.scalars(select(e).where(e.complaint_id == complaint_id).order_by(e.at, e.id))
    return [
        EventView(r.at, r.kind, r.author_name, r.from_status, r.to_status, r.note) for r in rows
    ]


def owner_candidates(session: Session, *, project: Project) -> list[User]:
    """Inspectors who see the project (their region, or named on it): who may own it."""
    named = select(UserProject.user_id).where(UserProject.project_id == project.id)
    reach: list[ColumnElement[bool]] = [User.id.in_(named)]
    if project.region:
        reach.append(User.region == project.region)
    stmt = (
        select(User)
        .where(User.role == Role.INSPECTOR, User.active.is_(True), or_(*reach))
        .order_by(User.full_name, User.username)
    )
    return list(session.scalars(stmt))


def assign(
    session: Session, *, row: Complaint, project: Project, owner_user_id: int | None,
    user: User, now: dt.datetime,
) -> Complaint:  # fmt: skip
    """Give the complaint to an inspector who sees the project (None: nobody)."""
    if owner_user_id == row.owner_user_id:
        return row
    owner = None
    if owner_user_id is not None:
        owner = next(
            (u for u in owner_candidates(session, project=project) if u.id == owner_user_id), None
        )
        if owner is None:
            raise ComplaintInvalidError(
                [rules.Issue("owner_user_id", "负责人须为能看到本项目的监察员",
                             "the owner must be an inspector who sees this project")]
            )  # fmt: skip
    row.owner_user_id = owner_user_id
    _event(session, row, user, rules.EventKind.ASSIGNED, now=now, note=_who(owner))
    auth_service.audit(
        session, user, "complaint.assign", "complaint", row.id, project_id=row.project_id,
        detail={"owner_user_id": owner_user_id},
    )  # fmt: skip
    session.flush()
    return row


def move(
    session: Session, *, row: Complaint, to: str, note: str, user: User, now: dt.datetime
) -> Complaint:
    """received → verifying → resolved | referred | closed; closing needs the closing note."""
    body = _note(note, required=False)
    issue = rules.check_move(row.status, to, body)
    if issue is not None:
        raise ComplaintMoveError(issue)
    before = row.status
    row.status = to
    if to in rules.CLOSING:
        row.closing_note = body
        row.closed_at = now
    _event(
        session, row, user, rules.EventKind.MOVED, now=now, from_status=before, to_status=to,
        note=body,
    )  # fmt: skip
    auth_service.audit(
        session, user, "complaint.move", "complaint", row.id, project_id=row.project_id,
        detail={"from": before, "to": to},
    )  # fmt: skip
    session.flush()
    return row


def reopen(
    session: Session, *, row: Complaint, note: str, user: User, now: dt.datetime
) -> Complaint:
    """Back to verifying from a closed state, with a reason; the closing note stays in the
    history (its event), the complaint's own note is cleared until it closes again."""
    body = _note(note, required=False)
    issue = rules.check_reopen(row.status, body)
    if issue is not None:
        raise ComplaintMoveError(issue)
    before = row.status
    row.status = rules.REOPEN_TO.value
    row.closing_note = ""
    row.closed_at = None
    _event(
        session, row, user, rules.EventKind.REOPENED, now=now, from_status=before,
        to_status=row.status, note=body,
    )  # fmt: skip
    auth_service.audit(
        session, user, "complaint.reopen", "complaint", row.id, project_id=row.project_id
    )
    session.flush()
    return row


def add_note(session: Session, *, row: Complaint, note: str, user: User, now: dt.datetime) -> None:
    body = _note(note, required=True)
    _event(session, row, user, rules.EventKind.NOTED, now=now, note=body)
    session.flush()


def _note(note: str, *, required: bool) -> str:
    body = rules.clean_text(note, "note", rules.NOTE_MAX, what=("说明", "note"), required=required)
    if isinstance(body, rules.Issue):
        raise ComplaintInvalidError([body])
    return body
