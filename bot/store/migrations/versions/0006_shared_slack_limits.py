"""Slack's limits shared by every replica: leased calls and reserves per scope, and on PostgreSQL
the one function that leases them in a single round trip.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None

TAKE = """
CREATE OR REPLACE FUNCTION bot_take_slack_calls(
    p_scope text, p_replica text, p_want integer, p_limit integer, p_window double precision,
    p_use_within double precision, p_progress boolean, p_keep integer, p_reserve integer
) RETURNS TABLE (
    granted integer, used integer, reserved integer, retry_in double precision, reserve_kept integer
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    moment timestamptz := clock_timestamp();
    soonest timestamptz;
    others integer;
    mine integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('bot.slack_calls:' || p_scope, 0));
    DELETE FROM slack_call_leases WHERE scope = p_scope AND counts_until <= moment;
    SELECT coalesce(sum(calls), 0)::integer, min(counts_until) INTO used, soonest
        FROM slack_call_leases WHERE scope = p_scope;
    SELECT coalesce(sum(r.reserved), 0)::integer INTO others
        FROM slack_call_reserves r
        WHERE r.scope = p_scope AND r.replica <> p_replica
          AND r.seen_at > moment - make_interval(secs => 2 * p_window);
    SELECT coalesce(max(r.reserved), 0) INTO mine
        FROM slack_call_reserves r WHERE r.scope = p_scope AND r.replica = p_replica;
    -- A reserve grows only into room nobody else holds: deciding how to write a reply is a claim.
    reserve_kept := CASE WHEN p_reserve > mine AND used + others + p_reserve > p_limit THEN mine
                         ELSE p_reserve END;
    INSERT INTO slack_call_reserves (scope, replica, reserved, seen_at)
        VALUES (p_scope, p_replica, reserve_kept, moment)
        ON CONFLICT (scope, replica) DO UPDATE SET reserved = EXCLUDED.reserved, seen_at = EXCLUDED.seen_at;
    reserved := others + reserve_kept;
    granted := greatest(
        0, least(p_want, p_limit - used - CASE WHEN p_progress THEN reserved + p_keep ELSE 0 END)
    );
    IF granted > 0 THEN
        INSERT INTO slack_call_leases (scope, calls, counts_until)
            VALUES (p_scope, granted, moment + make_interval(secs => p_use_within + p_window));
        used := used + granted;
        soonest := coalesce(soonest, moment + make_interval(secs => p_use_within + p_window));
    END IF;
    retry_in := coalesce(extract(epoch FROM soonest - moment), 0);
    RETURN NEXT;
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "slack_call_leases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("counts_until", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slack_call_leases_scope_until", "slack_call_leases", ["scope", "counts_until"])
    op.create_table(
        "slack_call_reserves",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("replica", sa.String(100), primary_key=True),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TAKE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS bot_take_slack_calls(text, text, integer, integer, double precision, "
            "double precision, boolean, integer, integer)"
        )
    op.drop_table("slack_call_reserves")
    op.drop_index("ix_slack_call_leases_scope_until", table_name="slack_call_leases")
    op.drop_table("slack_call_leases")
