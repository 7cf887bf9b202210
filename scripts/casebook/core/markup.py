"""How Markdown reads a case body, where the scanner's patterns (core/scan.py) cannot tell: which
addresses it finds are addresses on the page, and which are text that only looks like one (in an
indented code block, after an escaped `\\>`, in a comment, in a raw HTML block Markdown leaves
alone). The answer comes from Python-Markdown itself, configured as the site reads bodies."""

from __future__ import annotations

import bisect
import functools
import html
import re
import threading
from typing import TYPE_CHECKING

from . import deadline
from .sanitize import VOID_ELEMENTS
from .rules import OUTLINE_NUMBERS
from .schema import shown_characters
from .scan import SETEXT_UNDERLINE, Address, BrowserHTMLParser, addresses, fence_blocks, fenced, html_tags, list_start

if TYPE_CHECKING:
    import markdown

# The extensions that give a body its structure on the site, in MkDocs' order: mkdocs.yml's
# markdown_extensions with the three MkDocs always adds, but toc, emoji and snippets, which make
# no code block and no raw HTML of a body's text (tests/test_publish_check.py holds this list to
# the configuration).
STRUCTURE_EXTENSIONS = ("tables", "fenced_code", "admonition", "attr_list", "def_list", "md_in_html",
                        "casebook.core.numbered_lists", "pymdownx.superfences")
# Their settings in mkdocs.yml (the others keep their defaults): a table cell's alignment as
# `align="center"`, which the sanitiser keeps (it drops a style attribute).
STRUCTURE_CONFIGS = {"tables": {"use_align_attribute": True}}
NOT_STRUCTURE = ("toc", "pymdownx.emoji", "pymdownx.snippets")

# What makes a Markdown block of a line's start: heading, quote, list, rule, admonition, fence,
# definition. `literal_start` writes it so that it stays text (a backslash where Python-Markdown
# takes one, an entity where it does not). The importer's lines and the generated pages' values
# (site/render.esc) both go through it; tests/test_contrib.py checks both show text as it is.
_BLOCK_START = re.compile(r"^(?:(#|>|[-+*](?=\s)|-+$|!!!)|[0-9]+(?=[.)]\s)|(~)(?=~~)|(:)(?=\s))")


def _unblocked(m: re.Match) -> str:
    if m.group(1):
        return "\\" + m.group(1)
    if m.group(2):
        return "&#126;"
    if m.group(3):
        return "&#58;"
    return m.group() + "\\"  # 1. -> 1\.


def literal_start(line: str) -> str:
    """`line` with the start that would make it a block (`# `, `> `, `- `, `1. `, `---`, `!!!`,
    `~~~`, `: `) written as text."""
    return _BLOCK_START.sub(_unblocked, line, count=1)


_local = threading.local()  # a Markdown instance is not for two threads at once (`casebook serve`)
_PREFIX = "cbaddr"
_WRITTEN_PREFIX = re.compile(_PREFIX + "(x*)")


def _markdown() -> markdown.Markdown:
    md = getattr(_local, "md", None)
    if md is None:
        import markdown  # here: `casebook validate` on a library without links never needs it

        md = _local.md = markdown.Markdown(extensions=list(STRUCTURE_EXTENSIONS), extension_configs=STRUCTURE_CONFIGS)
    return md


def live_addresses(body: str, found: list[Address]) -> set[int]:
    """The indices of `found` (addresses core/scan found in `body`, code masked or not) that
    Markdown makes an attribute of a tag on the page (a link's or an image's address): what looks
    like code may be none (inside a raw HTML block), what looks like a tag may be text (in an
    indented code block). An address the probe did not look at counts as one; when it could not
    finish in time, the scanner's answer (code masked) stands: such a page takes too long to
    render anyway (E417)."""
    probe = _probe(body) if found else None
    if probe is None:  # the scanner's answer: code masked
        masked = {a.start for a in addresses(body)}
        return {i for i, address in enumerate(found) if address.start in masked}
    probed, live = probe
    return {i for i, address in enumerate(found) if address.start not in probed or address.start in live}


def lost_pieces(html: str) -> bool:
    """Python-Markdown sets inline pieces (entities, code, links, raw HTML) aside behind STX…ETX
    placeholders while it works; one left in its output is a piece it lost (interleaved emphasis,
    `*a**b*&amp;`). A body cannot hold these characters itself (E420)."""
    from markdown.util import ETX, STX

    return STX in html or ETX in html


def losing_line(body: str) -> int | None:
    """The body line (0-based) where Markdown loses a piece: the first paragraph that loses one
    rendered alone, and in it the first line that does, else the paragraph's first; None when no
    paragraph does alone (the loss needs the rest of the page)."""
    md = _markdown()
    lines = body.split("\n")
    start = 0
    for end in [i for i, line in enumerate(lines) if not line.strip()] + [len(lines)]:
        if end > start and lost_pieces(_render(md, "\n".join(lines[start:end]))):
            return next((start + k for k in range(end - start) if lost_pieces(_render(md, lines[start + k]))), start)
        start = end + 1
    return None


