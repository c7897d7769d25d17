"""`bot sandbox --script`: a conversation replayed with no credentials and no network, printed as
text, and accounted in the ledger under the sandbox's own workspace."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PIL import Image

from bot.runtime.sandbox import script
from bot.runtime.sandbox.run import sandbox
from bot.runtime.sandbox.script import ScriptError, Step, load_script
from bot.runtime.sandbox.workspace import GENERAL, ME, RANDOM
from tests.sandbox.conftest import run_bot


def test_a_scripted_conversation_prints_the_thread_and_is_in_the_ledger(
    tmp_path: Path, sandbox_env: dict[str, str]
) -> None:
    Image.new("RGB", (640, 480), (30, 120, 200)).save(tmp_path / "photo.png")
    (tmp_path / "chat.json").write_text(
        json.dumps(
            {
                "prompt": "Answer like a pirate.",
                "steps": [
                    {"text": "@Claude what is 2 + 2?"},
                    {"text": "and this picture?", "files": ["photo.png"], "thread": True},
                    {"user": "Alice", "text": "thanks, a < b & c", "thread": True},
                    "/claude help",
                    "/claude usage",
                ],
            }
        )
    )

    done = run_bot(tmp_path, sandbox_env, "sandbox", "--script", "chat.json", "--speed", "2000")

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("You: /claude prompt Answer like a pirate.\nClaude (only visible to you): Done.")
    said = [line for line in out.splitlines() if line.startswith(("You: ", "Alice: ", "Claude: "))]
    assert [line.split(":")[0] for line in said] == [
        "You",  # the prompt command
        "You",
        "Claude",
        "You",
        "Claude",
        "Alice",
        "Claude",
        "You",  # /claude help
        "You",  # /claude usage
    ]
    assert "You: @Claude what is 2 + 2?" in out
    assert "You: and this picture? [file: photo.png]" in out
    assert "Alice: thanks, a < b & c" in out
    answers = out.split("Claude: ")[1:]
    assert all("(offline sandbox model)" in answer for answer in answers)
    assert "> You: what is 2 + 2?" in answers[0]
    assert "I see 1 image (PNG, 640×480)." in answers[1]
    assert "This thread has 3 user turns so far." in answers[2]
    assert "> Alice: thanks, a < b & c" in answers[2]
    assert "Instructions for this channel: Answer like a pirate." in answers[2]
    help_text = out.split("You: /claude help\nClaude (only visible to you): ")[1]
    assert "/claude prompt" in help_text
    usage_text = out.split("You: /claude usage\nClaude (only visible to you): ")[1]
    assert "usage in this workspace" in usage_text, "the sandbox's person is its workspace's admin"
    assert " INFO " not in done.stderr, "the sandbox keeps the server's logs out of the way"

    usage = run_bot(tmp_path, sandbox_env, "usage", "--json")
    assert usage.returncode == 0, usage.stderr
    rows = {row["team_id"]: row for row in json.loads(usage.stdout)}
    assert list(rows) == ["T0SANDBOX"]
    assert rows["T0SANDBOX"]["requests"] == 3
    assert rows["T0SANDBOX"]["output_tokens"] > 0


def test_a_script_run_twice_in_one_folder_is_answered_both_times(
    tmp_path: Path, sandbox_env: dict[str, str]
) -> None:
    """The database outlives a run (it remembers which messages were answered), so every run's
    messages must be new to it, or the second run's are dropped as redeliveries."""
    (tmp_path / "chat.yaml").write_text(
        'steps:\n  - "@Claude hello"\n  - text: and again\n    thread: true\n'
    )

    for run in (1, 2):
        done = run_bot(tmp_path, sandbox_env, "sandbox", "--script", "chat.yaml", "--speed", "2000")

        assert done.returncode == 0, f"run {run}: {done.stdout}\n{done.stderr}"
        lines = done.stdout.splitlines()
        said = [line.split(":")[0] for line in lines if line.startswith(("You:", "Claude:"))]
        assert said == ["You", "Claude", "You", "Claude"], f"run {run}: {done.stdout}"


