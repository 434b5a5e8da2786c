"""A worker-month evidence pack made in memory with the real models (docs/evidence_format.md):
two gates' signed chains with day-end and every-N checkpoints, the server's daily digests,
and one worker's pack with its proofs, so the verifier is tested on what the server makes.

The month is 2026-03 in Asia/Shanghai; the gates run from Feb 27 to Apr 1, so each gate has a
checkpoint before the month and one after it. Workers 101, 102 and 103 pass at GATE-A-IN,
101 and 102 at GATE-A-OUT; some days one of them is away (absence proofs at the left edge, in
the middle, at the right edge) and one checkpoint names nobody at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models import checkpoint as cpm
from models import merkle
from models.device_auth import key_fingerprint, public_key_hex, sign_event_hash
from models.enums import (
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    RecordPurpose,
)
from models.gate_event import GENESIS_HASH, GateEvent, GateEventBody, seal
from server.anchors import signed

ZONE = ZoneInfo("Asia/Shanghai")
PERIOD = "2026-03"
MONTH_START = dt.datetime(2026, 3, 1, tzinfo=ZONE)
MONTH_END = dt.datetime(2026, 4, 1, tzinfo=ZONE)
GATES = ("GATE-A-IN", "GATE-A-OUT")
WORKERS = {101: "张三", 102: "李四", 103: "王五"}
DAYS = [
    dt.date(2026, 2, 27),
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 1),
    dt.date(2026, 3, 2),
    dt.date(2026, 3, 16),
    dt.date(2026, 3, 31),
    dt.date(2026, 4, 1),
]
PROVISIONED = dt.datetime(2026, 2, 26, 9, 0, tzinfo=ZONE)
EVERY_N = 5
VERIFIER = Path(__file__).resolve().parents[2] / "models" / "pack_verifier.py"

Body = Callable[[GateEventBody], GateEventBody]


def key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def utc_text(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Pass:
    at: dt.datetime
    gate: str
    worker: int | None
    result: GateResult = GateResult.GRANTED
    reason: DenyReason | None = None


def schedule() -> list[Pass]:
    out: list[Pass] = []
    for day in DAYS:

        def at(h: int, m: int, day: dt.date = day) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(h, m), tzinfo=ZONE)

        away = {dt.date(2026, 3, 2): 101, dt.date(2026, 3, 16): 102}.get(day)
        if day == dt.date(2026, 4, 1):
            out.append(Pass(at(0, 30), "GATE-A-IN", 101))  # local April, UTC still March
        for i, w in enumerate(w for w in WORKERS if w != away):
            out.append(Pass(at(7, 5 * i), "GATE-A-IN", w))  # 07:00 local is 23:00 UTC before
        if day == dt.date(2026, 3, 1):
            out.append(
                Pass(
                    at(7, 20), "GATE-A-IN", None, GateResult.REFUSED, DenyReason.UNKNOWN_CREDENTIAL
                )
            )
        if day == dt.date(2026, 3, 31):  # a busy day: an every-N checkpoint within it
            out += [Pass(at(12, i), "GATE-A-IN", w) for i, w in enumerate(WORKERS)]
            out.append(
                Pass(at(12, 30), "GATE-A-IN", 101, GateResult.REFUSED, DenyReason.FACE_MISMATCH)
            )
            out.append(
                Pass(
                    at(17, 0), "GATE-A-OUT", None, GateResult.REFUSED, DenyReason.UNKNOWN_CREDENTIAL
                )
            )
        else:
            out += [Pass(at(17, 5 * i), "GATE-A-OUT", w) for i, w in enumerate((101, 102))]
    return sorted(out, key=lambda p: p.at)


@dataclass
class Plan:
    """What the world looks like; the defaults are the honest one."""

    gate_seed: str = "gate"
    server_seed: str = "server"
    rekey: tuple[str, int] | None = None  # (gate, seq): signed by a new key from that seq on
    rekey_named: bool = True  # the re-key is in a digest's key_changes
    last_sealed_day: str | None = None  # no checkpoint over a later day (the month not sealed)
    tamper: Body | None = None  # rewrites a pass before it is sealed (a full rewrite)


@dataclass
class World:
    plan: Plan
    server: Ed25519PrivateKey
    events: dict[str, list[GateEvent]] = field(default_factory=dict)
    spans: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    received: dict[tuple[str, int], dt.datetime] = field(default_factory=dict)
    digests: dict[str, bytes] = field(default_factory=dict)

    def cps(self, gate: str) -> list[GateEvent]:
        return [e for e in self.events[gate] if e.checkpoint is not None]


class _Chain:
    def __init__(self, world: World, gate: str) -> None:
        self.world, self.gate, self.plan = world, gate, world.plan
        self.events: list[GateEvent] = []
        self.pending: list[GateEvent] = []
        self.prev_cp = GENESIS_HASH

    def signer(self, seq: int) -> Ed25519PrivateKey:
        r = self.plan.rekey
        rekeyed = r is not None and r[0] == self.gate and seq >= r[1]
        return key(f"{self.plan.gate_seed}-{self.gate}" + ("-2" if rekeyed else ""))

    def append(self, body: GateEventBody) -> GateEvent:
        event = seal(body)
        event = event.model_copy(
            update={"signature": sign_event_hash(self.signer(event.seq), event.hash)}
        )
        self.events.append(event)
        return event

    def body(self, **fields: Any) -> GateEventBody:
        seq = len(self.events) + 1
        return GateEventBody(
            event_id=uuid.UUID(bytes=hashlib.sha256(f"{self.gate}/{seq}".encode()).digest()[:16]),
            device_id=self.gate,
            seq=seq,
            direction=Direction.IN if self.gate.endswith("IN") else Direction.OUT,
            prev_hash=self.events[-1].hash if self.events else GENESIS_HASH,
            **fields,
        )

    def checkpoint(self, at: dt.datetime, reason: cpm.CheckpointReason) -> None:
        if not self.pending:
            return
        day = self.pending[-1].device_time.astimezone(ZONE).date().isoformat()
        if self.plan.last_sealed_day is not None and day > self.plan.last_sealed_day:
            return
        body = cpm.build(
            [(e.seq, e.hash, e.worker_id) for e in self.pending],
            prev_checkpoint_hash=self.prev_cp,
            day=day,
            reason=reason,
        )
        event = self.append(
            self.body(
                device_time=at,
                mode=GateMode.CARD_ONLY,
                result=GateResult.GRANTED,
                purpose=RecordPurpose.CHECKPOINT,
                checkpoint=body,
            )
        )
        self.world.received[(self.gate, event.seq)] = at + dt.timedelta(minutes=1)
        self.prev_cp, self.pending = event.hash, []

    def add(self, p: Pass) -> None:
        if self.pending:
            last = self.pending[-1].device_time.astimezone(ZONE).date()
            if p.at.date() > last:
                midnight = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 1), ZONE)
                self.checkpoint(midnight, cpm.CheckpointReason.DAY_END)
        # GATE-A-IN's gate PC keeps local time, GATE-A-OUT's keeps UTC: both hash the same
        at = p.at if self.gate == "GATE-A-IN" else p.at.astimezone(dt.UTC)
        body = self.body(
            device_time=at,
            mode=GateMode.CARD_AND_FACE,
            credential=CredentialKind.ID_CARD,
            credential_ref="4101**********1234" if p.worker else "4101**********9999",
            worker_id=p.worker,
            result=p.result,
            reason=p.reason,
            face_score=None if p.worker is None else 0.41237,
        )
        if self.plan.tamper is not None:
            body = self.plan.tamper(body)
        self.pending.append(self.append(body))
        if len(self.pending) == EVERY_N:
            self.checkpoint(p.at, cpm.CheckpointReason.EVERY_N)


def make_world(plan: Plan | None = None) -> World:
    plan = plan or Plan()
    world = World(plan=plan, server=key(plan.server_seed))
    chains = {g: _Chain(world, g) for g in GATES}
    for p in schedule():
        chains[p.gate].add(p)
    end = dt.datetime.combine(DAYS[-1] + dt.timedelta(days=1), dt.time(0, 1), ZONE)
    for gate, chain in chains.items():
        chain.checkpoint(end, cpm.CheckpointReason.DAY_END)
        world.events[gate] = chain.events
        world.spans[gate] = _spans(world, chain)
    _issue_digests(world)
    return world


def _spans(world: World, chain: _Chain) -> list[dict[str, Any]]:
    first = public_key_hex(chain.signer(1))
    spans = [
        {
            "public_key": first,
            "fingerprint": key_fingerprint(first),
            "from_seq": 1,
            "to_seq": None,
            "since": utc_text(PROVISIONED),
            "how": "provision",
            "by": "admin",
        }
    ]
    world.changes.append(
        {
            "gate": chain.gate,
            "at": utc_text(PROVISIONED),
            "how": "provision",
            "old_public_key": None,
            "new_public_key": first,
            "by": "admin",
        }
    )
    rekey = world.plan.rekey
    if rekey is not None and rekey[0] == chain.gate:
        new = public_key_hex(chain.signer(rekey[1]))
        at = chain.events[rekey[1] - 1].device_time - dt.timedelta(minutes=1)
        spans[0]["to_seq"] = rekey[1] - 1
        spans.append(
            {
                "public_key": new,
                "fingerprint": key_fingerprint(new),
                "from_seq": rekey[1],
                "to_seq": None,
                "since": utc_text(at),
                "how": "reprovision",
                "by": "admin",
            }
        )
        if world.plan.rekey_named:
            world.changes.append(
                {
                    "gate": chain.gate,
                    "at": utc_text(at),
                    "how": "reprovision",
                    "old_public_key": first,
                    "new_public_key": new,
                    "by": "admin",
                }
            )
    return spans


def _local_day(utc: str) -> dt.date:
    return dt.datetime.fromisoformat(utc.replace("Z", "+00:00")).astimezone(ZONE).date()


def _issue_digests(world: World) -> None:
    """One signed digest per local day from the first key change to the last receipt."""
    server_pub = public_key_hex(world.server)
    last = max(world.received.values()).astimezone(ZONE).date()
    day, prev = PROVISIONED.date(), "0" * 64
    while day <= last:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZONE)
        cps = [
            e.model_copy(update={"device_time": e.device_time.astimezone(dt.UTC)}).model_dump(
                mode="json"
            )
            for g in GATES
            for e in world.cps(g)
            if world.received[(g, e.seq)].astimezone(ZONE).date() == day
        ]
        gates = []
        for g in GATES:
            current = [s for s in world.spans[g] if _local_day(s["since"]) <= day][-1]
            pub = current["public_key"]
            gates.append({"code": g, "public_key": pub, "fingerprint": key_fingerprint(pub)})
        body = {
            "type": "sitegate.daily_digest",
            "version": 1,
            "project": {"id": 1, "name": "示范项目"},
            "day": day.isoformat(),
            "issued_at": utc_text(end + dt.timedelta(minutes=10)),
            "prev_sha256": prev,
            "server_key": {"public_key": server_pub, "fingerprint": key_fingerprint(server_pub)},
            "gates": gates,
            "checkpoints": cps,
            "key_changes": [c for c in world.changes if _local_day(c["at"]) == day],
        }
        text = signed.canonical_text(body)
        world.digests[day.isoformat()] = signed.wrapper_bytes(
            server_pub, text, world.server.sign(text.encode()).hex()
        )
        day, prev = day + dt.timedelta(days=1), hashlib.sha256(text.encode()).hexdigest()


# --- the pack ----------------------------------------------------------------------------------


def dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")


def _chosen(world: World, gate: str) -> list[GateEvent]:
    """The last checkpoint before the month, every one of the month, the first after it."""
    cps = world.cps(gate)
    first, last = f"{PERIOD}-01", f"{PERIOD}-31"
    before = [c for c in cps if c.checkpoint and c.checkpoint.day < first][-1:]
    month = [c for c in cps if c.checkpoint and first <= c.checkpoint.day <= last]
    after = [c for c in cps if c.checkpoint and c.checkpoint.day > last][:1]
    return before + month + after


def _record_json(e: GateEvent) -> dict[str, Any]:
    data = e.model_dump(mode="json")
    data["in_period"] = MONTH_START <= e.device_time < MONTH_END
    return data


def pack_files(world: World, worker: int) -> dict[str, bytes]:
    """Every file of the worker's pack but the manifest."""
    records: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    record_proofs: list[dict[str, Any]] = []
    worker_proofs: list[dict[str, Any]] = []
    for gate in GATES:
        events = world.events[gate]
        chosen = _chosen(world, gate)
        for c in chosen:
            cp = c.checkpoint
            assert cp is not None
            period = events[cp.from_seq - 1 : cp.to_seq]
            checkpoints.append(c.model_dump(mode="json"))
            data = [merkle.record_leaf(e.hash) for e in period]
            mine = [i for i, e in enumerate(period) if e.worker_id == worker]
            paths = merkle.audit_paths(data, mine)
            for i in mine:
                records.append(_record_json(period[i]))
                record_proofs.append(
                    {
                        "gate": gate,
                        "seq": period[i].seq,
                        "checkpoint_seq": c.seq,
                        "index": i,
                        "size": len(data),
                        "path": paths[i],
                    }
                )
            worker_proofs.append(_worker_proof(gate, c.seq, period, worker))
        sealed_to = max((c.checkpoint.to_seq for c in world.cps(gate) if c.checkpoint), default=0)
        records += [
            _record_json(e)
            for e in events[sealed_to:]
            if e.worker_id == worker and MONTH_START <= e.device_time < MONTH_END
        ]
    first_day = min(c["checkpoint"]["day"] for c in checkpoints)
    keys = {
        "gates": [
            {
                "code": g,
                "keys": world.spans[g],
                "anchors": ["sitegate edge status", "考勤表 / attendance sheet"],
            }
            for g in GATES
        ]
    }
    files = {
        "records.json": dump(records),
        "checkpoints.json": dump(checkpoints),
        "proofs.json": dump({"records": record_proofs, "workers": worker_proofs}),
        "keys.json": dump(keys),
        "wage.json": dump({"lines": [], "bank_lines": []}),
        "verify_pack.py": VERIFIER.read_bytes(),
        "README.txt": b"python3 verify_pack.py pack.zip\n",
    }
    for day, data in world.digests.items():
        if day >= first_day:
            files[f"digests/{day}.json"] = data
    return files


