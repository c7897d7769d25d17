"""Claude's Markdown made safe for Slack: nothing it writes can ping, escape or disguise a link,
Markdown keeps working, and a growing answer only ever grows."""

from __future__ import annotations

import random

import pytest

from bot.core.safe_markdown import HOLD_LIMIT, WORD_JOINER, safe_markdown

WJ = WORD_JOINER


def safe(text: str) -> str:
    return safe_markdown(text, final=True)


@pytest.mark.parametrize(
    ("claude", "posted"),
    [
        ("<!channel> look", "&lt;!channel&gt; look"),
        ("<!here>", "&lt;!here&gt;"),
        ("<!everyone|everyone>", "&lt;!everyone|everyone&gt;"),
        ("<!subteam^S0ENG|eng>", "&lt;!subteam^S0ENG|eng&gt;"),
        ("<@U2> and <#C1>", f"&lt;@{WJ}U2&gt; and &lt;#C1&gt;"),
        ("<https://evil.example|docs.python.org>", "&lt;https://evil.example|docs.python.org&gt;"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),
    ],
)
def test_slack_control_syntax_from_claude_shows_as_text(claude: str, posted: str) -> None:
    assert safe(claude) == posted


def test_plain_at_mentions_outside_code_cannot_ping() -> None:
    assert safe("@here @channel @everyone, ask (@alice)") == (
        f"@{WJ}here @{WJ}channel @{WJ}everyone, ask (@{WJ}alice)"
    )


def test_emails_and_urls_with_an_at_sign_are_untouched() -> None:
    text = "mail bob@example.com or see https://medium.com/@user/post, or type @ alone"
    assert safe(text) == text


def test_reserved_characters_are_escaped_as_slack_requires() -> None:
    assert safe("if a < b && c > d") == "if a &lt; b &amp;&amp; c &gt; d"


