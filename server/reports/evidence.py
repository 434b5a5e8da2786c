"""考勤凭证 (attendance evidence) layout shared by the XLSX and the PDF: labels, the verdict of
each record, and the zh/en text that tells a third party how to re-verify without our software.
"""

from __future__ import annotations

import datetime as dt

from models.enums import Direction, GateMode, GateResult
from server.ingest.checkpoints import Seal
from server.ingest.evidence import EvidenceEvent, GateSummary, WorkerEvidence

TITLE = "考勤凭证 / Attendance evidence"

DIRECTION_TEXT = {Direction.IN: "进 in", Direction.OUT: "出 out"}
RESULT_TEXT = {GateResult.GRANTED: "通过 granted", GateResult.REFUSED: "拒绝 refused"}
MODE_TEXT = {
    GateMode.CARD_AND_FACE: "刷证+人脸 card+face",
    GateMode.FACE_ONLY: "仅人脸 face only",
    GateMode.CARD_ONLY: "仅刷卡 card only",
    GateMode.CARD_CONFIRMED: "刷卡+管理人员确认 card+confirmation",
}

# How anyone can re-check a record with standard tools (zh, en), in order.
HOW_TO_VERIFY: tuple[tuple[str, str], ...] = (
    (
        "每条闸机记录由闸机在现场生成,按闸机编号和序号(seq)依次相连形成哈希链,并由该闸机"
        "自己的 Ed25519 私钥签名。服务器只保存闸机的公钥,无法代替闸机签名。",
        "Each gate record is made by the gate on site, chained per gate by sequence number (seq) "
        "and signed with the gate's own Ed25519 private key. The server holds only the gate's "
        "public key and cannot sign in the gate's place.",
    ),
    (
        "例外:带 terminal_ref 的记录来自人脸终端(中控、海康)。终端在现场自行判断,不能签名;"
        "这些记录由服务器在收到时按终端相连、签名并封存检查点,是「服务器接收」的记录,"
        "不是设备签名,其可信程度以服务器为限。",
        "The exception: records with a terminal_ref come from face terminals (ZKTeco, "
        "Hikvision), which decide on site and cannot sign. The server chained, signed and "
        "checkpointed them on receipt: they are received by the server, NOT device-signed, and "
        "are only as trustworthy as the server.",
    ),
    (
        "1. 规范文本:记录各字段(event_id, device_id=闸机编号, seq, device_time 为 UTC 带微秒"
        " 如 2026-05-01T07:31:00.000000Z, direction, mode, credential, credential_ref, "
        "worker_id, result, reason, face_score 保留四位小数, prev_hash;仅在有值时另含 "
        "voids_seq、purpose、subject_hash、checkpoint、liveness 与 terminal_ref)"
        "按键名排序、无空格的 JSON,UTF-8 编码。"
        "即表中「规范文本」一列。",
        "1. Canonical bytes: the record's fields (event_id, device_id = gate code, seq, "
        "device_time in UTC with microseconds e.g. 2026-05-01T07:31:00.000000Z, direction, "
        "mode, credential, credential_ref, worker_id, result, reason, face_score to four "
        "decimals, prev_hash; and voids_seq, purpose, subject_hash, checkpoint, liveness and "
        "terminal_ref only "
        "where set) as JSON with sorted keys and no spaces, UTF-8: the 'canonical bytes' column.",
    ),
    (
        "2. 哈希:hash = SHA-256( prev_hash 的 32 字节 + 规范文本字节 ),以 64 位十六进制表示,"
        '应与「哈希」一列相同。例:python3 -c "import hashlib;print(hashlib.sha256('
        'bytes.fromhex(PREV)+CANONICAL.encode()).hexdigest())"',
        "2. Hash: hash = SHA-256(the 32 bytes of prev_hash + the canonical bytes), as 64 hex "
        "digits; it must equal the 'hash' column. E.g. python3 -c \"import hashlib;print("
        'hashlib.sha256(bytes.fromhex(PREV)+CANONICAL.encode()).hexdigest())"',
    ),
    (
        "3. 签名:用闸机公钥(32 字节 Ed25519 原始公钥,十六进制见「闸机」表)验证「签名」一列"
        "(64 字节,十六进制)是对哈希的 32 字节的签名。例:openssl 或 Python cryptography 的 "
        "Ed25519PublicKey.from_public_bytes(bytes.fromhex(KEY)).verify(bytes.fromhex(SIG), "
        "bytes.fromhex(HASH))。",
        "3. Signature: with the gate's public key (the raw 32-byte Ed25519 key, hex, on the gate "
        "sheet) check that the 'signature' column (64 bytes, hex) signs the 32 bytes of the "
        "hash, e.g. with openssl or Python cryptography's Ed25519PublicKey.from_public_bytes("
        "bytes.fromhex(KEY)).verify(bytes.fromhex(SIG), bytes.fromhex(HASH)).",
    ),
    (
        "4. 链接:每条记录的 prev_hash 应等于同一闸机上一序号记录的哈希(序号 1 为 64 个 0)。"
        "缺少上一序号的记录即为链接失败。",
        "4. Link: each record's prev_hash must equal the hash of the same gate's previous seq "
        "(64 zeros for seq 1). A missing previous seq is a link failure.",
    ),
    (
        "链的完整性:服务器确认收到闸机记录时,记下已确认的最高连续序号、该序号记录的哈希和收到"
        "的总条数;凭证将库中记录与之核对,并核对每条记录前后相邻的记录。删除记录(包括最新的记录)"
        "会显示为缺失。",
        "Whole chain: when the server acknowledges a gate's records it keeps the highest "
        "contiguous seq, the hash at that seq and how many records it received; the evidence "
        "checks the stored records against them and each record's neighbours on both sides, so "
        "a deleted record (the newest included) shows as missing.",
    ),
    (
        "5. 公钥指纹 = SHA-256(32 字节原始公钥) 的前 16 位十六进制,可与闸机上显示的或开通时"
        "登记的指纹核对。闸机重新开通后,旧公钥保存在审计日志中,旧记录仍用旧公钥验证。",
        "5. Key fingerprint = first 16 hex digits of SHA-256(the raw 32-byte public key), to "
        "compare with the one shown on the gate or recorded at provisioning. After a gate is "
        "re-provisioned its old key stays in the audit log and older records verify with it.",
    ),
    (
        "补卡(人工考勤修正)由现场管理员录入,注明原因和录入人,不是闸机记录,没有闸机签名。",
        "Manual corrections (补卡) are entered by a site manager with a reason and the author; "
        "they are not gate records and carry no gate signature.",
    ),
)


