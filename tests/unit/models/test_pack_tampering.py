"""Each tampering of an evidence pack is caught, by the exact check named in docs and the issue
(a flipped byte, deleted / moved / reordered records, a forged checkpoint, a re-key, a full
rewrite with a new key), and a pack that is not one fails to read instead of raising."""

from __future__ import annotations

import functools
import json
import random
from typing import Any

import pytest

from models import pack_verifier as pv
from tests.support import evidence_pack as ep
from tests.support.evidence_pack_edits import (
    JSONS,
    SERVER_FP,
    Docs,
    failed,
    first_month_record,
    forged,
    honest,
    honest_pack,
    month_records,
)

# --- bytes and the manifest -----------------------------------------------------------------------


def _flip(files: dict[str, bytes]) -> None:
    data = files["records.json"]
    at = data.index(b'"credential_ref": "4101') + len(b'"credential_ref": "')
    files["records.json"] = data[:at] + b"5" + data[at + 1 :]


def test_flipped_byte_with_the_manifest_as_it_was() -> None:
    files = ep.unzip(honest_pack())
    _flip(files)
    assert "manifest.files" in failed(pv.verify(ep.zip_files(files)))


def test_flipped_byte_manifest_resigned_by_another_key() -> None:
    files = ep.unzip(honest_pack())
    files.pop("manifest.json")
    _flip(files)
    other = ep.unzip(ep.seal_pack(files, ep.key("not the server"), 101))
    wrapper = json.loads(other["manifest.json"])
    wrapper["public_key"] = ep.public_key_hex(honest().server)  # claims the server's key
    other["manifest.json"] = json.dumps(wrapper).encode()
    assert "manifest.signature" in failed(pv.verify(ep.zip_files(other)))
    # and a manifest wholly under the other key is not the server's: its digests say so
    resigned = ep.seal_pack(files, ep.key("not the server"), 101)
    assert "anchor.digest" in failed(pv.verify(resigned))
    assert "anchor.server_key" in failed(pv.verify(resigned, server_key=SERVER_FP))


def test_flipped_byte_manifest_resigned_by_whoever_runs_the_server() -> None:
    files = ep.unzip(honest_pack())
    files.pop("manifest.json")
    _flip(files)
    result = failed(pv.verify(ep.seal_pack(files, honest().server, 101)))
    assert "record.hash" in result
    assert not {"manifest.files", "manifest.signature"} & result


# --- records deleted, moved, reordered -----------------------------------------------------------


