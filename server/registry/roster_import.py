"""花名册 import: validate every row against the database, then write all of it or none.

The write is short on purpose. On SQLite it holds the database's one write lock (BEGIN
IMMEDIATE), and a sign-in or a gate's upload waits for it: 20,000 new workers, assignments and
cards are made ready for the driver before the first query (server/db/bulk.py), so inside the
transaction only the checks, three executemany INSERTs and a few id look-ups run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, WageKind
from server.auth import service as auth_service
from server.auth.models import User
from server.db.bulk import Prepared, prepare_insert
from server.ops.metrics import timed_import
from server.registry import importer, versioning
from server.registry import repository as repo
from server.registry.models import (
    Assignment,
    CardBinding,
    Company,
    Project,
    ProjectCompany,
    Team,
    Worker,
)


@dataclass(slots=True)
class ImportReport:
    mode: str
    rows: int
    imported: int = 0
    created_workers: int = 0
    updated_workers: int = 0
    skipped_rows: list[int] = field(default_factory=list)
    errors: list[importer.RowIssue] = field(default_factory=list)
    warnings: list[importer.RowIssue] = field(default_factory=list)


def _cell_issue(
    row: importer.RosterRow, name: str, code: str, zh: str, en: str
) -> importer.RowIssue:
    letter, header = row.cells.get(name, (None, None))
    return importer.RowIssue(row.row_number, letter, header, name, code, zh, en)


def _resolve_company(companies: list[tuple[ProjectCompany, Company]], ref: str) -> Company | None:
    key = ref.strip().upper()
    for _, c in companies:
        if c.credit_code == key:
            return c
    for _, c in companies:
        if c.name == ref.strip():
            return c
    return None


@timed_import("roster", "store")
def import_parsed_roster(
    session: Session,
    user: User | None,
    project: Project,
    parsed: importer.RosterParse,
    *,
    filename: str | None = None,
    skip_bad_rows: bool = False,
) -> ImportReport:
    """Validate every parsed row against the database (firms, cards) before writing.

    All-or-nothing by default: any bad row imports nothing. `skip_bad_rows` imports the good
    rows and reports the bad. A worker already registered (same ID number) is updated.
    """
    report = ImportReport(
        mode="skip_bad_rows" if skip_bad_rows else "all_or_nothing",
        rows=parsed.data_rows,
        errors=list(parsed.errors),
        warnings=list(parsed.warnings),
    )
    ready = None if report.errors and not skip_bad_rows else _Ready.of(session, parsed.rows)
    companies = repo.project_companies(session, project.id)
    existing = repo.workers_by_id_numbers(session, [r.id_number for r in parsed.rows])
    cards = repo.cards_by_uids(session, [r.card_uid for r in parsed.rows if r.card_uid])
    on_project = repo.assignments_by_worker(session, project.id)
    seen_uid: dict[str, int] = {}
    good: list[tuple[importer.RosterRow, Company | None]] = []
    for row in parsed.rows:
        issues: list[importer.RowIssue] = []
        company = None
        if row.company:
            company = _resolve_company(companies, row.company)
            if company is None:
                issues.append(
                    _cell_issue(
                        row,
                        "company",
                        "roster.unknown_company",
                        f"企业「{row.company}」未加入本项目(按信用代码或名称查找)",
                        f"company '{row.company}' is not on this project (by credit code or name)",
                    )
                )
            elif company.blocklisted:
                issues.append(
                    _cell_issue(
                        row,
                        "company",
                        "roster.company_blocklisted",
                        f"企业「{company.name}」在黑名单中",
                        f"company '{company.name}' is blocklisted",
                    )
                )
        elif row.team:
            issues.append(
                _cell_issue(
                    row,
                    "team",
                    "roster.team_without_company",
                    "填写班组时须填写所属企业",
                    "a team needs the company column filled in",
                )
            )
        if row.card_uid:
            bound = cards.get(row.card_uid)
            known = existing.get(row.id_number)
            mine = on_project.get(known.id) if known is not None else None
            if bound is not None and (mine is None or bound.assignment_id != mine.id):
                issues.append(
                    _cell_issue(
                        row,
                        "card_uid",
                        "roster.card_taken",
                        f"IC卡 {row.card_uid} 已绑定给其他工人",
                        f"IC card {row.card_uid} is bound to another worker",
                    )
                )
            elif row.card_uid in seen_uid:
                issues.append(
                    _cell_issue(
                        row,
                        "card_uid",
                        "roster.card_duplicate",
                        f"IC卡号与第 {seen_uid[row.card_uid]} 行重复",
                        f"same IC card as row {seen_uid[row.card_uid]}",
                    )
                )
            else:
                seen_uid[row.card_uid] = row.row_number
        if issues:
            report.errors.extend(issues)
        else:
            good.append((row, company))

    report.errors.sort(key=lambda e: (e.row, e.column or ""))
    report.skipped_rows = sorted({e.row for e in report.errors})
    no_columns = any(e.code == "roster.missing_column" for e in report.errors)
    if no_columns or (report.errors and not skip_bad_rows):
        return report
    assert ready is not None  # noqa: S101 - made whenever errors do not stop the import
    _write(session, user, project, good, existing, on_project, report, ready, filename)
    return report


@dataclass(frozen=True)
class _Ready:
    """Each parsed row's new worker, assignment and card, in the driver's form (by row number);
    the ids and whatever the database decides are filled in inside the transaction."""

    workers: dict[int, dict[str, Any]]
    assignments: dict[int, dict[str, Any]]
    cards: dict[int, dict[str, Any]]
    inserts: tuple[Prepared, Prepared, Prepared]  # the statements, for these rows' params

    @classmethod
    def of(cls, session: Session, rows: list[importer.RosterRow]) -> _Ready:
        dialect = session.get_bind().dialect
        workers = prepare_insert(
            dialect,
            _table(Worker),
            [
                {
                    "name": r.name,
                    "id_number": r.id_number,
                    "id_card_type": r.id_card_type.value,
                    "gender": r.gender,
                    "birth_date": r.birth_date,
                    "phone": r.phone,
                    "bank_card": r.bank_card,
                    "bank_name": r.bank_name or "",
                }
                for r in rows
            ],
        )
        assignments = prepare_insert(
            dialect,
            _table(Assignment),
            [
                {
                    "trade": r.trade or "",
                    "wage_kind": r.wage_kind or WageKind.DAILY,
                    "wage_rate_fen": r.wage_rate_fen or 0,
                    "contract_signed_on": r.contract_signed_on,
                    "safety_trained_on": r.safety_trained_on,
                    "entered_on": r.entered_on,
                    "status": AssignmentStatus.ACTIVE
                    if r.entered_on is not None
                    else AssignmentStatus.PENDING,
                }
                for r in rows
            ],
            late=_ASSIGNMENT_LATE,
        )
        with_card = [r for r in rows if r.card_uid]
        cards = prepare_insert(
            dialect,
            _table(CardBinding),
            [{"uid": r.card_uid} for r in with_card],
            late=("assignment_id",),
        )
        numbers = [r.row_number for r in rows]
        return cls(
            dict(zip(numbers, workers.params, strict=True)),
            dict(zip(numbers, assignments.params, strict=True)),
            dict(zip([r.row_number for r in with_card], cards.params, strict=True)),
            (workers, assignments, cards),
        )


_ASSIGNMENT_LATE = ("project_id", "worker_id", "company_id", "team_id", "roster_version")


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _write(
    session: Session,
    user: User | None,
    project: Project,
    good: list[tuple[importer.RosterRow, Company | None]],
    existing: dict[str, Worker],
    on_project: dict[int, Assignment],
    report: ImportReport,
    ready: _Ready,
    filename: str | None,
) -> None:
    if not good:
        return
    renamed: list[int] = []
    worker_ids: dict[str, int] = {}
    new_workers: list[importer.RosterRow] = []
    for row, _company in good:
        worker = existing.get(row.id_number)
        if worker is None:
            new_workers.append(row)
            continue
        worker_ids[row.id_number] = worker.id
        changed = False
        for name, value in (
            ("name", row.name),
            ("phone", row.phone),
            ("bank_card", row.bank_card),
            ("bank_name", row.bank_name),
        ):
            if value is not None and getattr(worker, name) != value:
                setattr(worker, name, value)
                changed = True
        report.updated_workers += int(changed)
        if changed:
            renamed.append(worker.id)
    if new_workers:
        ready.inserts[0].take([ready.workers[r.row_number] for r in new_workers]).execute(session)
        numbers = [r.id_number for r in new_workers]
        for i in range(0, len(numbers), 5000):  # SQLite allows 32,766 bound values
            found = session.execute(
                select(Worker.id_number, Worker.id).where(
                    Worker.id_number.in_(numbers[i : i + 5000])
                )
            )
            worker_ids.update((number, wid) for number, wid in found)
        report.created_workers += len(new_workers)

    teams: dict[tuple[int, str], int] = {}

    def team_id(company: Company, name: str) -> int:
        if (company.id, name) not in teams:
            team = repo.team_by_name(session, project.id, company.id, name)
            if team is None:
                team = Team(project_id=project.id, company_id=company.id, name=name)
                session.add(team)
                session.flush()
            teams[(company.id, name)] = team.id
        return teams[(company.id, name)]

    placed: list[tuple[importer.RosterRow, int]] = []  # (row, assignment id)
    new_rows: list[tuple[importer.RosterRow, dict[str, Any]]] = []  # (row, its late columns)
    for row, company in good:
        wid = worker_ids[row.id_number]
        team = team_id(company, row.team) if company is not None and row.team else None
        assignment = on_project.get(wid)
        if assignment is None:
            late = {
                "project_id": project.id,
                "worker_id": wid,
                "company_id": company.id if company is not None else None,
                "team_id": team,
            }
            new_rows.append((row, late))
            continue
        if company is not None:
            assignment.company_id = company.id
        if team is not None:
            assignment.team_id = team
        for name in (
            "trade",
            "wage_kind",
            "wage_rate_fen",
            "contract_signed_on",
            "safety_trained_on",
        ):
            value = getattr(row, name)
            if value is not None:
                setattr(assignment, name, value)
        if row.entered_on is not None:
            assignment.entered_on = row.entered_on
            if assignment.status == AssignmentStatus.PENDING:
                assignment.status = AssignmentStatus.ACTIVE
        placed.append((row, assignment.id))
    session.flush()
    # The roster version every touched assignment carries: the updated ones are marked by the
    # bump, the new ones are inserted with it.
    version = versioning.bump(session, project.id, [aid for _, aid in placed])
    if new_rows:
        insert = ready.inserts[1].take([ready.assignments[r.row_number] for r, _ in new_rows])
        insert.execute(session, [{**late, "roster_version": version} for _, late in new_rows])
        on_site = session.execute(
            select(Assignment.worker_id, Assignment.id).where(Assignment.project_id == project.id)
        )
        by_worker: dict[int, int] = {}
        by_worker.update((wid, aid) for wid, aid in on_site)
        placed.extend((row, by_worker[late["worker_id"]]) for row, late in new_rows)

    uids = repo.card_uids(session, [aid for row, aid in placed if row.card_uid])
    bound = [(row, aid) for row, aid in placed if row.card_uid and row.card_uid not in uids[aid]]
    ready.inserts[2].take([ready.cards[row.row_number] for row, _ in bound]).execute(
        session, [{"assignment_id": aid} for _, aid in bound]
    )
    report.imported += len(placed)
    session.flush()
    for worker_id in renamed:  # the worker's other projects' gates learn the new identity too
        versioning.bump_for_worker(session, worker_id)
    auth_service.audit(
        session,
        user,
        "import",
        "roster",
        None,
        project_id=project.id,
        detail={
            "filename": filename,
            "imported": report.imported,
            "created_workers": report.created_workers,
            "updated_workers": report.updated_workers,
            "skipped_rows": report.skipped_rows,
            "mode": report.mode,
        },
    )


def report_dict(report: ImportReport) -> dict[str, Any]:
    def issue(i: importer.RowIssue) -> dict[str, Any]:
        return {
            "row": i.row,
            "column": i.column,
            "header": i.header,
            "field": i.field,
            "code": i.code,
            "message_zh": i.message_zh,
            "message_en": i.message_en,
        }

    return {
        "mode": report.mode,
        "rows": report.rows,
        "imported": report.imported,
        "created_workers": report.created_workers,
        "updated_workers": report.updated_workers,
        "skipped_rows": report.skipped_rows,
        "errors": [issue(i) for i in report.errors],
        "warnings": [issue(i) for i in report.warnings],
    }
