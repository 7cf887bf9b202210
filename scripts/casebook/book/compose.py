"""Index -> the 案例汇编: which cases, in which 篇, and each case body as plain blocks.

Pure: returns data, writes nothing. The PDF (pdf.py, Typst) and the Word document
(docx.py) both typeset the same `Book`. Case text is data all the way: Markdown is turned
into a small tree of blocks and styled runs whose text is plain strings, never markup.
"""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import markdown
import yaml
from material.extensions.emoji import twemoji
from pymdownx.emoji import to_alt

from .errors import BookError
from ..core.index import Index, case_values
from ..core.model import Case
from ..core.rules import honors_text, kept_link, library_image, library_url
from ..core.sanitize import DROP_WITH_CONTENT, VOID_ELEMENTS, clean
from ..core.markup import STRUCTURE_CONFIGS, STRUCTURE_EXTENSIONS, live_addresses
from ..core.scan import HTML_INTEGER, BrowserHTMLParser, list_start, rewrite_addresses
from ..core.scan import sections as scan_sections
from ..core.volumes import DEFAULT_VOLUME_PAGES  # noqa: F401  (the budget's one home)
from ..core.schema import FIELD_BY_KEY, VOCABULARIES, VOCABULARY_LABELS

DEFAULT_TITLE = "两新党建工作法案例汇编"
DEFAULT_COMPILER = "两新党建工作法案例库"
DEFAULT_NAME = "liangxin-dangjian-anli-huibian"
DEFAULT_GROUP = "category"
NUMERALS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Where:
    field: str
    value: str


@dataclass(frozen=True)
class Entry:
    """One case as the book prints it."""

    case: Case
    meta: tuple[tuple[str, str], ...]  # (label, value) rows of the compact metadata block
    cover: dict | None  # {"src": library path, "alt": text}
    sections: tuple[dict, ...]  # {"title", "incomplete", "blocks"}


@dataclass(frozen=True)
class Part:
    """One 篇: the cases under one value of the group-by vocabulary."""

    number: int  # 1-based
    value: str
    continued: bool = False  # a 篇 split between volumes, in a later volume: “（续）”

    @property
    def title(self) -> str:
        return f"第{chinese_number(self.number)}篇　{self.value}" + ("（续）" if self.continued else "")


