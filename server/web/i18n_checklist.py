"""Page texts of the per-project checklist and the inspector's cross-project view (issue 16),
merged into server/web/i18n.MESSAGES."""

from __future__ import annotations

CHECKLIST_MESSAGES: dict[str, tuple[str, str]] = {
    "nav.checklist": ("检查清单", "Checklist"),
    "cl.title": ("检查清单", "Checklist"),
    "cl.help": (
        "监管部门对每个项目检查的五项制度(实名制、工资专用账户、总包代发、工资保证金、维权公示)"
        "以及劳动合同、工资卡和安全教育。未通过的项目排在前面;点“去处理”到对应页面补齐。",
        "What the regulators check on every project (real-name registration, the wage account, "
        "payment by the general contractor, the wage deposit, the rights notice board) and the "
        "workers' contracts, bank cards and safety training. Failing items come first; "
        '"Fix" opens the page where it is put right.',
    ),
    "cl.level": ("项目级别", "Project level"),
    "cl.item": ("检查项", "Item"),
    "cl.state": ("状态", "State"),
    "cl.figure": ("数量", "Figure"),
    "cl.ok": ("通过", "OK"),
    "cl.failing": ("未通过", "Failing"),
    "cl.off": ("不检查", "Not checked"),
    "cl.fix": ("去处理", "Fix"),
    "cl.levels_link": ("调整预警级别", "Change the levels"),
    "cl.levels_help": (
        "每项未通过时的级别和比例阈值在项目设置的“检查清单”一节。",
        "Each item's level and the share thresholds are in the project settings, section "
        '"Checklist".',
    ),
    "cl.all_ok": ("全部通过", "All items pass"),
    "cl.inspect_title": ("各项目检查清单", "Checklists of my projects"),
    "cl.inspect_help": (
        "您负责的全部项目,红色在前,依次为橙色、黄色、绿色;每个项目列出未通过的检查项。",
        "All your projects, red first, then orange, yellow and green; each lists its failing "
        "items.",
    ),
    "cl.export": ("导出 XLSX", "Export XLSX"),
    "cl.open": ("查看清单", "Open checklist"),
    "cl.no_projects": ("没有项目", "No projects"),
}
