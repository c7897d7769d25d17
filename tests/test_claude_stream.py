"""The bot's Claude stream reader (`bot.claude.stream`) against the fake Messages API, on the
bot's own client: the figures the ledger and the user's notes depend on, and batched reading."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import anthropic
import httpx2
import pytest
import pytest_asyncio

from bot.claude import client as client_module
from bot.claude.client import Claude
from bot.claude.pacing import PacedBody, aiohttp_response
from bot.claude.stream import Deadlines, StreamResult, stream_answer
from bot.fakes.claude import FakeClaude, Fault, Reply
from bot.fakes.settings import claude_settings
from bot.process.config import Settings

MODEL = "claude-sonnet-5-5"
TEXT = "The first part of a longer answer that keeps going"


def params(text: str = "hello") -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": text}]}


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeClaude]:
    async with FakeClaude() as server:
        yield server


def claude_for(fake: FakeClaude) -> Claude:
    return Claude(Settings(_env_file=None, **claude_settings(fake), claude_max_retries=0))  # type: ignore[call-arg]


@pytest_asyncio.fixture
async def sdk(fake: FakeClaude) -> AsyncIterator[Claude]:
    """Named apart from conftest's `claude` (the fake), which the harness tests need."""
    handle = claude_for(fake)
    yield handle
    await handle.close()


async def read(sdk: Claude, **options: Any) -> tuple[StreamResult, list[str]]:
    seen: list[str] = []
    result = await stream_answer(sdk, params(), seen.append, **options)
    return result, seen


async def test_text_usage_stop_reason_and_request_id(fake: FakeClaude, sdk: Claude) -> None:
    fake.script(TEXT)
    result, seen = await read(sdk)
    assert result.failure is None
    assert result.text == TEXT and "".join(seen) == TEXT
    assert seen[0] == TEXT[:4], "one call per delta, as Claude sent them"
    assert result.stop_reason == "end_turn"
    assert result.request_id is not None and result.request_id.startswith("req_")
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens == len(seen), "message_delta's count wins over message_start's"
    assert result.ttft_ms is not None


async def test_refusal_category(fake: FakeClaude, sdk: Claude) -> None:
    fake.script(
        Reply("I can't.", stop_reason="refusal", stop_details={"type": "refusal", "category": "cyber"})
    )
    result, _ = await read(sdk)
    assert (result.stop_reason, result.refusal_category, result.text) == ("refusal", "cyber", "I can't.")


async def test_an_error_event_mid_stream_keeps_the_text_and_the_request_id(
    fake: FakeClaude, sdk: Claude
) -> None:
    fake.script(Reply(TEXT, fault=Fault("error_event", after_deltas=3)))
    result, _ = await read(sdk, read_every=0.01)
    assert result.text == TEXT[:12]
    assert result.failure is not None and result.failure.kind == "overloaded"
    assert result.failure.detail == "200 overloaded_error: Overloaded", "the SDK's own error for the event"
    assert result.failure.request_id == result.request_id is not None
    assert result.stop_reason is None and result.usage.output_tokens == 3


async def test_a_dropped_connection_is_a_connection_failure(fake: FakeClaude, sdk: Claude) -> None:
    fake.script(Reply(TEXT, fault=Fault("drop", after_deltas=2)))
    result, _ = await read(sdk, read_every=0.01)
    assert result.text == TEXT[:8]
    assert result.failure is not None and result.failure.kind == "connection"


async def test_a_status_error_before_the_stream_is_classified(fake: FakeClaude, sdk: Claude) -> None:
    fake.script(Reply("never", fault=Fault("status", status=529, retry_after=0)))
    result, seen = await read(sdk)
    assert seen == [] and result.failure is not None and result.failure.kind == "overloaded"


async def test_a_stall_ends_at_the_idle_deadline(fake: FakeClaude, sdk: Claude) -> None:
    fake.script(Reply(TEXT, fault=Fault("stall", after_deltas=2, stall_seconds=30)))
    result, _ = await read(sdk, deadlines=Deadlines(idle=0.3), read_every=0.05)
    assert result.text == TEXT[:8]
    assert result.failure is not None and result.failure.kind == "stalled"


async def test_the_sdks_aiohttp_response_is_reachable(fake: FakeClaude, sdk: Claude) -> None:
    """Batched reads pause the socket through private attributes of httpx2 and of the SDK's
    aiohttp transport: when an upgrade moves them, this fails rather than the bot quietly
    reading every token again."""
    fake.script(Reply(TEXT, fault=Fault("stall", after_deltas=1)))
    client = await sdk.client()
    response = await client.messages.with_raw_response.create(**params(), stream=True)
    try:
        found = aiohttp_response(response.http_response)
        assert found is not None
        assert found.connection is not None and found.connection.protocol is not None
    finally:
        await response.close()


