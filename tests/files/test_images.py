import base64
from dataclasses import replace

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from bot.files.images import (
    DAMAGED,
    FIRST_FRAME_ONLY,
    NOT_AN_IMAGE,
    TOO_MANY_PIXELS,
    image_block,
    refit,
    target_size,
)
from bot.files.model import FileLimits
from tests.files import samples
from tests.files.samples import decoded_image

LIMITS = FileLimits()


def assert_within_limits(block: dict, limits: FileLimits = LIMITS) -> Image.Image:
    assert block["type"] == "image"
    assert block["source"]["type"] == "base64"
    assert len(block["source"]["data"]) <= limits.image_max_bytes
    image = decoded_image(block)
    assert Image.MIME[image.format] == block["source"]["media_type"]
    assert max(image.size) <= limits.image_max_edge
    assert image.width * image.height <= limits.image_max_pixels
    return image


def test_an_image_within_limits_passes_through_byte_for_byte() -> None:
    data = samples.png((800, 600))
    outcome = image_block(data, LIMITS)
    assert outcome.note is None
    assert outcome.block["source"]["media_type"] == "image/png"
    assert base64.b64decode(outcome.block["source"]["data"]) == data


def test_a_24_megapixel_photo_is_scaled_to_the_resize_target() -> None:
    outcome = image_block(samples.big_jpeg(), LIMITS)
    image = assert_within_limits(outcome.block)
    assert image.format == "JPEG"
    assert image.size == target_size((6000, 4000), LIMITS.image_max_edge, LIMITS.image_max_pixels)
    assert abs(image.width / image.height - 1.5) < 0.01


def test_exif_orientation_is_applied() -> None:
    outcome = image_block(samples.jpeg((600, 400), orientation=6), LIMITS)
    image = assert_within_limits(outcome.block)
    assert image.size == (400, 600)
    assert image.getexif().get(samples.ORIENTATION) is None


def test_exif_orientation_is_applied_when_scaling_too() -> None:
    outcome = image_block(samples.jpeg((3000, 2000), orientation=8), LIMITS)
    image = assert_within_limits(outcome.block)
    assert image.height > image.width


def test_formats_the_api_does_not_take_are_converted() -> None:
    for data in (samples.bmp(), samples.encode(Image.new("RGB", (300, 200), "red"), "TIFF")):
        image = assert_within_limits(image_block(data, LIMITS).block)
        assert (image.format, image.size) == ("PNG", (300, 200))


def test_heic_photos_are_converted_to_jpeg() -> None:
    image = assert_within_limits(image_block(samples.heic((640, 480)), LIMITS).block)
    assert (image.format, image.size) == ("JPEG", (640, 480))


def test_cmyk_jpeg_is_converted_to_rgb() -> None:
    image = assert_within_limits(image_block(samples.jpeg((200, 100), mode="CMYK"), LIMITS).block)
    assert (image.format, image.mode) == ("JPEG", "RGB")


def test_transparency_survives() -> None:
    data = samples.png((3000, 1000), mode="RGBA", color=(0, 0, 0, 0))
    image = assert_within_limits(image_block(data, LIMITS).block)
    assert (image.format, image.mode) == ("PNG", "RGBA")
    assert image.getpixel((0, 0))[3] == 0


def test_an_animated_gif_becomes_its_first_frame() -> None:
    outcome = image_block(samples.animated_gif(frames=3), LIMITS)
    image = assert_within_limits(outcome.block)
    assert outcome.note == FIRST_FRAME_ONLY
    assert image.format == "PNG"
    assert not getattr(image, "is_animated", False)


def test_an_image_too_heavy_for_the_byte_limit_is_re_encoded_until_it_fits() -> None:
    limits = replace(LIMITS, image_max_bytes=40_000)
    data = samples.encode(samples.noisy((600, 600)), "PNG")
    assert len(data) > limits.image_max_encoded_bytes
    image = assert_within_limits(image_block(data, limits).block, limits)
    assert image.format == "JPEG"