@pytest.mark.parametrize("which", ["first", "middle", "last", "all of the month", "all"])
def test_deleted_record_fails_the_worker_leaf(which: str) -> None:
    def edit(docs: Docs) -> None:
        month = [r for r in docs["records.json"] if r["in_period"]]
        gone = {
            "first": month[:1],
            "middle": month[len(month) // 2 : len(month) // 2 + 1],
            "last": month[-1:],
            "all of the month": month,
            "all": docs["records.json"],
        }[which]
        docs["records.json"] = [r for r in docs["records.json"] if r not in gone]

    assert failed(pv.verify(forged(edit))) == {"worker.leaf"}


def _moved(rehash: bool) -> bytes:
    record = first_month_record(101)
    proof = next(
        p
        for p in json.loads(ep.unzip(honest_pack(101))["proofs.json"])["records"]
        if (p["gate"], p["seq"]) == (record["device_id"], record["seq"])
    )

    def edit(docs: Docs) -> None:
        moved = {**record, "worker_id": 102}
        if rehash:
            moved["hash"] = pv.record_hash(moved)
        docs["records.json"].append(moved)
        docs["proofs.json"]["records"].append(proof)

    return forged(edit, worker=102)


def test_record_moved_to_another_worker() -> None:
    assert {"record.hash", "worker.leaf"} <= failed(pv.verify(_moved(rehash=False)))
    rehashed = failed(pv.verify(_moved(rehash=True)))
    assert "record.signature" in rehashed
    assert "record.hash" not in rehashed


def test_record_renamed_in_its_own_pack() -> None:
    def edit(docs: Docs) -> None:
        month_records(docs)[0]["worker_id"] = 102

    assert {"record.hash", "record.worker"} <= failed(pv.verify(forged(edit)))


def test_reordering() -> None:
    """Decided: the order of entries in records.json carries no meaning (the verifier orders by
    gate and seq, and the worker's leaf by seq), so a re-signed reordered file is as valid; the
    unsigned reorder changes the file's bytes; a reorder in the chain (two records exchanging
    their places) changes what was hashed."""
    files = ep.unzip(honest_pack())
    files["records.json"] = ep.dump(list(reversed(json.loads(files["records.json"]))))
    assert failed(pv.verify(ep.zip_files(files))) == {"manifest.files"}

    def reverse(docs: Docs) -> None:
        docs["records.json"].reverse()

    report = pv.verify(forged(reverse))
    assert report.failed() == []
    assert report.verdict == "VALID_UNANCHORED"

    def swap(docs: Docs) -> None:
        a, b = month_records(docs)[:2]
        for k in ("seq", "prev_hash"):
            a[k], b[k] = b[k], a[k]

    assert "record.hash" in failed(pv.verify(forged(swap)))


# --- checkpoints, gates and digests ---------------------------------------------------------------


@pytest.mark.parametrize("signer", [None, "a key of the forger's"])
def test_forged_checkpoint_fails_its_signature(signer: str | None) -> None:
    def edit(docs: Docs) -> None:
        cp = next(c for c in docs["checkpoints.json"] if c["checkpoint"]["day"] == "2026-03-02")
        cp["checkpoint"]["records_root"] = "ab" * 32
        cp["hash"] = pv.record_hash(cp)
        if signer is not None:
            cp["signature"] = ep.key(signer).sign(bytes.fromhex(cp["hash"])).hex()

    result = failed(pv.verify(forged(edit)))
    assert "record.signature" in result
    assert "record.hash" not in result


def test_gate_left_out_of_the_pack() -> None:
    def edit(docs: Docs) -> None:
        for name in ("records.json", "checkpoints.json"):
            docs[name] = [r for r in docs[name] if r["device_id"] != "GATE-A-OUT"]
        docs["proofs.json"]["workers"] = [
            p for p in docs["proofs.json"]["workers"] if p["gate"] != "GATE-A-OUT"
        ]

    assert failed(pv.verify(forged(edit))) == {"checkpoint.coverage"}


def test_checkpoint_left_out_breaks_the_chain() -> None:
    def edit(docs: Docs) -> None:
        docs["checkpoints.json"] = [
            c
            for c in docs["checkpoints.json"]
            if not (c["device_id"] == "GATE-A-IN" and c["checkpoint"]["day"] == "2026-03-02")
        ]

    assert {"checkpoint.chain", "checkpoint.coverage"} <= failed(pv.verify(forged(edit)))


def test_in_period_claim_is_recomputed() -> None:
    def edit(docs: Docs) -> None:
        month_records(docs)[0]["in_period"] = False

    assert failed(pv.verify(forged(edit))) == {"checkpoint.coverage"}


def test_digest_missing_in_the_middle() -> None:
    files = ep.unzip(honest_pack())
    files.pop("manifest.json")
    files.pop("digests/2026-03-10.json")
    assert failed(pv.verify(ep.seal_pack(files, honest().server, 101))) == {"anchor.digest"}


# --- keys ---------------------------------------------------------------------------------------


@functools.cache
def rekeyed_world(named: bool) -> ep.World:
    return ep.make_world(ep.Plan(rekey=("GATE-A-IN", 17), rekey_named=named))


def rekeyed(named: bool) -> bytes:
    return ep.make_pack(rekeyed_world(named), 101)


def month_end_keys(world: ep.World) -> dict[str, str]:
    return {g: spans[-1]["fingerprint"] for g, spans in world.spans.items()}


def test_rekey_named_in_a_digest_is_fine() -> None:
    report = pv.verify(rekeyed(True), gate_keys=month_end_keys(rekeyed_world(True)))
    assert report.failed() == []
    assert report.verdict == "VALID"


def test_rekey_not_named_in_a_digest() -> None:
    assert failed(pv.verify(rekeyed(False))) == {"key.transition"}


def test_rekey_within_the_month_by_whoever_runs_the_server() -> None:
    """Records from GATE-A-IN #17 on re-signed with a new key, and the change written into the
    digests the server signs: internally the same as an honest re-key, so only the 考勤表's
    fingerprint (the key the gate really had at the month's end) shows it."""
    pack = rekeyed(True)
    assert pv.verify(pack).verdict == "VALID_UNANCHORED"
    report = pv.verify(pack, gate_keys=ep.fingerprints(honest()))
    assert failed(report) == {"anchor.gate_key"}
    bad = report.failed()[0]
    assert bad.subject == "GATE-A-IN"
    assert bad.message_en.startswith("the gate key at the month's end is ")


@functools.cache
def rewritten() -> ep.World:
    """Whoever runs the server rewrites GATE-A-IN and GATE-A-OUT from seq 1, one record moved
    from worker 101 to 102, signs it all with new gate keys and issues new digests with the
    same server key."""
    moved = first_month_record(101)

    def tamper(body: ep.GateEventBody) -> ep.GateEventBody:
        if (body.device_id, body.seq) == (moved["device_id"], moved["seq"]):
            return body.model_copy(update={"worker_id": 102})
        return body

    return ep.make_world(ep.Plan(gate_seed="forger", tamper=tamper))


@pytest.mark.parametrize("worker", [101, 102])
def test_full_rewrite_is_consistent_but_contradicts_the_anchors(worker: int) -> None:
    pack = ep.make_pack(rewritten(), worker)
    alone = pv.verify(pack, server_key=SERVER_FP)
    assert alone.failed() == []
    assert alone.verdict == "VALID_UNANCHORED"  # honest: nothing outside was checked
    assert failed(pv.verify(pack, gate_keys=ep.fingerprints(honest()))) == {"anchor.gate_key"}
    for day in ("2026-03-05", "2026-03-17"):  # a day without checkpoints, a day with
        archived = {f"{day}.json": honest().digests[day]}
        report = pv.verify(pack, server_key=SERVER_FP, digests=archived)
        assert failed(report) == {"anchor.archive"}
    earlier = pv.verify(pack, server_key=SERVER_FP, earlier_packs=[honest_pack(103)])
    assert failed(earlier) == {"anchor.archive"}


# --- not a pack ---------------------------------------------------------------------------------


def _without(name: str) -> bytes:
    files = ep.unzip(honest_pack())
    files.pop(name)
    return ep.zip_files(files)


def _with(name: str, data: bytes) -> bytes:
    return ep.zip_files({**ep.unzip(honest_pack()), name: data})


@pytest.mark.parametrize(
    "pack",
    [
        b"not a zip",
        b"",
        _without("records.json"),
        _without("manifest.json"),
        _with("evil.exe", b"MZ"),
        _with("records.json", b"[{"),
        _with("records.json", b'[{"seq": "1"}]'),
        _with("keys.json", b"[]"),
        _with("manifest.json", b'{"body": "{}"}'),
    ],
    ids=[
        "garbage",
        "empty",
        "no-records",
        "no-manifest",
        "unknown",
        "bad-json",
        "bad-record",
        "bad-keys",
        "bad-manifest",
    ],
)
def test_unreadable_pack_fails_to_read(pack: bytes) -> None:
    report = pv.verify(pack)
    assert failed(report) == {"pack.read"}
    assert report.verdict == "INVALID"


def test_malformed_proofs_fail_their_checks() -> None:
    def edit(docs: Docs) -> None:
        docs["proofs.json"] = {"records": [{"gate": "GATE-A-IN", "seq": 9}], "workers": []}

    result = failed(pv.verify(forged(edit)))
    assert {"record.inclusion", "worker.leaf"} <= result


def test_zip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pv, "MAX_UNPACKED", 10_000)
    report = pv.verify(honest_pack())
    assert failed(report) == {"pack.read"}
    assert "200 MB" in report.checks[0].message_en


