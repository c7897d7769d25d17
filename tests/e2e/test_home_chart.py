"""The App Home's tokens-per-day chart end to end: drawn, uploaded through Slack's external upload
methods, shown with an image block, uploaded again only when it is out of date, and the figures
in words whenever Slack can't show it."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Harness

ADMIN = "UA"
UPLOAD_METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal")


@pytest.fixture
async def admin_harness(harness: Harness) -> Harness:
    harness.slack.add_user(ADMIN, "ada", display_name="Ada", is_admin=True)
    return harness


async def use_some_tokens(h: Harness, turns: int) -> None:
    h.claude.script(*(f"Answer number {n}." for n in range(turns)))
    for n in range(turns):
        await h.slack.user_says(h.url, "C1", "U1", f"<@UBOT> question {n}")
        await h.wait_for_turns(len(await h.usage_rows()) + 1)


async def open_home(h: Harness, publishes: int, user: str = ADMIN) -> dict[str, Any]:
    """Opens the tab and waits for the bot's `publishes` views.publish calls: one when the tab can
    show what it has at once, two when a chart drawn for this open follows."""
    before = len(h.slack.calls_to("views.publish"))
    await h.slack.open_app_home(h.url, user)
    await h.slack.wait_for(lambda: len(h.slack.calls_to("views.publish")) == before + publishes)
    return h.slack.views[user]


def chart_block(view: dict[str, Any]) -> dict[str, Any] | None:
    return next((block for block in view["blocks"] if block["type"] == "image"), None)


def uploads(h: Harness) -> int:
    return len(h.slack.calls_to("files.completeUploadExternal"))


async def test_admins_see_the_chart_uploaded_once_and_private_to_the_bot(admin_harness: Harness) -> None:
    h = admin_harness
    await use_some_tokens(h, 1)

    view = await open_home(h, 2)

    block = chart_block(view)
    assert block is not None and block["title"]["text"] == "Tokens per day (UTC)"
    assert block["alt_text"].startswith("Busiest day ")
    file = h.slack.files[block["slack_file"]["id"]]
    assert file["mimetype"] == "image/png" and file["user"] == h.slack.bot_user_id
    assert file["channels"] == [] and file["is_public"] is False, "shared nowhere: only the Home tab shows it"
    with Image.open(io.BytesIO(h.slack.file_content(file["id"]))) as image:
        assert image.size == (1200, 480)
    assert [len(h.slack.calls_to(method)) for method in UPLOAD_METHODS] == [1, 1]
    assert [authorization for _, authorization in h.slack.uploads] == [None], "no token to the upload URL"

    publishes = len(h.slack.calls_to("views.publish"))
    again = await open_home(h, 1)

    assert chart_block(again) == block
    assert uploads(h) == 1, "opening Home again uploads nothing"
    assert len(h.slack.calls_to("views.publish")) == publishes + 1, "and publishes once"


async def test_new_figures_redraw_the_chart_and_delete_the_old_one(admin_harness: Harness) -> None:
    h = admin_harness
    await use_some_tokens(h, 1)
    first = chart_block(await open_home(h, 2))
    assert first is not None

    await use_some_tokens(h, 1)
    second = chart_block(await open_home(h, 2))

    at_once = chart_block(h.slack.param(h.slack.calls_to("views.publish")[-2], "view"))
    assert at_once is not None and at_once["slack_file"] == first["slack_file"], (
        "the tab appears at once with the chart it had, until the new one is up"
    )
    assert second is not None and second["slack_file"] != first["slack_file"]
    assert uploads(h) == 2
    assert first["slack_file"]["id"] not in h.slack.files, "the chart it replaced is deleted"
    assert chart_block(await open_home(h, 1)) == second and uploads(h) == 2, "same figures, same chart"


async def test_a_chart_slack_is_still_processing_shows_on_the_next_open(admin_harness: Harness) -> None:
    h = admin_harness
    await use_some_tokens(h, 1)
    h.slack.upload_processing_seconds = 1.0

    first = await open_home(h, 2)

    assert chart_block(first) is None
    assert "Busiest day " in str(first["blocks"]), "the figures in words meanwhile"
    assert [call.ok for call in h.slack.calls_to("views.publish")][-2:] == [True, False]
    assert uploads(h) == 1
    await asyncio.sleep(h.slack.upload_processing_seconds)

    assert chart_block(await open_home(h, 1)) is not None
    assert uploads(h) == 1


async def test_without_the_files_write_scope_home_shows_the_figures_in_words(
    admin_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = admin_harness
    await use_some_tokens(h, 1)
    h.slack.faults["files.getUploadURLExternal"] = ["missing_scope"]

    with caplog.at_level(logging.WARNING, logger="bot.slack.home_chart"):
        view = await open_home(h, 1)
        await h.slack.wait_for(lambda: "files:write" in caplog.text)

    assert chart_block(view) is None and "Busiest day " in str(view["blocks"])
    await open_home(h, 1)
    await asyncio.sleep(0.5)  # time for an upload the bot should not attempt
    assert len(h.slack.calls_to("files.getUploadURLExternal")) == 1, "not tried again on every open"


async def test_members_and_empty_workspaces_get_no_chart(admin_harness: Harness) -> None:
    h = admin_harness

    quiet = await open_home(h, 1)
    assert chart_block(quiet) is None and "No tokens used in the last 30 days." in str(quiet["blocks"])

    await use_some_tokens(h, 1)
    member = await open_home(h, 1, user="U2")
    assert chart_block(member) is None
    assert h.slack.calls_to(*UPLOAD_METHODS) == []
