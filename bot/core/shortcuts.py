"""The message shortcuts (a message's ⋮ menu): what each one is called, and the words of the
private conversation it opens. Pure.

Each shortcut opens a thread in the person's DM with the app (the conversation Slack's AI app
pane shows, where the workspace has the pane) whose first message carries the message it is
about (`bot.core.permalinks.about_metadata`); every turn there reads that message and its thread again,
with the person's access checked. Summarize and Translate then answer at once; Ask waits for the
question.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Shortcut(Enum):
    ASK = "claude_ask_about"
    SUMMARIZE = "claude_summarize_thread"
    TRANSLATE = "claude_translate"


TITLES = {
    Shortcut.ASK: "Ask Claude about this",
    Shortcut.SUMMARIZE: "Summarize thread",
    Shortcut.TRANSLATE: "Translate",
}
"""As the manifests name them in a message's menu (the manifest test holds them to it)."""


@dataclass(frozen=True)
class Opening:
    text: str
    """The first message of the private thread (it links back to the message)."""
    question: str | None
    """What the person is taken to ask at once; None: they ask themselves."""


LANGUAGES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
    "ru": "Russian",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "hi": "Hindi",
}
"""Slack's interface languages by their locale prefix (others are named by their code)."""

NOT_IN_CHANNEL = (
    "I can't read <#{channel}> yet: invite me there (`/invite @Claude`) and try the shortcut again."
)
CANT_READ = "I can't read that conversation, so I can't help with this message."
UNAVAILABLE = "⚠️ Slack didn't answer just now. Please try the shortcut again in a moment."


def language(locale: str | None) -> str:
    """`fr-FR` → "French"; an unknown locale is passed on as itself; none at all is English."""
    if not locale:
        return "English"
    prefix = locale.split("-")[0].split("_")[0].lower()
    return LANGUAGES.get(prefix) or f"the language of the locale {locale}"


def opening(shortcut: Shortcut, *, link: str, channel_id: str, locale: str | None = None) -> Opening:
    where = f"<{link}|this message> in <#{channel_id}>"
    if shortcut is Shortcut.ASK:
        return Opening(f"💬 Ask me anything about {where} (and its thread): reply here.", None)
    if shortcut is Shortcut.SUMMARIZE:
        return Opening(
            f"📝 A summary of the thread of {where}, just for you:",
            "Summarize the Slack thread in the slack_link below: what it is about, what was "
            "decided, what is still open and who does what next. Keep it short.",
        )
    target = language(locale)
    return Opening(
        f"🌐 {where} in {target}, just for you:",
        f"Translate the Slack message in the slack_link below into {target} (and its replies, if "
        "it has any). Give only the translation, keeping who said what.",
    )
