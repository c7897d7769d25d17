import pytest

from bot.core.textsplit import cut_once


def split_message(text: str, limit: int) -> list[str]:
    """A whole text cut as the reply writer cuts it while streaming, one `cut_once` at a time."""
    chunks: list[str] = []
    rest = text
    while (cut := cut_once(rest, limit)) is not None:
        chunks.append(rest[: cut.consumed] + cut.closing)
        rest = cut.reopen + rest[cut.consumed :]
    chunks.append(rest)
    return chunks


def test_short_text_is_one_message() -> None:
    assert split_message("hello", 200) == ["hello"]


def test_cut_at_paragraph_boundary_and_lossless() -> None:
    text = ("word " * 30 + "\n\n") * 6
    chunks = split_message(text, 400)
    assert all(len(c) <= 400 for c in chunks)
    assert "".join(chunks) == text
    assert all(c.endswith("\n\n") for c in chunks[:-1])


def test_falls_back_to_line_then_word_boundaries() -> None:
    lines = "\n".join(f"line number {i:03d}" for i in range(100))
    chunks = split_message(lines, 200)
    assert "".join(chunks) == lines
    assert all(c.endswith("\n") for c in chunks[:-1])
    words = "abcdefghi " * 100
    assert all(c.endswith(" ") for c in split_message(words, 200)[:-1])


def test_never_cuts_inside_a_code_block_when_a_boundary_outside_exists() -> None:
    code = "```python\n" + "\n".join(f"x{i} = {i}" for i in range(10)) + "\n```\n"
    text = "intro paragraph\n\n" + code + "\n" + "tail " * 10
    chunks = split_message(text, len(code) + 40)
    for chunk in chunks:
        assert chunk.count("```") % 2 == 0, chunk


def test_long_code_block_is_closed_and_reopened_with_its_language() -> None:
    code = "```python\n" + "\n".join(f"value_{i} = {i} * 2" for i in range(200)) + "\n```"
    chunks = split_message("Here:\n\n" + code, 500)
    assert len(chunks) > 3
    assert all(len(c) <= 500 for c in chunks)
    for chunk in chunks[1:]:
        assert chunk.startswith("```python\n")
    for chunk in chunks:
        assert chunk.count("```") % 2 == 0
    rebuilt = "".join(c.removeprefix("```python\n").removesuffix("```") for c in chunks[1:])
    assert "value_199 = 199 * 2" in rebuilt


def test_cuts_are_stable_as_text_grows() -> None:
    text = ("para " * 50 + "\n\n") * 20
    final = split_message(text, 700)
    for end in range(800, len(text), 97):
        partial = split_message(text[:end], 700)
        assert partial[:-1] == final[: len(partial) - 1]


def test_tiny_limit_rejected() -> None:
    with pytest.raises(ValueError):
        split_message("x", 10)


def test_cut_once_never_takes_back_streamed_text() -> None:
    from bot.core.textsplit import cut_once

    text = "short para\n\n" + "x" * 150 + " tail words here " * 10
    free = cut_once(text, 200)
    assert free is not None and free.consumed == len("short para\n\n")
    held = cut_once(text, 200, not_before=120)
    assert held is not None and held.consumed >= 120
    assert cut_once("fits", 200) is None
