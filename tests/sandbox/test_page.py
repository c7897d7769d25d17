"""The sandbox page in a real browser (Debian's Chromium, driven by Playwright): a newcomer's
first conversation, files, buttons, the prompt commands, the Home tab and the AI app pane, all
against the real bot and the offline model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect, sync_playwright

from bot.config import DEFAULT_ASSISTANT_PROMPTS, DEFAULT_GREETING

OFFLINE = "(offline sandbox model)"
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
    page.screenshot(path=tmp_path / "sandbox.png")
    assert (tmp_path / "sandbox.png").stat().st_size > 0

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


def test_the_prompt_editor_and_the_home_tab(page: Page) -> None:
    send(page, "#composer", "/claude prompt Be brief.")
    expect(page.locator("#messages .ephemeral")).to_contain_text("Be brief.")

    # With no text the command opens an editor window, holding the current prompt.
    send(page, "#composer", "/claude prompt")
    field = page.locator("#modal textarea")
    expect(field).to_have_value("Be brief.")
    field.fill("Be very brief.")
    page.click("#modal-submit")
    page.locator("#modal-close").click()
    expect(page.locator("#modal")).to_be_hidden()
    send(page, "#composer", "@Claude hi")
    page.locator("#messages .replies").last.click()
    expect(answers(page).first).to_contain_text("Be very brief.")

    # The app's Home tab shows what the bot published for this person.
    page.locator("#apps .nav-item", has_text="Claude").click()
    page.click("#tab-home")
    expect(page.locator("#home .blocks")).to_contain_text("Claude")


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