@dataclass(frozen=True)
class Book:
    title: str
    compiler: str
    date: dt.date
    scope: str  # "" for the whole library, else e.g. "地区：东城街道"
    group_by: str
    parts: tuple[tuple[Part, tuple[Entry, ...]], ...]
    volume: int = 0  # 第N册 (1-based) when the book is split into volumes; 0: one book
    volumes: int = 0  # how many volumes (0: one book)
    holds: str = ""  # what this volume holds (its cover says so), e.g. “第一篇　党建工作法（第 1–300 个案例）”

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(e for _, entries in self.parts for e in entries)

    @property
    def count(self) -> int:
        return sum(len(entries) for _, entries in self.parts)


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一 (a library has far fewer than 100 篇)."""
    if n < 10:
        return NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")


def volume_text(book: Book) -> str:
    """“第2册（共3册）” for a volume, "" for a book of one volume."""
    return f"第{book.volume}册（共{book.volumes}册）" if book.volumes else ""


def chinese_date(date: dt.date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


# -- configuration (book.yml) ------------------------------------------------------------------

CONFIG_FILE = "book.yml"
CONFIG_KEYS = {"title": DEFAULT_TITLE, "compiler": DEFAULT_COMPILER, "name": DEFAULT_NAME}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


def parse_config(text: str | None, shown: str = CONFIG_FILE) -> dict[str, str]:
    """book.yml text (None: no file) -> title, compiler, name; BookError names the problem."""
    out = dict(CONFIG_KEYS)
    if text is None:
        return out
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BookError(f"{shown} 不是有效的 YAML：{str(exc).splitlines()[0]}") from None
    if data is None:
        return out
    if not isinstance(data, dict):
        raise BookError(f"{shown} 应是“键: 值”的映射（{'、'.join(CONFIG_KEYS)}）")
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise BookError(f"{shown}：未知的键“{key}”；可用：{'、'.join(CONFIG_KEYS)}")
        if not isinstance(value, str) or not value.strip():
            raise BookError(f"{shown}：{key} 应是非空文字")
        out[key] = value.strip()
    if not _NAME.match(out["name"]):
        raise BookError(f"{shown}：name “{out['name']}” 只能用字母、数字、点、连字符和下划线（它是文件名）")
    return out


# -- selecting and grouping ------------------------------------------------------------------

def parse_where(items: list[str], index: Index) -> tuple[Where, ...]:
    """`FIELD=VALUE` items checked against the vocabularies; BookError says what is allowed."""
    out = []
    for item in items:
        field, sep, value = item.partition("=")
        field, value = field.strip(), value.strip()
        if not sep or not field or not value:
            raise BookError(f"--where “{item}” 应写成 字段=取值，如 --where region=东城街道")
        if field not in VOCABULARIES:
            raise BookError(f"--where 的字段“{field}”不能用于筛选；可选：{'、'.join(VOCABULARIES)}")
        allowed = tuple(f.value for f in index.facets[field])
        if value not in allowed:
            raise BookError(f"--where {field}（{VOCABULARY_LABELS[field]}）：“{value}”不在词表中；可选：{'、'.join(allowed)}")
        out.append(Where(field, value))
    return tuple(out)


def check_group_by(field: str) -> str:
    if field not in VOCABULARIES:
        raise BookError(f"--group-by “{field}” 不是词表字段；可选：{'、'.join(VOCABULARIES)}（默认 {DEFAULT_GROUP}）")
    return field


def matches(case: Case, where: tuple[Where, ...]) -> bool:
    """Conditions on one field are alternatives (OR); different fields must all hold (AND)."""
    fields: dict[str, set[str]] = {}
    for w in where:
        fields.setdefault(w.field, set()).add(w.value)
    return all(values & set(case_values(case, field)) for field, values in fields.items())


def scope_text(where: tuple[Where, ...]) -> str:
    fields: dict[str, list[str]] = {}
    for w in where:
        fields.setdefault(w.field, []).append(w.value)
    return "；".join(f"{VOCABULARY_LABELS[f]}：{'或'.join(dict.fromkeys(v))}" for f, v in fields.items())


Group = tuple[Part, tuple[Case, ...]]


def group_cases(index: Index, group_by: str = DEFAULT_GROUP, where: tuple[Where, ...] = ()) -> tuple[Group, ...]:
    """Published cases only (the index holds no drafts), each once, under its first value of
    `group_by`; 篇 in taxonomy order, then one for cases without a value; cases in index order."""
    check_group_by(group_by)
    groups: dict[str, list[Case]] = {f.value: [] for f in index.facets[group_by]}
    missing = f"未注明{VOCABULARY_LABELS[group_by]}"
    for case in index.cases:
        if not matches(case, where):
            continue
        values = case_values(case, group_by)
        groups.setdefault(values[0] if values else missing, []).append(case)
    if missing in groups:  # last, whatever the taxonomy says
        groups[missing] = groups.pop(missing)
    parts: list[Group] = []
    for value, cases in groups.items():
        if cases:
            parts.append((Part(len(parts) + 1, value), tuple(cases)))
    return tuple(parts)


def build_book(index: Index, *, title: str = DEFAULT_TITLE, compiler: str = DEFAULT_COMPILER,
               date: dt.date | None = None, group_by: str = DEFAULT_GROUP, where: tuple[Where, ...] = (),
               assets: tuple[str, ...] = ()) -> Book:
    """The whole selection as one book (group_cases)."""
    groups = group_cases(index, group_by, where)
    return compose_book(groups, title=title, compiler=compiler, date=date or dt.date.today(), scope=scope_text(where),
                        group_by=group_by, assets=assets)


def compose_book(groups: Iterable[Group], *, title: str, compiler: str, date: dt.date, scope: str, group_by: str,
                 assets: tuple[str, ...] | frozenset[str] = (), volume: int = 0, volumes: int = 0, holds: str = "") -> Book:
    """Grouped cases -> a Book with every case's printable entry (Markdown turned into blocks)."""
    known = set(assets)
    parts = tuple((part, tuple(book_entry(c, known) for c in cases)) for part, cases in groups)
    return Book(title, compiler, date, scope, group_by, parts, volume, volumes, holds)


# -- volumes (分册) ---------------------------------------------------------------------------
#
# A book past a page budget is split into volumes, each a book of its own (cover, contents, page
# numbers). Pages are estimated before anything is typeset, from the blocks each case prints as;
# the constants were calibrated against Typst's output of this template (docs/guide/performance.md,
# “分册”): on 418 cases (400 generated, the 13 shipped, 5 test fixtures) the estimate was never
# below the real page count, one page above it for 28; +4.9 % over all their pages (scripts/book_pages.py).

