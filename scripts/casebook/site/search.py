"""Material's search index -> a prebuilt inverted index that the reader's browser loads as is.

Material's own search worker rebuilds a lunr index from every entry on every page load (about
6 µs per indexed word here): at a few thousand cases the first result takes seconds, and the old
way out — indexing only each case's rarest words — lost most of the cases a common word is in.
So the index is built here, once, at build time, and our worker
(docs/assets/javascripts/search-worker.js) only looks words up in it:

- `docs`: one entry per page: location, title, teaser (a case's summary) and tags, all plain
  text. The worker escapes them and adds nothing but <mark> around matches.
- `config.casebook`: every word of every page (jieba's segmentation, done by Material's search
  plugin; lower-cased), sorted and joined by "\\n" in `words`, and for each word, in `postings`
  (lists joined by ","), the pages it occurs in, each with the best field it occurs in:
  TITLE > TAGS > SUMMARY (summary and metadata card: organization, region ...) > BODY.
  Nothing is left out: the browser finds every page holding a word, at any library size.

A posting list is a run of numbers, (page - previous page) * 8 + field, each written base 32,
most significant digit first: digits before the last one from CONTINUE, the last from LAST.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

BODY, SUMMARY, TAGS, TITLE = 1, 2, 3, 4
INDEX_KEY = "casebook"
CONTINUE = "ghijklmnopqrstuvwxyz0123456789+/"
LAST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
TEASER_CHARS = 200  # pages without a first paragraph: the start of their text

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
_FIRST_PARAGRAPH = re.compile(r"\s*<p>(.*?)</p>", re.S)


def plain(markup: str) -> str:
    """Text of an index field: tags dropped, entities decoded, jieba's word marks removed."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).replace("\u200b", "").split())


def tokens(markup: str, separator: re.Pattern[str]) -> set[str]:
    """The words of segmented index text: split where Material splits, punctuation dropped."""
    return set(_WORD.findall(separator.sub(" ", html.unescape(_TAG.sub(" ", markup)).lower())))


def encode(postings: list[tuple[int, int]]) -> str:
    """(page, field) pairs in page order -> the compact string the worker decodes."""
    out = []
    previous = -1
    for page, field in postings:
        value = (page - previous) * 8 + field
        previous = page
        if value < 32:  # most pages: the next few pages, one character
            out.append(LAST[value])
            continue
        digits = [LAST[value % 32]]
        value //= 32
        while value:
            digits.append(CONTINUE[value % 32])
            value //= 32
        out.append("".join(reversed(digits)))
    return "".join(out)


def decode(code: str) -> list[tuple[int, int]]:
    """The inverse of `encode` (the worker does the same in JavaScript)."""
    out = []
    page, value = -1, 0
    for ch in code:
        if ch in LAST:
            value = value * 32 + LAST.index(ch)
            page += value // 8
            out.append((page, value % 8))
            value = 0
        else:
            value = value * 32 + CONTINUE.index(ch)
    return out


def build_search_index(data: dict, is_case: Callable[[str], bool]) -> dict:
    """Material's index (one entry per page section) -> ours; `is_case(page location)` says
    which pages are cases, whose teaser is the summary (the page's first paragraph)."""
    separator = re.compile(data["config"]["separator"])
    docs: list[dict] = []
    number: dict[str, int] = {}
    fields: list[dict[str, int]] = []  # per page: word -> best field
    # Fields arrive best first (a page's title, tags, first entry, then its sections), so a
    # word's best field on a page is the first one it is seen in.
    for entry in data["docs"]:
        location = entry["location"].split("#", 1)[0]
        if location not in number:  # a page's first entry: its title and the text before any heading
            number[location] = len(docs)
            first = _FIRST_PARAGRAPH.match(entry["text"])
            teaser = plain(first.group(1)) if first else plain(entry["text"])[:TEASER_CHARS]
            doc = {"location": location, "title": plain(entry["title"]), "text": teaser}
            if entry.get("tags"):
                doc["tags"] = [plain(tag) for tag in entry["tags"]]
            docs.append(doc)
            seen = dict.fromkeys(tokens(entry["title"], separator), TITLE)
            tags = {word for tag in doc.get("tags", []) for word in tokens(tag, separator) | {tag.lower()}}
            parts = [(tags, TAGS), (tokens(entry["text"], separator), SUMMARY if is_case(location) else BODY)]
            fields.append(seen)
        else:
            seen = fields[number[location]]
            parts = [(tokens(entry["title"] + " " + entry["text"], separator), BODY)]
        for words, field in parts:
            seen.update(dict.fromkeys(words - seen.keys(), field))
    postings: dict[str, list[tuple[int, int]]] = {}
    for page, seen in enumerate(fields):  # page order: every list comes out sorted
        for word, field in seen.items():
            postings.setdefault(word, []).append((page, field))
    words = sorted(postings)
    config = {key: data["config"][key] for key in ("lang", "separator", "pipeline") if key in data["config"]}
    config[INDEX_KEY] = {"words": "\n".join(words), "postings": ",".join(encode(postings[word]) for word in words)}
    return {"config": config, "docs": docs}
