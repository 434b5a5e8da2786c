"""The SiteGate backup file: a magic line, a one-line JSON manifest, then the payload bytes.

Shared by `sitegate db backup` (server) and `sitegate edge backup` (gate), which may not import
each other. The manifest says what the payload is (kind), when it was made, the schema revision
it was made at and the payload's sha256, so a restore can refuse a damaged file or one made by a
newer SiteGate before it touches anything. Pure: bytes in, bytes out, no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import BinaryIO

MAGIC = b"SITEGATE-BACKUP/1\n"
MAX_MANIFEST_BYTES = 64 * 1024  # the header is read before anything is trusted: keep it small
CHUNK = 1024 * 1024

# What a payload is: a server database (SQLite file or pg_dump -Fc archive) or a gate's file.
KINDS = ("server-sqlite", "server-postgresql", "edge-outbox", "edge-roster")


class BackupFileError(Exception):
    """A file that is no restorable backup; carries zh/en like every user error."""

    code = "backup.file"

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True, slots=True)
class Manifest:
    kind: str
    created_at: str  # ISO 8601, UTC
    schema: list[str]  # Alembic revisions (server) or the gate file's schema tag (edge)
    sha256: str  # of the payload
    size: int  # payload bytes
    source: dict[str, str] = field(default_factory=dict)  # e.g. server version, device id
    format: int = 1


def make_manifest(
    kind: str,
    *,
    schema: Iterable[str],
    sha256: str,
    size: int,
    source: dict[str, str] | None = None,
    now: dt.datetime | None = None,
) -> Manifest:
    if kind not in KINDS:
        raise ValueError(f"unknown backup kind {kind!r}")
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return Manifest(
        kind=kind,
        created_at=when.isoformat(timespec="seconds"),
        schema=sorted(schema),
        sha256=sha256,
        size=size,
        source=dict(source or {}),
    )


def encode_header(manifest: Manifest) -> bytes:
    line = json.dumps(asdict(manifest), ensure_ascii=False, sort_keys=True).encode()
    return MAGIC + line + b"\n"


def _damaged(why_zh: str, why_en: str) -> BackupFileError:
    return BackupFileError(
        f"备份文件已损坏或不是备份:{why_zh}", f"not a backup, or damaged: {why_en}"
    )


def decode_header(head: bytes) -> tuple[Manifest, int]:
    """The manifest at the start of `head` (the file's first bytes) and where the payload starts."""
    if not head.startswith(MAGIC):
        raise _damaged("文件开头不是 SiteGate 备份标记", "the file does not start with the marker")
    end = head.find(b"\n", len(MAGIC))
    if end < 0:
        raise _damaged("清单不完整", "the manifest is cut short")
    try:
        data = json.loads(head[len(MAGIC) : end])
        if not isinstance(data, dict) or data.get("format") != 1:
            raise ValueError("format")
        manifest = Manifest(
            kind=str(data["kind"]),
            created_at=str(data["created_at"]),
            schema=[str(s) for s in data["schema"]],
            sha256=str(data["sha256"]),
            size=int(data["size"]),
            source={str(k): str(v) for k, v in dict(data.get("source", {})).items()},
        )
    except (ValueError, KeyError, TypeError):
        raise _damaged("清单无法读取", "the manifest cannot be read") from None
    if manifest.kind not in KINDS:
        raise _damaged(f"未知类型 {manifest.kind}", f"unknown kind {manifest.kind}")
    return manifest, end + 1


def read_manifest(stream: BinaryIO) -> tuple[Manifest, int]:
    return decode_header(stream.read(len(MAGIC) + MAX_MANIFEST_BYTES))


def check_payload(manifest: Manifest, size: int, sha256: str) -> None:
    """Refuse a payload that is not the one the manifest describes (cut short, altered)."""
    if size != manifest.size:
        raise _damaged(
            f"内容长度 {size} 字节,清单记载 {manifest.size} 字节",
            f"the payload is {size} bytes, the manifest says {manifest.size}",
        )
    if sha256 != manifest.sha256:
        raise _damaged(
            "内容校验值 (sha256) 与清单不符", "the payload's sha256 differs from the manifest"
        )


def check_kind(manifest: Manifest, expected: Iterable[str]) -> None:
    wanted = tuple(expected)
    if manifest.kind not in wanted:
        raise BackupFileError(
            f"这是 {manifest.kind} 备份,此处需要 {' 或 '.join(wanted)}",
            f"this is a {manifest.kind} backup; this restore takes {' or '.join(wanted)}",
        )


def unknown_revisions(manifest: Manifest, known: Iterable[str]) -> list[str]:
    """Schema revisions of the backup this code does not know: a backup made by a newer
    SiteGate, which this one must not restore (its migrations cannot bring the data back)."""
    have = set(known)
    return [rev for rev in manifest.schema if rev not in have]


def check_schema(manifest: Manifest, known: Iterable[str]) -> None:
    newer = unknown_revisions(manifest, known)
    if newer:
        raise BackupFileError(
            f"备份来自更新的数据库版本({', '.join(newer)}),请先升级 SiteGate 再恢复",
            f"the backup is from a newer schema ({', '.join(newer)}): upgrade SiteGate first",
        )


def sha256_of(stream: BinaryIO, start: int) -> tuple[int, str]:
    """Size and sha256 of the stream from `start` to its end, read in chunks."""
    stream.seek(start)
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def write_backup(
    out: BinaryIO,
    payload: BinaryIO,
    kind: str,
    *,
    schema: Iterable[str],
    source: dict[str, str] | None = None,
) -> Manifest:
    """Write header and payload to `out` (the caller opened both; a temporary file, renamed
    into place once complete, so a cut-short backup never looks like a whole one)."""
    size, digest = sha256_of(payload, 0)
    manifest = make_manifest(kind, schema=schema, sha256=digest, size=size, source=source)
    out.write(encode_header(manifest))
    payload.seek(0)
    while chunk := payload.read(CHUNK):
        out.write(chunk)
    return manifest


def verified_manifest(stream: BinaryIO) -> tuple[Manifest, int]:
    """The manifest of a backup whose payload is whole; where its payload starts."""
    manifest, start = read_manifest(stream)
    size, digest = sha256_of(stream, start)
    check_payload(manifest, size, digest)
    return manifest, start


def copy_payload(stream: BinaryIO, start: int, out: BinaryIO) -> None:
    stream.seek(start)
    while chunk := stream.read(CHUNK):
        out.write(chunk)
