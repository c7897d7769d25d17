"""`bot sandbox --script FILE`: a conversation replayed against the sandbox and printed as text,
for demos and for checking what a system prompt does before a channel gets it.

A script is YAML (`.yaml` / `.yml`) or JSON (any other name): a list of steps or an object
with `steps` (or `messages`) and optional `channel` ("general", "random" or "dm") and `prompt`
(set as the channel's prompt first, as `/claude prompt …` would). A step is a string or an
object with `text`, optional `user` (a name; people join on first use), `files` (paths,
relative to the script) and `thread: true` (reply in the thread of the script's first
message). A step whose text starts with `/` runs that slash command.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.core.conversation import BotIdentity
from bot.core.routing import Decision, decide
from bot.process.config import ConfigError
from bot.runtime.sandbox.run import Sandbox
from bot.runtime.sandbox.workspace import DM, GENERAL, ME, RANDOM, Upload, ts_order
from bot.store import threads

CHANNELS = {"general": GENERAL, "random": RANDOM, "dm": DM}
ANSWER_MARGIN_SECONDS = 30.0
"""Beyond the bot's own limit on one answer (CLAUDE_TOTAL_TIMEOUT) before a step counts as unanswered."""
QUIET_SECONDS = 30.0
"""No reply being written and no call to Slack for this long: the bot is not going to answer."""
POLL_SECONDS = 0.05


class ScriptError(ConfigError):
    """A script that can't be replayed; reported like a bad setting, in one sentence."""


class NoAnswer(Exception):
    """A step the bot should have answered and didn't; the message says how long it was given."""


@dataclass(frozen=True)
class Step:
    text: str
    user: str | None = None
    files: tuple[Path, ...] = ()
    thread: bool = False


@dataclass(frozen=True)
class Script:
    steps: tuple[Step, ...]
    channel: str = GENERAL
    prompt: str | None = None


