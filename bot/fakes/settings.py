"""Settings that point the real bot at the fakes, shared by the tests and `bot sandbox`."""

from __future__ import annotations

from typing import Any

from bot.fakes.claude import FakeClaude
from bot.fakes.slack import FakeSlack


def slack_settings(slack: FakeSlack) -> dict[str, Any]:
    """One workspace in HTTP mode: an app token or OAuth credentials left in the environment
    would otherwise switch the bot to Socket Mode or to installations the fake never made."""
    return {
        "slack_bot_token": slack.bot_token,
        "slack_signing_secret": slack.signing_secret,
        "slack_api_url": slack.api_url,
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
    }


def claude_settings(claude: FakeClaude) -> dict[str, Any]:
    return {"anthropic_api_key": claude.api_key, "anthropic_base_url": claude.base_url}
