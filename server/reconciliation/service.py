"""Reconciliation as a service: load the roster and the payroll lines, call `rules.reconcile`,
persist the findings by their stable key, and let people resolve or waive them with a comment.

Persistence (by project × period × key; history is never deleted):

- a new finding is inserted with a "raised" event;
- an open finding is updated (level, message, evidence);
- a resolved or waived finding stays as the person left it unless its level rose: then it is
  reopened with a "reopened" event saying so;
- a "gone" finding that occurs again is reopened;
- an open finding that no longer occurs becomes "gone" with an event; a resolved or waived one
  that no longer occurs keeps the person's decision.

CHAIN_BREAK findings are raised by ingest in the same table; they are never touched by a run but
count in the project's level.

Stale: when a figure of a reconciled month changes afterwards (an approved correction to the
closed month, rosters.closing.mark_month_changed; later a wage sheet line), the stored findings
no longer match the roster. Every summary and level then says `stale` (with when and why) until
the month is run again, which clears it.

The level of a project × month is the highest level among its *open* findings: a finding
resolved or waived with a comment no longer raises it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import WarningLevel
from models.money import Fen
from server.auth import scope
from server.auth import service as auth_service
from server.auth.models import AuditLog, User
from server.db.types import utcnow
from server.errors import ConflictError, NotFoundError, ValidationFailedError
from server.payroll import service as payroll_service
from server.reconciliation import rules
from server.reconciliation.models import Finding, FindingEvent
from server.registry.models import Project, Worker
from server.rosters import closing
from server.rosters import service as roster_service
from server.safeguards import rules as safeguard_rules
from server.safeguards import service as safeguard_service
from server.wages import sheets as wage_sheets

RUN_KINDS = frozenset(k.value for k in rules.FindingKind)
CHAIN_BREAK = "CHAIN_BREAK"
STATUSES = ("open", "resolved", "waived", "gone")
Action = Literal["resolve", "waive", "reopen"]
_ACTION_EVENT = {"resolve": "resolved", "waive": "waived", "reopen": "reopened"}
_LEVEL_RANK = {
    WarningLevel.GREEN: 0,
    WarningLevel.YELLOW: 1,
    WarningLevel.ORANGE: 2,
    WarningLevel.RED: 3,
}
_SYSTEM_COMMENT = "工资核对 / reconciliation run"


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class TableRow:
    """One line of the per-worker reconciliation table."""

    worker_id: int
    name: str
    id_number_masked: str
    company_name: str
    team_name: str
    wage_kind: str
    rate_fen: Fen
    attended_days: float
    hours: float
    corrected_days: int
    expected_fen: Fen | None
    paid_fen: Fen
    difference_fen: Fen | None
    status: rules.RowStatus
    level: WarningLevel


@dataclass(frozen=True, slots=True)
class FindingView:
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


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: dt.datetime
    action: str
    comment: str
    user_id: int | None
    user_name: str | None


@dataclass(frozen=True, slots=True)
class FindingDetail:
    finding: FindingView
    history: tuple[HistoryEntry, ...]


@dataclass(frozen=True, slots=True)
class LevelSummary:
    level: WarningLevel  # from open findings
    counts: dict[WarningLevel, int]  # open findings per level
    reconciled: bool  # a run has happened for this project × month
    last_run_at: dt.datetime | None
    stale: bool = False  # figures changed since the last run: run it again


@dataclass(frozen=True, slots=True)
class ReconSummary:
    project_id: int
    project_code: str
    project_name: str
    period: str
    pay_day: dt.date
    today: dt.date
    level: WarningLevel  # from open findings, CHAIN_BREAK included
    computed_level: WarningLevel  # what the rules found now, before any resolve/waive
    counts: dict[WarningLevel, int]  # open findings per level
    rows: tuple[TableRow, ...]
    findings: tuple[FindingView, ...]  # every finding of the month, open first
    rule_notes: tuple[str, ...]
    last_run_at: dt.datetime | None
    raised: int = 0
    updated: int = 0
    reopened: int = 0
    gone: int = 0
    stale: bool = False  # the stored findings predate a change to the month's figures
    stale_at: dt.datetime | None = None
    stale_reason: str = ""  # "zh / en": the latest change

    @property
    def stale_reason_zh(self) -> str:
        return split_reason(self.stale_reason)[0]

    @property
    def stale_reason_en(self) -> str:
        return split_reason(self.stale_reason)[1]

    run_as_of: dt.date | None = None  # the as-of date ("today") of the last stored run
    # False for `preview`: findings computed as of `today` and not stored (new ones have id 0)
    stored: bool = True


# --------------------------------------------------------------------------------------------
# Computing


@dataclass(frozen=True, slots=True)
class _Computed:
    project: Project
    period: str
    today: dt.date
    result: rules.ReconResult
    rows: tuple[TableRow, ...]
    settings: rules.ReconSettings


def _compute(
    session: Session,
    *,
    project_id: int,
    period: str,
    today: dt.date,
    month: roster_service.MonthRoster | None = None,
) -> _Computed:
    with roster_service.gc_paused():  # thousands of rows built at once: see gc_paused
        return _compute_rows(session, project_id, period, today, month)


def _compute_rows(
    session: Session,
    project_id: int,
    period: str,
    today: dt.date,
    month: roster_service.MonthRoster | None,
) -> _Computed:
    if month is None:
        roster = roster_service.load_month(session, project_id=project_id, period=period)
    else:  # the caller has loaded it already (a page showing both): do not load it twice
        year, mon = roster_service.parse_period(period)
        if (month.project_id, month.year, month.month) != (project_id, year, mon):
            raise ValueError(
                f"month= is {month.project_id}/{month.period}, not {project_id}/{period}"
            )
        if month.company_id is not None or month.as_of is not None or month.worker_id is not None:
            raise ValueError("month= must be the whole project's roster, loaded without as_of")
        roster = month
    project = session.get(Project, project_id)
    assert project is not None  # noqa: S101 - load_month raised 404 otherwise
    settings = payroll_service.recon_settings(project)
    workers = [payroll_service.worker_month_input(r) for r in roster.rows]
    lines = payroll_service.lines_for_period(session, project_id=project_id, period=roster.period)
    result = rules.reconcile(
        roster.period,
        workers,
        [payroll_service.line_input(ln) for ln in lines],
        today=today,
        settings=settings,
        sheet_lines=wage_sheets.recon_inputs(session, project_id, roster.period),
        wage_account=project.wage_account_no or None,
    )
    result = _with_statement(session, project_id, result, settings)
    by_worker = {r.worker_id: r for r in roster.rows}
    table = tuple(
        TableRow(
            worker_id=r.worker_id,
            name=r.name,
            id_number_masked=by_worker[r.worker_id].id_number_masked,
            company_name=by_worker[r.worker_id].company_name,
            team_name=by_worker[r.worker_id].team_name,
            wage_kind=r.wage_kind.value,
            rate_fen=by_worker[r.worker_id].wage_rate_fen,
            attended_days=r.attended_days,
            hours=r.hours,
            corrected_days=by_worker[r.worker_id].month.corrected_days,
            expected_fen=r.expected_fen,
            paid_fen=r.paid_fen,
            difference_fen=r.difference_fen,
            status=r.status,
            level=r.level,
        )
        for r in result.rows
    )
    return _Computed(project, roster.period, today, result, table, settings)


def _with_statement(
    session: Session, project_id: int, result: rules.ReconResult, settings: rules.ReconSettings
) -> rules.ReconResult:
    """The wage account statement's findings (专户流水: LABOUR_COST_NOT_ALLOCATED,
    WAGE_ACCOUNT_SHORT) beside the per-worker ones, against the month's payroll."""
    extra = safeguard_service.statement_findings(
        session,
        project_id=project_id,
        period=result.period,
        payroll_fen=safeguard_rules.month_payroll_fen(result.rows),
        settings=settings,
    )
    if not extra:
        return result
    findings = (*result.findings, *extra)
    return dataclasses.replace(result, findings=findings, level=rules.project_level(findings))


