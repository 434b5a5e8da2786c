"""Page texts of the face terminals (issue 15) on the gates page, merged into
server/web/i18n.MESSAGES."""

from __future__ import annotations

TERMINAL_MESSAGES: dict[str, tuple[str, str]] = {
    "gate.kind.terminal": ("人脸终端", "face terminal"),
    "terminals.title": ("人脸终端", "Face terminals"),
    "terminals.count": ("{n} 台", "{n}"),
    "terminals.why": (
        "海康、中控等人脸终端在现场自行判断放行,不能签名:它们的记录由服务器在收到时"
        "按终端依次相连、签名并封存检查点,在报表和证据包中注明「服务器接收,非设备签名」。"
        "服务器按项目规则复核每次放行,规则应拒绝的放行列为预警。",
        "Face terminals (Hikvision, ZKTeco …) decide at the turnstile and cannot sign: the "
        "server chains, signs and checkpoints their records as it receives them, and every "
        "report and evidence pack says 'received by the server, not device-signed'. The "
        "server re-checks each pass against the project's rules; a pass the rules refuse "
        "becomes a finding.",
    ),
    "terminals.none": (
        "本项目还没有人脸终端。用 sitegate registry add-terminal 登记(见 README「人脸终端」)。",
        "No face terminals on this project. Register one with sitegate registry add-terminal "
        "(README, 'Face terminals').",
    ),
    "terminals.vendor": ("厂家 / 型号", "Family / model"),
    "terminals.serial": ("序列号", "Serial number"),
    "terminals.approval": ("批准", "Approval"),
    "terminals.approved": ("已批准", "approved"),
    "terminals.awaiting": ("待批准,记录暂不接收", "awaiting approval; records not taken yet"),
    "terminals.approve": ("批准", "Approve"),
    "terminals.approve_confirm": (
        "批准后,该终端的记录计入考勤。请确认序列号与现场终端一致。",
        "Once approved, this terminal's records count as attendance. Check the serial number "
        "matches the terminal on site.",
    ),
    "terminals.contact": ("最近联系", "Last contact"),
    "terminals.pending": ("待下发命令", "Commands pending"),
    "terminals.removals": ("待确认删除 {n}", "{n} removals unconfirmed"),
    "terminals.failed": ("失败 {n}", "{n} failed"),
    "terminals.users": ("已同步人员", "Users synced"),
    "terminals.gaps": ("序号缺口", "Serial gaps"),
    "terminals.gaps_open": ("未补 {n}", "{n} open"),
    "terminals.gaps_flagged": ("无法补取 {n}", "{n} lost"),
    "terminals.sealed_by_server": (
        "服务器接收,非设备签名",
        "received by the server, not device-signed",
    ),
    "terminals.counters": (
        "格式错误行 {malformed} · 重发 {duplicates} · 终端验证失败 {failures}",
        "malformed lines {malformed} · re-sent {duplicates} · refused at the terminal {failures}",
    ),
    "terminals.no_code": (
        "人脸终端不用开通码:在下表批准其序列号即可",
        "a face terminal takes no provisioning code: approve its serial number below",
    ),
    "terminals.not_a_terminal": ("该设备不是人脸终端", "the device is not a face terminal"),
}
