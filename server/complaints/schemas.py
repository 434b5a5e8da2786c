"""Complaint API I/O. Money in integer fen; ID numbers masked; the complainant's phone shown
only to the roles that read complaints at all (the regulator and the worker themself)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from server.complaints import rules
from server.complaints.service import ComplaintView, EventView


class ComplaintCreate(BaseModel):
    periods: list[str] = Field(max_length=rules.PERIODS_MAX, description="YYYY-MM months")
    amount_fen: int | None = Field(default=None, gt=0, le=rules.AMOUNT_MAX_FEN)
    against: str = Field(default="", max_length=rules.AGAINST_MAX)
    text: str = Field(max_length=rules.TEXT_MAX)
    # An inspector's entry only (a worker's own complaint is theirs, from the app):
    worker_id: int | None = None
    person_name: str = Field(default="", max_length=64)
    person_phone: str = Field(default="", max_length=24)
    person_id_number: str = Field(default="", max_length=18)
    channel: rules.Channel = rules.Channel.PHONE


class AssignRequest(BaseModel):
    owner_user_id: int | None


class MoveRequest(BaseModel):
    to: rules.Status
    note: str = Field(default="", max_length=rules.NOTE_MAX)


class ReopenRequest(BaseModel):
    note: str = Field(max_length=rules.NOTE_MAX)


class EventOut(BaseModel):
    at: dt.datetime
    kind: str
    author: str
    from_status: str
    to_status: str
    note: str

    @classmethod
    def of(cls, e: EventView) -> EventOut:
        return cls(
            at=e.at, kind=e.kind, author=e.author, from_status=e.from_status,
            to_status=e.to_status, note=e.note,
        )  # fmt: skip


class ComplaintOut(BaseModel):
    id: int
    project_id: int
    worker_id: int | None
    name: str
    phone: str
    id_number_masked: str
    source: str
    channel: str
    periods: list[str]
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
    days_open: int

    @classmethod
    def of(cls, v: ComplaintView) -> ComplaintOut:
        return cls(
            id=v.id, project_id=v.project_id, worker_id=v.worker_id, name=v.name, phone=v.phone,
            id_number_masked=v.id_number_masked, source=v.source, channel=v.channel,
            periods=list(v.periods), amount_fen=v.amount_fen, against=v.against, text=v.text,
            owner_user_id=v.owner_user_id, owner=v.owner, status=v.status,
            closing_note=v.closing_note, received_at=v.received_at, due_on=v.due_on,
            closed_at=v.closed_at, overdue=v.overdue, days_open=v.days_open,
        )  # fmt: skip


class ComplaintDetailOut(ComplaintOut):
    events: list[EventOut]
