"""PDF and text bytes → document blocks, or the reason there are none.

The API reads PDFs itself (text and page images), so a PDF goes as it is once it is known to
be within the page and size limits; a PDF the API would refuse must not reach it, since a
refusal fails the whole reply, not just the file.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from bot.files.model import ContentBlock, FileLimits, pdf_too_large

EMPTY_TEXT = "the file is empty"
PDF_TOKENS_PER_PAGE = 2_500
"""The API reads each page as text and as an image: about 1,600 tokens for a scanned page and
2,300 for a page of text, whatever the file weighs."""


@dataclass(frozen=True)
class DocumentOutcome:
    block: ContentBlock | None
    note: str | None = None
    """Why there is no block, or what the user should know about the one there is."""
    tokens: float | None = None
    """What the block will take of the context, when its bytes don't tell (a PDF's pages)."""


def pdf_block(data: bytes, title: str, limits: FileLimits) -> DocumentOutcome:
    if len(data) > limits.pdf_max_bytes:
        return DocumentOutcome(None, pdf_too_large(len(data), limits))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return DocumentOutcome(None, "the PDF is password-protected or encrypted")
        pages = len(reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return DocumentOutcome(None, "the PDF is damaged")
    if pages == 0:
        return DocumentOutcome(None, "the PDF has no pages")
    if pages > limits.pdf_max_pages:
        return DocumentOutcome(
            None, f"the PDF has {pages:,} pages; Claude reads PDFs of up to {limits.pdf_max_pages:,} pages"
        )
    encoded = base64.b64encode(data).decode("ascii")
    source = {"type": "base64", "media_type": "application/pdf", "data": encoded}
    return DocumentOutcome(
        {"type": "document", "source": source, "title": title}, tokens=pages * PDF_TOKENS_PER_PAGE
    )


def text_block(data: bytes, encoding: str, title: str, limits: FileLimits) -> DocumentOutcome:
    text = data.decode(encoding, errors="replace").replace("\r\n", "\n")
    if not text.strip():
        return DocumentOutcome(None, EMPTY_TEXT)
    note = None
    if len(text) > limits.text_max_chars:
        kept = cut_at_line(text, limits.text_max_chars)
        note = f"only the first {len(kept):,} of {len(text):,} characters were read"
        text = f"{kept}\n\n[… the file goes on: {note}]"
    source = {"type": "text", "media_type": "text/plain", "data": text}
    return DocumentOutcome({"type": "document", "source": source, "title": title}, note)


def cut_at_line(text: str, limit: int) -> str:
    """Cuts at the last line break in the final tenth of the budget, so Claude doesn't see a
    half line as if it were the file's content; mid-line when the lines are that long."""
    head = text[:limit]
    newline = head.rfind("\n", limit - limit // 10)
    return head[:newline] if newline > 0 else head
