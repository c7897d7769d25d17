"""A fake Anthropic Messages API served over real HTTP.

Tests and benchmarks point the real `anthropic.AsyncAnthropic` at it, so the SDK's own transport,
SSE decoder, retries and timeouts are what gets exercised, not a mock of them. It validates
requests the way the real API does, so a bot that passes against the fake does not meet its
first 400 in production.
"""

import asyncio
import base64
import binascii
import hashlib
import io
import json
import math
import re
import secrets
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

from aiohttp import web
from PIL import Image

from bot.fakes import claude_tools
from bot.fakes.loopback import LoopbackServer

MAX_REQUEST_BYTES = 32 * 1024 * 1024
MAX_IMAGE_BASE64_BYTES = 5 * 1024 * 1024
MAX_IMAGES = 100
MAX_IMAGE_SIDE = 8000
# The real API tightens the per-side limit once a request carries many images.
MANY_IMAGES = 20
MAX_MANY_IMAGES_SIDE = 2000
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
TOKENS_PER_PDF_PAGE = 1500
TOKENS_PER_MESSAGE = 4
PIXELS_PER_IMAGE_TOKEN = 750
UNSUPPORTED_PARAMS = ("temperature", "top_p", "top_k")
CACHE_TTLS = ("5m", "1h")
PREFILL_MESSAGE = (
    "This model does not support assistant message prefill. The conversation must end with a user message."
)
# Catalogue pages carry `/Type /Pages`; only leaf pages count.
PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")

ERROR_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
STATUS_BY_ERROR_TYPE = {kind: status for status, kind in ERROR_TYPE_BY_STATUS.items()}
ERROR_MESSAGES = {
    "overloaded_error": "Overloaded",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit",
    "api_error": "Internal server error",
    "authentication_error": "invalid x-api-key",
    "timeout_error": "Request timed out",
    "invalid_request_error": "Invalid request",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
}

REQUEST_ID = web.RequestKey("request_id", str)
SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}


@dataclass
class Fault:
    """An injected failure.

    `status`: that HTTP status before any stream byte (the error type follows the status, as the
    real API's does; `error_type` only for statuses it has no type for), `retry-after` when set.
    `error_event`, `drop`, `stall`: after `after_deltas` text deltas, an `error` event then the end
    of the response; an aborted socket; or `stall_seconds` of silence, after which the reply goes on.
    """

    kind: Literal["status", "error_event", "drop", "stall"]
    status: int = 529
    retry_after: float | None = None
    after_deltas: int = 0
    error_type: str = "overloaded_error"
    stall_seconds: float = 3600.0


@dataclass
class Reply:
    """One scripted answer; empty `text` echoes the last user message.

    A `status` fault keeps the reply at the head of the queue for `times` failed requests, then it
    is served normally; any other fault is served once, with the reply.
    """

    text: str = ""
    stop_reason: str = "end_turn"
    fault: Fault | None = None
    times: int = 1
    stop_details: dict[str, Any] | None = None
    steps: tuple[claude_tools.Step, ...] = ()
    """Thinking, web searches and fetches, client tool calls and cited text, served in order in place
    of `text` (see `claude_tools`)."""


@dataclass
class RecordedRequest:
    """What the fake received, so tests can assert what Claude was sent (header names lowercased).

    The answer fields are filled while it is served, so benchmarks can time the bot against the
    moments Claude's tokens left the server and check Slack ends up with exactly this text.
    """

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    time: float
    text: str = ""
    """The answer text served (after any max_tokens cut), streamed or not."""
    first_delta: float | None = None
    """time.monotonic() just after the first text delta was written to the stream."""
    last_delta: float | None = None
    """time.monotonic() just after the last text delta was written to the stream."""
    deltas_sent: int = 0


RECORDED = web.RequestKey("recorded", RecordedRequest)


