"""API shapes of the daily and monthly rosters and of corrections (补卡). Masked ID numbers only."""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.enums import DenyReason, Direction, GateMode
from server.rosters import closing
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class DayCellOut(_Out):
    day: dt.date
    status: roster_rules.DayStatus
    mark: str = Field(description="√ 全天 / ½ 半天 / ○ 缺勤 / ! 异常 / - 不在岗期间")
    hours: float
    corrected: bool
    anomalies: int

    @classmethod
    def of(cls, c: roster_rules.DayCell) -> DayCellOut:
        return cls(
            day=c.work_on,
            status=c.status,
            mark=c.status.mark,
            hours=round(c.hours, 2),
            corrected=c.corrected,
            anomalies=c.anomaly_count,
        )


class RosterRowOut(_Out):
    worker_id: int
    name: str
    id_number_masked: str
    company_id: int | None
    company_name: str
    team_id: int | None
    team_name: str
    trade: str
    entered_on: dt.date | None
    left_on: dt.date | None
    attended_days: float
    total_hours: float
    corrected_days: int
    anomaly_count: int
    outside_assignment_days: int
    never_entered: bool = Field(
        default=False, description="registered but never entered (已登记未进场), paid this month"
    )
    cells: list[DayCellOut]

    @classmethod
    def of(cls, r: roster_service.RosterRow) -> RosterRowOut:
        m = r.month
        return cls(
            worker_id=r.worker_id,
            name=r.name,
            id_number_masked=r.id_number_masked,
            company_id=r.company_id,
            company_name=r.company_name,
            team_id=r.team_id,
            team_name=r.team_name,
            trade=r.trade,
            entered_on=r.entered_on,
            left_on=r.left_on,
            attended_days=m.attended_days,
            total_hours=round(m.total_hours, 2),
            corrected_days=m.corrected_days,
            anomaly_count=m.anomaly_count,
            outside_assignment_days=m.outside_assignment_days,
            never_entered=r.never_entered,
            cells=[DayCellOut.of(c) for c in m.cells],
        )


class CorrectionOut(_Out):
    id: int
    worker_id: int
    worker_name: str
    at: dt.datetime
    direction: Direction
    reason: str
    author: str
    created_at: dt.datetime | None
    status: str = Field(
        default="effective",
        description="effective (counts) · pending (a closed month: waits for a second "
        "person's approval, counts nowhere) · approved (counts) · rejected",
    )
    counts: bool = True
    closed_reason: str | None = Field(
        default=None, description="why it needed approval: reconciled / paid / sheet_locked"
    )
    closed_reason_zh: str = ""
    closed_reason_en: str = ""
    decided_by: str = ""
    decided_at: dt.datetime | None = None
    decision_comment: str = ""

    @classmethod
    def of(cls, c: roster_service.CorrectionRecord) -> CorrectionOut:
        zh, en = closing.closed_reason_text(c.closed_reason)
        return cls(
            id=c.correction_id,
            worker_id=c.worker_id,
            worker_name=c.worker_name,
            at=c.at,
            direction=c.direction,
            reason=c.reason,
            author=c.author,
            created_at=c.created_at,
            status=c.status,
            counts=c.counts,
            closed_reason=c.closed_reason,
            closed_reason_zh=zh,
            closed_reason_en=en,
            decided_by=c.decided_by,
            decided_at=c.decided_at,
            decision_comment=c.decision_comment,
        )


class MonthTotals(_Out):
    workers: int
    attended_days: float
    total_hours: float
    corrected_days: int
    anomalies: int


class MonthRosterOut(_Out):
    project_id: int
    project_code: str
    project_name: str
    timezone: str
    period: str
    rule_notes: list[str]
    days: list[dt.date]
    totals: MonthTotals
    rows: list[RosterRowOut]
    corrections: list[CorrectionOut]

    @classmethod
    def of(cls, m: roster_service.MonthRoster) -> MonthRosterOut:
        rows = [RosterRowOut.of(r) for r in m.rows]
        return cls(
            project_id=m.project_id,
            project_code=m.project_code,
            project_name=m.project_name,
            timezone=m.timezone,
            period=m.period,
            rule_notes=list(m.rule_notes),
            days=list(m.days),
            totals=MonthTotals(
                workers=len(rows),
                attended_days=sum(r.attended_days for r in rows),
                total_hours=round(sum(r.month.total_hours for r in m.rows), 2),
                corrected_days=sum(r.corrected_days for r in rows),
                anomalies=sum(r.anomaly_count for r in rows),
            ),
            rows=rows,
            corrections=[CorrectionOut.of(c) for c in m.corrections],
        )