# Letters of every script (Han included), not digits: what Markdown must keep of a paragraph's text.
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_CHARACTER = re.compile(r"[^\W_]")  # letters and digits
_TAG = re.compile(r"<[^>]*>")
# Where letters leave the text on purpose: a tag or comment, a link's address, an attribute list,
# an entity, an admonition's type. A block with one of these is compared with itself with its
# emphasis marks and table bars set aside (only what emphasis or a table loses counts), not with
# its source.
_LETTERS_MAY_GO = ("<", "[", "{", "&", "!!!")
# What Markdown can lose letters over: emphasis marks that cross (`*甲己**己丙*甲` drops the last
# 甲), a table row with more cells than its header (the extra cells are dropped).
_MAY_LOSE = ("*", "_", "|")


_RUN = re.compile(r"[*_]+")
# A list item's bullet (after an indent or a quote's `>`): a `*` there is no emphasis mark.
_BULLET = re.compile(r"^[ \t>]*([*+-])(?=[ \t])", re.M)


def simple_emphasis(text: str) -> bool:
    """Emphasis that Markdown cannot lose letters over: runs of one mark, one or two long, each
    closed by the next run, with text between every two runs (`**甲**乙*丙*`); list bullets aside.
    (tests/test_properties.py renders generated blocks this passes: none loses a letter.)"""
    runs = _RUN.finditer(_BULLET.sub("", text))
    last = -1
    for opening in runs:
        closing = next(runs, None)
        if (closing is None or opening.group() != closing.group() or len(opening.group()) > 2
                or opening.start() == last or closing.start() == opening.end()):
            return False
        last = closing.end()
    return True


def lost_letters(body: str) -> list[tuple[int, str]]:
    """(body line, the letters around it) where Python-Markdown drops letters or digits of a
    paragraph, list or table: each blank-line block with emphasis marks or table bars is rendered
    alone and its letters, in order, compared with the source's (fenced code aside). Digits, and
    the letters of a block whose letters may leave the text on purpose (a link's address, a tag,
    an entity), are compared with the block shown plain instead (`_plain`: no emphasis, each
    table's header as wide as its widest row, every block as it was), so only what emphasis or a
    table loses is counted (a list's numbers leave the text on purpose too)."""
    lines = body.split("\n")
    code = fenced(lines)
    out: list[tuple[int, str]] = []
    start = 0
    for end in [i for i, line in enumerate(lines) if not line.strip() or code[i]] + [len(lines)]:
        block = lines[start:end]
        if block and start and code[start - 1]:
            # right under a fence: Markdown reads the lines as a paragraph that goes on from the
            # fence (never a table); a letterless first line makes them one here too
            found = _lost_in_block(["\u200b"] + block, start - 1)
        else:
            found = _lost_in_block(block, start)
        if found is not None:
            out.append(found)
        start = end + 1
    if out and _characters_shown(body) == _characters_shown(_plain(body)):
        return []  # in its place the page keeps them: raw HTML or a comment holds the block, or it goes on a paragraph above
    return out or _lost_in_context(body, lines)


# The start of an ATX heading, alone or in a quote or list item (`### `, `> ## `, `- # `).
_HEADING_START = re.compile(r" {0,3}(?:>[ \t]?)*(?:(?:[-*+]|[0-9]+[.)])[ \t]+)?#{1,6}")


def lost_closing_hashes(body: str) -> list[tuple[int, str]]:
    """(body line, the heading as shown) where a heading ends in `#`s glued to its text
    (`### 使用C#`): Python-Markdown takes them for the closing sequence and drops them (CommonMark
    keeps them unless a space comes before). Only such lines are rendered, each alone (its indent
    aside: under a list item it is a heading, alone it would be code), and reported where the
    body, rendered once, shows that heading (under a table such a line is a row); fenced code
    aside."""
    lines = body.split("\n")
    candidates = []
    for k, line in enumerate(lines):
        text = line.strip(" \t")
        if not text.endswith("#"):
            continue
        tail = len(text) - len(text.rstrip("#"))
        before = text[len(text) - tail - 1: len(text) - tail]
        start = _HEADING_START.match(text)
        if start and start.end() < len(text) - tail and before not in ("", " ", "\t", "\\"):
            candidates.append((k, text, tail))
    if not candidates:
        return []
    code = fenced(lines)
    headings: set[str] | None = None
    out: list[tuple[int, str]] = []
    for k, text, tail in candidates:
        if code[k]:
            continue
        shown = html.unescape(_TAG.sub("", _render(_markdown(), text))).strip()
        if shown.endswith("#" * tail):
            continue
        if headings is None:
            headings = {html.unescape(_TAG.sub("", h)).strip() for h in _HEADING_HTML.findall(_render(_markdown(), body))}
        if shown in headings:
            out.append((k, shown))
    return out


_HEADING_HTML = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.S)