LINES_PER_PAGE = 36  # body lines (10.5 pt, leading 0.85 em) on an A4 page with the template's margins
CHARS_PER_LINE = 43  # Chinese characters in a body line (16 cm at 10.5 pt)
HEADER_LINES = 2.0  # the case's title and organisation, beyond its metadata rows and summary
META_LINE = 0.75  # a metadata row (9 pt)
META_CHARS = 46  # Chinese characters in a metadata value's line
SUMMARY_CHARS = 40  # … in the summary box's line
BLOCK_GAP = 0.3  # between blocks (paragraph spacing)
HEADING_LINES = 1.5  # a section heading
PICTURE_MAX_CM = 10  # a picture's height at most, in both renderers (book.typ, docx.py)
PICTURE_LINES = 16.0  # a picture (at most PICTURE_MAX_CM high) and its caption
TOC_LINES = 33  # contents entries a page
_WIDE = re.compile(r"[\u2e80-\uffff]")


def text_width(text: str) -> float:
    """In Chinese character widths: a Latin letter or digit is about half of one."""
    wide = len(_WIDE.findall(text))
    return wide + (len(text) - wide) * 0.55


def _lines(width: float, per_line: int) -> int:
    return max(1, math.ceil(width / per_line))


def block_lines(blocks: list[dict], per_line: int = CHARS_PER_LINE) -> float:
    total = 0.0
    for b in blocks:
        kind = b["t"]
        if kind in ("p", "h"):
            total += _lines(text_width(plain_text(b["runs"])) + (2 if kind == "p" else 0), per_line) + BLOCK_GAP
        elif kind == "list":
            total += sum(block_lines(item, per_line - 2) for item in b["items"])
        elif kind == "code":
            total += b["text"].count("\n") + 1 + BLOCK_GAP
        elif kind == "quote":
            total += block_lines(b["blocks"], per_line - 2)
        elif kind == "img":
            total += PICTURE_LINES
        elif kind == "table":
            rows = [1.0] * b["rows"]  # each row's lines: its tallest cell, a spanning one shared out
            for c in b["cells"]:
                lines = block_lines(c["blocks"], max(per_line * c["colspan"] // b["columns"] - 1, 4)) / c["rowspan"]
                for y in range(c["y"], c["y"] + c["rowspan"]):
                    rows[y] = max(rows[y], lines)
            total += sum(rows) * 1.2 + BLOCK_GAP
        else:  # hr
            total += 1
    return total


def estimate_pages(entry: Entry) -> int:
    """Pages a case takes in the PDF (each case starts a page), estimated from its blocks."""
    lines = HEADER_LINES + sum(_lines(text_width(value), META_CHARS) for _, value in entry.meta) * META_LINE
    lines += _lines(text_width(entry.case.summary) + 3, SUMMARY_CHARS) + BLOCK_GAP
    if entry.cover:
        lines += PICTURE_LINES
    for s in entry.sections:
        lines += HEADING_LINES if s["title"] else 0
        lines += 2 if s["incomplete"] else block_lines(s["blocks"])
    return math.ceil(lines / LINES_PER_PAGE)


def front_pages(cases: int, parts: int) -> int:
    """The cover, the contents and one opening page per 篇."""
    return 1 + math.ceil((cases + 2 * parts) / TOC_LINES) + parts


@dataclass(frozen=True)
class VolumePlan:
    number: int  # 1-based
    groups: tuple[Group, ...]  # its 篇 (a continued one marked) and their cases, in book order
    pages: int  # estimated
    holds: str  # what it holds, for its cover and the site


def split_volumes(groups: tuple[Group, ...], pages_of: Callable[[Case], int], budget: int) -> tuple[VolumePlan, ...]:
    """Volumes of at most about `budget` pages: whole 篇 together while they fit (the grouping
    field first: a 篇 that fits a volume is never split), a 篇 too long for any volume split in
    order, starting where the last volume ends; one volume when the book fits. A single case
    longer than the budget still gets a volume of its own."""
    volumes: list[_Filling] = [_Filling()]
    for part, cases in groups:
        sizes = [pages_of(c) for c in cases]
        if volumes[-1].fits(1, len(cases), sum(sizes), budget):
            volumes[-1].add(part, cases, 0, sizes)
            continue
        if _Filling().fits(1, len(cases), sum(sizes), budget):  # a volume of its own holds it whole
            volumes.append(_Filling())
            volumes[-1].add(part, cases, 0, sizes)
            continue
        # Too long for any volume: in order, from where the last volume ends (no half-empty volume).
        for i, (case, size) in enumerate(zip(cases, sizes)):
            current = volumes[-1]
            new_part = not current.parts or current.parts[-1][0].number != part.number
            if not current.empty and not current.fits(int(new_part), 1, size, budget):
                current = _Filling()
                volumes.append(current)
            current.add(replace(part, continued=i > 0), (case,), i, (size,))
    part_sizes = {part.number: len(cases) for part, cases in groups}
    many = len(volumes) > 1
    return tuple(VolumePlan(n, tuple((part, tuple(cases)) for part, cases, _ in v.parts), v.pages(),
                            holds_text(v.parts, part_sizes) if many else "")
                 for n, v in enumerate(volumes, 1))


class _Filling:
    """A volume being filled: its 篇 (part, cases, index of the first case in the 篇) and totals."""

    def __init__(self) -> None:
        self.parts: list[tuple[Part, list[Case], int]] = []
        self.cases = self.case_pages = 0

    @property
    def empty(self) -> bool:
        return not self.parts

    def pages(self, parts: int = 0, cases: int = 0, case_pages: int = 0) -> int:
        return front_pages(self.cases + cases, len(self.parts) + parts) + self.case_pages + case_pages

    def fits(self, parts: int, cases: int, case_pages: int, budget: int) -> bool:
        return self.pages(parts, cases, case_pages) <= budget

    def add(self, part: Part, cases, first: int, sizes) -> None:
        if self.parts and self.parts[-1][0].number == part.number:
            self.parts[-1][1].extend(cases)
        else:
            self.parts.append((part, list(cases), first))
        self.cases += len(cases)
        self.case_pages += sum(sizes)


def holds_text(vol: list[tuple[Part, list[Case], int]], part_sizes: dict[int, int]) -> str:
    """“第一篇　党建工作法、第二篇　品牌创建（第 1–120 个案例）”; four 篇 or more: the first and the last."""
    def one(part: Part, cases: list[Case], first: int) -> str:
        name = f"第{chinese_number(part.number)}篇　{part.value}"
        if len(cases) == part_sizes[part.number]:
            return name
        return f"{name}（第 {first + 1:,}–{first + len(cases):,} 个案例）"

    shown = [one(*v) for v in vol]
    return "、".join(shown) if len(shown) <= 3 else f"{shown[0]} 至 {shown[-1]}（{len(shown)} 篇）"


def book_entry(case: Case, assets: set[str]) -> Entry:
    label = {f.key: f.label for f in FIELD_BY_KEY.values()}
    rows = [(label["org_type"], case.org_type)]  # the organisation has its own line under the title
    if case.party_org:
        rows.append((label["party_org"], case.party_org))
    rows.append((label["region"], case.region))
    if case.industry:
        rows.append((label["industry"], case.industry))
    rows.append((label["category"], "、".join(case.category)))
    if case.tags:
        rows.append((label["tags"], "、".join(case.tags)))
    if case.honors:
        rows.append((label["honors"], honors_text(case.honors)))
    rows.append((label["date"], case.date.isoformat()))
    rows.append((label["source"], case.source))
    cover = {"src": case.cover, "alt": ""} if case.cover and case.cover in assets else None
    base = posixpath.dirname(case.rel)
    sections = []
    whole = _body_blocks(case, base, assets)
    if whole is not None:
        before, each = whole
    else:  # a level-2 heading inside raw HTML: section by section
        preamble = _preamble(case.body)
        before = markdown_blocks(preamble, base, assets) if preamble.strip() else []
        each = [markdown_blocks(s.text, base, assets) for s in case.sections]
    if before:
        sections.append({"title": "", "incomplete": False, "blocks": before})
    for s, blocks in zip(case.sections, each):
        sections.append({"title": s.title, "incomplete": s.incomplete, "blocks": [] if s.incomplete else blocks})
    return Entry(case, tuple(rows), cover, tuple(sections))


def _body_blocks(case: Case, base: str, assets) -> tuple[list[dict], list[list[dict]]] | None:
    """The body rendered whole, as its page is (a reference definition serves the whole page, not
    only its section), cut at its level-2 headings: (the blocks before the first, each section's).
    None when those headings are not the body's sections."""
    tree = _tree(_html(case.body, base))
    parts: list[list] = [[]]
    for node in tree.root.children:
        if isinstance(node, _Node) and node.tag == "h2":
            parts.append([])
        else:
            parts[-1].append(node)
    if len(parts) - 1 != len(case.sections):
        return None
    blocks = _Blocks("", assets)
    return blocks.blocks(parts[0]), [blocks.blocks(part) for part in parts[1:]]


def _preamble(body: str) -> str:
    """Body text before the first level-2 section (usually none)."""
    found = scan_sections(body, 1)
    if not found:
        return body
    return "\n".join(body.split("\n")[: found[0].line - 1])


# -- Markdown -> blocks ----------------------------------------------------------------------
#
# Blocks: {"t": "p"|"h", "runs"} (h has "level"), {"t": "list", "ordered", "start", "items": [[block]]},
# {"t": "table", "columns", "rows": counts, "cells": [{"x", "y", "colspan", "rowspan", "head": th, "align", "blocks"}]},
# {"t": "code", "text"},
# {"t": "quote", "blocks"}, {"t": "img", "src": library path or None, "alt"}, {"t": "hr"}.
# Runs: {"v": text, "b": bold, "i": italic, "code": bool, "url": str | None}; "\n" is a line break.

# The site's Markdown (core/markup.py: the extensions MkDocs runs for mkdocs.yml but the web-only
# snippets; an extension the site lacks, sane_lists say, would make the same text read otherwise
# in print); toc: `[TOC]` in a body is the list of its headings, on the site and here; emoji with
# the site's index (mkdocs.yml names it; a test holds the two together): `:smile:` is 😄, as on the
# page, where the sanitiser puts a Twemoji picture's character in its place. An icon
# (`:material-account:`, an SVG on the site) stays its name. tests/test_book.py checks that lists
# parse as on the site.
EMOJI_INDEX = twemoji
_MD = markdown.Markdown(extensions=[*STRUCTURE_EXTENSIONS, "toc", "pymdownx.emoji"],
                        extension_configs={**STRUCTURE_CONFIGS, "pymdownx.emoji": {"emoji_index": EMOJI_INDEX, "emoji_generator": to_alt}})
_SPACE = re.compile(r"[ \t\r\n]+")
# A soft line break between two Chinese characters is no space in Chinese text.
_CJK_BREAK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]*\n[ \t]*(?=[\u3000-\u9fff\uff00-\uffef])")
_SKIP = DROP_WITH_CONTENT | {"head"}  # what the site's sanitiser drops with its content


class _Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.children = tag, attrs, []


# Elements inside this many others are read as their text (and images): the book walks the tree
# recursively, and raw HTML the site shows can nest thousands deep (`<div>` × 3,000).
MAX_TREE_DEPTH = 100


class _Tree(BrowserHTMLParser):  # comments and raw text end where a browser (the site) ends them
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        if len(self.stack) > MAX_TREE_DEPTH and tag not in VOID_ELEMENTS:
            return
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID_ELEMENTS:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):  # tolerate unclosed tags in raw HTML
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def markdown_blocks(text: str, base: str = "", assets: set[str] | frozenset[str] = frozenset()) -> list[dict]:
    """Markdown (the subset cases use) -> blocks. `base` is the case's folder in the library;
    images resolve against it and are kept only when they are library files (`assets`)."""
    return html_blocks(_html(text, base), assets)