def rows(
    session: Session,
    *,
    project_id: int,
    period: str,
    today: dt.date | None = None,
    month: roster_service.MonthRoster | None = None,
) -> tuple[TableRow, ...]:
    """The per-worker table (attended days, expected, paid, difference, status), computed now.

    `month`: the project's `roster_service.load_month` for `period` (whole project, no company
    filter), when the caller has it already; otherwise it is loaded here.
    """
    project = roster_service.get_project_or_raise(session, project_id)
    return _compute(
        session,
        project_id=project_id,
        period=period,
        today=today or payroll_service.project_today(project),
        month=month,
    ).rows


# --------------------------------------------------------------------------------------------
# Persisting


def _rose(old: WarningLevel, new: WarningLevel) -> bool:
    return _LEVEL_RANK[new] > _LEVEL_RANK[old]


def _event(
    session: Session, finding: Finding, action: str, comment: str, user: User | None
) -> None:
    session.add(
        FindingEvent(
            finding_id=finding.id,
            action=action,
            comment=comment,
            user_id=user.id if user else None,
        )
    )


def run(
    session: Session,
    *,
    project_id: int,
    period: str,
    today: dt.date,
    user: User | None = None,
    month: roster_service.MonthRoster | None = None,
) -> ReconSummary:
    """Reconcile a project × month and persist its findings; idempotent for the same inputs.

    `month` as in `rows`. Stored findings are read in one query and new ones inserted in one
    flush, so a month with thousands of findings costs a few statements, not one per finding.
    """
    # Serialise runs of one project (PostgreSQL row lock; SQLite serialises writers anyway).
    project = session.get(Project, project_id, with_for_update=True)
    if project is None:
        raise NotFoundError("项目", "project")
    computed = _compute(session, project_id=project_id, period=period, today=today, month=month)
    period = computed.period
    stored = {
        f.key: f
        for f in session.scalars(
            select(Finding).where(
                Finding.project_id == project_id,
                Finding.period == period,
                Finding.kind.in_(RUN_KINDS),
            )
        )
    }
    raised = updated = reopened = gone = 0
    seen: set[str] = set()
    new_rows: list[Finding] = []
    for found in computed.result.findings:
        key = found.key
        if key in seen:  # the rules give one finding per key; be safe all the same
            continue
        seen.add(key)
        evidence = found.evidence.as_dict()
        row = stored.get(key)
        if row is None:
            row = Finding(
                project_id=project_id,
                period=period,
                kind=found.kind.value,
                level=found.level,
                key=key,
                worker_id=found.worker_id,
                payroll_line_id=found.line_id,
                message_zh=found.message_zh,
                message_en=found.message_en,
                evidence=evidence,
                status="open",
            )
            new_rows.append(row)
            raised += 1
            continue
        old_level = row.level
        if row.status == "open":
            if (row.level, row.message_zh, row.message_en, row.evidence) != (
                found.level,
                found.message_zh,
                found.message_en,
                evidence,
            ):
                updated += 1
        elif row.status == "gone":
            _event(session, row, "reopened", "再次出现 / occurs again", user)
            row.status = "open"
            reopened += 1
        elif _rose(old_level, found.level):
            _event(
                session,
                row,
                "reopened",
                f"级别由 {old_level.value} 升为 {found.level.value} / "
                f"level rose from {old_level.value} to {found.level.value}",
                user,
            )
            row.status = "open"
            reopened += 1
        else:
            continue  # resolved / waived and not worse: as the person left it
        row.level = found.level
        row.message_zh = found.message_zh
        row.message_en = found.message_en
        row.evidence = evidence
    for key, row in stored.items():
        if key not in seen and row.status == "open":
            row.status = "gone"
            _event(session, row, "gone", "不再出现 / no longer occurs", user)
            gone += 1
    if new_rows:  # one batched INSERT … RETURNING for the ids, then their "raised" events
        session.add_all(new_rows)
        session.flush()
        for row in new_rows:
            _event(session, row, "raised", _SYSTEM_COMMENT, user)
    session.flush()
    closing.record_run(session, project_id=project_id, period=period)  # current again: not stale
    auth_service.audit(
        session,
        user,
        closing.RECON_RUN_ACTION,
        "reconciliation",
        project_id,
        project_id=project_id,
        detail={
            "period": period,
            "today": today.isoformat(),
            "level": computed.result.level.value,
            "raised": raised,
            "updated": updated,
            "reopened": reopened,
            "gone": gone,
        },
    )
    session.flush()
    return _summary(session, computed, raised=raised, updated=updated, reopened=reopened, gone=gone)