def test_pack_cut_short_before_the_month_end() -> None:
    """Whoever runs the server leaves out the month's last checkpoints, the digests that hold
    them and the records they seal: alone the pack only looks unsealed at the end, never VALID;
    a digest archived before the pack was made shows what it leaves out."""
    files = ep.unzip(honest_pack())
    files.pop("manifest.json")
    docs = {n: json.loads(files[n]) for n in ("records.json", "checkpoints.json")}
    docs["checkpoints.json"] = [
        c for c in docs["checkpoints.json"] if c["checkpoint"]["day"] < "2026-03-31"
    ]
    sealed = {c["device_id"]: c["checkpoint"]["to_seq"] for c in docs["checkpoints.json"]}
    docs["records.json"] = [r for r in docs["records.json"] if r["seq"] <= sealed[r["device_id"]]]
    files.update({n: ep.dump(d) for n, d in docs.items()})
    for name in [n for n in files if n.startswith("digests/") and n >= "digests/2026-03-31"]:
        files.pop(name)
    pack = ep.seal_pack(files, honest().server, 101)
    alone = pv.verify(pack, gate_keys=ep.fingerprints(honest()))
    assert alone.failed() == []
    assert alone.verdict == "VALID_UNANCHORED"
    archived = {"2026-04-01.json": honest().digests["2026-04-01"]}
    report = pv.verify(pack, server_key=SERVER_FP, digests=archived)
    assert failed(report) == {"anchor.archive"}


