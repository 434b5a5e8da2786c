"""ledger retention: the database itself refuses to delete payroll ledger rows within 3 years

Triggers abort a DELETE of a disbursement line, a wage sheet or line, a line's history, an item
of a locked sheet, or a 补卡 correction, while its month is less than three years past
(条例 Art. 15; server/wages/retention.py is the app's own guard with the clear message). Gate
events are left to the chain check. SQLite and PostgreSQL.

Revision ID: 0012_ledger_retention
Revises: 0008_activation_codes
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_ledger_retention"
down_revision: str | Sequence[str] | None = "0008_activation_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the month of the row being deleted, as SQL over OLD (SQLite, PostgreSQL)
_MONTH = {
    "payroll_line": ("OLD.period", "OLD.period"),
    "wage_sheet": ("OLD.period", "OLD.period"),
    "wage_line": ("OLD.period", "OLD.period"),
    "wage_line_event": (
        "(SELECT period FROM wage_line WHERE id = OLD.line_id)",
        "(SELECT period FROM wage_line WHERE id = OLD.line_id)",
    ),
    "wage_item": (
        "(SELECT l.period FROM wage_line l JOIN wage_sheet s ON s.id = l.sheet_id"
        " WHERE l.id = OLD.line_id AND s.state IN ('locked', 'paid'))",
        "(SELECT l.period FROM wage_line l JOIN wage_sheet s ON s.id = l.sheet_id"
        " WHERE l.id = OLD.line_id AND s.state IN ('locked', 'paid'))",
    ),
    "attendance_correction": ("strftime('%Y-%m', OLD.at)", "to_char(OLD.at, 'YYYY-MM')"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, (month, _) in _MONTH.items():
            op.execute(
                f"CREATE TRIGGER keep_{table} BEFORE DELETE ON {table} "
                f"WHEN {month} >= strftime('%Y-%m', 'now', '-3 years') "
                f"BEGIN SELECT RAISE(ABORT, 'ledger.retention: {table} rows are kept for "
                "three years (Art. 15)'); END"
            )
        return
    for table, (_, month) in _MONTH.items():
        op.execute(
            f"CREATE FUNCTION keep_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {month} >= to_char(now() - interval '3 years', 'YYYY-MM') THEN "
            f"RAISE EXCEPTION 'ledger.retention: {table} rows are kept for three years "
            f"(Art. 15)'; END IF; RETURN OLD; END $$"
        )
        op.execute(
            f"CREATE TRIGGER keep_{table} BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION keep_{table}()"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _MONTH:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS keep_{table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS keep_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS keep_{table}()")
