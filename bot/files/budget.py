"""A whole conversation's attachments, made to fit one request.

Limits that only exist per request (how many images, how big each may be when there are many,
how many bytes in all) can't be met file by file. When something has to give, the oldest
attachments give way: the newest are what the question is most likely about. What gives way
is replaced by a placeholder, so Claude knows it was there, and named in a note.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.files.model import FileLimits, Prepared, left_out, megabytes

NAMES_SHOWN = 5
READABLE = frozenset({"image", "pdf", "text"})
TOO_MANY_IMAGES = "left out, too many images in the conversation"
TOO_MANY_BYTES = "left out, the conversation's files are too large to send together"


def fit_request(attachments: Sequence[Prepared], limits: FileLimits) -> tuple[list[Prepared], list[str]]:
    """`attachments` oldest first; returns them in the same order, some replaced, and the notes."""
    items = list(attachments)
    notes: list[str] = []
    images = [i for i, item in enumerate(items) if item.kind == "image"]
    excess = len(images) - limits.max_images
    if excess > 0:
        dropped = [_give_way(items, i, TOO_MANY_IMAGES) for i in images[:excess]]
        images = images[excess:]
        notes.append(
            f"Claude can see at most {limits.max_images} images at once, so the oldest were left out: "
            + _names(dropped)
        )
    # Images are prepared within `image_max_edge`, so this only bites when that is set higher.
    if len(images) > limits.many_images and limits.image_max_edge > limits.many_images_edge:
        for i in images:
            items[i] = _within_edge(items[i], limits)
    total = sum(item.size for item in items)
    dropped = []
    for i, item in enumerate(items):
        if total <= limits.attachments_max_bytes:
            break
        if item.kind in READABLE:
            dropped.append(_give_way(items, i, TOO_MANY_BYTES))
            total += items[i].size - item.size
    if dropped:
        limit = megabytes(limits.attachments_max_bytes)
        names = _names(dropped)
        notes.append(f"To keep the files within {limit} per request, the oldest were left out: {names}")
    return items, notes


def _give_way(items: list[Prepared], index: int, why: str) -> str:
    item = items[index]
    items[index] = left_out(item.file_id, item.name, "skipped", None, why)
    return item.name


def _within_edge(item: Prepared, limits: FileLimits) -> Prepared:
    from bot.files.images import refit  # Pillow only when there are images to scale (see prepare)

    blocks = tuple(refit(block, limits, limits.many_images_edge) for block in item.blocks)
    return Prepared.of(item.file_id, item.name, item.kind, blocks, item.note)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
