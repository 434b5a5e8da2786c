"""Every query ingest makes: devices, nonces, stored events by seq, bulk insert, chain breaks,
findings, and the roster rows a gate downloads.

Bulk inserts go through the dialect's own `insert` so `ON CONFLICT DO NOTHING ... RETURNING` is
one statement per batch on both SQLite and PostgreSQL (habit 8).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Insert, Table, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.enums import GateResult, WarningLevel
from server.auth.models import DeviceNonce
from server.ingest.models import ChainBreak, GateEventRow, stored_text_columns
from server.ops.models import RetentionBoundary
from server.reconciliation.models import Finding, FindingEvent
from server.registry.models import (
    Assignment,
    CardBinding,
    Company,
    Device,
    FaceTemplate,
    Project,
    Team,
    Worker,
)

# (hash, prev_hash) of a stored event, keyed by seq.
StoredLinks = dict[int, tuple[str, str]]


def dialect_insert(session: Session, table: Table) -> Insert:
    """`INSERT` that knows `on_conflict_do_nothing`, chosen by the bound dialect's name."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"unsupported database dialect {name!r}")


# --- devices and nonces --------------------------------------------------------------------------


def device_by_code(session: Session, code: str) -> Device | None:
    return session.scalar(select(Device).where(Device.code == code))


def device_by_code_hash(session: Session, code_hash: str) -> Device | None:
    return session.scalar(
        select(Device).where(Device.provisioning_code_hash == code_hash).with_for_update()
    )


def lock_device(session: Session, device_id: int) -> Device:
    """Re-read the device row under a row lock: one ingest per device at a time (PostgreSQL)."""
    device = session.scalar(
        select(Device)
        .where(Device.id == device_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert device is not None  # noqa: S101 - the caller was authenticated as this device
    return device


def remember_nonce(session: Session, device_id: int, nonce: str, now: dt.datetime) -> bool:
    """Record a nonce; False when this device already used it (a replay)."""
    stmt = dialect_insert(session, DeviceNonce.__table__).returning(  # type: ignore[arg-type]
        DeviceNonce.__table__.c.id
    )
    row = session.execute(stmt, {"device_id": device_id, "nonce": nonce, "seen_at": now}).first()
    return row is not None


def prune_nonces(session: Session, device_id: int, before: dt.datetime) -> None:
    """Nonces older than the freshness window can never be replayed (the timestamp is stale)."""
    session.execute(
        delete(DeviceNonce).where(DeviceNonce.device_id == device_id, DeviceNonce.seen_at < before)
    )


# --- stored events -------------------------------------------------------------------------------


def stored_links(session: Session, device_id: int, seqs: set[int]) -> StoredLinks:
    """(hash, prev_hash) of this device's stored events at the given seqs, in one query.

    A compact span is read as a range over the (device_id, seq) index; a sparse set as IN.
    """
    if not seqs:
        return {}
    lo, hi = min(seqs), max(seqs)
    cond = (
        GateEventRow.seq.between(lo, hi)
        if hi - lo <= 2 * len(seqs) + 8
        else GateEventRow.seq.in_(sorted(seqs))
    )
    rows = session.execute(
        select(GateEventRow.seq, GateEventRow.hash, GateEventRow.prev_hash).where(
            GateEventRow.device_id == device_id, cond
        )
    )
    links = {seq: (h, p) for seq, h, p in rows if seq in seqs}
    marker = retention_boundary(session, device_id)
    if marker is not None and marker[0] in seqs:
        links[marker[0]] = (marker[1], "")  # the last retired record: its hash is kept
    return links


def retention_boundary(session: Session, device_id: int) -> tuple[int, str, int] | None:
    """(through_seq, hash of that record, records retired) when retention deleted the start of
    the gate's chain (server/ops/retention.py), else None. The checks start from there."""
    row = session.execute(
        select(
            RetentionBoundary.through_seq, RetentionBoundary.through_hash, RetentionBoundary.records
        ).where(RetentionBoundary.device_id == device_id)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]), int(row[2]))


