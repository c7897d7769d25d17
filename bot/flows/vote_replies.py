"""What a person is told after pressing 👍 or 👎 under an answer (only they see it). Pure."""

from __future__ import annotations

from bot.store.feedback import Recorded

THANKS_UP = "Thanks for the 👍. Glad it helped."
THANKS_DOWN = "Thanks for the 👎. Reply in the thread to say what was wrong, and Claude will try again."
CHANGED = "Changed your rating to {emoji}."
SAME = "You already rated this answer {emoji}."
NOT_YET = "That answer is still being recorded. Please press again in a moment."


def acknowledgement(outcome: Recorded, rating: int) -> str:
    emoji = "👍" if rating > 0 else "👎"
    if outcome is Recorded.NO_ANSWER:
        return NOT_YET
    if outcome is Recorded.SAME:
        return SAME.format(emoji=emoji)
    if outcome is Recorded.CHANGED:
        return CHANGED.format(emoji=emoji)
    return THANKS_UP if rating > 0 else THANKS_DOWN