def test_truncated_images_give_a_note() -> None:
    for data in (
        samples.encode(samples.noisy((400, 300)), "PNG"),
        samples.encode(samples.noisy((400, 300)), "JPEG"),
    ):
        outcome = image_block(data[: len(data) // 2], LIMITS)
        assert (outcome.block, outcome.note) == (None, DAMAGED)


def test_a_pixel_bomb_gives_a_note() -> None:
    outcome = image_block(samples.pixel_bomb(), LIMITS)
    assert (outcome.block, outcome.note) == (None, TOO_MANY_PIXELS)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # as bot.files.images does
def test_a_pixel_bomb_is_refused_from_its_header_before_any_decode(monkeypatch) -> None:
    """13000 x 13000 under Pillow's own bomb limit: a PNG's EXIF may follow its pixels, so
    asking for the orientation first decoded all 169 million of them."""
    reached: list[str] = []
    for owner, name in (
        (ImageFile.ImageFile, "load"),
        (Image.Image, "getexif"),
        (PngImagePlugin.PngImageFile, "getexif"),
    ):
        original = getattr(owner, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            reached.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(owner, name, spy)
    outcome = image_block(samples.pixel_bomb(13_000, 13_000), LIMITS)
    assert (outcome.block, outcome.note) == (None, TOO_MANY_PIXELS)
    assert reached == [], "no pixel and no EXIF was decoded"
    assert image_block(samples.png((40, 30)), LIMITS).block is not None
    assert reached, "the spies do see a real decode"


def test_a_jpeg_counts_by_what_it_can_be_decoded_to() -> None:
    limits = replace(LIMITS, image_max_source_pixels=1_000_000, image_max_edge=400, image_max_pixels=100_000)
    outcome = image_block(samples.jpeg((4000, 3000)), limits)
    assert outcome.block is not None, "12 MP decodes at an eighth of each side"
    assert image_block(samples.png((4000, 3000)), limits).note == TOO_MANY_PIXELS


def test_images_beyond_the_decoding_limit_give_a_note() -> None:
    limits = replace(LIMITS, image_max_source_pixels=1_000_000)
    outcome = image_block(samples.png((2000, 1000)), limits)
    assert (outcome.block, outcome.note) == (None, TOO_MANY_PIXELS)


def test_a_big_jpeg_is_decoded_small_so_the_decoding_limit_does_not_refuse_it() -> None:
    limits = replace(LIMITS, image_max_source_pixels=10_000_000)
    assert image_block(samples.big_jpeg(), limits).block is not None


def test_bytes_that_are_no_image_give_a_note() -> None:
    assert image_block(b"%PDF-1.4 not an image", LIMITS).note == NOT_AN_IMAGE


def test_refit_scales_a_prepared_image_to_a_smaller_edge() -> None:
    limits = replace(LIMITS, image_max_edge=3000, image_max_pixels=10_000_000)
    block = image_block(samples.png((2800, 1400)), limits).block
    assert decoded_image(block).size == (2800, 1400)
    assert decoded_image(refit(block, limits, 2000)).size == (2000, 1000)


def test_target_size_keeps_the_shape_within_both_limits() -> None:
    assert target_size((800, 600), 1568, 1_150_000) == (800, 600)
    assert target_size((4000, 100), 1568, 1_150_000) == (1568, 39)
    width, height = target_size((4032, 3024), 1568, 1_150_000)
    assert width * height <= 1_150_000
    assert abs(width / height - 4 / 3) < 0.01


def test_avif_is_converted_and_animated_webp_becomes_its_first_frame() -> None:
    avif = samples.encode(Image.new("RGB", (320, 240), (20, 40, 200)), "AVIF", quality=50)
    image = assert_within_limits(image_block(avif, LIMITS).block)
    assert (image.format, image.size) == ("JPEG", (320, 240))
    frames = [Image.new("RGB", (64, 64), (i * 80, 0, 0)) for i in range(3)]
    webp = samples.encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)
    outcome = image_block(webp, LIMITS)
    assert outcome.note == FIRST_FRAME_ONLY
    assert decoded_image(outcome.block).size == (64, 64)