def _html(text: str, base: str) -> str:
    """Markdown -> HTML, addresses as the site's pages hold them (from the library's root,
    percent-encoded): the same Markdown then reads the same images (a reference `[x]: <a b.png>`
    is one only when encoded)."""
    _MD.reset()
    return _MD.convert(rewrite_addresses(text, lambda url: library_url(base, url), live=live_addresses))


def html_blocks(html: str, assets: set[str] | frozenset[str] = frozenset()) -> list[dict]:
    """The HTML Markdown made of a body -> blocks (the tests also read the site's HTML with it)."""
    return _Blocks("", assets).blocks(_tree(html).root.children)


def _tree(html: str) -> _Tree:
    """The page's HTML as the site publishes it (the sanitiser's output: HTML's own tree, so text
    a table cannot hold stands before it, as a browser shows it), read into nodes."""
    tree = _Tree()
    tree.feed(clean(html))
    tree.close()
    return tree


# Slots a table's row spans may cover (`rowspan` × `colspan`, each cell below its first row): a
# span costs the layout a slot each, and `<td colspan=1000 rowspan=0>` in a few hundred bytes
# covers hundreds of thousands. A table past it is set as its cells' content, in order.
SPANNED_SLOTS = 20_000
# Columns a table may have: Word's own limit. `colspan=1000` in a few bytes made Typst draw a
# thousand columns (500 such tables, 38 KB: a 78 MB PDF); a wider table is set as its cells.
TABLE_COLUMNS = 63

