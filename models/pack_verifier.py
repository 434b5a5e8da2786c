"""Verify a SiteGate evidence pack (docs/evidence_format.md) without the server.

    python3 verify_pack.py PACK.zip [--gate-key CODE=FP]... [--server-key FP]
                           [--digests DIR_OR_FILE]... [--earlier PACK.zip]... [--json]
                           [--lang zh|en|both]

--gate-key: the gate's fingerprint as printed on the 考勤表 (or shown by `sitegate edge
status`); --server-key: the fingerprint on every report footer; --digests: daily digests
archived outside the server; --earlier: packs downloaded before. Without any of them the
best verdict is VALID_UNANCHORED: consistent, but whoever runs the server could have rewritten
it all.

Standard library plus `cryptography` only, Python 3.9+: this file is shipped in every pack as
verify_pack.py and run alone. It re-implements the record hash, the RFC 9162 Merkle proofs and
the signed files; the project's tests cross-check them against models/ so the two cannot drift.
Exit status: 0 VALID, 3 VALID_UNANCHORED, 1 INVALID, 2 the inputs cannot be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import re
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable  # noqa: UP035 - the clerk may have 3.9
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

UTC = dt.timezone.utc  # noqa: UP017 - datetime.UTC is 3.11+, the clerk may have 3.9
GENESIS = "0" * 64
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
SIGNED_FORMAT = "sitegate.signed/1"
DIGEST = "sitegate.daily_digest"
MAX_UNPACKED = 200 * 1024 * 1024  # a zip bomb stops here
MAX_MEMBERS = 100_000
# GateEventBody's fields (models/gate_event.py); the optional ones are left out while null.
FIELDS = (
    "event_id", "device_id", "seq", "device_time", "direction", "mode", "credential",
    "credential_ref", "worker_id", "result", "reason", "face_score", "voids_seq", "purpose",
    "subject_hash", "checkpoint", "terminal_ref", "liveness", "prev_hash",
)  # fmt: skip
OPTIONAL = frozenset(
    {"voids_seq", "purpose", "subject_hash", "checkpoint", "liveness", "terminal_ref"}
)
NOT_HASHED = frozenset({"hash", "signature", "in_period"})
REQUIRED_FILES = ("manifest.json", "records.json", "checkpoints.json", "proofs.json", "keys.json")
KNOWN_FILES = frozenset({*REQUIRED_FILES, "wage.json", "verify_pack.py", "README.txt"})
DIGEST_NAME = re.compile(r"^digests/(\d{4}-\d{2}-\d{2})\.json$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
TIME = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:?\d\d)?$"
)
Json = dict[str, Any]

# --- canonical form, hashes, keys --------------------------------------------------------------


def parse_time(text: str) -> dt.datetime:
    """An ISO time with any offset (Z or +08:00); naive is not accepted."""
    m = TIME.match(text)
    if m is None or m.group(8) is None:
        raise ValueError(f"not an aware ISO time: {text!r}")
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0").ljust(6, "0"))
    off = m.group(8)
    if off == "Z":
        tz = UTC
    else:
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return dt.datetime(y, mo, d, h, mi, s, micro, tzinfo=tz)


def utc_text(text: str) -> str:
    return parse_time(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(record: Json) -> bytes:
    """The hashed form of a record as in the pack (GateEvent JSON)."""
    out: Json = {}
    for name in FIELDS:
        value = record.get(name)
        if value is None and name in OPTIONAL:
            continue
        if name == "device_time" and isinstance(value, str):
            value = utc_text(value)
        elif name == "face_score" and value is not None:
            value = round(float(value), 4)
        out[name] = value
    return json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: Json) -> str:
    return hashlib.sha256(bytes.fromhex(record["prev_hash"]) + canonical_bytes(record)).hexdigest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(data: list[bytes]) -> str:
    """RFC 9162 MTH, hex (the split at the largest power of two below the size)."""
    if not data:
        return EMPTY_ROOT

    def mth(leaves: list[bytes]) -> bytes:
        if len(leaves) == 1:
            return leaves[0]
        k = 1
        while k << 1 < len(leaves):
            k <<= 1
        return node_hash(mth(leaves[:k]), mth(leaves[k:]))

    return mth([leaf_hash(d) for d in data]).hex()


def root_from_path(data: bytes, index: int, size: int, path: list[str]) -> str | None:
    """The root an audit path leads to (RFC 9162 2.1.3.2), None when it cannot be one."""
    if not isinstance(index, int) or not isinstance(size, int) or not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf_hash(data)
    for p_hex in path:
        p = bytes.fromhex(p_hex) if isinstance(p_hex, str) and HEX64.match(p_hex) else b""
        if sn == 0 or len(p) != 32:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r.hex() if sn == 0 else None


def worker_leaf(worker_id: int, count: int, root: str) -> bytes:
    return f"{worker_id}:{count}:{root}".encode("ascii")


def fingerprint(public_key: str) -> str:
    try:
        raw = bytes.fromhex(public_key)
    except ValueError:
        raw = public_key.encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def key_matches(public_key: str, given: str) -> bool:
    """A key given from outside: its 16-hex fingerprint or the full 64-hex key."""
    given = given.strip().lower()
    return given == public_key.lower() if len(given) == 64 else given == fingerprint(public_key)


def signature_ok(public_key: str, signature: str, message: bytes) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class Signed:
    body: Json
    text: str
    public_key: str
    signature: str


def read_signed(data: bytes, body_type: str) -> Signed:
    """A signed file whose signature holds under the key it names, which its body names too."""
    try:
        wrapper = json.loads(data.decode("utf-8"))
        text, key, sig = wrapper["body"], wrapper["public_key"], wrapper["signature"]
        body = json.loads(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"不是签名文件 / not a signed file ({exc})") from None
    if wrapper.get("format") != SIGNED_FORMAT or not isinstance(body, dict):
        raise ValueError("不是签名文件 / not a signed file")
    if body.get("type") != body_type:
        raise ValueError(f"类型不是 {body_type} / not a {body_type}")
    if not signature_ok(key, sig, text.encode("utf-8")):
        raise ValueError("签名无效 / the signature does not hold")
    if (body.get("server_key") or {}).get("public_key") != key:
        raise ValueError("正文写的服务器公钥不是签名公钥 / the body names another key")
    return Signed(body, text, key, sig)


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    subject: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class Report:
    checks: list[Check]
    verdict: str  # "VALID" | "VALID_UNANCHORED" | "INVALID"

    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


class PackError(Exception):
    """The pack cannot be read far enough to check anything else."""


def read_zip(data: bytes) -> dict[str, bytes]:
    """The members, refusing more than MAX_UNPACKED bytes in all whatever the headers claim."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except Exception as exc:  # any reason a zip cannot be opened: not a pack
        raise PackError(f"无法读取压缩包 / not a readable zip ({exc})") from None
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise PackError("解压后超过 200 MB / more than 200 MB unpacked")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise PackError("压缩包内有重名文件 / a file name appears twice in the zip")
    out, left = {}, MAX_UNPACKED
    try:
        for info in infos:
            with zf.open(info) as member:
                out[info.filename] = member.read(left + 1)
            left -= len(out[info.filename])
            if left < 0:
                raise PackError("解压后超过 200 MB / more than 200 MB unpacked")
    except PackError:
        raise
    except Exception as exc:  # corrupt, encrypted, unsupported compression
        raise PackError(f"无法解压 / cannot unpack ({exc})") from None
    return out


