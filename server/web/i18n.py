"""Chinese first, English on request: one message catalogue, the choice kept in a cookie.

No gettext toolchain: every page string is a key here with its (zh, en) pair, so a missing
translation is a KeyError in the tests rather than a silent English word on a Chinese page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import Request

from server import vocabulary
from server.web.i18n_anchors import ANCHOR_MESSAGES
from server.web.i18n_checklist import CHECKLIST_MESSAGES
from server.web.i18n_complaints import COMPLAINT_MESSAGES
from server.web.i18n_digest import DIGEST_MESSAGES
from server.web.i18n_phone import PHONE_MESSAGES
from server.web.i18n_platform import PLATFORM_MESSAGES
from server.web.i18n_safeguards import SAFEGUARD_MESSAGES
from server.web.i18n_terminals import TERMINAL_MESSAGES

Lang = Literal["zh", "en"]
LANG_COOKIE = "sitegate_lang"
LANGS: tuple[Lang, ...] = ("zh", "en")

# key: (zh, en). Placeholders use str.format names.
MESSAGES: dict[str, tuple[str, str]] = {
    # layout
    "app.name": ("SiteGate 实名制考勤", "SiteGate attendance"),
    "nav.now": ("现场", "Now"),
    "nav.workers": ("工人", "Workers"),
    "nav.import": ("导入花名册", "Import roster"),
    "nav.month": ("月考勤表", "Month"),
    "nav.gates": ("闸机", "Gates"),
    "nav.projects": ("项目", "Projects"),
    "nav.my_days": ("我的考勤", "My days"),
    "nav.my_pay": ("我的工资", "My pay"),
    "nav.complain": ("维权信息", "Where to complain"),
    "nav.logout": ("退出", "Sign out"),
    "nav.switch_lang": ("English", "中文"),
    "nav.choose_project": ("选择项目", "Choose a project"),
    "role.admin": ("管理员", "Administrator"),
    "role.site_manager": ("项目管理员", "Site manager"),
    "role.inspector": ("监管人员", "Inspector"),
    "role.worker": ("工人", "Worker"),
    # sign-in
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong username or password"),
    "login.locked": (
        "登录失败次数过多,请 {wait} 秒后再试",
        "Too many failed sign-ins, try again in {wait} s",
    ),
    "login.required": ("请填写用户名和密码", "Enter your username and password"),
    "login.signed_out": ("您已退出登录", "You are signed out"),
    # a worker's sign-up with an activation code (web/activation_pages.py)
    "login.activate_link": ("首次使用?用激活码开通账号", "First time? Activate with a code"),
    "activate.title": ("开通工人账号", "Activate your worker account"),
    "activate.intro": (
        "输入本人身份证号和项目发给您的激活码(在开通单上),再设置密码。",
        "Enter your own ID number and the code from the slip the site office gave you, "
        "then choose a password.",
    ),
    "activate.code": ("激活码", "Activation code"),
    "activate.code_hint": ("8 位字母和数字,如 ABCD-EFGH", "8 letters and digits, e.g. ABCD-EFGH"),
    "activate.code_invalid": (
        "激活码应为 8 位字母和数字,请照开通单输入",
        "The code is 8 letters and digits: type it as printed on your slip",
    ),
    "activate.policy_hint": (
        "至少 {n} 个字符,不能是身份证号,不能是常见密码",
        "At least {n} characters, not your ID number, not a common password",
    ),
    "activate.submit": ("开通并登录", "Activate and sign in"),
    "activate.have_account": ("已有账号?去登录", "Have an account? Sign in"),
    "activate.done_title": ("账号已开通", "Your account is ready"),
    "activate.username_is": ("您的用户名", "Your username"),
    "activate.remember": (
        "以后请用此用户名和刚设置的密码登录,查看自己的考勤和工资。",
        "From now on sign in with this username and the password you just chose, to see "
        "your own attendance and pay.",
    ),
    "nav.activation": ("工人开通", "Worker sign-up"),
    "activation.title": ("工人账号开通", "Worker accounts"),
    "activation.intro": (
        "为没有账号的工人发放一次性激活码:打印开通单交给本人,工人用手机打开开通网址,输入身份证号"
        "和激活码、设置密码,即可查看自己的考勤和工资。",
        "Issue one-time codes to workers without an account: print the slips and hand each to "
        "its worker, who opens the sign-up address on a phone, enters their ID number and the "
        "code, chooses a password, and sees their own attendance and pay.",
    ),
    "activation.rules": (
        "激活码有效 {n} 天,只能用一次;再次发放会作废该工人未使用的旧激活码。激活码只出现在下载的"
        "文件中,系统不保存明文。",
        "Codes are valid {n} days and work once; issuing again voids a worker's unused code. "
        "The codes appear only in the downloaded file: the system keeps no copy.",
    ),
    "activation.sign_up_at": ("工人开通网址", "Workers sign up at"),
    "activation.counts": (
        "共 {total} 人:已开通 {accounts},激活码待使用 {live},未开通 {none}",
        "{total} workers: {accounts} with an account, {live} with a code to use, {none} "
        "without either",
    ),
    "activation.scope": ("发给", "Issue to"),
    "activation.scope_all": (
        "本项目所有没有账号的工人",
        "Every worker of the project without an account",
    ),
    "activation.scope_team": ("一个班组:", "One team:"),
    "activation.scope_selected": ("下表中勾选的工人", "The workers ticked below"),
    "activation.reset": (
        "包括已有账号的工人(其激活码将重设密码)",
        "Include workers with an account (their code resets the password)",
    ),
    "activation.issue_pdf": (
        "发放并下载开通单 PDF(打印)",
        "Issue and download slips (PDF, to print)",
    ),
    "activation.issue_xlsx": ("发放并下载 XLSX(发送)", "Issue and download XLSX (to send)"),
    "activation.confirm": (
        "确定发放激活码?所选工人未使用的旧激活码将作废。",
        "Issue codes? The chosen workers' unused codes stop working.",
    ),
    "activation.pick": ("选择", "Pick"),
    "activation.state": ("账号", "Account"),
    "activation.state.account": ("已开通", "Has an account"),
    "activation.state.account_inactive": ("账号已停用", "Account deactivated"),
    "activation.state.code_live": ("激活码待使用,{at} 前有效", "Code issued, valid until {at}"),
    "activation.state.code_expired": ("激活码已过期", "Code expired"),
    "activation.state.code_used": ("激活码已使用", "Code used"),
    "activation.state.code_voided": ("激活码已作废", "Code voided"),
    "activation.state.none": ("未开通", "No account"),
    "activation.nothing": (
        "没有发放任何激活码:所选工人都已有账号,或账号已停用。",
        "No code issued: the chosen workers all have an account, or theirs was deactivated.",
    ),
    "activation.skipped": ("未发放", "Skipped"),
    "activation.choose_team": ("请选择班组", "Choose a team"),
    "activation.no_selection": (
        "请在表中勾选至少一名工人",
        "Tick at least one worker in the table",
    ),
    "activation.scope_mismatch": (
        "您勾选了工人或选择了班组,但发放范围是“所有没有账号的工人”:请选择对应的范围",
        "You ticked workers or chose a team, but 'every worker without an account' is "
        "selected: choose the matching option",
    ),
    "activation.none": ("本项目还没有工人", "No workers on this project yet"),
    # errors
    "error.401": ("请先登录", "Please sign in"),
    "error.403": ("无权访问此页面", "You may not open this page"),
    "error.403.csrf": (
        "表单已过期或来源不明,请返回并刷新页面后重试",
        "The form expired or did not come from this site: go back, reload and try again",
    ),
    "error.404": ("页面不存在,或不在您的权限范围内", "Page not found, or not in your scope"),
    "error.500": ("服务器出错了,请稍后再试", "Something went wrong, please try again later"),
    "error.back_home": ("返回首页", "Back to the start page"),
    "error.title": ("出错了", "Error"),
    # common
    "common.save": ("保存", "Save"),
    "common.cancel": ("取消", "Cancel"),
    "common.search": ("搜索", "Search"),
    "common.none": ("暂无数据", "Nothing yet"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.total": ("合计", "Total"),
    "common.saved": ("已保存", "Saved"),
    "common.export_xlsx": ("导出 Excel", "Export XLSX"),
    "common.prev_month": ("上月", "Previous month"),
    "common.next_month": ("下月", "Next month"),
    "common.company": ("单位", "Company"),
    "common.team": ("班组", "Team"),
    "common.trade": ("工种", "Trade"),
    "common.name": ("姓名", "Name"),
    "common.id_number": ("身份证号", "ID number"),
    "common.status": ("状态", "Status"),
    "common.date": ("日期", "Date"),
    "common.time": ("时间", "Time"),
    "common.reason": ("原因", "Reason"),
    "common.comment": ("说明", "Comment"),
    "common.days": ("天", "days"),
    "common.hours": ("小时", "h"),
    "common.yuan": ("元", "yuan"),
    "common.level": ("预警", "Warning"),
    "common.period": ("月份", "Month"),
    "common.details": ("详情", "Details"),
    "common.project": ("项目", "Project"),
    "common.fix_errors": ("请修正以下错误", "Please correct the following"),
    "common.field_required": ("{field}必须填写", "{field} is required"),
    "common.not_set": ("未填写", "not set"),
    "level.red": ("红色", "Red"),
    "level.orange": ("橙色", "Orange"),
    "level.yellow": ("黄色", "Yellow"),
    "level.green": ("绿色", "Green"),
    # site: now
    "now.title": ("现场概况", "On site now"),
    "now.arrivals": ("今日进场", "Arrivals today"),
    "now.departures": ("今日离场", "Departures today"),
    "now.by_group": ("按单位 / 班组 / 工种", "By company / team / trade"),
    "now.chart": ("今日在场人数变化", "Headcount over the day"),
    "now.gates": ("闸机状态", "Gates"),
    "now.gate": ("闸机", "Gate"),
    "now.direction": ("方向", "Direction"),
    "now.online": ("在线", "Online"),
    "now.offline": ("离线", "Offline"),
    "now.never_seen": ("从未连接", "Never connected"),
    "now.last_seen": ("最后心跳", "Last seen"),
    "now.last_event": ("最后事件", "Last event"),
    "now.queue": ("待上传", "Queue"),
    "now.skew": ("时钟偏差", "Clock skew"),
    "now.refused": ("今日拒绝记录", "Refused attempts today"),
    "now.credential": ("凭证", "Credential"),
    "now.worker": ("工人", "Worker"),
    "now.unknown_person": ("未识别", "unknown"),
    "now.as_of": ("更新于 {time}", "As of {time}"),
    "now.on_site": ("在场", "On site"),
    "now.export": ("导出当日考勤 Excel", "Export the day as XLSX"),
    # the board's lists (tabs) and day picker
    "now.lists": ("名单", "Lists"),
    "now.tab.on_site": ("当前在场人数", "Headcount on site"),
    "now.tab.on_site_past": ("日终仍在场", "Still inside at day end"),
    "now.tab.arrived": ("今日进场", "Came today"),
    "now.tab.left": ("今日离场", "Left today"),
    "now.tab.not_come": ("未到", "Not come"),
    "now.tab.anomalies": ("异常", "Anomalies"),
    "now.not_come_help": (
        "已进场登记、当日在岗,但当天没有进场记录的工人。",
        "Workers entered on the project and active that day, with no pass that day.",
    ),
    "now.missing_punch": ("缺卡(缺进场或出场记录)", "Missing IN or OUT"),
    "now.anomaly": ("异常", "Anomaly"),
    "now.kind.missing_out": ("缺出场记录", "missing OUT"),
    "now.kind.missing_in": ("缺进场记录", "missing IN"),
    "now.in_since": ("进场时间", "In since"),
    "now.first_in": ("首次进场", "First IN"),
    "now.last_out": ("最后出场", "Last OUT"),
    "now.hours": ("工时", "Hours"),
    "now.still_on_site": ("仍在场", "Still inside"),
    "now.corrected": ("补卡", "corrected"),
    "now.past_day": ("历史", "past day"),
    "now.end_of_day": ("截至当日结束", "as at the end of the day"),
    "now.chart_day": ("当日在场人数变化", "Headcount over the day"),
    "now.prev_day": ("前一天", "Previous day"),
    "now.next_day": ("后一天", "Next day"),
    "now.to_today": ("回到今天", "Back to today"),
    "now.show": ("查看", "Show"),
    "now.clear_filter": ("清除筛选", "Clear the filter"),
    "now.gate_problems": ("以下闸机需要检查", "These gates need a look"),
    "now.problem.never_seen": ("从未连接", "never connected"),
    "now.problem.offline": ("离线", "offline"),
    "now.problem.skew": ("时钟偏差超过 1 分钟", "clock off by a minute or more"),
    "now.problem.queue": ("待上传记录积压", "events waiting to upload"),
    "common.all": ("全部", "All"),
    "cred.id_card": ("身份证", "ID card"),
    "cred.ic_card": ("IC 卡", "IC card"),
    "cred.face": ("人脸", "face"),
    "cred.manual": ("人工确认", "manual check"),
    "mode.card_confirmed": ("刷卡+管理人员确认", "card + manager confirmation"),
    "mode.card_confirmed_by": ("刷卡+管理人员确认({name})", "card + confirmed by {name}"),
    "now.confirmed": (
        "今日刷卡+管理人员确认通行记录",
        "Passes on card + manager confirmation today",
    ),
    "now.confirmed_help": (
        "未使用人脸识别(或人脸未通过)的工人,由现场确认人刷卡确认后通行。",
        "Workers who do not use face recognition (or whose face check failed) passed after a "
        "gate confirmer presented their card.",
    ),
    "dir.in": ("进", "In"),
    "dir.out": ("出", "Out"),
    # workers
    "workers.title": ("工人", "Workers"),
    "workers.search_hint": ("姓名、身份证后四位、班组或工种", "Name, last 4 of ID, team or trade"),
    "workers.register": ("登记工人", "Register a worker"),
    "workers.count": ("共 {n} 人", "{n} workers"),
    "workers.none": ("没有找到工人", "No workers found"),
    "workers.f_contract": ("劳动合同", "Labour contract"),
    "workers.f_training": ("安全教育", "Safety training"),
    "workers.face_consent": ("人脸识别同意", "Face recognition consent"),
    "workers.flag_yes": ("已有", "recorded"),
    "workers.flag_no": ("没有", "missing"),
    "workers.papers": ("合同 / 培训 / 人脸", "Contract / training / face"),
    "workers.has_contract": ("合同", "contract"),
    "workers.has_training": ("培训", "training"),
    "workers.has_consent": ("人脸同意", "face consent"),
    "workers.choose": ("选择", "Choose"),
    "workers.pages": ("分页", "Pages"),
    "workers.page_prev": ("上一页", "Previous"),
    "workers.page_next": ("下一页", "Next"),
    "workers.page_of": ("第 {page} / {pages} 页", "page {page} of {pages}"),
    "workers.batch_action": ("操作", "Action"),
    "workers.batch_enter": ("所选工人进场", "Enter the chosen workers"),
    "workers.batch_leave": ("所选工人退场", "Exit the chosen workers"),
    "workers.batch_help": (
        "勾选工人后选择操作,下一步确认名单后才生效。",
        "Tick workers, choose an action, then confirm the list on the next page.",
    ),
    "workers.batch_title.enter": ("批量进场确认", "Confirm entry of several workers"),
    "workers.batch_title.leave": ("批量退场确认", "Confirm exit of several workers"),
    "workers.batch_summary.enter": (
        "以下 {n} 名工人将于 {on} 进场:",
        "These {n} workers will enter the project on {on}:",
    ),
    "workers.batch_summary.leave": (
        "以下 {n} 名工人将于 {on} 退场:",
        "These {n} workers will leave the project on {on}:",
    ),
    "workers.batch_confirm.enter": ("确认 {n} 人进场", "Confirm entry of {n}"),
    "workers.batch_confirm.leave": ("确认 {n} 人退场", "Confirm exit of {n}"),
    "workers.batch_check": ("检查", "Check"),
    "workers.batch_ok": ("可以办理", "can change"),
    "workers.batch_will_block": (
        "{n} 名工人无法办理(原因见下表):请返回取消勾选后再试,全部可办理时才能确认。",
        "{n} workers cannot change (see why below): go back and untick them; the batch can "
        "be confirmed only when every worker can change.",
    ),
    "workers.batch_blocked": (
        "{n} 名工人无法办理,本批次未做任何更改。",
        "{n} workers could not change, so nothing in this batch was changed.",
    ),
    "workers.batch_back": ("返回工人列表", "Back to the workers"),
    "workers.batch_none": ("请至少勾选一名工人", "Tick at least one worker"),
    "workers.batch_bad_id": ("所选工人编号无效", "A chosen worker id is not valid"),
    "workers.batch_not_here": (
        "所选工人中有不属于本项目的",
        "Some chosen workers are not on this project",
    ),
    "workers.batch_too_many": ("一次最多办理 {n} 人", "At most {n} workers at a time"),
    "workers.batch_entered": ("所选工人已进场", "The chosen workers have entered"),
    "workers.batch_left": ("所选工人已退场", "The chosen workers have left"),
    "workers.export": (
        "导出花名册 Excel(可改后重新导入)",
        "Export workers XLSX (edit and re-import)",
    ),
    "workers.export_masked": ("脱敏导出", "Export masked"),
    "workers.export_help": (
        "导出完整身份证号和银行卡号会记入审计日志",
        "Exporting full ID and bank card numbers is written to the audit log",
    ),
    "worker.profile": ("工人档案", "Worker profile"),
    "worker.identity": ("身份信息", "Identity"),
    "worker.gender": ("性别", "Gender"),
    "worker.gender.M": ("男", "male"),
    "worker.gender.F": ("女", "female"),
    "worker.birth": ("出生日期", "Born"),
    "worker.phone": ("手机号", "Mobile"),
    "worker.bank_card": ("工资卡号", "Wage card"),
    "worker.bank_name": ("开户行", "Bank"),
    "worker.assignment": ("本项目任职", "On this project"),
    "worker.wage_terms": ("工资标准", "Wage terms"),
    "worker.wage_kind": ("计薪方式", "Wage kind"),
    "worker.wage_rate": ("工资标准(元)", "Rate (yuan)"),
    # the worker form's wage kinds: the words every importer accepts too (server.vocabulary)
    **{f"wage.{k.value}": label for k, label in vocabulary.WAGE_KIND.labels.items()},
    "worker.contract": ("劳动合同签订日", "Contract signed"),
    "worker.training": ("安全教育日期", "Safety training"),
    "worker.entered": ("进场日期", "Entered"),
    "worker.left": ("退场日期", "Left"),
    "worker.consent": ("人脸识别授权", "Face recognition consent"),
    "worker.consent_given": ("已授权({at})", "given ({at})"),
    "worker.consent_none": ("未授权(使用刷卡 + 管理员确认)", "not given (card + manager check)"),
    "worker.face_opt_out": ("选择不使用人脸识别", "opted out of face recognition"),
    "worker.blocklisted": ("黑名单", "Blocklisted"),
    "worker.edit": ("编辑", "Edit"),
    "worker.enter": ("办理进场", "Record entry (进场)"),
    "worker.leave": ("办理退场", "Record exit (退场)"),
    "worker.entered_ok": ("已办理进场", "Entry recorded"),
    "worker.left_ok": ("已办理退场", "Exit recorded"),
    "worker.on_date": ("日期", "Date"),
    "worker.correction": ("补卡(手工考勤更正)", "Manual attendance correction (补卡)"),
    "worker.correction_at": ("时间", "Time"),
    "worker.correction_ok": ("补卡已记录", "Correction recorded"),
    "worker.corrections": ("补卡记录", "Corrections"),
    "worker.correction_pending": (
        "补卡已提交:该月已关账(已核对或已发薪),须由本项目另一位管理人员审批后才计入考勤",
        "Correction submitted: the month is closed (reconciled or paid), so it counts only once "
        "another manager of the project approves it",
    ),
    "corrections.title": ("补卡审批", "Corrections to approve"),
    "corrections.help": (
        "已关账月份(已做工资核对或已发薪)的补卡须由提交人以外的本项目管理人员审批;"
        "批准后计入考勤,该月的工资核对结果标记为过期,须重新核对。驳回须填写说明。",
        "A correction to a closed month (reconciled or paid) needs the approval of a manager of "
        "the project other than its author; once approved it counts, and the month's "
        "reconciliation is marked stale until it is run again. Rejecting needs a comment.",
    ),
    "corrections.pending": ("待审批", "Waiting for approval"),
    "corrections.decided": ("已审批", "Decided"),
    "corrections.closed_because": ("需审批原因", "Why approval"),
    "corrections.own": ("本人提交,须由他人审批", "Yours: another manager decides"),
    "corrections.approve": ("批准", "Approve"),
    "corrections.reject": ("驳回", "Reject"),
    "corrections.decided_by": ("审批人", "Decided by"),
    "corrections.approved_ok": (
        "补卡已批准并计入考勤;该月工资核对已标记为过期,请重新核对",
        "Correction approved and counted; the month's reconciliation is marked stale: run it again",
    ),
    "corrections.rejected_ok": ("补卡已驳回", "Correction rejected"),
    "corrections.status.effective": ("已生效", "counts"),
    "corrections.status.pending": ("待审批", "waiting for approval"),
    "corrections.status.approved": ("已批准", "approved"),
    "corrections.status.rejected": ("已驳回", "rejected"),
    "nav.corrections": ("补卡审批", "Corrections"),
    "worker.show_full_id": ("显示完整号码", "Show full number"),
    "worker.id_type": ("证件类型", "ID type"),
    "worker.full_id_audited": (
        "完整号码已显示,本次查看已记录",
        "Full number shown; this view is recorded",
    ),
    "worker.leave_confirm": ("确认为 {name} 办理退场?", "Record the exit (退场) of {name}?"),
    "worker.author": ("操作人", "By"),
    "worker.recent_days": ("近期考勤", "Recent days"),
    "status.pending": ("待进场", "registered"),
    # registry status (进场 = entered on the project), not "inside the gate now" (在场)
    "status.active": ("已进场", "entered"),
    "status.left": ("已退场", "left"),
    "form.id_number_invalid": ("身份证号无效: {detail}", "Invalid ID number: {detail}"),
    "form.date_invalid": ("{field}不是有效日期", "{field} is not a valid date"),
    "form.time_invalid": ("{field}不是有效时间", "{field} is not a valid time"),
    "form.money_invalid": ("{field}不是有效金额", "{field} is not a valid amount"),
    "form.choice_invalid": ("{field}的取值无效", "{field} has an invalid value"),
    "form.phone_invalid": ("手机号无效: {detail}", "Invalid mobile number: {detail}"),
    "form.card_invalid": ("银行卡号无效: {detail}", "Invalid bank card: {detail}"),
    "form.reason_short": ("原因至少 4 个字", "Give a reason of at least 4 characters"),
    "form.future": ("{field}不能晚于现在", "{field} cannot be in the future"),
    "form.too_long": ("{field}最多 {n} 个字符", "{field} can be at most {n} characters"),
    "form.control_chars": ("{field}含有不可见的控制字符", "{field} contains control characters"),
    # gates
    "gates.title": ("闸机", "Gates"),
    "gates.count": ("共 {n} 台", "{n} devices"),
    "gates.none": ("本项目还没有登记闸机", "No gates registered on this project yet"),
    "gates.register": ("登记闸机", "Register a gate"),
    "gates.read_only": (
        "只读:闸机的登记和注册码由项目管理员办理。",
        "Read only: the project's site managers register gates and issue their codes.",
    ),
    "gates.help": (
        "登记闸机后点击「生成注册码」,安装人员在闸机电脑上用注册码完成注册(生成设备密钥)。",
        "Register a gate, then issue its provisioning code: the installer types it on the gate "
        "PC, which creates the device key and registers it.",
    ),
    "gate.code": ("闸机编号", "Gate code"),
    "gate.code_hint": (
        "如 GATE-A-IN;安装人员在闸机电脑上设置同一个编号",
        "e.g. GATE-A-IN; the installer sets the same code on the gate's computer",
    ),
    "gate.code_invalid": (
        "{field}只能包含字母、数字和 - _ .",
        "{field} may only contain letters, digits and - _ .",
    ),
    "gate.code_taken": ("闸机编号 {code} 已被使用", "Gate code {code} is already in use"),
    "gate.name": ("名称", "Name"),
    "gate.name_hint": ("如 1号门 进", "e.g. Gate 1 in"),
    "gate.direction": ("方向", "Direction"),
    "gate.model": ("闸机型号", "Gate model"),
    "gate.model_hint": (
        "这台闸机配的读卡器、摄像头和门禁型号;不清楚时请问安装人员",
        "which card readers, camera and turnstile this gate has; ask the installer if unsure",
    ),
    "gate.model_unknown": ("未知型号", "unknown model"),
    "gate.kind.gate": ("闸机", "gate"),
    "gate.kind.enrollment": ("登记站", "enrollment station"),
    "gate.key": ("设备密钥", "Device key"),
    "gate.provisioned": ("已注册", "provisioned"),
    "gate.provisioned_at": ("注册于 {at}", "since {at}"),
    "gate.not_provisioned": ("未注册", "not provisioned"),
    "gate.code_pending": ("注册码有效至 {at}", "code valid until {at}"),
    "gate.inactive": ("已停用", "disabled"),
    "gate.inactive_no_code": (
        "闸机已停用,不能生成注册码",
        "The gate is disabled: no provisioning code can be issued",
    ),
    "gate.chain": ("数据链", "Event chain"),
    "gate.chain_ok": ("未发现断链(已入库至 #{seq})", "no breaks found (stored up to #{seq})"),
    "gate.chain_breaks": ("入库时发现断链 {n} 处", "{n} breaks found on ingest"),
    "gate.chain_note": (
        "数据链状态为入库时的检查结果;逐条完整校验见监管页面的「闸机数据链完整性」。",
        "The chain state is what ingest found; the full re-verification of every event is on "
        "the inspector's month page (Gate event chains).",
    ),
    "gate.chain_full": ("完整校验", "Full check"),
    "gate.created": ("闸机已登记,请生成注册码", "Gate registered: now issue its provisioning code"),
    "gate.issue_code": ("生成注册码", "Issue provisioning code"),
    "gate.reissue_code": ("重新生成注册码", "Issue a new code"),
    "gate.reissue_confirm": (
        "生成新注册码后,之前的注册码立即失效。继续?",
        "A new code makes the earlier code invalid at once. Continue?",
    ),
    "gate.rekey_confirm": (
        "该闸机已注册设备密钥;新注册码被使用后将替换其密钥。继续?",
        "This gate already has a device key; using a new code replaces that key. Continue?",
    ),
    "gate.code_title": ("闸机注册码", "Provisioning code"),
    "gate.code_once": (
        "注册码只显示这一次,离开或刷新本页后无法再次查看。请立即抄下或交给安装人员;"
        "丢失后只能重新生成。",
        "This code is shown only once: it cannot be shown again after you leave or reload "
        "this page. Write it down or hand it to the installer now; if it is lost, issue a new "
        "one.",
    ),
    "gate.code_expires": ("有效至 {at}(仅可使用一次)", "Valid until {at} (single use)"),
    "gate.code_replaces": (
        "之前生成的注册码已失效。",
        "Any code issued earlier for this gate no longer works.",
    ),
    "gate.code_rekey": (
        "该闸机已有设备密钥:使用此注册码后,旧密钥将被替换,旧闸机电脑无法再上传。",
        "This gate already has a device key: once this code is used, the old key is replaced "
        "and the old gate PC can no longer upload.",
    ),
    "gate.install_command": ("在闸机电脑上执行", "On the gate PC, run"),
    "gate.install_config": (
        "交给安装人员:闸机的配置文件至少包含以下内容(完整示例见 docs/gate.example.yaml)",
        "For the installer: the gate's settings file needs at least this (full example: "
        "docs/gate.example.yaml)",
    ),
    "gate.back_to_list": ("返回闸机列表", "Back to the gates"),
    # gate confirmers (RULES.md 3: card + manager confirmation)
    "confirmers.title": ("现场确认人", "Gate confirmers"),
    "confirmers.why": (
        "法规要求为不使用人脸识别的工人提供替代方式:工人刷卡后,"
        "由此处登记的确认人刷自己的 IC 卡确认放行。",
        "The law requires an alternative to face recognition: a worker who does not use it "
        "passes after one of the confirmers registered here presents their own IC card.",
    ),
    "confirmers.count": ("在用 {n} 人", "{n} active"),
    "confirmers.none": ("本项目还没有确认人", "No gate confirmers on this project yet"),
    "confirmers.name": ("姓名", "Name"),
    "confirmers.card_uid": ("IC 卡号", "IC card UID"),
    "confirmers.card_hint": (
        "十六进制,8-20 位,如 0A0B0C0D(空格、冒号、横线会被去掉)",
        "hex, 8-20 digits, e.g. 0A0B0C0D (spaces, colons and dashes are removed)",
    ),
    "confirmers.user": ("关联账号", "Linked account"),
    "confirmers.since": ("启用于", "Active since"),
    "confirmers.add": ("添加确认人", "Add a confirmer"),
    "confirmers.deactivate": ("停用", "Deactivate"),
    "confirmers.deactivate_confirm": (
        "停用后,{name} 的卡在闸机下次同步花名册后不能再确认放行。确认停用?",
        "Once the gates next download the roster, {name}'s card no longer confirms anyone. "
        "Deactivate?",
    ),
    "confirmers.inactive": ("已停用的确认人 {n} 人", "{n} deactivated confirmers"),
    "confirmers.deactivated_at": ("停用于", "Deactivated"),
    "confirmers.added": (
        "确认人已添加,闸机同步花名册后生效",
        "Confirmer added: the gates use it after their next roster download",
    ),
    "confirmers.deactivated": ("确认人已停用", "Confirmer deactivated"),
    "form.ic_card_invalid": ("IC 卡号无效: {detail}", "Invalid IC card UID: {detail}"),
    # import
    "import.title": ("导入花名册", "Import the worker roster (花名册)"),
    "import.help": (
        "上传 Excel(.xlsx)或 CSV 文件;出错的行会逐行列出,全部正确才会导入。",
        "Upload an .xlsx or .csv file; rows with errors are listed one by one, and nothing "
        "is imported unless every row is correct.",
    ),
    "import.file": ("文件", "File"),
    "import.submit": ("上传并导入", "Upload and import"),
    "import.no_file": ("请选择文件", "Choose a file"),
    "import.errors": ("{n} 处错误,未导入", "{n} errors, nothing imported"),
    "import.row": ("行", "Row"),
    "import.column": ("列", "Column"),
    "import.message": ("问题", "Problem"),
    "import.done": (
        "已导入: {created} 人新登记,{updated} 人更新",
        "Imported: {created} registered, {updated} updated",
    ),
    # month
    "month.title": ("月考勤表", "Monthly roster"),
    "month.days": ("出勤天数", "Days"),
    "month.hours": ("工时", "Hours"),
    "month.corrected": ("补卡天数", "Corrected days"),
    "month.export_per_company": ("按劳务企业分表导出", "Export, one sheet per company"),
    "month.legend": (
        "√ 全天  ½ 半天  ○ 缺勤  ! 异常  - 不在岗期间",
        "√ full  ½ half  ○ absent  ! anomaly  - not assigned",
    ),
    # inspector
    "inspect.title": ("监管项目", "Projects in scope"),
    "inspect.findings": ("问题数", "Findings"),
    "inspect.open": ("未处理", "open"),
    "inspect.recon": ("工资核对", "Wage reconciliation"),
    "inspect.attended": ("出勤天数", "Attended days"),
    "inspect.expected": ("应发(元)", "Expected (yuan)"),
    "inspect.paid": ("实发(元)", "Paid (yuan)"),
    "inspect.difference": ("差额(元)", "Difference (yuan)"),
    "inspect.chart": ("出勤与发放对比", "Attendance against pay"),
    "inspect.findings_list": ("预警明细", "Findings"),
    "inspect.kind": ("类型", "Kind"),
    "inspect.resolve": ("已解决", "Resolve"),
    "inspect.waive": ("豁免", "Waive"),
    "inspect.waive_confirm": (
        "豁免后该预警不再计入项目预警级别,确认豁免?",
        "A waived finding no longer counts in the project's level. Waive it?",
    ),
    "inspect.not_run": ("未核对", "not reconciled"),
    "inspect.last_run": ("最近核对: {at}", "Last reconciled: {at}"),
    "inspect.levels_help": (
        "预警级别取自最近一次工资核对中未处理的预警;核对由项目管理员发起。",
        "Levels come from the open findings of the last reconciliation run; site managers run it.",
    ),
    "inspect.pay_day": ("发薪日", "Pay day"),
    "inspect.export_recon": ("导出工资核对 Excel", "Export reconciliation XLSX"),
    "inspect.export_ledger": ("导出工资支付台账 Excel", "Export payroll ledger XLSX"),
    "inspect.report_pdf": ("打印报告 PDF", "Printable report PDF"),
    "event.raised": ("发现", "raised"),
    "event.resolved": ("已解决", "resolved"),
    "event.waived": ("已豁免", "waived"),
    "event.reopened": ("重新打开", "reopened"),
    "event.gone": ("已消除", "gone"),
    "inspect.history": ("处理记录", "History"),
    "inspect.chains": ("闸机数据链完整性", "Gate event chains"),
    "inspect.chain_ok": ("完整", "intact"),
    "inspect.chain_broken": ("断链 {n} 处", "{n} breaks"),
    "inspect.not_reconciled": (
        "本月尚未进行工资核对:下表为按当前考勤与代发记录的计算结果,尚无预警记录。",
        "This month has not been reconciled yet: the table is computed from today's attendance "
        "and payments, and no findings are recorded.",
    ),
    "inspect.day_grid": ("每日考勤", "Days"),
    "inspect.payments": ("代发记录", "Payments"),
    "inspect.rule_notes": ("计算口径", "How the numbers are counted"),
    "inspect.rows_problems": (
        "只显示有问题的工人:{n} 人(共 {total} 人)",
        "Workers with a problem: {n} (of {total})",
    ),
    "inspect.rows_all": ("全部工人 {total} 人", "All {total} workers"),
    "inspect.rows_show_all": ("显示全部工人", "Show every worker"),
    "inspect.rows_show_problems": ("只看有问题的工人", "Only workers with a problem"),
    "inspect.no_problem_rows": ("本月没有有问题的工人", "No worker has a problem this month"),
    "inspect.open_count": (
        "未处理预警:红 {red} · 橙 {orange} · 黄 {yellow}",
        "Open findings: red {red} · orange {orange} · yellow {yellow}",
    ),
    "inspect.done.resolve": ("已处理:已解决", "Done: resolved"),
    "inspect.done.waive": ("已处理:已豁免", "Done: waived"),
    "inspect.done.reopen": ("已处理:已重新打开", "Done: reopened"),
    "inspect.saving": ("正在提交…", "Saving…"),
    "chain.state_help": (
        "按入库时的确认记录判断(确认条数、最高连续序号及其哈希、入库时发现的断链),"
        "打开页面时不逐条重算;需要时点「全部重新校验」在后台逐条核验。",
        "From what ingest acknowledged (the count, the highest contiguous seq and its hash, the "
        "breaks met on ingest), not re-hashed on every view; 'Re-check every record' verifies "
        "each record in the background.",
    ),
    "chain.stored": ("库中条数", "Stored"),
    "chain.acked": ("已确认条数", "Acknowledged"),
    "chain.recorded_breaks": ("入库时断链 {n} 处", "{n} breaks met on ingest"),
    "chain.recheck": ("全部重新校验", "Re-check every record"),
    "chain.recheck_title": ("逐条重新校验", "Full re-check"),
    "chain.recheck_running": (
        "正在校验:闸机 {g} / {gt} 台,记录 {e} / {et} 条",
        "Checking: gate {g} of {gt}, record {e} of {et}",
    ),
    "chain.recheck_started": ("已开始逐条重新校验", "The full re-check has started"),
    "chain.recheck_already": (
        "逐条重新校验已在进行中,未重复启动",
        "A full re-check is already running; no second one was started",
    ),
    "chain.recheck_ok": (
        "全部 {n} 条记录校验通过(校验于 {at})",
        "All {n} records verified (checked {at})",
    ),
    "chain.recheck_bad": (
        "发现 {n} 处问题(校验于 {at})",
        "{n} problems found (checked {at})",
    ),
    "chain.recheck_failed": ("校验未完成:{error}", "The check did not finish: {error}"),
    "chain.recheck_stalled": (
        "上次校验已中断(无进度),可重新开始",
        "The last check stopped making progress; it may be started again",
    ),
    "chain.recheck_never": ("尚未逐条重新校验过", "Never fully re-checked"),
    "chain.recheck_refresh": ("刷新进度", "Refresh"),
    "chain.recheck_started_at": ("开始于 {at}", "started {at}"),
    "pay.period": ("工资月份", "For month"),
    "pay.net": ("实发(元)", "Net (yuan)"),
    "pay.gross": ("应发(元)", "Gross (yuan)"),
    "pay.days": ("工资单天数", "Days declared"),
    "pay.paid_on": ("发放日期", "Paid on"),
    "pay.account": ("收款账号", "Account"),
    **{f"pay.status.{k.value}": label for k, label in vocabulary.TRANSFER_STATUS.labels.items()},
    "pay.slip": ("工资清单", "Pay slip"),
    "pay.slip_pdf": ("下载工资清单 PDF", "Download pay slip PDF"),
    "evidence.pdf": ("考勤凭证 PDF", "Attendance evidence PDF"),
    "evidence.xlsx": ("考勤凭证 XLSX", "Attendance evidence XLSX"),
    "evidence.pack": ("证据包 ZIP", "Evidence pack ZIP"),
    "evidence.pack_help": (
        "记录、闸机签名的检查点、证明和核对程序:不依赖本系统即可核对",
        "Records, the gate-signed checkpoints, proofs and a verifier: checked without this system",
    ),
    "evidence.help": (
        "本月每条闸机记录及其防篡改验证,可提交劳动仲裁",
        "Every gate record of the month with its tamper check, for arbitration",
    ),
    "pay.none": ("暂无工资发放记录", "No payments recorded yet"),
    "rowstatus.paid": ("已足额发放", "paid"),
    "rowstatus.underpaid": ("少发", "underpaid"),
    "rowstatus.unpaid": ("未发放", "unpaid"),
    "rowstatus.not_yet_due": ("未到发薪日", "not yet due"),
    "rowstatus.paid_without_attendance": ("无出勤却发放", "paid without attendance"),
    "rowstatus.nothing_due": ("无出勤", "nothing due"),
    "recon.stale": (
        "本月工资核对结果已过期:核对之后考勤有变更({reason}),下列预警可能与现在的考勤不符,请重新核对。",
        "This month's reconciliation is stale: attendance changed after it was run ({reason}); "
        "the findings below may no longer match. Run the reconciliation again.",
    ),
    "recon.stale_short": ("已过期", "stale"),
    "month.never_entered": ("已登记未进场", "registered, never entered"),
    "kind.UNPAID": ("未发工资", "Unpaid"),
    "kind.UNDERPAID": ("少发", "Underpaid"),
    "kind.DAYS_MISMATCH": ("天数不符", "Days mismatch"),
    "kind.PAID_WITHOUT_ATTENDANCE": ("无考勤有发放", "Paid without attendance"),
    "kind.UNKNOWN_PAYEE": ("收款人未登记", "Unknown payee"),
    "kind.NAME_MISMATCH": ("姓名不符", "Name mismatch"),
    "kind.ACCOUNT_NOT_WORKERS": ("非本人账户", "Not the worker's account"),
    "kind.LATE": ("逾期发放", "Late"),
    "kind.FAILED_TRANSFER": ("转账失败", "Failed transfer"),
    "kind.DUPLICATE_PAYMENT": ("重复发放", "Duplicate payment"),
    "kind.PAID_NOT_AS_CONFIRMED": ("实发与本人确认不符", "Paid not as confirmed"),
    "kind.PAYROLL_NOT_CONFIRMED": ("工资表未经本人确认", "Wage sheet not confirmed"),
    "kind.PAYROLL_DISPUTED": ("工资表异议未处理", "Wage sheet disputed"),
    "kind.NO_PAYROLL_SHEET": ("无工资支付表", "No wage sheet"),
    "kind.PAID_NOT_FROM_WAGE_ACCOUNT": ("非专用账户发放", "Not paid from the wage account"),
    "kind.LABOUR_COST_NOT_ALLOCATED": ("人工费用未拨付", "Labour cost not allocated"),
    "kind.WAGE_ACCOUNT_SHORT": ("专户余额不足", "Wage account short"),
    "kind.CHAIN_BREAK": ("闸机记录链断", "Gate chain break"),
    "finding.open": ("未处理", "open"),
    "finding.resolved": ("已解决", "resolved"),
    "finding.waived": ("已豁免", "waived"),
    "finding.gone": ("已消除", "gone"),
    # wage sheets (工资支付表): wage_pages.py, me_wage_pages.py
    "nav.wages": ("工资表", "Wage sheets"),
    "nav.my_wages": ("工资单确认", "Confirm my pay"),
    "wages.title": ("工资表", "Wage sheets"),
    "wages.sheet_title": ("工资支付表", "Wage payment sheet"),
    "wages.build": ("编制工资表", "Build a sheet"),
    "wages.build_help": (
        "按月考勤表和登记的工资标准生成,本月出勤的每位工人一行;生成后可增减加扣项,"
        "核对无误再发送给工人确认。",
        "Built from the monthly roster and the registered wage terms, one line per worker who "
        "attended; add or remove items, then send it to the workers to confirm.",
    ),
    "wages.firm": ("用工单位", "Employing firm"),
    "wages.team_optional": ("班组(可选)", "Team (optional)"),
    "wages.whole_firm": ("整个单位", "the whole firm"),
    "wages.period_invalid": ("月份应为 YYYY-MM 格式", "The month must be YYYY-MM"),
    "wages.all_months": ("全部月份", "All months"),
    "wages.filter": ("筛选", "Filter"),
    "wages.lines": ("人数", "Lines"),
    "wages.net_total": ("实发合计(元)", "Net total (yuan)"),
    "wages.none": ("还没有工资表", "No wage sheets yet"),
    "wages.built": ("工资表已生成(编制中)", "Sheet built (draft)"),
    "wages.refreshed": ("已按考勤表刷新", "Refreshed from the roster"),
    "wages.unchanged": ("考勤没有变动", "The roster has not changed"),
    "wages.sent": ("已发送给工人确认", "Sent to the workers for confirmation"),
    "wages.locked": ("工资表已锁定", "Sheet locked"),
    "wages.item_added": ("项目已添加", "Item added"),
    "wages.item_removed": ("项目已删除", "Item removed"),
    "wages.resolved": ("异议已处理", "Dispute resolved"),
    "wages.refresh": ("按考勤表刷新", "Refresh from the roster"),
    "wages.send": ("发送给工人确认", "Send for confirmation"),
    "wages.send_confirm": (
        "发送后工人即可在手机上查看并确认本月工资。确认发送?",
        "Once sent, the workers see their lines on their phones and confirm them. Send?",
    ),
    "wages.lock": ("锁定工资表", "Lock the sheet"),
    "wages.lock_reason": ("强制锁定原因", "Reason to lock anyway"),
    "wages.lock_unsettled": (
        "还有 {n} 行未确认({why}):锁定须填写原因,原因会记入工资表并生成预警。",
        "{n} lines are not settled ({why}): locking needs a reason, which stays on the sheet "
        "and raises a finding.",
    ),
    "wages.lock_why": ("{state} {n} 行", "{n} {state}"),
    "wages.lock_clean": (
        "所有行均已确认或异议已处理,可以锁定。",
        "Every line is confirmed or its dispute resolved: the sheet can be locked.",
    ),
    "wages.lock_confirm": (
        "锁定后工资表不能再修改。确认锁定?",
        "A locked sheet cannot change any more. Lock it?",
    ),
    "wages.locked_note": ("工资表已锁定,不能再修改。", "The sheet is locked and cannot change."),
    "wages.open_disputes": ("未处理的异议", "Open disputes"),
    "wages.no_open_disputes": ("没有未处理的异议", "No open disputes"),
    "wages.claim": ("工人主张", "Worker's claim"),
    "wages.claimed_days": ("主张出勤天数", "Days claimed"),
    "wages.claimed_amount": ("主张实发金额(元)", "Net claimed (yuan)"),
    "wages.dispute_comment": ("异议说明", "What is wrong"),
    "wages.raised_at": ("提出时间", "Raised"),
    "wages.resolution": ("处理说明", "Resolution"),
    "wages.resolve": ("处理异议", "Resolve"),
    "wages.resolve_help": (
        "写明核实结果:已更正(先修改本行),或维持原数的理由。工人会看到此说明。",
        "Say what you found: corrected (change the line first), or why the figures stand. The "
        "worker sees this comment.",
    ),
    "wages.stale": ("考勤已变动", "attendance changed"),
    "wages.stale_help": (
        "有 {n} 行的考勤在生成后发生了变动(如补卡获批):请按考勤表刷新。",
        "The attendance under {n} lines changed after they were built (an approved "
        "correction): refresh from the roster.",
    ),
    "wages.base": ("基本工资", "Base"),
    "wages.additions": ("加项", "Additions"),
    "wages.deductions": ("扣项", "Deductions"),
    "wages.gross": ("应发", "Gross"),
    "wages.net": ("实发", "Net"),
    "wages.confirmation": ("确认情况", "Confirmation"),
    "wages.via_web": ("手机", "on the phone"),
    "wages.via_device": ("设备 {code} #{seq}", "device {code} #{seq}"),
    "wages.download_xlsx": ("下载 Excel", "Download XLSX"),
    "wages.download_pdf": ("打印 PDF", "Printable PDF"),
    "wages.disbursement": ("代发文件", "Bank instruction (代发)"),
    "wages.disbursement_help": (
        "按银行格式生成本表的代发文件(含完整身份证号和银行卡号,下载会被记录);"
        "实发为零的行不列入。银行回单导入后在“工资核对”中核对。",
        "The sheet as the bank's 代发 instruction, in the bank's layout (full ID and card "
        "numbers: every download is recorded); lines with nothing to pay are left out. Import "
        "the bank's result and reconcile it under Reconciliation.",
    ),
    "wages.disbursement_xlsx": ("下载代发文件 Excel", "Download XLSX"),
    "wages.disbursement_csv": ("下载代发文件 CSV", "Download CSV"),
    "wages.disbursement_row": ("序号", "No."),
    "wages.paying_account": ("代发账户", "Paying account"),
    "wages.sent_at": ("发送时间", "Sent"),
    "wages.locked_at": ("锁定时间", "Locked"),
    "wages.paid_at": ("发放完成", "Paid"),
    "wages.created_by": ("编制人", "Prepared by"),
    "wages.items": ("加扣项目", "Items"),
    "wages.no_items": ("没有加扣项目", "No items"),
    "wages.add_item": ("添加项目", "Add an item"),
    "wages.category": ("类别", "Category"),
    "wages.item_reason": ("事由", "Reason"),
    "wages.item_reason_hint": ("如:10-14 加班 3 小时;10-05 借支", "e.g. overtime 3 h on 10-14"),
    "wages.amount": ("金额(元)", "Amount (yuan)"),
    "wages.quantity": ("数量", "Quantity"),
    "wages.unit": ("单位", "Unit"),
    "wages.unit_price": ("单价(元)", "Unit price (yuan)"),
    "wages.piece_help": (
        "计件:填写数量、单位和单价,金额按数量×单价计算;其他类别只填金额。",
        "Piece work: give the quantity, unit and unit price (the amount is quantity × price); "
        "other categories take an amount.",
    ),
    "wages.edit_resends": (
        "工资表已发送:修改后本行会作为新版本重新发送给工人确认。",
        "The sheet is sent: a change makes a new version of this line, sent to the worker again.",
    ),
    "wages.remove": ("删除", "Remove"),
    "wages.remove_confirm": ("删除此项目?", "Remove this item?"),
    "wages.history": ("记录", "History"),
    "wages.action.send": ("发送", "sent"),
    "wages.action.edit": ("修改", "changed"),
    "wages.action.confirm": ("工人确认", "confirmed by the worker"),
    "wages.action.dispute": ("工人提出异议", "disputed by the worker"),
    "wages.action.resolve": ("处理异议", "dispute resolved"),
    "wages.version": ("第 {n} 版", "version {n}"),
    "wages.back_to_sheet": ("返回工资表", "Back to the sheet"),
    "wages.back_to_list": ("返回工资表列表", "Back to the sheets"),
    "wages.read_only": (
        "只读:工资表由项目管理员编制、发送和锁定。",
        "Read only: the site managers compile, send and lock the sheets.",
    ),
    "wages.rate": ("单价", "Rate"),
    "wages.disputes": ("异议记录", "Disputes"),
    "wages.dispute_status.open": ("未处理", "open"),
    "wages.dispute_status.resolved": ("已处理", "resolved"),
    "wages.dispute_status.closed": ("工人其后已确认", "later confirmed by the worker"),
    "wages.month_title": ("工资支付表", "Wage payment sheets"),
    "wages.month_help": (
        "本月各用工单位的工资表;工人的异议在处理前一直显示在这里。",
        "This month's sheets of every employing firm; a worker's dispute stays listed here until "
        "it is resolved.",
    ),
    "wages.month_link": ("工资支付表", "Wage sheets"),
    "wages.lines_of": ("工资表明细", "Lines"),
    "wages.settled": ("已确认/已处理", "Settled"),
    "wages.line_title": ("工资单", "Wage line"),
    "me.wages_title": ("我的工资单", "My wage lines"),
    "me.wages_help": (
        "每月工资表发送后会出现在这里:请核对出勤和金额,无误点「确认无误」,有问题点「有异议」"
        "并写明原因。",
        "Each month's line appears here once sent: check the days and amounts, then tap "
        '"Confirm" if they are right, or "Dispute" and say what is wrong.',
    ),
    "me.wages_none": ("暂无工资单", "No wage lines yet"),
    "me.wages_waiting": ("有 {n} 份工资单等您确认", "{n} lines await your answer"),
    "me.confirm": ("确认无误", "Confirm"),
    "wages.confirmed_ok": ("您已确认本月工资单", "You confirmed this line"),
    "wages.disputed_ok": (
        "您的异议已提交,项目管理人员会核实并回复",
        "Your dispute is recorded: the site manager checks it and answers",
    ),
    "me.confirm_hint": (
        "确认即表示您认可上面显示的出勤和金额。",
        "Confirming says the days and amounts shown above are right.",
    ),
    "me.dispute": ("有异议", "Dispute"),
    "me.dispute_help": (
        "请写明哪里不对,如少算的天数或您认为应得的金额;项目管理人员会核实并回复。",
        "Say what is wrong, e.g. the days missing or the amount you should get; the site "
        "manager checks and answers.",
    ),
    "me.dispute_submit": ("提交异议", "Submit the dispute"),
    "me.line_changed": (
        "工资单已更新:下面是最新内容,请重新核对后再确认。",
        "The line has changed: this is the new version. Check it again before you answer.",
    ),
    "me.paid_to": ("发放到", "Paid into"),
    "me.payer": ("发放账户", "Paid from"),
    "me.net_pay": ("实发工资(元)", "Net pay (yuan)"),
    "me.answered_locked": (
        "工资表已锁定,不能再确认或提出异议;如有问题请查看「维权信息」。",
        'The sheet is locked: it can no longer be confirmed or disputed; see "Where to '
        'complain" if something is wrong.',
    ),
    "me.day_legend": ("每日考勤", "Days"),
    "me.wages_link": ("工资单确认", "Confirm my monthly pay"),
    # worker self-service
    "me.title": ("我的考勤", "My attendance"),
    "me.pay_title": ("我的工资", "My pay"),
    "me.notice_title": ("维权信息公示", "Where to complain"),
    "me.notice_help": (
        "如工资被拖欠或少发,可向以下渠道反映:",
        "If your wages are late or short, you can complain here:",
    ),
    "me.pay_help": (
        "工资清单按项目和月份列出出勤、应发与实发;如有疑问请查看「维权信息」。",
        "A pay slip shows attendance, expected and paid pay per project and month; see "
        '"Where to complain" if something is wrong.',
    ),
    "me.no_project": ("您当前没有在岗项目", "You are not on any project"),
    "me.wage_account": ("农民工工资专用账户", "Dedicated wage account"),
    "me.hotline": ("全国根治欠薪线索反映平台 / 12333", "National wage-arrears platform / 12333"),
    "day.full": ("全天", "full day"),
    "day.half": ("半天", "half day"),
    "day.absent": ("缺勤", "absent"),
    "day.anomaly": ("异常", "anomaly"),
    "day.on_site": ("在场", "on site"),
    "day.not_assigned": ("不在岗", "not assigned"),
    "weekday.short": ("一,二,三,四,五,六,日", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    # project settings (every RULES.md threshold; field labels come with the settings contract)
    "nav.settings": ("设置", "Settings"),
    "settings.title": ("项目设置", "Project settings"),
    "settings.help": (
        "各项阈值均有规则默认值;修改后在用到该数值的页面和闸机上生效。闸机规则的修改会使闸机重新下载花名册。",
        "Every threshold has a default from the rules; a change applies wherever the number is "
        "used. A gate policy change makes the gates download the roster again.",
    ),
    "settings.setting": ("设置项", "Setting"),
    "settings.value": ("当前值", "Value"),
    "settings.default": ("默认值", "Default"),
    "settings.range": ("范围", "Range"),
    "settings.overridden": ("已修改", "changed"),
    "settings.reset": ("恢复默认", "Reset to default"),
    "settings.read_only": ("在项目资料中修改", "edited with the project"),
    "settings.invalid_stored": (
        "保存的值无效,当前按默认值执行",
        "the stored value is invalid: the default applies",
    ),
    "settings.saved": ("设置已保存", "Settings saved"),
    "settings.unchanged": ("没有修改", "Nothing changed"),
    "settings.inspector_note": ("监管人员只读", "Read-only for inspectors"),
    # own account (account_pages.py)
    "nav.account_password": ("修改密码", "Change password"),
    "nav.admin_users": ("用户管理", "Users"),
    # An admin works in both areas: the site managers' pages and the inspectors' pages.
    "nav.site_area": ("项目现场", "Sites"),
    "nav.inspect_area": ("工资核查", "Inspection"),
    "account.password_title": ("修改密码", "Change password"),
    "account.current_password": ("当前密码", "Current password"),
    "account.new_password": ("新密码", "New password"),
    "account.repeat_password": ("再次输入新密码", "Repeat the new password"),
    "account.policy_hint": (
        "至少 10 个字符,不能与用户名相同,不能是常见密码",
        "At least 10 characters, not your username, not a common password",
    ),
    "account.must_change": (
        "管理员为您设置了临时密码:请先设置您自己的新密码,再继续使用",
        "An administrator set a temporary password for you: choose your own to continue",
    ),
    "account.repeat_mismatch": ("两次输入的新密码不一致", "The two new passwords differ"),
    "account.field_problem": ("{field}{problem}", "{field} {problem}"),
    "account.password_changed": (
        "密码已修改,您在其他设备上的登录已全部退出",
        "Password changed; you are signed out on every other device",
    ),
    # user administration (admin_pages.py)
    "admin.users_title": ("用户管理", "Users"),
    "admin.users_count": ("共 {n} 个账号", "{n} accounts"),
    "admin.new_user": ("新建用户", "New user"),
    "admin.edit_user": ("编辑用户", "Edit user"),
    "admin.username": ("用户名", "Username"),
    "admin.full_name": ("姓名", "Name"),
    "admin.role": ("角色", "Role"),
    "admin.region": ("地区", "Region"),
    "admin.region_hint": ("监管人员:所辖地区内的项目都可见", "Inspectors see every project of it"),
    "admin.projects": ("项目", "Projects"),
    "admin.projects_hint": (
        "项目管理员(至少一个)和监管人员可见的项目",
        "Projects a site manager (at least one) or an inspector sees",
    ),
    "admin.worker": ("关联工人", "Linked worker"),
    "admin.worker_hint": (
        "仅工人账号:填写工人编号(工人页面地址中的数字)",
        "Worker accounts only: the worker's number (the number in the worker page's address)",
    ),
    "admin.status": ("状态", "Status"),
    "admin.active": ("启用", "Active"),
    "admin.inactive": ("已停用", "Deactivated"),
    "admin.locked": ("登录已锁定", "Sign-in locked"),
    "admin.must_change": ("待修改密码", "Must change password"),
    "admin.all": ("全部", "All"),
    "admin.search_hint": ("用户名或姓名", "Username or name"),
    "admin.initial_password": ("初始密码", "Initial password"),
    "admin.initial_password_hint": (
        "留空则自动生成并显示一次;用户首次登录后须修改",
        "Leave empty to generate one, shown once; the user changes it at first sign-in",
    ),
    "admin.deactivate": ("停用", "Deactivate"),
    "admin.activate": ("启用", "Activate"),
    "admin.confirm_deactivate": (
        "确定停用账号 {username}?其所有登录将立即退出。",
        "Deactivate {username}? All of their sessions end now.",
    ),
    "admin.reset_password": ("重置密码", "Reset password"),
    "admin.confirm_reset": (
        "确定为 {username} 重置密码?其所有登录将退出,须用临时密码登录后设置新密码。",
        "Reset the password of {username}? Their sessions end; they sign in with a temporary "
        "password and must choose a new one.",
    ),
    "admin.self_note": (
        "这是您自己的账号:不能停用,也不能取消管理员角色",
        "This is your own account: you cannot deactivate it or remove its admin role",
    ),
    "admin.temp_title": ("临时密码", "Temporary password"),
    "admin.temp_once": (
        "临时密码只显示这一次。请当面或通过安全渠道交给本人;其登录后须立即修改。",
        "Shown only this once. Give it to the person directly; they must change it at sign-in.",
    ),
    "admin.temp_for": ("账号 {username} 的临时密码", "Temporary password of {username}"),
    "admin.back_to_list": ("返回用户列表", "Back to users"),
    "admin.created": ("账号已创建", "Account created"),
    "admin.deactivated": ("账号已停用,其登录已全部退出", "Account deactivated; its sessions ended"),
    "admin.activated": ("账号已启用", "Account activated"),
    "admin.unchanged": ("没有修改", "Nothing changed"),
    "admin.created_at": ("创建时间", "Created"),
    # payroll import and reconciliation (server/web/pay_pages.py, the inspector's as-of view)
    "nav.payroll": ("代发导入", "Payroll import"),
    "nav.recon": ("工资核对", "Reconciliation"),
    "payroll.title": ("导入银行代发结果", "Import the bank's disbursement result"),
    "payroll.help": (
        "上传银行返回的代发结果文件(XLSX 或 CSV)。同一文件只能导入一次;有错误行时不导入任何"
        "数据,除非选择跳过错误行。",
        "Upload the disbursement result the bank sent back (XLSX or CSV). A file imports once; "
        "a file with bad rows imports nothing unless you choose to skip them.",
    ),
    "payroll.file": ("代发结果文件", "Result file"),
    "payroll.layout": ("银行格式", "Bank layout"),
    "payroll.layout_auto": ("自动识别", "Detect automatically"),
    "payroll.period": ("缺省工资所属期", "Default wage period"),
    "payroll.period_help": ("文件中没有所属期时使用", "Used where the file gives no period"),
    "payroll.skip": ("跳过错误行,导入其余行", "Skip bad rows and import the rest"),
    "payroll.submit": ("上传并导入", "Upload and import"),
    "payroll.template": ("下载代发模板", "Download the template"),
    "payroll.done": (
        "已导入 {rows} 行(匹配工人 {matched} 行,跳过错误行 {skipped} 行),工资所属期 {periods}",
        "Imported {rows} rows ({matched} matched to workers, {skipped} bad rows skipped), "
        "periods {periods}",
    ),
    "payroll.skipped_rows": ("已跳过的错误行", "Bad rows skipped"),
    "payroll.warnings": ("提示", "Warnings"),
    "payroll.header": ("表头", "Header"),
    "payroll.duplicate_help": (
        "同一文件已在工资支付台账中,无需再导入;银行更正后的文件内容不同,可以导入。",
        "This same file is already in the payroll ledger; a corrected file from the bank has "
        "different content and imports.",
    ),
    "payroll.reconcile": ("核对 {period} 工资", "Reconcile {period}"),
    "payroll.imports": ("导入记录", "Imports"),
    "payroll.imported_at": ("导入时间", "Imported"),
    "payroll.file_name": ("文件名", "File"),
    "payroll.rows": ("行数", "Rows"),
    "payroll.skipped": ("跳过", "Skipped"),
    "payroll.success_total": ("成功发放(元)", "Paid (yuan)"),
    "payroll.by": ("导入人", "By"),
    "recon.run": ("运行 {period} 工资核对", "Reconcile {period}"),
    "recon.run_help": (
        "按今天({today})核对 {period} 的考勤与代发并保存预警;可重复运行,结果相同。",
        "Reconciles {period}'s attendance and payments as of today ({today}) and saves the "
        "findings; running it again gives the same result.",
    ),
    "recon.run_done": (
        "核对完成并已保存:新增 {raised},更新 {updated},重新打开 {reopened},已消除 {gone}",
        "Reconciled and saved: {raised} new, {updated} updated, {reopened} reopened, {gone} gone",
    ),
    "recon.as_of": ("核对日期", "As of"),
    "recon.as_of_submit": ("按此日期试算", "Compute as of this date"),
    "recon.as_of_clear": ("返回已保存的核对", "Back to the saved run"),
    "recon.preview_note": (
        "按核对日期 {as_of} 试算,未保存:预警与工人明细均按此日期计算。",
        "Computed as of {as_of} and not saved: the findings and the table both as of that date.",
    ),
    "recon.stored_run": (
        "已保存的核对: {at}(核对日期 {run_as_of})。",
        "The saved run: {at} (as of {run_as_of}).",
    ),
    "recon.stored_note": (
        "预警来自 {at} 保存的核对(核对日期 {run_as_of});工人明细按 {today} 计算。",
        "Findings from the run saved {at} (as of {run_as_of}); the table computed as of {today}.",
    ),
    "recon.table_as_of": ("工人明细按 {today} 计算。", "The table computed as of {today}."),
    "recon.new_finding": ("新", "new"),
    "recon.worker": ("工人", "Worker"),
    "recon.workers": ("工人明细", "Workers"),
}


# The worker's phone pages, notice board and objections (issue 12) keep their texts apart.
MESSAGES.update(PHONE_MESSAGES)
# The daily digests on the inspector's month page (issue 13).
MESSAGES.update(DIGEST_MESSAGES)
# The gates' key fingerprints and checkpoints on the gates and month pages (issue 13).
MESSAGES.update(ANCHOR_MESSAGES)
# The face terminals on the gates page (issue 15).
MESSAGES.update(TERMINAL_MESSAGES)
MESSAGES.update(PLATFORM_MESSAGES)
# The complaints (欠薪线索) pages (issue 16).
MESSAGES.update(COMPLAINT_MESSAGES)
# The wage-protection records page (issue 16).
MESSAGES.update(SAFEGUARD_MESSAGES)
# The per-project checklist and the inspector's cross-project view (issue 16).
MESSAGES.update(CHECKLIST_MESSAGES)


def lang_of(request: Request) -> Lang:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def translate(key: str, lang: Lang, **kwargs: object) -> str:
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**kwargs) if kwargs else text


def translator(lang: Lang) -> Callable[..., str]:
    def t(key: str, **kwargs: object) -> str:
        return translate(key, lang, **kwargs)

    return t


def kind_label(kind: str, lang: Lang) -> str:
    """A finding kind in words (`kind.*`); a kind without words shows as its code."""
    key = f"kind.{kind}"
    return translate(key, lang) if key in MESSAGES else kind


def pick(lang: Lang, zh: str, en: str) -> str:
    """For bilingual values stored in the data (finding messages, error texts)."""
    return en if lang == "en" else zh