def _lost_in_block(block: list[str], start: int) -> tuple[int, str] | None:
    """`lost_letters` for one block (its first line is body line `start`), rendered alone."""
    text = "\n".join(block)
    if not block or not any(m in text for m in _MAY_LOSE) or ("|" not in text and simple_emphasis(text)):
        return None
    if not any(m in text for m in _LETTERS_MAY_GO):
        found = _difference([(start + k, c) for k, line in enumerate(block) for c in _LETTER.findall(line)], _letters_shown(text))
        if found is not None or not _DIGIT.search(text):
            return found
    # compared with itself shown plain: letters and digits (a list's numbers leave the text on purpose)
    found = _difference([(start, c) for c in _characters_shown(_plain(text))], _characters_shown(text))
    if found is None:
        return None
    if "|" not in text:  # the line that loses them, when it does alone
        line = next((start + k for k, line in enumerate(block) if _characters_shown(line) != _characters_shown(_plain(line))), start)
        return line, found[1]
    if len(block) > 2 and "|" in block[0] and _DELIMITER_ROW.fullmatch(block[1]):
        return start + 2 + _first_losing_row(block[:2], block[2:]), found[1]
    return start + _first_losing(block), found[1]  # a row alone is no table: the first rows together


def _first_losing_row(head: list[str], rows: list[str]) -> int:
    """The first of a table's rows that loses letters or digits, found by halving the rows, each
    half rendered under the header (rows lose theirs alone: a hostile table of 10,000 rows costs
    about two renders of it)."""
    def loses(part: list[str]) -> bool:
        text = "\n".join(head + part)
        return _characters_shown(text) != _characters_shown(_plain(text))

    low, high = 0, len(rows)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if loses(rows[low:middle]) else (middle, high)
    return low


def _first_losing(lines: list[str]) -> int:
    """The line (0-based) that ends the shortest start of `lines` that, rendered, shows fewer
    letters or digits than it shown plain; found by halving (a hostile table of 10,000 rows is
    rendered a few times, not 10,000)."""
    def loses(k: int) -> bool:
        part = "\n".join(lines[:k])
        return _characters_shown(part) != _characters_shown(_plain(part))

    low, high = 1, len(lines)
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if loses(middle) else (middle + 1, high)
    return low - 1


def _lost_in_context(body: str, lines: list[str]) -> list[tuple[int, str]]:
    """The body rendered whole, when its blocks alone lose nothing: a block indented under a list
    item, an admonition or a definition is code when rendered alone, a paragraph in its place."""
    if not any(m in body for m in _MAY_LOSE) or ("|" not in body and simple_emphasis(body)):
        return []
    if not any(m in body for m in _LETTERS_MAY_GO):
        markers = {k for block in fence_blocks(lines) for k in block}  # a fence's language is no text
        source = [(k, c) for k, line in enumerate(lines) if k not in markers for c in _LETTER.findall(line)]
        found = _difference(source, _letters_shown(body))
        if found is not None or not _DIGIT.search(body):
            return [found] if found is not None else []
    expected = _characters_shown(_plain(body))
    found = _difference([(0, c) for c in expected], _characters_shown(body))
    if found is None:
        return []
    line = _first_losing(lines)  # the shortest start of the body that loses them ends at its line
    return [(line, found[1])]


def _difference(source: list[tuple[int, str]], shown: list[str]) -> tuple[int, str] | None:
    """(line, the letters around it) of the first letter of `source` (line, letter) the page does
    not show in its place; None when it shows them all, in order."""
    if [c for _, c in source] == shown:
        return None
    at = next((i for i, ((_, a), b) in enumerate(zip(source, shown)) if a != b), min(len(source), len(shown)))
    line = source[min(at, len(source) - 1)][0] if source else 0
    return line, "".join(c for _, c in source[max(0, at - 4):at + 4])


# A line of three or more `*` or `_` (spaces between allowed): a rule.
_RULE = re.compile(r"^[ \t>]*(?:(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$", re.M)


def _unemphasised(text: str) -> str:
    """The text with each emphasis mark replaced by a zero-width space: no emphasis, the same
    blocks (a mark taken away could leave a line indented as code; a `*` bullet and a rule stay,
    or what follows would become text that shows a list's numbers)."""
    kept = {m.start(1) for m in _BULLET.finditer(text) if m.group(1) == "*"} if "*" in text else set()
    rules = [(m.start(), m.end()) for m in _RULE.finditer(text)]  # in order, not overlapping
    starts = [a for a, _ in rules]

    def in_rule(at: int) -> bool:
        k = bisect.bisect_right(starts, at) - 1
        return k >= 0 and at < rules[k][1]

    def replaced(m: re.Match) -> str:
        if (m.group() == "*" and m.start() in kept) or (rules and in_rule(m.start())):
            return m.group()
        return "\u200b" * len(m.group())

    return _RUN.sub(replaced, text)


# A table's delimiter row (`| --- | :-: |`, in a quote or list item too): at least one bar.
_DELIMITER_ROW = re.compile(r"[ \t>]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")