def zone(name: str) -> dt.tzinfo:
    """The project's zone; China's fixed UTC+8 when the system has no zone database (a
    Windows PC without the tzdata package)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"):
            return dt.timezone(dt.timedelta(hours=8))
        raise ValueError(f"unknown time zone {name!r}") from None


# what malformed JSON raises when read as a pack: a failed check, never a traceback
BAD = (PackError, LookupError, TypeError, ValueError, AttributeError, ArithmeticError)


def _gate_seq(r: Json) -> str:
    return f"{r['device_id']} #{r['seq']}"


def _is_record(r: Any, checkpoint: bool) -> bool:
    ok = (
        isinstance(r, dict)
        and isinstance(r.get("device_id"), str)
        and type(r.get("seq")) is int
        and isinstance(r.get("device_time"), str)
        and all(isinstance(r.get(k), str) and HEX64.match(r[k]) for k in ("hash", "prev_hash"))
        and isinstance(r.get("signature", ""), str)
    )
    if not ok or not checkpoint:
        return ok
    c = r.get("checkpoint")
    return (
        isinstance(c, dict)
        and all(type(c.get(k)) is int for k in ("from_seq", "to_seq", "count", "workers"))
        and all(isinstance(c.get(k), str) for k in ("tip_hash", "records_root", "workers_root"))
        and isinstance(c.get("prev_checkpoint_hash"), str)
        and isinstance(c.get("day"), str)
    )


def _records_of(data: Any, key: str) -> list[Any]:
    """A flat list; a {key: [...]} object or a {gate: [...]} object is accepted too."""
    if isinstance(data, dict):
        data = data[key] if key in data else [r for v in data.values() for r in v]
    if not isinstance(data, list):
        raise ValueError("not a list")
    return data


class Verifier:
    """One pass over one pack: each check_* adds its Checks; `caps` collects what keeps the
    verdict at VALID_UNANCHORED at best (unsealed records, checkpoints in no digest yet)."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.caps: list[str] = []  # why the verdict can be at best VALID_UNANCHORED

    def add(self, name: str, ok: bool, subject: str, zh: str, en: str) -> bool:
        self.checks.append(Check(name, ok, subject, zh, en))
        return ok

    def guarded(
        self, name: str, subject: str, fn: Callable[..., tuple[bool, str, str]], *args: Any
    ) -> bool:
        """Run one check; malformed data in the pack is a failed check, never a traceback."""
        try:
            ok, zh, en = fn(*args)
        except BAD as exc:
            ok, zh, en = False, f"格式错误：{exc!r}", f"malformed: {exc!r}"
        return self.add(name, ok, subject, zh, en)

    # -- reading --------------------------------------------------------------------------------

    def load(self, pack: bytes) -> None:
        files = read_zip(pack)
        missing = [n for n in REQUIRED_FILES if n not in files]
        if missing:
            raise PackError(f"缺少文件 / missing file: {', '.join(missing)}")
        unknown = [n for n in files if n not in KNOWN_FILES and not DIGEST_NAME.match(n)]
        if unknown:
            raise PackError(f"未知文件 / unknown file: {', '.join(sorted(unknown))}")
        self.files = files
        try:
            self.manifest_raw = json.loads(files["manifest.json"].decode("utf-8"))
            self.body: Json = json.loads(self.manifest_raw["body"])
            self.worker = self.body["worker"]["id"]
            self.period = str(self.body["period"])
            self.zone = zone(str(self.body.get("timezone") or "Asia/Shanghai"))
            self.server_pub = str(self.body["server_key"]["public_key"])
            y, m = (int(p) for p in self.period.split("-"))
            self.start = dt.datetime(y, m, 1, tzinfo=self.zone)
            self.end = dt.datetime(y + m // 12, m % 12 + 1, 1, tzinfo=self.zone)
            self.first_day, self.last_day = (
                f"{self.period}-01",
                (self.end - dt.timedelta(days=1)).date().isoformat(),
            )
            self.records = list(_records_of(self._json("records.json"), "records"))
            self.cps = list(_records_of(self._json("checkpoints.json"), "checkpoints"))
            self.proofs = self._json("proofs.json")
            self.keys = {g["code"]: list(g["keys"]) for g in self._json("keys.json")["gates"]}
            self.digests: dict[str, bytes] = {
                n: b for n, b in sorted(files.items()) if DIGEST_NAME.match(n)
            }
        except (KeyError, TypeError, ValueError, AttributeError, LookupError) as exc:
            raise PackError(f"JSON 内容不可读 / unreadable JSON: {exc!r}") from None
        bad = [i for i, r in enumerate(self.records) if not _is_record(r, False)]
        bad += [i for i, r in enumerate(self.cps) if not _is_record(r, True)]
        if bad or type(self.worker) is not int:
            raise PackError("记录格式错误 / a record is malformed")
        self.records.sort(key=lambda r: (r["device_id"], r["seq"]))
        self.cps.sort(key=lambda r: (r["device_id"], r["seq"]))
        self.cps_by_gate: dict[str, list[Json]] = {}
        for c in self.cps:
            self.cps_by_gate.setdefault(c["device_id"], []).append(c)
        self.add("pack.read", True, "pack", "证据包可读", "the pack reads")

    def _json(self, name: str) -> Any:
        return json.loads(self.files[name].decode("utf-8"))

    # -- manifest ---------------------------------------------------------------------------------

    def check_manifest(self) -> None:
        def signature() -> tuple[bool, str, str]:
            try:
                read_signed(self.files["manifest.json"], "sitegate.evidence_pack")
            except ValueError as exc:
                return False, f"清单：{exc}", f"manifest: {exc}"
            return True, "清单签名有效", "the manifest's signature holds"

        self.guarded("manifest.signature", "manifest.json", signature)
        listed = self.body.get("files")
        listed = listed if isinstance(listed, dict) else {}
        for name in sorted(set(listed) | set(self.files) - {"manifest.json"}):
            if name not in self.files:
                self.add("manifest.files", False, name, "清单列出但包中缺少", "listed but missing")
            elif name not in listed:
                self.add("manifest.files", False, name, "包中有但清单未列出", "not in the manifest")
            elif hashlib.sha256(self.files[name]).hexdigest() != listed[name]:
                self.add("manifest.files", False, name, "SHA-256 与清单不符", "sha256 differs")
            else:
                self.add("manifest.files", True, name, "SHA-256 正确", "sha256 matches")

    # -- records ----------------------------------------------------------------------------------

    def key_for(self, gate: str, seq: int) -> str | None:
        for k in self.keys.get(gate, []):
            if k["from_seq"] <= seq and (k.get("to_seq") is None or seq <= k["to_seq"]):
                return str(k["public_key"])
        return None

    def check_records(self) -> None:
        seen: set[tuple[str, int]] = set()
        for r in [*self.records, *self.cps]:
            s = _gate_seq(r)
            ident = (r["device_id"], r["seq"])
            extra = set(r) - set(FIELDS) - NOT_HASHED
            if ident in seen:
                self.add("record.hash", False, s, "记录出现两次", "appears twice")
            elif extra:
                self.add("record.hash", False, s, f"未知字段 {sorted(extra)}", "unknown fields")
            else:
                self.guarded("record.hash", s, _hash_ok, r)
            seen.add(ident)
            key = self.key_for(r["device_id"], r["seq"])
            if key is None:
                self.add("record.signature", False, s, "没有覆盖此序号的闸机公钥",
                         "no key of the gate covers this seq")  # fmt: skip
            elif signature_ok(key, r.get("signature", ""), bytes.fromhex(r["hash"])):
                self.add("record.signature", True, s, f"闸机签名有效（{fingerprint(key)}）",
                         f"gate signature holds ({fingerprint(key)})")  # fmt: skip
            else:
                self.add("record.signature", False, s, f"记录 {s} 的闸机签名无效",
                         f"record {s}: the gate's signature does not hold")  # fmt: skip
        for r in self.records:
            s = _gate_seq(r)
            if r.get("worker_id") == self.worker:
                self.add("record.worker", True, s, "属于本工人", "names the pack's worker")
            else:
                self.add("record.worker", False, s, f"记录属于工人 {r.get('worker_id')}",
                         f"names worker {r.get('worker_id')}, not {self.worker}")  # fmt: skip

    # -- checkpoints ------------------------------------------------------------------------------

    def check_chain(self) -> None:
        for cps in self.cps_by_gate.values():
            prev: Json | None = None
            for r in cps:
                self.guarded("checkpoint.chain", _gate_seq(r), _link, r, prev)
                prev = r

    def range_of(self, gate: str, seq: int) -> Json | None:
        """The checkpoint record in the pack whose range holds seq."""
        for c in self.cps_by_gate.get(gate, []):
            if c["checkpoint"]["from_seq"] <= seq <= c["checkpoint"]["to_seq"]:
                return c
        return None

    def check_inclusion(self) -> None:
        proofs = {(p["gate"], p["seq"]): p for p in self.proofs.get("records", [])}
        for r in self.records:
            s, gate = _gate_seq(r), r["device_id"]
            c = self.range_of(gate, r["seq"])
            cps = self.cps_by_gate.get(gate, [])
            if c is None:
                unsealed = (
                    not cps
                    or r["seq"] > cps[-1]["checkpoint"]["to_seq"]
                    or (
                        r["seq"] < cps[0]["checkpoint"]["from_seq"]
                        and cps[0]["checkpoint"]["prev_checkpoint_hash"] == GENESIS
                    )
                )
                if unsealed:
                    self.caps.append(f"{s} unsealed")
                self.add("record.inclusion", unsealed, s,
                         "尚未被检查点封存" if unsealed else "不在包中任何检查点范围内",
                         "not yet sealed by a checkpoint" if unsealed
                         else "in no checkpoint range of the pack")  # fmt: skip
                continue
            self.guarded("record.inclusion", s, _included, r, c, proofs)

    def check_workers(self) -> None:
        proofs = {(p["gate"], p["checkpoint_seq"]): p for p in self.proofs.get("workers", [])}
        for gate, cps in self.cps_by_gate.items():
            for i, c in enumerate(cps):
                cp = c["checkpoint"]
                mine = [
                    r for r in self.records
                    if r["device_id"] == gate and cp["from_seq"] <= r["seq"] <= cp["to_seq"]
                ]  # fmt: skip
                proof = proofs.get((gate, c["seq"]))
                if proof is None and i == 0 and cp["day"] < self.first_day and not mine:
                    self.add("worker.leaf", True, _gate_seq(c), "月前边界检查点，无需证明",
                             "boundary before the month: no proof needed")  # fmt: skip
                    continue
                self.guarded(
                    "worker.leaf", _gate_seq(c), _worker_proof, cp, proof, mine, self.worker
                )

    def check_coverage(self) -> None:
        for r in self.records:
            s = _gate_seq(r)
            inside = self.start <= parse_time(r["device_time"]) < self.end
            if r.get("in_period") is not inside:
                self.add("checkpoint.coverage", False, s, f"in_period 应为 {inside}",
                         f"in_period should be {inside} by its device_time")  # fmt: skip
        gates = {r["device_id"] for r in self.records} | set(self.cps_by_gate)
        for gate in sorted(gates):
            cps = self.cps_by_gate.get(gate, [])
            month = any(
                r["device_id"] == gate and self.start <= parse_time(r["device_time"]) < self.end
                for r in self.records
            )
            if not cps:
                if month:
                    self.caps.append(f"{gate}: no checkpoint")
                self.add("checkpoint.coverage", True, gate, "没有检查点：本闸机记录均未封存",
                         "no checkpoint: nothing of this gate is sealed")  # fmt: skip
                continue
            first, last = cps[0]["checkpoint"], cps[-1]["checkpoint"]
            if not (first["day"] < self.first_day or first["prev_checkpoint_hash"] == GENESIS):
                self.add("checkpoint.coverage", False, gate, "缺少月初之前的检查点",
                         "no checkpoint sealing before the month starts")  # fmt: skip
            elif last["day"] <= self.last_day:
                self.caps.append(f"{gate}: month end not sealed")
                self.add("checkpoint.coverage", True, gate, "月末尚未被检查点封存",
                         "the month's end is not yet sealed by a checkpoint")  # fmt: skip
            else:
                self.add("checkpoint.coverage", True, gate, "检查点覆盖整月",
                         "checkpoints cover the month")  # fmt: skip

    # -- keys and digests ---------------------------------------------------------------------

    def read_digests(self) -> list[Signed]:
        out: list[Signed] = []
        prev: Signed | None = None
        for name, data in self.digests.items():
            try:
                d = read_signed(data, DIGEST)
            except ValueError as exc:
                self.add("anchor.digest", False, name, str(exc), str(exc))
                continue
            day = DIGEST_NAME.match(name).group(1)  # type: ignore[union-attr]
            problem = _digest_problem(d, day, prev, self.server_pub)
            self.add("anchor.digest", problem is None, name, *(problem or ("签名与链接有效",
                     "signed by the server key and chained")))  # fmt: skip
            out.append(d)
            prev = d
        return out

    def check_digests(self, digests: list[Signed]) -> None:
        in_digests: dict[tuple[str, int], Json] = {}
        first = min((str(d.body.get("day")) for d in digests), default="")
        for d in digests:
            for c in d.body.get("checkpoints", []):
                in_digests[(c["device_id"], c["seq"])] = c
        for r in self.cps:
            s, found = _gate_seq(r), in_digests.get((r["device_id"], r["seq"]))
            later = any(g == r["device_id"] and q > r["seq"] for g, q in in_digests)
            if found is not None:
                same = found.get("hash") == r["hash"] and found.get("signature") == r["signature"]
                self.add("anchor.digest", same, s, "检查点与每日摘要一致" if same else
                         "检查点与每日摘要中的不同", "the checkpoint is in a daily digest" if same
                         else "the checkpoint differs from the one in a daily digest")  # fmt: skip
            elif later and r["checkpoint"]["day"] < first:  # sealed before the digests begin
                self.add("anchor.digest", True, s, "早于包中第一份每日摘要", "older than the "
                         "pack's first daily digest")  # fmt: skip
            elif later:  # gates upload in seq order: it arrived before a later one
                self.add("anchor.digest", False, s, "检查点不在摘要中，而其后的检查点在",
                         "missing from the digests that hold later ones")  # fmt: skip
            else:
                self.caps.append(f"{s} not in a digest yet")
                self.add("anchor.digest", True, s, "晚于最新的每日摘要收到，尚未外部留存",
                         "received after the newest digest: not yet anchored")  # fmt: skip
        for subject, zh, en in self.left_out(list(in_digests.values())):
            self.add("checkpoint.coverage", False, subject, f"每日摘要显示{zh}", f"digests: {en}")
        signing = {(r["device_id"], self.key_for(r["device_id"], r["seq"]))
                   for r in [*self.records, *self.cps]}  # fmt: skip
        named = {
            (g.get("code"), g.get("public_key")) for d in digests for g in d.body.get("gates", [])
        }
        changes = [k for d in digests for k in d.body.get("key_changes", [])]
        named |= {(k.get("gate"), k.get(f"{side}_public_key")) for k in changes
                  for side in ("old", "new")}  # fmt: skip
        for gate, key in sorted(k for k in signing if k[1] is not None):
            ok = (gate, key) in named
            self.add("anchor.digest", ok, f"{gate} key {fingerprint(str(key))}",
                     "闸机公钥见于每日摘要" if ok else "闸机公钥不在任何每日摘要中",
                     "the gate key is in a daily digest" if ok
                     else "the gate key is in no daily digest")  # fmt: skip

    def left_out(self, others: list[Json]) -> list[tuple[str, str, str]]:
        """(subject, zh, en) for what outside checkpoints show the pack leaves out: one of the
        month, or the gate's first after the month while the pack has none after it."""
        out, after = [], set()
        for c in others:
            gate, day = c["device_id"], str(c["checkpoint"]["day"])
            mine = self.cps_by_gate.get(gate, [])
            if self.first_day <= day <= self.last_day and not any(
                x["seq"] == c["seq"] for x in mine
            ):
                out.append((_gate_seq(c), "本月的检查点不在包中", "a checkpoint of the month is "
                            "not in the pack"))  # fmt: skip
            if day > self.last_day and not any(
                x["checkpoint"]["day"] > self.last_day for x in mine
            ):
                after.add(gate)
        out += [(g, "月后的检查点不在包中", "the first checkpoint after the month is not in the "
                 "pack") for g in sorted(after)]  # fmt: skip
        return out

    def check_keys(self, digests: list[Signed]) -> None:
        changes = {(k.get("gate"), k.get("old_public_key"), k.get("new_public_key"))
                   for d in digests for k in d.body.get("key_changes", [])}  # fmt: skip
        known = {(c["device_id"], c["checkpoint"]["to_seq"])
                 for d in digests for c in d.body.get("checkpoints", [])}  # fmt: skip
        for gate, spans in sorted(self.keys.items()):
            ordered = sorted(spans, key=lambda k: k["from_seq"])
            self.guarded("key.transition", gate, _transitions, gate, ordered, changes, known)

    # -- anchors from outside -----------------------------------------------------------------

    def check_outside(
        self,
        gate_keys: dict[str, str],
        server_key: str | None,
        digests: dict[str, bytes],
        earlier: list[bytes],
        own: list[Signed],
    ) -> bool:
        """The outside anchors; whether they cover the pack (for the verdict VALID)."""
        for gate, given in sorted(gate_keys.items()):
            self.guarded("anchor.gate_key", gate, self._gate_key, gate, given)
        if server_key is not None:
            ok = key_matches(self.server_pub, server_key)
            self.add("anchor.server_key", ok, "manifest.json", "服务器公钥与报表页脚指纹一致"
                     if ok else f"服务器公钥不是 {server_key}", "the server key matches the "
                     "report footer" if ok else f"the server key is not {server_key}")  # fmt: skip
        own_days = {d.body.get("day"): d for d in own}
        for name, data in sorted(digests.items()):
            self.guarded("anchor.archive", name, self._archived, data, own_days)
        for i, data in enumerate(earlier, 1):
            self.guarded("anchor.archive", f"earlier pack {i}", self._earlier, data, own_days)
        # A face terminal cannot sign: the server sealed its records, so a fingerprint of that
        # key anchors nothing against whoever runs the server; only archived digests do.
        sealed = sorted({r["device_id"] for r in self.records if r.get("terminal_ref")})
        for gate in sealed:
            n = sum(1 for r in self.records if r["device_id"] == gate and r.get("terminal_ref"))
            self.add("records.server_sealed", True, gate,
                     f"{n} 条记录来自人脸终端,由服务器接收时签名,非设备签名",
                     f"{n} records come from a face terminal, signed by the server on receipt, "
                     "not by a device")  # fmt: skip
        gated = {x.subject for x in self.checks if x.name == "anchor.gate_key" and x.ok}
        gated -= set(sealed)
        gates_ok = bool(gated) and {r["device_id"] for r in self.records} <= gated
        archived = [x.ok for x in self.checks if x.name == "anchor.archive"]
        server = [x.ok for x in self.checks if x.name == "anchor.server_key"]
        server_ok = any(server) and bool(archived) and all(archived)
        return gates_ok or server_ok

    def _gate_key(self, gate: str, given: str) -> tuple[bool, str, str]:
        """The outside fingerprint is the key the gate signs with at the month's end (the
        考勤表 is printed then): a re-key within the month by whoever runs the server, with
        the change written into digests they sign, leaves the month under another key."""
        items = [r for r in self.records if r["device_id"] == gate]
        items += self.cps_by_gate.get(gate, [])
        month = [r for r in items if parse_time(r["device_time"]) < self.end]
        last = max((r["seq"] for r in month or items), default=None)
        key = None if last is None else self.key_for(gate, last)
        keys = [str(k["public_key"]) for k in self.keys.get(gate, [])]
        if key is None and not keys:
            return False, "包中没有该闸机的公钥", "the pack has no key of this gate"
        if key is not None and key_matches(key, given):
            return True, "与考勤表上的指纹一致", "matches the outside fingerprint"
        if key is None and any(key_matches(k, given) for k in keys):
            return True, "与考勤表上的指纹一致", "matches the outside fingerprint"
        fp = fingerprint(key or keys[-1])
        return False, f"月末的闸机公钥 {fp} 不是外部指纹 {given}", \
            f"the gate key at the month's end is {fp}, not {given}"  # fmt: skip

    def _archived(self, data: bytes, own: dict[Any, Signed]) -> tuple[bool, str, str]:
        digest = read_signed(data, DIGEST)
        return self._agrees([digest], [], own, "存档摘要", "the archived digest")

    def _earlier(self, data: bytes, own: dict[Any, Signed]) -> tuple[bool, str, str]:
        files = read_zip(data)
        ds = [read_signed(b, DIGEST) for n, b in sorted(files.items()) if DIGEST_NAME.match(n)]
        cps = _records_of(json.loads(files["checkpoints.json"]), "checkpoints")
        return self._agrees(ds, cps, own, "先前的证据包", "the earlier pack")

    def _agrees(
        self, ds: list[Signed], cps: list[Json], own: dict[Any, Signed], zh: str, en: str
    ) -> tuple[bool, str, str]:
        """Outside digests and checkpoints against this pack's: the same key, the same bytes
        for the same day, no checkpoint contradicting."""
        issued: list[Json] = []
        for d in ds:
            day, mine = d.body.get("day"), own.get(d.body.get("day"))
            if d.public_key != self.server_pub:
                return False, f"{zh}由另一服务器公钥签名", f"{en} has another server key"
            if mine is not None and (mine.text, mine.signature) != (d.text, d.signature):
                return False, f"{zh}中 {day} 的摘要与本包不同", f"{en}: the digest of {day} differs"
            cps = cps + d.body.get("checkpoints", [])
            # what the server had issued when it made this pack, the pack must not leave out
            issued += d.body.get("checkpoints", []) if self.issued_before(d, own) else []
        problem = self._contradiction(cps, [d.body for d in ds])
        missing = self.left_out(issued)
        if missing:
            return False, f"{zh}显示{missing[0][1]}：{missing[0][0]}", f"{en}: {missing[0][2]}"
        if problem:
            return False, f"与{zh}矛盾：{problem}", f"contradicts {en}: {problem}"
        return True, f"与{zh}一致", f"agrees with {en}"

    def issued_before(self, d: Signed, own: dict[Any, Signed]) -> bool:
        """Whether a digest was issued before this pack was made (by their signed times)."""
        try:
            made = parse_time(str(self.body["generated_at"]))
            return parse_time(str(d.body["issued_at"])) < made
        except (KeyError, ValueError):
            return str(d.body.get("day")) <= max((str(k) for k in own), default="")

    def _contradiction(self, others: list[Json], bodies: list[Json]) -> str | None:
        """Where outside checkpoints (or digest key lists) contradict this pack's."""
        for o in others:
            for c in self.cps_by_gate.get(o["device_id"], []):
                lo, hi = o["checkpoint"]["from_seq"], o["seq"]
                if (
                    lo <= c["seq"]
                    and c["checkpoint"]["from_seq"] <= hi
                    and (o["seq"] != c["seq"] or o["hash"] != c["hash"])
                ):
                    return f"{_gate_seq(c)} / {_gate_seq(o)}"
        for b in bodies:
            for g in b.get("gates", []):
                keys = self.keys.get(g.get("code"))
                if keys is not None and g.get("public_key") not in [k["public_key"] for k in keys]:
                    return f"{g.get('code')} key {fingerprint(str(g.get('public_key')))}"
        return None

    def verdict(self, anchored: bool) -> str:
        if any(not c.ok for c in self.checks):
            return "INVALID"
        return "VALID" if anchored and not self.caps else "VALID_UNANCHORED"


def _hash_ok(r: Json) -> tuple[bool, str, str]:
    s = _gate_seq(r)
    if record_hash(r) == r["hash"]:
        return True, "哈希与内容相符", "hash matches its content"
    return False, f"记录 {s} 的哈希与内容不符", f"record {s}: hash does not match its content"


def _link(r: Json, prev: Json | None) -> tuple[bool, str, str]:
    cp = r["checkpoint"]
    if r.get("purpose") != "checkpoint" or r["seq"] != cp["to_seq"] + 1:
        return False, "检查点记录的序号不是 to_seq+1", "the record's seq is not to_seq+1"
    if r["prev_hash"] != cp["tip_hash"] or cp["count"] != cp["to_seq"] - cp["from_seq"] + 1:
        return False, "检查点的 tip_hash 或 count 不符", "tip_hash or count does not add up"
    if prev is not None and (
        cp["prev_checkpoint_hash"] != prev["hash"] or cp["from_seq"] != prev["seq"] + 1
    ):
        return False, f"未接上前一检查点 #{prev['seq']}", f"does not follow #{prev['seq']}"
    if cp["from_seq"] == 1 and cp["prev_checkpoint_hash"] != GENESIS:
        return False, "首个检查点的 prev 应为 64 个 0", "the first checkpoint's prev must be zeros"
    return True, "检查点链接正确", "the checkpoint links to the previous one"


def _included(r: Json, c: Json, proofs: dict[Any, Json]) -> tuple[bool, str, str]:
    cp, s = c["checkpoint"], _gate_seq(r)
    p = proofs.get((r["device_id"], r["seq"]))
    if p is None:
        return False, f"记录 {s} 缺少包含证明", f"record {s}: no inclusion proof"
    ok = (
        p["checkpoint_seq"] == c["seq"]
        and p["index"] == r["seq"] - cp["from_seq"]
        and p["size"] == cp["count"]
        and root_from_path(bytes.fromhex(r["hash"]), p["index"], p["size"], p["path"])
        == cp["records_root"]
    )
    if not ok:
        return False, f"记录 {s} 不在检查点 #{c['seq']} 的默克尔树中", f"record {s}: not in the " \
            f"Merkle tree of checkpoint #{c['seq']}"  # fmt: skip
    return True, f"已被检查点 #{c['seq']} 封存", f"sealed by checkpoint #{c['seq']}"


def _worker_proof(cp: Json, p: Json | None, mine: list[Json], worker: int) -> tuple[bool, str, str]:
    if p is None:
        return False, "缺少工人证明", "no worker proof for this checkpoint"
    if p["size"] != cp["workers"]:
        return False, "工人树大小与检查点不符", "the workers tree size differs from the checkpoint"
    root = cp["workers_root"]
    if p["kind"] == "inclusion":
        leaf, count = p["leaf"], len(mine)
        mine_root = merkle_root([bytes.fromhex(r["hash"]) for r in mine])
        if (
            leaf["worker_id"] != worker
            or root_from_path(
                worker_leaf(worker, leaf["count"], leaf["root"]), p["index"], p["size"], p["path"]
            )
            != root
        ):
            return False, "工人叶子不在检查点的工人树中", "the worker's leaf is not in the tree"
        if (leaf["count"], leaf["root"]) != (count, mine_root):
            return False, f"闸机封存了 {leaf['count']} 条本工人记录，包中有 {count} 条（或不同）", \
                f"the gate sealed {leaf['count']} records of the worker, the pack holds {count} " \
                "(or others)"  # fmt: skip
        return True, f"本工人 {count} 条记录齐全", f"all {count} records of the worker are here"
    if p["kind"] != "absence":
        return False, "未知证明类型", "unknown proof kind"
    if mine:
        return False, "证明称无本工人记录，但包中有", "an absence proof, but the pack holds records"
    left, right, size = p.get("left"), p.get("right"), p["size"]
    if size == 0:
        ok = left is None and right is None and root == EMPTY_ROOT
    elif left is None and right is None:
        ok = False
    else:
        ok = (
            (left is None or (left["index"] == (right["index"] - 1 if right else size - 1)))
            and (right is None or right["index"] == (left["index"] + 1 if left else 0))
            and (left is None or left["leaf"]["worker_id"] < worker)
            and (right is None or worker < right["leaf"]["worker_id"])
            and all(
                root_from_path(
                    worker_leaf(s["leaf"]["worker_id"], s["leaf"]["count"], s["leaf"]["root"]),
                    s["index"], size, s["path"],
                ) == root
                for s in (left, right) if s is not None
            )
        )  # fmt: skip
    if not ok:
        return False, "无记录证明不成立", "the absence proof does not hold"
    return True, "检查点期间本工人无记录（已证明）", "the worker has no record here (proven)"


def _digest_problem(
    d: Signed, day: str, prev: Signed | None, server: str
) -> tuple[str, str] | None:
    if d.public_key != server:
        return "摘要不是由清单中的服务器公钥签名", "not signed by the manifest's server key"
    if d.body.get("day") != day:
        return "文件名与摘要日期不符", "the file name is not the digest's day"
    if prev is not None:
        expected = (dt.date.fromisoformat(str(prev.body["day"])) + dt.timedelta(days=1)).isoformat()
        if day != expected:
            return f"摘要缺少 {expected}", f"the digest of {expected} is missing"
        if d.body.get("prev_sha256") != hashlib.sha256(prev.text.encode("utf-8")).hexdigest():
            return "prev_sha256 与前一天的摘要不符", "prev_sha256 is not the previous day's"
    return None


def _transitions(
    gate: str, spans: list[Json], changes: set[Any], known: set[tuple[str, int]]
) -> tuple[bool, str, str]:
    for k in spans:
        if k.get("fingerprint", fingerprint(k["public_key"])) != fingerprint(k["public_key"]):
            return False, "公钥旁写的指纹与公钥不符", "a fingerprint shown is not its key's"
    for a, b in zip(spans, spans[1:]):  # noqa: B905, RUF007 - 3.9 has neither
        if a.get("to_seq") is None or b["from_seq"] != a["to_seq"] + 1:
            return False, "闸机公钥的序号范围不连续", "the key spans are not contiguous in seq"
        # a change before every checkpoint the digests hold cannot be looked up in them
        if any(g == gate and to < b["from_seq"] for g, to in known) and (
            gate, a["public_key"], b["public_key"]) not in changes:  # fmt: skip
            return False, f"闸机在 #{b['from_seq']} 换了公钥，既无旧公钥签名的记录，也无每日摘要" \
                "记载的管理操作", "gate re-keyed without a record signed by the old key or an " \
                "admin action named in a digest"  # fmt: skip
    return True, f"{len(spans)} 把公钥，更换均有记载", f"{len(spans)} key(s), every change named"


def verify(
    pack: bytes,
    *,
    gate_keys: dict[str, str] | None = None,
    server_key: str | None = None,
    digests: dict[str, bytes] | None = None,
    earlier_packs: list[bytes] | None = None,
) -> Report:
    v = Verifier()
    try:
        v.load(pack)
    except PackError as exc:
        zh, _, en = str(exc).partition(" / ")
        v.add("pack.read", False, "pack", zh, en or zh)
        return Report(v.checks, "INVALID")
    try:
        v.check_manifest()
        v.check_records()
        v.check_chain()
        v.check_inclusion()
        v.check_workers()
        v.check_coverage()
        own = v.read_digests()
        v.check_digests(own)
        v.check_keys(own)
        anchored = v.check_outside(
            gate_keys or {}, server_key, digests or {}, earlier_packs or [], own
        )
    except BAD as exc:
        v.add("pack.read", False, "pack", f"内容格式错误：{exc!r}", f"malformed content: {exc!r}")
        return Report(v.checks, "INVALID")
    return Report(v.checks, v.verdict(anchored))


# --- the command ---------------------------------------------------------------------------------

VERDICT_TEXT = {
    "VALID": ("有效：内容一致，并与外部留存的指纹或摘要相符",
              "VALID: consistent, and agrees with the anchors kept outside the server"),
    "VALID_UNANCHORED": ("内部一致，但未与外部锚点核对：请将指纹与考勤表或报表页脚核对，或提供"
                         "存档的每日摘要，以排除运行服务器者改写的可能",
                         "VALID_UNANCHORED: internally consistent; check the fingerprints against "
                         "the 考勤表 / a report footer, or pass archived digests, to rule out a "
                         "rewrite by whoever runs the server"),
    "INVALID": ("无效：证据包被改动或不完整（见上面的 ✗）",
                "INVALID: the pack was altered or is incomplete (see ✗ above)"),
}  # fmt: skip
EXIT = {"VALID": 0, "VALID_UNANCHORED": 3, "INVALID": 1}


def _text(zh: str, en: str, lang: str) -> str:
    return zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}"


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _read_digest_paths(paths: list[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in map(Path, paths):
        for f in sorted(p.glob("*.json")) if p.is_dir() else [p]:
            out[f.name] = f.read_bytes()
    return out


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a GBK console still gets every line
    ap = argparse.ArgumentParser(prog="verify_pack.py", description="核验 SiteGate 证据包 / "
                                 "verify a SiteGate evidence pack")  # fmt: skip
    ap.add_argument("pack")
    ap.add_argument("--gate-key", action="append", default=[], metavar="CODE=FP")
    ap.add_argument("--server-key", metavar="FP")
    ap.add_argument("--digests", action="append", default=[], metavar="DIR_OR_FILE")
    ap.add_argument("--earlier", action="append", default=[], metavar="PACK.zip")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--lang", choices=("zh", "en", "both"), default="both")
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:  # argparse has printed why
        return 0 if exc.code == 0 else 2
    gate_keys: dict[str, str] = {}
    for item in args.gate_key:
        code, sep, fp = item.partition("=")
        if not sep or not code or not fp:
            sys.stderr.write(f"--gate-key 应为 CODE=FP / --gate-key must be CODE=FP: {item}\n")
            return 2
        gate_keys[code] = fp
    try:
        pack = Path(args.pack).read_bytes()
        digests = _read_digest_paths(args.digests)
        earlier = [Path(p).read_bytes() for p in args.earlier]
    except OSError as exc:
        sys.stderr.write(f"无法读取输入 / cannot read the inputs: {exc}\n")
        return 2
    report = verify(pack, gate_keys=gate_keys, server_key=args.server_key, digests=digests,
                    earlier_packs=earlier)  # fmt: skip
    if args.json:
        out = {"verdict": report.verdict, "checks": [asdict(c) for c in report.checks]}
        _out(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for c in report.checks:
            mark = "✓" if c.ok else "✗"
            _out(f"{mark} {c.name} {c.subject} {_text(c.message_zh, c.message_en, args.lang)}")
        zh, en = VERDICT_TEXT[report.verdict]
        _out(f"结论 / verdict: {report.verdict}")
        _out(_text(zh, en, args.lang) if args.lang != "both" else f"{zh}\n{en}")
    return EXIT[report.verdict]


if __name__ == "__main__":
    sys.exit(main())
