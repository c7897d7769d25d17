"""Settings from the environment (and a `.env` file), checked once at start-up.

Every problem is reported as one sentence naming the variable, because the first person to
see it is someone setting the bot up, not someone reading a traceback.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from bot.core.rate_window import PER_CHANNEL, Limit, parse_limit, parse_limits
from bot.files.model import FileLimits
from bot.store.token_cipher import KEY_HELP, parse_keys
from bot.store.urls import engine_url

DEFAULT_SYSTEM_PROMPT = (
    "Be helpful, accurate and direct. When you are not sure, say so. Prefer short answers "
    "with the key point first; use lists and code blocks where they help."
)


class StreamMode(StrEnum):
    """How a growing answer reaches Slack: native streaming, message edits, or native with fallback."""

    AUTO = "auto"
    NATIVE = "native"
    EDIT = "edit"


DEFAULT_RATE_LIMITS: dict[str, int | str] = {
    "chat.postMessage": "8/10s",
    "chat.update": 45,
    "chat.delete": 45,
    "chat.startStream": 45,
    "chat.appendStream": 90,
    "chat.stopStream": 45,
    "assistant.threads.setStatus": 500,
    "assistant.threads.setTitle": 90,
    "assistant.threads.setSuggestedPrompts": 90,
    "auth.test": 90,
    "conversations.replies": 45,
    "conversations.history": 45,
    "conversations.info": 45,
    "conversations.members": 90,
    "chat.getPermalink": 90,
    "users.info": 90,
    "users.list": 18,
    "views.open": 90,
    "views.publish": 90,
    "files.getUploadURLExternal": 90,
    "files.completeUploadExternal": 90,
    "files.delete": 45,
    "assistant.search.context": 10,
}
"""What the bot allows itself, a margin under Slack's limits: calls a minute per workspace (Tier 2 ≈
20, Tier 3 ≈ 50, Tier 4 ≈ 100), or `"N/Ss"`; `chat.postMessage` is counted per channel, where Slack
allows about one a second with short bursts. `conversations.history` and `conversations.info` are
Tier 3 (history: one a minute for commercially distributed apps outside the Marketplace, as
`conversations.replies`), `conversations.members` Tier 4; `chat.getPermalink` has "special" limits
Slack doesn't publish, taken as Tier 4. `assistant.search.context` (Slack search) has "special" limits,
about 10 a minute for most teams."""


MIB = 1024 * 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_USAGE_RETENTION_DAYS = 62
"""The ledger must cover the current calendar month (budgets) and the last 30 days (usage views)."""


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


JSON_EXAMPLES = {
    "slack_rate_limits": '{"chat.update": 45}',
    "assistant_prompts": '[{"title": "Draft a message", "message": "Help me draft a note to "}]',
}
"""How each JSON setting is written, quoted back to whoever got one wrong."""


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
    token_encryption_keys: SecretStr | None = None
    """OAuth: Fernet keys, comma-separated, newest first, that encrypt stored Slack tokens."""
    allow_plaintext_tokens: bool = False
    """OAuth without `TOKEN_ENCRYPTION_KEYS`: store tokens in clear, knowingly."""

    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    claude_model: str = "claude-sonnet-5-5"
    claude_models: Annotated[tuple[str, ...], NoDecode] = (
        "claude-sonnet-5-5",
        "claude-opus-5-5",
        "claude-haiku-5-5",
    )
    """What `/claude model` may choose from (comma-separated); `CLAUDE_MODEL` is always allowed."""
    claude_web_search_tool: str = "web_search_20250305"
    """The web search server tool's `type` (its version); `/claude tools web` turns it on."""
    claude_web_fetch_tool: str = "web_fetch_20250910"
    """The web fetch server tool's `type`; sent beside web search. Empty: search only."""
    web_max_uses: int = Field(default=5, ge=1, le=50)
    """Searches (and page reads) per answer, unless a workspace sets its own."""
    web_fetch_max_content_tokens: int = Field(default=20_000, ge=1_000)
    web_search_budget_tokens: int = Field(default=3_300, ge=0)
    """What one web search counts as against a monthly token budget (about its price in input
    tokens); page reads cost only the tokens they add, which the ledger counts anyway."""
    claude_thinking_models: Annotated[tuple[str, ...], NoDecode] = (
        "claude-sonnet-5-5",
        "claude-opus-5-5",
        "claude-haiku-5-5",
    )
    """Models that get extended thinking when `/claude thinking` turns it on (comma-separated)."""
    claude_thinking_type: Literal["adaptive", "enabled"] = "adaptive"
    claude_thinking_budget_tokens: int = Field(default=4_096, ge=1_024)
    """Room for thinking added to `CLAUDE_MAX_TOKENS` (thinking counts toward `max_tokens`), and
    the `budget_tokens` sent when `CLAUDE_THINKING_TYPE=enabled`."""
    slack_search_max_uses: int = Field(default=3, ge=1, le=10)
    """Slack searches Claude may run for one answer; past it, the tool says the limit is reached."""
    slack_search_results: int = Field(default=10, ge=1, le=20)
    """Messages one Slack search brings back (Slack gives at most 20 a page)."""
    slack_search_result_chars: int = Field(default=500, ge=50, le=4000)
    """Characters taken from each message a Slack search found."""
    claude_pause_turn_limit: int = Field(default=3, ge=0, le=10)
    """Continuations of one answer the API paused (`pause_turn`, during long tool use)."""
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
    usage_retention_days: int = Field(default=400, ge=0)
    """Ledger rows (and their feedback) are deleted after this many days; 0 keeps them forever."""
    thread_retention_days: int = Field(default=90, ge=0)
    """A thread quiet this long is forgotten (a reply there then needs a new mention); 0: never."""
    prompt_history_retention_days: int = Field(default=365, ge=0)
    """`/claude prompt history` (old and new prompt texts) is kept this long; 0: forever."""
    host: str = "0.0.0.0"
    install_rate_limit: int = Field(default=10, ge=1)
    """OAuth: requests a minute one client may make to `/slack/install` and the redirect URL."""
    client_ip_header: str | None = None
    """The header a proxy in front of the bot puts the client's address in (Fly: `Fly-Client-IP`)."""
    port: int = Field(default=3000, ge=0, le=65535)
    metrics_port: int = Field(default=9091, ge=0, le=65535)
    """`/readyz` and `/metrics`, on `HOST` too: keep this port off the internet (Fly's proxy and a
    `docker run -p` only publish what they are told to)."""
    log_level: str = "INFO"
    library_log_level: str | None = None
    """slack_sdk, Bolt, anthropic, HTTP and database libraries; INFO (or `LOG_LEVEL` when quieter)
    unless set: at DEBUG they log message text and SQL parameters."""
    log_format: Literal["text", "json"] = "text"

    bot_answer_other_bots: bool = False
    slack_stream_mode: StreamMode = StreamMode.AUTO
    slack_rate_limits: dict[str, int | str] = Field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    """The whole table (methods left out have no budget); `{}` turns the bot's own budget off."""
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
    user_lookups_per_turn: int = Field(default=40, ge=0)
    """`users.info` calls one turn may make for names (Tier 4: 100 a minute per workspace)."""

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

    @field_validator("slack_rate_limits")
    @classmethod
    def _rates_parse(cls, value: dict[str, int | str]) -> dict[str, int | str]:
        for method, rate in value.items():
            try:
                parse_limit(rate)
            except ValueError as exc:
                raise ValueError(f"SLACK_RATE_LIMITS[{method!r}]: {exc}") from None
        return value

    @field_validator("token_encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_keys(value.get_secret_value())
        return value

    @field_validator("usage_retention_days")
    @classmethod
    def _ledger_covers_budgets(cls, value: int) -> int:
        if 0 < value < MIN_USAGE_RETENTION_DAYS:
            raise ValueError(
                f"USAGE_RETENTION_DAYS must be 0 (keep forever) or at least {MIN_USAGE_RETENTION_DAYS}: "
                "monthly budgets and the 30-day usage views read the ledger"
            )
        return value

    @field_validator("log_level", "library_log_level")
    @classmethod
    def _level_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"use one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @field_validator("assistant_prompts", mode="before")
    @classmethod
    def _prompt_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"title": item, "message": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("claude_models", "claude_thinking_models", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        engine_url(value)  # raises UnsupportedDatabase, a ValueError naming the setting
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

    def rate_limits(self) -> dict[str, Limit]:
        return parse_limits(self.slack_rate_limits, PER_CHANNEL)

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

    @property
    def token_keys(self) -> list[str]:
        """`TOKEN_ENCRYPTION_KEYS`, newest first; empty when unset."""
        keys = self.token_encryption_keys
        return parse_keys(keys.get_secret_value()) if keys is not None else []

    def check_token_storage(self) -> None:
        """OAuth keeps every workspace's tokens in the database: encrypted, unless allowed in clear."""
        if self.oauth and self.token_encryption_keys is None and not self.allow_plaintext_tokens:
            raise ConfigError(
                "TOKEN_ENCRYPTION_KEYS is not set: OAuth installs keep Slack tokens in the database, "
                f"encrypted with this key ({KEY_HELP}), unless ALLOW_PLAINTEXT_TOKENS=true "
                "stores them in clear."
            )

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
        self.check_token_storage()


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one operator-friendly sentence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except SettingsError as exc:
        raise ConfigError(_not_json(exc)) from None
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
        message = str(error["msg"]).removeprefix("Value error, ")
        if name in message:
            raise ConfigError(message + ".") from None
        raise ConfigError(f"{name} is not valid: {message}.") from None


def _not_json(error: SettingsError) -> str:
    """pydantic-settings decodes JSON settings before validating them, and says only which field."""
    found = re.search(r'field "(\w+)"', str(error))
    field = found.group(1) if found else ""
    name = field.upper() or "A setting"
    cause = f" ({error.__cause__})" if error.__cause__ else ""
    example = JSON_EXAMPLES.get(field)
    advice = f": write it like {example}" if example else ""
    return f"{name} is not valid JSON{cause}{advice}."