async def test_a_bot_that_does_nothing_is_given_up_on_quietly_soon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No reply in flight and no call to Slack: reported after QUIET_SECONDS, not after the bot's
    15-minute limit on one answer."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setattr(script, "QUIET_SECONDS", 0.3)
    async with sandbox(offline=True, tokens_per_second=2000) as box:
        # A message stored but never delivered: the bot can't know of it.
        message = box.workspace.slack.post_message(GENERAL, ME, "<@UBOT> anyone?")

        with pytest.raises(script.NoAnswer, match="did nothing for 0 s"):
            await asyncio.wait_for(
                script._answers(box, GENERAL, message["ts"], message["ts"], timeout=600), timeout=30
            )


def test_a_message_the_bot_would_not_answer_is_not_waited_for(
    tmp_path: Path, sandbox_env: dict[str, str]
) -> None:
    (tmp_path / "chat.json").write_text(json.dumps(["no mention here", "@Claude but here"]))

    done = run_bot(tmp_path, sandbox_env, "sandbox", "--script", "chat.json", "--speed", "2000")

    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(("You: ", "Claude: "))]
    assert [line.split(":")[0] for line in lines] == ["You", "You", "Claude"]


def test_a_broken_script_is_one_sentence_and_exit_2(tmp_path: Path, sandbox_env: dict[str, str]) -> None:
    (tmp_path / "chat.json").write_text(json.dumps([{"text": "look", "files": ["missing.png"]}]))

    done = run_bot(tmp_path, sandbox_env, "sandbox", "--script", "chat.json")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("bot: ") and "step 1 attaches" in done.stderr


def test_a_script_object_names_its_channel_prompt_and_steps(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(b"")
    (tmp_path / "chat.json").write_text(
        json.dumps(
            {
                "channel": "random",
                "prompt": "Be brief.",
                "steps": [
                    "hello @Claude",
                    {"user": "Bob", "text": "more", "thread": True, "files": ["photo.png"]},
                ],
            }
        )
    )

    script = load_script(tmp_path / "chat.json")

    assert script.channel == RANDOM and script.prompt == "Be brief."
    assert script.steps == (
        Step("hello @Claude"),
        Step("more", "Bob", (tmp_path / "photo.png",), thread=True),
    )


def test_a_yaml_script_reads_like_the_json_one(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(b"")
    (tmp_path / "chat.yaml").write_text(
        "channel: random\n"
        "prompt: Be brief.\n"
        "steps:\n"
        "  - hello @Claude\n"
        "  - user: Bob\n"
        "    text: more\n"
        "    thread: true\n"
        "    files: [photo.png]\n"
    )

    script = load_script(tmp_path / "chat.yaml")

    assert script.channel == RANDOM and script.prompt == "Be brief."
    assert script.steps == (
        Step("hello @Claude"),
        Step("more", "Bob", (tmp_path / "photo.png",), thread=True),
    )


def test_broken_yaml_is_named(tmp_path: Path) -> None:
    (tmp_path / "chat.yml").write_text("steps: [unclosed\n")

    with pytest.raises(ScriptError, match="is not valid YAML"):
        load_script(tmp_path / "chat.yml")


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("{", "is not valid JSON"),
        ("[]", "has no steps"),
        ('{"channel": "secret", "steps": ["hi"]}', "channel must be one of"),
        ('[{"text": ""}]', "neither text nor files"),
        ('[{"text": "hi", "user": 7}]', "not a name"),
    ],
)
def test_script_mistakes_are_named(tmp_path: Path, content: str, complaint: str) -> None:
    (tmp_path / "chat.json").write_text(content)

    with pytest.raises(ScriptError, match=complaint):
        load_script(tmp_path / "chat.json")


def test_the_default_channel_is_general(tmp_path: Path) -> None:
    (tmp_path / "chat.json").write_text('["hi"]')

    assert load_script(tmp_path / "chat.json").channel == GENERAL
