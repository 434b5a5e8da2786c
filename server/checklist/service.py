"""Gather the checklist's facts for many projects at once and apply the rules.

One query per kind of fact for the whole set of projects (wage accounts, deposits, officers,
notice boards, platform accounts, platform problems, open findings, the workers on site), so
the inspector's cross-project view costs the same eight queries for 3 projects or 300. The
caller has checked scope (server/auth/scope.py); nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, WarningLevel
from server.checklist import rules
from server.notice import service as notice_service
from server.platform import service as platform_service
from server.platform.models import PlatformAccount, PlatformJob
from server.reconciliation.models import Finding
from server.reconciliation.rules import FindingKind
from server.registry import settings as project_settings
from server.registry.models import Assignment, Project, Worker
from server.safeguards.models import LabourOfficer, WageAccount, WageDeposit

# 总包代发 as the reconciliation sees it: paid to an account not the worker's own, or paid from
# an account that is not the project's wage account.
DISBURSEMENT_KINDS = (FindingKind.ACCOUNT_NOT_WORKERS, FindingKind.PAID_NOT_FROM_WAGE_ACCOUNT)


@dataclass(frozen=True, slots=True)
class ProjectChecklist:
    project: Project
    level: WarningLevel
    items: list[rules.Item]

    @property
    def failing(self) -> list[rules.Item]:
        return [i for i in self.items if not i.ok]


def settings_of(project: Project) -> rules.ChecklistSettings:
    """The project's levels; a stored value that no longer validates is at its default."""
    section, _, _ = project_settings.effective(project, project_settings.ChecklistSection.key)
    return rules.ChecklistSettings(**section.model_dump())


def facts(session: Session, project_ids: Sequence[int]) -> dict[int, rules.ProjectFacts]:
    """Every project's facts, one query per kind of fact."""
    ids = list(set(project_ids))
    if not ids:
        return {}
    accounts = {
        pid: signed is not None
        for pid, signed in session.execute(
            select(WageAccount.project_id, WageAccount.tripartite_signed_on).where(
                WageAccount.project_id.in_(ids)
            )
        )
    }
    deposits = set(
        session.scalars(
            select(WageDeposit.project_id)
            .where(WageDeposit.project_id.in_(ids), WageDeposit.released_on.is_(None))
            .distinct()
        )
    )
    officers = set(
        session.scalars(
            select(LabourOfficer.project_id)
            .where(LabourOfficer.project_id.in_(ids), LabourOfficer.ended_on.is_(None))
            .distinct()
        )
    )
    boards = notice_service.boards(session, project_ids=set(ids))
    platform = set(
        session.scalars(
            select(PlatformAccount.project_id).where(
                PlatformAccount.project_id.in_(ids), PlatformAccount.active.is_(True)
            )
        )
    )
    problems = dict(
        session.execute(
            select(PlatformJob.project_id, func.count())
            .where(
                PlatformJob.project_id.in_(ids),
                PlatformJob.state.in_(platform_service.PROBLEM_STATES),
            )
            .group_by(PlatformJob.project_id)
        ).all()
    )
    findings = dict(
        session.execute(
            select(Finding.project_id, func.count())
            .where(
                Finding.project_id.in_(ids),
                Finding.status == "open",
                Finding.kind.in_([k.value for k in DISBURSEMENT_KINDS]),
            )
            .group_by(Finding.project_id)
        ).all()
    )

    def missing(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    # Only workers on site count: a contract is what the gate reads (contract_signed_on, which
    # recording a 劳动合同 sets), the card is the worker's own (总包代发 pays into it).
    on_site = {
        pid: (int(total), int(no_contract), int(no_card), int(no_training))
        for pid, total, no_contract, no_card, no_training in session.execute(
            select(
                Assignment.project_id,
                func.count(),
                missing(Assignment.contract_signed_on.is_(None)),
                missing(or_(Worker.bank_card.is_(None), Worker.bank_card == "")),
                missing(Assignment.safety_trained_on.is_(None)),
            )
            .join(Worker, Worker.id == Assignment.worker_id)
            .where(Assignment.project_id.in_(ids), Assignment.status == AssignmentStatus.ACTIVE)
            .group_by(Assignment.project_id)
        ).all()
    }
    out = {}
    for pid in ids:
        total, no_contract, no_card, no_training = on_site.get(pid, (0, 0, 0, 0))
        out[pid] = rules.ProjectFacts(
            wage_account=pid in accounts,
            tripartite=accounts.get(pid, False),
            deposit=pid in deposits,
            labour_officer=pid in officers,
            notice_missing=rules.notice_missing(boards[pid]),
            platform_account=pid in platform,
            platform_problems=int(problems.get(pid, 0)),
            disbursement_findings=int(findings.get(pid, 0)),
            on_site=total,
            without_contract=no_contract,
            without_bank_card=no_card,
            without_training=no_training,
        )
    return out


def checklists(session: Session, projects: Sequence[Project]) -> list[ProjectChecklist]:
    """The checklist of each project, red projects first (then orange, yellow, green)."""
    gathered = facts(session, [p.id for p in projects])
    out = []
    for project in projects:
        items = rules.evaluate(gathered[project.id], settings_of(project))
        out.append(ProjectChecklist(project, rules.overall(items), items))
    return sorted(out, key=lambda c: rules.sort_key(c.level, c.project.code))


def checklist(session: Session, project: Project) -> ProjectChecklist:
    return checklists(session, [project])[0]