def stored_after(session: Session, device_id: int, seq: int, limit: int) -> list[tuple[int, str]]:
    """The next stored (seq, hash) above `seq`, in order: for advancing the contiguous cursor."""
    rows = session.execute(
        select(GateEventRow.seq, GateEventRow.hash)
        .where(GateEventRow.device_id == device_id, GateEventRow.seq > seq)
        .order_by(GateEventRow.seq)
        .limit(limit)
    )
    return [(s, h) for s, h in rows]


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> set[int]:
    """Insert events, skipping any that collide on (device_id, seq) or event_id; returns the
    seqs actually inserted. One statement (insertmanyvalues) per batch, not one per row."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return _insert_events_unnest(session, rows)
    table: Table = GateEventRow.__table__  # type: ignore[assignment]
    stmt = dialect_insert(session, table).returning(table.c.seq)
    return {seq for (seq,) in session.execute(stmt, list(rows))}


# PostgreSQL: one array parameter per column and `unnest` keep the statement short. A
# multi-VALUES insert of 1,000 rows has 18,000 placeholders, and psycopg spends more time
# parsing that text than PostgreSQL spends inserting (profiled: ~40 % of ingest CPU).
_PG_ARRAY_TYPES = {
    "event_id": "uuid[]",
    "device_id": "bigint[]",
    "project_id": "bigint[]",
    "seq": "bigint[]",
    "device_time": "timestamptz[]",
    "received_at": "timestamptz[]",
    "direction": "varchar[]",
    "mode": "varchar[]",
    "credential": "varchar[]",
    "credential_ref": "varchar[]",
    "worker_id": "bigint[]",
    "result": "varchar[]",
    "reason": "varchar[]",
    "face_score": "float8[]",
    "voids_seq": "bigint[]",
    "purpose": "varchar[]",
    "subject_hash": "varchar[]",
    "checkpoint": "json[]",  # sent as JSON text
    "liveness": "varchar[]",
    "terminal_ref": "varchar[]",
    "prev_hash": "varchar[]",
    "hash": "varchar[]",
    "signature": "varchar[]",
    "chain_ok": "boolean[]",
    "voided_by_seq": "bigint[]",
    "clock_skew_s": "bigint[]",
}
_PG_COLUMNS = ", ".join(_PG_ARRAY_TYPES)
_PG_ARRAYS = ", ".join(f"CAST(:{c} AS {t})" for c, t in _PG_ARRAY_TYPES.items())
# Built once from the constants above; no value from a request reaches the statement text.
_PG_INSERT = text(
    f"INSERT INTO gate_event ({_PG_COLUMNS}) SELECT * FROM unnest({_PG_ARRAYS}) "  # noqa: S608
    "ON CONFLICT DO NOTHING RETURNING seq"
)


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _pg_value(column: str, value: Any) -> Any:
    if column == "checkpoint":
        return None if value is None else json.dumps(value, sort_keys=True)
    return _enum_value(value)


def _insert_events_unnest(session: Session, rows: Sequence[dict[str, Any]]) -> set[int]:
    params = {c: [_pg_value(c, r[c]) for r in rows] for c in _PG_ARRAY_TYPES}
    return {seq for (seq,) in session.execute(_PG_INSERT, params)}


def mark_chain_broken(session: Session, device_id: int, seqs: Sequence[int]) -> None:
    if seqs:
        session.execute(
            update(GateEventRow)
            .where(GateEventRow.device_id == device_id, GateEventRow.seq.in_(seqs))
            .values(chain_ok=False)
        )


def void_pass(
    session: Session, device_id: int, seq: int, worker_id: int | None, *, by_seq: int
) -> None:
    """Mark the granted record at `seq` as not passed (its follow-up is `by_seq`)."""
    session.execute(
        update(GateEventRow)
        .where(
            GateEventRow.device_id == device_id,
            GateEventRow.seq == seq,
            GateEventRow.result == GateResult.GRANTED,
            GateEventRow.worker_id == worker_id,
            GateEventRow.voided_by_seq.is_(None),
        )
        .values(voided_by_seq=by_seq)
    )


def stored_summary(
    session: Session, device_id: int, high_seq: int
) -> tuple[int, int | None, str | None]:
    """(count, highest seq, hash at `high_seq`) of a device's stored events, by the index;
    records retired by retention are counted as held through their boundary."""
    count, top = session.execute(
        select(func.count(), func.max(GateEventRow.seq)).where(GateEventRow.device_id == device_id)
    ).one()
    at_high = session.scalar(
        select(GateEventRow.hash).where(
            GateEventRow.device_id == device_id, GateEventRow.seq == high_seq
        )
    )
    marker = retention_boundary(session, device_id)
    if marker is None:
        return int(count), top, at_high
    # Retired records count as held up to the boundary: what ingest acknowledged still adds up.
    through, through_hash, retired = marker
    if high_seq == through:
        at_high = through_hash
    return int(count) + retired, max(top or 0, through), at_high


def stored_seqs(session: Session, device_id: int, chunk: int = 20000) -> Iterator[int]:
    """Every stored seq of a device, ascending, read by keyset over the (device_id, seq) index."""
    after = 0
    while True:
        seqs = list(
            session.scalars(
                select(GateEventRow.seq)
                .where(GateEventRow.device_id == device_id, GateEventRow.seq > after)
                .order_by(GateEventRow.seq)
                .limit(chunk)
            )
        )
        if not seqs:
            return
        yield from seqs
        after = seqs[-1]


def chain_rows(session: Session, device_id: int, chunk: int = 2000) -> Iterator[Any]:
    """All of a device's stored events in seq order, as plain rows (no identity map growth),
    read in chunks by keyset so a year of events never sits in memory at once. Enum columns come
    as their stored text: a value edited outside the enum then fails the hash, not the read."""
    table: Table = GateEventRow.__table__  # type: ignore[assignment]
    columns = stored_text_columns()
    after = 0
    while True:
        rows = session.execute(
            select(*columns)
            .where(table.c.device_id == device_id, table.c.seq > after)
            .order_by(table.c.seq)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def chain_breaks_for(session: Session, device_id: int) -> list[ChainBreak]:
    return list(
        session.scalars(
            select(ChainBreak).where(ChainBreak.device_id == device_id).order_by(ChainBreak.seq)
        )
    )


def insert_chain_breaks(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        table: Table = ChainBreak.__table__  # type: ignore[assignment]
        session.execute(dialect_insert(session, table), list(rows))


def existing_finding_keys(session: Session, project_id: int, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        session.scalars(
            select(Finding.key).where(Finding.project_id == project_id, Finding.key.in_(keys))
        )
    )


def add_finding(
    session: Session,
    *,
    project_id: int,
    period: str,
    kind: str,
    level: WarningLevel,
    key: str,
    device_id: int,
    message_zh: str,
    message_en: str,
    evidence: dict[str, Any],
) -> Finding:
    finding = Finding(
        project_id=project_id,
        period=period,
        kind=kind,
        level=level,
        key=key,
        device_id=device_id,
        message_zh=message_zh,
        message_en=message_en,
        evidence=evidence,
        status="open",
    )
    session.add(finding)
    session.flush()
    session.add(FindingEvent(finding_id=finding.id, action="raised", comment="ingest"))
    return finding


# --- roster ---------------------------------------------------------------------------------------


RosterRow = tuple[Assignment, Worker, str | None, bool | None, str | None]


def roster_rows(
    session: Session, project_id: int, since: int | None, *, worker_ids: list[int] | None = None
) -> list[RosterRow]:
    """Assignments of the project (changed after `since`, of the given workers, or all), with
    worker, company name, company blocklist flag and team name, in one query."""
    stmt = (
        select(Assignment, Worker, Company.name, Company.blocklisted, Team.name)
        .join(Worker, Worker.id == Assignment.worker_id)
        .outerjoin(Company, Company.id == Assignment.company_id)
        .outerjoin(Team, Team.id == Assignment.team_id)
        .where(Assignment.project_id == project_id)
        .order_by(Assignment.id)
    )
    if since is not None:
        stmt = stmt.where(Assignment.roster_version > since)
    if worker_ids is not None:
        stmt = stmt.where(Assignment.worker_id.in_(worker_ids))
    return [(a, w, c, cb, t) for a, w, c, cb, t in session.execute(stmt)]


def card_uids_for(session: Session, assignment_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if assignment_ids:
        rows = session.execute(
            select(CardBinding.assignment_id, CardBinding.uid)
            .where(CardBinding.assignment_id.in_(assignment_ids))
            .order_by(CardBinding.id)
        )
        for assignment_id, uid in rows:
            out.setdefault(assignment_id, []).append(uid)
    return out


def template_ciphertexts_for(session: Session, worker_ids: Sequence[int]) -> dict[int, list[bytes]]:
    out: dict[int, list[bytes]] = {}
    if worker_ids:
        rows = session.execute(
            select(FaceTemplate.worker_id, FaceTemplate.ciphertext)
            .where(FaceTemplate.worker_id.in_(worker_ids))
            .order_by(FaceTemplate.id)
        )
        for worker_id, ciphertext in rows:
            out.setdefault(worker_id, []).append(ciphertext)
    return out


def project(session: Session, project_id: int) -> Project:
    found = session.get(Project, project_id)
    assert found is not None  # noqa: S101 - device.project_id is a foreign key
    return found


def worker_by_id_number(session: Session, id_number: str) -> Worker | None:
    return session.scalar(select(Worker).where(Worker.id_number == id_number))


def assignment_for(session: Session, project_id: int, worker_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(
            Assignment.project_id == project_id, Assignment.worker_id == worker_id
        )
    )
