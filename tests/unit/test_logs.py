import asyncio
import io
import json
import logging

from bot import logs


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
