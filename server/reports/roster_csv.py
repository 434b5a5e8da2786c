"""The monthly roster (考勤表) as CSV: UTF-8 with BOM so Excel opens the Chinese correctly."""

from __future__ import annotations

from server.reports import cells
from server.rosters import service as roster_service

_FIXED = (
    "序号 No.",
    "姓名 Name",
    "身份证号 ID (masked)",
    "劳务企业 Company",
    "班组 Team",
    "工种 Trade",
    "进场日期 Entered",
    "退场日期 Left",
)
_TOTALS = ("出勤天数 Days", "工时 Hours", "补卡天数 Corrected days", "异常 Anomalies")


def month_csv(roster: roster_service.MonthRoster) -> bytes:
    """One header row, one row per worker: day cells hold the grid marks (√ ½ ○ ! -)."""
    rows: list[list[object]] = [[*_FIXED, *(str(d.day) for d in roster.days), *_TOTALS]]
    for n, r in enumerate(roster.rows, 1):
        m = r.month
        rows.append(
            [
                n,
                r.name,
                r.id_number_masked,
                r.company_name,
                r.team_name,
                r.trade,
                r.entered_on.isoformat() if r.entered_on else "",
                r.left_on.isoformat() if r.left_on else "",
                *(c.status.mark for c in m.cells),
                f"{m.attended_days:g}",
                f"{m.total_hours:.2f}",
                m.corrected_days,
                m.anomaly_count,
            ]
        )
    return cells.csv_bytes(rows)
