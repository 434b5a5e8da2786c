"""The project's roster on the gate PC: applied by version, kept on disk, read without the server.

Each entry is stored AES-GCM encrypted (full ID numbers and face templates are personal and
biometric data, RULES.md "Retention and privacy"); the key is derived from the device key, so a
copied database file alone reveals nothing. `apply()` is one transaction: a crash mid-download
leaves the previous version intact. Readers get an immutable `RosterSnapshot`, swapped atomically.
The project's gate confirmers (names and card UIDs) are stored the same way, in one sealed row
replaced on every download.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import TypeAdapter

from edge.face_index import TemplateIndex
from edge.outbox import connect
from models.enums import AssignmentStatus
from models.roster import Confirmer, GatePolicy, RosterEntry
from models.sync import RosterDelta

_SCHEMA = """
CREATE TABLE IF NOT EXISTS roster_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    project_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    policy TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS roster_entry (
    assignment_id INTEGER PRIMARY KEY,
    nonce BLOB NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS roster_confirmers (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    nonce BLOB NOT NULL,
    data BLOB NOT NULL
);
"""

_CONFIRMERS = TypeAdapter(list[Confirmer])
_STATUS_RANK = {AssignmentStatus.ACTIVE: 0, AssignmentStatus.PENDING: 1, AssignmentStatus.LEFT: 2}


def roster_key(device_key_raw: bytes) -> bytes:
    """A 256-bit storage key derived from the device's private key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"sitegate-edge-roster-v1"
    ).derive(device_key_raw)


class RosterSnapshot:
    """One roster version with its lookups and face index; never changes once built."""

    def __init__(
        self,
        entries: Iterable[RosterEntry],
        *,
        version: int = 0,
        project_id: int = 0,
        policy: GatePolicy | None = None,
        confirmers: Iterable[Confirmer] = (),
    ) -> None:
        self.version = version
        self.project_id = project_id
        self.policy = policy or GatePolicy()
        self.confirmers: dict[str, Confirmer] = {c.card_uid.upper(): c for c in confirmers}
        self.entries: dict[int, RosterEntry] = {e.assignment_id: e for e in entries}
        # A worker may hold an old LEFT and a new ACTIVE assignment: the most current wins.
        ordered = sorted(self.entries.values(), key=lambda e: _STATUS_RANK[e.status], reverse=True)
        self._by_id: dict[str, RosterEntry] = {e.id_number.upper(): e for e in ordered}
        self._by_worker: dict[int, RosterEntry] = {e.worker_id: e for e in ordered}
        self._by_card: dict[str, RosterEntry] = {
            uid.upper(): e for e in ordered for uid in e.card_uids
        }
        self.index = TemplateIndex.from_entries(self._by_worker.values())

    def by_id_number(self, id_number: str) -> RosterEntry | None:
        return self._by_id.get(id_number.upper())

    def by_card_uid(self, uid: str) -> RosterEntry | None:
        return self._by_card.get(uid.upper())

    def by_worker_id(self, worker_id: int) -> RosterEntry | None:
        return self._by_worker.get(worker_id)

    def confirmer_by_card_uid(self, uid: str) -> Confirmer | None:
        return self.confirmers.get(uid.upper())

    def __len__(self) -> int:
        return len(self.entries)


class RosterCache:
    def __init__(self, path: Path, *, key: bytes) -> None:
        self._aead = AESGCM(key)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection = connect(path)
        self._conn.executescript(_SCHEMA)
        self._snapshot = self._load()

    @property
    def snapshot(self) -> RosterSnapshot:
        return self._snapshot

    @property
    def version(self) -> int:
        return self._snapshot.version

    def apply(self, delta: RosterDelta) -> RosterSnapshot:
        """Apply a download atomically; a delta not based on our version is refused."""
        with self._lock:
            current = self._snapshot
            if not delta.full and delta.since_version != current.version:
                raise ValueError(
                    f"roster delta since {delta.since_version} does not fit version "
                    f"{current.version}"
                )
            entries = {} if delta.full else dict(current.entries)
            for gone in delta.removed:
                entries.pop(gone, None)
            for entry in delta.entries:
                entries[entry.assignment_id] = entry
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                if delta.full:
                    c.execute("DELETE FROM roster_entry")
                c.executemany(
                    "DELETE FROM roster_entry WHERE assignment_id = ?",
                    [(a,) for a in delta.removed],
                )
                c.executemany(
                    "INSERT OR REPLACE INTO roster_entry (assignment_id, nonce, data)"
                    " VALUES (?, ?, ?)",
                    [(e.assignment_id, *self._seal(e)) for e in delta.entries],
                )
                c.execute(
                    "INSERT OR REPLACE INTO roster_meta (id, project_id, version, policy)"
                    " VALUES (1, ?, ?, ?)",
                    (delta.project_id, delta.version, delta.policy.model_dump_json()),
                )
                c.execute(
                    "INSERT OR REPLACE INTO roster_confirmers (id, nonce, data) VALUES (1, ?, ?)",
                    self._seal_json(_CONFIRMERS.dump_json(delta.confirmers)),
                )
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
            self._snapshot = RosterSnapshot(
                entries.values(),
                version=delta.version,
                project_id=delta.project_id,
                policy=delta.policy,
                confirmers=delta.confirmers,
            )
            return self._snapshot

    def _seal(self, entry: RosterEntry) -> tuple[bytes, bytes]:
        return self._seal_json(entry.model_dump_json().encode())

    def _seal_json(self, data: bytes) -> tuple[bytes, bytes]:
        nonce = os.urandom(12)
        return nonce, self._aead.encrypt(nonce, data, None)

    def _load(self) -> RosterSnapshot:
        meta = self._conn.execute(
            "SELECT project_id, version, policy FROM roster_meta WHERE id = 1"
        ).fetchone()
        if meta is None:
            return RosterSnapshot([])
        rows = self._conn.execute("SELECT nonce, data FROM roster_entry").fetchall()
        entries = [
            RosterEntry.model_validate_json(self._aead.decrypt(bytes(n), bytes(d), None))
            for n, d in rows
        ]
        sealed = self._conn.execute(
            "SELECT nonce, data FROM roster_confirmers WHERE id = 1"
        ).fetchone()
        confirmers = (
            _CONFIRMERS.validate_json(self._aead.decrypt(bytes(sealed[0]), bytes(sealed[1]), None))
            if sealed is not None
            else []
        )
        return RosterSnapshot(
            entries,
            version=int(meta[1]),
            project_id=int(meta[0]),
            policy=GatePolicy.model_validate_json(meta[2]),
            confirmers=confirmers,
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