class _ApiError(Exception):
    """A refusal the real API would send as an error body, raised from deep inside validation."""

    def __init__(self, status: int, error_type: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.retry_after = retry_after


def _invalid(message: str) -> _ApiError:
    return _ApiError(400, "invalid_request_error", message)


@dataclass
class _Prompt:
    """The parts of a validated request that usage, caching and the echo depend on."""

    system_tokens: int
    message_tokens: list[int]
    last_user_text: str

    @property
    def total(self) -> int:
        return self.system_tokens + sum(self.message_tokens)

    def boundary_tokens(self) -> list[int]:
        """Tokens of the prefix ending at each message, the points a cache entry can end at."""
        running, out = self.system_tokens, []
        for tokens in self.message_tokens:
            running += tokens
            out.append(running)
        return out


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(18).replace("-", "a").replace("_", "b")


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


PING = _sse("ping", {"type": "ping"})
CONTENT_BLOCK_START = _sse(
    "content_block_start",
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
)
CONTENT_BLOCK_STOP = _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
MESSAGE_STOP = _sse("message_stop", {"type": "message_stop"})


@lru_cache(maxsize=256)
def _delta_events(text: str, chars_per_token: int) -> tuple[bytes, ...]:
    """Encodes each token's event once, shared by every stream of the same answer (benchmarks)."""
    return tuple(
        _sse(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
        )
        for piece in (text[i : i + chars_per_token] for i in range(0, len(text), chars_per_token))
    )


def _text_tokens(text: str, chars_per_token: int) -> int:
    return math.ceil(len(text) / chars_per_token)


def _sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _decode_base64(data: object, where: str) -> bytes:
    if not isinstance(data, str) or not data:
        raise _invalid(f"{where}.data: Field required")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"{where}.data: invalid base64 data") from None


def _image_tokens(block: dict[str, Any], where: str, max_side: int) -> int:
    source = block.get("source")
    if not isinstance(source, dict) or source.get("type") != "base64":
        raise _invalid(f"{where}.source: image source must be of type base64")
    where = f"{where}.source.base64"
    media_type = source.get("media_type")
    if media_type not in IMAGE_MEDIA_TYPES:
        raise _invalid(f"{where}.media_type: Input should be {', '.join(map(repr, IMAGE_MEDIA_TYPES))}")
    data = source.get("data")
    if isinstance(data, str) and len(data) > MAX_IMAGE_BASE64_BYTES:
        raise _invalid(
            f"{where}: image exceeds 5 MB maximum: {len(data)} bytes > {MAX_IMAGE_BASE64_BYTES} bytes"
        )
    raw = _decode_base64(data, where)
    if _sniff_image(raw) != media_type:
        raise _invalid(f"{where}: Image does not match the provided media type {media_type}")
    too_big = _invalid(
        f"{where}: At least one of the image dimensions exceed max allowed size"
        f"{' for many-image requests' if max_side < MAX_IMAGE_SIDE else ''}: {max_side} pixels"
    )
    try:
        # Pillow warns about (and past twice the limit refuses) huge images; the side check
        # below is the API's rule, so neither should leak into the test run.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        raise too_big from None
    except (OSError, ValueError, SyntaxError):
        raise _invalid(f"{where}: Could not process image") from None
    if width > max_side or height > max_side:
        raise too_big
    return math.ceil(width * height / PIXELS_PER_IMAGE_TOKEN)


def _document_tokens(block: dict[str, Any], where: str, chars_per_token: int) -> int:
    for key in ("title", "context"):
        if block.get(key) is not None and not isinstance(block[key], str):
            raise _invalid(f"{where}.{key}: Input should be a valid string")
    source = block.get("source")
    if not isinstance(source, dict):
        raise _invalid(f"{where}.source: Field required")
    kind, media_type = source.get("type"), source.get("media_type")
    if kind == "base64" and media_type == "application/pdf":
        raw = _decode_base64(source.get("data"), f"{where}.source.base64")
        if not raw.startswith(b"%PDF"):
            raise _invalid(f"{where}.source.base64.data: The PDF specified was not valid.")
        return TOKENS_PER_PDF_PAGE * max(1, len(PDF_PAGE.findall(raw)))
    if kind == "text" and media_type == "text/plain":
        data = source.get("data")
        if not isinstance(data, str):
            raise _invalid(f"{where}.source.text.data: Input should be a valid string")
        return _text_tokens(data, chars_per_token)
    raise _invalid(
        f"{where}.source: document source must be base64 application/pdf or text text/plain, "
        f"got type={kind!r} media_type={media_type!r}"
    )


