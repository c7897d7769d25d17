"""Claude's Markdown made safe to post to Slack. Pure: no Slack, no network.

Model text is untrusted: a prompt injection in a thread or an attached file can ask Claude to
write `<!channel>`. Slack reads `&`, `<` and `>` as control characters in `text` and decodes
`&amp;`, `&lt;` and `&gt;` for display; for `markdown_text` and `markdown` blocks it doesn't
say, so every field a reply goes into is treated the same, the safe way. So:

- `&`, `<` and `>` are escaped everywhere, code included: `<!channel>`, `<!here>`,
  `<!everyone>`, `<!subteam^…>`, `<@U…>`, `<#C…>` and `<url|label>` show as the text Claude
  wrote and never act. Pings of people Claude invents are not kept either: Claude reads names,
  not ids, so an id in its answer came from the thread's text, which anyone can write.
- A plain `@here`, `@channel`, `@everyone` or `@name` outside code gets an invisible word
  joiner after its `@`: it reads the same, and no setting (`link_names`, `parse=full`, Slack's
  Markdown conversion) can turn it into a mention. Emails and `…/@user` URLs are left alone.
- A `>` that starts a quote is left as it is, so quotes keep working; without a `<` it can't
  form anything else.
- A link whose label names another host than the one it goes to shows that host after it:
  `[docs.python.org](https://evil.example/x)` reads "docs.python.org (evil.example)". Hosts
  are shown in their ASCII form, so a look-alike letter can't hide one. A destination Slack
  might still render as a link without its host checked (not http, https or mailto, a title,
  a space, too long) is broken with a word joiner between `]` and `(`, so it shows as text.

Answers stream: the writer sends only what is new, so `safe_markdown(t, final=False)` must be
a prefix of the result for any longer `t`. An undecided tail is held back until the text
decides it: an unfinished link destination, a code span not yet closed, a line that may open
a code fence, a trailing `@` or `\\`. What may be held back is bounded by `HOLD_LIMIT`, and the
limit is part of the rules themselves (a longer destination is broken, a longer code span is
text), so a hostile answer can delay the stream by that much at most, never block it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

HOLD_LIMIT = 2_048
"""Characters of text that may wait for what follows before they are decided."""
MAX_TICKS = 64
"""A longer run of backticks is taken as text, so it can't hold the stream."""
WORD_JOINER = "\u2060"

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_URL_CHARS = str.maketrans({"&": "&amp;", "|": "%7C", '"': "%22", "`": "%60", "\\": "%5C"})
_SPECIAL = re.compile(r"[\n\\`@&<>\]]|(?<=\])\(")
_BACKSLASHED = frozenset("\\`[]()")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_FENCE_SO_FAR = re.compile(r" {0,3}(`*|~*)")
_FENCE_CLOSE = re.compile(r" {0,3}(`+|~+)[ \t]*")
_QUOTE_MARKERS = re.compile(r"(?: {0,3}> ?)+")
_TICKS_OR_BLANK_LINE = re.compile(r"`+|\n[ \t]*\n")
_HOST = re.compile(r"(?<![\w.-])((?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,63})(?![\w-])")
_WEB_SCHEMES = frozenset({"http", "https", "mailto"})


def safe_markdown(text: str, *, final: bool) -> str:
    """`text` as it may be posted; with `final=False` an undecided tail may be held back."""
    return _Scanner(text, final).run()


def _escape(text: str) -> str:
    return text.translate(_ENTITIES)