def test_boundary_checkpoint_older_than_the_first_digest_is_no_hole() -> None:
    """A pack whose digests begin with the month: the boundary checkpoint before it arrived
    earlier, so its absence from them is no sign of anything."""
    files = ep.unzip(honest_pack())
    files.pop("manifest.json")
    for name in ("digests/2026-02-28.json", "digests/2026-03-01.json"):
        files.pop(name)
    report = pv.verify(
        ep.seal_pack(files, honest().server, 101), gate_keys=ep.fingerprints(honest())
    )
    assert report.failed() == []
    assert report.verdict == "VALID"
    older = [c for c in report.checks if "older than the pack's first" in c.message_en]
    assert {c.subject for c in older} == {"GATE-A-IN #8", "GATE-A-OUT #6"}


def test_fingerprint_shown_beside_a_key_must_be_its_own() -> None:
    def edit(docs: Docs) -> None:
        docs["keys.json"]["gates"][0]["keys"][0]["fingerprint"] = "0123456789abcdef"

    assert failed(pv.verify(forged(edit))) == {"key.transition"}


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        out += [p for k, v in value.items() for p in _nodes(v, (*path, k))]
    elif isinstance(value, list):
        out += [p for i, v in enumerate(value) for p in _nodes(v, (*path, i))]
    return out


def test_random_edits_never_raise() -> None:
    """Any value of any JSON file replaced by something of another type, the manifest re-signed:
    a report every time (most INVALID: what stays valid is no evidence, e.g. a name)."""
    rng = random.Random(13)
    junk: list[Any] = [None, "x", -1, [], {}, 1.5, True, "2026-13-40", 10**30, "ab" * 32]
    verdicts = []
    for _ in range(150):
        name = rng.choice(JSONS)

        def edit(docs: Docs, name: str = name) -> None:
            path = rng.choice(_nodes(docs[name])[1:])
            target = docs[name]
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = rng.choice(junk)

        verdicts.append(pv.verify(forged(edit)).verdict)
    assert verdicts.count("INVALID") > 0.8 * len(verdicts)
