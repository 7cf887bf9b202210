"""Material's search index -> a compact one: what the reader's browser must index on every load.

Material makes one entry per section and the browser rebuilds its lunr index from all of them on
every page load, so the first result takes longer with every case. For case pages we keep one
entry (title, summary as the teaser shown in results, the case's tags), and put all its words
once each into an extra field `kw`: every word still finds its case, at a fraction of the size.
Other pages (the hand-written docs) keep Material's entries as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w")
_FIRST_PARAGRAPH = re.compile(r"\s*<p>.*?</p>", re.S)
KW_FIELD = "kw"


def compact_index(data: dict, is_case: Callable[[str], bool]) -> dict:
    """Return a new index dict; `is_case(location)` says which page locations are cases."""
    separator = re.compile(data["config"]["separator"])
    docs: list[dict] = []
    pages: dict[str, dict] = {}
    words: dict[str, dict[str, None]] = {}
    for entry in data["docs"]:
        page = entry["location"].split("#", 1)[0]
        if not is_case(page):
            docs.append(entry)
            continue
        if page not in pages:  # the page's first entry: its title and the text before any heading
            # The teaser shown under a result is the summary (the page's first paragraph); the
            # metadata card after it stays findable through `kw`.
            teaser = _FIRST_PARAGRAPH.match(entry["text"])
            pages[page] = dict(entry, location=page, text=teaser.group(0) if teaser else entry["text"])
            docs.append(pages[page])
            words[page] = {}
        for text in (entry["title"], entry["text"]):
            for word in separator.split(_TAG.sub(" ", text)):
                # Single characters (的, 在, 和 ...) and punctuation add size, not findability:
                # a one-character query still prefix-matches the longer words.
                if len(word) > 1 and _WORD.search(word):
                    words[page][word.lower()] = None
    for page, entry in pages.items():
        entry[KW_FIELD] = "\u200b".join(words[page])
    fields = dict(data["config"].get("fields") or {})
    fields.setdefault(KW_FIELD, {"boost": 1.0})
    return {"config": dict(data["config"], fields=fields), "docs": docs}
