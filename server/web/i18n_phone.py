"""Page texts of the worker's phone pages, the notice board and objections (issue 12), merged
into server/web/i18n.MESSAGES: the same catalogue, kept in its own file so that it can be
read (and merged) as one part."""

from __future__ import annotations

PHONE_MESSAGES: dict[str, tuple[str, str]] = {
    "nav.notice": ("维权告示", "Notice board"),
    "nav.objections": ("异议", "Objections"),
    # days
    "me.times_title": ("每日进出时间", "In and out each day"),
    "me.first_in": ("最早进场", "First in"),
    "me.last_out": ("最晚离场", "Last out"),
    "me.no_in": ("无进场记录", "no IN"),
    "me.no_out": ("未刷出", "no OUT"),
    "me.corrected_mark": ("(补卡)", "(corrected)"),
    # pay cards
    "mypay.status.paid": ("已足额发放", "Paid in full"),
    "mypay.status.underpaid": ("少发", "Paid short"),
    "mypay.status.unpaid": ("未发放", "Not paid"),
    "mypay.status.not_yet_due": ("未到发薪日", "Not due yet"),
    "mypay.status.paid_without_attendance": ("有发放,无考勤", "Paid, no days recorded"),
    "mypay.status.nothing_due": ("本月无出勤", "No days this month"),
    "mypay.net": ("实发", "Paid"),
    "mypay.short_by": ("少发", "Short by"),
    "mypay.expected": ("应发", "Expected"),
    "mypay.paid": ("实发", "paid"),
    "mypay.unpaid_since": ("发薪日 {day} 已过,尚未发放", "Pay day {day} has passed, nothing paid"),
    "mypay.days": ("出勤 {days} 天", "{days} days attended"),
    "mypay.pay_day": ("发薪日 {day}", "pay day {day}"),
    "mypay.help": (
        "应发按考勤和您的工资标准计算,与劳动监察看到的核对结果一致;少发或未发请点「有异议」"
        "或查看「维权信息」。",
        "Expected pay comes from your days and your wage terms, the same figures the labour "
        'inspector sees; if you were paid short or not at all, object below or see "Where to '
        'complain".',
    ),
    # objections
    "objection.title": ("考勤/工资有异议", "My days or pay are wrong"),
    "objection.month": ("哪个月", "Which month"),
    "objection.kind": ("哪一项有误", "What is wrong"),
    "objection.kind.days": ("考勤", "My days"),
    "objection.kind.pay": ("工资", "My pay"),
    "objection.text": ("说明(500 字以内)", "What is wrong (up to 500 characters)"),
    "objection.placeholder": (
        "例如:3 月 5 日我上了全天班,考勤显示缺勤",
        "e.g. I worked all day on 5 March but it shows absent",
    ),
    "objection.submit": ("提交异议", "Send"),
    "objection.mine": ("我提出的异议", "My objections"),
    "objection.status.open": ("待处理", "open"),
    "objection.status.resolved": ("已处理", "resolved"),
    "objection.reply_from": ("{who} 答复:", "Reply from {who}:"),
    "objection.opened": (
        "异议已提交,项目管理人员会看到并答复",
        "Sent: the site manager will see it and reply",
    ),
    "objection.back": ("返回修改", "Back"),
    "objection.site_title": ("工人异议", "Workers' objections"),
    "objection.site_help": (
        "工人在手机上对考勤或工资提出的异议;请核实后答复。处理并答复后工人可以看到答复,"
        "劳动监察也能看到。",
        "Objections workers raised on their phones about their days or pay; check and reply. "
        "The worker sees the reply, and so does the labour inspector.",
    ),
    "objection.inspect_title": ("工人异议", "Workers' objections"),
    "objection.inspect_help": (
        "工人对考勤或工资提出的异议及项目的答复(只读)。",
        "Objections workers raised about their days or pay, and the site's replies (read only).",
    ),
    "objection.open_count": ("待处理 {n} 条", "{n} open"),
    "objection.reply_placeholder": ("答复工人", "Reply to the worker"),
    "objection.resolve": ("答复并处理完毕", "Reply and resolve"),
    "objection.reply_only": ("仅答复", "Reply only"),
    "objection.resolved": ("已答复并处理", "Replied and resolved"),
    "objection.replied": ("已答复", "Replied"),
    # notice board
    "notice.title": ("维权信息告示牌", "Rights notice board"),
    "notice.help": (
        "《保障农民工工资支付条例》第三十四条要求在施工现场醒目位置设立维权信息告示牌。"
        "这里填写的内容显示在工人手机的「维权信息」页面,并可打印为 A3 告示牌。电话可填手机、"
        "带区号的座机(如 010-12345678)或 12333 这样的服务号码。",
        "Art. 34 of the Regulations on Ensuring Payment of Wages to Migrant Workers requires a "
        "rights notice board on site. What you fill in here shows on the workers' \"Where to "
        'complain" page and prints as an A3 poster. Phones: a mobile, a landline with its area '
        "code (e.g. 010-12345678) or a service number such as 12333.",
    ),
    "notice.officer_name": ("劳资专管员姓名", "Wage officer's name"),
    "notice.officer_phone": ("劳资专管员电话", "Wage officer's phone"),
    "notice.min_wage_month": ("当地月最低工资(元)", "Local monthly minimum wage (yuan)"),
    "notice.min_wage_hour": ("当地小时最低工资(元)", "Local hourly minimum wage (yuan)"),
    "notice.pay_day": ("工资支付日(每月几日)", "Pay day (day of the month)"),
    "notice.inspection_phone": ("劳动保障监察电话", "Labour inspection phone"),
    "notice.housing_phone": ("住建部门电话", "Housing and construction authority phone"),
    "notice.arbitration_phone": ("劳动人事争议仲裁电话", "Labour dispute arbitration phone"),
    "notice.legal_aid_phone": ("当地法律援助电话", "Local legal aid phone"),
    "notice.national": (
        "全国电话 12333(劳动保障)和 12348(法律援助)总会显示。工资核对使用的发薪日是次月 "
        "{pay_day} 日(项目设置)。",
        "The national numbers 12333 (labour rights) and 12348 (legal aid) are always shown. "
        "The reconciliation's pay day is day {pay_day} of the next month (project settings).",
    ),
    "notice.saved": ("告示牌已保存", "Notice board saved"),
    "notice.print": ("打印告示牌", "Print the board"),
    "notice.print_help": (
        "A3 竖版,带二维码,工人扫码打开自己的考勤与工资页面:{url}",
        "A3 portrait with a QR code that opens the workers' own pages: {url}",
    ),
    "notice.pdf": ("下载 A3 告示牌 PDF", "Download the A3 poster (PDF)"),
    "notice.unset": ("未公示", "not posted"),
    "notice.not_posted": (
        "本项目尚未填写维权信息告示牌;可先拨打下面的全国电话。",
        "This project has not filled in its notice board yet; the national numbers below work.",
    ),
    "notice.law": (
        "依据《保障农民工工资支付条例》第三十四条。点击号码即可拨打。",
        "Under Art. 34 of the Regulations on Ensuring Payment of Wages to Migrant Workers. "
        "Tap a number to call it.",
    ),
}
