"""The daily digests over the API: the list, and each day's signed file as issued.

Readable by whoever the policy table lets read Resource.DIGESTS on the project (its inspectors,
site managers, admins); a project out of scope is 404 like everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from server.anchors import digest
from server.auth.scope import Resource
from server.deps import SessionDep, authorized
from server.errors import SiteGateError, ValidationFailedError
from server.registry.models import Project

router = APIRouter(prefix="/api/v1", tags=["anchors"])

DigestsRead = Annotated[Project, authorized(Resource.DIGESTS)]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DigestOut(BaseModel):
    day: str
    sha256: str
    prev_sha256: str
    issued_at: dt.datetime
    checkpoints: int
    server_key_fingerprint: str


class DigestList(BaseModel):
    project_id: int
    items: list[DigestOut]


def parse_day(text: str) -> str:
    """A day as YYYY-MM-DD, or 422 with a message."""
    try:
        if _DAY.match(text):
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise ValidationFailedError(
        f"日期格式有误:{text[:20]}(应为 YYYY-MM-DD)",
        f"malformed day: {text[:20]} (expected YYYY-MM-DD)",
        code="validation.day",
    )


@router.get("/projects/{project_id}/digests", response_model=DigestList)
def list_digests(
    project: DigestsRead,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DigestList:
    """The project's issued digests, newest first."""
    rows = digest.summaries(session, project.id, limit=limit)
    return DigestList(
        project_id=project.id,
        items=[
            DigestOut(
                day=r.day,
                sha256=r.sha256,
                prev_sha256=r.prev_sha256,
                issued_at=r.issued_at,
                checkpoints=r.checkpoints,
                server_key_fingerprint=r.server_key_fingerprint,
            )
            for r in rows
        ],
    )


@router.get(
    "/projects/{project_id}/digests/{day}",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "the signed file"}},
)
def get_digest(project: DigestsRead, session: SessionDep, day: str) -> Response:
    """One day's digest: the signed file exactly as issued, the same bytes on every download."""
    wanted = parse_day(day)
    row = digest.get(session, project.id, wanted)
    if row is None:
        raise SiteGateError(
            f"{wanted} 的每日摘要尚未签发(每天结束后签发前一天的)",
            f"the daily digest of {wanted} is not issued yet (each day's is issued after it ends)",
            code="digest.not_issued",
            status_code=404,
        )
    name = digest.file_name(project.id, wanted)
    return Response(
        digest.digest_file(row),
        media_type="application/json",
        headers={
            "Content-Disposition": f"attachment; filename={name}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
