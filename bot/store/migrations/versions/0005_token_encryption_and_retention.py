"""Room for encrypted Slack tokens, and what retention needs to find old rows.

- The token columns of slack_sdk's `slack_installations` and `slack_bots` become TEXT: a Fernet
  ciphertext is about 1.4 times the token plus 100 characters, and rotating tokens are already
  close to the 200 that slack_sdk gives them (PostgreSQL enforces it). Rows are encrypted by the
  bot at start-up, not here: the key is a secret of the running bot, not of the schema.
- `bot_threads.last_active_at`, indexed: retention forgets a thread some time after its last
  turn, not after its first. Existing rows start from their `created_at`; the server default
  keeps the previous version (which doesn't know the column) able to insert, for a rollback.
- `prompt_changes.changed_at`, indexed: retention finds old prompt history without a full scan.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

TOKEN_COLUMNS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


def upgrade() -> None:
    for table, columns in TOKEN_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(200))

    with op.batch_alter_table("bot_threads") as batch:
        batch.add_column(sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE bot_threads SET last_active_at = created_at")
    with op.batch_alter_table("bot_threads") as batch:
        batch.alter_column(
            "last_active_at",
            existing_type=sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        )
    op.create_index("ix_bot_threads_last_active_at", "bot_threads", ["last_active_at"])
    op.create_index("ix_prompt_changes_changed_at", "prompt_changes", ["changed_at"])


def downgrade() -> None:
    """Tokens must be in clear (or short enough) again before this: run the previous version's
    code against a database whose tokens it can't read and it fails anyway."""
    op.drop_index("ix_prompt_changes_changed_at", table_name="prompt_changes")
    op.drop_index("ix_bot_threads_last_active_at", table_name="bot_threads")
    with op.batch_alter_table("bot_threads") as batch:
        batch.drop_column("last_active_at")
    for table, columns in TOKEN_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.String(200), existing_type=sa.Text())
