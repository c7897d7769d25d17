"""Running the Slack searches Claude asks for in one answer, as the person who asked: within the
answer's limit of searches, only with the action token of the event that started the turn, and
keeping the messages found for the links under the answer."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core import slack_search
from bot.core.citations import Source
from bot.core.slack_search import Hit, Limits
from bot.flows.shared import Services
from bot.slack.client import BudgetedWebClient
from bot.slack.search import search_messages

log = logging.getLogger(__name__)


@dataclass
class SlackSearch:
    """One answer's Slack searches. `action_token`: None when the turn didn't start from a message
    event (a slash command, a shortcut, a button), and then nothing is searched."""

    services: Services
    client: BudgetedWebClient
    team_id: str
    action_token: str | None
    everywhere: bool
    """The answer is for the asker alone, so their private conversations may be searched."""
    limits: Limits
    question: tuple[str, str] | None = None
    """The message that asked (channel, ts): left out of the results."""
    used: int = 0
    refused: bool = False
    """Claude asked to search without an action token: the answer says why it couldn't."""
    hits: list[Hit] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    async def answer(self, calls: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """A tool result for each call, in order: every call gets one, as the API requires."""
        return [await self._one(call) for call in calls]

    def sources(self) -> list[Source]:
        return slack_search.sources_of(self.hits, self.names)

    async def _one(self, call: Mapping[str, Any]) -> dict[str, Any]:
        tool_use_id = str(call.get("id") or "")
        query = slack_search.query_of(call.get("input") or {})
        if self.action_token is None:
            self.refused = True
            return slack_search.tool_result(tool_use_id, slack_search.NO_ACTION_TOKEN, error=True)
        if self.used >= self.limits.searches:
            return slack_search.tool_result(tool_use_id, slack_search.LIMIT_REACHED, error=True)
        if not query:
            return slack_search.tool_result(tool_use_id, slack_search.EMPTY_QUERY, error=True)
        self.used += 1
        args = slack_search.search_args(query, self.action_token, self.limits, everywhere=self.everywhere)
        try:
            data = await search_messages(self.client, args)
        except SlackApiError as exc:
            reason = str(exc.response.get("error") or "unavailable")
            log.warning("assistant.search.context failed: %s", reason)
            failed = slack_search.FAILED.format(reason=reason)
            return slack_search.tool_result(tool_use_id, failed, error=True)
        hits = slack_search.hits_of(data, self.limits, skip=self.question)
        self.names |= await self.services.users.names(
            self.client,
            self.team_id,
            [hit.author_id for hit in hits if hit.author_id],
            limit=self.services.settings.user_lookups_per_turn,
        )
        self.hits.extend(hits)
        return slack_search.tool_result(tool_use_id, slack_search.result_text(query, hits, self.names))
