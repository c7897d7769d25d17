"""The Slack app manifests against the code.

The real app is built and every listener it registers is recorded; each manifest must declare
those (events, the slash command, interactivity), declare nothing the app ignores, and ask only
for scopes the code can be shown to need. Adding a scope, a listener or a Web API call without
updating the manifests and the table below fails here, not in a workspace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
import pytest
import yaml
from cryptography.fernet import Fernet
from slack_bolt.async_app import AsyncApp

from bot.core.shortcuts import TITLES
from bot.process.config import DEFAULT_RATE_LIMITS, Settings
from bot.runtime.app import runtime
from bot.runtime.server import running
from bot.slack.scopes import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[1]
SOCKET_MODE = ROOT / "manifests" / "socket-mode.yaml"
HTTP = ROOT / "manifests" / "http.yaml"

MESSAGE_EVENTS = frozenset({"message.channels", "message.groups", "message.im", "message.mpim"})
"""The bot converses in public and private channels, DMs and group DMs: `message` means all four."""

INTERACTIVE = frozenset(
    {
        "action",
        "block_action",
        "attachment_action",
        "view",
        "view_submission",
        "view_closed",
        "options",
        "block_suggestion",
        "shortcut",
        "global_shortcut",
        "message_shortcut",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
    }
)
REGISTRATIONS = frozenset({"event", "message", "command", "function"}) | INTERACTIVE
"""Every AsyncApp method that registers a listener."""

FAMILIES = (
    "admin|apps|assistant|auth|bookmarks|bots|canvases|chat|conversations|dnd|emoji|files|pins|reactions|"
    "reminders|search|team|usergroups|users|views"
)
"""Web API method namespaces, to tell `"chat.update"` from any other dotted string."""
QUOTED_METHOD = re.compile(rf"""["']((?:{FAMILIES})\.[a-zA-Z]+(?:\.[a-zA-Z]+)*)["']""")
CLIENT_CALL = re.compile(rf"\bclient\.((?:{FAMILIES})_[a-zA-Z0-9_]+)\(")
SDK_HELPERS = {"files_upload_v2": frozenset({"files.getUploadURLExternal", "files.completeUploadExternal"})}
"""slack_sdk methods that are no Web API method themselves, and the ones they call."""

HISTORY = frozenset({"channels:history", "groups:history", "im:history", "mpim:history"})
READ = frozenset({"channels:read", "groups:read", "im:read", "mpim:read"})
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "conversations.replies": HISTORY,
    "conversations.history": HISTORY,
    "conversations.info": READ,
    "conversations.members": READ,
    "chat.getPermalink": frozenset(),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "chat.startStream": frozenset({"chat:write"}),
    "chat.appendStream": frozenset({"chat:write"}),
    "chat.stopStream": frozenset({"chat:write"}),
    "assistant.threads.setStatus": frozenset({"chat:write"}),
    "assistant.threads.setTitle": frozenset({"assistant:write"}),
    "assistant.threads.setSuggestedPrompts": frozenset({"assistant:write"}),
    "views.publish": frozenset(),
    "users.info": frozenset({"users:read"}),
    "users.list": frozenset({"users:read"}),
    "views.open": frozenset(),
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
    "files.delete": frozenset({"files:write"}),
    "assistant.search.context": frozenset(
        {"search:read.public", "search:read.private", "search:read.im", "search:read.mpim"}
    ),
}
"""The Web API methods the bot calls, and the bot scopes each one needs."""


@dataclass
class Evidence:
    """What the code does, gathered from the built app and the bot package's source."""

    events: set[str] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)
    message_shortcuts: set[str] = field(default_factory=set)
    interactive: list[str] = field(default_factory=list)
    routes: set[str] = field(default_factory=set)
    redirect_path: str | None = None
    source: str = ""

    def calls(self, method: str) -> bool:
        return method in slack_methods(self.source)


