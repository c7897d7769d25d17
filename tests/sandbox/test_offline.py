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
