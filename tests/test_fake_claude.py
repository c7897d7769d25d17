"""The fake Messages API, driven by the real anthropic SDK: if the SDK accepts it, so will the bot."""

import asyncio
import base64
import io
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anthropic
import httpx2
import pytest
import pytest_asyncio
from PIL import Image

from bot.fakes.claude import FakeClaude, Fault, Reply

pytestmark = pytest.mark.asyncio

MODEL = "claude-sonnet-5-5"


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def image_block(data: str, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeClaude]:
    async with FakeClaude(min_cache_tokens=20) as server:
        yield server


@pytest_asyncio.fixture
async def client(fake: FakeClaude) -> AsyncIterator[anthropic.AsyncAnthropic]:
    sdk = anthropic.AsyncAnthropic(base_url=fake.base_url, api_key=fake.api_key, max_retries=0)
    yield sdk
    await sdk.close()


async def test_streams_scripted_text_with_usage_and_request_id(
    fake: FakeClaude, client: anthropic.AsyncAnthropic
) -> None:
    answer = "Hello from the fake Claude, one token at a time."
    fake.script(answer)
    async with client.messages.stream(model=MODEL, max_tokens=100, messages=[user("hi there")]) as stream:
        deltas = [text async for text in stream.text_stream]
        message = await stream.get_final_message()

    assert "".join(deltas) == answer
    assert deltas[0] == answer[:4]
    assert len(deltas) == math.ceil(len(answer) / 4)
    assert message.content[0].type == "text"
    assert message.content[0].text == answer
    assert message.stop_reason == "end_turn"
    assert message.id.startswith("msg_")
    assert message.usage.output_tokens == len(deltas)
    assert message.usage.input_tokens == math.ceil(len("hi there") / 4) + 4
    assert message.usage.cache_read_input_tokens == 0
    assert stream.request_id is not None
    assert stream.request_id.startswith("req_")
    [recorded] = fake.requests
    assert recorded.path == "/v1/messages"
    assert recorded.headers["authorization"] == f"Bearer {fake.api_key}"
    assert recorded.body["stream"] is True
    assert fake.message_requests() == [recorded.body]


async def test_wire_format_has_named_events_in_order(fake: FakeClaude) -> None:
    fake.script("abcdefgh")
    body = {"model": MODEL, "max_tokens": 10, "stream": True, "messages": [user("x")]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}/v1/messages", json=body, headers={"x-api-key": fake.api_key}) as resp,
    ):
        raw = await resp.text()
        assert resp.status == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["request-id"].startswith("req_")

    events = [chunk.split("\n")[0] for chunk in raw.strip().split("\n\n")]
    assert events == [
        "event: message_start",
        "event: content_block_start",
        "event: ping",
        "event: content_block_delta",
        "event: content_block_delta",
        "event: content_block_stop",
        "event: message_delta",
        "event: message_stop",
    ]
    assert '"delta":{"type":"text_delta","text":"abcd"}' in raw


async def test_echo_and_max_tokens_cut(fake: FakeClaude, client: anthropic.AsyncAnthropic) -> None:
    blocks = [{"type": "text", "text": "hello"}, {"type": "text", "text": "world"}]
    echoed = await client.messages.create(model=MODEL, max_tokens=100, messages=[user(blocks)])
    assert echoed.content[0].text == "You said: hello world"
    assert echoed.stop_reason == "end_turn"

    cut = await client.messages.create(model=MODEL, max_tokens=2, messages=[user("hello world")])
    assert cut.content[0].text == "You said"
    assert cut.stop_reason == "max_tokens"
    assert cut.usage.output_tokens == 2

    nothing = await client.messages.create(
        model=MODEL, max_tokens=100, messages=[user([image_block(png(4, 4))])]
    )
    assert nothing.content[0].text == "You said nothing."


async def test_prompt_cache_counters_across_turns(fake: FakeClaude, client: anthropic.AsyncAnthropic) -> None:
    system = "You are terse. " * 10
    first_turn = [user("What is the capital of France? " * 3)]
    first_total = (
        await client.messages.count_tokens(model=MODEL, system=system, messages=first_turn)
    ).input_tokens

    async with client.messages.stream(
        model=MODEL, max_tokens=50, system=system, messages=first_turn, cache_control={"type": "ephemeral"}
    ) as stream:
        first = await stream.get_final_message()
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation_input_tokens == first_total
    assert first.usage.input_tokens == 0

    second_turn = [*first_turn, {"role": "assistant", "content": first.content[0].text}, user("And Spain?")]
    second_total = (
        await client.messages.count_tokens(model=MODEL, system=system, messages=second_turn)
    ).input_tokens
    async with client.messages.stream(
        model=MODEL, max_tokens=50, system=system, messages=second_turn, cache_control={"type": "ephemeral"}
    ) as stream:
        second = await stream.get_final_message()
    assert second.usage.cache_read_input_tokens == first_total
    assert second.usage.cache_creation_input_tokens == second_total - first_total
    assert second.usage.input_tokens == 0

    uncached = await client.messages.create(model=MODEL, max_tokens=50, system=system, messages=second_turn)
    assert uncached.usage.cache_read_input_tokens == 0
    assert uncached.usage.cache_creation_input_tokens == 0
    assert uncached.usage.input_tokens == second_total