# Lists and quotes the book indents, one inside another: a deeper one is set at this depth, its
# items still marked. Typst stops on a tree a few dozen levels deep (its JSON reader and its show
# rules have depth limits) and Word's indent would outrun the page; the site shows every level.
MAX_NESTING = 8


class _Blocks:
    def __init__(self, base: str, assets) -> None:
        self.base, self.assets = base, assets

    def blocks(self, nodes, depth: int = 0, style: dict | None = None) -> list[dict]:
        """Blocks of `nodes`, inside `depth` lists and quotes, their text in `style` (a block
        inside `<strong>` is bold)."""
        base = style or {}
        out: list[dict] = []
        runs: list[dict] = []  # loose inline content between blocks

        def flush() -> None:
            if _text_of(runs).strip():
                out.append({"t": "p", "runs": _trim(runs)})
            runs.clear()

        for node in nodes:
            if isinstance(node, str) or node.tag not in _BLOCK_TAGS:
                self.inline(node, runs, base, out, flush, depth)
                continue
            flush()
            tag = node.tag
            if tag == "p":  # an admonition's title (提示, 注意 …) in bold, as the site sets it apart
                title = "admonition-title" in node.attrs.get("class", "").split()
                self.inline_children(node, runs, {**base, "b": True} if title else base, out, flush, depth)
                flush()
            elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                r: list[dict] = []

                def heading(level: int = int(tag[1])) -> None:  # before a picture or block inside it
                    if _text_of(r).strip():
                        out.append({"t": "h", "level": level, "runs": _trim(r)})
                    r.clear()

                self.inline_children(node, r, base, out, heading, depth)
                heading()
            elif tag in ("ul", "ol"):
                out.extend(self.list_blocks(node, depth, base))
            elif tag == "pre":
                out.extend(self.preformatted(node))
            elif tag == "blockquote":
                inner = self.blocks(node.children, depth + 1, base)
                out.extend([{"t": "quote", "blocks": inner}] if depth < MAX_NESTING else inner)
            elif tag == "table":
                for caption in (c for c in node.children if isinstance(c, _Node) and c.tag == "caption"):
                    out.extend(self.blocks(caption.children, depth, base))  # the site shows it over the table
                table = self.table(node, depth, base) if depth < MAX_NESTING else None
                if table is not None:
                    out.append(table)
                else:  # too deep, wide or spanned to set as a table: its cells' content, in order
                    for row in (r for group in _row_groups(node) for r in group):
                        out.extend(self.blocks([c for c in row.children if isinstance(c, _Node) and c.tag in ("td", "th")], depth, base))
            elif tag == "hr":
                out.append({"t": "hr"})
            elif tag in _SKIP:
                continue
            else:  # div, section, li-like containers: their content
                out.extend(self.blocks(node.children, depth, base))
        flush()
        return out

    def list_blocks(self, node: _Node, depth: int, style: dict) -> list[dict]:
        """A list's items, and what it holds between them that is no item (text, a list written
        straight inside it: the site shows it in its place), in order; an ordered list counts on
        across them."""
        out: list[dict] = []
        ordered = node.tag == "ol"
        number = list_start(node.attrs.get("start", "1"))
        items: list[list[dict]] = []
        between: list = []

        def flush_items() -> None:
            nonlocal number
            if not items:
                return
            if depth < MAX_NESTING:
                out.append({"t": "list", "ordered": ordered, "start": number, "items": list(items)})
            else:
                for n, item in enumerate(items, number):
                    out.extend(_marked(f"{n}." if ordered else "•", item))
            number += len(items)
            items.clear()

        for child in node.children + [None]:
            if child is None or isinstance(child, _Node) and child.tag == "li":
                if (stray := self.blocks(between, depth + 1, style)):
                    flush_items()
                    out.extend(stray)
                between.clear()
                if child is not None:
                    items.append(self.blocks(child.children, depth + 1, style))
            else:
                between.append(child)
        flush_items()
        return out

    def table(self, node: _Node, depth: int, style: dict) -> dict | None:
        """A table as the browser lays it out: each cell at its column and row, spanning what its
        `colspan` and `rowspan` say (a row span ends with its row group; a cell never covers
        another), holding blocks: a picture, a list, paragraphs, as the site shows them in it.
        None when it is wider than TABLE_COLUMNS or its row spans cover more than SPANNED_SLOTS."""
        placed: list[tuple[_Node, int, int, int, int]] = []
        below: set[tuple[int, int]] = set()  # (x, y) slots taken by a cell of a row above
        budget, y, columns = SPANNED_SLOTS, 0, 0
        for group in _row_groups(node):
            for i, tr in enumerate(group):
                x = 0
                for cell in (c for c in tr.children if isinstance(c, _Node) and c.tag in ("td", "th")):
                    while (x, y) in below:
                        x += 1
                    wide = _span(cell.attrs.get("colspan"), 1000, zero=1)
                    wide = next((n for n in range(1, wide) if (x + n, y) in below), wide)
                    left = len(group) - i  # rows to the end of the group, this one included
                    tall = min(_span(cell.attrs.get("rowspan"), 65534, zero=left), left)
                    if wide * (tall - 1) > budget:  # before looking at the slots it would cover
                        return None
                    tall = next((n for n in range(1, tall) if any((x + k, y + n) in below for k in range(wide))), tall)
                    budget -= wide * (tall - 1)
                    if budget < 0:
                        return None
                    below.update((x + k, y + n) for k in range(wide) for n in range(1, tall))
                    placed.append((cell, x, y, wide, tall))
                    x += wide
                    columns = max(columns, x)
                    if columns > TABLE_COLUMNS:
                        return None
                y += 1
        # The cells' content only now: a table set as its cells after all would read it again.
        cells = [{"x": at, "y": row, "colspan": wide, "rowspan": tall, "head": cell.tag == "th",
                  "align": _ALIGN.get(cell.attrs.get("align", "").strip().lower()),
                  "blocks": self.blocks(cell.children, depth + 1, style)} for cell, at, row, wide, tall in placed]
        return {"t": "table", "columns": columns, "rows": y, "cells": cells}

    def preformatted(self, node: _Node) -> list[dict]:
        """A `<pre>` as the page shows it: its text with its line breaks (`<br>`, the end of a
        block inside it), a picture in it set between the code before and after it."""
        out: list[dict] = []
        text: list[str] = []

        def code() -> None:
            whole = "".join(text).rstrip("\n")
            if out:  # after a picture: from the next line
                whole = whole.lstrip("\n")
            if whole.strip("\n"):
                out.append({"t": "code", "text": whole})
            text.clear()

        def walk(n, marker: str = "") -> None:
            if isinstance(n, str):
                text.append(n)
            elif n.tag == "br":
                text.append("\n")
            elif n.tag == "img":
                code()
                out.append(self.picture(n))
            elif n.tag not in _SKIP:
                block = n.tag in _BLOCK_TAGS
                if block and text and not text[-1].endswith("\n"):
                    text.append("\n")
                if marker:
                    text.append(marker)
                number = list_start(n.attrs.get("start", "1"))
                for child in n.children:  # a list's items keep their markers, as the page shows them
                    if n.tag in ("ul", "ol") and isinstance(child, _Node) and child.tag == "li":
                        walk(child, f"{number}. " if n.tag == "ol" else "• ")
                        number += 1
                    else:
                        walk(child)
                if block and text and not text[-1].endswith("\n"):
                    text.append("\n")

        for child in node.children:
            walk(child)
        code()
        return out

    def picture(self, node: _Node) -> dict:
        return {"t": "img", "src": self.image(node.attrs.get("src", "")), "alt": _SPACE.sub(" ", node.attrs.get("alt", "")).strip()}

    def inline_children(self, node, runs, style, out, flush, depth) -> None:
        for child in node.children:
            self.inline(child, runs, style, out, flush, depth)

    def inline(self, node, runs, style, out, flush, depth) -> None:
        if isinstance(node, str):
            text = node if style.get("code") else _SPACE.sub(" ", _CJK_BREAK.sub("", node))
            if text:
                runs.append(_run(text, style))
            return
        tag = node.tag
        if tag in _SKIP:
            return
        if tag == "br":
            runs.append(_run("\n", {}))
        elif tag == "img":
            flush()
            out.append(self.picture(node))
        elif tag in _BLOCK_TAGS:  # a block inside inline content (raw HTML: `<a><div>`, `<b><p>`):
            flush()  # set apart, as the page shows it, in the style around it
            out.extend(self.blocks([node], depth, style))
        else:
            new = dict(style)
            if tag == "a":
                href = node.attrs.get("href", "").strip()
                new["url"] = href if kept_link(href) else None  # the links the site keeps
            elif tag in _INLINE_STYLE:
                new[_INLINE_STYLE[tag]] = True
            elif tag == "q":  # the browser's quotation marks (Chinese: “ ”, ‘ ’ within)
                level = style.get("q", 0)
                new["q"] = level + 1
                runs.append(_run(_QUOTES[level % 2][0], style))
                self.inline_children(node, runs, new, out, flush, depth)
                runs.append(_run(_QUOTES[level % 2][1], style))
                return
            self.inline_children(node, runs, new, out, flush, depth)

    def image(self, src: str) -> str | None:
        return library_image(self.base, src, self.assets)


