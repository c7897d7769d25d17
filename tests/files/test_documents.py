import base64
from dataclasses import replace

from bot.files.documents import EMPTY_TEXT, PDF_TOKENS_PER_PAGE, cut_at_line, pdf_block, text_block
from bot.files.model import FileLimits
from bot.files.prepare import prepare
from tests.files import samples

LIMITS = FileLimits()


def test_a_pdf_goes_as_it_is() -> None:
    data = samples.pdf(3)
    outcome = pdf_block(data, "report.pdf", LIMITS)
    assert outcome.note is None
    assert outcome.block["type"] == "document"
    assert outcome.block["title"] == "report.pdf"
    assert outcome.block["source"]["media_type"] == "application/pdf"
    assert base64.b64decode(outcome.block["source"]["data"]) == data


def test_a_pdf_with_too_many_pages_gives_a_note() -> None:
    outcome = pdf_block(samples.pdf(5), "long.pdf", replace(LIMITS, pdf_max_pages=4))
    assert outcome.block is None
    assert outcome.note == "the PDF has 5 pages; Claude reads PDFs of up to 4 pages"


def test_a_pdf_too_large_gives_a_note() -> None:
    outcome = pdf_block(samples.pdf(2), "big.pdf", replace(LIMITS, pdf_max_bytes=100))
    assert outcome.block is None
    assert outcome.note.startswith("the PDF is too large")


def test_damaged_and_encrypted_pdfs_give_a_note() -> None:
    damaged = pdf_block(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF", "x.pdf", LIMITS)
    assert damaged.block is None and damaged.note
    encrypted = pdf_block(samples.encrypted_pdf(), "secret.pdf", LIMITS)
    assert (encrypted.block, encrypted.note) == (None, "the PDF is password-protected or encrypted")


def test_text_becomes_a_document_named_after_the_file() -> None:
    outcome = text_block("line one\r\nline two ✓\r\n".encode(), "utf-8", "notes.md", LIMITS)
    assert outcome.note is None
    assert outcome.block == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "line one\nline two ✓\n"},
        "title": "notes.md",
    }


def test_text_in_other_encodings_is_decoded() -> None:
    utf16 = text_block("Grüße aus Köln".encode("utf-16"), "utf-16", "a.txt", LIMITS)
    assert utf16.block["source"]["data"] == "Grüße aus Köln"
    latin = text_block("café, 5 €".encode("cp1252"), "cp1252", "b.csv", LIMITS)
    assert latin.block["source"]["data"] == "café, 5 €"


def test_long_text_is_cut_with_a_visible_note() -> None:
    text = "".join(f"line {i:05d}\n" for i in range(2000))
    outcome = text_block(text.encode(), "utf-8", "app.log", replace(LIMITS, text_max_chars=1000))
    data = outcome.block["source"]["data"]
    assert outcome.note == f"only the first 989 of {len(text):,} characters were read"
    assert data.startswith("line 00000\n")
    assert data.endswith(f"[… the file goes on: {outcome.note}]")
    assert "line 00089\n\n[…" in data


def test_whitespace_only_text_gives_a_note() -> None:
    assert text_block(b" \n\n ", "utf-8", "blank.txt", LIMITS) == text_block(b"", "utf-8", "e.txt", LIMITS)
    assert text_block(b"", "utf-8", "e.txt", LIMITS).note == EMPTY_TEXT


def test_cut_at_line_falls_back_to_a_hard_cut_for_one_long_line() -> None:
    assert cut_at_line("x" * 50, 10) == "x" * 10
    assert cut_at_line("aaaaaaaaa\nbbbbbbbbb", 15) == "aaaaaaaaa\nbbbbb"
    assert cut_at_line("a" * 95 + "\n" + "b" * 10, 100) == "a" * 95


def test_a_pdf_counts_by_its_pages_not_its_bytes() -> None:
    small = prepare({"id": "F1", "name": "a.pdf"}, samples.pdf(3), LIMITS)
    assert small.tokens == 3 * PDF_TOKENS_PER_PAGE
    padded = samples.pdf(3) + b"%" + b"x" * 2_000_000 + b"\n"
    heavy = prepare({"id": "F2", "name": "b.pdf"}, padded, LIMITS)
    assert heavy.kind == "pdf" and heavy.tokens == small.tokens, "2 MB more bytes, the same three pages"
    text = prepare({"id": "F3", "name": "c.txt"}, b"word " * 700, LIMITS)
    assert text.tokens == 3500 / 3.5