async def test_error_event_mid_stream(fake: FakeClaude, client: anthropic.AsyncAnthropic) -> None:
    fake.script(Reply("abcdefghijkl", fault=Fault("error_event", after_deltas=2)))
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with client.messages.stream(model=MODEL, max_tokens=100, messages=[user("x")]) as stream:
            async for text in stream.text_stream:
                received.append(text)
    assert received == ["abcd", "efgh"]
    assert caught.value.status_code == 200
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error"]["type"] == "overloaded_error"


async def test_dropped_connection_is_a_protocol_error(
    fake: FakeClaude, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Reply("abcdefghijkl", fault=Fault("drop", after_deltas=1)))
    received: list[str] = []
    with pytest.raises(Exception) as caught:  # the type is asserted on the chain below
        async with client.messages.stream(model=MODEL, max_tokens=100, messages=[user("x")]) as stream:
            async for text in stream.text_stream:
                received.append(text)
    assert received == ["abcd"]
    assert any(isinstance(error, httpx2.RemoteProtocolError) for error in chain(caught.value))


async def test_rate_limit_with_retry_after_is_retried(fake: FakeClaude) -> None:
    fake.script(Reply("after the wait", fault=Fault("status", status=429, retry_after=0.2)))
    async with anthropic.AsyncAnthropic(base_url=fake.base_url, api_key=fake.api_key, max_retries=1) as sdk:
        message = await sdk.messages.create(model=MODEL, max_tokens=100, messages=[user("x")])
    assert message.content[0].text == "after the wait"
    first, second = fake.requests
    assert second.time - first.time >= 0.19
    assert second.headers["x-stainless-retry-count"] == "1"


async def test_status_fault_fails_times_requests_then_serves(
    fake: FakeClaude, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Reply("finally", fault=Fault("status", status=529, retry_after=7), times=2), "next")
    for _ in range(2):
        with pytest.raises(anthropic.OverloadedError) as caught:
            await client.messages.create(model=MODEL, max_tokens=100, messages=[user("x")])
        assert caught.value.response.headers["retry-after"] == "7"
        assert caught.value.request_id is not None
    answers = [
        (await client.messages.create(model=MODEL, max_tokens=100, messages=[user("x")])).content[0].text
        for _ in range(3)
    ]
    assert answers == ["finally", "next", "You said: x"]


async def test_wrong_key_is_401(fake: FakeClaude) -> None:
    async with anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="sk-ant-wrong", max_retries=0) as sdk:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            await sdk.messages.create(model=MODEL, max_tokens=100, messages=[user("x")])
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    assert caught.value.body["request_id"] == caught.value.request_id


@pytest.mark.parametrize(
    ("messages", "extra", "expected"),
    [
        (
            [user("hi"), {"role": "assistant", "content": "Sure"}],
            {},
            "does not support assistant message prefill",
        ),
        ([user([{"type": "text", "text": ""}])], {}, "text content blocks must be non-empty"),
        (
            [user([image_block(png(8, 8), "image/jpeg")])],
            {},
            "Image does not match the provided media type image/jpeg",
        ),
        ([user([image_block(png(8001, 1))])], {}, "exceed max allowed size: 8000 pixels"),
        ([{"role": "assistant", "content": "hi"}, user("x")], {}, "first message must use the"),
        ([user("hi")], {"temperature": 0.5}, "temperature is not supported"),
        (
            [user([{"type": "tool_result", "tool_use_id": "t"}])],
            {},
            "blocks must define tools",
        ),
        ([], {}, "at least one message is required"),
    ],
)
async def test_invalid_requests_are_400(
    client: anthropic.AsyncAnthropic, messages: list[Any], extra: dict[str, Any], expected: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        await client.messages.create(model=MODEL, max_tokens=100, messages=messages, extra_body=extra)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert expected in caught.value.body["error"]["message"]


async def test_prompt_too_long() -> None:
    async with (
        FakeClaude(context_window=10) as small,
        anthropic.AsyncAnthropic(base_url=small.base_url, api_key=small.api_key, max_retries=0) as sdk,
    ):
        with pytest.raises(anthropic.BadRequestError, match=r"prompt is too long: 29 tokens > 10 maximum"):
            await sdk.messages.create(model=MODEL, max_tokens=100, messages=[user("x" * 100)])


async def test_request_over_32_mb_is_413(fake: FakeClaude) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake.base_url}/v1/messages",
            data=io.BytesIO(b" " * (32 * 1024 * 1024 + 1)),
            headers={"x-api-key": fake.api_key, "content-type": "application/json"},
        ) as resp,
    ):
        assert resp.status == 413
        assert (await resp.json())["error"]["type"] == "request_too_large"


