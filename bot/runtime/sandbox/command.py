"""`bot sandbox`: the page until Ctrl-C, or a scripted conversation replayed once."""

from __future__ import annotations

import argparse
import asyncio
import sys
import webbrowser

from bot.runtime.sandbox.run import sandbox
from bot.runtime.sandbox.script import Script, load_script, replay
from bot.runtime.sandbox.web import serving_page
from bot.runtime.server import until_signalled


def run_sandbox(args: argparse.Namespace, *, offline: bool) -> int:
    """The script is read first: a mistake in it is reported before anything starts."""
    script = load_script(args.script) if args.script is not None else None
    return asyncio.run(_run(args, script, offline=offline))


async def _run(args: argparse.Namespace, script: Script | None, *, offline: bool) -> int:
    async with sandbox(offline=offline, tokens_per_second=args.speed) as box:
        if script is not None:
            return await replay(box, script, sys.stdout)
        async with serving_page(box.workspace, args.port) as url:
            model = "the offline sandbox model" if offline else box.bot.runtime.services.settings.claude_model
            print(f"Sandbox workspace at {url} (Claude: {model}). Ctrl-C stops it.", flush=True)
            if offline:
                print("No ANTHROPIC_API_KEY is set: answers come from an offline stand-in.", flush=True)
            if not args.no_browser:
                _open(url)
            await until_signalled()
    return 0


def _open(url: str) -> None:
    """Only a browser with its own window: a console one (lynx, w3m…) would take over this terminal."""
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return
    console = isinstance(browser, webbrowser.GenericBrowser)
    if not console or isinstance(browser, webbrowser.BackgroundBrowser):
        browser.open(url)
