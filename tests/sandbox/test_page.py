"""The sandbox page in a real browser (Debian's Chromium, driven by Playwright): a newcomer's
first conversation, files, buttons, the prompt commands, the Home tab and the AI app pane, all
against the real bot and the offline model."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect, sync_playwright

from bot.process.config import DEFAULT_ASSISTANT_PROMPTS, DEFAULT_GREETING
from bot.runtime.sandbox.workspace import GENERAL, ME, RANDOM, TEAM_ID
from bot.store import Database, ledger
from bot.store.models import UsageRecord, utcnow

OFFLINE = "(offline sandbox model)"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
WRITE_DOCS_IMAGES = os.environ.get("SANDBOX_SCREENSHOTS") == "1"
"""`SANDBOX_SCREENSHOTS=1 pytest tests/sandbox/test_page.py` redraws the README's pictures."""
EXPECT_GUARD_MS = 60_000
"""How long an expectation waits before it fails: a guard against a stuck page, not a speed test."""
DROP_NOTES = """() => {
  const notes = new DataTransfer();
  notes.items.add(new File(["line one\\nline two\\n"], "notes.txt", { type: "text/plain" }));
  const drop = new DragEvent("drop", { dataTransfer: notes, bubbles: true, cancelable: true });
  document.getElementById("thread").dispatchEvent(drop);
}"""