def test_markdown_keeps_working() -> None:
    text = (
        "# Title\n\n**bold**, _em_, ~~gone~~\n\n- one\n- two\n\n1. first\n\n"
        "> a quote\n> > nested\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert safe(text) == text


def test_code_keeps_its_text_escaped_and_unpinged() -> None:
    text = "Run `grep '<!channel>' log && echo @here`:\n\n```java\n@Override\nif (a < b) {}\n```\n@here"
    assert safe(text) == (
        "Run `grep '&lt;!channel&gt;' log &amp;&amp; echo @here`:\n\n"
        f"```java\n@Override\nif (a &lt; b) {{}}\n```\n@{WJ}here"
    )


def test_a_backtick_without_its_closer_is_text_and_does_not_shelter_a_mention() -> None:
    assert safe("a ` then @here") == f"a ` then @{WJ}here"
    assert safe("`one\n\n@here`") == f"`one\n\n@{WJ}here`", "a code span ends with its paragraph"


def test_a_link_whose_label_hides_another_host_shows_that_host() -> None:
    assert safe("[docs.python.org](https://evil.example/x)") == (
        "[docs.python.org](https://evil.example/x) (evil.example)"
    )
    assert safe("[**see https://docs.python.org**](http://evil.example)") == (
        "[**see https://docs.python.org**](http://evil.example) (evil.example)"
    )
    assert safe("[support@python.org](mailto:help@evil.example)") == (
        "[support@python.org](mailto:help@evil.example) (evil.example)"
    )


@pytest.mark.parametrize(
    "link",
    [
        "[https://docs.python.org/3/](https://docs.python.org/3/)",
        "[docs.python.org](https://docs.python.org/3/library/)",
        "[python.org](https://www.python.org/)",
        "[the docs](https://docs.python.org/3/)",
        "[Python docs](https://python.org/doc)",
        "[docs.python.org](https://python.org/)",
        "[Foo (bar)](https://en.wikipedia.org/wiki/Foo_(bar))",
    ],
)
def test_a_link_that_says_where_it_goes_stays_as_it_is(link: str) -> None:
    assert safe(link) == link


def test_a_look_alike_host_shows_in_ascii() -> None:
    assert safe("[paypal.com](https://pаypal.com/login)").endswith(" (xn--pypal-4ve.com)")


def test_a_destination_slack_might_link_unchecked_is_broken_into_text() -> None:
    assert safe("[docs](javascript:alert(1))") == f"[docs]{WJ}(javascript:alert(1))"
    assert safe('[docs.python.org](https://evil.example "t")') == (
        f'[docs.python.org]{WJ}(https://evil.example "t")'
    )
    assert safe("[docs](https://a.com/" + "x" * HOLD_LIMIT + ")").startswith(f"[docs]{WJ}(")


def test_a_backslashed_bracket_still_gets_its_host_shown_in_case_slack_links_it() -> None:
    assert safe(r"\[docs.python.org](https://evil.example)") == (
        r"\[docs.python.org](https://evil.example) (evil.example)"
    )


def test_url_characters_that_could_change_a_link_are_encoded() -> None:
    assert (
        safe("[a](https://a.com/?q=1&r=2|<!here>)") == "[a]\u2060(https://a.com/?q=1&amp;r=2|&lt;!here&gt;)"
    )
    assert safe("[a](https://a.com/x|y)") == "[a](https://a.com/x%7Cy)"
    assert safe("[a](https://a.com/?q=1&r=2)") == "[a](https://a.com/?q=1&amp;r=2)"


def test_text_that_only_looks_like_a_link_is_text() -> None:
    assert safe("no label](https://evil.example)") == "no label](https://evil.example)"
    assert (
        safe("[docs.python.org]\n\n(https://evil.example)") == "[docs.python.org]\n\n(https://evil.example)"
    )


TRICKY = [
    "Hi <!channel>, see [docs.python.org](https://evil.example/x) & `a < b` @here\n",
    "```python\n@decorator\nx = '<!here>'\n```\nthen @everyone and ``a ` b`` [x](https://a.com/(y)) ",
    "> quote @here\n\n[a [b] c](https://d.com) \\[e](https://f.com) \\`@here` ~~~\n~~~\n",
    "`unclosed <@U1> and [label](https://x.y/z?a=1&b=2|c) end\\",
    '[p](https://a.com "title") [q](mailto:x@y.z) ![img](https://i.com/p.png) @',
]


def assert_grows_in_place(text: str) -> None:
    """Every shown prefix stays a prefix of everything shown after it, and of the final text."""
    complete = safe(text)
    shown = ""
    for k in range(len(text) + 1):
        now = safe_markdown(text[:k], final=False)
        assert now.startswith(shown), (text[:k], shown, now)
        assert safe(text[:k]).startswith(now), (text[:k], now)
        assert complete.startswith(now), (text[:k], now, complete)
        shown = now


@pytest.mark.parametrize("text", TRICKY)
def test_a_streamed_answer_only_ever_grows(text: str) -> None:
    assert_grows_in_place(text)


def test_random_answers_made_of_tricky_pieces_only_ever_grow() -> None:
    pieces = [
        "<!channel>", "@here", "@", "a@b.c", "`", "``", "```", "```py\n", "\n```\n", "~~~\n", "[", "]",
        "(", ")", "](", "[docs.python.org](https://evil.example/x)", "https://x.com/@u", "\\", "\\`",
        "\\]", "&", "<", ">", "\n", "\n\n", "> ", "   ", " ", "word", "**b**", "[a](b)", "é", "\t",
    ]  # fmt: skip
    rng = random.Random(14)
    for _ in range(300):
        assert_grows_in_place("".join(rng.choice(pieces) for _ in range(rng.randint(1, 20))))


@pytest.mark.parametrize(
    "hostile",
    [
        "[" + "label " * 2_000 + "](https://docs.python.org/",
        "see [x](https://a.com/" + "b" * 10_000,
        "`" + "code " * 2_000,
        "```" + "x" * 10_000,
        "`" * 10_000,
    ],
)
def test_what_waits_for_more_text_is_bounded(hostile: str) -> None:
    for more in ("", "y" * 10_000):
        text = hostile + more
        held = len(safe(text)) - len(safe_markdown(text, final=False))
        assert held <= HOLD_LIMIT + 16


def test_a_ten_thousand_character_label_streams_as_it_comes() -> None:
    text = "[" + "x" * 10_000
    assert safe_markdown(text, final=False) == text
