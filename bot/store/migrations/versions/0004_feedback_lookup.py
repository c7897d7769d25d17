"""An index for finding an answer's ledger row from a feedback press (team, channel, reply ts).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_usage_records_reply", "usage_records", ["team_id", "channel_id", "reply_ts"])


def downgrade() -> None:
    op.drop_index("ix_usage_records_reply", table_name="usage_records")
