"""Material's search index -> a compact one: what the reader's browser must index on every load.

Material makes one entry per section, and the browser rebuilds its lunr index from all of them
on every page load: with full text, the first result takes seconds once a library has a few
thousand cases (docs/guide/performance.md). So the index holds:

- per case page one entry: the title and tags (whole names such as “阳光车队”, strongly boosted),
  the summary as the teaser shown under a result (displayed, not indexed), and in the field `kw`
  the page's words, each once;
- for a large library, only each case's most distinctive words: a library-wide budget of
  WORD_BUDGET words is shared out, rarest words (fewest cases) first. A small library keeps
  every word; in a large one a word found in many cases still finds those whose title or tags
  hold it, and the browse pages list the rest.

Other pages (the hand-written docs) keep their entries, with their words in `kw` too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

KW_FIELD = "kw"
WORD_BUDGET = 60_000  # words in `kw` across all cases: ~1 s to the first result at 2,000 cases
MIN_WORDS = 20  # a case keeps at least this many, whatever the library's size

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w")
_FIRST_PARAGRAPH = re.compile(r"\s*<p>.*?</p>", re.S)


def words_of(texts: Iterable[str], separator: re.Pattern[str]) -> list[str]:
    """Distinct words in order. Single characters (的, 在, 和 ...) and punctuation add size, not
    findability: a one-character query still prefix-matches the longer words."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in separator.split(_TAG.sub(" ", text)):
            if len(word) > 1 and _WORD.search(word):
                seen[word.lower()] = None
    return list(seen)


def compact_index(data: dict, is_case: Callable[[str], bool], budget: int = WORD_BUDGET) -> dict:
    """Return a new index dict; `is_case(location)` says which page locations are cases."""
    separator = re.compile(data["config"]["separator"])
    docs: list[dict] = []
    pages: dict[str, dict] = {}
    texts: dict[str, list[str]] = {}
    for entry in data["docs"]:
        page = entry["location"].split("#", 1)[0]
        if not is_case(page):
            docs.append(dict(entry, **{KW_FIELD: "\u200b".join(words_of([entry["text"]], separator))}))
            continue
        if page not in pages:  # the page's first entry: its title and the text before any heading
            # The teaser is the summary (the page's first paragraph); the metadata card and the
            # body stay findable through `kw`.
            teaser = _FIRST_PARAGRAPH.match(entry["text"])
            pages[page] = dict(entry, location=page, text=teaser.group(0) if teaser else entry["text"])
            docs.append(pages[page])
            texts[page] = []
        texts[page] += [entry["title"], entry["text"]]
    words = {page: words_of(parts, separator) for page, parts in texts.items()}
    cases_with = Counter(w for ws in words.values() for w in ws)
    cap = max(MIN_WORDS, budget // max(len(pages), 1))
    for page, entry in pages.items():
        kept = words[page] if len(words[page]) <= cap else sorted(words[page], key=cases_with.__getitem__)[:cap]
        entry[KW_FIELD] = "\u200b".join(kept)
    # `text` is shown, not indexed: its words are in `kw`, where they cost the browser once.
    given = data["config"].get("fields") or {"title": {"boost": 1000.0}, "tags": {"boost": 1000000.0}}
    fields = {k: v for k, v in given.items() if k != "text"}
    fields.setdefault(KW_FIELD, {"boost": 1.0})
    return {"config": dict(data["config"], fields=fields), "docs": docs}
