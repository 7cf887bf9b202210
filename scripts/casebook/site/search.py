"""Search: Material's search index -> a substring (Ctrl+F) index the browser loads in pieces.

What is searched — a page's *visible text*: what Material's search plugin extracted from the
rendered page (its title, then the text of each section: headings, paragraphs, lists, tables,
the case's summary and metadata card; without what the page marks `data-search-exclude`: the
待补充 notice, related cases, the edit link), tags dropped, entities decoded, jieba's word marks
(U+200B) removed, then NFKC-normalised, lower-cased, characters that show nothing removed and
curly quotes straightened (`fold`, as Ctrl+F takes them). Whitespace and the edges of
paragraphs, list items and code blocks break the text into *segments*; a query term never holds
whitespace, so it is found exactly where the browser's Ctrl+F would find it. A case's tags are
searched too, but only those that are visible on the page (in its metadata card, or a quoted name
in its title), so they change ranking, never the result set.

A query is split at whitespace into terms; a page is a result when its text contains every term.
The index answers that exactly, for any term, at any library size:

- a term of 1 or 2 characters: the pages containing that character / pair (`k` postings);
- a longer term: the positions of its covering pairs (`p` postings) — the pairs at offsets 0, 2,
  4 ... and len - 2 — must line up at one place in a page. Nothing is guessed, nothing left out.

Ranking: per term, the best occurrence: field (title 1000 > tags 100 > summary and metadata card
10 > body 1), doubled when the match is a whole word (starts and ends at a word boundary:
jieba's cut for Chinese, a non-letter for Latin and numbers); summed over terms; ties by page.

Files (`build_search_files`; the postings themselves are built by postings.py), all deterministic:

- `search/search_index.json`: what Material's page fetches first (small: no postings, no texts);
  `config.casebook` says how many pages and shards there are;
- `search/casebook/k<n>.js`, `p<n>.js`: postings sharded by the CRC-32 of their key into files of
  about `SHARD_BYTES`, so a query loads only the shards of its own characters and pairs;
- `search/casebook/r<n>.js`: result previews (location, title, teaser, tags) of `GROUP` pages
  each, loaded for the results on screen.

Each file is a script, `casebook("<name>",` / JSON / `);`: over http the worker fetches it and
parses the JSON line; from file:// (the offline zip, where fetch is blocked) it loads it as a
<script>. A posting is base64 of unsigned LEB128 numbers:
`k`: per page (page - previous page) * 8 + code, code = field * 2 + whole (its best occurrence);
`p`: columnar: the number of pages n, n page deltas, n occurrence counts, then each page's
occurrences as offset * 16 + start * 8 + end * 4 + field, minus the previous occurrence's
offset * 16 (offset: in the page's text; start/end: a word boundary before/after the pair).

Why pairs with positions (measured, docs/guide/performance.md): a word index misses strings that
cross jieba's words; pairs without positions match pieces that are apart (个第 in 4,922 cases for
50); n-grams up to 6 would need six lists per character. Checking candidates against the page
text would download the text of thousands of pages for a common phrase; positions of the two or
three covering pairs are a few bytes per occurrence and load with their shard.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import html
import json
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..core.progress import give_way


BODY, SUMMARY, TAGS, TITLE = 0, 1, 2, 3
WEIGHT = (1, 10, 100, 1000)  # by field; a whole-word match counts twice
INDEX_KEY = "casebook"
INDEX_FILE = "search/search_index.json"  # Material's index, where its search page looks for it
FOLDER = "search/casebook"
SHARD_BYTES = 12_000  # target size of a postings shard (before gzip)
GROUP = 8  # result previews per file
TEASER_CHARS = 200  # pages without a first paragraph: the start of their text
# Whitespace, as the worker splits queries (the same expression, handed over in the manifest).
SPACE = "[\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]+"
MARK = "\u200b"  # jieba's word marks in Material's index

_SPACE = re.compile(SPACE)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
_BREAK_TAGS = {"p", "li", "ol", "ul", "pre"}  # the tags Material keeps that end a line; code/sub/sup do not
_FIRST_PARAGRAPH = re.compile(r"\s*<p>(.*?)</p>", re.S)
_TOKEN_OR_MARK = re.compile(r"[^\W_]+|\u200b")  # letters/digits runs; U+200B is not \w


# What the browser's Ctrl+F also treats as one: characters that show nothing (a soft hyphen or a
# zero-width joiner pasted from Word or a web page; U+200B is jieba's word mark here, removed from a
# query apart), and the curly quotes as the straight ones. The worker gets both from the manifest.
IGNORED = "[\u00ad\u034f\u061c\u180b-\u180f\u200c-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f]"
QUOTES = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}
_IGNORED = re.compile(IGNORED)
_QUOTES = str.maketrans(QUOTES)


def fold(text: str) -> str:
    """NFKC, lower case (final sigma as sigma), IGNORED removed, QUOTES straightened: the worker's
    `fold` does the same, with the two tables from the manifest."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text).lower().replace("ς", "σ")).translate(_QUOTES)


