"""keys.json of a pack: each gate's public keys over its seqs, found by the records themselves
(which key's signature holds), with when and how each came in from the provisioning audit, and
where its fingerprint is kept outside the server. Which key is trusted is the reader's question:
the verifier compares the fingerprints with the 考勤表, the gate's own screen and the digests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from models.device_auth import key_fingerprint, verify
from server.ingest.evidence import KeySpan, key_history
from server.registry.models import Device

ANCHORS = [
    "闸机本机 `sitegate edge status` 与开通时显示的指纹 / shown by the gate itself "
    "(`sitegate edge status`, and at provisioning)",
    "每月考勤表(班组长签字)上打印的闸机密钥指纹 / "
    "printed on the monthly 考勤表 the team leader signs",
    "每日摘要文件(服务器签名,由监管方存档) / the daily digests (server-signed, archived by others)",
]


def _utc(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signer(spans: list[KeySpan], record: dict[str, Any]) -> KeySpan | None:
    try:
        message = bytes.fromhex(str(record.get("hash", "")))
    except ValueError:
        return None
    for span in reversed(spans):
        if span.public_key and verify(span.public_key, str(record.get("signature", "")), message):
            return span
    return None


def gate_keys(
    session: Session, device: Device, records: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    """The gate's entry: one span per key that signs any of the pack's records, in seq order,
    contiguous (a key is in force from the first seq it signs to the one before the next's)."""
    spans = key_history(session, device)
    first: dict[str, tuple[int, KeySpan]] = {}
    for r in sorted(records, key=lambda r: int(r["seq"])):
        span = _signer(spans, r)
        if span is not None and span.public_key not in first:
            first[span.public_key] = (int(r["seq"]), span)
    ordered = sorted(first.values(), key=lambda x: x[0])
    if not ordered and device.public_key:
        # nothing signed in the pack (no record at this gate): the current key, for the reader
        current = spans[-1] if spans else KeySpan(device.public_key, None, None)
        ordered = [(1, current)]
    keys = []
    for i, (seq, span) in enumerate(ordered):
        keys.append(
            {
                "public_key": span.public_key,
                "fingerprint": key_fingerprint(span.public_key),
                "from_seq": 1 if i == 0 else seq,
                "to_seq": ordered[i + 1][0] - 1 if i + 1 < len(ordered) else None,
                "since": _utc(span.valid_from),
            }
        )
    entry: dict[str, Any] = {"code": device.code, "keys": keys, "anchors": ANCHORS}
    if device.kind == "terminal":  # the reader is told, not left to infer it from terminal_ref
        entry["sealed_by"] = "server: a face terminal's records, received and signed by the server"
    return entry
