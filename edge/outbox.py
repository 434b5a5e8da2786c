"""The durable outbox: every gate attempt, chained and signed, in SQLite before the relay moves.
Records that are no pass attempt (a wage confirmation at a station) join the same chain.

- WAL + synchronous=FULL: `append()` returns only after the commit is on disk, so a decision
  the gate acted on survives kill -9 and power loss; a transaction cut short leaves no row.
- `append()` assigns seq and prev_hash from the `chain` row inside the same BEGIN IMMEDIATE
  transaction that inserts the event, so there is exactly one chain even across restarts.
- With a checkpoint policy, the outbox seals its own checkpoints (models.checkpoint) into the
  chain: when a record's local day follows the last one's, and every N records. `prune` keeps
  every row after the last checkpoint, so a checkpoint is always made over rows still held.
- Rows move ready → sending → acked (or rejected). On open, `sending` goes back to `ready`
  (persist-queue's resume_unack_tasks). Nothing is deleted before the server's ack; `prune`
  deletes acked rows by age, and the chain head lives in its own row so pruning never breaks it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from models import checkpoint as cp
from models.device_auth import sign_event_hash
from models.enums import Direction, GateMode, GateResult, RecordPurpose
from models.gate_event import GENESIS_HASH, GateEvent, GateEventBody, seal

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from edge.decision import Attempt

READY = "ready"
SENDING = "sending"
ACKED = "acked"
REJECTED = "rejected"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    device_id TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    device_time TEXT NOT NULL,
    worker_id INTEGER,
    result TEXT NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ready',
    error TEXT,
    acked_at TEXT
);
CREATE INDEX IF NOT EXISTS ix_event_status_seq ON event (status, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enrollment (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ready',
    error TEXT,
    created_at TEXT NOT NULL
);
"""


class OutboxError(Exception):
    code = "edge.outbox"


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """When the device seals a checkpoint: at the end of its local day in `zone` (the first
    record of a new day closes the last, as does the uploader's tick overnight), and after
    `every_n` records. The checkpoint record carries the gate's own direction."""

    zone: dt.tzinfo = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has no DST
    every_n: int = cp.DEFAULT_EVERY_N
    direction: Direction = Direction.IN


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int  # events not yet acknowledged (ready + sending)
    rejected: int
    last_seq: int
    last_hash: str
    acked_through: int
    oldest_pending_at: str | None
    enrollments_pending: int


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode: every transaction is an explicit BEGIN … COMMIT below.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


