import pytest

from bot.core.command_syntax import BUDGET_HINT, Command, parse, parse_tokens
from bot.core.system_prompt import PREAMBLE, system_prompt
from bot.process.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("help", Command("help")),
        ("nonsense words", Command("help")),
        ("prompt", Command("prompt_edit")),
        ("prompt show", Command("prompt_show")),
        ("  prompt   You answer as a terse SRE. ", Command("prompt_set", "You answer as a terse SRE.")),
        ("prompt Use &lt;b&gt; &amp; <@U1>", Command("prompt_set", "Use <b> & <@U1>")),
        ("prompt reset", Command("prompt_reset")),
        ("PROMPT Reset", Command("prompt_reset")),
        ("prompt history", Command("prompt_history")),
        ("prompt --workspace", Command("prompt_edit", workspace=True)),
        ("prompt —workspace Be kind.", Command("prompt_set", "Be kind.", workspace=True)),
        ("prompt --workspace show", Command("prompt_show", workspace=True)),
        ("prompt --workspace reset", Command("prompt_reset", workspace=True)),
        ("prompt admins-only ON", Command("prompt_lock", "on")),
        ("prompt admins-only off", Command("prompt_lock", "off")),
        (
            "prompt admins-only maybe",
            Command("invalid", "Say `/claude prompt admins-only on` or `/claude prompt admins-only off`."),
        ),
        ("model", Command("model_show")),
        ("model list", Command("model_show")),
        ("model claude-opus-5-5", Command("model_set", "claude-opus-5-5")),
        ("model reset", Command("model_reset")),
        ("model --workspace claude-haiku-5-5", Command("model_set", "claude-haiku-5-5", workspace=True)),
        ("model --workspace reset", Command("model_reset", workspace=True)),
        ("budget", Command("budget_show")),
        ("budget 5M", Command("budget_set", tokens=5_000_000)),
        ("budget off", Command("budget_set", tokens=0)),
        ("budget default", Command("budget_reset")),
        ("budget lots", Command("invalid", BUDGET_HINT)),
        ("budget 0", Command("invalid", BUDGET_HINT)),
        ("usage", Command("usage")),
        ("usage everything", Command("help")),
    ],
)
def test_parse(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("5M", 5_000_000), ("750k", 750_000), ("2.5m", 2_500_000), ("1,000,000", 1_000_000), ("12", 12)],
)
def test_token_amounts(text: str, tokens: int) -> None:
    assert parse_tokens(text) == tokens
    assert parse_tokens("five") is None


def test_system_prompt_layers_in_order() -> None:
    prompt = system_prompt(
        "Operator rules.", workspace_prompt="Company style.", channel_prompt="Answer as a terse SRE."
    )
    assert prompt.startswith(PREAMBLE)
    assert prompt.index("Operator rules.") < prompt.index("Company style.") < prompt.index("terse SRE")
    assert system_prompt("Operator rules.").endswith("Operator rules.")
    assert system_prompt("Operator rules.", workspace_prompt="  ").endswith("Operator rules.")


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