async def test_a_paced_body_reads_in_batches() -> None:
    async with FakeClaude(tokens_per_second=60) as slow:
        handle = claude_for(slow)
        slow.script("abcd" * 30)
        try:
            response = await (await handle.client()).messages.with_raw_response.create(
                **params(), stream=True
            )
            body = PacedBody(response.http_response)
            response.http_response.stream = body
            body.every = 0.25
            chunks = [chunk async for chunk in response.http_response.aiter_bytes()]
        finally:
            await handle.close()
    assert b"".join(chunks).count(b"event: content_block_delta") == 30
    assert len(chunks) <= 10, "30 deltas over half a second arrive in a few reads, not 30"


async def test_a_finished_body_ends_without_a_rest(fake: FakeClaude, sdk: Claude) -> None:
    fake.script(TEXT)
    result, _ = await asyncio.wait_for(read(sdk, read_every=60), timeout=20)
    assert result.text == TEXT and result.failure is None


def test_a_sync_response_is_refused() -> None:
    with pytest.raises(TypeError):
        PacedBody(httpx2.Response(200, content=iter([b"sync"])))


async def test_the_sdk_loads_once_however_many_ask(fake: FakeClaude, sdk: Claude) -> None:
    first, *others = await asyncio.gather(*(sdk.client() for _ in range(5)))
    assert isinstance(first, anthropic.AsyncAnthropic)
    assert all(other is first for other in others)


async def test_a_caller_given_up_on_does_not_stop_the_load(fake: FakeClaude, sdk: Claude) -> None:
    waiting = asyncio.create_task(sdk.client())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    fake.script(TEXT)
    result, _ = await read(sdk)
    assert result.text == TEXT


async def test_count_tokens_or_none(fake: FakeClaude, sdk: Claude) -> None:
    counted = await sdk.count_tokens(model=MODEL, messages=[{"role": "user", "content": "hello " * 50}])
    assert counted is not None and counted > 0
    wrong = Claude(Settings(_env_file=None, anthropic_api_key="wrong", anthropic_base_url=fake.base_url))  # type: ignore[call-arg]
    try:
        assert await wrong.count_tokens(model=MODEL, messages=[{"role": "user", "content": "x"}]) is None
    finally:
        await wrong.close()


async def test_closing_a_client_never_loaded_loads_nothing() -> None:
    claude = Claude(Settings(_env_file=None))  # type: ignore[call-arg]
    await claude.close()
    assert not claude.loading


async def test_no_rest_once_the_message_has_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """After `message_stop` only the body's end is left; a rest there would hold the final text."""
    result = StreamResult()
    rests_after_stop = []
    rest = PacedBody._rest

    async def counted(body: PacedBody) -> None:
        rests_after_stop.append(result.stop_reason is not None)
        await rest(body)

    monkeypatch.setattr(PacedBody, "_rest", counted)
    async with FakeClaude(tokens_per_second=100) as paced:
        paced.script("abcd" * 10)
        handle = claude_for(paced)
        try:
            await stream_answer(handle, params(), lambda _: None, result, read_every=0.05)
        finally:
            await handle.close()
    assert result.text == "abcd" * 10
    assert rests_after_stop and not any(rests_after_stop)


async def test_the_first_slack_request_starts_loading_the_sdk(make_harness: Callable[..., Any]) -> None:
    h = await make_harness()
    claude = h.bot.runtime.services.claude
    assert not claude.loading, "a started bot nobody has talked to holds no SDK"
    await h.slack.user_says(h.url, "C1", "U1", "just chatting, not to the bot")
    assert claude.loading
    assert h.claude.requests == []


async def test_a_lost_connection_ends_the_body_without_a_rest(fake: FakeClaude, sdk: Claude) -> None:
    fake.script(Reply(TEXT, fault=Fault("stall", after_deltas=1)))
    client = await sdk.client()
    response = await client.messages.with_raw_response.create(**params(), stream=True)
    try:
        body = PacedBody(response.http_response)
        chunks = body.__aiter__()
        await anext(chunks)
        body.every = 60
        socket = aiohttp_response(response.http_response)
        assert socket is not None and socket.connection is not None
        transport = socket.connection.transport
        assert transport is not None
        transport.abort()
        await asyncio.sleep(0.05)  # the loop notices the loss
        with pytest.raises(httpx2.TransportError):
            await asyncio.wait_for(anext(chunks), timeout=20)
    finally:
        await response.close()


async def test_a_broken_sdk_install_is_logged_and_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_: Settings) -> None:
        raise ImportError("no module named anthropic")

    monkeypatch.setattr(client_module, "make_claude_client", broken)
    handle = Claude(Settings(_env_file=None))  # type: ignore[call-arg]
    with pytest.raises(ImportError):
        await handle.client()
    await handle.close()
    assert "could not load the anthropic SDK" in caplog.text