def _worker_proof(gate: str, cp_seq: int, period: list[GateEvent], worker: int) -> dict[str, Any]:
    entries = merkle.worker_entries([(e.hash, e.worker_id) for e in period])
    leaves = [merkle.worker_leaf(*e) for e in entries]
    paths = merkle.audit_paths(leaves, range(len(leaves)))

    def side(i: int) -> dict[str, Any]:
        w, count, root = entries[i]
        return {
            "index": i,
            "leaf": {"worker_id": w, "count": count, "root": root},
            "path": paths[i],
        }

    base = {"gate": gate, "checkpoint_seq": cp_seq, "size": len(leaves)}
    ids = [e[0] for e in entries]
    if worker in ids:
        return {**base, "kind": "inclusion", **side(ids.index(worker))}
    pos = sum(1 for w in ids if w < worker)
    return {
        **base,
        "kind": "absence",
        "left": side(pos - 1) if pos > 0 else None,
        "right": side(pos) if pos < len(ids) else None,
    }


def seal_pack(
    files: dict[str, bytes],
    server: Ed25519PrivateKey,
    worker: int,
    *,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """The zip with a manifest over `files`, signed by `server` (the honest server, or a forger
    who runs it)."""
    pub = public_key_hex(server)
    body = {
        "type": "sitegate.evidence_pack",
        "version": 1,
        "project": {"id": 1, "name": "示范项目"},
        "worker": {"id": worker, "name": WORKERS[worker], "id_masked": "4101**********1234"},
        "period": PERIOD,
        "timezone": "Asia/Shanghai",
        "generated_at": "2026-04-03T02:00:00.000000Z",
        "server_key": {"public_key": pub, "fingerprint": key_fingerprint(pub)},
        "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())},
        **(extra or {}),
    }
    text = signed.canonical_text(body)
    manifest = signed.wrapper_bytes(pub, text, server.sign(text.encode()).hex())
    return zip_files({"manifest.json": manifest, **files})


def zip_files(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def unzip(pack: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def make_pack(world: World, worker: int) -> bytes:
    return seal_pack(pack_files(world, worker), world.server, worker)


def fingerprints(world: World) -> dict[str, str]:
    """The gate fingerprints as printed on the 考勤表 (the first key of each gate)."""
    return {g: world.spans[g][0]["fingerprint"] for g in GATES}