@dataclass
class _Scanner:
    text: str
    final: bool
    out: list[str] = field(default_factory=list)
    fence: str = ""
    """The open code fence's marker; empty outside one."""
    line_start: bool = True
    labels_from: int = 0
    """Where the text a link's label may span begins: a paragraph's or the last link's end."""
    bracket_end: int = -1
    """Just past the last `]` that wasn't backslashed: a `(` there may open a destination."""

    def run(self) -> str:
        i, end = 0, len(self.text)
        while i < end:
            step = self._line(i) if self.line_start else self._inline(i)
            if step is None:
                break
            i = step
        return "".join(self.out)

    # Each step returns where the next one starts, or None to hold back from here.

    def _line(self, i: int) -> int | None:
        text = self.text
        newline = text.find("\n", i)
        complete = newline != -1 or self.final
        line = text[i:] if newline == -1 else text[i:newline]
        after = len(text) if newline == -1 else newline + 1
        if self.fence:
            self.out.append(_escape(text[i:after]))
            if newline != -1 and _closes(line, self.fence):
                self.fence = ""
                self.labels_from = after
            return after
        if complete and not line.strip():
            self.labels_from = i
        opener = _fence_opener(line, complete=complete)
        if opener is None:
            return None
        if opener:
            self.fence = opener
            self.out.append(_escape(text[i:after]))
            return after
        self.line_start = False
        quote = _QUOTE_MARKERS.match(line)
        if quote:
            self.out.append(quote.group())
            return i + quote.end()
        return i

    def _inline(self, i: int) -> int | None:
        text = self.text
        special = _SPECIAL.search(text, i)
        if special is None:
            self.out.append(text[i:])
            return len(text)
        if special.start() > i:
            self.out.append(text[i : special.start()])
            return special.start()
        char = text[i]
        if char == "\n":
            self.out.append(char)
            self.line_start = True
            return i + 1
        if char == "\\":
            return self._backslash(i)
        if char == "`":
            return self._code_span(i)
        if char == "@":
            return self._at(i)
        if char == "]":
            self.out.append(char)
            self.bracket_end = i + 1
            return i + 1
        if char == "(":
            return self._destination(i) if i == self.bracket_end else self._emit(char, i + 1)
        return self._emit(_escape(char), i + 1)

    def _emit(self, piece: str, next_index: int) -> int:
        self.out.append(piece)
        return next_index

    def _backslash(self, i: int) -> int | None:
        if i + 1 == len(self.text):
            return None if not self.final else self._emit("\\", i + 1)
        if self.text[i + 1] in _BACKSLASHED:
            return self._emit(self.text[i : i + 2], i + 2)
        return self._emit("\\", i + 1)

    def _at(self, i: int) -> int | None:
        text = self.text
        before = text[i - 1] if i else " "
        if _is_word(before) or before == "/":
            return self._emit("@", i + 1)
        if i + 1 == len(text):
            return None if not self.final else self._emit("@", i + 1)
        return self._emit("@" + WORD_JOINER if _is_word(text[i + 1]) else "@", i + 1)

    def _code_span(self, i: int) -> int | None:
        """A code span keeps its text (escaped); an opener without its closer is plain backticks."""
        text, end = self.text, len(self.text)
        run_end = i
        while run_end < end and text[run_end] == "`":
            run_end += 1
        ticks = run_end - i
        if ticks > MAX_TICKS:
            return self._emit(text[i:run_end], run_end)
        if run_end == end and not self.final:
            return None
        limit = run_end + HOLD_LIMIT
        search = run_end
        while True:
            found = _TICKS_OR_BLANK_LINE.search(text, search)
            if found is None or found.start() >= limit or found.group()[0] == "\n":
                if found is None and not self.final and end < limit:
                    return None
                return self._emit(text[i:run_end], run_end)
            length = len(found.group())
            if found.end() == end and not self.final and length <= ticks:
                return None
            if length == ticks:
                self.out.append(text[i:run_end] + _escape(text[run_end : found.start()]) + found.group())
                return found.end()
            search = found.end()

    def _destination(self, i: int) -> int | None:
        """After `](`: a link's destination, checked against its label, or text."""
        text = self.text
        label_start = text.find("[", self.labels_from, i - 1)
        if label_start == -1:
            return self._emit("(", i + 1)
        close = _destination_end(text, i + 1)
        if close is None:
            return None if not self.final else self._emit("(", i + 1)
        host = _link_host(text[i + 1 : close]) if close >= 0 else None
        if host is None:
            return self._emit(WORD_JOINER + "(", i + 1)
        label = text[label_start + 1 : i - 1]
        note = "" if _label_agrees(label, host) else f" ({_escape(_ascii_host(host))})"
        self.out.append(f"({text[i + 1 : close].translate(_URL_CHARS)}){note}")
        self.labels_from = close + 1
        return close + 1


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _fence_opener(line: str, *, complete: bool) -> str | None:
    """The marker of the code fence this line opens; "" when it opens none; None while the line
    is unfinished and could still open one."""
    if len(line) > HOLD_LIMIT:
        return ""
    opener = _FENCE.fullmatch(line)
    opens = opener is not None and not (opener.group(1)[0] == "`" and "`" in opener.group(2))
    if complete:
        return opener.group(1) if opener is not None and opens else ""
    return None if opens or _FENCE_SO_FAR.fullmatch(line) else ""


def _closes(line: str, fence: str) -> bool:
    closing = _FENCE_CLOSE.fullmatch(line)
    return closing is not None and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence)


def _destination_end(text: str, start: int) -> int | None:
    """Where the `)` ending a plain destination (no space, no title, balanced parentheses) is;
    -1 when the destination is anything else or longer than `HOLD_LIMIT`; None when the text
    ends before that is known."""
    depth = 0
    stop = start + HOLD_LIMIT + 1
    for index in range(start, min(len(text), stop)):
        char = text[index]
        if char == ")":
            if depth == 0:
                return index
            depth -= 1
        elif char == "(":
            depth += 1
        elif char.isspace() or char in "<>" or ord(char) < 32:
            return -1
    return None if len(text) < stop else -1


def _link_host(url: str) -> str | None:
    """The host a destination leads to; None for anything but http, https and mailto."""
    scheme, _, rest = url.partition(":")
    if scheme.lower() not in _WEB_SCHEMES:
        return None
    if scheme.lower() == "mailto":
        return rest.split("?", 1)[0].rpartition("@")[2] or None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return unquote(host) if host else None


def _ascii_host(host: str) -> str:
    """Punycode for an internationalised name: a look-alike letter shows as what it is."""
    name = host.lower().rstrip(".")
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def _same_site(one: str, other: str) -> bool:
    return one == other or one.endswith("." + other) or other.endswith("." + one)


def _label_agrees(label: str, host: str) -> bool:
    """True unless the label names a host other than `host` (or a subdomain of it, or its parent)."""
    target = _ascii_host(host).removeprefix("www.")
    return all(_same_site(_ascii_host(named).removeprefix("www."), target) for named in _HOST.findall(label))