def split_reason(text: str) -> tuple[str, str]:
    """A stored "zh / en" reason as (zh, en); one language only is both."""
    zh, sep, en = text.partition(" / ")
    return (zh, en) if sep else (text, text)


@dataclass(frozen=True, slots=True)
class Staleness:
    stale: bool
    stale_at: dt.datetime | None
    reason: str  # "zh / en"


def staleness(
    session: Session,
    *,
    project_id: int,
    period: str,
    last_run_at: dt.datetime | None = None,
) -> Staleness:
    """Whether the month's stored reconciliation predates a change to its figures: a change
    marked (rosters.closing.mark_month_changed) since the last run, of a month that has run.
    `last_run_at`: the caller's, when it has it."""
    if last_run_at is None:
        last = _last_runs(session, [project_id]).get((project_id, period))
        last_run_at = last.at if last else None
    state = closing.month_state(session, project_id=project_id, period=period)
    if last_run_at is None or state is None or state.stale_at is None:
        return Staleness(False, None, "")
    return Staleness(True, state.stale_at, state.stale_reason)


def _summary(
    session: Session,
    computed: _Computed,
    views: Sequence[FindingView] | None = None,
    **changes: int,
) -> ReconSummary:
    """The summary of `computed` with the stored findings, or with `views` (a preview's)."""
    project = computed.project
    stored = views is None
    if views is None:
        views = findings_for(session, project_id=project.id, period=computed.period)
    counts = _counts(v.level for v in views if v.status == "open")
    last = _last_runs(session, [project.id]).get((project.id, computed.period))
    stale = staleness(
        session,
        project_id=project.id,
        period=computed.period,
        last_run_at=last.at if last else None,
    )
    return ReconSummary(
        project_id=project.id,
        project_code=project.code,
        project_name=project.name,
        period=computed.period,
        pay_day=computed.result.pay_day,
        today=computed.today,
        level=_level_of(counts),
        computed_level=computed.result.level,
        counts=counts,
        rows=computed.rows,
        findings=tuple(views),
        rule_notes=computed.settings.rule_notes(),
        last_run_at=last.at if last else None,
        run_as_of=last.as_of if last else None,
        stored=stored,
        stale=stale.stale,
        stale_at=stale.stale_at,
        stale_reason=stale.reason,
        **changes,
    )


