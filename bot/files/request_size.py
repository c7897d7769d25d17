"""A whole conversation's attachments, made to fit one request.

Limits that only exist per request (how many images, how many bytes in all, how big each image
may be when there are many) can't be met file by file. Files are admitted newest first, since
the newest are what the question is most likely about, and the oldest give way: before they
are downloaded when Slack's description already shows there is no room, after they are
prepared otherwise. What gives way is replaced by a placeholder, so Claude knows it was there,
and named in a note.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.files.estimate import declared_kind, least_weight
from bot.files.model import FileLimits, Prepared, SlackFile, display_name, left_out, megabytes

NAMES_SHOWN = 5
READABLE = frozenset({"image", "pdf", "text"})
TOO_MANY_IMAGES = "left out, too many images in the conversation"
TOO_MANY_BYTES = "left out, the conversation's files are too large to send together"


class RequestRoom:
    """What one request's attachments may still take, spent newest first."""

    def __init__(self, limits: FileLimits) -> None:
        self._limits = limits
        self._bytes_left = limits.attachments_max_bytes
        self._images_left = limits.max_images
        self._left_out: dict[str, list[str]] = {TOO_MANY_IMAGES: [], TOO_MANY_BYTES: []}

    def refuses(self, file: SlackFile, pending: Sequence[SlackFile]) -> Prepared | None:
        """The placeholder for a file there is no room left for, judged from Slack's description
        of it and of the newer files still being prepared (`pending`); None when it may come."""
        file_id, name = str(file.get("id") or ""), display_name(file)
        if declared_kind(file) == "image":
            pending_images = sum(declared_kind(other) == "image" for other in pending)
            if self._images_left - pending_images <= 0:
                return self._give_way(file_id, name, TOO_MANY_IMAGES)
        room = self._bytes_left - sum(least_weight(other, self._limits) for other in pending)
        if room <= 0 or least_weight(file, self._limits) > room:
            return self._give_way(file_id, name, TOO_MANY_BYTES)
        return None

    def take(self, item: Prepared) -> Prepared:
        """The prepared file, or its placeholder when it doesn't fit what is left."""
        if item.kind not in READABLE:
            return item
        if item.kind == "image" and self._images_left <= 0:
            return self._give_way(item.file_id, item.name, TOO_MANY_IMAGES)
        if item.size > self._bytes_left:
            return self._give_way(item.file_id, item.name, TOO_MANY_BYTES)
        self._bytes_left -= item.size
        self._images_left -= item.kind == "image"
        return item

    def notes(self) -> list[str]:
        """`left_out` names newest first; a note lists them oldest first, as the thread does."""
        notes = []
        images = self._left_out[TOO_MANY_IMAGES][::-1]
        if images:
            notes.append(
                f"Claude can see at most {self._limits.max_images} images at once, so the oldest "
                f"were left out: {_names(images)}"
            )
        files = self._left_out[TOO_MANY_BYTES][::-1]
        if files:
            limit = megabytes(self._limits.attachments_max_bytes)
            notes.append(
                f"To keep the files within {limit} per request, the oldest were left out: {_names(files)}"
            )
        return notes

    def _give_way(self, file_id: str, name: str, why: str) -> Prepared:
        self._left_out[why].append(name)
        return left_out(file_id, name, "skipped", None, why)


def scale_for_many_images(items: Sequence[Prepared], limits: FileLimits) -> list[Prepared]:
    """Beyond `many_images` images in one request the API takes smaller ones. Images are
    prepared within `image_max_edge`, so this only bites when that is set higher."""
    images = [item for item in items if item.kind == "image"]
    if len(images) <= limits.many_images or limits.image_max_edge <= limits.many_images_edge:
        return list(items)
    return [_within_edge(item, limits) if item.kind == "image" else item for item in items]


def _within_edge(item: Prepared, limits: FileLimits) -> Prepared:
    from bot.files.images import refit  # Pillow only when there are images to scale (see prepare)

    blocks = tuple(refit(block, limits, limits.many_images_edge) for block in item.blocks)
    return Prepared.of(item.file_id, item.name, item.kind, blocks, item.note, item.tokens)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