SCOPES: dict[str, tuple[str, Callable[[Evidence], bool]]] = {
    "app_mentions:read": ("the app_mention event", lambda e: "app_mention" in e.events),
    "channels:history": (
        "message.channels events, and conversations.replies in public channels",
        lambda e: "message" in e.events and e.calls("conversations.replies"),
    ),
    "groups:history": (
        "message.groups events, and conversations.replies in private channels",
        lambda e: "message" in e.events and e.calls("conversations.replies"),
    ),
    "im:history": (
        "message.im events, and conversations.replies in DMs",
        lambda e: "message" in e.events and e.calls("conversations.replies"),
    ),
    "mpim:history": (
        "message.mpim events, and conversations.replies in group DMs",
        lambda e: "message" in e.events and e.calls("conversations.replies"),
    ),
    **{
        scope: (
            "conversations.info and conversations.members: whether the asker can see a linked conversation",
            lambda e: e.calls("conversations.info") and e.calls("conversations.members"),
        )
        for scope in sorted(READ)
    },
    "chat:write": ("chat.postMessage and the other chat.* writes", lambda e: e.calls("chat.postMessage")),
    "assistant:write": (
        "the AI app pane: its events, suggested prompts and thread titles",
        lambda e: "assistant_thread_started" in e.events and e.calls("assistant.threads.setSuggestedPrompts"),
    ),
    "users:read": ("users.info, for display names in the conversation", lambda e: e.calls("users.info")),
    "files:read": (
        "downloading files shared in threads from url_private",
        lambda e: "url_private" in e.source,
    ),
    "files:write": (
        "uploading the App Home's usage chart (and deleting the chart it replaces)",
        lambda e: e.calls("files.completeUploadExternal"),
    ),
    "commands": ("the /claude slash command", lambda e: bool(e.commands)),
    **{
        scope: (
            "assistant.search.context: Slack search as the asker, in each kind of conversation",
            lambda e: e.calls("assistant.search.context"),
        )
        for scope in ("search:read.public", "search:read.private", "search:read.im", "search:read.mpim")
    },
}
"""Every bot scope a manifest may ask for: why, and how the code shows it still needs it."""


def slack_methods(source: str) -> set[str]:
    quoted = set(QUOTED_METHOD.findall(source))
    called: set[str] = set()
    for name in CLIENT_CALL.findall(source):
        called |= SDK_HELPERS.get(name, {name.replace("_", ".")})
    return quoted | called


def bot_source() -> str:
    """The bot's own code: the fakes in bot/fakes serve Slack's methods, they don't call them."""
    fakes = ROOT / "bot" / "fakes"
    paths = sorted(path for path in (ROOT / "bot").rglob("*.py") if fakes not in path.parents)
    return "\n".join(path.read_text() for path in paths)