def _plain(text: str) -> str:
    """The block as Markdown shows it when nothing is lost: no emphasis (`_unemphasised`), and
    each table's header and delimiter row made as wide as the widest line, so that no row is
    longer than its header. Nothing else changes: lists, quotes, indents and code stay as they
    are, and so do the list numbers they hide."""
    text = _unemphasised(text)
    if "|" not in text:
        return text
    lines = text.split("\n")
    width = max(line.count("|") for line in lines) + 1
    for k in range(1, len(lines)):
        if "|" in lines[k] and "|" in lines[k - 1] and _DELIMITER_ROW.fullmatch(lines[k]):
            for j, cell in ((k - 1, "-"), (k, "---")):
                line = lines[j].rstrip()
                lines[j] = line + f" {cell} |" * width if line.endswith("|") else line + f" | {cell}" * width
    return "\n".join(lines)


def _letters_shown(text: str) -> list[str]:
    """The letters a block shows, rendered alone (tags and what they hold in attributes aside)."""
    return _LETTER.findall(html.unescape(_TAG.sub(" ", _render(_markdown(), text))))


def _characters_shown(text: str) -> list[str]:
    """`_letters_shown` with digits (`*2024年**增长*15%` shows 5%)."""
    return _CHARACTER.findall(html.unescape(_TAG.sub(" ", _render(_markdown(), text))))


# Elements that show nothing but their text (a `<br>`, a rule, an empty paragraph or link).
_TEXT_TAGS = frozenset({"p", "br", "hr", "span", "a", "b", "i", "strong", "em", "u", "s", "del", "ins", "mark", "small",
                        "sub", "sup", "code", "pre", "div", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table",
                        "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "q",
                        "abbr", "cite", "kbd", "details", "summary"})
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
_TAG_LINEAR = re.compile(r"<[^<>]*>")  # a tag no `<` interrupts: each try ends at the next `<` (`<[^>]*>` read `< < <…` quadratically)


def shows_nothing(text: str) -> bool:
    """Whether Markdown makes a page of `text` with nothing on it: no picture, and no character
    but spaces and the invisible (`&nbsp;`, a zero-width space, `<br>`, `---`, `[]()`, a comment).
    Text with a letter or digit outside its tags shows it, without a render."""
    if _CHARACTER.search(html.unescape(_TAG_LINEAR.sub("", text))):
        return False
    page = body_html(text)
    if page is None or any(name.lower() not in _TEXT_TAGS for name in _TAG_NAME.findall(page)):
        return False  # a picture, or an element other checks judge (a `<video>` the sanitiser removes: E408)
    return not shown_characters(html.unescape(_TAG.sub("", page)))


def body_html(text: str) -> str | None:
    """A body as Python-Markdown renders its structure on the site (STRUCTURE_EXTENSIONS); None
    when that takes longer than the build allows a page (E417)."""
    md = _markdown()
    md.reset()
    try:
        with deadline.deadline(deadline.RENDER_SECONDS):
            return md.convert(text)
    except deadline.TooSlow:
        _local.md = None
        return None


def _render(md: markdown.Markdown, text: str) -> str:
    """`body_html`, "" when too slow (`md`: this thread's _markdown())."""
    return body_html(text) or ""


def _token_prefix(body: str) -> str:
    """A token's prefix the body does not hold (its text may be anything): one x more than any it writes."""
    return _PREFIX + "x" * max((len(m.group(1)) + 1 for m in _WRITTEN_PREFIX.finditer(body)), default=0)


# A line that may open an ordered list item: a number and a dot, then a space (Python-Markdown's
# list processors take exactly these; in a quote, after its `>`; nested, after an indent).
_NUMBERED = re.compile(r"^((?:[ \t]*>)*[ \t]*)([0-9]+)\.([ \t]+)(?=\S)")
_ANY_NUMBERED = re.compile(r"^[ \t>]*[0-9]+\.[ \t]", re.M)


def _read_rendered(marked: list[str], prefix: str, reader_type: type[BrowserHTMLParser]):
    """The body rendered with its tokens (`prefix`, a line number, `q`), read by
    `reader_type(the token's pattern)`; None when too slow to render (E417 says so)."""
    html = body_html("\n".join(marked))
    if html is None:
        return None
    reader = reader_type(re.compile(re.escape(prefix) + r"(\d+)q"))
    reader.feed(html)
    reader.close()
    return reader


class _ShownNumbers(BrowserHTMLParser):
    """Each numbered item's number as the page shows it (`<ol start>` and counting), read at the
    token put right after the number written."""

    def __init__(self, token: re.Pattern) -> None:
        super().__init__(convert_charrefs=True)
        self.token = token
        self.lists: list[list] = []  # each open list: [ordered, the next item's number]
        self.items: list[list] = []  # each open item: [its number or None, its text begun]
        self.shown: dict[int, int] = {}  # body line -> the number the page shows there

    def handle_starttag(self, tag, attrs):
        if tag in ("ol", "ul"):
            self.lists.append([tag == "ol", list_start(dict(attrs).get("start") or "1")])
        elif tag == "li":
            number = None
            if self.lists and self.lists[-1][0]:
                number = self.lists[-1][1]
                self.lists[-1][1] += 1
            self.items.append([number, False])

    def handle_endtag(self, tag):
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        elif tag == "li" and self.items:
            self.items.pop()

    def handle_data(self, data):
        if self.items and not self.items[-1][1] and data.strip():
            self.items[-1][1] = True  # the item's text begins: with a token, Markdown made it of a numbered line
            m = self.token.match(data.lstrip())
            if m and self.items[-1][0] is not None:
                self.shown[int(m.group(1))] = self.items[-1][0]


