"""Image bytes → one image block the API accepts, or the reason there is none.

Images the API reads as they are (JPEG, PNG, GIF, WebP) pass through untouched when already
within the size limits; everything else Pillow can decode is turned upright (EXIF orientation),
scaled to the resize target and re-encoded. Scaling here rather than letting the API do it
keeps requests small and avoids the API refusing a request over one oversized image.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

from bot.files.model import ContentBlock, FileLimits

pillow_heif.register_heif_opener()
# Pillow warns from the header of an image over its own bomb limit; the limit here is stricter
# and every image is checked against it, so the warning would only be noise in the logs.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

PASS_THROUGH = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
OPENABLE = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "HEIF", "AVIF", "PSD", "JPEG2000")
"""Decoders trusted with uploads; the rest of Pillow's formats are never tried on them."""
PHOTO_FORMATS = frozenset({"JPEG", "MPO", "HEIF", "AVIF", "WEBP"})
"""Lossy sources: re-encoding them as PNG would only make them bigger."""
ANIMATED_FORMATS = frozenset({"GIF", "PNG", "WEBP"})
PASS_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA"})
KEEP_MODES = frozenset({"L", "LA", "RGB", "RGBA"})
DRAFT_SHRINK = {"JPEG": 64, "MPO": 64}
"""How many times fewer pixels a format can decode to when asked for a smaller size (JPEG: an
eighth of each side); other formats decode every pixel they declare."""
ORIENTATION_TAG = 0x0112
SIDEWAYS = frozenset({5, 6, 7, 8})
JPEG_QUALITIES = (85, 75, 60, 45)
SHRINK_FACTOR = 0.75
FIRST_FRAME_ONLY = "only the first frame of the animation was sent"
TOO_MANY_PIXELS = "the image is too large to open"
DAMAGED = "the image is damaged or incomplete"
NOT_AN_IMAGE = "not an image format Claude can read"


@dataclass(frozen=True)
class ImageOutcome:
    block: ContentBlock | None
    note: str | None = None
    """Why there is no block, or what the user should know about the one there is."""


def image_block(data: bytes, limits: FileLimits, *, max_edge: int | None = None) -> ImageOutcome:
    edge = max_edge or limits.image_max_edge
    try:
        with Image.open(io.BytesIO(data), formats=OPENABLE) as image:
            return _fit(image, data, limits, edge)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return ImageOutcome(None, TOO_MANY_PIXELS)
    except Image.UnidentifiedImageError:
        return ImageOutcome(None, NOT_AN_IMAGE)
    except (OSError, ValueError, SyntaxError, EOFError):
        return ImageOutcome(None, DAMAGED)


def refit(block: ContentBlock, limits: FileLimits, max_edge: int) -> ContentBlock:
    """Scales down an already prepared image block, for requests that must use a smaller
    per-image size than the one the image was prepared at."""
    try:
        data = base64.b64decode(block["source"]["data"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        return block
    return image_block(data, limits, max_edge=max_edge).block or block


def target_size(size: tuple[int, int], max_edge: int, max_pixels: int) -> tuple[int, int]:
    """The largest size of the same shape within both limits; rounding down keeps it within."""
    width, height = size
    scale = min(1.0, max_edge / max(width, height), math.sqrt(max_pixels / (width * height)))
    if scale >= 1.0:
        return size
    return max(1, int(width * scale)), max(1, int(height * scale))


def _fit(image: Image.Image, data: bytes, limits: FileLimits, edge: int) -> ImageOutcome:
    # From the header alone, before anything that may decode pixels: a PNG's EXIF can follow
    # its pixel data, so asking for the orientation may decode the whole image.
    width, height = image.size
    if width * height / DRAFT_SHRINK.get(str(image.format), 1) > limits.image_max_source_pixels:
        return ImageOutcome(None, TOO_MANY_PIXELS)
    orientation = _orientation(image)
    stored = image.size
    upright = (stored[1], stored[0]) if orientation in SIDEWAYS else stored
    target = target_size(upright, edge, limits.image_max_pixels)
    animated = bool(getattr(image, "is_animated", False)) and image.format in ANIMATED_FORMATS
    if (
        image.format in PASS_THROUGH
        and not animated
        and orientation == 1
        and target == upright
        and image.mode in PASS_MODES
        and len(data) <= limits.image_max_encoded_bytes
    ):
        image.load()  # the API refuses the whole request over one image it can't decode
        return ImageOutcome(_block(PASS_THROUGH[str(image.format)], data))
    if target != upright:
        # JPEG decodes at 1/2, 1/4 or 1/8 scale for a fraction of the time and memory.
        image.draft(image.mode, (target[1], target[0]) if orientation in SIDEWAYS else target)
    if image.size[0] * image.size[1] > limits.image_max_source_pixels:
        return ImageOutcome(None, TOO_MANY_PIXELS)
    image.load()
    icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
    upright_image = ImageOps.exif_transpose(image) if orientation != 1 else image
    frame = _normal_mode(upright_image)
    if frame.size != target:
        frame = frame.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    lossless = image.format not in PHOTO_FORMATS or frame.mode in ("LA", "RGBA")
    media_type, encoded = _encode(frame, lossless=lossless, budget=limits.image_max_encoded_bytes, icc=icc)
    return ImageOutcome(_block(media_type, encoded), FIRST_FRAME_ONLY if animated else None)


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except (OSError, ValueError, SyntaxError):
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _normal_mode(frame: Image.Image) -> Image.Image:
    """Modes every encoder here can write and LANCZOS can scale; palettes become true colour."""
    if frame.mode in KEEP_MODES:
        return frame
    return frame.convert("RGBA" if frame.has_transparency_data else "RGB")


def _encode(frame: Image.Image, *, lossless: bool, budget: int, icc: bytes | None) -> tuple[str, bytes]:
    """PNG keeps screenshots' text crisp; JPEG at falling quality, then smaller sizes, is the
    fallback that always ends within the byte budget."""
    while True:
        if lossless:
            png = _save(frame, "PNG", icc)
            if len(png) <= budget:
                return "image/png", png
        opaque = _flatten(frame)
        for quality in JPEG_QUALITIES:
            jpeg = _save(opaque, "JPEG", icc, quality=quality)
            if len(jpeg) <= budget:
                return "image/jpeg", jpeg
        smaller = (max(1, int(frame.width * SHRINK_FACTOR)), max(1, int(frame.height * SHRINK_FACTOR)))
        frame = frame.resize(smaller, Image.Resampling.LANCZOS)


def _flatten(frame: Image.Image) -> Image.Image:
    if frame.mode in ("RGB", "L"):
        return frame
    rgba = frame.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _save(frame: Image.Image, fmt: str, icc: bytes | None, **options: int) -> bytes:
    out = io.BytesIO()
    if icc and frame.mode in ("RGB", "RGBA"):
        frame.save(out, fmt, icc_profile=icc, **options)
    else:
        frame.save(out, fmt, **options)
    return out.getvalue()


def _block(media_type: str, data: bytes) -> ContentBlock:
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": encoded}}
