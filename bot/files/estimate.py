"""What a Slack file will cost, judged from Slack's description of it, before it is downloaded.

Slack declares each file's size and type. That is enough to leave out, without downloading
them, the files a request has no room left for, and to count what an image or a text file will
weigh in Claude's context before deciding which messages a long thread keeps. Declarations can
be wrong (the bytes decide what a file is once it is read), so these are estimates that only
ever err on the side of downloading.
"""

from __future__ import annotations

from typing import Literal

from bot.core.context_window import CHARS_PER_TOKEN, IMAGE_TOKENS_MAX
from bot.files.model import FileLimits, SlackFile

Declared = Literal["image", "pdf", "text", "other"]

IMAGE_TYPES = frozenset({"png", "jpg", "jpeg", "gif", "webp", "heic", "heif", "bmp", "tiff", "psd"})


def declared_kind(file: SlackFile) -> Declared:
    mimetype = str(file.get("mimetype") or "")
    filetype = str(file.get("filetype") or "")
    if mimetype.startswith("image/") or filetype in IMAGE_TYPES:
        return "image"
    if mimetype == "application/pdf" or filetype == "pdf":
        return "pdf"
    if mimetype.startswith("text/") or file.get("mode") == "snippet":
        return "text"
    return "other"


def declared_size(file: SlackFile) -> int | None:
    size = file.get("size")
    return size if isinstance(size, int) and size >= 0 else None


def least_weight(file: SlackFile, limits: FileLimits) -> int:
    """The fewest request bytes the file can take once prepared: a PDF goes as base64; text is
    at least a character per four bytes (UTF-8), up to the characters read; an image can shrink
    to almost nothing, so it counts as nothing until it is prepared."""
    size = declared_size(file)
    if size is None:
        return 0
    kind = declared_kind(file)
    if kind == "pdf":
        return -(-size // 3) * 4
    if kind == "text":
        return min(size // 4, limits.text_max_chars)
    return 0


def context_tokens(file: SlackFile, limits: FileLimits) -> float:
    """What the file will take of Claude's context, where Slack's description tells: an image
    is prepared within the resize target, a text file is read up to `text_max_chars`. A PDF's
    cost depends on its pages, known once it is read, so it counts after that."""
    kind = declared_kind(file)
    if kind == "image":
        return IMAGE_TOKENS_MAX
    size = declared_size(file)
    if kind == "text" and size is not None:
        return min(size, limits.text_max_chars) / CHARS_PER_TOKEN
    return 0.0