def load(path: Path) -> dict[str, Any]:
    manifest = yaml.safe_load(path.read_text())
    assert isinstance(manifest, dict), f"{path.name} is not a YAML mapping"
    return manifest


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-1-manifest-test",
        "slack_app_token": None,
        "slack_signing_secret": "manifest-test-secret",
        "slack_client_id": None,
        "slack_client_secret": None,
        "slack_api_url": "http://127.0.0.1:9/api/",
        "anthropic_api_key": "sk-ant-manifest-test",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "host": "127.0.0.1",
        "port": 0,
        "metrics_port": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def recorded() -> Iterator[list[tuple[str, Any]]]:
    """Every listener registration on any AsyncApp while the test runs: (method, constraint)."""
    calls: list[tuple[str, Any]] = []

    def recorder(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def recording(self: AsyncApp, *args: Any, **kwargs: Any) -> Any:
            calls.append((name, args[0] if args else next(iter(kwargs.values()), None)))
            return original(self, *args, **kwargs)

        return recording

    with pytest.MonkeyPatch.context() as patch:
        for name in REGISTRATIONS:
            patch.setattr(AsyncApp, name, recorder(name, getattr(AsyncApp, name)))
        yield calls


async def evidence(config: Settings, calls: list[tuple[str, Any]], probes: Sequence[str] = ()) -> Evidence:
    """Build the real app and read off its listeners; with `probes` ("METHOD /path"), also run the
    HTTP server and note which of those it serves. (Socket Mode would try to reach Slack.)"""
    found = Evidence(source=bot_source())
    if probes:
        async with running(config) as bot, aiohttp.ClientSession() as http:
            app = bot.runtime.app
            for probe in probes:
                method, path = probe.split(" ", 1)
                url = f"http://127.0.0.1:{bot.port}{path}"
                async with http.request(method, url, allow_redirects=False) as response:
                    if response.status not in (404, 405):
                        found.routes.add(probe)
    else:
        async with runtime(config) as rt:
            app = rt.app
    assert len(calls) == len(app._async_listeners), "a listener was registered some other way"
    if app.oauth_flow is not None:
        found.redirect_path = app.oauth_flow.settings.redirect_uri_path
    for kind, constraint in calls:
        if kind == "message":
            found.events.add("message")
        elif kind == "event":
            if isinstance(constraint, str):
                found.events.add(constraint)
            elif isinstance(constraint, dict):
                found.events.add(str(constraint["type"]))
            # A pattern (the catch-all that acks unknown events) names nothing to subscribe to.
        elif kind == "command":
            found.commands.add(str(constraint))
        elif kind in INTERACTIVE:
            if kind == "message_shortcut":
                found.message_shortcuts.add(str(constraint))
            found.interactive.append(f"{kind}({constraint!r})")
        else:
            pytest.fail(f"{kind} listeners are not covered by this test yet: extend it and the manifests")
    return found


def declared_events(manifest: dict[str, Any]) -> set[str]:
    return set(manifest["settings"]["event_subscriptions"]["bot_events"])


def declared_commands(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["command"]: entry for entry in manifest["features"].get("slash_commands", [])}


def declared_scopes(manifest: dict[str, Any]) -> list[str]:
    return list(manifest["oauth_config"]["scopes"]["bot"])


def check_against_code(manifest: dict[str, Any], found: Evidence) -> None:
    events = declared_events(manifest)
    for event in found.events:
        if event == "message":
            assert events >= MESSAGE_EVENTS, f"the app listens to messages: declare {sorted(MESSAGE_EVENTS)}"
        else:
            assert event in events, f"the app listens to {event!r}: declare it in bot_events"
    for event in events:
        assert event.split(".")[0] in found.events, f"{event!r} is declared but nothing listens to it"
    if "message.im" in events:
        home = manifest["features"]["app_home"]
        assert home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"], (
            "DMs need the Messages tab, writable"
        )

    assert set(declared_commands(manifest)) == found.commands
    shortcuts = manifest["features"].get("shortcuts", [])
    declared = {entry["callback_id"] for entry in shortcuts if entry["type"] == "message"}
    assert {entry["callback_id"]: entry["name"] for entry in shortcuts} == {
        shortcut.value: title for shortcut, title in TITLES.items()
    }, "the sandbox's message menu names the shortcuts as the manifests do"
    assert declared == found.message_shortcuts, "declare exactly the message shortcuts the app listens to"
    assert all(len(entry["name"]) <= 24 and len(entry["description"]) <= 80 for entry in shortcuts), (
        "Slack's limits: a shortcut's name 24 characters, its description 80"
    )

    interactivity = manifest["settings"].get("interactivity", {})
    assert bool(interactivity.get("is_enabled")) == bool(found.interactive), (
        f"interactivity must be enabled exactly when the app has action listeners: {found.interactive}"
    )

    scopes = declared_scopes(manifest)
    assert len(scopes) == len(set(scopes)), "a scope is listed twice"
    assert set(scopes) == set(BOT_SCOPES), "the manifest and bot.slack.scopes.BOT_SCOPES must agree"
    for scope in scopes:
        assert scope in SCOPES, f"{scope!r}: no known reason the code needs it (add it to SCOPES, or drop it)"
        reason, shown = SCOPES[scope]
        assert shown(found), f"{scope!r} is for {reason}, which the code no longer does"


