"""Web search, web fetch and extended thinking: their requests and thinking tokens on the ledger,
and the feature settings per channel and workspace.

Existing ledger rows get 0 in the new columns: no call before this revision used a server tool.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None

COUNTERS = ("web_search_requests", "web_fetch_requests", "thinking_tokens", "tool_tokens")


def upgrade() -> None:
    with op.batch_alter_table("usage_records") as batch:
        for name in COUNTERS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "feature_settings",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("scope", sa.String(32), primary_key=True),
        sa.Column("feature", sa.String(32), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("set_by", sa.String(32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feature_settings")
    with op.batch_alter_table("usage_records") as batch:
        for name in COUNTERS:
            batch.drop_column(name)