def _content_tokens(
    content: object, where: str, chars_per_token: int, max_side: int, role: str = "user"
) -> tuple[int, list[str]]:
    """Validates one message's content; returns its tokens and its text parts (for the echo)."""
    if isinstance(content, str):
        if not content:
            raise _invalid(f"{where}: messages must have non-empty content")
        return _text_tokens(content, chars_per_token), [content]
    if not isinstance(content, list) or not content:
        raise _invalid(f"{where}: content must be a non-empty string or a non-empty list of content blocks")
    tokens, texts = 0, []
    for j, block in enumerate(content):
        at = f"{where}.{j}"
        if not isinstance(block, dict):
            raise _invalid(f"{at}: Input should be a valid content block object")
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if not isinstance(text, str):
                raise _invalid(f"{at}.text: Field required")
            if not text:
                raise _invalid(f"{at}.text: text content blocks must be non-empty")
            tokens += _text_tokens(text, chars_per_token)
            texts.append(text)
        elif kind == "image":
            tokens += _image_tokens(block, at, max_side)
        elif kind == "document":
            tokens += _document_tokens(block, at, chars_per_token)
        elif role == "assistant" and kind in claude_tools.ASSISTANT_ONLY_BLOCKS:
            try:
                tokens += claude_tools.assistant_block_tokens(block, at, chars_per_token)
            except claude_tools.ToolRequestError as exc:
                raise _invalid(str(exc)) from None
        elif role == "user" and kind == "tool_result":
            try:
                tokens += claude_tools.tool_result_tokens(block, at, chars_per_token)
            except claude_tools.ToolRequestError as exc:
                raise _invalid(str(exc)) from None
        else:
            raise _invalid(
                f"{at}.type: Input tag {kind!r} does not match any of the expected tags: "
                "'text', 'image', 'document'"
            )
    return tokens, texts


def _system_tokens(system: object, chars_per_token: int) -> int:
    if system is None or isinstance(system, str):
        return _text_tokens(system or "", chars_per_token)
    if not isinstance(system, list):
        raise _invalid("system: Input should be a valid string or a list of text blocks")
    tokens = 0
    for j, block in enumerate(system):
        if (
            not isinstance(block, dict)
            or block.get("type") != "text"
            or not isinstance(block.get("text"), str)
        ):
            raise _invalid(f"system.{j}: Input should be a text block")
        if not block["text"]:
            raise _invalid(f"system.{j}.text: text content blocks must be non-empty")
        tokens += _text_tokens(block["text"], chars_per_token)
    return tokens


def _count_images(messages: list[Any]) -> int:
    return sum(
        1
        for message in messages
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for block in message["content"]
        if isinstance(block, dict) and block.get("type") == "image"
    )