def local(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def direction_text(event: EvidenceEvent) -> str:
    """进/出; an altered record's stored text as it is."""
    d = event.direction
    return DIRECTION_TEXT.get(d, d.value) if isinstance(d, Direction) else d


def result_text(event: EvidenceEvent) -> str:
    r = event.result
    return RESULT_TEXT.get(r, r.value) if isinstance(r, GateResult) else r


def mode_text(event: EvidenceEvent) -> str:
    m = event.mode
    text = MODE_TEXT.get(m, m.value) if isinstance(m, GateMode) else m
    if event.mode == GateMode.CARD_CONFIRMED:
        who = event.confirmer_name or (
            f"#{event.confirmer_id}" if event.confirmer_id else "未知 unknown"
        )
        text = f"{text}({who})"
    return text


def reason_text(event: EvidenceEvent) -> str:
    return f"{event.reason_zh} / {event.reason_en}" if event.reason else ""


def notes(event: EvidenceEvent) -> list[str]:
    """What a reader must know about a record beside its checks (clock skew, no pass)."""
    out = []
    for w in event.warnings:
        if w.kind == "clock_skew":
            out.append(f"注意 NOTE: {w.message_zh} {w.got} / {w.message_en} {w.got}")
        elif w.kind == "not_passed":
            out.append(f"注意 NOTE: {w.message_zh} seq {w.got} / {w.message_en} seq {w.got}")
        else:
            out.append(f"注意 NOTE: {w.message_zh} / {w.message_en}")
    return out


def verdict(event: EvidenceEvent) -> str:
    """通过 / 未通过 with every reason, one line per failed check, then the notes."""
    if event.ok:
        lines = ["通过 OK(哈希、签名、链接 hash, signature, link)"]
    else:
        lines = ["未通过 FAILED"]
        lines += [f"{p.message_zh} / {p.message_en}" for p in event.problems]
    return "\n".join(lines + notes(event))


def chain_state_lines(gate: GateSummary) -> list[str]:
    """The gate's whole chain: acknowledged by the server against stored now."""
    c = gate.chain
    if c is None:
        return []
    lines = [
        f"服务器确认 acknowledged: {c.acked_count} 条 records, seq 1-{c.acked_seq}; "
        f"库中 stored: {c.stored_count} 条 records"
    ]
    for p in c.problems:
        detail = f" ({p.got})" if p.kind == "missing_seqs" else ""
        lines.append(f"{p.message_zh} / {p.message_en}{detail}")
    if c.intact:
        lines.append("整条链与确认一致 whole chain as acknowledged")
    return lines


def gate_verdict(gate: GateSummary) -> str:
    if gate.all_ok:
        return f"全部通过 all OK ({gate.events_ok}/{gate.events_checked})"
    if gate.failed_seqs:
        seqs = ", ".join(str(s) for s in gate.failed_seqs)
        text = f"未通过 FAILED: seq {seqs} ({gate.events_ok}/{gate.events_checked} OK)"
    else:
        text = f"未通过 FAILED: 闸机链 gate chain ({gate.events_ok}/{gate.events_checked} OK)"
    if gate.chain is not None and not gate.chain.intact:
        text += "\n闸机整条链与服务器确认不符 the gate's chain differs from what was acknowledged"
    return text


def statement(evidence: WorkerEvidence) -> tuple[str, str]:
    """What was verified, by whom (this server), and when: the closing paragraph."""
    at = local(evidence.generated_at)
    zh = (
        f"本凭证于 {at}({evidence.timezone})由 SiteGate 服务器生成:对上列 "
        f"{evidence.events_checked} 条闸机记录逐条按存储内容重新计算哈希、用闸机当时有效的公钥"
        f"验证签名、并核对与同一闸机上一条记录的链接;其中 {evidence.events_ok} 条全部通过。"
        "时间为闸机时间(项目时区)。补卡不是闸机记录,单独列出。任何人均可按「如何验证」自行复核。"
    )
    en = (
        f"Generated by the SiteGate server at {at} ({evidence.timezone}): each of the "
        f"{evidence.events_checked} gate records above was re-hashed from its stored content, its "
        "signature verified with the gate's public key in force at the time, and its link to "
        f"the same gate's previous record checked; {evidence.events_ok} passed every check. "
        "Times are the gate's clock in the project's zone. Manual corrections are not gate "
        "records and are listed apart. Anyone can re-check by the 'how to verify' steps."
    )
    if not evidence.face_only_checked:
        zh += (
            "本月项目的刷脸通行记录过多,未逐条核对其中是否有被改到他人名下的本人记录;"
            "可用闸机链检查核对。"
        )
        en += (
            " The project's face-only records this month were too many to re-check each for one "
            "of this worker's moved to someone else; the gate chain check covers them."
        )
    return zh, en


# The gate's checkpoints over the month, printed: a copy the server no longer controls.
SEALS_TITLE = "闸机签名的检查点(封存本月记录)/ Checkpoints signed by the gate (sealing the month)"
NO_SEALS = (
    "该闸机尚无检查点(旧版闸机软件,或本月记录尚未封存)"
    " / no checkpoint from this gate yet (older gate software, or the month not yet sealed)"
)
SEAL_HEADERS = (
    "检查点 seq / day",
    "记录树根 records root",
    "封存范围 seqs sealed",
    "核对 status",
)
SEAL_STATUS = {
    "verified": "已核对 verified",
    "pending": "待核对 pending",
    "mismatch": "不符 MISMATCH",
}


def seal_cells(seal: Seal) -> tuple[str, str, str, str]:
    return (
        f"#{seal.seq} {seal.day}",
        seal.records_root,
        f"{seal.from_seq}–{seal.to_seq} ({seal.count})",
        SEAL_STATUS.get(seal.status, seal.status),
    )
