"""Checklist JSON API: one project's (GET /api/v1/projects/{project_id}/checklist) and every
project in the caller's scope, red first (GET /api/v1/checklist). Resource.CHECKLIST: read by
admins, site managers and inspectors on their projects; a worker gets 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy import select

from server.auth import scope
from server.auth.scope import Resource
from server.checklist import service as checklist_service
from server.checklist.schemas import ChecklistOut, checklist_out
from server.deps import CurrentUser, SessionDep, authorized
from server.registry.models import Project

router = APIRouter(prefix="/api/v1", tags=["checklist"])

ChecklistProject = Annotated[Project, authorized(Resource.CHECKLIST)]


@router.get("/projects/{project_id}/checklist", response_model=ChecklistOut)
def project_checklist(project: ChecklistProject, session: SessionDep) -> ChecklistOut:
    return checklist_out(checklist_service.checklist(session, project))


@router.get(
    "/checklist", response_model=list[ChecklistOut], dependencies=[authorized(Resource.CHECKLIST)]
)
def checklists(session: SessionDep, user: CurrentUser) -> list[ChecklistOut]:
    in_scope = scope.project_ids_in_scope(session, user)
    stmt = select(Project)
    if in_scope is not None:  # None: every project (admin)
        stmt = stmt.where(Project.id.in_(in_scope or {-1}))
    projects = list(session.scalars(stmt))
    return [checklist_out(c) for c in checklist_service.checklists(session, projects)]
