import itertools

from bot.context_budget import estimate_tokens, trim_to_budget


def thread(turns: int, size: int = 700) -> list[dict]:
    return [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": [{"type": "text", "text": f"{i}:" + "x" * size}],
        }
        for i in range(turns)
    ]


def test_a_thread_that_fits_is_untouched() -> None:
    messages = thread(5)
    trimmed = trim_to_budget("sys", messages, budget=10_000)
    assert trimmed.omitted == 0
    assert trimmed.messages == messages


def test_oldest_turns_after_the_first_give_way_and_a_marker_says_so() -> None:
    messages = thread(41)
    budget = estimate_tokens("sys", messages) // 4
    trimmed = trim_to_budget("sys", messages, budget)
    assert estimate_tokens("sys", trimmed.messages) <= budget
    assert trimmed.omitted > 0 and trimmed.omitted % 2 == 0
    roles = [m["role"] for m in trimmed.messages]
    assert roles[0] == "user" and roles[-1] == "user"
    assert all(a != b for a, b in itertools.pairwise(roles)), "turns still alternate"
    assert trimmed.messages[0]["content"][0]["text"].startswith("0:"), "the first message stays"
    assert trimmed.messages[0]["content"][-1]["text"] == f"[{trimmed.omitted} earlier messages omitted]"
    assert trimmed.messages[-1] == messages[-1], "the newest turn stays"


def test_images_count_by_the_vision_formula() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}}
    with_image = [{"role": "user", "content": [{"type": "text", "text": "hi"}, image]}]
    assert estimate_tokens("", with_image) > 1_000