def summary(
    session: Session,
    *,
    project_id: int,
    period: str,
    today: dt.date | None = None,
    month: roster_service.MonthRoster | None = None,
) -> ReconSummary:
    """The stored findings and level with the per-worker table computed now (no writes).

    `month` as in `rows`.
    """
    project = roster_service.get_project_or_raise(session, project_id)
    computed = _compute(
        session,
        project_id=project_id,
        period=period,
        today=today or payroll_service.project_today(project),
        month=month,
    )
    return _summary(session, computed)


def preview(
    session: Session,
    *,
    project_id: int,
    period: str,
    today: dt.date,
) -> ReconSummary:
    """What `run` would store for `today`, computed and not stored: no write, no audit.

    The read an inspector makes "as of" a date (policy: inspectors only read reconciliation;
    the stored run stays the manager's). Its findings and the per-worker table come from the
    same computation, so they agree. A finding already stored keeps its id and, as `run` keeps
    it, a person's decision (resolved / waived, unless its level rose); a finding not stored
    yet has id 0; a stored open finding that no longer occurs shows as "gone".
    """
    project = roster_service.get_project_or_raise(session, project_id)
    computed = _compute(session, project_id=project.id, period=period, today=today)
    stmt = (
        select(Finding, Worker.name)
        .outerjoin(Worker, Worker.id == Finding.worker_id)
        .where(Finding.project_id == project.id, Finding.period == computed.period)
    )
    stored = {f.key: (f, name) for f, name in session.execute(stmt).all()}
    names = {r.worker_id: r.name for r in computed.rows}
    now = utcnow()
    views: list[FindingView] = []
    seen: set[str] = set()
    for found in computed.result.findings:
        if found.key in seen:
            continue
        seen.add(found.key)
        hit = stored.get(found.key)
        if hit is None:
            views.append(
                FindingView(
                    id=0,
                    project_id=project.id,
                    period=computed.period,
                    kind=found.kind.value,
                    level=found.level,
                    status="open",
                    key=found.key,
                    worker_id=found.worker_id,
                    worker_name=names.get(found.worker_id) if found.worker_id else None,
                    payroll_line_id=found.line_id,
                    device_id=None,
                    message_zh=found.message_zh,
                    message_en=found.message_en,
                    evidence=found.evidence.as_dict(),
                    created_at=now,
                    updated_at=now,
                )
            )
            continue
        row, name = hit
        view = _view(row, name)
        reopens = row.status == "gone" or (
            row.status in ("resolved", "waived") and _rose(row.level, found.level)
        )
        if row.status == "open" or reopens:
            view = dataclasses.replace(
                view,
                status="open",
                level=found.level,
                message_zh=found.message_zh,
                message_en=found.message_en,
                evidence=found.evidence.as_dict(),
            )
        views.append(view)  # else resolved / waived and not worse: as the person left it
    for key, (row, name) in stored.items():
        if key in seen:
            continue
        view = _view(row, name)
        if row.kind in RUN_KINDS and row.status == "open":
            view = dataclasses.replace(view, status="gone")
        views.append(view)  # CHAIN_BREAK (ingest's) and closed findings: as stored
    views.sort(key=_finding_order)
    return _summary(session, computed, views)