def renumbered_items(body: str) -> list[tuple[int, int, int]]:
    """(body line, the number written, the number the page shows) for each ordered list item the
    page numbers otherwise: a list counts on from its first item's number, whatever the others
    say (`2019. …` then `2021. …` shows 2019, 2020). The body is rendered once with a token after
    each number written at a line's start; an item that starts with a token is one of those."""
    if not _ANY_NUMBERED.search(body):
        return []  # the usual body: no numbered line, decided at C speed
    lines = body.split("\n")  # code too: Markdown says what is code (a fence is none inside a list)
    written = {k: int(m.group(2)) for k, line in enumerate(lines) if (m := _NUMBERED.match(line))}
    numbers = list(written.values())
    if all(b == a + 1 for a, b in zip(numbers, numbers[1:])) and all(0 <= n < 2**31 for n in numbers):
        return []  # each number the one before it plus one: every item shows what it says, as a list's first or next
    prefix = _token_prefix(body)
    marked = [_NUMBERED.sub(lambda m, k=k: f"{m.group(1)}{m.group(2)}.{m.group(3)}{prefix}{k}q ", line, count=1)
              if k in written else line for k, line in enumerate(lines)]
    if (reader := _read_rendered(marked, prefix, _ShownNumbers)) is None:
        return []
    return [(k, written[k], shown) for k, shown in sorted(reader.shown.items()) if shown != written[k]]


# Where the scanner's sections (core/scan.sections) and Python-Markdown's level-2 headings can
# differ: a comment or raw HTML block around a heading line, an indented `#`, `##` without a space
# after it (`##基本情况`, `##　基本情况`: a heading to Markdown), a fence (none inside a list),
# a setext underline. A body without any of these needs no rendering.
_HEADINGS_MAY_DIFFER = re.compile(r"^(?: {0,3}<|[ \t]+#|#{1,6}[^ \t#\n]| {0,3}(?:```|~~~)| {0,3}[-=]+[ \t]*$)", re.M)
_HASHES = re.compile(r"^([ \t]*#+)")
_TITLE_LIKE = re.compile(r"^ {0,3}(?![-*+>|<=\s]|\d+[.)]\s)\S")  # a line a paragraph may start with (a token before it changes nothing)


class _Headings(BrowserHTMLParser):
    """The level-2 headings of a page that begin with a token: by the token's number."""

    def __init__(self, token: re.Pattern) -> None:
        super().__init__(convert_charrefs=True)
        self.token = token
        self.depth = 0  # elements open around the text read (Markdown's output closes each)
        self.open: list[str] | None = None  # the text of the `<h2>` being read
        self.top = False  # that `<h2>` stands in no other element (in a list item it is no section)
        self.found: dict[int, tuple[str, bool]] = {}  # the token's number: (the heading's text, top)

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.open, self.top = [], self.depth == 0
        elif tag not in VOID_ELEMENTS:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "h2" and self.open is not None:
            text, self.open = "".join(self.open).lstrip(), None
            if m := self.token.match(text):
                self.found[int(m.group(1))] = (text[m.end():].strip(), self.top)
        elif tag != "h2" and tag not in VOID_ELEMENTS:
            self.depth = max(self.depth - 1, 0)  # a stray end tag closes nothing

    def handle_data(self, data):
        if self.open is not None:
            self.open.append(data)


_HTML_START = re.compile(r"<!--|^ {0,3}<[A-Za-z!/?]")


def html_around(lines: list[str], k: int) -> int | None:
    """The line where the comment or HTML block that holds line `k` most likely begins: the
    nearest line above that opens a comment, or begins with a tag after a blank line; None when
    line `k` is indented (Markdown's reason then) or no such line is above it."""
    if lines[k][:1] in (" ", "\t"):
        return None
    for j in range(k - 1, -1, -1):
        if "<!--" in lines[j] or (_HTML_START.match(lines[j]) and (j == 0 or not lines[j - 1].strip())):
            return j
    return None


