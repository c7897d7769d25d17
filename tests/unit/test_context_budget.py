import itertools

from bot.core.context_window import estimate_tokens, fit_thread
from bot.core.conversation import BotIdentity, build_messages

BOT = BotIdentity("UBOT", "BBOT")


def slack_thread(count: int, size: int = 700) -> list[dict]:
    return [
        {
            "ts": f"{i}.0",
            "text": f"{i}:" + "x" * size,
            **({"user": "UBOT", "bot_id": "BBOT"} if i % 3 == 2 else {"user": "U1"}),
        }
        for i in range(count)
    ]


def render(history: list[dict]) -> list[dict]:
    return build_messages(history, bot=BOT, names={"U1": "Alice"})


def test_a_thread_that_fits_is_untouched() -> None:
    history = slack_thread(5)
    fitted = fit_thread(history, render, "sys", budget=10_000)
    assert fitted.omitted == 0
    assert fitted.messages == render(history)


def test_oldest_messages_after_the_first_give_way_with_a_marker() -> None:
    history = slack_thread(301)
    budget = estimate_tokens("sys", render(history)) // 5
    fitted = fit_thread(history, render, "sys", budget)
    assert estimate_tokens("sys", fitted.messages) <= budget
    assert 0 < fitted.omitted < 300
    texts = [b["text"] for m in fitted.messages for b in m["content"]]
    assert texts[0].startswith("Alice: 0:"), "the first message stays"
    assert texts[1] == f"[{fitted.omitted} earlier messages omitted]"
    assert texts[-1].startswith("Alice: 300:"), "the newest message stays"
    roles = [m["role"] for m in fitted.messages]
    assert roles[0] == roles[-1] == "user"
    assert all(a != b for a, b in itertools.pairwise(roles)), "turns still alternate"
    one_fewer = fit_thread(history, render, "sys", budget).omitted - 1
    assert estimate_tokens("sys", _dropping(history, one_fewer)) > budget, "no more is dropped than needed"


def _dropping(history: list[dict], count: int) -> list[dict]:
    marker = {"ts": "0.0", "omitted_marker": True, "text": f"[{count} earlier messages omitted]"}
    return render([history[0], marker, *history[1 + count :]])


def test_images_count_by_the_vision_formula() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}}
    with_image = [{"role": "user", "content": [{"type": "text", "text": "hi"}, image]}]
    assert estimate_tokens("", with_image) > 1_000


def test_messages_never_read_are_counted_in_the_marker_even_when_the_rest_fits() -> None:
    history = slack_thread(4)
    fitted = fit_thread(history, render, "sys", budget=10_000, skipped=500)
    texts = [b["text"] for m in fitted.messages for b in m["content"]]
    assert texts[:2] == ["Alice: 0:" + "x" * 700, "[500 earlier messages omitted]"]
    assert fitted.omitted == 500 and fitted.kept == history


def test_what_attachments_will_weigh_trims_before_they_are_fetched() -> None:
    history = slack_thread(10, size=10)
    heavy = {"3.0", "4.0", "5.0"}

    def attachments(message: dict) -> float:
        return 5_000 if message["ts"] in heavy else 0

    fitted = fit_thread(history, render, "sys", budget=4_000, extra=attachments)
    assert fitted.omitted == 5, "the three heavy ones and those before them give way"
    assert [m["ts"] for m in fitted.kept] == ["0.0", "6.0", "7.0", "8.0", "9.0"]
    again = fit_thread(fitted.kept, render, "sys", budget=4_000, skipped=fitted.omitted)
    assert again.omitted == 5 and again.kept == fitted.kept, "a second pass keeps the count honest"
