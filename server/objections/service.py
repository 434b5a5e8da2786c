"""Open, list and answer objections. The caller has checked scope (server/auth/scope.py); the
services check that an objection belongs to the project named (else 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import service as auth_service
from server.auth.models import User
from server.db.types import utcnow
from server.errors import NotFoundError
from server.objections.models import Objection
from server.objections.rules import NewObjection, ObjectionStatus
from server.registry.models import Project, Worker


@dataclass(frozen=True, slots=True)
class ObjectionView:
    id: int
    project_id: int
    project_name: str
    worker_id: int
    worker_name: str
    period: str
    kind: str
    text: str
    status: str
    reply: str
    replied_by: str
    created_at: dt.datetime
    replied_at: dt.datetime | None

    @property
    def open(self) -> bool:
        return self.status == ObjectionStatus.OPEN


def create(
    session: Session, *, project_id: int, worker_id: int, new: NewObjection, user: User
) -> Objection:
    row = Objection(
        project_id=project_id, worker_id=worker_id, period=new.period, kind=new.kind.value,
        text=new.text, status=ObjectionStatus.OPEN.value,
    )  # fmt: skip
    session.add(row)
    session.flush()
    auth_service.audit(
        session, user, "objection.open", "objection", row.id, project_id=project_id,
        detail={"period": new.period, "kind": new.kind.value},
    )  # fmt: skip
    return row


def _views(session: Session, *where: object) -> list[ObjectionView]:
    o = Objection
    stmt = (
        select(o, Project.name, Worker.name, User.full_name, User.username)
        .join(Project, Project.id == o.project_id)
        .join(Worker, Worker.id == o.worker_id)
        .outerjoin(User, User.id == o.replied_by_user_id)
        .where(*where)  # type: ignore[arg-type]
        .order_by(o.status, o.created_at.desc(), o.id.desc())  # "open" sorts before "resolved"
    )
    out = []
    for row, pname, wname, full, uname in session.execute(stmt):
        view = ObjectionView(
            row.id, row.project_id, pname, row.worker_id, wname, row.period, row.kind, row.text,
            row.status, row.reply, full or uname or "", row.created_at, row.replied_at,
        )  # fmt: skip
        out.append(view)
    return out


def for_worker(session: Session, *, worker_id: int) -> list[ObjectionView]:
    return _views(session, Objection.worker_id == worker_id)


def for_project(session: Session, *, project_id: int) -> list[ObjectionView]:
    return _views(session, Objection.project_id == project_id)


def open_count(session: Session, *, project_id: int) -> int:
    return len(
        session.scalars(
            select(Objection.id).where(
                Objection.project_id == project_id, Objection.status == ObjectionStatus.OPEN
            )
        ).all()
    )


def find(session: Session, *, project_id: int, objection_id: int) -> Objection | None:
    row = session.get(Objection, objection_id)
    return row if row is not None and row.project_id == project_id else None


def reply(
    session: Session, *, project_id: int, objection_id: int, text: str, resolve: bool, user: User
) -> Objection:
    """The site's answer; `resolve` closes it. A reply may be amended while it is open."""
    row = find(session, project_id=project_id, objection_id=objection_id)
    if row is None:
        raise NotFoundError("异议", "objection")
    row.reply = text
    row.replied_by_user_id = user.id
    row.replied_at = utcnow()
    if resolve:
        row.status = ObjectionStatus.RESOLVED.value
    session.flush()
    auth_service.audit(
        session, user, "objection.resolve" if resolve else "objection.reply", "objection",
        row.id, project_id=project_id,
    )  # fmt: skip
    return row