def _parse_prompt(body: dict[str, Any], chars_per_token: int, *, needs_max_tokens: bool) -> _Prompt:
    """Validates a request as the real API does and counts its tokens."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _invalid(
            "model: Field required" if "model" not in body else "model: Input should be a non-empty string"
        )
    if needs_max_tokens:
        max_tokens = body.get("max_tokens")
        if "max_tokens" not in body:
            raise _invalid("max_tokens: Field required")
        if type(max_tokens) is not int or max_tokens < 1:
            raise _invalid("max_tokens: Input should be a positive integer")
    for name in UNSUPPORTED_PARAMS:
        if name in body:
            raise _invalid(f"{name}: {name} is not supported by this model")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise _invalid("stream: Input should be a valid boolean")
    cache_control = body.get("cache_control")
    if cache_control is not None and (
        not isinstance(cache_control, dict)
        or cache_control.get("type") != "ephemeral"
        or not set(cache_control) <= {"type", "ttl"}
        or cache_control.get("ttl", "5m") not in CACHE_TTLS
    ):
        raise _invalid(
            "cache_control: Input should be {'type': 'ephemeral'} with an optional ttl of '5m' or '1h'"
        )
    system_tokens = _system_tokens(body.get("system"), chars_per_token)

    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _invalid("messages: at least one message is required")
    images = _count_images(messages)
    if images > MAX_IMAGES:
        raise _invalid(f"messages: too many images: {images} > {MAX_IMAGES} maximum")
    max_side = MAX_MANY_IMAGES_SIDE if images > MANY_IMAGES else MAX_IMAGE_SIDE
    message_tokens, texts = [], []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _invalid(f"messages.{i}: Input should be a valid message object")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if i == 0 and role != "user":
            raise _invalid('messages: first message must use the "user" role')
        tokens, texts = _content_tokens(
            message.get("content"), f"messages.{i}.content", chars_per_token, max_side, role
        )
        message_tokens.append(TOKENS_PER_MESSAGE + tokens)
    if messages[-1]["role"] != "user" and not claude_tools.is_continuation(messages[-1]):
        raise _invalid(PREFILL_MESSAGE)
    try:
        claude_tools.check_tool_pairs(messages, claude_tools.validate_tools(body))
        claude_tools.validate_thinking(body)
    except claude_tools.ToolRequestError as exc:
        raise _invalid(str(exc)) from None
    return _Prompt(system_tokens, message_tokens, " ".join(texts))


def _without_cache_control(value: Any) -> Any:
    """Breakpoint markers are not content: moving one must not change what a prefix matches."""
    if isinstance(value, dict):
        return {key: _without_cache_control(item) for key, item in value.items() if key != "cache_control"}
    if isinstance(value, list):
        return [_without_cache_control(item) for item in value]
    return value


def _prefix_digests(body: dict[str, Any]) -> list[bytes]:
    """A digest of tools + system + messages[:k] for each k >= 1 (the API's cache order), in one pass."""
    running = hashlib.sha256(json.dumps(_without_cache_control(body.get("tools")), sort_keys=True).encode())
    running.update(json.dumps(_without_cache_control(body.get("system")), sort_keys=True).encode())
    digests = []
    for message in body["messages"]:
        running.update(json.dumps(_without_cache_control(message), sort_keys=True).encode())
        digests.append(running.copy().digest())
    return digests


@dataclass
class _Schedule:
    """Absolute send times (start + ttft + i / rate), so hundreds of concurrent streams don't drift."""

    ttft: float
    tokens_per_second: float | None
    start: float = field(default_factory=lambda: asyncio.get_running_loop().time())

    async def wait(self, index: int) -> None:
        due = self.start + self.ttft + (index / self.tokens_per_second if self.tokens_per_second else 0.0)
        delay = due - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def stall(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.start += seconds


def _error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


class FakeClaude(LoopbackServer):
    """The fake server. Attributes `ttft` and `tokens_per_second` may change between requests."""

    handler_cancellation = True
    """A client that hangs up must end a stalled or slow stream at once."""

    def __init__(
        self,
        *,
        api_key: str = "sk-ant-test-key",
        ttft: float = 0.0,
        tokens_per_second: float | None = None,
        chars_per_token: int = 4,
        min_cache_tokens: int = 1024,
        context_window: int = 200_000,
    ) -> None:
        self.api_key = api_key
        self.ttft = ttft
        self.tokens_per_second = tokens_per_second
        self.chars_per_token = chars_per_token
        self.min_cache_tokens = min_cache_tokens
        self.context_window = context_window
        self.requests: list[RecordedRequest] = []
        self.responder: Callable[[dict[str, Any]], str] | None = None
        """Writes unscripted answers from the request body instead of the echo (the sandbox's model)."""
        self.planner: Callable[[dict[str, Any]], tuple[claude_tools.Step, ...]] | None = None
        """Plans unscripted answers as steps (thinking, searches, cited text) from the request body."""
        self._queue: deque[Reply] = deque()
        self._head_failures = 0
        # model -> prefix digest -> prefix tokens
        self._cache: dict[str, dict[bytes, int]] = {}
        self._inflight: set[asyncio.Task[Any]] = set()

    def script(self, *replies: Reply | str) -> None:
        """Queues answers for the next requests, in order; an empty queue echoes."""
        self._queue.extend(Reply(text=reply) if isinstance(reply, str) else reply for reply in replies)

    def message_requests(self) -> list[dict[str, Any]]:
        return [request.body for request in self.requests if request.path == "/v1/messages"]

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/messages", self._on_messages)
        app.router.add_post("/v1/messages/count_tokens", self._on_count_tokens)
        app.on_response_prepare.append(_stamp_request_id)
        return app

    @property
    def base_url(self) -> str:
        """Where the anthropic SDK is pointed (`base_url`), once started."""
        return self.origin

    async def stop(self) -> None:
        # Open streams (stalls above all) would otherwise hold shutdown for its whole timeout.
        for task in self._inflight:
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        await super().stop()

    async def _on_messages(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, self._answer)

    async def _on_count_tokens(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, self._count_tokens)

    async def _handle(
        self,
        request: web.Request,
        serve: Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        received = time.monotonic()
        request[REQUEST_ID] = _new_id("req_")
        recorded = RecordedRequest(
            request.path, {k.lower(): v for k, v in request.headers.items()}, {}, received
        )
        self.requests.append(recorded)
        request[RECORDED] = recorded
        try:
            raw = await _read_body(request)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if isinstance(body, dict):
                recorded.body = body
            self._authenticate(request)
            if not isinstance(body, dict):
                raise _invalid(
                    "There was an error parsing the body of your request. "
                    "Check that you are sending a JSON object."
                )
            return await serve(request, body)
        except _ApiError as err:
            headers = {} if err.retry_after is None else {"retry-after": f"{err.retry_after:g}"}
            payload = _error_body(err.error_type, err.message) | {"request_id": request[REQUEST_ID]}
            return web.json_response(payload, status=err.status, headers=headers)
        finally:
            self._inflight.discard(task)

    def _authenticate(self, request: web.Request) -> None:
        if request.headers.get("authorization") == f"Bearer {self.api_key}":
            return
        if request.headers.get("x-api-key") == self.api_key:
            return
        raise _ApiError(401, "authentication_error", ERROR_MESSAGES["authentication_error"])

    async def _count_tokens(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        prompt = _parse_prompt(body, self.chars_per_token, needs_max_tokens=False)
        return web.json_response({"input_tokens": prompt.total})

    def _next_reply(self) -> Reply:
        """Takes the reply to serve; a status fault at the head fails `times` requests first."""
        if not self._queue:
            return Reply()
        head = self._queue[0]
        fault = head.fault
        if fault is not None and fault.kind == "status":
            if self._head_failures < head.times:
                self._head_failures += 1
                error_type = ERROR_TYPE_BY_STATUS.get(fault.status, fault.error_type)
                message = ERROR_MESSAGES.get(error_type, error_type)
                raise _ApiError(fault.status, error_type, message, retry_after=fault.retry_after)
            self._head_failures = 0
            self._queue.popleft()
            return replace(head, fault=None)
        return self._queue.popleft()

    def _usage(self, model: str, body: dict[str, Any], prompt: _Prompt) -> dict[str, int]:
        """Input usage under the simulated prompt cache, which then remembers this prompt."""
        total = prompt.total
        if body.get("cache_control") is None:
            return {"input_tokens": total, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        remembered = self._cache.setdefault(model, {})
        prefixes = list(zip(_prefix_digests(body), prompt.boundary_tokens(), strict=True))
        read = next((tokens for digest, tokens in reversed(prefixes) if digest in remembered), 0)
        if read < self.min_cache_tokens:
            read = 0
        creation = total - read if total >= self.min_cache_tokens else 0
        remembered.update(prefixes)
        return {
            "input_tokens": total - read - creation,
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": read,
        }

    async def _answer(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        prompt = _parse_prompt(body, self.chars_per_token, needs_max_tokens=True)
        if prompt.total > self.context_window:
            raise _invalid(f"prompt is too long: {prompt.total} tokens > {self.context_window} maximum")
        reply = self._next_reply()
        if not reply.steps and not reply.text and self.planner is not None:
            reply = replace(reply, steps=self.planner(body))
        if reply.steps:
            return await self._answer_steps(request, body, prompt, reply)
        if reply.text or self.responder is None:
            text = reply.text or (
                f"You said: {prompt.last_user_text}" if prompt.last_user_text else "You said nothing."
            )
        else:
            text = self.responder(body)
        stop_reason, stop_details = reply.stop_reason, reply.stop_details
        limit = body["max_tokens"] * self.chars_per_token
        if len(text) > limit:
            text, stop_reason, stop_details = text[:limit], "max_tokens", None
        deltas = _delta_events(text, self.chars_per_token)
        request[RECORDED].text = text
        model = body["model"]
        usage = self._usage(model, body, prompt) | {"output_tokens": len(deltas)}
        stop: dict[str, Any] = {"stop_reason": stop_reason, "stop_sequence": None}
        if stop_details is not None:
            stop["stop_details"] = stop_details
        message = _message_start(model, usage)
        schedule = _Schedule(self.ttft, self.tokens_per_second)
        if body.get("stream"):
            return await self._stream(request, message, deltas, stop, usage, reply.fault, schedule)
        await self._generate_quietly(request, len(deltas), reply.fault, schedule)
        return web.json_response(
            message | {"content": [{"type": "text", "text": text}], "usage": usage} | stop
        )

    async def _answer_steps(
        self, request: web.Request, body: dict[str, Any], prompt: _Prompt, reply: Reply
    ) -> web.StreamResponse:
        """A scripted answer of thinking, tool use and cited text (`claude_tools`), streamed as the
        API streams it, with the server-tool counts and thinking tokens in its usage."""
        served = claude_tools.serve(reply.steps, body, self.chars_per_token)
        if served.called:
            reply = replace(reply, stop_reason="tool_use")  # as the API ends an answer that calls a tool
        request[RECORDED].text = served.text
        model = body["model"]
        usage: dict[str, Any] = self._usage(model, body, prompt)
        usage["input_tokens"] += served.input_tokens
        usage |= {
            "output_tokens": served.output_tokens,
            "server_tool_use": {"web_search_requests": served.searches, "web_fetch_requests": served.fetches},
        }
        if served.thinking_tokens:
            usage["output_tokens_details"] = {"thinking_tokens": served.thinking_tokens}
        stop = {"stop_reason": reply.stop_reason, "stop_sequence": None}
        message = _message_start(model, usage)
        if not body.get("stream"):
            return web.json_response(message | {"content": served.content, "usage": usage} | stop)
        schedule = _Schedule(self.ttft, self.tokens_per_second)
        response = web.StreamResponse(headers=SSE_HEADERS)
        await response.prepare(request)
        await response.write(_sse("message_start", {"type": "message_start", "message": message}) + PING)
        tokens = 0
        for chunk, is_text, paced in zip(served.chunks, served.text_chunks, served.paced, strict=True):
            if paced:
                await schedule.wait(tokens)
                tokens += 1
            await response.write(chunk)
            if is_text:
                _sent_delta(request[RECORDED])
        end = {"type": "message_delta", "delta": stop, "usage": usage}
        await response.write(_sse("message_delta", end) + MESSAGE_STOP)
        return response

    async def _stream(
        self,
        request: web.Request,
        message: dict[str, Any],
        deltas: tuple[bytes, ...],
        stop: dict[str, Any],
        usage: dict[str, int],
        fault: Fault | None,
        schedule: _Schedule,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers=SSE_HEADERS)
        await response.prepare(request)
        await response.write(
            _sse("message_start", {"type": "message_start", "message": message}) + CONTENT_BLOCK_START + PING
        )
        fault_at = fault.after_deltas if fault is not None else -1
        for i in range(len(deltas) + 1):
            if i == fault_at:
                assert fault is not None
                if fault.kind == "stall":
                    await schedule.stall(fault.stall_seconds)
                elif fault.kind == "drop":
                    _drop(request)
                    return response
                else:
                    error = _error_body(fault.error_type, ERROR_MESSAGES.get(fault.error_type, "Overloaded"))
                    await response.write(_sse("error", error))
                    return response
            if i == len(deltas):
                break
            await schedule.wait(i)
            await response.write(deltas[i])
            _sent_delta(request[RECORDED])
        end = {"type": "message_delta", "delta": stop, "usage": usage}
        await response.write(CONTENT_BLOCK_STOP + _sse("message_delta", end) + MESSAGE_STOP)
        return response

    async def _generate_quietly(
        self, request: web.Request, tokens: int, fault: Fault | None, schedule: _Schedule
    ) -> None:
        """A non-streaming answer takes as long as its stream would, and fails the same ways.

        After a drop the caller's response goes nowhere: the socket is already gone.
        """
        if fault is not None and fault.after_deltas < tokens:
            await schedule.wait(fault.after_deltas)
            if fault.kind == "stall":
                await schedule.stall(fault.stall_seconds)
            elif fault.kind == "drop":
                _drop(request)
                return
            else:
                status = STATUS_BY_ERROR_TYPE.get(fault.error_type, 500)
                raise _ApiError(status, fault.error_type, ERROR_MESSAGES.get(fault.error_type, "Overloaded"))
        await schedule.wait(tokens - 1)


def _message_start(model: str, usage: dict[str, Any]) -> dict[str, Any]:
    """The message as `message_start` carries it: no content yet, one output token so far."""
    return {
        "id": _new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage | {"output_tokens": 1},
    }


def _sent_delta(recorded: RecordedRequest) -> None:
    now = time.monotonic()
    if recorded.first_delta is None:
        recorded.first_delta = now
    recorded.last_delta = now
    recorded.deltas_sent += 1


def _drop(request: web.Request) -> None:
    """Aborts the socket without the final chunk, so the client sees a broken stream, not an end."""
    transport = request.transport
    if transport is not None:
        transport.abort()


async def _read_body(request: web.Request) -> bytes:
    """Reads the whole body even when too large, so the client gets the 413 instead of a broken pipe."""
    parts, size = [], 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size <= MAX_REQUEST_BYTES:
            parts.append(chunk)
    if size > MAX_REQUEST_BYTES:
        raise _ApiError(
            413, "request_too_large", f"Request exceeds the maximum size of {MAX_REQUEST_BYTES} bytes"
        )
    return b"".join(parts)


async def _stamp_request_id(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["request-id"] = request.get(REQUEST_ID) or _new_id("req_")