# How the page sets text in these (the browser's own styles): a run of the book says it with a flag.
_INLINE_STYLE = {"strong": "b", "b": "b", "em": "i", "i": "i", "cite": "i", "code": "code", "kbd": "code", "sup": "sup",
                 "sub": "sub", "del": "s", "s": "s", "ins": "u", "u": "u", "mark": "mark"}
_QUOTES = (("“", "”"), ("‘", "’"))
# Flags a run may carry beside its text and link: b, i and code always, the others when set.
RUN_FLAGS = ("b", "i", "code", "sup", "sub", "s", "u", "mark")


def _run(text: str, style: dict) -> dict:
    run = {"v": text, "b": bool(style.get("b")), "i": bool(style.get("i")), "code": bool(style.get("code")), "url": style.get("url")}
    run.update((flag, True) for flag in RUN_FLAGS[3:] if style.get(flag))
    return run


_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "blockquote", "table", "hr", "div",
               "section", "article", "figure", "figcaption", "details", "summary", "dl", "dt", "dd", "li",
               "thead", "tbody", "tr", "td", "th"} | _SKIP


def _marked(marker: str, item: list[dict]) -> list[dict]:
    """A list item set as paragraphs (below MAX_NESTING): its marker begins its first paragraph."""
    run = {"v": marker + " ", "b": False, "i": False, "code": False, "url": None}
    if item and item[0]["t"] == "p":
        return [{**item[0], "runs": [run, *item[0]["runs"]]}, *item[1:]]
    return [{"t": "p", "runs": [{**run, "v": marker}]}, *item]


