"""The App Home's tokens-per-day chart as a file in the workspace, kept per workspace so opening
Home costs no upload while the chart is current (the same day, the same figures). A new chart
replaces (and deletes) the last.

Uploads go through slack_sdk's `files_upload_v2`: `files.getUploadURLExternal`, the bytes to the
URL Slack gives (no token sent there), `files.completeUploadExternal` with no channel, so the file
stays private to the bot and only the Home tab's `image` block shows it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.chart import Day, daily_tokens_png
from bot.core.home_view import CHART_TITLE, chart_summary

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE_SECONDS = 900.0
"""After Slack refused an upload (no files:write scope yet, uploads disabled…): Home opens meanwhile
show the figures in words, without trying again on every open."""
MAX_WORKSPACES = 10_000


@dataclass(frozen=True)
class Chart:
    file_id: str
    day: date
    figures: tuple[int, ...]


class ChartFiles:
    """The current chart file of each workspace this process has drawn one for."""

    def __init__(self, max_workspaces: int = MAX_WORKSPACES) -> None:
        self._max = max_workspaces
        self._charts: OrderedDict[str, Chart] = OrderedDict()
        self._refused_until: dict[str, float] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def shown(self, team_id: str, today: date) -> str | None:
        """Today's chart, to show at once even if a newer one is about to replace it; yesterday's
        would put every bar on the wrong day."""
        chart = self._charts.get(team_id)
        return chart.file_id if chart is not None and chart.day == today else None

    def forget(self, team_id: str) -> None:
        """Slack would not show this chart: the next open draws a new one."""
        self._charts.pop(team_id, None)

    async def current(self, client: AsyncWebClient, team_id: str, days: list[Day]) -> str | None:
        """The file id of a chart of `days` (today last), uploading one if the workspace's is not
        current; None when Slack refused the upload. One upload at a time per workspace: whoever
        waited finds the chart just made."""
        if self._is_current(team_id, days) or time.monotonic() < self._refused_until.get(team_id, 0.0):
            return self.shown(team_id, days[-1].day)
        lock = self._locks.get(team_id)
        if lock is None:
            lock = self._locks[team_id] = asyncio.Lock()
        async with lock:
            if self._is_current(team_id, days):
                return self.shown(team_id, days[-1].day)
            file_id = await self._upload(client, team_id, days)
        if file_id is None:
            return None
        previous = self._charts.pop(team_id, None)
        self._charts[team_id] = Chart(file_id, days[-1].day, _figures(days))
        while len(self._charts) > self._max:
            self._charts.popitem(last=False)
        if previous is not None:
            await _delete(client, previous.file_id)
        return file_id

    def _is_current(self, team_id: str, days: list[Day]) -> bool:
        chart = self._charts.get(team_id)
        return chart is not None and chart.day == days[-1].day and chart.figures == _figures(days)

    async def _upload(self, client: AsyncWebClient, team_id: str, days: list[Day]) -> str | None:
        png = await asyncio.to_thread(daily_tokens_png, days)
        today = days[-1].day
        try:
            response = await client.files_upload_v2(
                content=png,
                filename=f"tokens-per-day-{today.isoformat()}.png",
                title=CHART_TITLE,
                alt_txt=chart_summary({d.day: d.tokens for d in days}, today),
            )
        except SlackApiError as exc:
            self._refused(team_id, str(exc.response.get("error")))
            return None
        except (SlackRequestError, aiohttp.ClientError, TimeoutError) as exc:
            self._refused(team_id, type(exc).__name__)
            return None
        file = response.get("file") or {}
        return str(file["id"]) if file.get("id") else None

    def _refused(self, team_id: str, error: str) -> None:
        now = time.monotonic()
        if len(self._refused_until) >= self._max:
            self._refused_until = {team: until for team, until in self._refused_until.items() if until > now}
        self._refused_until[team_id] = now + RETRY_AFTER_FAILURE_SECONDS
        advice = " (the app needs the files:write scope: reinstall it)" if error == "missing_scope" else ""
        log.warning("could not upload the App Home chart: %s%s", error, advice)


def _figures(days: list[Day]) -> tuple[int, ...]:
    return tuple(day.tokens for day in days)


async def _delete(client: AsyncWebClient, file_id: str) -> None:
    """A Home tab still showing the old chart gets the new one when it is next opened."""
    try:
        await client.files_delete(file=file_id)
    except SlackApiError as exc:
        log.info("could not delete the previous App Home chart: %s", exc.response.get("error"))
