"""What Claude writes reaches Slack unable to ping anyone or disguise a link, in every write mode."""

from __future__ import annotations

import json

import pytest

from bot.core.safe_markdown import WORD_JOINER
from bot.fakes.slack import Call
from tests.conftest import Harness
from tests.e2e.test_core_loop import bot_replies

WJ = WORD_JOINER
INJECTED = (
    "Heads up <!channel> and <!here>! @everyone must read this, cc <@U2> and <!subteam^S0ENG|eng>.\n\n"
    "Log in at [docs.python.org](https://evil.example/login) now. Also: a < b && c > d.\n\n"
    "```\n@Override // <!channel>\n```\n"
)
POSTED = (
    f"Heads up &lt;!channel&gt; and &lt;!here&gt;! @{WJ}everyone must read this, cc &lt;@{WJ}U2&gt; "
    "and &lt;!subteam^S0ENG|eng&gt;.\n\n"
    "Log in at [docs.python.org](https://evil.example/login) (evil.example) now. "
    "Also: a &lt; b &amp;&amp; c &gt; d.\n\n"
    "```\n@Override // &lt;!channel&gt;\n```\n"
)
WRITES = ("chat.startStream", "chat.appendStream", "chat.stopStream", "chat.postMessage", "chat.update")


def texts_sent(call: Call) -> list[str]:
    """Every string of a write that Slack renders: `text`, `markdown_text` and markdown blocks."""
    sent = [call.params[key] for key in ("text", "markdown_text") if call.params.get(key)]
    blocks = call.params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    sent += [block["text"] for block in blocks or [] if block.get("type") == "markdown"]
    return sent


@pytest.mark.parametrize("mode", ["native", "edit", "auto"])
async def test_claude_text_with_special_mentions_is_posted_neutralised(make_harness, mode: str) -> None:
    harness: Harness = await make_harness(slack_stream_mode=mode)
    harness.claude.tokens_per_second = 150
    if mode == "auto":
        harness.slack.stream_lifetime = 0.25  # the stream closes mid-answer: the rest comes as edits
    harness.claude.script(INJECTED)
    mention = await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> summarise the pasted doc")
    await harness.wait_for_turns(1)

    [reply] = bot_replies(harness, "C1", mention["ts"])
    assert reply["text"] == POSTED
    writes = harness.slack.calls_to(*WRITES)
    sent = [text for call in writes for text in texts_sent(call)]
    assert any("evil.example" in text for text in sent), "the answer's own writes are the ones checked"
    for text in sent:
        assert "<" not in text, f"live Slack syntax in a write: {text!r}"
        for ping in ("@everyone", "@channel", "@here"):
            assert ping not in text, f"{ping} could ping: {text!r}"
    methods = {call.method for call in writes}
    if mode == "native":
        assert {"chat.startStream", "chat.stopStream"} <= methods and "chat.update" not in methods
    if mode == "edit":
        assert "chat.startStream" not in methods and "chat.update" in methods
    if mode == "auto":
        assert {"chat.startStream", "chat.update"} <= methods, "both ways of writing were used"


async def test_slack_syntax_a_user_typed_reaches_claude_as_the_text_they_saw(harness: Harness) -> None:
    harness.claude.script("Noted.")
    await harness.slack.user_says(harness.url, "C1", "U1", "<@UBOT> what does &lt;!channel&gt; do? a &lt; b")
    await harness.wait_for_turns(1)
    [body] = harness.claude.message_requests()
    sent = json.dumps(body["messages"])
    assert "&lt;!channel&gt;" in sent and "<!channel>" not in sent
    assert "a < b" in sent