def _row_groups(table: _Node) -> list[list[_Node]]:
    """A table's rows by row group (`thead`, `tbody`, `tfoot`: the sanitiser's HTML parser puts
    every row in one), in the order the browser shows them: the first head first, the first foot
    last, the rest as written. Not the rows of a table inside a cell."""
    groups: list[tuple[str, list[_Node]]] = []
    for child in table.children:
        if isinstance(child, _Node) and child.tag in ("thead", "tbody", "tfoot"):
            groups.append((child.tag, [r for r in child.children if isinstance(r, _Node) and r.tag == "tr"]))
        elif isinstance(child, _Node) and child.tag == "tr":
            groups.append(("tr", [child]))
    head = next((i for i, (tag, _) in enumerate(groups) if tag == "thead"), None)
    foot = next((i for i, (tag, _) in enumerate(groups) if tag == "tfoot"), None)
    order = [i for i in (head,) if i is not None] + [i for i in range(len(groups)) if i not in (head, foot)]
    return [groups[i][1] for i in order + [i for i in (foot,) if i is not None]]


# A cell's `align` as the page sets it (None: the browser's own, start for td, centre for th).
_ALIGN = {"left": "left", "center": "center", "right": "right", "justify": "justify"}

def _span(value: str | None, most: int, zero: int) -> int:
    """A cell's `colspan` or `rowspan` as the browser reads it (HTML's integer rules, a sign not
    allowed): missing or unreadable is 1, 0 is `zero` (1 for a colspan, the rest of the row group
    for a rowspan), at most `most`."""
    m = HTML_INTEGER.match(value or "")
    if not m or m[1] == "-":
        return 1
    n = int(m[2][:8])
    return min(n, most) if n else zero


