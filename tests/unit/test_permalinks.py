"""Finding Slack links in a question and what is said of them: plain data, no Slack."""

from __future__ import annotations

from bot.core.permalinks import (
    MAX_LINKS,
    MESSAGE_CHARS,
    LinkRead,
    Outcome,
    Permalink,
    about_link,
    about_metadata,
    find_links,
    footer,
    linked_context,
    with_about,
)

LINK = "https://acme.slack.com/archives/C0123ABCD/p1700000001000100"
REPLY = "https://acme.slack.com/archives/C0123ABCD/p1700000002000200?thread_ts=1700000001.000100&amp;cid=C0123ABCD"


def test_links_as_slack_sends_them_with_labels_escapes_and_repeats() -> None:
    found = find_links(f"look <{LINK}|here> and <{REPLY}> and again <{LINK}>")
    assert [(link.channel_id, link.ts, link.thread_ts) for link in found.links] == [
        ("C0123ABCD", "1700000001.000100", None),
        ("C0123ABCD", "1700000002.000200", "1700000001.000100"),
    ]
    assert found.links[1].root == "1700000001.000100"
    assert not found.thread


def test_only_slack_hosts_and_message_paths_count() -> None:
    text = (
        "<https://evil.example/archives/C1/p1700000001000100> "
        "<https://acme.slack.com.evil.example/archives/C1/p1700000001000100> "
        "<https://acme.slack.com/files/U1/F1/x.png> "
        "<https://acme.enterprise.slack.com/archives/G9/p1700000001000100>"
    )
    assert [link.channel_id for link in find_links(text).links] == ["G9"]


def test_the_word_thread_outside_the_links_asks_for_the_thread() -> None:
    assert find_links(f"summarize this thread <{LINK}>").thread
    assert find_links(f"What did the Thread decide? <{LINK}>").thread
    assert not find_links(f"what about <{REPLY}>").thread, "the link's own thread_ts is no question"


def test_links_beyond_the_cap_are_kept_aside() -> None:
    many = " ".join(f"<https://acme.slack.com/archives/C1/p17000000{i:02d}000100>" for i in range(10))
    found = find_links(many)
    assert len(found.links) == MAX_LINKS and len(found.beyond) == 10 - MAX_LINKS


def read(link: str, outcome: Outcome, *texts: str, more: int = 0) -> LinkRead:
    [permalink] = find_links(link).links
    messages = [{"type": "message", "user": "U2", "text": t, "ts": f"17.{i}"} for i, t in enumerate(texts)]
    return LinkRead(permalink, outcome, messages, more)


def test_unread_links_give_claude_nothing_and_the_footer_no_details() -> None:
    reads = [read(LINK, Outcome.READ, "public news"), read(REPLY, Outcome.HIDDEN)]
    blocks = linked_context(reads, names={"U2": "Bob"}, bot_user_id="UBOT", max_chars=10_000)
    assert len(blocks) == 1 and "Bob: public news" in blocks[0]["text"]
    note = footer(reads)
    assert note is not None
    assert "link 1 (<#C0123ABCD>): read the message" in note
    assert "link 2: not read, it isn't in a conversation both you and I can see" in note
    assert note.count("C0123ABCD") == 1, "the unread link's channel isn't named"


def test_linked_messages_keep_the_first_and_newest_within_their_share() -> None:
    texts = ["the question"] + [f"reply {i} " + "x" * 80 for i in range(100)]
    [block] = linked_context(
        [read(LINK, Outcome.READ, *texts, more=5)], names={}, bot_user_id="UBOT", max_chars=1_000
    )
    assert "the question" in block["text"] and "reply 99" in block["text"] and "reply 0 " not in block["text"]
    assert len(block["text"]) < 1_300
    assert "replies in between left out" in block["text"]
    [long] = linked_context(
        [read(LINK, Outcome.READ, "y" * 50_000)], names={}, bot_user_id="UBOT", max_chars=100_000
    )
    assert len(long["text"]) < MESSAGE_CHARS + 200


def test_a_shortcuts_message_comes_first_and_is_named_only_when_unread() -> None:
    about = Permalink(LINK, "C0123ABCD", "1700000001.000100", None)
    assert about_link({"metadata": about_metadata(about)}) == about
    assert about_link({"metadata": {"event_type": "other", "event_payload": {}}}) is None
    found = with_about(find_links(f"and <{REPLY}>"), about)
    assert found.links[0] == about and found.thread
    ok = [LinkRead(about, Outcome.READ, [{"text": "x", "ts": "1"}])]
    assert footer(ok, about) is None
    gone = [LinkRead(about, Outcome.HIDDEN, [])]
    assert "the message this conversation is about: not read" in str(footer(gone, about))


def test_claudes_own_linked_messages_are_its_own() -> None:
    [permalink] = find_links(LINK).links
    messages = [{"type": "message", "user": "UBOT", "bot_id": "B1", "text": "my answer", "ts": "1.0"}]
    [block] = linked_context(
        [LinkRead(permalink, Outcome.READ, messages)], names={}, bot_user_id="UBOT", max_chars=1_000
    )
    assert "You (Claude): my answer" in block["text"]
