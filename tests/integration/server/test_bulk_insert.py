"""server/db/bulk.py: rows it inserts are stored exactly as the ORM would store them (the same
text on SQLite, the same values on PostgreSQL), defaults included, so queries that compare or
sort stored values see no difference between an imported worker and one added by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, WageKind
from server.db.bulk import prepare_insert
from server.registry.models import Assignment, Worker
from tests.factories import make_project

FIXED = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _stored(session: Session, table: str, row_id: int) -> dict[str, Any]:
    row = session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})  # noqa: S608
    out = dict(row.mappings().one())
    out.pop("id")
    return out


def test_a_prepared_worker_is_stored_as_the_orm_stores_it(session: Session) -> None:
    values = {
        "name": "张三",
        "id_number": "11010519491231002X",
        "gender": "F",
        "birth_date": dt.date(1949, 12, 31),
        "phone": "13800138000",
        "bank_card": None,
        "bank_name": "",
        "created_at": FIXED,
        "updated_at": FIXED,
    }
    by_orm = Worker(**values)
    session.add(by_orm)
    session.flush()
    twin = {**values, "id_number": "110105194912310046"}
    prepare_insert(session.get_bind().dialect, _table(Worker), [twin]).execute(session)
    bulk_id = session.scalar(select(Worker.id).where(Worker.id_number == twin["id_number"]))
    assert bulk_id is not None
    orm_row, bulk_row = _stored(session, "worker", by_orm.id), _stored(session, "worker", bulk_id)
    assert orm_row.pop("id_number") != bulk_row.pop("id_number")
    assert (
        bulk_row == orm_row
    )  # defaults (nation, flags, the pinyin name key) and the text of times
    assert bulk_row["name_key"]  # the context-taking default ran on the row's own name


def test_late_columns_and_enums(session: Session) -> None:
    project = make_project(session)
    worker = Worker(
        name="李四", id_number="110105194912310046", gender="M", birth_date=dt.date(1949, 12, 31)
    )
    session.add(worker)
    session.flush()
    prepared = prepare_insert(
        session.get_bind().dialect,
        _table(Assignment),
        [{"wage_kind": WageKind.MONTHLY, "status": AssignmentStatus.ACTIVE, "trade": "木工"}],
        late=("project_id", "worker_id", "roster_version"),
    )
    prepared.execute(
        session, [{"project_id": project.id, "worker_id": worker.id, "roster_version": 7}]
    )
    stored = session.scalars(select(Assignment).where(Assignment.worker_id == worker.id)).one()
    assert (stored.wage_kind, stored.status, stored.trade) == (
        WageKind.MONTHLY,
        AssignmentStatus.ACTIVE,
        "木工",
    )
    assert (stored.roster_version, stored.face_opt_out, stored.wage_rate_fen) == (7, False, 0)
    assert stored.created_at.tzinfo is not None
