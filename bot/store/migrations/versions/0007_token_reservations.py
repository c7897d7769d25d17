"""Monthly token budgets reserved before each Claude call: a running total per workspace and month
beside the ledger, and the reservations of calls in flight.

`usage_months` starts empty: a workspace's row is filled from the ledger the first time that
month's total is needed, so rows written before this revision still count.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_months",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "token_reservations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_token_reservations_team_id_expires_at", "token_reservations", ["team_id", "expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_token_reservations_team_id_expires_at", table_name="token_reservations")
    op.drop_table("token_reservations")
    op.drop_table("usage_months")