def chromium() -> str:
    """CI installs Chromium (.ci/run), so there its absence is a failure; elsewhere a skip."""
    path = shutil.which("chromium")
    if path is None:
        message = (
            "Chromium is not installed: the sandbox page test needs Debian's chromium package "
            "(apt-get install -y --no-install-recommends chromium, as .ci/run does)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def page(sandbox_url: str) -> Page:
    expect.set_options(timeout=EXPECT_GUARD_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(sandbox_url)
        expect(page.locator(".connection.ok")).to_be_visible()
        yield page
        browser.close()


def send(page: Page, composer: str, text: str) -> None:
    page.fill(f"{composer} textarea", text)
    page.press(f"{composer} textarea", "Enter")


def answers(page: Page) -> Locator:
    return page.locator("#thread-messages .message.from-bot").filter(has_text=OFFLINE)


def earlier_usage(database: Path) -> None:
    """Four weeks of the sandbox workspace's calls before today (busy weekdays, quiet weekends), as
    if it had been in use for a while, so the chart has days to draw."""

    async def write() -> None:
        db = Database(f"sqlite+aiosqlite:///{database}")
        try:
            for days_ago in range(1, 29):
                when = utcnow() - timedelta(days=days_ago)
                tokens = 9_000 if when.weekday() >= 5 else 60_000 + 35_000 * (days_ago * 5 % 4)
                row = UsageRecord(
                    created_at=when,
                    team_id=TEAM_ID,
                    channel_id=RANDOM if days_ago % 3 else GENERAL,
                    thread_ts="1700000000.000001",
                    user_id=ME,
                    model="claude-sonnet-5-5",
                    input_tokens=tokens * 3 // 4,
                    output_tokens=tokens // 4,
                )
                await ledger.record(db, row)
        finally:
            await db.close()

    # Playwright's sync API holds this thread's event loop: the database gets one of its own.
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, write()).result()


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    """Taken on every run (a page that can't be pictured is broken); kept as the README's picture
    only when asked, so a test run never rewrites tracked files."""
    path = (DOCS_IMAGES if WRITE_DOCS_IMAGES else tmp_path) / name
    page.screenshot(path=path)
    viewport = page.viewport_size
    with Image.open(path) as picture:
        assert viewport is not None and picture.size == (viewport["width"], viewport["height"])


def test_a_conversation_in_the_sandbox_page(page: Page, tmp_path: Path) -> None:
    # A mention in #general: the answer streams into a thread under it, then completes.
    send(page, "#composer", "@Claude hello from the *sandbox*")
    mention = page.locator("#messages .message").first
    expect(mention.locator(".mention")).to_have_text("@Claude")
    expect(mention.locator("strong")).to_have_text("sandbox")
    mention.locator(".replies").click()
    expect(page.locator("#thread-messages .live")).to_be_visible()  # still being written
    first = answers(page).first
    expect(first).to_contain_text("You said:")
    expect(first.locator("pre code")).to_contain_text("max_tokens:")  # the end of the answer
    expect(page.locator("#thread-messages .live")).to_have_count(0)
    expect(first.locator("blockquote").first).to_have_text("You: hello from the sandbox")
    expect(first.locator("blockquote em")).to_have_text("sandbox")

    # A reply in the thread: no mention needed.
    send(page, "#thread-composer", "and a second question")
    expect(answers(page)).to_have_count(2)
    expect(answers(page).nth(1)).to_contain_text("This thread has 2 user turns")

    # A picture through the file picker: the bot downloads it and Claude gets it.
    Image.new("RGB", (640, 480), (200, 60, 40)).save(tmp_path / "photo.png")
    page.set_input_files("#thread-composer input[type=file]", tmp_path / "photo.png")
    expect(page.locator("#thread-composer .chip")).to_contain_text("photo.png")
    send(page, "#thread-composer", "what is in this picture?")
    expect(answers(page)).to_have_count(3)
    expect(answers(page).nth(2)).to_contain_text("I see 1 image (PNG, 640×480).")
    thumbnail = page.locator("#thread-messages img.thumb")
    expect(thumbnail).to_have_js_property("naturalWidth", 640)
    screenshot(page, "sandbox-thread.png", tmp_path)

    # A text file dropped on the thread.
    page.evaluate(DROP_NOTES)
    expect(page.locator("#thread-composer .chip")).to_contain_text("notes.txt")
    send(page, "#thread-composer", "and these notes")
    expect(answers(page)).to_have_count(4)
    expect(answers(page).nth(3)).to_contain_text("I see 1 document (notes.txt: text")

    # The channel's prompt: the ephemeral confirmation, then the next answer is told it.
    send(page, "#composer", "/claude prompt Talk like a pirate.")
    note = page.locator("#messages .ephemeral").last
    expect(note).to_contain_text("Only visible to you")
    expect(note).to_contain_text("Talk like a pirate.")
    send(page, "#thread-composer", "ahoy?")
    expect(answers(page)).to_have_count(5)
    expect(answers(page).nth(4)).to_contain_text("Talk like a pirate.")


def test_stop_ends_an_answer_where_it_is(page: Page) -> None:
    # A long message makes a long answer (the offline model quotes it), with time to press Stop.
    send(page, "#composer", "@Claude " + "please read all of this. " * 150)
    page.locator("#messages .replies").first.click()
    page.locator("#thread-messages button", has_text="Stop").click()
    expect(page.locator("#thread-messages")).to_contain_text("Stopped")
    expect(page.locator("#thread-messages .live")).to_have_count(0)
    expect(answers(page).first.locator("pre code")).to_have_count(0)  # cut before its end


def test_the_prompt_editor_and_the_home_tab(page: Page, tmp_path: Path) -> None:
    send(page, "#composer", "/claude prompt Be brief.")
    notes = page.locator("#messages .ephemeral")
    expect(notes).to_contain_text("Be brief.")

    # With no text the command opens an editor window, holding the current prompt, and says nothing.
    send(page, "#composer", "/claude prompt")
    field = page.locator("#modal textarea")
    expect(field).to_have_value("Be brief.")
    expect(notes).to_have_count(1)
    field.fill("Be very brief.")
    page.click("#modal-submit")
    page.locator("#modal-close").click()
    expect(page.locator("#modal")).to_be_hidden()

    # Who set it and when, the date as Slack shows it (in the reader's time zone), not its markup.
    send(page, "#composer", "/claude prompt show")
    expect(notes.last).to_contain_text("Be very brief.")
    expect(notes.last).to_contain_text(re.compile(r"on [A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}\s[AP]M"))
    expect(notes.last).not_to_contain_text("<!date")

    send(page, "#composer", "@Claude hi")
    page.locator("#messages .replies").last.click()
    expect(answers(page).first).to_contain_text("Be very brief.")
    send(page, "#thread-composer", "thanks")  # answered after the first turn is in the ledger
    expect(answers(page)).to_have_count(2)

    # The app's Home tab: the admin's figures, with the chart the bot uploaded for them.
    earlier_usage(tmp_path / "bot.db")
    page.locator("#apps .nav-item", has_text="Claude").click()
    page.click("#tab-home")
    chart = page.locator("#home .blocks figure.image img")
    expect(chart).to_have_js_property("naturalWidth", 1200)
    expect(chart).to_have_attribute("alt", re.compile(r"^Busiest day "))
    expect(page.locator("#home figure.image figcaption")).to_have_text("Tokens per day (UTC)")
    expect(page.locator("#home .blocks li").first).to_have_text(re.compile(r"^#random: "))
    screenshot(page, "sandbox-home.png", tmp_path)


def test_notes_only_you_see_sit_where_slack_puts_them_in_time_order(page: Page) -> None:
    # Slack itself answers a command no app declares; the bot never hears of it.
    send(page, "#composer", "/nope")
    expect(page.locator("#messages .ephemeral")).to_contain_text("/nope is not a valid command")
    expect(page.locator("#messages .ephemeral .author")).to_have_text("Slackbot")

    send(page, "#composer", "@Claude hello")
    page.locator("#messages .replies").first.click()
    feedback = page.locator("#thread-messages .feedback button")
    expect(feedback).to_have_count(2)  # with the answer's last write
    feedback.first.click()
    expect(feedback.first).to_have_class(re.compile(r"\bpressed\b"))
    expect(feedback.last).not_to_have_class(re.compile(r"\bpressed\b"))
    expect(page.locator("#thread-messages .ephemeral")).to_contain_text("Thanks")
    send(page, "#thread-composer", "and one more thing")
    expect(answers(page)).to_have_count(2)
    expect(feedback).to_have_count(4)  # the second answer is complete, its Stop button gone
    send(page, "#thread-composer", "/claude help")  # app commands don't run in threads, in Slack
    expect(page.locator("#thread-messages .ephemeral").last).to_contain_text("is not supported in threads")

    kinds = """nodes => nodes.map(n =>
        n.classList.contains("ephemeral") ? "note" : n.classList.contains("from-bot") ? "bot" : "person")"""
    thread = page.locator("#thread-messages article").evaluate_all(kinds)
    assert thread == ["person", "bot", "note", "person", "bot", "note"]
    assert page.locator("#messages article").evaluate_all(kinds) == ["note", "person"]


def test_a_narrow_window_lays_the_thread_over_the_conversation(page: Page) -> None:
    page.set_viewport_size({"width": 800, "height": 700})
    send(page, "#composer", "@Claude hi")
    page.locator("#messages .replies").first.click()
    expect(answers(page)).to_have_count(1)

    main, thread = page.locator("#main").bounding_box(), page.locator("#thread").bounding_box()
    assert main is not None and thread is not None
    assert main["width"] >= 500, "the conversation keeps its width under the thread"
    assert thread["x"] >= 0 and thread["x"] + thread["width"] <= 800 and thread["width"] >= 380
    send(page, "#thread-composer", "still fine?")
    expect(answers(page)).to_have_count(2)


def test_a_new_chat_in_the_ai_app_pane(page: Page) -> None:
    # The pane opens beside the channel last looked at, so its answers follow that channel's prompt.
    send(page, "#composer", "/claude prompt Talk like a pirate.")
    expect(page.locator("#messages .ephemeral")).to_contain_text("Talk like a pirate.")
    page.locator("#apps .nav-item", has_text="Claude").click()
    page.click("#new-chat")
    expect(page.locator("#thread-messages .from-bot .content").first).to_have_text(DEFAULT_GREETING)
    expect(page.locator("#thread-title")).to_have_text("New chat")
    chips = page.locator("#thread-messages .suggestion")
    expect(chips).to_have_text([prompt.title for prompt in DEFAULT_ASSISTANT_PROMPTS])

    chips.filter(has_text="Explain an error").click()
    expect(chips).to_have_count(0)  # gone once the person has asked
    expect(answers(page)).to_have_count(1)
    expect(answers(page).first).to_contain_text("You: What does this error mean, and how do I fix it?")
    expect(answers(page).first).to_contain_text("Talk like a pirate.")
    expect(page.locator("#thread-title")).to_have_text("What does this error mean, and how do I fix it?")


def test_the_message_menu_copies_a_link_and_runs_the_shortcuts(page: Page) -> None:
    send(page, "#composer", "The offsite is in Lisbon this year.")
    message = page.locator("#messages .message", has_text="The offsite is in Lisbon")
    message.hover()
    message.locator(".more-action").click()
    expect(page.locator(".menu .menu-item")).to_have_text(
        ["Copy link", "Ask Claude about this", "Summarize thread", "Translate"]
    )
    page.locator(".menu-item", has_text="Copy link").click()
    expect(page.locator("#copied")).to_contain_text("https://sandbox.slack.com/archives/")
    link = page.locator("#copied").inner_text().removeprefix("Link copied: ")

    send(page, "#composer", f"@Claude where is the offsite? {link}")
    page.locator("#messages .replies").last.click()
    expect(answers(page).first).to_contain_text("You: The offsite is in Lisbon this year.")
    expect(page.locator("#thread-messages")).to_contain_text("read the message")

    message.hover()
    message.locator(".more-action").click()
    page.locator(".menu-item", has_text="Summarize thread").click()
    page.locator("#apps .nav-item", has_text="Claude").click()
    expect(page.locator("#messages")).to_contain_text("A summary of the thread of")
    page.locator("#messages .replies").last.click()
    expect(answers(page).first).to_contain_text("Summarize the Slack thread")