# --------------------------------------------------------------------------------------------
# Reading findings and levels


def _counts(levels: Iterable[WarningLevel]) -> dict[WarningLevel, int]:
    counts = dict.fromkeys((WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW), 0)
    for level in levels:
        if level in counts:
            counts[level] += 1
    return counts


def _level_of(counts: Mapping[WarningLevel, int]) -> WarningLevel:
    return rules.max_level(level for level, n in counts.items() if n)


def _view(f: Finding, worker_name: str | None) -> FindingView:
    return FindingView(
        id=f.id,
        project_id=f.project_id,
        period=f.period,
        kind=f.kind,
        level=f.level,
        status=f.status,
        key=f.key,
        worker_id=f.worker_id,
        worker_name=worker_name,
        payroll_line_id=f.payroll_line_id,
        device_id=f.device_id,
        message_zh=f.message_zh,
        message_en=f.message_en,
        evidence=dict(f.evidence or {}),
        created_at=f.created_at,
        updated_at=f.updated_at,
    )


def findings_for(
    session: Session, *, project_id: int, period: str, status: str | None = None
) -> list[FindingView]:
    """Every finding of a project × month (CHAIN_BREAK included): open first, red first."""
    stmt = (
        select(Finding, Worker.name)
        .outerjoin(Worker, Worker.id == Finding.worker_id)
        .where(Finding.project_id == project_id, Finding.period == period)
    )
    if status is not None:
        stmt = stmt.where(Finding.status == status)
    views = [_view(f, name) for f, name in session.execute(stmt).all()]
    views.sort(key=_finding_order)
    return views


def _finding_order(v: FindingView) -> tuple[int, int, str, int]:
    """Open first, red first; then by kind and age."""
    return (
        STATUSES.index(v.status) if v.status in STATUSES else 9,
        -_LEVEL_RANK[v.level],
        v.kind,
        v.id,
    )


def project_level(session: Session, *, project_id: int, period: str) -> WarningLevel:
    """Red if any open red finding, else orange, else yellow, else green."""
    levels = session.scalars(
        select(Finding.level).where(
            Finding.project_id == project_id,
            Finding.period == period,
            Finding.status == "open",
        )
    )
    return rules.max_level(levels)


@dataclass(frozen=True, slots=True)
class _Run:
    at: dt.datetime
    as_of: dt.date | None  # the run's "today", as its audit entry recorded it


