"""The standalone pack verifier: it computes what models/ computes (so the two cannot drift), an
honest pack passes every check, and each tampering fails with the exact check that catches it."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import sys
from typing import Any

import pytest

from models import gate_event, merkle
from models import pack_verifier as pv
from models.device_auth import key_fingerprint, public_key_hex
from models.gate_event import GateEvent
from server.anchors import digest
from tests.support import evidence_pack as ep
from tests.support.evidence_pack_edits import Docs, failed, forged, honest, honest_pack


def test_one_file_of_the_standard_library_and_cryptography_in_python_3_9() -> None:
    source = ep.VERIFIER.read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 9))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"cryptography"}
    assert len(source.splitlines()) < 1000


# --- the same numbers as models/ ---------------------------------------------------------------


def test_field_list_is_the_models() -> None:
    assert tuple(gate_event.GateEventBody.model_fields) == pv.FIELDS
    assert frozenset(gate_event.OPTIONAL_FIELDS) == pv.OPTIONAL
    assert pv.GENESIS == gate_event.GENESIS_HASH
    assert pv.EMPTY_ROOT == merkle.EMPTY_ROOT


def _variants(e: GateEvent) -> list[dict[str, Any]]:
    """The record's JSON with its time at other offsets, and with the pack's extra key."""
    out = []
    for tz in (dt.UTC, ep.ZONE, dt.timezone(dt.timedelta(hours=-5, minutes=-30))):
        data = e.model_copy(update={"device_time": e.device_time.astimezone(tz)}).model_dump(
            mode="json"
        )
        out.append({**data, "in_period": True})
    return out


def test_record_hash_matches_models_on_every_generated_record() -> None:
    world = honest()
    events = [e for g in ep.GATES for e in world.events[g]]
    extra = gate_event.seal(
        gate_event.GateEventBody(
            **{
                **events[0].model_dump(exclude={"hash", "signature"}),
                "seq": 99,
                "voids_seq": 3,
                "purpose": "wage_confirm",
                "subject_hash": "ab" * 32,
            }
        )
    )
    for e in [*events, extra, extra.model_copy(update={"face_score": 0.123456789})]:
        for data in _variants(e):
            assert pv.canonical_bytes(data) == e.canonical_bytes()
            assert pv.record_hash(data) == gate_event.chain_hash(e.prev_hash, e.canonical_bytes())


@pytest.mark.parametrize("n", [*range(1, 35), 100])
def test_merkle_roots_and_paths_match_models(n: int) -> None:
    data = [hashlib.sha256(bytes([i % 256, n])).digest() for i in range(n)]
    assert pv.merkle_root(data) == merkle.root(data)
    paths = merkle.audit_paths(data, range(n))
    for i in range(n):
        for index, size, path in ((i, n, paths[i]), (i, n + 1, paths[i]), (i, n, paths[i][1:])):
            want = merkle.root_from_path(data[i], index, size, path)
            assert pv.root_from_path(data[i], index, size, path) == want
    assert pv.merkle_root([]) == merkle.root([])


def test_worker_leaf_fingerprint_and_signed_file_match() -> None:
    world = honest()
    assert pv.worker_leaf(7, 3, "ab" * 32) == merkle.worker_leaf(7, 3, "ab" * 32)
    for g in ep.GATES:
        pub = world.spans[g][0]["public_key"]
        assert pv.fingerprint(pub) == key_fingerprint(pub)
    for data in list(world.digests.values())[:3]:
        assert pv.read_signed(data, "sitegate.daily_digest").body == digest.verify_file(data)


# --- the honest pack -----------------------------------------------------------------------------


@pytest.mark.parametrize("worker", [101, 102, 103])
def test_honest_pack_passes_every_check_unanchored(worker: int) -> None:
    report = pv.verify(honest_pack(worker))
    assert report.failed() == []
    assert report.verdict == "VALID_UNANCHORED"
    names = {c.name for c in report.checks}
    assert names >= {"pack.read", "manifest.signature", "manifest.files", "record.hash",
                     "record.signature", "record.worker", "checkpoint.chain",
                     "checkpoint.coverage", "record.inclusion", "worker.leaf", "key.transition",
                     "anchor.digest"}  # fmt: skip


def test_honest_pack_with_anchors_is_valid() -> None:
    world, pack = honest(), honest_pack()
    server_fp = key_fingerprint(public_key_hex(world.server))
    archived = {"2026-03-05.json": world.digests["2026-03-05"]}
    assert pv.verify(pack, gate_keys=ep.fingerprints(world)).verdict == "VALID"
    full = {g: s[0]["public_key"] for g, s in world.spans.items()}
    assert pv.verify(pack, gate_keys=full).verdict == "VALID"
    assert pv.verify(pack, server_key=server_fp, digests=archived).verdict == "VALID"
    assert pv.verify(pack, server_key=server_fp, earlier_packs=[honest_pack(102)]).verdict == (
        "VALID"
    )
    # one anchor half is not enough
    assert pv.verify(pack, server_key=server_fp).verdict == "VALID_UNANCHORED"
    assert pv.verify(pack, digests=archived).verdict == "VALID_UNANCHORED"
    assert pv.verify(
        pack, gate_keys={"GATE-A-IN": ep.fingerprints(world)["GATE-A-IN"]}
    ).verdict == ("VALID_UNANCHORED")
    wrong = pv.verify(pack, server_key="0123456789abcdef")
    assert failed(wrong) == {"anchor.server_key"}


def test_month_not_yet_sealed_is_at_best_unanchored() -> None:
    world = ep.make_world(ep.Plan(last_sealed_day="2026-03-30"))
    report = pv.verify(ep.make_pack(world, 101), gate_keys=ep.fingerprints(world))
    assert report.failed() == []
    assert report.verdict == "VALID_UNANCHORED"
    unsealed = [c for c in report.checks if "not yet sealed" in c.message_en]
    assert {c.name for c in unsealed} == {"record.inclusion", "checkpoint.coverage"}


def test_checkpoint_received_after_the_newest_digest_is_at_best_unanchored() -> None:
    files = ep.unzip(honest_pack())
    files.pop("manifest.json")
    files.pop("digests/2026-04-02.json")
    report = pv.verify(
        ep.seal_pack(files, honest().server, 101), gate_keys=ep.fingerprints(honest())
    )
    assert report.failed() == []
    assert report.verdict == "VALID_UNANCHORED"


def test_checkpoints_grouped_per_gate_read_the_same() -> None:
    """checkpoints.json as {gate: [...]} (the doc's "per gate") is read like the flat list."""

    def group(docs: Docs) -> None:
        per: dict[str, list[Any]] = {}
        for c in docs["checkpoints.json"]:
            per.setdefault(c["device_id"], []).append(c)
        docs["checkpoints.json"] = per

    report = pv.verify(forged(group))
    assert report.failed() == []
    assert report.verdict == "VALID_UNANCHORED"