def url_fields(manifest: dict[str, Any]) -> list[str]:
    settings_ = manifest["settings"]
    urls = [
        settings_["event_subscriptions"].get("request_url"),
        settings_["interactivity"].get("request_url"),
    ]
    urls += [entry.get("url") for entry in declared_commands(manifest).values()]
    urls += manifest["oauth_config"].get("redirect_urls", [])
    return [url for url in urls if url is not None]


def without_urls(value: Any) -> Any:
    """A manifest with everything HTTP-only taken out, to compare the two variants."""
    if isinstance(value, dict):
        skip = {"url", "request_url", "redirect_urls", "socket_mode_enabled"}
        return {key: without_urls(item) for key, item in value.items() if key not in skip}
    if isinstance(value, list):
        return [without_urls(item) for item in value]
    return value


def test_every_web_api_method_the_bot_calls_has_its_scopes_declared() -> None:
    called = slack_methods(bot_source())
    assert "chat.postMessage" in called and "conversations.replies" in called, "the source scan found nothing"
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add these Web API methods to METHOD_SCOPES with the scopes they need: {unknown}"
    unbudgeted = called - set(DEFAULT_RATE_LIMITS)
    assert not unbudgeted, f"give these Web API methods a rate in config.DEFAULT_RATE_LIMITS: {unbudgeted}"
    for path in (SOCKET_MODE, HTTP):
        scopes = set(declared_scopes(load(path)))
        for method in sorted(called):
            assert METHOD_SCOPES[method] <= scopes, (
                f"{path.name}: {method} needs {set(METHOD_SCOPES[method])}"
            )


async def test_socket_mode_manifest_matches_the_app(tmp_path: Path, recorded: list[tuple[str, Any]]) -> None:
    manifest = load(SOCKET_MODE)
    found = await evidence(settings(tmp_path, slack_app_token="xapp-1-manifest-test"), recorded)
    check_against_code(manifest, found)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert url_fields(manifest) == [], "Socket Mode takes no Request URLs"


async def test_http_manifest_matches_the_app_with_oauth(
    tmp_path: Path, recorded: list[tuple[str, Any]]
) -> None:
    """Production is HTTP, installable through OAuth: the manifest covers that app's listeners."""
    manifest = load(HTTP)
    config = settings(
        tmp_path,
        slack_bot_token=None,
        slack_client_id="1.2",
        slack_client_secret="oauth-secret",
        token_encryption_keys=Fernet.generate_key().decode(),
    )
    request_urls = [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *(entry["url"] for entry in declared_commands(manifest).values()),
    ]
    redirect_urls = manifest["oauth_config"]["redirect_urls"]
    probes = [f"POST {urlparse(url).path}" for url in request_urls]
    probes += [f"GET {urlparse(url).path}" for url in redirect_urls]
    found = await evidence(config, recorded, probes)
    check_against_code(manifest, found)
    assert manifest["settings"]["socket_mode_enabled"] is False

    for url in request_urls:
        parsed = urlparse(url)
        assert parsed.scheme == "https", f"Slack only calls https Request URLs: {url}"
        assert f"POST {parsed.path}" in found.routes, f"{url}: the bot serves no POST {parsed.path}"
    assert redirect_urls, "an app installable through OAuth needs its redirect URL"
    for url in redirect_urls:
        parsed = urlparse(url)
        assert parsed.scheme == "https" and parsed.path == found.redirect_path, url
        assert f"GET {parsed.path}" in found.routes, f"{url}: the bot serves no GET {parsed.path}"
    assert len({urlparse(url).netloc for url in url_fields(manifest)}) == 1, "one host for every URL"


def test_both_manifests_describe_the_same_app() -> None:
    socket_mode, http = without_urls(load(SOCKET_MODE)), without_urls(load(HTTP))
    oauth_only = {"app_uninstalled", "tokens_revoked"}
    http["settings"]["event_subscriptions"]["bot_events"] = [
        event for event in http["settings"]["event_subscriptions"]["bot_events"] if event not in oauth_only
    ]
    assert socket_mode == http
