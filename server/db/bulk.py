"""Bulk INSERTs whose parameters are made ready before the write transaction opens.

On SQLite a write transaction holds the database's one write lock from its first statement on
(BEGIN IMMEDIATE, server/db/session.py), and every other writer (a sign-in, a gate's upload)
waits for it. For a 20,000-row import most of the time inside the lock was SQLAlchemy turning
Python values into the driver's (column defaults, type conversion: 2 s of a 2.5 s write under
load). `Prepared` does that work up front, from the same column defaults and the same type
processors, so inside the lock only the driver's executemany runs.

Columns whose values are known only inside the transaction (ids of rows inserted just before)
are left `late`: plain integers passed as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Table
from sqlalchemy.orm import Session


class _Context:
    """What a context-taking column default asks of SQLAlchemy's execution context."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self._params = params

    def get_current_parameters(self) -> Mapping[str, Any]:
        return self._params


def _default_of(column: Any) -> Callable[[Mapping[str, Any]], Any] | None:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg
        return lambda _row: value
    if default.is_callable:  # SQLAlchemy wraps every callable default to take the context
        fn = default.arg
        return lambda row: fn(_Context(row))
    return None  # a SQL-expression default: leave the column to the database


@dataclass(frozen=True)
class Prepared:
    sql: str  # as SQLAlchemy compiled it for the dialect
    order: tuple[str, ...] | None  # the parameters' order when the driver's style is positional
    params: list[dict[str, Any]]

    def execute(self, session: Session, late: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Run the INSERT in the session's transaction; `late` gives the late columns' values
        row by row (plain integers, passed to the driver as they are)."""
        if not self.params:
            return
        rows = self.params
        if late is not None:
            rows = [{**p, **v} for p, v in zip(self.params, late, strict=True)]
        order = self.order
        params: list[Any] = rows if order is None else [tuple(r[k] for k in order) for r in rows]
        session.connection().exec_driver_sql(self.sql, params)

    def take(self, params: list[dict[str, Any]]) -> Prepared:
        """The same INSERT for other (prepared) rows."""
        return Prepared(self.sql, self.order, params)


def prepare_insert(
    dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]], *, late: Sequence[str] = ()
) -> Prepared:
    """The INSERT of `rows` into `table` with every value already in the driver's form: given
    values and Python-side column defaults, through each column type's bind processor."""
    columns = [
        c
        for c in table.columns
        if not (c.primary_key and c.autoincrement in (True, "auto"))
        and (c.name in late or c.default is not None or any(c.name in r for r in rows[:1]))
    ]
    defaults = {c.name: _default_of(c) for c in columns}
    # dialect_impl: the type as the dialect stores it (SQLite DATETIME text, not the driver's
    # own adapter, whose text differs and would not compare with the rows the ORM writes)
    processors = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns}
    params: list[dict[str, Any]] = []
    for row in rows:
        out: dict[str, Any] = {}
        for c in columns:
            name = c.name
            if name in late:
                continue
            if name in row:
                value = row[name]
            else:
                make = defaults[name]
                value = make(row) if make is not None else None
            process = processors[name]
            out[name] = process(value) if process is not None else value
        params.append(out)
    compiled = table.insert().compile(dialect=dialect, column_keys=[c.key for c in columns])
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return Prepared(str(compiled), order, params)