def heading_differences(body: str, section_lines: list[int]) -> list[tuple[int, str | None]]:
    """Where the sections the scanner reads (`section_lines`: their 0-based body lines) are not the
    page's level-2 headings: (line, None) for a section line the page does not show as a heading
    (in a comment or an HTML block, indented); (line, its text) for a line the page shows as a
    level-2 heading that is no section (`##基本情况`). The body rendered once, a token put after
    the `#`s of each line that starts with some, and at the start of each setext title."""
    if "<!--" not in body and not _HEADINGS_MAY_DIFFER.search(body):
        return []
    lines = body.split("\n")
    prefix = _token_prefix(body)
    sections = set(section_lines)
    marked = []
    for k, line in enumerate(lines):
        if (m := _HASHES.match(line)) is not None:
            line = f"{m.group(1)}{prefix}{k}q{line[m.end():]}"
        elif k in sections or (k + 1 < len(lines) and SETEXT_UNDERLINE.match(lines[k + 1]) and _TITLE_LIKE.match(line)):
            line = f"{prefix}{k}q{line}"  # a setext title (where Markdown may see one, the scanner too or not)
        marked.append(line)
    if (reader := _read_rendered(marked, prefix, _Headings)) is None:
        return []
    out: list[tuple[int, str | None]] = [(k, None) for k in sorted(sections - reader.found.keys())]
    out += [(k, text) for k, (text, top) in sorted(reader.found.items()) if top and k not in sections]
    return sorted(out)


_LEADING = re.compile(r"^[ \t]*")
_ANY_INDENTED = re.compile(r"^(?: {4}| {0,3}\t)", re.M)  # column 4 or more (a tab stops at 4)
_RULE_OR_FENCE = re.compile(r"^[ \t]*[-=*_`~|: \t]*$")  # a token after these would change what they are


def _indented(line: str) -> int | None:
    """Where the text of a line indented to column 4 or more begins (tabs stop every four
    columns, as Python-Markdown expands them): perhaps a line of an indented code block."""
    lead = _LEADING.match(line).end()
    return lead if lead < len(line) and len(line[:lead].expandtabs(4)) >= 4 else None


class _CodeTokens(BrowserHTMLParser):
    """The tokens that stand in a `<pre>` of a page."""

    def __init__(self, token: re.Pattern) -> None:
        super().__init__(convert_charrefs=True)
        self.token, self.depth, self.found = token, 0, set()

    def handle_starttag(self, tag, attrs):
        self.depth += tag == "pre"

    def handle_endtag(self, tag):
        self.depth -= tag == "pre" and self.depth > 0

    def handle_data(self, data):
        if self.depth:
            self.found.update(int(m.group(1)) for m in self.token.finditer(data))


def indented_code(body: str) -> list[int]:
    """The first body line of each indented code block (a paragraph indented four spaces or a
    tab, as text pasted from Word often is: the page shows it in a monospaced box that does not
    wrap). Markdown says which indented lines are code (a list item's next paragraph is not): the
    body rendered once with a token at the end of each indented line outside fences."""
    if not _ANY_INDENTED.search(body):
        return []  # the usual body: no line indented to column 4, decided at C speed
    lines = body.split("\n")
    code = fenced(lines)
    indented = [k for k, line in enumerate(lines)
                if not code[k] and _indented(line) is not None and not _RULE_OR_FENCE.match(line)]
    if not indented:
        return []
    prefix = _token_prefix(body)
    marked = list(lines)
    for k in indented:  # at the end: before the text, a token would end a list item's marker (`    - 项`)
        marked[k] = f"{lines[k]} {prefix}{k}q"
    if (reader := _read_rendered(marked, prefix, _CodeTokens)) is None:
        return []
    return [k for k in sorted(reader.found) if k - 1 not in reader.found]


# How a line that means "a new item" starts, as people type it: Markdown's list markers, the
# outline numbers of Chinese reports (rules.OUTLINE_NUMBERS: 1、 （一） 一、), circled numbers,
# bullets pasted from Word, a table row. Not `1.5万元` (a number).
_MARKER = r"(?:[-*+]|\d+[.)])[ \t]"  # a Markdown list item's marker
ITEM_START = (r"(?:[-*+][ \t]|\d{1,3}[.)](?!\d)|" + "|".join(OUTLINE_NUMBERS)
              + r"|[①-⑳⑴-⒇]|[•·●○■□◆◇▪►▶√✓✔➢➤▲△★☆❖◎]|\|)")
