"""Roster versions: every change a gate must learn about bumps the project's version, and the
changed assignment rows carry it, so a gate downloads only rows above the version it holds."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.registry.models import Assignment, Project


def bump(session: Session, project_id: int, assignment_ids: list[int] | None = None) -> int:
    """Advance the project's roster version; mark the given assignments (or none) with it."""
    project = session.scalar(select(Project).where(Project.id == project_id).with_for_update())
    assert project is not None  # noqa: S101 - callers hold a checked project id
    project.roster_version += 1
    if assignment_ids:
        # "fetch": the session's copies are matched by the returned ids; the default "evaluate"
        # tests every loaded assignment against the whole id list (quadratic for a big import).
        session.execute(
            update(Assignment)
            .where(Assignment.id.in_(assignment_ids))
            .values(roster_version=project.roster_version)
            .execution_options(synchronize_session="fetch")
        )
    session.flush()
    return project.roster_version


def bump_for_worker(session: Session, worker_id: int) -> None:
    """A worker's identity, blocklist or templates changed: each of their projects learns it."""
    rows = session.execute(
        select(Assignment.project_id, Assignment.id).where(Assignment.worker_id == worker_id)
    ).all()
    by_project: dict[int, list[int]] = {}
    for project_id, assignment_id in rows:
        by_project.setdefault(project_id, []).append(assignment_id)
    for project_id, ids in by_project.items():
        bump(session, project_id, ids)
