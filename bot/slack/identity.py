"""Who the bot is in a single-workspace install: one `auth.test` per token, at start-up.

Bolt's single-team authorization asks `auth.test` on every request until one answer has come
back, so a burst of events at start-up made one call each (220 calls, 60 of them 429s). Here the
token is checked once when the process starts, a wrong or revoked token stops it with one
sentence, and every request is authorized from that answer. When Slack can't be reached at
start-up the bot starts anyway and asks again on the first event, once however many arrive.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.client import BudgetedWebClient

log = logging.getLogger(__name__)

START_UP_TIMEOUT = 10.0
REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)


class TokenRefused(Exception):
    """Slack rejected the bot token outright (as opposed to not answering)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class SingleWorkspace:
    def __init__(self, client: BudgetedWebClient) -> None:
        self._client = client
        self._answer: AsyncSlackResponse | None = None

    @property
    def team_id(self) -> str | None:
        return self._answer.get("team_id") if self._answer else None

    async def verify(self, timeout: float = START_UP_TIMEOUT) -> None:
        """Ask Slack who the token belongs to; refuse to start on a token Slack rejects."""
        try:
            async with asyncio.timeout(timeout):
                await self._auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in REFUSED:
                raise TokenRefused(error) from None
            log.warning("could not check SLACK_BOT_TOKEN with Slack (%s); starting anyway", error)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning(
                "could not reach Slack to check SLACK_BOT_TOKEN (%s); starting anyway", type(exc).__name__
            )

    async def authorize(self) -> AuthorizeResult:
        """Bolt's `authorize`: every request is this workspace's bot, as `auth.test` said."""
        answer = self._answer or await self._auth_test()
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=answer, bot_token=self._client.token
        )

    async def _auth_test(self) -> AsyncSlackResponse:
        answer = await self._client.auth_test()
        self._answer = answer
        self._client.workspace = str(answer.get("team_id") or "")
        return answer