def load_script(path: Path) -> Script:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"can't read the script {path}: {exc.strerror}") from None
    data = _parse(raw, path)
    if isinstance(data, list):
        data = {"steps": data}
    if not isinstance(data, dict):
        raise ScriptError(f"{path} must hold a list of steps or an object with `steps`")
    steps = data.get("steps", data.get("messages"))
    if not isinstance(steps, list) or not steps:
        raise ScriptError(f"{path} has no steps: give a list of messages under `steps`")
    channel = data.get("channel", "general")
    if channel not in CHANNELS:
        raise ScriptError(f"{path}: channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    prompt = data.get("prompt")
    if prompt is not None and not (isinstance(prompt, str) and prompt.strip()):
        raise ScriptError(f"{path}: prompt must be text")
    return Script(tuple(_step(step, n, path) for n, step in enumerate(steps, 1)), CHANNELS[channel], prompt)


def _parse(raw: str, path: Path) -> Any:
    """YAML for `.yaml` / `.yml` files (easier to write by hand), JSON otherwise."""
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ScriptError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ScriptError(f"{path} is not valid JSON: {exc}") from None


def _step(value: Any, n: int, path: Path) -> Step:
    if isinstance(value, str):
        value = {"text": value}
    if not isinstance(value, dict):
        raise ScriptError(f"{path}: step {n} must be text or an object with `text`")
    text, user, files = value.get("text", ""), value.get("user"), value.get("files", [])
    if not isinstance(text, str) or not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ScriptError(f"{path}: step {n} needs `text` as text and `files` as a list of paths")
    if not text.strip() and not files:
        raise ScriptError(f"{path}: step {n} has neither text nor files")
    if user is not None and not (isinstance(user, str) and user.strip()):
        raise ScriptError(f"{path}: step {n} has a `user` that is not a name")
    paths = tuple(path.parent / f for f in files)
    for file in paths:
        if not file.is_file():
            raise ScriptError(f"{path}: step {n} attaches {file}, which is not a file")
    return Step(text, user, paths, bool(value.get("thread", False)))


async def replay(box: Sandbox, script: Script, out: TextIO) -> int:
    """Each step waits for the bot's answer before the next, so the transcript reads as the
    conversation would in Slack. 0 when every answer came, 1 when one did not."""
    workspace = box.workspace
    channel = script.channel
    timeout = box.bot.runtime.services.settings.claude_total_timeout + ANSWER_MARGIN_SECONDS
    if script.prompt is not None:
        await _command(box, channel, f"/claude prompt {script.prompt.strip()}", ME, out)
    first_ts: str | None = None
    for step in script.steps:
        user = workspace.person(step.user) if step.user else ME
        if step.text.startswith("/"):
            await _command(box, channel, step.text, user, out)
            continue
        uploads = tuple(Upload(file.name, file.read_bytes()) for file in step.files)
        thread_ts = first_ts if step.thread else None
        message = await workspace.say(channel, step.text, user=user, thread_ts=thread_ts, uploads=uploads)
        first_ts = first_ts or message["ts"]
        _print(box, message, out)
        thread = message.get("thread_ts", message["ts"])
        if await _expects_answer(box, channel, message):
            try:
                answers = await _answers(box, channel, thread, message["ts"], timeout)
            except NoAnswer as exc:
                print(f"(no answer: {exc})", file=out, flush=True)
                return 1
            for answer in answers:
                _print(box, answer, out)
    return 0


async def _command(box: Sandbox, channel: str, text: str, user: str, out: TextIO) -> None:
    print(f"{box.workspace.name(user)}: {text}", file=out)
    answer = await box.workspace.command(channel, text, user=user)
    text = box.workspace.readable(answer["text"])
    if not text and box.workspace.modal is not None:
        text = f"[opens a window: {box.workspace.modal['title']['text']}]"
        box.workspace.close_modal()
    print(f"{box.workspace.name(answer['from'])} (only visible to you): {text}\n", file=out, flush=True)


async def _expects_answer(box: Sandbox, channel: str, message: dict[str, Any]) -> bool:
    """The bot's own rule, asked of the message the way the bot will see it."""
    slack = box.workspace.slack
    event = {**message, "channel": channel, "channel_type": "im" if channel == DM else "channel"}
    bot = BotIdentity(user_id=slack.bot_user_id, bot_id=slack.bot_id)
    decision = decide(event, bot=bot, answer_bots=box.bot.runtime.services.settings.bot_answer_other_bots)
    if decision is Decision.IF_BOT_THREAD:
        db = box.bot.runtime.services.db
        return await threads.is_member(db, slack.team_id, channel, str(message["thread_ts"]))
    return decision is Decision.ANSWER


async def _answers(
    box: Sandbox, channel: str, thread_ts: str, after: str, timeout: float
) -> list[dict[str, Any]]:
    """The bot's messages after `after` once its turn is over: it has written in the thread and
    no reply is in flight or still streaming. A bot that does nothing at all (it dropped the
    message) is given up on after QUIET_SECONDS; one that is busy, after `timeout`."""
    slack = box.workspace.slack
    lanes = box.bot.runtime.services.lanes
    now = time.monotonic()
    deadline, last_activity, calls_seen = now + timeout, now, len(slack.calls)
    while now < deadline:
        replies = slack.bot_messages(channel, thread_ts)
        answers = [m for m in replies if ts_order(m["ts"]) > ts_order(after) and m.get("text")]
        streaming = any(slack.is_streaming(channel, m["ts"]) for m in answers)
        if answers and not lanes.running and not streaming:
            return answers
        if lanes.running or streaming or len(slack.calls) != calls_seen:
            last_activity, calls_seen = now, len(slack.calls)
        elif now - last_activity >= QUIET_SECONDS:
            raise NoAnswer(f"the bot did nothing for {QUIET_SECONDS:.0f} s after this message")
        await asyncio.sleep(POLL_SECONDS)
        now = time.monotonic()
    raise NoAnswer(f"none within {timeout:.0f} s")


def _print(box: Sandbox, message: dict[str, Any], out: TextIO) -> None:
    text = box.workspace.readable(str(message.get("text") or ""))
    files = "".join(f" [file: {f['name']}]" for f in message.get("files", []))
    print(f"{box.workspace.name(str(message.get('user')))}: {text}{files}\n", file=out, flush=True)
