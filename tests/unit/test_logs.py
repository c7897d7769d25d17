import asyncio
import io
import json
import logging

from bot.process import logs


def test_json_lines_carry_the_bound_ids() -> None:
    stream = io.StringIO()
    logs.configure("INFO", "json")
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]

    async def turn() -> None:
        logs.bind(event_id="Ev1", team_id="T1", channel_id="C1", thread_ts="1.0")
        logs.bind(request_id="req_1")
        logging.getLogger("bot.test").warning("claude call failed")

    asyncio.run(turn())
    logging.getLogger("bot.test").warning("outside any turn")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "claude call failed"
    assert {k: first[k] for k in ("event_id", "team_id", "channel_id", "thread_ts", "request_id")} == {
        "event_id": "Ev1",
        "team_id": "T1",
        "channel_id": "C1",
        "thread_ts": "1.0",
        "request_id": "req_1",
    }
    assert "team_id" not in second
    logs.configure("INFO", "text")


SECRETS = {
    "bot token": "xoxb-1234-5678-abcdefABCDEF",
    "rotating bot token": "xoxe.xoxb-1-MS0yLTEyMzQ1Njc4",
    "refresh token": "xoxe-1-My0xLTEyMzQ1Njc4OTAtYWJj",
    "user token": "xoxp-1234-5678-9999-feedface",
    "app token": "xapp-1-A111-222-abcdef",
    "anthropic key": "sk-ant-api03-Zx_9-abcdefghijk",
    "client secret": "c0ffee-client-secret-value",
    "basic credentials": "MTExMS4yMjIyOnRlc3QtY2xpZW50LXNlY3JldA==",
    "opaque bearer": "opaque.bearer.value",
    "database password": "hunter2-db-password",
}


def log_everywhere(stream: io.StringIO, fmt: str) -> None:
    logs.configure("DEBUG", fmt, "DEBUG")
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    s = SECRETS
    library = logging.getLogger("slack_sdk.web.async_base_client")
    library.debug("Sending a request - body_params: %s", {"refresh_token": s["refresh token"]})
    library.debug("headers: {'Authorization': 'Bearer %s'}", s["opaque bearer"])
    logging.getLogger("aiosqlite").debug(
        "executing INSERT ... (%r, %r)", s["bot token"], s["rotating bot token"]
    )
    logging.getLogger("slack_sdk.oauth").debug("Authorization: Basic %s", s["basic credentials"])
    logging.getLogger("slack_bolt.oauth").info("client_secret=%s&code=abc", s["client secret"])
    logging.getLogger("bot.store").info("engine postgresql+asyncpg://bot:%s@db/bot", s["database password"])

    async def with_bound_field() -> None:
        logs.bind(team_id="T1", request_id=s["user token"])
        try:
            raise RuntimeError(f"refused app token {s['app token']} and key {s['anthropic key']}")
        except RuntimeError:
            logging.getLogger("anthropic._base_client").exception("call failed")

    asyncio.run(with_bound_field())


def test_log_lines_carry_no_secret_in_any_format_logger_or_traceback() -> None:
    for fmt in ("text", "json"):
        stream = io.StringIO()
        log_everywhere(stream, fmt)
        output = stream.getvalue()
        assert "RuntimeError" in output and "call failed" in output, output
        assert output.count("[redacted]") >= len(SECRETS) - (fmt == "text"), "text lines carry no fields"
        for what, secret in SECRETS.items():
            assert secret not in output, f"the {what} is in the {fmt} log: {output}"
        if fmt == "json":
            [failure] = [json.loads(line) for line in output.splitlines() if "call failed" in line]
            assert "RuntimeError" in failure["exception"] and failure["team_id"] == "T1"
            assert failure["request_id"] == "xoxp-[redacted]", "the kind of token stays visible"
    logs.configure("INFO", "text")


def test_library_loggers_stay_at_info_when_the_bot_logs_debug() -> None:
    stream = io.StringIO()
    logs.configure("DEBUG", "text")
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("slack_sdk.web").debug("request body: the user's message text")
    logging.getLogger("anthropic").debug("request: the user's message text")
    logging.getLogger("bot.flows.turn").debug("the bot's own debug line")
    logging.getLogger("slack_bolt.App").info("a library's info line")
    output = stream.getvalue()
    assert "message text" not in output
    assert "the bot's own debug line" in output and "a library's info line" in output

    logs.configure("WARNING", "text")  # a quiet bot keeps its libraries quiet too
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("aiohttp.access").info("quiet please")
    assert "quiet please" not in stream.getvalue()
    logs.configure("INFO", "text")


def test_ordinary_values_are_not_mistaken_for_secrets() -> None:
    from bot.core.redaction import redact

    line = "usage input_tokens=12 output_tokens: 40 token_type=bot max_tokens=4096 thread 1712.33"
    assert redact(line) == line
