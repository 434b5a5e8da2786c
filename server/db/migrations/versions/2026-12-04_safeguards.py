"""wage-protection records: wage account, wage deposit, payment guarantee, labour officer,
labour contracts with their scans, and the wage account's imported statement (server/safeguards)

Revision ID: 0021_safeguards
Revises: 0020_id_types
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision: str = "0021_safeguards"
down_revision: str | Sequence[str] | None = "0020_id_types"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "wage_account",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("bank_name", sa.String(128), nullable=False),
        sa.Column("account_no", sa.String(32), nullable=False),
        sa.Column("account_name", sa.String(128), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("tripartite_signed_on", sa.Date(), nullable=True),
        sa.Column("owner_name", sa.String(128), nullable=False),
        sa.Column("updated_by_user_id", BigId, nullable=True),
        *_stamps(),
        _fk("wage_account", "project_id", "project", "CASCADE"),
        _fk("wage_account", "updated_by_user_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_wage_account"),
        sa.UniqueConstraint("project_id", name="uq_wage_account_project_id"),
    )
    op.create_table(
        "wage_deposit",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("form", sa.String(16), nullable=False),
        sa.Column("amount_fen", BigId, nullable=False),
        sa.Column("contract_price_fen", BigId, nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("created_by_user_id", BigId, nullable=True),
        *_stamps(),
        _fk("wage_deposit", "project_id", "project", "CASCADE"),
        _fk("wage_deposit", "created_by_user_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_wage_deposit"),
    )
    op.create_index("ix_wage_deposit_project_id", "wage_deposit", ["project_id"])
    op.create_table(
        "payment_guarantee",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("form", sa.String(16), nullable=False),
        sa.Column("amount_fen", BigId, nullable=False),
        sa.Column("issuer", sa.String(128), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_by_user_id", BigId, nullable=True),
        *_stamps(),
        _fk("payment_guarantee", "project_id", "project", "CASCADE"),
        _fk("payment_guarantee", "created_by_user_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_guarantee"),
    )
    op.create_index("ix_payment_guarantee_project_id", "payment_guarantee", ["project_id"])
    op.create_table(
        "labour_officer",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(24), nullable=False),
        sa.Column("appointed_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_by_user_id", BigId, nullable=True),
        *_stamps(),
        _fk("labour_officer", "project_id", "project", "CASCADE"),
        _fk("labour_officer", "created_by_user_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_labour_officer"),
    )
    op.create_index(
        "ix_labour_officer_project_appointed", "labour_officer", ["project_id", "appointed_on"]
    )
    op.create_table(
        "labour_contract",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("assignment_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("pay_unit", sa.String(16), nullable=False),
        sa.Column("unit_price_fen", BigId, nullable=False),
        sa.Column("scan", sa.LargeBinary(), nullable=True),
        sa.Column("scan_type", sa.String(32), nullable=False),
        sa.Column("scan_sha256", sa.String(64), nullable=False),
        sa.Column("updated_by_user_id", BigId, nullable=True),
        *_stamps(),
        _fk("labour_contract", "assignment_id", "assignment", "CASCADE"),
        _fk("labour_contract", "project_id", "project", "CASCADE"),
        _fk("labour_contract", "updated_by_user_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_labour_contract"),
        sa.UniqueConstraint("assignment_id", name="uq_labour_contract_assignment_id"),
    )
    op.create_index("ix_labour_contract_project_id", "labour_contract", ["project_id"])
    op.create_table(
        "wage_statement",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("file_name", sa.String(256), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("user_id", BigId, nullable=True),
        _fk("wage_statement", "project_id", "project", "CASCADE"),
        _fk("wage_statement", "user_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_wage_statement"),
        sa.UniqueConstraint("project_id", "sha256", name="uq_wage_statement_project_id_sha256"),
    )
    op.create_index("ix_wage_statement_project_id", "wage_statement", ["project_id"])
    op.create_table(
        "wage_statement_line",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("statement_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount_fen", BigId, nullable=False),
        sa.Column("balance_fen", BigId, nullable=True),
        sa.Column("counterparty_name", sa.String(128), nullable=False),
        sa.Column("counterparty_account", sa.String(40), nullable=False),
        sa.Column("summary", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _fk("wage_statement_line", "statement_id", "wage_statement", "CASCADE"),
        _fk("wage_statement_line", "project_id", "project", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_wage_statement_line"),
        sa.UniqueConstraint(
            "project_id", "fingerprint", name="uq_wage_statement_line_project_id_fingerprint"
        ),
    )
    op.create_index("ix_wage_statement_line_statement_id", "wage_statement_line", ["statement_id"])
    op.create_index(
        "ix_wage_statement_line_project_booked", "wage_statement_line", ["project_id", "booked_on"]
    )


def downgrade() -> None:
    op.drop_table("wage_statement_line")
    op.drop_table("wage_statement")
    op.drop_table("labour_contract")
    op.drop_table("labour_officer")
    op.drop_table("payment_guarantee")
    op.drop_table("wage_deposit")
    op.drop_table("wage_account")