def visible(markup: str) -> str:
    """An index field's text with its breaks: kept block tags -> newline, other tags removed."""
    return html.unescape(_TAG.sub(lambda m: "\n" if m.group(2).lower() in _BREAK_TAGS else "", markup))


def plain(markup: str) -> str:
    """Display text of an index field: its visible text, word marks removed, one line."""
    return " ".join(visible(markup).replace(MARK, "").split())


def segments(text: str) -> list[str]:
    """Folded text (word marks kept) cut at whitespace; empty pieces dropped."""
    return [s for s in _SPACE.split(fold(text)) if s.replace(MARK, "")]


def terms(query: str) -> list[str]:
    """A query's terms: folded, word marks removed, split at whitespace, each once, in order."""
    return list(dict.fromkeys(t for t in _SPACE.split(fold(query).replace(MARK, "")) if t))


# -- pages -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    location: str
    title: str  # display text
    teaser: str
    tags: tuple[str, ...]
    fields: tuple[tuple[int, str], ...]  # (field, folded segment with word marks), in page order


def read_pages(data: dict, is_case: Callable[[str], bool]) -> list[Page]:
    """Material's index (one entry per page section, a page's first entry first) -> pages."""
    order: list[str] = []
    entries: dict[str, list[dict]] = {}
    for entry in data["docs"]:
        location = entry["location"].split("#", 1)[0]
        if location not in entries:
            order.append(location)
            entries[location] = []
        entries[location].append(entry)
    pages = []
    for location in order:
        give_way()  # casebook serve builds this index beside the page an editor waits for
        first, *rest = entries[location]
        parts = [(TITLE, visible(first["title"])),
                 (SUMMARY if is_case(location) else BODY, visible(first["text"]))]
        for entry in rest:
            parts += [(BODY, visible(entry["title"])), (BODY, visible(entry["text"]))]
        fields = [(field, seg) for field, text in parts for seg in segments(text)]
        shown = "\n".join(seg.replace(MARK, "") for _, seg in fields)
        tags = tuple(plain(t) for t in first.get("tags") or ())
        # Only tags the reader can see on the page (its metadata card, a quoted name in its title)
        # are searched: they rank a match, they never add one.
        for tag in tags:
            parts_of_tag = segments(tag)
            if parts_of_tag and all(p.replace(MARK, "") in shown for p in parts_of_tag):
                fields += [(TAGS, p) for p in parts_of_tag]
        fields.sort(key=lambda f: -f[0])  # title, tags, summary, body (stable within a field)
        paragraph = _FIRST_PARAGRAPH.match(first["text"])
        teaser = plain(paragraph.group(1)) if paragraph else plain(first["text"])[:TEASER_CHARS]
        pages.append(Page(location, plain(first["title"]), teaser, tags, tuple(fields)))
    return pages


# -- encoding ----------------------------------------------------------------------------------

def read_varints(data: bytes) -> list[int]:
    out, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 127) << shift
        if byte < 128:
            out.append(value)
            value, shift = 0, 0
        else:
            shift += 7
    return out


def shard_numbers(keys: Iterable[str], count: int) -> list[int]:
    """Each key's shard: the CRC-32 of its UTF-8 bytes, modulo the number of shards (the worker's
    `shardOf`)."""
    return [n % count for n in map(zlib.crc32, map(str.encode, keys))]


def shard_of(key: str, count: int) -> int:
    return shard_numbers([key], count)[0]


