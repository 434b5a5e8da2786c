"""The backup file's manifest: what restore trusts before it touches anything."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from models import backup as bf


def _file(payload: bytes, schema: tuple[str, ...] = ("0021_safeguards",)) -> io.BytesIO:
    out = io.BytesIO()
    bf.write_backup(out, io.BytesIO(payload), "server-sqlite", schema=schema)
    out.seek(0)
    return out


def test_round_trip_carries_kind_schema_and_hash() -> None:
    stream = _file(b"payload bytes")
    manifest, start = bf.verified_manifest(stream)
    assert (manifest.kind, manifest.schema, manifest.size) == (
        "server-sqlite", ["0021_safeguards"], 13
    )  # fmt: skip
    out = io.BytesIO()
    bf.copy_payload(stream, start, out)
    assert out.getvalue() == b"payload bytes"
    assert dt.datetime.fromisoformat(manifest.created_at).tzinfo is not None


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda b: b[:-1], "bytes"),  # cut short
        (lambda b: b[:-1] + b"X", "sha256"),  # altered
        (lambda b: b"PK\x03\x04" + b[4:], "marker"),  # some other file
        (lambda b: b.replace(b'"format": 1', b'"format": 9'), "manifest"),  # unknown format
        (lambda b: b[: len(bf.MAGIC) + 10], "manifest"),  # header cut short
    ],
)
def test_damaged_files_are_refused(mangle, words: str) -> None:  # type: ignore[no-untyped-def]
    raw = mangle(_file(b"payload bytes").getvalue())
    with pytest.raises(bf.BackupFileError) as err:
        bf.verified_manifest(io.BytesIO(raw))
    assert words in err.value.message_en
    assert err.value.message_zh.startswith("备份文件已损坏")


def test_a_newer_schema_is_refused_and_an_older_one_passes() -> None:
    manifest, _ = bf.verified_manifest(_file(b"x", ("0099_future",)))
    with pytest.raises(bf.BackupFileError, match="0099_future"):
        bf.check_schema(manifest, {"0021_safeguards", "0017_platform"})
    older, _ = bf.verified_manifest(_file(b"x", ("0017_platform",)))
    bf.check_schema(older, {"0021_safeguards", "0017_platform"})


def test_kind_is_checked() -> None:
    manifest, _ = bf.verified_manifest(_file(b"x"))
    with pytest.raises(bf.BackupFileError, match="edge-outbox"):
        bf.check_kind(manifest, ("edge-outbox",))


def test_unknown_kind_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="kind"):
        bf.make_manifest("tarball", schema=[], sha256="", size=0)
