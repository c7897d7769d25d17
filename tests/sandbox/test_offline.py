"""The offline model says what it is and what it was sent, for any request the bot can make."""

from __future__ import annotations

import base64
import io

from PIL import Image

from bot.runtime.sandbox.offline import LABEL, answer


def _png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_it_names_itself_and_describes_every_attachment() -> None:
    body = {
        "model": "claude-sonnet-5-5",
        "max_tokens": 100,
        "system": [{"type": "text", "text": "Be kind.\n\nInstructions for this channel:\nRhyme."}],
        "messages": [
            {"role": "user", "content": "Ann: hi"},
            {"role": "assistant", "content": "hello"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Bo: look"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": _png(3, 2)},
                    },
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": _png(5, 4)},
                    },
                    {
                        "type": "document",
                        "title": "plan.pdf",
                        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
                    },
                    {
                        "type": "document",
                        "title": "notes.txt",
                        "source": {"type": "text", "media_type": "text/plain", "data": "abc"},
                    },
                ],
            },
        ],
    }

    text = answer(body)

    assert text.startswith(f"_{LABEL}_")
    assert "> Bo: look" in text and "Ann: hi" not in text
    assert "I see 2 images (PNG, 3×2; PNG, 5×4)." in text
    assert "I see 2 documents (plan.pdf: PDF, 5 bytes; notes.txt: text, 3 characters)." in text
    assert "This thread has 2 user turns so far." in text
    assert "> Be kind. Instructions for this channel: Rhyme." in text
    assert "model: claude-sonnet-5-5, max_tokens: 100" in text


async def test_with_web_search_on_it_searches_the_canned_pages_and_cites_one() -> None:
    import anthropic

    from bot.runtime.sandbox.canned_pages import PAGES
    from bot.runtime.sandbox.offline import offline_claude

    async with offline_claude(tokens_per_second=10_000) as claude:
        client = anthropic.AsyncAnthropic(api_key=claude.api_key, base_url=claude.base_url, max_retries=0)
        async with client.messages.stream(
            model="claude-sonnet-5-5",
            max_tokens=8000,
            messages=[{"role": "user", "content": "Ann: is the example status page green?"}],
            tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}],
            thinking={"type": "adaptive", "display": "summarized"},
        ) as stream:
            message = await stream.get_final_message()
        await client.close()
    kinds = [block.type for block in message.content]
    assert kinds == ["thinking", "server_tool_use", "web_search_tool_result", "text"]
    text = message.content[-1]
    assert text.type == "text" and text.text.startswith(f"_{LABEL}_")
    assert text.citations and text.citations[0].url == PAGES[1].url  # type: ignore[union-attr]
    assert message.usage.server_tool_use and message.usage.server_tool_use.web_search_requests == 1
