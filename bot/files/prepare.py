"""One downloaded Slack file → what Claude is sent for it, decided by what the bytes are."""

from __future__ import annotations

import logging

from bot.files.documents import pdf_block, text_block
from bot.files.images import image_block
from bot.files.model import FileLimits, Kind, Prepared, SlackFile, display_name, left_out
from bot.files.sniff import SniffKind, sniff

log = logging.getLogger(__name__)

UNSUPPORTED: dict[SniffKind, str] = {
    "archive": "Claude can't open archives",
    "office": "Claude can't read Office files; export it as PDF to share it",
    "video": "Claude can't watch videos",
    "audio": "Claude can't listen to audio",
    "empty": "the file is empty",
}
UNKNOWN = "not a kind of file Claude can read"
FAILED = "something went wrong reading it"


def prepare(file: SlackFile, data: bytes, limits: FileLimits) -> Prepared:
    """Never raises: one bad file costs its own content, not the reply."""
    file_id, name = str(file.get("id") or ""), display_name(file)
    try:
        return _prepare(file_id, name, data, limits)
    except Exception:
        log.exception("could not prepare file %s", file_id)
        return left_out(file_id, name, "skipped", f"{name}: {FAILED}")


def _prepare(file_id: str, name: str, data: bytes, limits: FileLimits) -> Prepared:
    sniffed = sniff(data)
    if sniffed.kind == "image":
        image = image_block(data, limits)
        if image.block is None:
            return left_out(file_id, name, "skipped", f"{name}: {image.note}")
        return Prepared.of(file_id, name, "image", (image.block,), _named(name, image.note))
    kind: Kind
    if sniffed.kind == "pdf":
        document = pdf_block(data, name, limits)
        kind = "pdf"
    elif sniffed.kind in ("text", "html") and sniffed.encoding:
        document = text_block(data, sniffed.encoding, name, limits)
        kind = "text"
    else:
        return left_out(file_id, name, "skipped", f"{name}: {UNSUPPORTED.get(sniffed.kind, UNKNOWN)}")
    if document.block is None:
        return left_out(file_id, name, "skipped", f"{name}: {document.note}")
    return Prepared.of(file_id, name, kind, (document.block,), _named(name, document.note), document.tokens)


def _named(name: str, note: str | None) -> str | None:
    return f"{name}: {note}" if note else None
