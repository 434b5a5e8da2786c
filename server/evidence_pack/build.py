"""The evidence pack of one worker-month (docs/evidence_format.md): one zip a worker keeps, an
inspector downloads, an arbitration clerk checks with the verifier inside it and nothing of ours.

Everything in it is either signed by the gate (records, checkpoints) or by the server (the daily
digests, the manifest), and the proofs are made from what is stored now: a record altered,
deleted or moved since the gate sealed it shows against the roots the gate signed, and a gate
re-keyed to hide a rewrite shows against the fingerprints kept outside (README.txt says how).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.device_auth import key_fingerprint
from models.ids import mask_id_number
from server.anchors import digest as digests
from server.anchors import server_key, signed
from server.anchors.models import DailyDigest
from server.config import Settings
from server.errors import NotFoundError
from server.evidence_pack import keys, proofs, selection, wage
from server.ingest import evidence
from server.registry.models import Device, Project

TYPE = "sitegate.evidence_pack"
VERSION = 1
VERIFIER = "verify_pack.py"


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def verifier_source() -> bytes:
    """The standalone verifier, shipped as it is in models/ (stdlib + cryptography only)."""
    return resources.files("models").joinpath("pack_verifier.py").read_bytes()


def _readme() -> bytes:
    return (Path(__file__).with_name("README.txt")).read_bytes()


def _digest_days(
    session: Session, covers: list[selection.GateCover], zone: dt.tzinfo
) -> tuple[str, str] | None:
    """The local days of receipt from the first chosen checkpoint to the last one."""
    received = [c.received_at for cover in covers for c in cover.checkpoints]
    if not received:
        return None
    days = [t.astimezone(zone).date().isoformat() for t in received]
    return min(days), max(days)


def _key_change_days(gates: list[dict[str, Any]], zone: dt.tzinfo) -> list[str]:
    out = []
    for gate in gates:
        for k in gate["keys"][1:]:  # a re-key inside the pack: its digest names it
            if k["since"]:
                at = dt.datetime.strptime(k["since"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
                out.append(at.astimezone(zone).date().isoformat())
    return out


def build_pack(
    session: Session,
    settings: Settings,
    *,
    project_id: int,
    worker_id: int,
    period: str,
    now: dt.datetime,
) -> tuple[bytes, str]:
    """(zip bytes, file name) of the worker's pack for the month."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError("项目", "project")
    worker = evidence.worker_on_project(session, project_id, worker_id)
    zone, start, end = evidence.month_bounds(project, period)
    # the days up to yesterday get their digest now, so the pack carries the latest ones
    digests.issue_through(session, settings, project_id, now=now)

    devices = session.scalars(
        select(Device).where(Device.project_id == project_id).order_by(Device.code)
    ).all()
    covers = [
        c
        for d in devices
        if (c := selection.gate_cover(session, d, worker_id, start, end, zone)) is not None
    ]
    records: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    record_proofs: list[dict[str, Any]] = []
    worker_proofs: list[dict[str, Any]] = []
    gates: list[dict[str, Any]] = []
    for cover in covers:
        code = cover.device.code
        cps = selection.checkpoint_records(session, cover)
        records += cover.records
        checkpoints += cps
        seqs = [int(r["seq"]) for r in cover.records]
        for cp in cover.checkpoints:
            leaves = selection.range_leaves(session, cover.device.id, cp)
            record_proofs += proofs.record_proofs(code, cp.seq, leaves, seqs)
            worker_proofs.append(proofs.worker_proof(code, cp.seq, leaves, worker_id))
        gates.append(keys.gate_keys(session, cover.device, [*cover.records, *cps]))

    files: dict[str, bytes] = {
        "records.json": _json(records),
        "checkpoints.json": _json(checkpoints),
        "proofs.json": _json({"records": record_proofs, "workers": worker_proofs}),
        "keys.json": _json({"gates": gates}),
        "wage.json": _json(
            wage.wage_json(session, project_id=project_id, worker_id=worker_id, period=period)
        ),
        VERIFIER: verifier_source(),
        "README.txt": _readme(),
    }
    span = _digest_days(session, covers, zone)
    if span is not None:
        lo = min([span[0], *_key_change_days(gates, zone)])
        rows = session.scalars(
            select(DailyDigest)
            .where(DailyDigest.project_id == project_id)
            .where(DailyDigest.day >= lo, DailyDigest.day <= span[1])
            .order_by(DailyDigest.day)
        ).all()
        for row in rows:
            files[f"digests/{row.day}.json"] = digests.digest_file(row)

    public = server_key.public_key(settings)
    body = {
        "type": TYPE,
        "version": VERSION,
        "project": {"id": project.id, "code": project.code, "name": project.name},
        "worker": {
            "id": worker.id,
            "name": worker.name,
            "id_masked": mask_id_number(worker.id_number),
        },
        "period": period,
        "timezone": str(getattr(zone, "key", zone)),
        "generated_at": _utc(now),
        "server_key": {"public_key": public, "fingerprint": key_fingerprint(public)},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    _, manifest = signed.signed_file(settings, body)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", manifest)
        for name, data in sorted(files.items()):
            z.writestr(name, data)
    return buf.getvalue(), f"证据包_{project.code}_{worker.name}_{period}.zip"
