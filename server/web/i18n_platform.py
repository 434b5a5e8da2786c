"""Page texts of the platform uploads (issue 16), merged into server/web/i18n.MESSAGES."""

from __future__ import annotations

PLATFORM_MESSAGES: dict[str, tuple[str, str]] = {
    "nav.platform": ("平台上报", "Platform"),
    "platform.title": ("实名制平台上报", "Reports to the real-name platform"),
    "platform.why": (
        "按规定,项目的人员、考勤和工资须上传至全国或省级建筑工人管理服务信息平台;"
        "未按要求上传将被处罚。下表为每类数据的上传情况,被退回或未通过本地检查的逐条列出,"
        "附平台原话,修正数据后会自动重新上传。",
        "Projects must upload their workers, attendance and pay to the national or provincial "
        "construction-worker platform; not uploading is penalised. The table shows each kind; "
        "what the platform refused or the local checks held back is listed below in their own "
        "words, and goes again by itself once the data is fixed.",
    ),
    "platform.not_configured": (
        "本项目尚未配置平台账号:请用 sitegate platform configure 填写平台地址、appid 和密钥"
        "(见 README「上报实名制平台」)。",
        "No platform account for this project yet: set its address, appid and secret with "
        "sitegate platform configure (README, 'Reporting to the real-name platform').",
    ),
    "platform.account": ("平台账号", "Account"),
    "platform.profile": ("平台", "Platform"),
    "platform.appid": ("appid(项目编码)", "appid (project code)"),
    "platform.url": ("接口地址", "Address"),
    "platform.coordinates": ("考勤点坐标(WGS84)", "Gate coordinates (WGS84)"),
    "platform.coordinates_none": ("未设置", "not set"),
    "platform.kind": ("数据", "Data"),
    "platform.total": ("合计", "Total"),
    "platform.problems": ("需要处理", "Needs attention"),
    "platform.problems_none": ("没有被退回或被拦下的数据。", "Nothing refused or held back."),
    "platform.subject": ("对象", "Object"),
    "platform.state": ("状态", "State"),
    "platform.message": ("平台或本地检查的说明", "The platform's or the local check's words"),
    "platform.attempts": ("次数", "Tries"),
    "platform.sync": ("立即上传", "Upload now"),
    "platform.sync_help": (
        "每次最多发送 {n} 项;其余在下次上传时继续(也可定时运行 sitegate platform sync)。",
        "Sends at most {n} items per press; the rest goes on the next run (or schedule "
        "sitegate platform sync).",
    ),
    "platform.ran": ("上传已运行", "Upload run done"),
    "platform.ran_figures": (
        "本次发送 {sent} 项,查询回执 {polled} 个,新排队 {queued} 项。",
        "Sent {sent}, tickets polled {polled}, newly queued {queued}.",
    ),
    "platform.paused": (
        "平台暂时无法连接或不接收(网络、限流、故障或账号被拒),其余稍后继续,已排队的数据不会丢失。",
        "The platform could not be reached or pushed back (network, rate limit, outage or a "
        "refused account); the rest goes later and nothing queued is lost.",
    ),
    "platform.waiting_note": (
        "「等待前置」的数据在其班组、单位或人员上传后自动发送,不单独列出。",
        "Items 'waiting' go by themselves once their team, company or workers are on the "
        "platform; they are counted above, not listed.",
    ),
}
