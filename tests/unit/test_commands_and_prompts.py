import pytest

from bot.commands import Command, parse
from bot.config import ConfigError, load_settings
from bot.prompts import PREAMBLE, system_prompt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("help", Command("help")),
        ("nonsense words", Command("help")),
        ("prompt", Command("prompt_show")),
        ("  prompt   You answer as a terse SRE. ", Command("prompt_set", "You answer as a terse SRE.")),
        ("prompt reset", Command("prompt_reset")),
        ("PROMPT Reset", Command("prompt_reset")),
        ("usage", Command("usage")),
    ],
)
def test_parse(text: str, expected: Command) -> None:
    assert parse(text) == expected


def test_system_prompt_layers_in_order() -> None:
    prompt = system_prompt("Operator rules.", "Answer as a terse SRE.")
    assert prompt.startswith(PREAMBLE)
    assert prompt.index("Operator rules.") < prompt.index("Answer as a terse SRE.")
    assert system_prompt("Operator rules.", None).endswith("Operator rules.")


def test_bad_settings_give_one_sentence_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN must be the bot token"):
        load_settings(_env_file=None)
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    monkeypatch.setenv("CLAUDE_MAX_TOKENS", "lots")
    with pytest.raises(ConfigError, match="CLAUDE_MAX_TOKENS is not valid"):
        load_settings(_env_file=None)


def test_serving_needs_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        load_settings(_env_file=None).check_for_serving()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        load_settings(_env_file=None).check_for_serving()