async def test_count_tokens(fake: FakeClaude, client: anthropic.AsyncAnthropic) -> None:
    pdf = base64.b64encode(b"%PDF-1.4 /Type /Pages /Type /Page /Type /Page").decode()
    content = [
        {"type": "text", "text": "Summarise these."},  # 4 tokens
        image_block(png(100, 75)),  # 7500 px / 750 = 10 tokens
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": pdf}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "12345678"}},
    ]
    counted = await client.messages.count_tokens(model=MODEL, system="abcd", messages=[user(content)])
    assert counted.input_tokens == 1 + 4 + 4 + 10 + 2 * 1500 + 2
    assert fake.requests[-1].path == "/v1/messages/count_tokens"
    assert fake.message_requests() == []


async def test_refusal_stop_reason_and_details(fake: FakeClaude, client: anthropic.AsyncAnthropic) -> None:
    fake.script(
        Reply("I can't help.", stop_reason="refusal", stop_details={"type": "refusal", "category": "cyber"})
    )
    async with client.messages.stream(model=MODEL, max_tokens=100, messages=[user("x")]) as stream:
        message = await stream.get_final_message()
    assert message.stop_reason == "refusal"
    assert message.stop_details is not None
    assert message.stop_details.category == "cyber"
    assert message.content[0].text == "I can't help."


async def test_stall_ends_in_client_timeout(fake: FakeClaude) -> None:
    fake.script(Reply("abcdefgh", fault=Fault("stall", after_deltas=1)))
    received: list[str] = []
    async with anthropic.AsyncAnthropic(
        base_url=fake.base_url, api_key=fake.api_key, max_retries=0, timeout=0.3
    ) as sdk:
        started = time.monotonic()
        with pytest.raises((anthropic.APITimeoutError, httpx2.TimeoutException)):
            async with sdk.messages.stream(model=MODEL, max_tokens=100, messages=[user("x")]) as stream:
                async for text in stream.text_stream:
                    received.append(text)
    assert received == ["abcd"]
    assert 0.25 < time.monotonic() - started < 2


async def test_stop_does_not_wait_for_open_streams() -> None:
    fake = FakeClaude()
    await fake.start()
    fake.script(Reply("abcdefgh", fault=Fault("stall", after_deltas=1)))
    async with anthropic.AsyncAnthropic(base_url=fake.base_url, api_key=fake.api_key, max_retries=0) as sdk:
        stream = await sdk.messages.create(model=MODEL, max_tokens=100, messages=[user("x")], stream=True)
        first = await anext(aiter(stream))
        assert first.type == "message_start"
        started = time.monotonic()
        await fake.stop()
        assert time.monotonic() - started < 1
        with pytest.raises(httpx2.RemoteProtocolError):
            async for _ in stream:
                pass


async def test_pacing_ttft_and_rate() -> None:
    async with (
        FakeClaude(ttft=0.2, tokens_per_second=50) as paced,
        anthropic.AsyncAnthropic(base_url=paced.base_url, api_key=paced.api_key, max_retries=0) as sdk,
    ):
        paced.script("0123456789" * 4)  # 10 tokens
        started = time.monotonic()
        arrivals = []
        async with sdk.messages.stream(model=MODEL, max_tokens=100, messages=[user("x")]) as stream:
            async for _ in stream.text_stream:
                arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 10
    assert 0.19 <= arrivals[0] < 0.6
    assert 0.37 <= arrivals[-1] < 1.2


async def test_many_concurrent_streams(fake: FakeClaude, client: anthropic.AsyncAnthropic) -> None:
    fake.tokens_per_second = 100

    async def one(i: int) -> str:
        stream = await client.messages.create(
            model=MODEL, max_tokens=100, messages=[user(f"n{i:03}")], stream=True
        )
        return "".join([event.delta.text async for event in stream if event.type == "content_block_delta"])

    started = time.monotonic()
    answers = await asyncio.gather(*(one(i) for i in range(200)))
    assert answers == [f"You said: n{i:03}" for i in range(200)]
    assert time.monotonic() - started < 5
