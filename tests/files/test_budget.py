from dataclasses import replace

from bot.files.budget import TOO_MANY_IMAGES, fit_request
from bot.files.images import image_block
from bot.files.model import FileLimits, Prepared, placeholder
from tests.files import samples
from tests.files.samples import decoded_image

LIMITS = FileLimits()


def fake_image(n: int, weight: int = 100) -> Prepared:
    block = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * weight}}
    return Prepared.of(f"F{n}", f"shot{n}.png", "image", (block,))


def fake_text(n: int, chars: int) -> Prepared:
    block = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x" * chars}}
    return Prepared.of(f"T{n}", f"notes{n}.txt", "text", (block,))


def test_within_limits_nothing_changes() -> None:
    items = [fake_image(1), fake_text(2, 50)]
    assert fit_request(items, LIMITS) == (items, [])


def test_beyond_100_images_the_oldest_give_way() -> None:
    items = [fake_image(n) for n in range(105)]
    fitted, notes = fit_request(items, LIMITS)
    assert [item.kind for item in fitted[:5]] == ["skipped"] * 5
    assert fitted[5:] == items[5:]
    assert fitted[0].blocks == (placeholder("shot0.png", TOO_MANY_IMAGES),)
    assert notes == [
        "Claude can see at most 100 images at once, so the oldest were left out: "
        "shot0.png, shot1.png, shot2.png, shot3.png, shot4.png"
    ]


def test_names_in_a_note_are_bounded() -> None:
    _, notes = fit_request([fake_image(n) for n in range(108)], LIMITS)
    assert notes[0].endswith("shot4.png and 3 more")


def test_the_oldest_attachments_give_way_to_the_request_size_limit() -> None:
    items = [fake_text(1, 4000), fake_image(2, 4000), fake_image(3, 100), fake_text(4, 4000)]
    limits = replace(LIMITS, attachments_max_bytes=5000)
    fitted, notes = fit_request(items, limits)
    assert [item.kind for item in fitted] == ["skipped", "skipped", "image", "text"]
    assert sum(item.size for item in fitted) <= limits.attachments_max_bytes
    assert fitted[0].note is None
    assert notes == [
        "To keep the files within 0.0 MB per request, the oldest were left out: notes1.txt, shot2.png"
    ]


def test_skipped_files_are_not_what_gives_way() -> None:
    skipped = Prepared.of("Z", "a.zip", "skipped", (placeholder("a.zip"),), "a.zip: no")
    items = [skipped, fake_text(1, 5000), fake_text(2, 100)]
    fitted, _ = fit_request(items, replace(LIMITS, attachments_max_bytes=1000))
    assert fitted[0] is skipped
    assert [item.kind for item in fitted[1:]] == ["skipped", "text"]


def test_with_more_than_20_images_each_is_scaled_to_the_many_images_edge_when_the_target_is_higher() -> None:
    limits = replace(LIMITS, image_max_edge=400, many_images_edge=200)  # as 2000 px is to a raised target
    big = image_block(samples.png((400, 200)), limits).block
    items = [Prepared.of(f"F{n}", f"{n}.png", "image", (big,)) for n in range(21)]
    fitted, notes = fit_request(items, limits)
    assert notes == []
    assert {decoded_image(item.blocks[0]).size for item in fitted} == {(200, 100)}
    few, _ = fit_request(items[:20], limits)
    assert decoded_image(few[0].blocks[0]).size == (400, 200)
