"""Tables. Timestamps are timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UsageRecord(SQLModel, table=True):
    """One row per Messages API call, including calls that failed after spending tokens."""

    __tablename__ = "usage_records"

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


class EventClaim(SQLModel, table=True):
    """A message the bot has taken on; the unique key makes Slack's redeliveries no-ops."""

    __tablename__ = "event_claims"

    event_key: str = Field(primary_key=True, max_length=128)
    claimed_at: datetime = Field(default_factory=utcnow, index=True)
