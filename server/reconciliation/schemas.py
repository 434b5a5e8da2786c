"""Reconciliation API I/O. Money is integer fen."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from models.enums import WarningLevel
from server.reconciliation import service as recon_service


class ReconRowOut(BaseModel):
    worker_id: int
    name: str
    id_number_masked: str
    company_name: str
    team_name: str
    wage_kind: str
    rate_fen: int
    attended_days: float
    hours: float
    corrected_days: int
    expected_fen: int | None
    paid_fen: int
    difference_fen: int | None
    status: str
    level: WarningLevel

    @classmethod
    def of(cls, r: recon_service.TableRow) -> ReconRowOut:
        return cls(
            worker_id=r.worker_id,
            name=r.name,
            id_number_masked=r.id_number_masked,
            company_name=r.company_name,
            team_name=r.team_name,
            wage_kind=r.wage_kind,
            rate_fen=r.rate_fen,
            attended_days=r.attended_days,
            hours=r.hours,
            corrected_days=r.corrected_days,
            expected_fen=r.expected_fen,
            paid_fen=r.paid_fen,
            difference_fen=r.difference_fen,
            status=r.status.value,
            level=r.level,
        )


class FindingOut(BaseModel):
    id: int
    project_id: int
    period: str
    kind: str
    level: WarningLevel
    status: str
    key: str
    worker_id: int | None
    worker_name: str | None
    payroll_line_id: int | None
    device_id: int | None
    message_zh: str
    message_en: str
    evidence: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, f: recon_service.FindingView) -> FindingOut:
        return cls.model_validate(f, from_attributes=True)


class HistoryOut(BaseModel):
    at: dt.datetime
    action: str
    comment: str
    user_id: int | None
    user_name: str | None


class FindingDetailOut(FindingOut):
    history: list[HistoryOut]

    @classmethod
    def detail(cls, d: recon_service.FindingDetail) -> FindingDetailOut:
        base = FindingOut.of(d.finding).model_dump()
        history = [
            HistoryOut(
                at=h.at,
                action=h.action,
                comment=h.comment,
                user_id=h.user_id,
                user_name=h.user_name,
            )
            for h in d.history
        ]
        return cls(**base, history=history)


class ReconciliationOut(BaseModel):
    project_id: int
    project_code: str
    project_name: str
    period: str
    pay_day: dt.date
    today: dt.date
    level: WarningLevel
    computed_level: WarningLevel
    counts: dict[str, int]
    rule_notes: list[str]
    last_run_at: dt.datetime | None
    raised: int
    updated: int
    reopened: int
    gone: int
    stale: bool = Field(
        description="figures of the month changed since the last run (an approved correction "
        "to the closed month): the stored findings are out of date until it is run again"
    )
    stale_at: dt.datetime | None
    stale_reason: str = Field(description="the latest change, zh / en")
    rows: list[ReconRowOut]
    findings: list[FindingOut]

    @classmethod
    def of(cls, s: recon_service.ReconSummary) -> ReconciliationOut:
        return cls(
            project_id=s.project_id,
            project_code=s.project_code,
            project_name=s.project_name,
            period=s.period,
            pay_day=s.pay_day,
            today=s.today,
            level=s.level,
            computed_level=s.computed_level,
            counts={k.value: v for k, v in s.counts.items()},
            rule_notes=list(s.rule_notes),
            last_run_at=s.last_run_at,
            raised=s.raised,
            updated=s.updated,
            reopened=s.reopened,
            gone=s.gone,
            stale=s.stale,
            stale_at=s.stale_at,
            stale_reason=s.stale_reason,
            rows=[ReconRowOut.of(r) for r in s.rows],
            findings=[FindingOut.of(f) for f in s.findings],
        )


class FindingActionIn(BaseModel):
    action: Literal["resolve", "waive", "reopen"]
    comment: str = Field(default="", max_length=2000)
