from dataclasses import replace

from bot.files.estimate import context_tokens, least_weight
from bot.files.images import image_block
from bot.files.model import MIB, FileLimits, Prepared, placeholder
from bot.files.request_size import TOO_MANY_BYTES, TOO_MANY_IMAGES, RequestRoom, scale_for_many_images
from tests.files import samples
from tests.files.samples import decoded_image

LIMITS = FileLimits()


def fake_image(n: int, weight: int = 100) -> Prepared:
    block = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * weight}}
    return Prepared.of(f"F{n}", f"shot{n}.png", "image", (block,))


def fake_text(n: int, chars: int) -> Prepared:
    block = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x" * chars}}
    return Prepared.of(f"T{n}", f"notes{n}.txt", "text", (block,))


def slack_pdf(n: int, size: int) -> dict:
    return {
        "id": f"P{n}",
        "name": f"report{n}.pdf",
        "mimetype": "application/pdf",
        "filetype": "pdf",
        "size": size,
    }


def slack_image(n: int, size: int = 5 * MIB) -> dict:
    return {"id": f"I{n}", "name": f"shot{n}.png", "mimetype": "image/png", "filetype": "png", "size": size}


def test_within_limits_everything_is_taken() -> None:
    budget = RequestRoom(LIMITS)
    items = [fake_text(2, 50), fake_image(1)]
    assert [budget.take(item) for item in items] == items
    assert budget.notes() == []


def test_newest_first_the_oldest_give_way_to_the_request_size() -> None:
    budget = RequestRoom(replace(LIMITS, attachments_max_bytes=5000))
    newest_first = [fake_text(4, 4000), fake_image(3, 100), fake_image(2, 4000), fake_text(1, 4000)]
    taken = [budget.take(item) for item in newest_first]
    assert [item.kind for item in taken] == ["text", "image", "skipped", "skipped"]
    assert taken[2].blocks == (placeholder("shot2.png", TOO_MANY_BYTES),)
    assert taken[2].note is None, "named once, in the budget's note"
    assert budget.notes() == [
        "To keep the files within 0.0 MB per request, the oldest were left out: notes1.txt, shot2.png"
    ]


def test_a_file_is_refused_from_its_declared_size_before_any_download() -> None:
    budget = RequestRoom(LIMITS)  # 28 MiB
    newest, older = slack_pdf(2, 19_000_000), slack_pdf(1, 19_000_000)
    assert budget.refuses(newest, []) is None
    assert budget.refuses(older, [newest]) is not None, "the newer PDF, still downloading, holds its room"
    budget.take(Prepared.of("P2", "report2.pdf", "pdf", ({"type": "text", "text": "x" * 25_400_000},)))
    refused = budget.refuses(slack_pdf(0, 19_000_000), [])
    assert refused is not None and refused.blocks == (placeholder("report0.pdf", TOO_MANY_BYTES),)
    assert budget.refuses(slack_image(9), []) is None, "an image may still shrink to fit"
    assert budget.notes() == [
        "To keep the files within 28 MB per request, the oldest were left out: report0.pdf, report1.pdf"
    ]


def test_beyond_100_images_the_oldest_give_way_and_names_are_bounded() -> None:
    budget = RequestRoom(LIMITS)
    taken = [budget.take(fake_image(n)) for n in reversed(range(108))]
    assert [item.kind for item in taken[:100]] == ["image"] * 100
    assert taken[100].blocks == (placeholder("shot7.png", TOO_MANY_IMAGES),)
    assert budget.refuses(slack_image(200, 10), []) is not None, "no download once the count is reached"
    [note] = budget.notes()
    assert note.startswith(
        "Claude can see at most 100 images at once, so the oldest were left out: shot200.png"
    )
    assert note.endswith("and 4 more")


def test_skipped_files_do_not_spend_the_budget() -> None:
    budget = RequestRoom(replace(LIMITS, attachments_max_bytes=1000))
    skipped = Prepared.of("Z", "a.zip", "skipped", (placeholder("a.zip"),), "a.zip: no")
    assert budget.take(skipped) is skipped
    assert budget.take(fake_text(2, 100)).kind == "text"


def test_what_slack_declares_weighs_as_it_will() -> None:
    assert least_weight(slack_pdf(1, 300), LIMITS) == 400, "base64"
    assert least_weight({"mimetype": "text/plain", "size": 4000}, LIMITS) == 1000
    assert least_weight(slack_image(1), LIMITS) == 0
    assert least_weight({"mimetype": "application/pdf"}, LIMITS) == 0, "no size: no estimate"
    assert context_tokens(slack_image(1), LIMITS) == 1_600
    assert context_tokens({"mimetype": "text/csv", "size": 7000}, LIMITS) == 2000
    assert context_tokens(slack_pdf(1, 10**6), LIMITS) == 0, "a PDF counts once its pages are known"


def test_with_more_than_20_images_each_is_scaled_to_the_many_images_edge_when_the_target_is_higher() -> None:
    limits = replace(LIMITS, image_max_edge=400, many_images_edge=200)  # as 2000 px is to a raised target
    big = image_block(samples.png((400, 200)), limits).block
    items = [Prepared.of(f"F{n}", f"{n}.png", "image", (big,)) for n in range(21)]
    fitted = scale_for_many_images(items, limits)
    assert {decoded_image(item.blocks[0]).size for item in fitted} == {(200, 100)}
    few = scale_for_many_images(items[:20], limits)
    assert decoded_image(few[0].blocks[0]).size == (400, 200)
