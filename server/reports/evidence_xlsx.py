"""考勤凭证 as XLSX: a summary, every gate record with its verification, a sheet per gate with
its public key and fingerprint, the manual corrections apart, and how to re-verify (zh/en)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from server.ingest.evidence import WorkerEvidence
from server.reports import evidence as layout
from server.reports.cells import put
from server.reports.sheet_style import column_headers, workbook_bytes

EVENTS_SHEET = "记录 Events"
SUMMARY_SHEET = "概要 Summary"
CORRECTIONS_SHEET = "补卡 Corrections"
HOW_SHEET = "如何验证 How to verify"

EVENT_HEADERS: tuple[tuple[str, int], ...] = (
    ("闸机时间\nDevice time", 20),
    ("闸机编号\nGate", 16),
    ("闸机名称\nGate name", 14),
    ("方向\nDirection", 8),
    ("方式\nMode", 24),
    ("结果\nResult", 12),
    ("原因\nReason", 24),
    ("人脸分数\nFace score", 10),
    ("序号\nSeq", 8),
    ("验证\nVerification", 40),
    ("公钥指纹\nKey fingerprint", 18),
    ("事件编号\nEvent ID", 38),
    ("前一哈希\nprev_hash", 66),
    ("哈希\nhash", 66),
    ("签名\nSignature", 130),
    ("规范文本\nCanonical bytes", 120),
)
_BAD_FILL = PatternFill("solid", fgColor="FCE4D6")
_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _put(ws: Worksheet, row: int, values: Sequence[object], *, bad: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        cell = put(ws, row, col, value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bad:
            cell.fill = _BAD_FILL


def _gate_sheet_title(code: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    base = _SHEET_CHARS.sub("_", f"闸机 {code}")[:31]
    title, n = base, 2
    while title in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def evidence_xlsx(evidence: WorkerEvidence) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new Workbook always has a sheet
    ws.title = SUMMARY_SHEET
    put(ws, 1, 1, layout.TITLE).font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90
    rows: list[tuple[str, object]] = [
        ("项目 Project", f"{evidence.project_name} ({evidence.project_code})"),
        ("工人 Worker", evidence.worker_name),
        ("身份证号 ID number", evidence.id_number_masked),
        ("月份 Month", evidence.period),
        ("时区 Time zone", evidence.timezone),
        ("闸机记录 Gate records", evidence.events_checked),
        ("验证通过 Verified OK", evidence.events_ok),
        ("结论 Result", "全部通过 all OK" if evidence.all_ok else "有记录未通过 some FAILED"),
        ("补卡(非闸机记录) Corrections (not gate records)", len(evidence.corrections)),
        ("生成时间 Generated at", layout.local(evidence.generated_at)),
    ]
    for n, (label, value) in enumerate(rows, start=3):
        _put(ws, n, (label, value))
    zh, en = layout.statement(evidence)
    _put(ws, len(rows) + 4, ("说明 Statement", f"{zh}\n{en}"))

    events = wb.create_sheet(EVENTS_SHEET)
    column_headers(events, 1, EVENT_HEADERS)
    for n, e in enumerate(evidence.events, start=2):
        _put(
            events,
            n,
            (
                layout.local(e.device_time),
                e.gate_code,
                e.gate_name,
                layout.direction_text(e),
                layout.mode_text(e),
                layout.result_text(e),
                layout.reason_text(e),
                e.face_score,
                e.seq,
                layout.verdict(e),
                e.key_fingerprint,
                e.event_id,
                e.prev_hash,
                e.hash,
                e.signature,
                e.canonical,
            ),
            bad=not e.ok or bool(e.warnings),
        )
    if not evidence.events:
        _put(events, 2, ("本月无闸机记录 / no gate records this month",))
    events.freeze_panes = "B2"

    used = {SUMMARY_SHEET, EVENTS_SHEET, CORRECTIONS_SHEET, HOW_SHEET}
    for gate in evidence.gates:
        gs = wb.create_sheet(_gate_sheet_title(gate.code, used))
        gs.column_dimensions["A"].width = 26
        gs.column_dimensions["B"].width = 70
        gs.column_dimensions["C"].width = 20
        gs.column_dimensions["D"].width = 20
        info: list[tuple[object, ...]] = [
            ("闸机编号 Gate", gate.code),
            ("闸机名称 Name", gate.name),
            ("方向 Direction", layout.DIRECTION_TEXT.get(gate.direction, gate.direction.value)),
            ("已核对记录 Records checked", gate.events_checked),
            ("结论 Result", layout.gate_verdict(gate)),
        ]
        for n, values in enumerate(info, start=1):
            _put(gs, n, values, bad=n == 5 and not gate.all_ok)
        row = len(info) + 2
        column_headers(
            gs,
            row,
            (
                ("公钥指纹\nKey fingerprint", 26),
                ("公钥(十六进制)\nPublic key (hex, raw Ed25519)", 70),
                ("起用\nValid from", 20),
                ("停用\nValid to", 20),
            ),
        )
        for key in gate.keys:
            row += 1
            _put(
                gs,
                row,
                (
                    key.fingerprint,
                    key.public_key,
                    layout.local(key.valid_from) if key.valid_from else "开通前 before records",
                    layout.local(key.valid_to) if key.valid_to else "至今 in force",
                ),
            )
        row += 2
        _put(gs, row, ("入库时记录的链问题 Chain breaks recorded at ingest",))
        gs.cell(row=row, column=1).font = Font(bold=True)
        if not gate.chain_breaks:
            _put(gs, row + 1, ("无 none",))
        for b in gate.chain_breaks:
            row += 1
            _put(
                gs,
                row,
                (f"seq {b.seq}", f"{b.message_zh} / {b.message_en}", layout.local(b.detected_at)),
                bad=True,
            )
        row += 2 if gate.chain_breaks else 3
        _put(gs, row, ("整条链(服务器确认 vs 库中)Whole chain (acknowledged vs stored)",))
        gs.cell(row=row, column=1).font = Font(bold=True)
        bad = gate.chain is not None and not gate.chain.intact
        for line in layout.chain_state_lines(gate):
            row += 1
            _put(gs, row, ("", line), bad=bad)
        row += 2
        _put(gs, row, (layout.SEALS_TITLE,))
        gs.cell(row=row, column=1).font = Font(bold=True)
        if not gate.seals:
            _put(gs, row + 1, (layout.NO_SEALS,))
        else:
            row += 1
            _put(gs, row, layout.SEAL_HEADERS)
        for seal in gate.seals:
            row += 1
            _put(gs, row, layout.seal_cells(seal), bad=seal.status == "mismatch")

    corrections = wb.create_sheet(CORRECTIONS_SHEET)
    _put(corrections, 1, ("补卡不是闸机记录 / Manual corrections: NOT gate records",))
    corrections.cell(row=1, column=1).font = Font(bold=True)
    column_headers(
        corrections,
        2,
        (
            ("补卡时间\nTime", 20),
            ("方向\nDirection", 8),
            ("原因\nReason", 40),
            ("录入人\nAuthor", 16),
            ("录入时间\nEntered at", 20),
        ),
    )
    for n, c in enumerate(evidence.corrections, start=3):
        _put(
            corrections,
            n,
            (
                layout.local(c.at),
                layout.DIRECTION_TEXT.get(c.direction, c.direction.value),
                c.reason,
                c.author or "-",
                layout.local(c.created_at),
            ),
        )
    if not evidence.corrections:
        _put(corrections, 3, ("无 none",))

    how = wb.create_sheet(HOW_SHEET)
    how.column_dimensions["A"].width = 80
    how.column_dimensions["B"].width = 80
    column_headers(how, 1, (("中文", 80), ("English", 80)))
    for n, (zh_text, en_text) in enumerate(layout.HOW_TO_VERIFY, start=2):
        _put(how, n, (zh_text, en_text))

    return workbook_bytes(wb)
