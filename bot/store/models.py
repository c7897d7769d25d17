"""Tables. Timestamps are timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, Index, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UsageRecord(SQLModel, table=True):
    """One row per Messages API call, including calls that failed after spending tokens."""

    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_team_id_created_at", "team_id", "created_at"),
        Index("ix_usage_records_reply", "team_id", "channel_id", "reply_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    channel_id: str = Field(max_length=32)
    thread_ts: str = Field(max_length=32)
    user_id: str | None = Field(default=None, max_length=32)
    model: str = Field(max_length=100)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    stop_reason: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=128)
    ttft_ms: int | None = None
    duration_ms: int = 0
    error_kind: str | None = Field(default=None, max_length=64)
    reply_ts: str | None = Field(default=None, max_length=32)
    """The answer's first Slack message, so feedback on that answer finds this row."""
    web_search_requests: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    web_fetch_requests: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Server-tool requests, from the API's `usage.server_tool_use`."""
    thinking_tokens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Of `output_tokens`, those spent thinking (`usage.output_tokens_details`)."""
    tool_tokens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """What the call's web searches count as against a monthly budget (`WEB_SEARCH_BUDGET_TOKENS`
    each, as set when the row was written); not tokens the API counted."""


class ChannelPrompt(SQLModel, table=True):
    """A channel's system prompt set with `/claude prompt`."""

    __tablename__ = "channel_prompts"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    prompt: str
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(default_factory=utcnow)


class BotThread(SQLModel, table=True):
    """Threads the bot takes part in, so channel chatter is ignored with one lookup."""

    __tablename__ = "bot_threads"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    thread_ts: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    last_active_at: datetime = Field(
        default_factory=utcnow, index=True, sa_column_kwargs={"server_default": text("CURRENT_TIMESTAMP")}
    )
    """The thread's latest turn; retention forgets threads quiet for `THREAD_RETENTION_DAYS`."""


class EventClaim(SQLModel, table=True):
    """A message the bot has taken on; the unique key makes Slack's redeliveries no-ops."""

    __tablename__ = "event_claims"

    event_key: str = Field(primary_key=True, max_length=128)
    claimed_at: datetime = Field(default_factory=utcnow, index=True)


class WorkspaceSettings(SQLModel, table=True):
    """What a workspace's admins chose in Slack; no row means the deployment's defaults."""

    __tablename__ = "workspace_settings"

    team_id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    prompt: str | None = None
    """The workspace-wide system prompt (`/claude prompt --workspace`), layered before a channel's own."""
    model: str | None = Field(default=None, max_length=100)
    monthly_token_budget: int | None = None
    channel_prompts_admins_only: bool = False
    budget_warned_month: str | None = Field(default=None, max_length=7)
    """`YYYY-MM` of the month whose 80 % warning went out, so admins get it once a month."""
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)


class ChannelModel(SQLModel, table=True):
    """A channel's model chosen with `/claude model`."""

    __tablename__ = "channel_models"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    model: str = Field(max_length=100)
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(default_factory=utcnow)


class PromptChange(SQLModel, table=True):
    """Every prompt change, for `/claude prompt history`; `channel_id` None is the workspace prompt."""

    __tablename__ = "prompt_changes"
    __table_args__ = (Index("ix_prompt_changes_team_id_changed_at", "team_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    old_prompt: str | None = None
    new_prompt: str | None = None
    """None when the prompt was reset."""
    changed_by: str = Field(max_length=32)
    changed_at: datetime = Field(default_factory=utcnow, index=True)


class Feedback(SQLModel, table=True):
    """A 👍 (1) or 👎 (-1) on one answer; a person's later press replaces their earlier one."""

    __tablename__ = "feedback"

    usage_record_id: int = Field(primary_key=True, foreign_key="usage_records.id")
    user_id: str = Field(primary_key=True, max_length=32)
    team_id: str = Field(index=True, max_length=32)
    rating: int
    created_at: datetime = Field(default_factory=utcnow)


class SlackCallLease(SQLModel, table=True):
    """Slack calls leased by a replica: they count against their scope's limit until `counts_until`
    (the window after the last moment they may be made), whichever replica makes them."""

    __tablename__ = "slack_call_leases"
    __table_args__ = (Index("ix_slack_call_leases_scope_until", "scope", "counts_until"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)
    calls: int
    counts_until: datetime


class SlackCallReserve(SQLModel, table=True):
    """Calls a replica keeps for the final text of its replies still running, per scope: other
    replicas' progress calls leave them free, as the replica's own do."""

    __tablename__ = "slack_call_reserves"

    scope: str = Field(primary_key=True, max_length=200)
    replica: str = Field(primary_key=True, max_length=100)
    reserved: int = 0
    seen_at: datetime = Field(default_factory=utcnow)


class UsageMonth(SQLModel, table=True):
    """A workspace's tokens in one calendar month (UTC), kept with each ledger row in that row's
    transaction, so it always equals the ledger's sum. Budget reservations lock this row: a
    constant-time check instead of summing the month's ledger under a lock."""

    __tablename__ = "usage_months"

    team_id: str = Field(primary_key=True, max_length=32)
    month: str = Field(primary_key=True, max_length=7)
    """`YYYY-MM`."""
    tokens: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class TokenReservation(SQLModel, table=True):
    """Tokens set aside for a Claude call in flight: its estimate, until the ledger row replaces it.
    A reservation past `expires_at` (its turn crashed) no longer counts, and goes at the next one."""

    __tablename__ = "token_reservations"
    __table_args__ = (Index("ix_token_reservations_team_id_expires_at", "team_id", "expires_at"),)

    id: str = Field(primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ThreadLane(SQLModel, table=True):
    """The replica answering in a thread, so a thread gets one answer at a time across replicas;
    `pending` says another message arrived meanwhile (the holder answers it next)."""

    __tablename__ = "thread_lanes"

    thread_key: str = Field(primary_key=True, max_length=200)
    holder: str = Field(max_length=100)
    expires_at: datetime
    pending: bool = False
    pending_user: str | None = Field(default=None, max_length=32)


class FeatureSetting(SQLModel, table=True):
    """`/claude tools` and `/claude thinking`: a feature turned on or off in a channel, or for the
    workspace (`scope` "*"), and the workspace's per-answer limit of a tool's uses."""

    __tablename__ = "feature_settings"

    team_id: str = Field(primary_key=True, max_length=32)
    scope: str = Field(primary_key=True, max_length=32)
    feature: str = Field(primary_key=True, max_length=32)
    enabled: bool | None = None
    """None: not chosen here, the next layer decides."""
    max_uses: int | None = None
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(default_factory=utcnow)