class Outbox:
    """One device's event chain. Thread-safe: the agent appends while the uploader reads."""

    def __init__(
        self,
        path: Path,
        *,
        device_id: str,
        key: Ed25519PrivateKey | None = None,
        checkpoints: CheckpointPolicy | None = None,
    ) -> None:
        self.path = path
        self.device_id = device_id
        self._key = key
        self.checkpoints = checkpoints
        self._lock = threading.Lock()
        self._conn = connect(path)
        with self._lock:
            self._conn.executescript(_SCHEMA)
            self._conn.execute("BEGIN IMMEDIATE")
            row = self._conn.execute("SELECT device_id FROM chain WHERE id = 1").fetchone()
            if row is None:
                self._conn.execute(
                    "INSERT INTO chain (id, device_id, last_seq, last_hash) VALUES (1, ?, 0, ?)",
                    (device_id, GENESIS_HASH),
                )
            elif row[0] != device_id:
                self._conn.execute("ROLLBACK")
                self._conn.close()
                raise OutboxError(
                    f"发件箱属于设备 {row[0]},不是 {device_id} / outbox belongs to {row[0]}"
                )
            self._conn.execute("UPDATE event SET status = ? WHERE status = ?", (READY, SENDING))
            self._conn.execute(
                "UPDATE enrollment SET status = ? WHERE status = ?", (READY, SENDING)
            )
            self._conn.execute("COMMIT")

    # -- writing ------------------------------------------------------------------------------

    def append(self, attempt: Attempt) -> GateEvent:
        """Seal, sign and store one attempt; returns after the commit is durable. With a
        checkpoint policy, a day that is over is sealed first and every N records after."""
        with self._lock:
            policy = self.checkpoints
            if policy is not None:
                self._checkpoint_if_day_over(attempt.at, policy)
            event = self._append_locked(
                lambda seq, prev: GateEventBody(
                    event_id=uuid.uuid4(),
                    device_id=self.device_id,
                    seq=seq,
                    device_time=attempt.at,
                    direction=attempt.direction,
                    mode=attempt.mode,
                    credential=attempt.credential,
                    credential_ref=attempt.credential_ref,
                    worker_id=attempt.worker_id,
                    result=attempt.result,
                    reason=attempt.reason,
                    face_score=attempt.face_score,
                    voids_seq=attempt.voids_seq,
                    purpose=attempt.purpose,
                    subject_hash=attempt.subject_hash,
                    liveness=attempt.liveness,
                    prev_hash=prev,
                )
            )
            if policy is not None and event.seq - self._checkpoint_head()[0] >= policy.every_n:
                self._checkpoint_locked(attempt.at, policy, cp.CheckpointReason.EVERY_N)
            return event

    def _append_locked(self, make: Callable[[int, str], GateEventBody]) -> GateEvent:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            last_seq, last_hash = conn.execute(
                "SELECT last_seq, last_hash FROM chain WHERE id = 1"
            ).fetchone()
            event = seal(make(last_seq + 1, last_hash))
            if self._key is not None:
                event = event.model_copy(
                    update={"signature": sign_event_hash(self._key, event.hash)}
                )
            conn.execute(
                "INSERT INTO event (seq, event_id, device_time, worker_id, result, hash, body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event.seq,
                    str(event.event_id),
                    event.device_time.astimezone(dt.UTC).isoformat(),
                    event.worker_id,
                    event.result.value,
                    event.hash,
                    event.model_dump_json(),
                ),
            )
            conn.execute(
                "UPDATE chain SET last_seq = ?, last_hash = ? WHERE id = 1",
                (event.seq, event.hash),
            )
            if event.checkpoint is not None:
                for key, value in (
                    ("checkpoint_seq", str(event.seq)),
                    ("checkpoint_hash", event.hash),
                ):
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO"
                        " UPDATE SET value = excluded.value",
                        (key, value),
                    )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return event

    # -- checkpoints --------------------------------------------------------------------------

    def _checkpoint_head(self) -> tuple[int, str]:
        rows = dict(
            self._conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('checkpoint_seq', 'checkpoint_hash')"
            ).fetchall()
        )
        return int(rows.get("checkpoint_seq", 0)), str(rows.get("checkpoint_hash", GENESIS_HASH))

    def _period(self) -> list[tuple[int, str, int | None, str]]:
        """(seq, hash, worker_id, device_time) of the rows since the last checkpoint."""
        after, _ = self._checkpoint_head()
        rows = self._conn.execute(
            "SELECT seq, hash, worker_id, device_time FROM event WHERE seq > ? ORDER BY seq",
            (after,),
        ).fetchall()
        return [
            (int(r[0]), str(r[1]), None if r[2] is None else int(r[2]), str(r[3])) for r in rows
        ]

    def _checkpoint_locked(
        self, at: dt.datetime, policy: CheckpointPolicy, reason: cp.CheckpointReason
    ) -> GateEvent | None:
        period = self._period()
        # An outbox older than checkpoints may have pruned its first rows: seal what is held,
        # from the first contiguous run that ends at the head.
        while period and [r[0] for r in period] != list(
            range(period[0][0], period[0][0] + len(period))
        ):
            period = period[1:]
        if not period:
            return None
        _, prev_cp = self._checkpoint_head()
        last_day = dt.datetime.fromisoformat(period[-1][3]).astimezone(policy.zone).date()
        body = cp.build(
            [(s, h, w) for s, h, w, _ in period],
            prev_checkpoint_hash=prev_cp,
            day=last_day.isoformat(),
            reason=reason,
        )
        return self._append_locked(
            lambda seq, prev: GateEventBody(
                event_id=uuid.uuid4(),
                device_id=self.device_id,
                seq=seq,
                device_time=max(at, dt.datetime.fromisoformat(period[-1][3])),
                direction=policy.direction,
                mode=GateMode.CARD_ONLY,
                result=GateResult.GRANTED,
                purpose=RecordPurpose.CHECKPOINT,
                checkpoint=body,
                prev_hash=prev,
            )
        )

    def _checkpoint_if_day_over(
        self, now: dt.datetime, policy: CheckpointPolicy
    ) -> GateEvent | None:
        last = self._conn.execute(
            "SELECT e.device_time FROM event e JOIN chain c ON e.seq = c.last_seq"
        ).fetchone()
        if last is None or self._checkpoint_head()[0] >= self._last_seq():
            return None
        last_day = dt.datetime.fromisoformat(str(last[0])).astimezone(policy.zone).date()
        if now.astimezone(policy.zone).date() <= last_day:
            return None
        return self._checkpoint_locked(now, policy, cp.CheckpointReason.DAY_END)

    def _last_seq(self) -> int:
        return int(self._conn.execute("SELECT last_seq FROM chain WHERE id = 1").fetchone()[0])

    def checkpoint_if_day_over(self, now: dt.datetime) -> GateEvent | None:
        """The uploader's tick: seal the records of a local day that is over (none: no-op)."""
        if self.checkpoints is None:
            return None
        with self._lock:
            return self._checkpoint_if_day_over(now, self.checkpoints)

    def checkpoint_now(self, now: dt.datetime) -> GateEvent | None:
        """Seal the records since the last checkpoint now (an operator, or a test)."""
        with self._lock:
            policy = self.checkpoints or CheckpointPolicy()
            return self._checkpoint_locked(now, policy, cp.CheckpointReason.EVERY_N)

    def checkpoint_status(self) -> tuple[int, str, int]:
        """(seq of the last checkpoint, its hash, records sealed by none yet)."""
        with self._lock:
            seq, h = self._checkpoint_head()
            return seq, h, self._last_seq() - seq

    # -- the uploader's side ------------------------------------------------------------------

    def pending(self, limit: int) -> list[GateEvent]:
        """The oldest unacknowledged events (a peek; `mark_sending` flags them)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT body FROM event WHERE status IN (?, ?) ORDER BY seq LIMIT ?",
                (READY, SENDING, limit),
            ).fetchall()
        return [GateEvent.model_validate_json(r[0]) for r in rows]

    def mark_sending(self, first_seq: int, last_seq: int) -> None:
        self._write(
            "UPDATE event SET status = ? WHERE seq BETWEEN ? AND ? AND status = ?",
            (SENDING, first_seq, last_seq, READY),
        )

    def release(self) -> None:
        """A send failed: everything in flight is ready again."""
        self._write("UPDATE event SET status = ? WHERE status = ?", (READY, SENDING))

    def ack_through(self, seq: int) -> int:
        """The server holds every event up to `seq`; returns how many rows changed state."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.execute(
                "UPDATE event SET status = ?, acked_at = ? WHERE seq <= ? AND status IN (?, ?)",
                (ACKED, _now(), seq, READY, SENDING),
            )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('acked_through', ?) ON CONFLICT(key) DO"
                " UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                (str(seq),),
            )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('last_upload_at', ?) ON CONFLICT(key) DO"
                " UPDATE SET value = excluded.value",
                (_now(),),
            )
            conn.execute("UPDATE event SET status = ? WHERE status = ?", (READY, SENDING))
            conn.execute("COMMIT")
            return cur.rowcount

    def reopen_above(self, seq: int) -> int:
        """The server holds less than we thought (restored backup): resend what we still have."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.execute(
                "UPDATE event SET status = ?, acked_at = NULL WHERE seq > ? AND status = ?",
                (READY, seq, ACKED),
            )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('acked_through', ?) ON CONFLICT(key) DO"
                " UPDATE SET value = excluded.value",
                (str(seq),),
            )
            conn.execute("COMMIT")
            return cur.rowcount

    def reject(self, seq: int, error: str) -> None:
        self._write("UPDATE event SET status = ?, error = ? WHERE seq = ?", (REJECTED, error, seq))

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO"
            " UPDATE SET value = excluded.value",
            (key, value),
        )

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- enrollments queued while offline --------------------------------------------------------

    def queue_enrollment(self, body_json: str) -> int:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            cur = self._conn.execute(
                "INSERT INTO enrollment (body, created_at) VALUES (?, ?)", (body_json, _now())
            )
            self._conn.execute("COMMIT")
            return int(cur.lastrowid or 0)

    def pending_enrollments(self, limit: int = 20) -> list[tuple[int, str]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, body FROM enrollment WHERE status = ? ORDER BY id LIMIT ?",
                (READY, limit),
            ).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def finish_enrollment(self, row_id: int, *, error: str | None = None) -> None:
        status = ACKED if error is None else REJECTED
        self._write(
            "UPDATE enrollment SET status = ?, error = ? WHERE id = ?", (status, error, row_id)
        )

    # -- reading ------------------------------------------------------------------------------

    def stats(self) -> OutboxStats:
        with self._lock:
            c = self._conn
            depth = c.execute(
                "SELECT count(*) FROM event WHERE status IN (?, ?)", (READY, SENDING)
            ).fetchone()[0]
            rejected = c.execute(
                "SELECT count(*) FROM event WHERE status = ?", (REJECTED,)
            ).fetchone()[0]
            last_seq, last_hash = c.execute(
                "SELECT last_seq, last_hash FROM chain WHERE id = 1"
            ).fetchone()
            oldest = c.execute(
                "SELECT min(device_time) FROM event WHERE status IN (?, ?)", (READY, SENDING)
            ).fetchone()[0]
            acked = c.execute("SELECT value FROM meta WHERE key = 'acked_through'").fetchone()
            enrol = c.execute(
                "SELECT count(*) FROM enrollment WHERE status = ?", (READY,)
            ).fetchone()[0]
        return OutboxStats(
            depth=int(depth),
            rejected=int(rejected),
            last_seq=int(last_seq),
            last_hash=str(last_hash),
            acked_through=int(acked[0]) if acked else 0,
            oldest_pending_at=oldest,
            enrollments_pending=int(enrol),
        )

    def recent_grants(self, since: dt.datetime) -> dict[int, dt.datetime]:
        """Last grant per worker since `since`: anti-passback memory after a restart. A grant
        whose pass did not happen (a later record voids it) does not count, nor a record that
        is no pass attempt at all (a wage confirmation at a station: it has a purpose)."""
        cutoff = since.astimezone(dt.UTC).isoformat()
        with self._lock:
            rows = self._conn.execute(
                "SELECT worker_id, max(device_time) FROM event WHERE result = ?"
                " AND worker_id IS NOT NULL AND device_time >= ?"
                " AND json_extract(body, '$.purpose') IS NULL"
                " AND seq NOT IN (SELECT json_extract(body, '$.voids_seq') FROM event"
                " WHERE device_time >= ? AND json_extract(body, '$.voids_seq') IS NOT NULL)"
                " GROUP BY worker_id",
                (GateResult.GRANTED.value, cutoff, cutoff),
            ).fetchall()
        return {int(w): dt.datetime.fromisoformat(t) for w, t in rows}

    def hash_at(self, seq: int) -> str | None:
        """This gate's hash at `seq`, while the row is kept (acked rows are pruned by age)."""
        with self._lock:
            row = self._conn.execute("SELECT hash FROM event WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else str(row[0])

    def events(self, after_seq: int = 0, limit: int = 1000) -> list[GateEvent]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT body FROM event WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
            ).fetchall()
        return [GateEvent.model_validate_json(r[0]) for r in rows]

    def iter_events(self) -> Iterator[GateEvent]:
        after = 0
        while batch := self.events(after):
            yield from batch
            after = batch[-1].seq

    def prune(self, older_than: dt.datetime) -> int:
        """Delete acked rows older than the cutoff; the chain head is kept in `chain`, and with
        a checkpoint policy no row after the last checkpoint goes (the next one seals them)."""
        with self._lock:
            keep_after = self._checkpoint_head()[0] if self.checkpoints else None
            self._conn.execute("BEGIN IMMEDIATE")
            cur = self._conn.execute(
                "DELETE FROM event WHERE status = ? AND acked_at < ? AND (? IS NULL OR seq <= ?)",
                (ACKED, older_than.isoformat(), keep_after, keep_after),
            )
            self._conn.execute("COMMIT")
            return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(sql, params)
            self._conn.execute("COMMIT")


def verify_chain(events: list[GateEvent], *, start_hash: str = GENESIS_HASH) -> list[str]:
    """Problems in a run of events from seq 1: gaps, broken links, wrong hashes."""
    from models.gate_event import verify_hash

    problems: list[str] = []
    prev = start_hash
    expected = events[0].seq if events else 1
    for ev in events:
        if ev.seq != expected:
            problems.append(f"gap: expected seq {expected}, got {ev.seq}")
        if ev.prev_hash != prev:
            problems.append(f"seq {ev.seq}: prev_hash does not link")
        if not verify_hash(ev):
            problems.append(f"seq {ev.seq}: hash does not match body")
        prev = ev.hash
        expected = ev.seq + 1
    return problems
