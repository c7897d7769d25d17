"""The fake Slack, driven by the real slack_sdk client, a real Bolt app and the real Socket Mode client.

If the fake drifts from what the SDKs send and expect, these fail before the bot's tests mislead.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.fakes.slack import FakeSlack

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        slack.add_user("U1", "alice", display_name="Alice", real_name="Alice Liddell")
        slack.add_channel("C1", "general")
        slack.add_channel("D1", is_im=True, user="U1")
        yield slack


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


async def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value


@dataclass
class Bot:
    """A tiny real Bolt app served over HTTP, recording what reached its listeners."""

    app: AsyncApp
    url: str
    events: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def bot(fake: FakeSlack) -> AsyncIterator[Bot]:
    app = AsyncApp(
        client=AsyncWebClient(token=fake.bot_token, base_url=fake.api_url), signing_secret=fake.signing_secret
    )
    runner = web.AppRunner(app.web_app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    recorded = Bot(app, f"http://127.0.0.1:{port}/slack/events")

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any]) -> None:
        recorded.events.append(event)

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        recorded.events.append(event)

    @app.command("/claude")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        await ack(f"you said: {command['text']}")

    @app.action("stop")
    async def on_stop(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="stopped", replace_original=True)

    yield recorded
    await runner.cleanup()


async def test_auth_and_tokens(fake: FakeSlack, client: AsyncWebClient) -> None:
    me = await client.auth_test()
    assert (me["team_id"], me["user_id"], me["bot_id"], me["user"]) == ("T0TEAM", "UBOT", "BBOT", "claude")
    assert me["url"] == "https://acme.slack.com/"
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url)
    assert (await slack_error(wrong.auth_test())).response["error"] == "invalid_auth"
    assert (await slack_error(client.api_call("chat.nonsense"))).response["error"] == "unknown_method"
    opened = await client.apps_connections_open(app_token=fake.app_token)
    assert opened["url"].startswith(fake.url.replace("http://", "ws://") + "socket?")
    misused = await slack_error(client.apps_connections_open(app_token=fake.bot_token))
    assert misused.response["error"] == "not_allowed_token_type"


async def test_params_are_read_from_query_form_and_json(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent = fake.post_message("C1", "U1", "question")
    fake.post_message("C1", "U1", "more", thread_ts=parent["ts"])
    args = {"channel": "C1", "ts": parent["ts"]}
    for carrier in ({"params": args}, {"data": args}, {"json": args}):
        answer = await client.api_call("conversations.replies", **carrier)
        assert [m["text"] for m in answer["messages"]] == ["question", "more"]
    # slack_sdk itself sends conversations.replies as a query string.
    await client.conversations_replies(channel="C1", ts=parent["ts"], limit=5)
    assert fake.calls[-1].params == {"channel": "C1", "ts": parent["ts"], "limit": "5"}


async def test_post_update_and_paginated_replies(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent = fake.post_message("C1", "U1", "question")
    metadata = {"event_type": "claude_reply", "event_payload": {"turn": 1}}
    first = await client.chat_postMessage(channel="C1", thread_ts=parent["ts"], text="a", metadata=metadata)
    assert first["message"]["bot_id"] == "BBOT" and first["message"]["thread_ts"] == parent["ts"]
    for text in ("b", "c", "d"):
        await client.chat_postMessage(channel="C1", thread_ts=parent["ts"], text=text)
    await client.chat_update(channel="C1", ts=first["ts"], text="a, edited")

    pages: list[list[str]] = []
    cursor = None
    while True:
        page = await client.conversations_replies(channel="C1", ts=parent["ts"], limit=2, cursor=cursor)
        pages.append([m["text"] for m in page["messages"]])
        assert all("metadata" not in m for m in page["messages"])
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert pages == [["question", "a, edited"], ["b", "c"], ["d"]]

    full = await client.conversations_replies(channel="C1", ts=first["ts"], include_all_metadata=True)
    head, reply = full["messages"][:2]
    assert (head["reply_count"], head["reply_users"], head["thread_ts"]) == (4, ["UBOT"], parent["ts"])
    assert reply["metadata"] == metadata and reply["edited"]["user"] == "UBOT"
    assert fake.edits("C1", first["ts"]) == ["a, edited"]
    assert [m["text"] for m in fake.bot_messages("C1", parent["ts"])] == ["a, edited", "b", "c", "d"]
    timestamps = [m["ts"] for m in fake.thread("C1", parent["ts"])]
    assert timestamps == sorted(timestamps, key=float) and len(set(timestamps)) == 5

    lonely = fake.post_message("C1", "U1", "no replies")
    assert [
        m["text"] for m in (await client.conversations_replies(channel="C1", ts=lonely["ts"]))["messages"]
    ] == ["no replies"]
    missing = await slack_error(client.conversations_replies(channel="C1", ts="1.000001"))
    assert missing.response["error"] == "thread_not_found"
    nowhere = await slack_error(client.conversations_replies(channel="C404", ts=parent["ts"]))
    assert nowhere.response["error"] == "channel_not_found"


async def test_replies_bounds_as_slack_applies_them(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent = fake.post_message("C1", "U1", "p")
    ts = [fake.post_message("C1", "U1", f"r{i}", thread_ts=parent["ts"])["ts"] for i in range(6)]

    async def texts(**bounds: Any) -> tuple[list[str], bool, str]:
        answer = await client.conversations_replies(channel="C1", ts=parent["ts"], **bounds)
        cursor = answer["response_metadata"]["next_cursor"]
        return [m["text"] for m in answer["messages"]], answer["has_more"], cursor

    assert (await texts(oldest=ts[2]))[0] == ["p", "r3", "r4", "r5"], "the parent heads it, out of range"
    assert (await texts(oldest=ts[2], inclusive=True))[0] == ["p", "r2", "r3", "r4", "r5"]
    assert (await texts(oldest=ts[1], latest=ts[4]))[0] == ["p", "r2", "r3"]
    assert (await texts(oldest=ts[1], latest=ts[4], inclusive=True))[0] == ["p", "r1", "r2", "r3", "r4"]
    first, more, cursor = await texts(oldest=ts[0], limit=2)
    assert (first, more) == (["p", "r1"], True), "the parent counts towards the limit"
    rest = await client.conversations_replies(
        channel="C1", ts=parent["ts"], oldest=ts[0], limit=2, cursor=cursor
    )
    assert [m["text"] for m in rest["messages"]] == ["r2", "r3"], "later pages carry replies only"
    head = (await client.conversations_replies(channel="C1", ts=parent["ts"], limit=1))["messages"][0]
    assert (head["reply_count"], head["latest_reply"]) == (6, ts[-1])
    assert (await texts(oldest="1700000000"))[0][:2] == ["p", "r0"], "whole seconds are timestamps too"
    bad = await slack_error(client.conversations_replies(channel="C1", ts=parent["ts"], oldest="soon"))
    assert bad.response["error"] == "invalid_ts_oldest"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
async def test_message_checks(fake: FakeSlack, client: AsyncWebClient) -> None:
    async def error(**kwargs: Any) -> str:
        return (await slack_error(client.chat_postMessage(**kwargs))).response["error"]

    assert await error(channel="C1") == "no_text"
    assert await error(channel="C1", text="a", markdown_text="b") == "invalid_arguments"
    assert await error(channel="C1", markdown_text="x" * 12_001) == "msg_too_long"
    assert await error(channel="C1", text="x" * 40_001) == "msg_too_long"
    assert await error(channel="C1", blocks=[{"type": "divider"}] * 51) == "invalid_blocks"
    assert await error(channel="C404", text="hi") == "channel_not_found"
    posted = await client.chat_postMessage(channel="C1", markdown_text="x" * 12_000)
    assert fake.messages("C1")[-1]["text"] == "x" * 12_000 and posted["ok"]

    theirs = fake.post_message("C1", "U1", "mine")
    refused = await slack_error(client.chat_update(channel="C1", ts=theirs["ts"], text="hijack"))
    assert refused.response["error"] == "cant_update_message"
    gone = await slack_error(client.chat_update(channel="C1", ts="1.000001", text="?"))
    assert gone.response["error"] == "message_not_found"


async def test_delete_leaves_a_tombstone_on_a_thread_parent(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C1", text="parent")
    reply = await client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    await client.chat_delete(channel="C1", ts=reply["ts"])
    assert [m["text"] for m in fake.thread("C1", parent["ts"])] == ["parent"]
    again = await client.chat_postMessage(channel="C1", text="reply 2", thread_ts=parent["ts"])
    await client.chat_delete(channel="C1", ts=parent["ts"])
    assert [m.get("subtype") for m in fake.thread("C1", parent["ts"])] == ["tombstone", None]
    assert fake.thread("C1", parent["ts"])[1]["ts"] == again["ts"]


async def test_rate_limit_answers_429_with_retry_after(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.rate_limits["chat.update"] = 2
    posted = await client.chat_postMessage(channel="C1", text="x")
    for text in ("y", "z"):
        await client.chat_update(channel="C1", ts=posted["ts"], text=text)
    limited = await slack_error(client.chat_update(channel="C1", ts=posted["ts"], text="over"))
    assert limited.response.status_code == 429 and limited.response["error"] == "ratelimited"
    assert 1 <= int(limited.response.headers["Retry-After"]) <= 60
    assert (fake.rate_limited, fake.rate_limited_by_method["chat.update"]) == (1, 1)
    assert fake.messages("C1")[-1]["text"] == "z"
    await client.chat_postMessage(channel="C1", text="other methods are not limited")


async def test_retry_handler_recovers_from_429(fake: FakeSlack) -> None:
    fake.rate_window = 1.0
    fake.rate_limits["users.info"] = 1
    patient = AsyncWebClient(
        token=fake.bot_token,
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    await patient.users_info(user="U1")
    answer = await patient.users_info(user="U1")
    assert answer["user"]["profile"]["display_name"] == "Alice"
    assert [c.status for c in fake.calls_to("users.info")] == [200, 429, 200]


async def test_streaming(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent = fake.post_message("C1", "U1", "<@UBOT> tell me")
    missing = await slack_error(
        client.chat_startStream(channel="C1", thread_ts=parent["ts"], markdown_text="x")
    )
    assert missing.response["error"] == "missing_recipient_user_id"
    recipient = {"recipient_user_id": "U1", "recipient_team_id": fake.team_id}
    started = await client.chat_startStream(
        channel="C1", thread_ts=parent["ts"], markdown_text="Hel", **recipient
    )
    await client.chat_appendStream(
        channel="C1", ts=started["ts"], chunks=[{"type": "markdown_text", "text": "lo"}]
    )
    await client.chat_appendStream(channel="C1", ts=started["ts"], markdown_text=" world")
    assert fake.is_streaming("C1", started["ts"])
    assert fake.thread("C1", parent["ts"])[-1]["text"] == "Hello world"
    metadata = {"event_type": "claude_reply", "event_payload": {"done": True}}
    await client.chat_stopStream(channel="C1", ts=started["ts"], markdown_text="!", metadata=metadata)
    reply = fake.thread("C1", parent["ts"])[-1]
    assert (reply["text"], reply["metadata"], reply["user"]) == ("Hello world!", metadata, "UBOT")
    late = await slack_error(client.chat_appendStream(channel="C1", ts=started["ts"], markdown_text="more"))
    assert late.response["error"] == "message_not_in_streaming_state"
    assert FakeSlack.param(fake.calls_to("chat.stopStream")[0], "metadata") == metadata

    # slack_sdk's own streamer, in a DM (no recipient needed there).
    dm = fake.post_message("D1", "U1", "hi")
    streamer = await client.chat_stream(channel="D1", thread_ts=dm["ts"], buffer_size=1)
    await streamer.append(markdown_text="streamed ")
    await streamer.stop(markdown_text="reply")
    assert fake.thread("D1", dm["ts"])[-1]["text"] == "streamed reply"

    fake.stream_lifetime = 0
    expired = await client.chat_startStream(channel="D1", thread_ts=dm["ts"], markdown_text="a")
    stale = await slack_error(client.chat_appendStream(channel="D1", ts=expired["ts"], markdown_text="b"))
    assert stale.response["error"] == "message_not_in_streaming_state"
    await client.chat_update(channel="D1", ts=expired["ts"], text="a, finished by chat.update")

    fake.stream_mode = "unsupported"
    unsupported = await slack_error(
        client.chat_startStream(channel="D1", thread_ts=dm["ts"], markdown_text="a")
    )
    assert unsupported.response["error"] == "unknown_method"


async def test_users_channels_status_views(fake: FakeSlack, client: AsyncWebClient) -> None:
    user = (await client.users_info(user="U1"))["user"]
    assert (user["name"], user["profile"]["display_name"], user["profile"]["real_name"]) == (
        "alice",
        "Alice",
        "Alice Liddell",
    )
    assert (await slack_error(client.users_info(user="U404"))).response["error"] == "user_not_found"
    dm = (await client.conversations_info(channel="D1"))["channel"]
    assert (dm["is_im"], dm["user"]) == (True, "U1")
    await client.assistant_threads_setStatus(channel_id="C1", thread_ts="1.000001", status="is thinking…")
    assert fake.statuses[-1]["status"] == "is thinking…"
    view = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert fake.views["U1"]["id"] == view["view"]["id"]
    refused = await slack_error(client.views_open(trigger_id="made-up", view={"type": "modal", "blocks": []}))
    assert refused.response["error"] == "invalid_trigger_id"
    await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert fake.ephemeral[-1]["text"] == "only you"


async def test_file_downloads(fake: FakeSlack, client: AsyncWebClient) -> None:
    file = fake.add_file(b"hello", "note one.txt", mimetype="text/plain", filetype="text")
    assert file["url_private"].startswith(fake.url) and file["size"] == 5
    assert (await client.files_info(file=file["id"]))["file"]["name"] == "note one.txt"
    bearer = {"Authorization": f"Bearer {fake.bot_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(file["url_private"], headers=bearer) as response:
            assert (response.status, response.content_type, await response.read()) == (
                200,
                "text/plain",
                b"hello",
            )
        async with http.get(file["url_private_download"], headers=bearer) as response:
            assert await response.read() == b"hello"
        async with http.get(file["url_private"]) as response:
            assert response.status == 200 and response.content_type == "text/html"
            assert "Sign in to Slack" in await response.text()
        fake.file_mode = "login_page"
        async with http.get(file["url_private"], headers=bearer) as response:
            assert response.content_type == "text/html"
        fake.redirect_file(file["id"], "https://elsewhere.example/file")
        async with http.get(file["url_private"], headers=bearer, allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (302, "https://elsewhere.example/file")
    assert fake.file_downloads == [
        (file["id"], bearer["Authorization"]),
        (file["id"], bearer["Authorization"]),
        (file["id"], None),
        (file["id"], bearer["Authorization"]),
        (file["id"], bearer["Authorization"]),
    ]


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_external_uploads_and_image_blocks(fake: FakeSlack, client: AsyncWebClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    private = await client.files_upload_v2(
        content=png, filename="chart.png", title="Chart", alt_txt="a chart"
    )
    file_id = private["file"]["id"]
    assert fake.files[file_id]["mimetype"] == "image/png" and fake.file_content(file_id) == png
    assert fake.files[file_id]["channels"] == [] and fake.uploads == [(file_id, None)]
    assert fake.messages("C1") == [], "no channel: uploaded, shared nowhere"

    def image(**source: Any) -> list[dict[str, Any]]:
        return [{"type": "image", "alt_text": "a chart", **source}]

    home = {"type": "home", "blocks": image(slack_file={"id": file_id})}
    await client.views_publish(user_id="U1", view=home)
    by_url = image(slack_file={"url": fake.files[file_id]["url_private"]})
    await client.chat_postMessage(channel="C1", text="chart", blocks=by_url)
    for bad in (
        image(slack_file={"id": "F404"}),
        image(slack_file={"id": file_id, "url": fake.files[file_id]["url_private"]}),
        image(slack_file={"id": file_id}, image_url="https://example.com/a.png"),
        [{"type": "image", "slack_file": {"id": file_id}}],
    ):
        error = await slack_error(client.chat_postMessage(channel="C1", text="x", blocks=bad))
        assert error.response["error"] == "invalid_blocks", bad

    fake.upload_processing_seconds = 60
    fresh = await client.files_upload_v2(
        content=png, filename="new.png", channel="C1", initial_comment="here"
    )
    fresh_id = fresh["file"]["id"]
    assert fake.messages("C1")[-1]["files"][0]["id"] == fresh_id, "a channel: shared with its comment"
    processing = {"type": "home", "blocks": image(slack_file={"id": fresh_id})}
    error = await slack_error(client.views_publish(user_id="U1", view=processing))
    assert error.response["error"] == "invalid_blocks", "Slack is still processing it"

    text_file = fake.add_file(b"hi", "notes.txt", mimetype="text/plain")
    not_image = image(slack_file={"id": text_file["id"]})
    error = await slack_error(client.chat_postMessage(channel="C1", text="x", blocks=not_image))
    assert error.response["error"] == "invalid_blocks", "not an image"
    error = await slack_error(client.files_delete(file=text_file["id"]))
    assert error.response["error"] == "cant_delete_file", "only the bot's own files"
    await client.files_delete(file=file_id)
    assert file_id not in fake.files
    assert (await slack_error(client.files_delete(file=file_id))).response["error"] == "file_not_found"
    error = await slack_error(client.files_completeUploadExternal(files=[{"id": "F404"}]))
    assert error.response["error"] == "file_not_found"


async def test_oauth_install(fake: FakeSlack) -> None:
    fake.oauth_codes["other-code"] = "T0OTHER"
    anonymous = AsyncWebClient(base_url=fake.api_url)
    installed = await anonymous.oauth_v2_access(
        client_id=fake.client_id, client_secret=fake.client_secret, code="other-code"
    )
    assert (installed["team"]["id"], installed["token_type"], installed["bot_user_id"]) == (
        "T0OTHER",
        "bot",
        "UBOT",
    )
    me = await AsyncWebClient(token=installed["access_token"], base_url=fake.api_url).auth_test()
    assert me["team_id"] == "T0OTHER"
    reused = await slack_error(
        anonymous.oauth_v2_access(
            client_id=fake.client_id, client_secret=fake.client_secret, code="other-code"
        )
    )
    assert reused.response["error"] == "invalid_code"


async def test_signed_events_reach_bolt(fake: FakeSlack, bot: Bot) -> None:
    said = await fake.user_says(bot.url, "C1", "U1", f"<@{fake.bot_user_id}> hello")
    await fake.wait_for(lambda: len(bot.events) == 2)
    mention, message = bot.events
    assert (mention["type"], mention["ts"], mention["channel"]) == ("app_mention", said["ts"], "C1")
    assert (message["type"], message["channel_type"]) == ("message", "channel")
    assert [d.status for d in fake.deliveries] == [200, 200]

    await fake.user_says(bot.url, "D1", "U1", f"<@{fake.bot_user_id}> in a DM")
    await fake.wait_for(lambda: len(bot.events) == 3)
    assert (bot.events[-1]["type"], bot.events[-1]["channel_type"]) == ("message", "im")

    file = fake.add_file(b"\x89PNG", "shot.png", mimetype="image/png", filetype="png")
    await fake.user_says(bot.url, "C1", "U1", "look", thread_ts=said["ts"], files=[file])
    await fake.wait_for(lambda: len(bot.events) == 4)
    assert (bot.events[-1]["subtype"], bot.events[-1]["thread_ts"]) == ("file_share", said["ts"])
    assert bot.events[-1]["files"][0]["url_private"] == file["url_private"]

    status, _ = await fake.send_event(bot.url, {"type": "app_mention"}, bad_signature=True)
    assert status == 401
    status, _ = await fake.send_event(bot.url, {"type": "app_mention"}, timestamp=1_000_000_000)
    assert status == 401
    assert len(bot.events) == 4


async def test_slash_command_and_button(fake: FakeSlack, client: AsyncWebClient, bot: Bot) -> None:
    assert await fake.slash_command(bot.url, "usage") == (200, "you said: usage")
    posted = await client.chat_postMessage(channel="C1", text="working…")
    status, _ = await fake.block_action(
        bot.url, user="U1", channel="C1", message_ts=posted["ts"], action_id="stop"
    )
    assert status == 200
    await fake.wait_for(lambda: fake.ephemeral)
    assert fake.ephemeral[-1]["text"] == "stopped" and fake.ephemeral[-1]["source"] == "response_url"
    assert fake.messages("C1")[-1]["text"] == "stopped"


async def test_socket_mode(fake: FakeSlack, bot: Bot) -> None:
    handler = AsyncSocketModeHandler(bot.app, fake.app_token)
    await handler.connect_async()
    try:
        await fake.wait_for(fake.socket_connected)
        said = await fake.socket_user_says("C1", "U1", f"<@{fake.bot_user_id}> over the socket")
        await fake.wait_for(lambda: len(bot.events) == 2)
        assert [e["type"] for e in bot.events] == ["app_mention", "message"]
        assert bot.events[0]["ts"] == said["ts"]
        assert [(d.kind, d.status) for d in fake.deliveries] == [("socket", 200), ("socket", 200)]
        command = {
            "command": "/claude",
            "text": "help",
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": fake.team_id,
        }
        assert await fake.socket_send(command, type_="slash_commands") == {"text": "you said: help"}
    finally:
        await handler.close_async()
    assert [c.ok for c in fake.calls_to("apps.connections.open")] == [True]


async def test_membership_decides_what_the_bot_and_people_can_read(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    """As in Slack: a private conversation the bot isn't in doesn't exist for it; a public one it
    isn't in lists its members but can't be read; `conversations.members` pages by cursor."""
    fake.add_user("U2", "bob")
    fake.add_channel("G1", "deals", is_private=True, members=["U2"])
    fake.add_channel("C2", "design", members=["U1", "U2"])
    fake.add_channel("C3", "crowd", members=[f"U{i:04d}" for i in range(2_500)] + [fake.bot_user_id])
    fake.add_channel("D9", is_im=True, user="U2", members=["U1", "U2"])
    secret = fake.post_message("G1", "U2", "secret")
    for channel in ("G1", "D9"):
        for call in (
            client.conversations_info(channel=channel),
            client.conversations_members(channel=channel),
            client.conversations_replies(channel=channel, ts=secret["ts"]),
        ):
            assert (await slack_error(call)).response["error"] == "channel_not_found"
    design = (await client.conversations_info(channel="C2"))["channel"]
    assert design["is_member"] is False and design["is_private"] is False
    assert (await client.conversations_members(channel="C2"))["members"] == ["U1", "U2"]
    said = fake.post_message("C2", "U1", "mockups")
    refused = await slack_error(client.conversations_history(channel="C2"))
    assert refused.response["error"] == "not_in_channel"
    no_link = await slack_error(client.chat_getPermalink(channel="C2", message_ts=said["ts"]))
    assert no_link.response["error"] == "not_in_channel"

    seen: list[str] = []
    cursor = None
    while True:
        page = await client.conversations_members(channel="C3", limit=1000, cursor=cursor)
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"] or None
        if cursor is None:
            break
    assert len(seen) == 2_501 and len(set(seen)) == 2_501
    delivered = await fake.user_says("http://127.0.0.1:9/unused", "C2", "U1", "hello")
    assert delivered["text"] == "hello" and fake.deliveries == [], "no events from where the bot isn't"


async def test_history_permalinks_and_locale(fake: FakeSlack, client: AsyncWebClient) -> None:
    first = fake.post_message("C1", "U1", "first")
    fake.post_message("C1", "U1", "a reply", thread_ts=first["ts"])
    second = fake.post_message("C1", "U1", "second")
    history = await client.conversations_history(channel="C1", limit=1)
    assert [m["text"] for m in history["messages"]] == ["second"] and history["has_more"]
    older = await client.conversations_history(
        channel="C1", limit=5, cursor=history["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in older["messages"]] == ["first"], "newest first; replies stay in threads"
    assert older["messages"][0]["reply_count"] == 1
    since = await client.conversations_history(channel="C1", oldest=first["ts"])
    assert [m["text"] for m in since["messages"]] == ["second"], "oldest is exclusive"
    link = (await client.chat_getPermalink(channel="C1", message_ts=second["ts"]))["permalink"]
    assert link == f"https://acme.slack.com/archives/C1/p{second['ts'].replace('.', '')}"
    reply = fake.thread("C1", first["ts"])[1]
    assert fake.permalink("C1", reply["ts"]).endswith(f"?thread_ts={first['ts']}&cid=C1")
    plain = (await client.users_info(user="U1"))["user"]
    assert "locale" not in plain
    assert (await client.users_info(user="U1", include_locale=True))["user"]["locale"] == "en-US"


async def test_search_answers_as_the_action_tokens_person_within_their_conversations(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.add_user("U2", "bob")
    fake.add_channel("GIN", "in", is_private=True, members=["U1", "U2"])
    fake.add_channel("GOUT", "out", is_private=True, members=["U2", "UBOT"])
    fake.add_channel("DOTHER", is_im=True, user="U2")
    for channel in ("C1", "GIN", "GOUT", "DOTHER", "D1"):
        fake.post_message(channel, "U2" if channel != "D1" else "U1", f"launch plan in {channel}")
    token = fake.issue_action_token("U1")

    async def search(**args: Any) -> dict[str, Any]:
        response = await client.api_call("assistant.search.context", json={"action_token": token} | args)
        return dict(response.data)  # type: ignore[arg-type]

    everywhere = "public_channel,private_channel,mpim,im"
    seen = await search(query="launch plan", channel_types=everywhere)
    assert {m["channel_id"] for m in seen["results"]["messages"]} == {"C1", "GIN", "D1"}
    first = seen["results"]["messages"][0]
    assert set(first) == {
        "author_user_id",
        "team_id",
        "channel_id",
        "message_ts",
        "content",
        "is_author_bot",
        "permalink",
    }
    assert first["permalink"] == fake.permalink(first["channel_id"], first["message_ts"])
    public = await search(query="launch")
    assert [m["channel_id"] for m in public["results"]["messages"]] == ["C1"], "public_channel by default"
    assert not (await search(query="launch nothing", channel_types=everywhere))["results"]["messages"]

    page = await search(query="launch", channel_types=everywhere, limit=2)
    assert len(page["results"]["messages"]) == 2
    rest = await search(
        query="launch", channel_types=everywhere, cursor=page["response_metadata"]["next_cursor"]
    )
    assert len(rest["results"]["messages"]) == 1 and not rest["response_metadata"]["next_cursor"]

    assert (await slack_error(search(query="launch", limit=21))).response["error"] == "invalid_limit"
    missing = client.api_call("assistant.search.context", json={"query": "launch"})
    assert (await slack_error(missing)).response["error"] == "invalid_arguments"
    fake.action_token_lifetime = 0.0
    expired = fake.issue_action_token("U1")
    stale = client.api_call("assistant.search.context", json={"query": "launch", "action_token": expired})
    assert (await slack_error(stale)).response["error"] == "invalid_action_token"
