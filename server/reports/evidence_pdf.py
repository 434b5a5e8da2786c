"""考勤凭证 (attendance evidence) as a printable A4 PDF (fpdf2, the pay slip's CJK font).

The PDF is for reading and filing: it shows each record, its verdict and each gate's key
fingerprint. The full hashes, signatures and canonical bytes are in the XLSX, for re-checking.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FontFace
from fpdf.enums import TableCellFillMode, XPos, YPos

from server.ingest.evidence import WorkerEvidence
from server.reports import evidence as layout
from server.reports.cjk_pdf import TABLE_WRAP, CjkPdf, add_cjk_font
from server.reports.payslip_pdf import find_cjk_font

_HEAD = FontFace(emphasis="", fill_color=(221, 235, 247))
_BAD = FontFace(fill_color=(252, 228, 214))


class _Doc(CjkPdf):
    def __init__(self, font: tuple[str, int], generated: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        add_cjk_font(self, font)
        self.generated = generated
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(12, 12, 12)

    def footer(self) -> None:
        # Every page says what it is: a loose printed page must still be attributable.
        self.set_y(-10)
        self.set_font("cjk", size=7)
        self.cell(0, 5, f"{layout.TITLE} · {self.generated} · {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("cjk", size=12)
        self.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=8)

    def grid(
        self,
        widths: Sequence[int],
        headings: Sequence[str],
        rows: Sequence[tuple[Sequence[str], bool]],
    ) -> None:
        """A wrapped table; rows flagged bad are shaded."""
        with self.table(
            col_widths=tuple(widths),
            width=sum(widths),
            headings_style=_HEAD,
            line_height=4,
            text_align="LEFT",
            wrapmode=TABLE_WRAP,  # hashes and Chinese still break where no space is
            cell_fill_mode=TableCellFillMode.NONE,
            padding=0.8,
        ) as table:
            head = table.row()
            for text in headings:
                head.cell(text)
            for values, bad in rows:
                row = table.row(style=_BAD if bad else None)
                for text in values:
                    row.cell(text)


def evidence_pdf(evidence: WorkerEvidence, *, font: tuple[str, int] | None = None) -> bytes:
    generated = layout.local(evidence.generated_at)
    pdf = _Doc(font or find_cjk_font(), generated)
    pdf.set_title(f"考勤凭证 {evidence.worker_name} {evidence.period}")
    pdf.set_creator("SiteGate")
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, layout.TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    facts = (
        ("项目 Project", f"{evidence.project_name}({evidence.project_code})"),
        ("工人 Worker", evidence.worker_name),
        ("身份证号 ID number", evidence.id_number_masked),
        ("月份 Month", f"{evidence.period}(时区 time zone {evidence.timezone})"),
        (
            "验证结果 Verification",
            f"{evidence.events_ok}/{evidence.events_checked} 条闸机记录通过 gate records OK"
            + ("" if evidence.all_ok else " — 有记录未通过 SOME FAILED"),
        ),
        ("生成时间 Generated at", generated),
    )
    for label, value in facts:
        pdf.cell(45, 6, label, border=1, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.cell(0, 6, value, border=1, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.heading("闸机记录 / Gate records")
    event_rows = [
        (
            (
                layout.local(e.device_time),
                f"{e.gate_code}\n{e.gate_name}" if e.gate_name else e.gate_code,
                layout.direction_text(e),
                layout.mode_text(e),
                layout.result_text(e) + (f"\n{layout.reason_text(e)}" if e.reason else ""),
                "-" if e.face_score is None else f"{e.face_score:.4f}",
                str(e.seq),
                ("通过 OK" if e.ok else "未通过 FAILED") + ("\n注意 NOTE" if e.warnings else ""),
            ),
            not e.ok or bool(e.warnings),
        )
        for e in evidence.events
    ]
    if event_rows:
        pdf.grid(
            (24, 36, 12, 30, 38, 14, 12, 20),  # the gate column holds a whole code
            (
                "闸机时间 Time",
                "闸机 Gate",
                "方向 Dir.",
                "方式 Mode",
                "结果 Result",
                "人脸 Face",
                "序号 Seq",
                "验证 Check",
            ),
            event_rows,
        )
    else:
        pdf.cell(0, 6, "本月无闸机记录 / no gate records this month", border=1)
        pdf.ln(6)

    failed = [e for e in evidence.events if not e.ok or e.warnings]
    if failed:
        pdf.heading("未通过或需注意的记录 / Records that failed or need a note")
        pdf.grid(
            (40, 20, 126),
            ("闸机 Gate", "序号 Seq", "原因 Why"),
            [
                (
                    (
                        e.gate_code,
                        str(e.seq),
                        "\n".join(
                            [f"{p.message_zh} / {p.message_en}" for p in e.problems]
                            + layout.notes(e)
                        ),
                    ),
                    True,
                )
                for e in failed
            ],
        )

    pdf.heading("各闸机验证 / Verification per gate")
    if evidence.gates:
        pdf.grid(
            (36, 46, 50, 54),
            ("闸机 Gate", "公钥指纹 Key fingerprint", "结果 Result", "入库时记录的链问题 Breaks"),
            [
                (
                    (
                        f"{g.code}\n{g.name}" if g.name else g.code,
                        "\n".join(k.fingerprint for k in g.keys) or "-",
                        "\n".join([layout.gate_verdict(g), *layout.chain_state_lines(g)]),
                        "\n".join(
                            f"seq {b.seq}: {b.message_zh} / {b.message_en}" for b in g.chain_breaks
                        )
                        or "无 none",
                    ),
                    not g.all_ok or bool(g.chain_breaks),
                )
                for g in evidence.gates
            ],
        )
    else:
        pdf.cell(0, 6, "无 none", border=1)
        pdf.ln(6)

    pdf.heading(layout.SEALS_TITLE)
    seal_rows = [
        ((f"{g.code}\n{cells[0]}", cells[1], cells[2], cells[3]), s.status == "mismatch")
        for g in evidence.gates
        for s in g.seals
        for cells in [layout.seal_cells(s)]
    ]
    if seal_rows:
        pdf.grid(
            (36, 86, 34, 30),
            (
                "闸机 Gate",
                *layout.SEAL_HEADERS[1:],
            ),
            seal_rows,
        )
    else:
        pdf.cell(0, 6, layout.NO_SEALS, border=1)
        pdf.ln(6)

    pdf.heading("补卡(不是闸机记录)/ Manual corrections (NOT gate records)")
    if evidence.corrections:
        pdf.grid(
            (30, 16, 100, 40),
            ("补卡时间 Time", "方向 Dir.", "原因 Reason", "录入人 Author"),
            [
                (
                    (
                        layout.local(c.at),
                        layout.DIRECTION_TEXT.get(c.direction, c.direction.value),
                        c.reason,
                        c.author or "-",
                    ),
                    False,
                )
                for c in evidence.corrections
            ],
        )
    else:
        pdf.cell(0, 6, "无 none", border=1)
        pdf.ln(6)

    pdf.heading("验证说明 / What was verified")
    zh, en = layout.statement(evidence)
    pdf.multi_cell(0, 4.5, f"{zh}\n{en}")
    pdf.heading("如何自行验证 / How to re-verify")
    for zh_text, en_text in layout.HOW_TO_VERIFY:
        pdf.multi_cell(0, 4, f"{zh_text}\n{en_text}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    return bytes(pdf.output())
