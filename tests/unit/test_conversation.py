from bot.core.conversation import (
    NOTICE_EVENT_TYPE,
    BotIdentity,
    build_messages,
    people_to_name,
    slack_to_plain,
)

BOT = BotIdentity(user_id="UBOT", bot_id="BBOT")
NAMES = {"U1": "Alice", "U2": "Bob", "U3": "Carol"}


def user(ts: str, text: str, who: str = "U1", **extra: object) -> dict:
    return {"type": "message", "ts": ts, "user": who, "text": text, **extra}


def bot(ts: str, text: str, **extra: object) -> dict:
    return {"type": "message", "ts": ts, "user": "UBOT", "bot_id": "BBOT", "text": text, **extra}


def texts(message: dict) -> list[str]:
    return [block["text"] for block in message["content"] if block["type"] == "text"]


def test_roles_alternate_and_speakers_are_named() -> None:
    thread = [user("1", "<@UBOT> what is 2+2?"), bot("2", "4."), user("3", "and 3+3?", who="U2")]
    messages = build_messages(thread, bot=BOT, names=NAMES)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert texts(messages[0]) == ["Alice: what is 2+2?"]
    assert texts(messages[1]) == ["4."]
    assert texts(messages[2]) == ["Bob: and 3+3?"]


def test_consecutive_same_role_turns_merge() -> None:
    thread = [
        user("1", "hi"),
        user("2", "hello", who="U2"),
        bot("3", "part one"),
        bot("4", "part two"),
        user("5", "ok"),
    ]
    messages = build_messages(thread, bot=BOT, names=NAMES)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert texts(messages[0]) == ["Alice: hi", "Bob: hello"]
    assert texts(messages[1]) == ["part one\n\npart two"]


def test_bot_recognised_by_bot_id_alone() -> None:
    thread = [user("1", "q"), {"ts": "2", "bot_id": "BBOT", "text": "a"}, user("3", "q2")]
    assert [m["role"] for m in build_messages(thread, bot=BOT, names=NAMES)] == ["user", "assistant", "user"]


def test_notices_and_non_message_subtypes_are_left_out() -> None:
    notice = bot(
        "2", "⚠️ Claude is overloaded", metadata={"event_type": NOTICE_EVENT_TYPE, "event_payload": {}}
    )
    joined = user("3", "<@U2> has joined the channel", subtype="channel_join")
    thread = [user("1", "q"), notice, joined, user("4", "again?")]
    messages = build_messages(thread, bot=BOT, names=NAMES)
    assert len(messages) == 1
    assert texts(messages[0]) == ["Alice: q", "Alice: again?"]


def test_first_turn_is_user_even_when_the_bot_started_the_thread() -> None:
    messages = build_messages([bot("1", "Daily report: all green"), user("2", "why?")], bot=BOT, names=NAMES)
    assert messages[0]["role"] == "user"
    assert "Daily report: all green" in texts(messages[0])[0]
    assert texts(messages[0])[1] == "Alice: why?"
    assert len(messages) == 1


def test_trailing_assistant_turn_is_dropped() -> None:
    messages = build_messages([user("1", "q"), bot("2", "a")], bot=BOT, names=NAMES)
    assert [m["role"] for m in messages] == ["user"]


def test_mentions_links_and_specials_read_as_text() -> None:
    text = "<@UBOT>  ask <@U3> and <@U9|dave> in <#C1|general>, <!here> see <https://x.io|docs> &amp; <https://y.io>"
    plain = slack_to_plain(text, names=NAMES, bot_user_id="UBOT")
    assert plain == "ask @Carol and @dave in #general, @here see [docs](https://x.io) & https://y.io"


def test_empty_mention_still_gives_claude_a_non_empty_turn() -> None:
    messages = build_messages([user("1", "<@UBOT>")], bot=BOT, names=NAMES)
    assert texts(messages[0]) == ["Alice: (no text)"]


def test_attachments_follow_their_message_text() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}
    messages = build_messages(
        [user("1", ""), user("2", "what is this?")], bot=BOT, names=NAMES, attachments={"1": [image]}
    )
    assert messages[0]["content"][0] == {"type": "text", "text": "Alice:"}
    assert messages[0]["content"][1] is image
    assert texts(messages[0])[-1] == "Alice: what is this?"


def test_other_bots_speak_as_users_with_their_name() -> None:
    other = {
        "ts": "2",
        "bot_id": "BOTHER",
        "subtype": "bot_message",
        "username": "Deploybot",
        "text": "deployed v2",
    }
    messages = build_messages([user("1", "status?"), other], bot=BOT, names=NAMES)
    assert texts(messages[0]) == ["Alice: status?", "Deploybot: deployed v2"]


def test_people_to_name_covers_speakers_and_mentions_most_needed_first() -> None:
    thread = [
        user("1", "hi <@U2> and <@U3|carol>"),
        bot("2", "hey <@U1> and <@U4>"),
        {**user("3", "<@UBOT> me too <@U2>"), "user": "U5"},
    ]
    assert people_to_name(thread, bot=BOT) == ["U5", "U1", "U2", "U4", "U3"], (
        "speakers newest first, then mentions"
    )


def test_trigger_missing_from_history_is_added_in_order() -> None:
    from bot.slack.history import with_trigger

    thread = [user("1.0", "a"), user("3.0", "c")]
    assert [m["ts"] for m in with_trigger(thread, user("2.0", "b"))] == ["1.0", "2.0", "3.0"]
    assert with_trigger(thread, user("3.0", "c")) is thread


def test_slack_syntax_a_user_typed_as_text_does_not_become_markup_for_claude() -> None:
    typed = (
        "&lt;!channel&gt; &lt;@U2&gt; &lt;https://x.io|docs&gt; a &lt; b &amp;&amp; map&lt;std::string&gt;"
    )
    plain = slack_to_plain(typed, names=NAMES, bot_user_id="UBOT")
    assert plain == "&lt;!channel&gt; &lt;@U2&gt; &lt;https://x.io|docs&gt; a < b && map<std::string>"
    assert slack_to_plain("&amp;lt;!here&amp;gt; &amp;quot;", names=NAMES, bot_user_id="UBOT") == (
        "&lt;!here&gt; &quot;"
    ), "decoded once: what the user typed, entity names and all"
