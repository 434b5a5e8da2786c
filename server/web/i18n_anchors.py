"""Page texts of the anchors (issue 13): each gate's key fingerprint and its checkpoints on the
gates page and the inspector's month page, merged into server/web/i18n.MESSAGES."""

from __future__ import annotations

ANCHOR_MESSAGES: dict[str, tuple[str, str]] = {
    "anchor.fingerprint": ("密钥指纹", "key fingerprint"),
    "anchor.fingerprint_help": (
        "密钥指纹由闸机自己显示(sitegate edge status),并打印在班组长签字的月度考勤表上;"
        "三处不一致,说明闸机密钥被更换过。",
        "The gate shows its key fingerprint itself (sitegate edge status) and it is printed on "
        "the monthly 考勤表 the team leader signs; if the three differ, the gate's key was "
        "replaced.",
    ),
    "anchor.last_checkpoint": ("最后检查点 #{seq} · {day}", "last checkpoint #{seq} · {day}"),
    "anchor.no_checkpoint": ("尚无检查点", "no checkpoint yet"),
    "anchor.unsealed": ("未封存记录 {n} 条", "{n} records not yet sealed"),
    "anchor.status.verified": ("已核验", "verified"),
    "anchor.status.pending": ("待核验", "pending"),
    "anchor.status.mismatch": ("不符", "mismatch"),
    # the inspector's month page: what ingest found of the month's checkpoints
    "anchor.month_title": ("本月检查点", "Checkpoints this month"),
    "anchor.month_counts": (
        "已核验 {v} · 待核验 {p} · 不符 {m}",
        "verified {v} · pending {p} · mismatch {m}",
    ),
    "anchor.sealed_through": ("已封存至 #{seq}", "sealed through #{seq}"),
    "anchor.mismatched": (
        "本月 {n} 个检查点与库中记录不符",
        "{n} checkpoints of the month do not match the stored records",
    ),
    "anchor.month_none": ("本月无检查点", "no checkpoint this month"),
    "anchor.month_help": (
        "检查点是闸机自己对一段记录的签名封存;入库时已逐个与库中记录核对,本页直接读取核对"
        "结果,不在每次打开时重新校验签名。“不符”说明库中记录与闸机签名的不一致。",
        "A checkpoint is the gate's own signed seal over a run of its records; ingest checked "
        "each against the stored records once, and this page reads what it found instead of "
        "re-verifying signatures on every view. A mismatch means the stored records differ from "
        "what the gate signed.",
    ),
}