def script(name: str, data: object) -> str:
    """A data file the worker can fetch (JSON on the middle line) or run as a <script>."""
    return script_text(name, json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def script_text(name: str, json_text: str) -> str:
    """`script` for data already written as JSON (one line)."""
    return f'casebook("{name}",\n{json_text}\n);\n'


def read_script(text: str) -> object:
    return json.loads(text.split("\n")[1])


# -- the index ---------------------------------------------------------------------------------

def previews(pages: list[Page]) -> dict[str, str]:
    files = {}
    for start in range(0, len(pages), GROUP):
        group = [[p.location, p.title, p.teaser, list(p.tags)] for p in pages[start:start + GROUP]]
        files[f"r{start // GROUP}"] = script(f"r{start // GROUP}", group)
    return files


def build_search_files(data: dict, is_case: Callable[[str], bool]) -> dict[str, str]:
    """Material's search index -> our files (relative path in the site -> text). Each stage's
    input is let go of as soon as the next one has what it needs (memory at 20,000 cases)."""
    pages = read_pages(data, is_case)
    config = {key: data["config"][key] for key in ("lang", "separator", "pipeline") if key in data["config"]}
    del data  # the caller passes Material's parsed index and keeps no reference to it
    from .postings import index_pages, layout, shard_files  # numpy: loaded by a build, not by `casebook validate`
    page_count, preview_files = len(pages), previews(pages)
    lay = layout(pages)
    del pages  # their text is in the layout now
    collecting = gc.isenabled()
    gc.disable()  # millions of small lists, none of them cyclic: the collector would rescan them all
    try:
        k, p = index_pages(lay)
    finally:
        if collecting:
            gc.enable()
    del lay
    # One after the other, each let go of when done: side by side (on two cores) they took 0.3 s
    # less at 5,000 cases, and 150 MB more at 20,000.
    k_count, k_files = shard_files(k, "k")
    del k
    p_count, p_files = shard_files(p, "p")
    del p
    files = {**k_files, **p_files, **preview_files}
    del k_files, p_files, preview_files
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode("utf-8") + b"\0")
    config[INDEX_KEY] = {"pages": page_count, "k": k_count, "p": p_count, "group": GROUP, "space": SPACE,
                         "ignored": IGNORED, "quotes": QUOTES, "mark": MARK,
                         "weight": list(WEIGHT), "version": digest.hexdigest()[:16]}
    out = {f"{FOLDER}/{name}.js": text for name, text in files.items()}
    out[INDEX_FILE] = json.dumps({"config": config, "docs": []}, ensure_ascii=False, separators=(",", ":"))
    return out


# -- the reference query (what the worker computes; tests and the benchmark use it) --------------

class Index:
    """Answers queries from the built files, as the worker does (without the word fallback)."""

    def __init__(self, files: dict[str, str]):
        self.files = files
        self.config = json.loads(files[INDEX_FILE])["config"][INDEX_KEY]
        self.loaded: set[str] = set()

    def _posting(self, kind: str, key: str) -> bytes | None:
        name = f"{kind}{shard_of(key, self.config[kind])}"
        self.loaded.add(name)
        shard = read_script(self.files[f"{FOLDER}/{name}.js"])
        code = shard.get(key)
        return base64.b64decode(code) if code is not None else None

    def term(self, term: str) -> dict[int, int]:
        """page -> best code (field * 2 + whole) of the pages containing `term`."""
        chars = list(term)
        if len(chars) <= 2:
            data = self._posting("k", term)
            out, page = {}, -1
            for v in read_varints(data or b""):
                page += v >> 3
                out[page] = v & 7
            return out
        cover = sorted(set(range(0, len(chars) - 1, 2)) | {len(chars) - 2})
        found: dict[int, dict[int, int]] | None = None  # page -> start offset -> code
        last = cover[-1]
        per: list[dict[int, dict[int, int]]] = []
        for o in cover:
            data = self._posting("p", term[o:o + 2])
            if data is None:
                return {}
            per.append(decode_positions(data))
        for o, positions in zip(cover, per, strict=True):
            if found is None:
                found = {page: {off: flags for off, flags in offs.items()} for page, offs in positions.items()}
                continue
            for page in list(found):
                offs = positions.get(page)
                starts = {s: f for s, f in found[page].items() if offs and s + o in offs}
                if o == last:
                    starts = {s: (f & ~4) | (offs[s + o] & 4) for s, f in starts.items()}
                if starts:
                    found[page] = starts
                else:
                    del found[page]
        out = {}
        for page, starts in (found or {}).items():
            out[page] = max((f & 3) * 2 + ((f >> 3) & (f >> 2) & 1) for f in starts.values())
        return out

    def search(self, query: str) -> list[tuple[int, int]]:
        """[(page, score)] best first, ties by page: the pages containing every term."""
        score: dict[int, int] | None = None
        for t in terms(query):
            found = self.term(t)
            weights = {page: WEIGHT[code >> 1] * (1 + (code & 1)) for page, code in found.items()}
            score = weights if score is None else {p: s + weights[p] for p, s in score.items() if p in weights}
        return sorted((score or {}).items(), key=lambda item: (-item[1], item[0]))


def decode_positions(data: bytes) -> dict[int, dict[int, int]]:
    """A `p` posting -> page -> offset -> flags (start * 8 + end * 4 + field). The posting is
    columnar: the number of pages n, n page deltas, n occurrence counts, then per page its
    occurrences as deltas (offset * 16 + flags, minus the previous occurrence's offset * 16)."""
    values = read_varints(data)
    n = values[0]
    out: dict[int, dict[int, int]] = {}
    page, at = -1, 1 + 2 * n
    for j in range(n):
        page += values[1 + j]
        offsets, previous = {}, 0
        for v in values[at:at + values[1 + n + j]]:
            value = previous + v
            offsets[value >> 4] = value & 15
            previous = value & ~15
        at += values[1 + n + j]
        out[page] = offsets
    return out
