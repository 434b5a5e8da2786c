"""The honest pack of tests/support/evidence_pack.py (made once) and the edits of whoever runs
the server: change its JSON files, sign a new manifest with the server's own key."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from models import pack_verifier as pv
from tests.support import evidence_pack as ep

JSONS = ("records.json", "checkpoints.json", "proofs.json", "keys.json")
Docs = dict[str, Any]
SERVER_FP = pv.fingerprint(ep.public_key_hex(ep.key("server")))


@functools.cache
def honest() -> ep.World:
    return ep.make_world()


@functools.cache
def honest_pack(worker: int = 101) -> bytes:
    return ep.make_pack(honest(), worker)


def failed(report: pv.Report) -> set[str]:
    return {c.name for c in report.failed()}


def forged(edit: Callable[[Docs], None], worker: int = 101, pack: bytes | None = None) -> bytes:
    """The pack edited by whoever runs the server: the manifest re-signed with its key."""
    files = ep.unzip(pack or honest_pack(worker))
    files.pop("manifest.json")
    docs = {n: json.loads(files[n]) for n in JSONS}
    edit(docs)
    files.update({n: ep.dump(d) for n, d in docs.items()})
    return ep.seal_pack(files, honest().server, worker)


def month_records(docs: Docs, gate: str = "GATE-A-IN") -> list[dict[str, Any]]:
    return [r for r in docs["records.json"] if r["in_period"] and r["device_id"] == gate]


def first_month_record(worker: int = 101) -> dict[str, Any]:
    docs = json.loads(ep.unzip(honest_pack(worker))["records.json"])
    return month_records({"records.json": docs})[0]