def _as_of(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _last_runs(session: Session, project_ids: Sequence[int]) -> dict[tuple[int, str], _Run]:
    out: dict[tuple[int, str], _Run] = {}
    if not project_ids:
        return out
    stmt = (
        select(AuditLog.project_id, AuditLog.at, AuditLog.detail)
        .where(AuditLog.action == closing.RECON_RUN_ACTION, AuditLog.project_id.in_(project_ids))
        .order_by(AuditLog.at, AuditLog.id)
    )
    for pid, at, detail in session.execute(stmt).all():
        period = (detail or {}).get("period")
        if pid is not None and isinstance(period, str):
            out[(pid, period)] = _Run(at, _as_of((detail or {}).get("today")))
    return out


def levels_for_projects(
    session: Session, *, project_ids: Sequence[int], periods: Sequence[str]
) -> dict[tuple[int, str], LevelSummary]:
    """The inspector overview: level and open counts per level for each project × period."""
    result: dict[tuple[int, str], LevelSummary] = {}
    if not project_ids or not periods:
        return result
    grouped: dict[tuple[int, str], list[WarningLevel]] = defaultdict(list)
    stmt = select(Finding.project_id, Finding.period, Finding.level).where(
        Finding.project_id.in_(project_ids),
        Finding.period.in_(periods),
        Finding.status == "open",
    )
    for pid, period, level in session.execute(stmt).all():
        grouped[(pid, period)].append(level)
    runs = _last_runs(session, project_ids)
    stale = closing.stale_months(session, project_ids=list(project_ids), periods=list(periods))
    for pid in project_ids:
        for period in periods:
            counts = _counts(grouped.get((pid, period), ()))
            last = runs.get((pid, period))
            result[(pid, period)] = LevelSummary(
                level=_level_of(counts),
                counts=counts,
                reconciled=last is not None or bool(grouped.get((pid, period))),
                last_run_at=last.at if last else None,
                stale=last is not None and (pid, period) in stale,
            )
    return result


def _finding_in_scope(
    session: Session, user: User, finding_id: int, resource: scope.Resource, action: scope.Action
) -> Finding:
    """404 for a finding outside the caller's scope; 403 where the role may not (server/auth)."""
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFoundError("预警", "finding")
    scope.authorize(
        session,
        user,
        resource,
        action,
        project_id=finding.project_id,
        not_found=("预警", "finding"),
    )
    return finding


def _history(session: Session, finding_id: int) -> tuple[HistoryEntry, ...]:
    stmt = (
        select(FindingEvent, User.full_name, User.username)
        .outerjoin(User, User.id == FindingEvent.user_id)
        .where(FindingEvent.finding_id == finding_id)
        .order_by(FindingEvent.at, FindingEvent.id)
    )
    return tuple(
        HistoryEntry(
            at=ev.at,
            action=ev.action,
            comment=ev.comment,
            user_id=ev.user_id,
            user_name=(full or username) if ev.user_id else None,
        )
        for ev, full, username in session.execute(stmt).all()
    )


def _detail(session: Session, finding: Finding) -> FindingDetail:
    name = None
    if finding.worker_id is not None:
        name = session.scalar(select(Worker.name).where(Worker.id == finding.worker_id))
    return FindingDetail(_view(finding, name), _history(session, finding.id))


def get_finding(session: Session, *, user: User, finding_id: int) -> FindingDetail:
    """A finding with its history; 404 outside the caller's scope, 403 for workers."""
    finding = _finding_in_scope(
        session, user, finding_id, scope.Resource.FINDINGS, scope.Action.READ
    )
    return _detail(session, finding)


# --------------------------------------------------------------------------------------------
# Acting on a finding


class CommentRequiredError(ValidationFailedError):
    code = "reconciliation.comment_required"


class FindingStateError(ConflictError):
    code = "reconciliation.bad_transition"


_ALLOWED_FROM = {"resolve": ("open",), "waive": ("open",), "reopen": ("resolved", "waived")}
_STATUS_ZH = {"open": "未处理", "resolved": "已解决", "waived": "已豁免", "gone": "已消除"}
# Who may do what is the policy table's (server/auth/policy.py): inspectors resolve and waive
# (their job); a site manager may resolve (e.g. after paying) or reopen, but not waive a warning
# about their own project.
_RESOURCE = {
    "resolve": scope.Resource.FINDINGS,
    "waive": scope.Resource.FINDING_WAIVER,
    "reopen": scope.Resource.FINDINGS,
}


def act_on_finding(
    session: Session,
    *,
    user: User,
    finding_id: int,
    action: str,
    comment: str,
) -> FindingDetail:
    """Resolve, waive or reopen a finding with a comment; the history keeps every step."""
    if action not in _ACTION_EVENT:
        raise ValidationFailedError(
            f"未知操作 {action!r}(可用: resolve 解决、waive 豁免、reopen 重新打开)",
            f"unknown action {action!r} (resolve, waive or reopen)",
            code="reconciliation.bad_action",
        )
    finding = _finding_in_scope(session, user, finding_id, _RESOURCE[action], scope.Action.WRITE)
    text = (comment or "").strip()
    if not text:
        raise CommentRequiredError(
            "必须填写处理说明", "a comment is required to resolve, waive or reopen a finding"
        )
    if finding.status not in _ALLOWED_FROM[action]:
        zh = _STATUS_ZH.get(finding.status, finding.status)
        raise FindingStateError(
            f"该预警当前状态为「{zh}」,不能执行此操作",
            f"the finding is {finding.status}; cannot {action} it",
        )
    before = finding.status
    finding.status = "open" if action == "reopen" else _ACTION_EVENT[action]
    _event(session, finding, _ACTION_EVENT[action], text[:2000], user)
    auth_service.audit(
        session,
        user,
        f"finding.{action}",
        "finding",
        finding.id,
        project_id=finding.project_id,
        detail={"before": before, "after": finding.status, "comment": text[:2000]},
    )
    session.flush()
    return _detail(session, finding)
