"""A provisioned gate for the checks: its key, outbox and sync worker against a running server,
and the comparison of what the gate holds with what the server stored."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from edge.decision import Attempt
from edge.outbox import Outbox
from edge.roster_cache import RosterCache, roster_key
from edge.sync import Backoff, SyncClient, SyncWorker, provision
from models.device_auth import new_private_key, private_key_bytes
from models.enums import CredentialKind, DenyReason, Direction, GateMode, GateResult
from soak.procs import chain_breaks, server_events
from soak.world import Seeded, seed

UIDS = [f"C0FFEE{i:02X}" for i in range(1, 21)]


def seed_gate_world(db_url: str) -> Seeded:
    return seed(db_url, [(u, f"工人{i}", u, [], False) for i, u in enumerate(UIDS)])


@dataclass
class SoakGate:
    seeded: Seeded
    data: Path
    outbox: Outbox
    client: SyncClient
    worker: SyncWorker
    roster: RosterCache

    @classmethod
    def provision(
        cls,
        seeded: Seeded,
        base_url: str,
        data: Path,
        *,
        timeout_s: float = 5.0,
        provision_url: str | None = None,
    ) -> SoakGate:
        data.mkdir(parents=True, exist_ok=True)
        key = new_private_key()
        (data / "device.key").write_bytes(private_key_bytes(key))
        provision(provision_url or base_url, seeded.provisioning_code, key)
        client = SyncClient(base_url, device_code=seeded.device_code, key=key, timeout_s=timeout_s)
        outbox = Outbox(data / "outbox.sqlite3", device_id=seeded.device_code, key=key)
        roster = RosterCache(data / "roster.sqlite3", key=roster_key(private_key_bytes(key)))
        worker = SyncWorker(client, outbox, roster, batch_size=100, backoff=Backoff(0.02, 0.2))
        return cls(seeded, data, outbox, client, worker, roster)

    def append(self, n: int, rng: random.Random, start: dt.datetime) -> None:
        """n decisions as the gate would record them (granted and refused cards)."""
        people = list(self.seeded.people.values())
        for i in range(n):
            person = rng.choice(people)
            granted = rng.random() < 0.9
            self.outbox.append(
                Attempt(
                    at=start + dt.timedelta(seconds=7 * i),
                    direction=Direction.IN,
                    mode=GateMode.CARD_ONLY,
                    credential=CredentialKind.IC_CARD,
                    credential_ref=person.card_uid or "",
                    worker_id=person.worker_id,
                    result=GateResult.GRANTED if granted else GateResult.REFUSED,
                    reason=None if granted else DenyReason.NOT_ENTERED,
                )
            )

    def close(self) -> None:
        self.worker.stop()
        self.roster.close()
        self.outbox.close()
        self.client.close()


@dataclass(frozen=True)
class Tally:
    held: int  # events on the gate
    stored: int  # events on the server
    lost: int  # on the gate, not on the server
    duplicates: int  # stored more than once, or stored with another hash than the gate's
    breaks: int  # chain breaks the server recorded


def compare(gate: SoakGate, db_url: str) -> Tally:
    events = list(gate.outbox.iter_events())
    stored = server_events(db_url, gate.seeded.device_pk)
    by_seq: dict[int, list[str]] = {}
    for seq, _, digest, _ in stored:
        by_seq.setdefault(seq, []).append(digest)
    lost = sum(1 for e in events if e.seq not in by_seq)
    dup = sum(len(v) - 1 for v in by_seq.values())
    dup += sum(1 for e in events if e.seq in by_seq and e.hash not in by_seq[e.seq])
    return Tally(len(events), len(stored), lost, dup, chain_breaks(db_url, gate.seeded.device_pk))