class WorkerRefOut(_Out):
    worker_id: int
    name: str
    id_number_masked: str
    company_name: str
    team_name: str
    trade: str

    @classmethod
    def of(cls, w: roster_service.WorkerRef) -> WorkerRefOut:
        return cls(
            worker_id=w.worker_id,
            name=w.name,
            id_number_masked=w.id_number_masked,
            company_name=w.company_name,
            team_name=w.team_name,
            trade=w.trade,
        )


class PresenceOut(_Out):
    worker: WorkerRefOut
    first_in: dt.datetime | None
    last_out: dt.datetime | None
    hours: float
    status: roster_rules.DayStatus
    on_site: bool
    corrected: bool

    @classmethod
    def of(cls, p: roster_service.Presence) -> PresenceOut:
        return cls(
            worker=WorkerRefOut.of(p.worker),
            first_in=p.first_in,
            last_out=p.last_out,
            hours=round(p.hours, 2),
            status=p.status,
            on_site=p.on_site,
            corrected=p.corrected,
        )


class AnomalyOut(_Out):
    worker: WorkerRefOut
    kind: roster_rules.SessionState
    in_at: dt.datetime | None
    out_at: dt.datetime | None


class RefusalOut(_Out):
    at: dt.datetime
    gate: str
    direction: Direction
    worker: WorkerRefOut | None
    credential: str | None
    reason: DenyReason | None
    reason_zh: str
    reason_en: str
    mode: GateMode | None = None
    confirmer_id: int | None = Field(default=None, description="a refused confirmation's confirmer")
    confirmer_name: str | None = None


class ConfirmationOut(_Out):
    """A pass on card + manager confirmation (the legal alternative to face)."""

    at: dt.datetime
    gate: str
    direction: Direction
    worker: WorkerRefOut | None
    confirmer_id: int | None
    confirmer_name: str | None


class GroupCountOut(_Out):
    company_name: str
    team_name: str
    trade: str
    on_site: int


class HourCount(_Out):
    at: dt.datetime
    on_site: int


class DailyRosterOut(_Out):
    project_id: int
    project_code: str
    project_name: str
    timezone: str
    day: dt.date
    now: dt.datetime
    rule_notes: list[str]
    headcount: int
    arrivals: int
    departures: int
    on_site: list[PresenceOut]
    by_group: list[GroupCountOut]
    present: list[PresenceOut]
    not_come: list[WorkerRefOut]
    anomalies: list[AnomalyOut]
    refusals: list[RefusalOut]
    confirmations: list[ConfirmationOut]
    corrections: list[CorrectionOut]
    hourly: list[HourCount]

    @classmethod
    def of(cls, d: roster_service.DailyRoster) -> DailyRosterOut:
        return cls(
            project_id=d.project_id,
            project_code=d.project_code,
            project_name=d.project_name,
            timezone=d.timezone,
            day=d.day,
            now=d.now,
            rule_notes=list(d.rule_notes),
            headcount=d.headcount,
            arrivals=d.arrivals,
            departures=d.departures,
            on_site=[PresenceOut.of(p) for p in d.on_site],
            by_group=[
                GroupCountOut(
                    company_name=g.company_name, team_name=g.team_name, trade=g.trade,
                    on_site=g.on_site,
                )
                for g in d.by_group
            ],
            present=[PresenceOut.of(p) for p in d.present],
            not_come=[WorkerRefOut.of(w) for w in d.not_come],
            anomalies=[
                AnomalyOut(worker=WorkerRefOut.of(a.worker), kind=a.kind, in_at=a.in_at,
                           out_at=a.out_at)
                for a in d.anomalies
            ],
            refusals=[
                RefusalOut(
                    at=r.at, gate=r.gate, direction=r.direction,
                    worker=WorkerRefOut.of(r.worker) if r.worker else None,
                    credential=r.credential, reason=r.reason, reason_zh=r.reason_zh,
                    reason_en=r.reason_en, mode=r.mode, confirmer_id=r.confirmer_id,
                    confirmer_name=r.confirmer_name,
                )
                for r in d.refusals
            ],
            confirmations=[
                ConfirmationOut(
                    at=c.at, gate=c.gate, direction=c.direction,
                    worker=WorkerRefOut.of(c.worker) if c.worker else None,
                    confirmer_id=c.confirmer_id, confirmer_name=c.confirmer_name,
                )
                for c in d.confirmations
            ],
            corrections=[CorrectionOut.of(c) for c in d.corrections],
            hourly=[HourCount(at=at, on_site=n) for at, n in d.hourly],
        )  # fmt: skip


class CorrectionIn(BaseModel):
    """补卡: when, which way, why. The author is the signed-in user."""

    model_config = ConfigDict(extra="forbid")

    worker_id: int
    at: AwareDatetime
    direction: Direction
    reason: str = Field(min_length=1, max_length=roster_service.MAX_REASON)


class CorrectionDecisionIn(BaseModel):
    """Approving or rejecting a pending correction; rejecting needs a comment."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=roster_service.MAX_COMMENT)
