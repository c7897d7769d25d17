"""Settings from the environment (and a `.env` file), checked once at start-up.

Every problem is reported as one sentence naming the variable, because the first person to
see it is someone setting the bot up, not someone reading a traceback.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.files import FileLimits

DEFAULT_SYSTEM_PROMPT = (
    "Be helpful, accurate and direct. When you are not sure, say so. Prefer short answers "
    "with the key point first; use lists and code blocks where they help."
)


class StreamMode(StrEnum):
    """How a growing answer reaches Slack: native streaming, message edits, or native with fallback."""

    AUTO = "auto"
    NATIVE = "native"
    EDIT = "edit"


DEFAULT_RATE_LIMITS = {
    "chat.postMessage": 50,
    "chat.update": 45,
    "chat.delete": 45,
    "chat.startStream": 45,
    "chat.appendStream": 90,
    "chat.stopStream": 45,
    "assistant.threads.setStatus": 500,
}
"""Calls per minute per workspace the bot allows itself: a margin under Slack's tiers."""


MIB = 1024 * 1024


class SuggestedPrompt(BaseModel):
    """One of the starters Slack's AI app pane offers under the greeting; a click sends `message`."""

    title: str = Field(min_length=1, max_length=75)
    message: str = Field(min_length=1, max_length=4000)


DEFAULT_GREETING = (
    "Hi! Ask me anything here. I can read screenshots, PDFs and text files you attach, and when "
    "you open me beside a channel I follow that channel's instructions."
)
DEFAULT_ASSISTANT_PROMPTS = (
    SuggestedPrompt(title="Summarize a document", message="Please summarize the file I'm attaching."),
    SuggestedPrompt(title="Draft a message", message="Help me draft a short, friendly note to my team on "),
    SuggestedPrompt(title="Explain an error", message="What does this error mean, and how do I fix it?\n"),
    SuggestedPrompt(title="Brainstorm ideas", message="Brainstorm ten ideas for "),
)


class ConfigError(Exception):
    """A setting is missing or malformed; the message is meant for the operator as is."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    claude_model: str = "claude-sonnet-5-5"
    claude_models: Annotated[tuple[str, ...], NoDecode] = (
        "claude-sonnet-5-5",
        "claude-opus-5-5",
        "claude-haiku-5-5",
    )
    """What `/claude model` may choose from (comma-separated); `CLAUDE_MODEL` is always allowed."""
    monthly_token_budget: int | None = Field(default=None, gt=0)
    """Tokens per workspace per calendar month (UTC); none means unlimited. `/claude budget` overrides it."""
    claude_max_tokens: int = Field(default=4096, gt=0)
    claude_max_retries: int = Field(default=2, ge=0, le=10)
    claude_timeout_seconds: float = Field(default=600.0, gt=0)
    claude_first_token_timeout: float = Field(default=120.0, gt=0)
    claude_idle_timeout: float = Field(default=60.0, gt=0)
    claude_total_timeout: float = Field(default=900.0, gt=0)
    claude_busy_notice_seconds: float = Field(default=8.0, gt=0)
    claude_context_window: int = Field(default=200_000, gt=1000)
    context_margin_tokens: int = Field(default=4_000, ge=0)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    max_replies_per_user: int = Field(default=3, ge=1)
    """Answers one person may have in the making at once; more wait their turn."""
    max_turns_in_flight: int = Field(default=100, ge=1)
    max_queued_per_user: int = Field(default=10, ge=0)
    max_queued_turns: int = Field(default=1000, ge=0)
    bot_system_prompt: str = DEFAULT_SYSTEM_PROMPT

    database_url: str = "sqlite+aiosqlite:///./bot.db"
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    bot_answer_other_bots: bool = False
    slack_stream_mode: StreamMode = StreamMode.AUTO
    slack_rate_limits: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    slack_stop_button: bool = True
    slack_feedback_buttons: bool = True
    assistant_greeting: str = Field(default=DEFAULT_GREETING, min_length=1, max_length=3000)
    assistant_prompts: list[SuggestedPrompt] = Field(
        default_factory=lambda: list(DEFAULT_ASSISTANT_PROMPTS), max_length=4
    )
    """JSON: `[{"title": …, "message": …}]`, or plain strings used as both; Slack shows up to four."""
    slack_update_interval: float = Field(default=1.0, ge=0.05)
    slack_message_chars: int = Field(default=12_000, ge=500, le=12_000)
    user_name_cache_seconds: float = Field(default=3600.0, ge=0)

    file_max_download_bytes: int = Field(default=30 * MIB, gt=0)
    file_download_timeout_seconds: float = Field(default=20.0, gt=0)
    image_max_edge: int = Field(default=1568, ge=200, le=8000)
    image_max_pixels: int = Field(default=1_150_000, ge=40_000)
    image_max_source_pixels: int = Field(default=50_000_000, gt=0)
    pdf_max_bytes: int = Field(default=20 * MIB, gt=0)
    pdf_max_pages: int = Field(default=100, gt=0)
    text_file_max_chars: int = Field(default=100_000, gt=0)
    attachments_max_bytes: int = Field(default=28 * MIB, gt=0)
    file_cache_bytes: int = Field(default=200 * MIB, ge=0)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("SLACK_BOT_TOKEN must be the bot token that starts with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN must be the app-level token that starts with xapp-")
        return value

    @field_validator("assistant_prompts", mode="before")
    @classmethod
    def _prompt_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"title": item, "message": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("claude_models", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    def file_limits(self) -> FileLimits:
        return FileLimits(
            max_download_bytes=self.file_max_download_bytes,
            download_timeout_seconds=self.file_download_timeout_seconds,
            image_max_edge=self.image_max_edge,
            image_max_pixels=self.image_max_pixels,
            image_max_source_pixels=self.image_max_source_pixels,
            pdf_max_bytes=self.pdf_max_bytes,
            pdf_max_pages=self.pdf_max_pages,
            text_max_chars=self.text_file_max_chars,
            attachments_max_bytes=self.attachments_max_bytes,
        )

    @property
    def allowed_models(self) -> tuple[str, ...]:
        """`CLAUDE_MODEL` first, then the rest of `CLAUDE_MODELS`, each once."""
        return tuple(dict.fromkeys((self.claude_model, *self.claude_models)))

    @property
    def context_budget_tokens(self) -> int:
        """What the prompt may use: the window less the answer's room and a margin."""
        return self.claude_context_window - self.claude_max_tokens - self.context_margin_tokens

    @property
    def oauth(self) -> bool:
        """Installable in many workspaces: tokens come from the installation store, not the env."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def check_for_serving(self) -> None:
        """Refuse to start without what `bot serve` needs, naming what to set."""
        if self.slack_bot_token is None and not self.oauth:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack "
                "app's OAuth & Permissions page into the environment or .env (or set SLACK_CLIENT_ID "
                "and SLACK_CLIENT_SECRET to install through OAuth)."
            )
        if not self.socket_mode and self.slack_signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs the Signing Secret from your Slack "
                "app's Basic Information page (or set SLACK_APP_TOKEN to use Socket Mode)."
            )
        if self.anthropic_api_key is None:
            raise ConfigError(
                "ANTHROPIC_API_KEY is not set: create a key in the Claude Console and put it in the "
                "environment or .env."
            )


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one operator-friendly sentence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
        message = str(error["msg"]).removeprefix("Value error, ")
        if name in message:
            raise ConfigError(message + ".") from None
        raise ConfigError(f"{name} is not valid: {message}.") from None
