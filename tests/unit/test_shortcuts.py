"""The shortcuts' words: plain data."""

from __future__ import annotations

from bot.core.shortcuts import Shortcut, language, opening

LINK = "https://acme.slack.com/archives/C1/p1700000001000100"


def test_language_from_the_slack_locale() -> None:
    assert language("fr-FR") == "French"
    assert language("pt_BR") == "Portuguese"
    assert language("xx-YY") == "the language of the locale xx-YY"
    assert language(None) == "English" and language("") == "English"


def test_each_opening_links_back_and_only_ask_waits() -> None:
    for shortcut in Shortcut:
        words = opening(shortcut, link=LINK, channel_id="C1", locale="de-DE")
        assert f"<{LINK}|this message> in <#C1>" in words.text
        assert (words.question is None) == (shortcut is Shortcut.ASK)
    translate = opening(Shortcut.TRANSLATE, link=LINK, channel_id="C1", locale="de-DE")
    assert "into German" in str(translate.question)