def _text_of(runs: list[dict]) -> str:
    return "".join(r["v"] for r in runs)


def _trim(runs: list[dict]) -> list[dict]:
    """Without leading/trailing spaces and line breaks; adjacent runs of one style merged."""
    merged: list[dict] = []
    for r in runs:
        if merged and all(merged[-1].get(k) == r.get(k) for k in (*RUN_FLAGS, "url")) and "\n" not in (r["v"], merged[-1]["v"]):
            merged[-1] = {**merged[-1], "v": merged[-1]["v"] + r["v"]}
        else:
            merged.append(dict(r))
    while merged and not merged[0]["code"] and not merged[0]["v"].strip():
        merged.pop(0)
    while merged and not merged[-1]["code"] and not merged[-1]["v"].strip():
        merged.pop()
    if merged and not merged[0]["code"]:
        merged[0]["v"] = merged[0]["v"].lstrip()
    if merged and not merged[-1]["code"]:
        merged[-1]["v"] = merged[-1]["v"].rstrip()
    return merged


def entry_text(entry: Entry) -> str:
    """All the text the book prints of a case: title, organisation, fields, summary, sections."""
    out = [entry.case.title, entry.case.organization, entry.case.summary, *(v for row in entry.meta for v in row)]

    def walk(blocks: list[dict]) -> None:
        for b in blocks:
            out.extend(r["v"] for r in b.get("runs", ()))
            out.extend((b.get("alt", ""), b.get("text", "")))
            for inner in ([b["blocks"]] if b["t"] == "quote" else b.get("items", [])) + [c["blocks"] for c in b.get("cells", ())]:
                walk(inner)

    for section in entry.sections:
        out.append(section["title"])
        walk(section["blocks"])
    return "".join(out)


def plain_text(runs: list[dict]) -> str:
    return "".join(r["v"] for r in runs)