_ITEM_LINE = r"[ \t>]*" + ITEM_START  # (in a quote too; compiled by `re` when a body first needs it)
_AFTER_BREAK = re.compile(r"\n[ \t>]*" + ITEM_START)  # such a line, in a quote too (a literal first: scanned at C speed)
_MARKDOWN_ITEM = re.compile(r"[ \t>]*" + _MARKER)
_TABLE_ROW = re.compile(r"[ \t>]*\|")
_SUB_ITEM = re.compile(r" {1,3}" + _MARKER)  # an item indented less than four spaces
_SUB_ITEM_BELOW = re.compile(r"\n" + _SUB_ITEM.pattern)  # one below another line (a literal first: C speed)
_ITEM = re.compile(_MARKER)  # (matched at a line's start)
_LINE_BREAKING = frozenset({"p", "li", "div", "td", "th", "tr", "table", "ul", "ol", "blockquote", "dd", "dt", "dl", "pre",
                            "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "details", "summary", "figure", "figcaption"})


class _LineTokens(BrowserHTMLParser):
    """At each token: whether its line stands in a block after a line break of the source (the
    page shows the lines run on), the text of that line so far, and how deep in lists it is."""

    def __init__(self, token: re.Pattern) -> None:
        super().__init__(convert_charrefs=True)
        self.token, self.pre, self.lists = token, 0, 0
        self.line, self.broken, self.after_break = "", False, False
        self.found: dict[int, tuple[bool, str, int]] = {}  # body line -> (run on, its text, list depth)

    def handle_starttag(self, tag, attrs):
        self._block(tag, 1)

    def handle_startendtag(self, tag, attrs):
        self._block(tag, 0)

    def handle_endtag(self, tag):
        self._block(tag, -1)

    def _block(self, tag: str, step: int) -> None:
        if tag == "pre":
            self.pre = max(self.pre + step, 0)
        elif tag in ("ul", "ol"):
            self.lists = max(self.lists + step, 0)
        if tag in _LINE_BREAKING:
            self.line, self.broken, self.after_break = "", False, tag == "br"  # `<br>`: the source's line break after it is no run-on

    def handle_data(self, data):
        if self.pre:
            return
        for k, piece in enumerate(data.split("\n")):
            if k:
                self.broken = self.broken or not (self.after_break and not self.line.strip())
                self.line, self.after_break = "", False
            for m in self.token.finditer(piece):
                self.found[int(m.group(1))] = (self.broken, (self.line + piece[:m.start()]).strip(), self.lists)
            self.line += self.token.sub("", piece)


def joined_lines(body: str) -> list[tuple[int, str]]:
    """Lines the page runs on into the line above though they begin as a new item does (`- `,
    `1、`, `（一）`, `•`, a table row `|`): a list or table with no blank line before it, items
    pasted from Word with none between them, a table with no `| --- |` row. (body line, "item"
    or "table"), the first such line of each block only. Markdown says what is a paragraph: the
    body rendered once with a token at the end of each line that begins so under a line of text."""
    if not _may_run_on(body):
        return []  # the usual body
    lines = body.split("\n")  # (code too: Markdown says what is code; a token in a <pre> is not read)
    candidates = [k for k in range(1, len(lines)) if lines[k - 1].strip()
                  and re.match(_ITEM_LINE, lines[k]) and not _DELIMITER_ROW.fullmatch(lines[k])]  # (a token would unmake the table)
    if not candidates:
        return []
    reader = _tokens_read(lines, candidates)
    if reader is None:
        return []
    out: list[tuple[int, str]] = []
    last = -2  # the last run-on line: a line right under it is of the same block, said once
    for k in candidates:
        run_on, text, _ = reader.found.get(k, (False, "", 0))
        if not (run_on and re.match(ITEM_START, text)):
            continue
        if k - 1 != last:
            out.append((k, "table" if text.startswith("|") else "item"))
        last = k
    return out


def _may_run_on(body: str) -> bool:
    """Whether some line that begins as an item does so right under a line of text, other than
    a Markdown list going on (`- 甲` under `- 乙`) or a row of a table that has its `| --- |` row."""
    first = _AFTER_BREAK.search(body)
    if first is None:
        return False  # the usual body
    table_row = -1  # where the last line found to be a table's row starts: the next row is one too
    for m in _AFTER_BREAK.finditer(body, first.start()):
        here = m.start() + 1
        start = body.rfind("\n", 0, m.start()) + 1
        above = body[start:m.start()]
        if not above.strip():
            continue
        if _MARKDOWN_ITEM.match(above) and _MARKDOWN_ITEM.match(body, here):
            continue
        if _TABLE_ROW.match(above) and _TABLE_ROW.match(body, here):
            if start == table_row or _in_table(body, start):
                table_row = here  # the row above is a table's, so is this one
                continue
            end = body.find("\n", here)
            if _DELIMITER_ROW.fullmatch(body[here:end if end >= 0 else len(body)]):
                continue  # a `| --- |` row under its header (no token is put there)
        return True
    return False


def _in_table(body: str, start: int) -> bool:
    """Whether the line at `start` is a row of a table: its block (up from it to a blank line)
    begins with a header row and a `| --- |` row."""
    rows: list[str] = []
    while True:
        end = body.find("\n", start)
        line = body[start:end if end >= 0 else len(body)]
        if not line.strip():
            break
        rows.append(line)
        if start == 0:
            break
        start = body.rfind("\n", 0, start - 1) + 1
    depths = {_quote_depth(row) for row in rows}  # a row in another quote than its header: the page decides
    return len(rows) >= 2 and len(depths) == 1 and bool(_DELIMITER_ROW.fullmatch(rows[-2])) and bool(_TABLE_ROW.match(rows[-1]))


def _quote_depth(line: str) -> int:
    """How many `>` a line begins with (spaces between them aside)."""
    return line[:len(line) - len(line.lstrip(" \t>"))].count(">")


def _tokens_read(lines: list[str], at: list[int]) -> "_LineTokens | None":
    prefix = _token_prefix("\n".join(lines))
    marked = list(lines)
    for k in at:
        row = lines[k].lstrip(" \t>")
        if row.startswith("|"):  # in its first cell: after the row's end it would be a cell more, and no table
            marked[k] = lines[k][:len(lines[k]) - len(row) + 1] + f"{prefix}{k}q " + row[1:]
        else:  # before a hard line break (two spaces or `\` at the end), which must stay the line's end
            text = lines[k].rstrip(" ")
            trail = lines[k][len(text):]
            if not trail and text.endswith("\\"):
                text, trail = text[:-1], "\\"
            marked[k] = f"{text} {prefix}{k}q{trail}"
    return _read_rendered(marked, prefix, _LineTokens)


def flattened_items(body: str) -> list[int]:
    """Lines written as an item of the item above (indented one to three spaces) that the page
    shows beside it instead: Python-Markdown nests a list only four spaces in."""
    if not _SUB_ITEM_BELOW.search(body):
        return []  # (the first line has no item above it)
    lines = body.split("\n")
    code = fenced(lines)
    pairs = []
    for k in range(1, len(lines)):
        if code[k] or not _SUB_ITEM.match(lines[k]):
            continue
        above = next((j for j in range(k - 1, -1, -1) if lines[j].strip()), None)
        if above is not None and not code[above] and _ITEM.match(lines[above]):
            pairs.append((above, k))
    if not pairs:
        return []
    reader = _tokens_read(lines, sorted({k for pair in pairs for k in pair}))
    if reader is None:
        return []
    depth = {k: found[2] for k, found in reader.found.items()}
    return [k for above, k in pairs if depth.get(above) and depth.get(k) == depth[above]]  # (an item the page made)


_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"'，。；！？、）)】」》]+", re.I)
_NOT_BARE_BEFORE = ("(", "<", '"', "'", "=")  # a Markdown or HTML link's address, not text


class _TextOutsideLinks(BrowserHTMLParser):
    """The page's text that stands in no link and no code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside, self.text = 0, []

    def handle_starttag(self, tag, attrs):
        self.inside += tag in ("a", "code", "pre")

    def handle_endtag(self, tag):
        self.inside -= tag in ("a", "code", "pre") and self.inside > 0

    def handle_data(self, data):
        if not self.inside:
            self.text.append(data)


def bare_web_addresses(body: str) -> list[tuple[int, str]]:
    """(body line, address) of each web address the page shows as plain text, which a reader
    cannot click: outside any link or code on the page, said once, where it is first written so."""
    if "://" not in body:
        return []
    written = [m for m in _WEB_ADDRESS.finditer(body) if not body[max(m.start() - 1, 0):m.start()].endswith(_NOT_BARE_BEFORE)]
    if not written:
        return []  # every address is a link's (`(…)`, `<…>`, `href="…"`): the usual body, not rendered
    html = body_html(body)
    if html is None:
        return []
    reader = _TextOutsideLinks()
    reader.feed(html)
    reader.close()
    shown = dict.fromkeys(m.group() for m in _WEB_ADDRESS.finditer(" ".join(reader.text)))
    out = []
    for address in shown:
        at = next((m.start() for m in written if m.group().startswith(address)), None)
        if at is not None:
            out.append((body.count("\n", 0, at), address))
    return sorted(out)


def with_shown_numbers(body: str) -> str:
    """`body` with each ordered list item numbered as the page shows it (`renumbered_items`):
    a list's first item keeps its number, so one pass leaves nothing for E426."""
    changed = renumbered_items(body)
    if not changed:
        return body
    lines = body.split("\n")
    for k, _, shown in changed:
        lines[k] = _NUMBERED.sub(lambda m: f"{m.group(1)}{shown}.{m.group(3)}", lines[k], count=1)
    return "\n".join(lines)


@functools.lru_cache(maxsize=8)  # the same body is asked about by several checks in a row
def _probe(body: str) -> tuple[frozenset[int], frozenset[int]] | None:
    """(where the body's addresses start, where those Markdown makes attributes start): the body
    rendered once with a token put before each address, and the tokens looked for inside tags,
    comments left out. (Before, not instead: the address keeps its spaces, brackets and breaks,
    on which Markdown's reading depends; `[r]: <a b.png>` is no definition, `[r]: <token>` is.)
    None when it cannot tell (Markdown needs longer than a page may take)."""
    found = [a for a in addresses(body, body) if a.start < a.end]  # code too: Markdown says what is code
    if not found:
        return None
    prefix = _token_prefix(body)
    token = re.compile(re.escape(prefix) + r"(\d+)q")
    parts, done = [], 0
    for i, address in enumerate(found):
        parts += [body[done:address.start], f"{prefix}{i}q"]
        done = address.start
    md = _markdown()
    md.reset()
    try:
        with deadline.deadline(deadline.RENDER_SECONDS):
            html = md.convert("".join(parts) + body[done:])
    except deadline.TooSlow:
        _local.md = None  # stopped half-way: a new one next time
        return None
    live = set()
    for _, _, attributes in html_tags(html):  # tags as a browser reads them, comments left out
        for name, value in attributes:  # a src or href that is the address (not text in a title)
            if name in ("src", "href") and value and (m := token.match(value.strip())) is not None:
                live.add(found[int(m.group(1))].start)
    return frozenset(a.start for a in found), frozenset(live)
