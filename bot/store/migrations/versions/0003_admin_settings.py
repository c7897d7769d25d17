"""Workspace settings, channel models, prompt history and feedback; the answer's ts on the ledger,
indexed with its team and channel so a feedback press finds the answer's row.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage_records") as batch:
        batch.add_column(sa.Column("reply_ts", sa.String(32), nullable=True))
    op.create_index("ix_usage_records_reply", "usage_records", ["team_id", "channel_id", "reply_ts"])

    op.create_table(
        "workspace_settings",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("enterprise_id", sa.String(32), nullable=True),
        sa.Column("prompt", sa.String(), nullable=True),
        sa.Column("model", sa.String(100), nullable=True),
        sa.Column("monthly_token_budget", sa.Integer(), nullable=True),
        sa.Column("channel_prompts_admins_only", sa.Boolean(), nullable=False),
        sa.Column("budget_warned_month", sa.String(7), nullable=True),
        sa.Column("updated_by", sa.String(32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.create_table(
        "channel_models",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("set_by", sa.String(32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.create_table(
        "prompt_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("old_prompt", sa.String(), nullable=True),
        sa.Column("new_prompt", sa.String(), nullable=True),
        sa.Column("changed_by", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_prompt_changes_team_id_changed_at", "prompt_changes", ["team_id", "changed_at"])

    op.create_table(
        "feedback",
        sa.Column("usage_record_id", sa.Integer(), sa.ForeignKey("usage_records.id"), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_team_id", "feedback", ["team_id"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_index("ix_prompt_changes_team_id_changed_at", table_name="prompt_changes")
    op.drop_table("prompt_changes")
    op.drop_table("channel_models")
    op.drop_table("workspace_settings")
    op.drop_index("ix_usage_records_reply", table_name="usage_records")
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("reply_ts")
