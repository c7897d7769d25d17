from bot.core.conversation import BotIdentity
from bot.core.routing import Decision, decide, thread_of

BOT = BotIdentity("UBOT", "BBOT")


def d(event: dict, answer_bots: bool = False) -> Decision:
    return decide(
        {"type": "message", "ts": "1.0", "channel": "C1", **event}, bot=BOT, answer_bots=answer_bots
    )


def test_mentions_and_dms_are_answered() -> None:
    assert d({"type": "app_mention", "user": "U1", "text": "<@UBOT> hi"}) is Decision.ANSWER
    assert d({"user": "U1", "text": "<@UBOT> hi", "channel_type": "channel"}) is Decision.ANSWER
    assert d({"user": "U1", "text": "hi", "channel_type": "im"}) is Decision.ANSWER


def test_thread_replies_depend_on_membership_and_chatter_is_ignored() -> None:
    assert (
        d({"user": "U1", "text": "more", "thread_ts": "0.5", "channel_type": "channel"})
        is Decision.IF_BOT_THREAD
    )
    assert d({"user": "U1", "text": "lunch?", "channel_type": "channel"}) is Decision.IGNORE


def test_own_messages_edits_deletions_and_other_bots_are_ignored() -> None:
    assert d({"user": "UBOT", "bot_id": "BBOT", "text": "answer", "channel_type": "im"}) is Decision.IGNORE
    assert d({"subtype": "message_changed", "channel_type": "im"}) is Decision.IGNORE
    assert d({"subtype": "message_deleted", "channel_type": "im"}) is Decision.IGNORE
    other = {"subtype": "bot_message", "bot_id": "B2", "text": "<@UBOT> ping", "channel_type": "channel"}
    assert d(other) is Decision.IGNORE
    assert d(other, answer_bots=True) is Decision.ANSWER


def test_top_level_message_threads_under_itself() -> None:
    assert thread_of({"channel": "D1", "ts": "5.5"}, "T1").thread_ts == "5.5"
    assert thread_of({"channel": "C1", "ts": "6.6", "thread_ts": "5.5"}, "T1").key == "T1:C1:5.5"
