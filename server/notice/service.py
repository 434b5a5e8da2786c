"""Load and save a project's notice board; the site manager's edits are audited."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import service as auth_service
from server.auth.models import User
from server.notice.models import NoticeBoard
from server.notice.rules import NoticeFields


def _row(session: Session, project_id: int) -> NoticeBoard | None:
    return session.scalars(
        select(NoticeBoard).where(NoticeBoard.project_id == project_id)
    ).one_or_none()


def _fields(row: NoticeBoard | None) -> NoticeFields:
    if row is None:
        return NoticeFields()
    return NoticeFields(**{f.name: getattr(row, f.name) for f in dataclasses.fields(NoticeFields)})


def get(session: Session, *, project_id: int) -> NoticeFields:
    """The board as stored; all unset when the project has none yet."""
    return _fields(_row(session, project_id))


def boards(session: Session, *, project_ids: set[int]) -> dict[int, NoticeFields]:
    """Every board of these projects (unset ones included)."""
    rows = {
        r.project_id: r
        for r in session.scalars(select(NoticeBoard).where(NoticeBoard.project_id.in_(project_ids)))
    }
    return {pid: _fields(rows.get(pid)) for pid in project_ids}


def save(session: Session, *, project_id: int, fields: NoticeFields, user: User) -> NoticeFields:
    row = _row(session, project_id)
    before = _fields(row)
    if row is None:
        row = NoticeBoard(project_id=project_id)
        session.add(row)
    for name, value in dataclasses.asdict(fields).items():
        setattr(row, name, value)
    row.updated_by_user_id = user.id
    session.flush()
    changed = {k: v for k, v in dataclasses.asdict(fields).items() if getattr(before, k) != v}
    auth_service.audit(
        session, user, "notice.update", "notice_board", row.id, project_id=project_id,
        detail={"changed": sorted(changed)},
    )  # fmt: skip
    return fields
