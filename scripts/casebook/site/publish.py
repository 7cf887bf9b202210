"""What the strict build would do with each case page, predicted by running the build's own
functions: MkDocs' rendering of the page (its Markdown configuration, its link and anchor checks,
through `engine.py`) and the sanitiser the plugin applies (`core.sanitize.clean`). Every warning
MkDocs would log and everything the sanitiser would change becomes a finding at the case's file
and line. So `casebook validate` passes exactly when the strict build publishes every case page
unchanged; nothing here restates a rule of either stage.

Two things the build publishes without a word are broken all the same, and are findings too, by
the rules the site and the book resolve addresses with (`core.rules`): an image that is not one
of the library's images (E418: a broken image, and the book cannot hold it), and a raw HTML link
(which MkDocs neither rewrites nor checks) to no file or published case.

A page is rendered only when its body could make a difference (`needs_check`): a body without any
of the characters that start markup (raw HTML, links, attribute lists, entities, emoji shortcodes,
definition lists, code fences, admonitions) renders to the plain Markdown tags the sanitiser keeps,
unless it nests lists, quotes or emphasis deep enough to approach Python's recursion limit
(`could_nest_deep`; past it, E422). tests/test_publish_check.py proves both claims on generated
bodies against the real renderer.

`fix_edits` is `validate --fix`: the sanitiser's own verdict on each of a contributor's raw tags
(`sanitize.clean_tag`), written back into the source.

Pure: the engine is passed in.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import re
from collections import Counter
from html import escape as html_escape
from html import unescape as html_unescape
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from ..core import markup, rules, sanitize, scan
from ..core.library import Memo, load_library
from ..core.load import same_file, shown_path
from ..core.markup import live_addresses
from ..core.model import Case, Finding, Library, shown_in
from ..core.rules import plain_url, url_kind
from ..core.schema import CODE_BY_ID, IMAGE_SUFFIXES, RESERVED_NAMES_TEXT
from ..core.validate import check_pictures, pictures_to_decode

# Characters without which a body renders to plain paragraphs, lists, emphasis, headings, tables,
# quotes and code blocks only (see the module docstring; proven by a property test).
TRIGGERS = ("<", "[", "{", ":", "&", "`", "~~~", "!!!")
# Those render with recursion as deep as their nesting, which Python-Markdown takes past Python's
# recursion limit at a few hundred levels (E422): lists and quotes are written at a line's start,
# emphasis with `*` and `_`. A body under both bounds is nowhere near it (proven on the deepest
# bodies under them); one over them is rendered, as any body with markup is.
_NESTING_AT_LINE_START = re.compile(r"[ \t>*+\-.\d)]{64}")
_NESTING_AFTER_A_BREAK = re.compile(r"\n[ \t>*+\-.\d)]{64}")
_EMPHASIS_MARKS = 200


def needs_check(body: str) -> bool:
    return any(t in body for t in TRIGGERS) or could_nest_deep(body)


def could_nest_deep(body: str) -> bool:
    return (body.count("*") + body.count("_") >= _EMPHASIS_MARKS or _NESTING_AT_LINE_START.match(body) is not None
            or _NESTING_AFTER_A_BREAK.search(body) is not None)


@dataclass(frozen=True)
class Rendered:
    """One page as MkDocs renders it: the content HTML (before the plugin's sanitiser), MkDocs'
    warnings (each fails a strict build), or the error that stopped it."""

    html: str = ""
    warnings: tuple[str, ...] = ()
    error: str | None = None
    slow: bool = False  # stopped after the time a page may take (engine.RENDER_SECONDS)
    deep: bool = False  # stopped at Python's recursion limit (nesting hundreds of levels deep)
    url: str = ""  # the page's address in the site (its images' addresses are relative to it)
    anchors: frozenset[str] = frozenset()  # the ids a link's #anchor may name (MkDocs' present_anchor_ids)


class Engine(Protocol):
    def render_pages(self, uris: list[str], markdown_of: Callable[[str], str | None]) -> dict[str, Rendered]:
        """Render `uris` (and the pages their anchors point into), validate anchors as MkDocs does."""

    def written_at(self, uri: str) -> tuple[str, ...]:
        """The files MkDocs writes the page `uri` to, in each flavour of the site."""


@dataclass(frozen=True)
class Located:
    """A case file as findings name it: its shown path and the file line of its first body line;
    the library's case files by page (to recognise an address the page has rewritten); the
    library's files, by library path and by site path (where the site publishes them)."""

    shown: str
    body_line: int
    cases_by_rel: Mapping[str, str]
    files: frozenset[str] = frozenset()
    site_files: frozenset[str] = frozenset()
    anchors: Mapping[str, frozenset[str]] = field(default_factory=dict)  # of the rendered pages, by case file
    emoji_shortcodes: Callable[[], frozenset[str]] = frozenset  # the site's (PageEngine.emoji_shortcodes)
    root_name: str = ""  # the library folder's name (`cases`), which an address may wrongly begin with
    held_back: frozenset[str] = frozenset()  # the library's files the site does not publish (E703)


# The book's typesetter's reason for each picture (library paths) it cannot place (book.pictures).
Pictures = Callable[[Path, list[str]], Mapping[str, str]]


def check_library(root: Path, context_for: Callable[[Library], tuple[Mapping[str, str], Engine]],
                  today: dt.date | None = None, memo: Memo | None = None,
                  pictures: Pictures | None = None) -> Library:
    """The library read and validated (core.library), and every published case page as the strict
    build would render and sanitise it: one function for `casebook validate`, `casebook build` and
    the plugin under `mkdocs build`. `context_for(library)` -> (the assembly's pages, an engine)
    is called only when some page needs rendering (loading MkDocs takes a while). `memo`: see
    core.library.Memo (files that did not change are not read again; pages are rendered again).
    `pictures(root, paths)`: the book's typesetter's reason for each picture it cannot place
    (book.pictures.pictures_refused; E424), given by the CLI, which sees the book; the site itself
    publishes pictures as they are, so the plugin under a bare `mkdocs build` gives none."""
    library = with_pictures_checked(load_library(root, today, memo), pictures)
    cases = [c for c in library.published if needs_check(c.body)]
    near = near_pages(library)
    if not cases and not near:
        return library
    from .render import case_uri, library_file_uri  # the page names: imported only when pages are rendered

    pages, engine = context_for(library)
    shown_root = shown_path(library.root)
    findings = placement_findings(near, pages, engine, shown_root)
    cases_by_rel = {c.rel: c.id for c in library.published}  # as render_site maps them
    # a raw link's #anchor is checked against its page's anchors: render the pages they point into
    targets = {t for case in cases for t in raw_anchor_targets(case, cases_by_rel)} - {c.rel for c in cases}
    uris = [case_uri(c.id) for c in cases] + [case_uri(cases_by_rel[rel]) for rel in sorted(targets)]
    rendered = engine.render_pages(uris, pages.get)
    anchors = {rel: page.anchors for rel, cid in cases_by_rel.items()
               if (page := rendered.get(case_uri(cid))) is not None and page.error is None}  # a broken page says so itself
    shown = {c.rel: shown_in(shown_root, c.rel) for c in library.cases}
    files = frozenset(library.assets)
    site_files = frozenset(map(library_file_uri, files))
    for case in cases:
        at = Located(shown[case.rel], case.body_line, cases_by_rel, files, site_files, anchors, engine.emoji_shortcodes,
                     library.root.name, frozenset(library.held_back))
        findings += page_findings(case, rendered[case_uri(case.id)], at)
    return library.with_findings(findings, shown)


def with_pictures_checked(library: Library, pictures: Pictures | None) -> Library:
    """The library with E424 for each picture `pictures` says the book cannot place (none asked
    when it is None, or the library has no picture left to ask about)."""
    shown_root = shown_path(library.root)
    if pictures is None or not (paths := pictures_to_decode(library.assets, library.findings, shown_root)):
        return library
    return library.with_findings(check_pictures(pictures(library.root, paths), shown_root))


def near_pages(library: Library) -> list[str]:
    """The library's files that could be written where a case page is, or inside it. A page
    cases/<id>.md is written at cases/<id>/… or cases/<id>.… and ids hold no dot, so only a file
    whose first name (as Windows knows it) is an id or begins with `<id>.` can meet one; whether
    it does is MkDocs' to say (`placement_findings`), and MkDocs is loaded only for these."""
    stems = {same_file(name) for c in library.published for name in (c.id, *c.aliases)}
    out = []
    for rel in library.assets:
        first = same_file(rel.split("/", 1)[0])
        if first in stems or first.partition(".")[0] in stems:
            out.append(rel)
    return out


def placement_findings(rels: list[str], pages: Mapping[str, str], engine: Engine, shown_root: str) -> list[Finding]:
    """E707: a library file published at the path MkDocs writes a page to, inside it, or as the
    folder holding it, in either flavour (`<id>.html/` beside the offline copy's `<id>.html`):
    the build would stop there. Paths are compared as Windows knows them (the offline copy's)."""
    from .render import library_file_uri

    if not rels:
        return []
    written = {same_file(path): path for uri in sorted(pages) for path in engine.written_at(uri)}
    out = []
    for rel in rels:
        published = same_file(library_file_uri(rel))
        for key, path in written.items():
            if published == key or key.startswith(published + "/") or published.startswith(key + "/"):
                out.append(Finding(shown_in(shown_root, rel), 1, "E707",
                                   f"“{rel}”在站点中发布为“{library_file_uri(rel)}”，与页面“{path}”占了同一个位置"
                                   "（同一个文件，或一个是另一个所在的文件夹），构建会停在这里；请给它或它所在的文件夹改名",
                                   CODE_BY_ID["E707"].severity))
                break
    return out


# -- MkDocs' warnings ------------------------------------------------------------------------------

_LINK = re.compile(r"contains (?:an absolute link|an unrecognized relative link|a link(?: to)?) '([^']*)'")
_ANCHOR = re.compile(r"contains a link '([^']*)', but (?:there is no such anchor|the doc '[^']*' does not contain an anchor)")


def page_findings(case: Case, page: Rendered, at: Located) -> list[Finding]:
    out: list[Finding] = []

    def add(line: int, code: str, message: str) -> None:
        out.append(Finding(at.shown, line, code, message, CODE_BY_ID[code].severity))

    if page.slow:
        add(at.body_line, "E417", f"{page.error}：正文中的标记（如成千上万个没有闭合的 `<a`、`[`）多到渲染程序要很久，构建会同样停在这里；请删去这些字符或改写这一段")
        return out
    if page.deep:
        nested = _NESTING_AFTER_A_BREAK.search("\n" + case.body)
        lines = case.body.split("\n")
        line = at.body_line + (case.body.count("\n", 0, nested.start()) if nested else  # else: the line richest in emphasis
                               max(range(len(lines)), key=lambda n: lines[n].count("*") + lines[n].count("_")))
        add(line, "E422", f"{page.error}：正文的列表、引用或强调一层套一层，深到几百层，构建会同样停在这里；"
                          "请改成几层以内，或写成普通段落")
        return out
    if page.error is not None:
        for line, url in _unparsable_urls(case.body):
            add(at.body_line + line, "E414", f"地址“{url[:60]}”无法解析（{page.error}），站点无法生成；请改成完整有效的网址或库内路径")
        if not out:
            add(at.body_line, "E414", f"MkDocs 无法生成本案例的页面（{page.error}）；请检查正文中的链接和 HTML")
        return out
    if markup.lost_pieces(page.html):
        line = markup.losing_line(case.body)
        add(at.body_line + (line or 0), "E425", (
            "Markdown 处理这一段时丢了内容（链接、实体或行内代码会从页面上消失），多半是 `*`、`_` 强调符号交错（如 `*a**b*`）；"
            "请把强调符号配对写好，不是强调的 `*`、`_` 写成 `\\*`、`\\_`"))
    body = _Body(case, at)
    cleaned = sanitize.clean(page.html)
    removed = sanitiser_findings(case, page.html, cleaned, at, body) + left_open_findings(page.html, cleaned, at, body)
    warned: Counter[str] = Counter()  # MkDocs warns of an address at each place it is written, in order
    for warning in page.warnings:
        finding = _warning_finding(case, warning, at, body, warned)
        if not any(r.line == finding.line and r.code in ("E403", "E404", "E414") for r in removed):
            out.append(finding)  # else: one problem, the sanitiser's finding says it
    out += removed + raw_link_findings(case, at, body) + left_as_text_findings(case, page, at, body)
    out += duplicate_id_findings(cleaned, at, body) + emoji_findings(at, body)
    # a missing image (E406), an outside path (E405) ...: said once, where MkDocs's warning puts it
    said = {f.line for f in out} | {(f.code, f.message) for f in out}
    return out + [f for f in image_findings(case, page, at, body) if f.line not in said and (f.code, f.message) not in said]


# -- emoji a number made ---------------------------------------------------------------------------

# `1:100:1000`, `3:1234:5`: a ratio or a time whose middle is an emoji's name (mkdocs.yml's
# pymdownx.emoji makes `:100:` 💯 on the page and in the book; its index is read from the
# configuration the pages are rendered with).
_EMOJI_BY_DIGITS = re.compile(r"(?<=\d):([0-9+-]+):|:([0-9+-]+):(?=\d)")


def emoji_in_numbers(text: str, shortcodes: Callable[[], frozenset[str]]) -> list[tuple[int, str]]:
    """(offset, shortcode) of each emoji shortcode between a number's colons in `text` (code
    masked) that is not escaped (`\\:`): the page and the book show the emoji. `shortcodes`:
    the site's (engine.emoji_shortcodes), asked for only when a number holds a candidate."""
    out = []
    for m in _EMOJI_BY_DIGITS.finditer(text):
        before = text[max(0, m.start() - 64):m.start()]
        if m.group() in shortcodes() and (len(before) - len(before.rstrip("\\"))) % 2 == 0:
            out.append((m.start(), m.group()))
    return out


def emoji_findings(at: Located, body: _Body) -> list[Finding]:
    """W309 where a number's colons enclose an emoji's shortcode: `1:100:1000` reads 1💯1000."""
    out, said = [], set()
    for start, written in emoji_in_numbers(body.masked, at.emoji_shortcodes):
        if (line := body.masked_line(start)) in said:
            continue
        said.add(line)
        out.append(Finding(at.shown, at.body_line + line, "W309", (
            f"“{written}”在页面和案例汇编上会显示成表情（Markdown 把 `{written}` 当作表情代码），数字因此丢了一段；"
            f"比例或时间请把冒号写成全角“：”或比号“∶”，或在冒号前加反斜杠（`\\{written}`）"), CODE_BY_ID["W309"].severity))
    return out


# -- ids: one element each -------------------------------------------------------------------------

_ID = re.compile(r'\sid="([^"]*)"')  # the sanitiser's output quotes every value with "


def duplicate_id_findings(cleaned: str, at: Located, body: _Body) -> list[Finding]:
    """E427 for an id the published page gives two elements, where the body writes it (`id=` in a
    tag or an attribute list, `{#…}`): a link to `#id` lands on the first only (a heading's anchor
    taken by an `<a id>` above it sends every link to that section elsewhere). Also for an id an
    attribute list gives an element that a heading's anchor would have been: Markdown's toc then
    gives the heading `…_1`, and links to the section land on that element."""
    counts = Counter(html_unescape(m) for m in _ID.findall(cleaned))
    out = []
    for value, n in sorted(counts.items()):
        if n < 2:
            continue
        if (line := body.attribute_list_line(value)) is None:
            continue  # not the body's: the page's own parts keep their ids apart (headings.py)
        out.append(Finding(at.shown, at.body_line + line, "E427", (
            f"页面上有 {n} 个元素的 id 都是“{value}”（这里写的 id 与另一个元素相同，常见的是与章节标题的锚点相同），"
            f"链接 `#{value}` 只会跳到第一个；请换一个不重复的 id，或删去它"), CODE_BY_ID["E427"].severity))
    for heading, value in _taken_anchors(cleaned):
        if (line := body.attribute_list_line(value)) is not None:
            out.append(Finding(at.shown, at.body_line + line, "E427", (
                f"这里写的 id “{value}”是标题“{heading}”的锚点，标题只好改用“{value}_1”这样的锚点，"
                f"链接 `#{value}` 会跳到这里而不是标题；请换一个不重复的 id，或删去它"), CODE_BY_ID["E427"].severity))
    return out


_HEADING = re.compile(r'<h[1-6]\b[^>]*\sid="([^"]*)"[^>]*>(.*?)</h[1-6]>', re.S)


def _taken_anchors(cleaned: str) -> Iterator[tuple[str, str]]:
    """(heading text, the anchor it would have had) for each heading whose anchor another element
    took: its id is the toc's next free form of its own slug (`主要做法_1`), and the slug itself is
    held by an element other than a heading of that name (two headings of one name are the toc's
    to number)."""
    from markdown.extensions.toc import TocExtension

    from .headings import slugify

    headings = [(html_unescape(id_), html_unescape(_ANY_TAG.sub("", inner)).strip()) for id_, inner in _HEADING.findall(cleaned)]
    if not any("_" in id_ for id_, _ in headings):
        return
    separator = TocExtension().getConfig("separator")  # mkdocs.yml keeps toc's default
    slugs = [(id_, text, slugify(text, separator)) for id_, text in headings]
    ids = {html_unescape(m) for m in _ID.findall(cleaned)} - {id_ for id_, _, slug in slugs if id_ == slug}
    for id_, text, slug in slugs:
        if slug in ids and re.fullmatch(re.escape(slug) + r"_\d+", id_):
            yield text, slug


# -- Markdown the renderer left as text -------------------------------------------------------------

# In the page's text (code removed): an image Markdown did not make (`![图][r]` with no definition
# of r), and a reference definition it did not take (`[r]: a b.png`: an address with a space).
_CODE_OPENING = re.compile(r"<(pre|code)\b[^<>]*>", re.I)
_CODE_CLOSING = {"pre": re.compile(r"</pre>", re.I), "code": re.compile(r"</code>", re.I)}
_BLOCK_END = re.compile(r"</?(?:p|li|h[1-6]|div|td|th|dd|dt|blockquote)\b[^>]*>|<br\s*/?>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")
_IMAGE_AS_TEXT = re.compile(r"!\[[^\]\n]*\](?:\[[^\]\n]*\])?")
_LINK_AS_TEXT = re.compile(r"(?<![!\]])\[([^\[\]\n]+)\]\[([^\[\]\n]*)\]")  # `[文字][名字]` Markdown did not make a link
_NUMBER_LABEL = re.compile(r"\s*\d+\s*")
_DEFINITION_AS_TEXT = re.compile(r"^[ \t]*(\[[^\]\n]+\]:)[ \t]*\S.*$", re.M)


def without_code(html: str) -> str:
    """The page's HTML without its code: every `<pre>`/`<code>` element up to the first closing tag
    of its name. An opening with no closing after it stays, as does every later one of its name:
    looked for once, not from each (a page of 16,000 unclosed `<code>` took seconds). An opening
    tag holds no `<` (one that does is raw HTML the sanitiser reports anyway)."""
    out, pos, search, unclosed = [], 0, 0, set()
    while m := _CODE_OPENING.search(html, search):
        name = m.group(1).lower()
        close = None if name in unclosed else _CODE_CLOSING[name].search(html, m.end())
        if close is None:
            unclosed.add(name)
            search = m.start() + 1
            continue
        out.append(html[pos:m.start()])
        pos = search = close.end()
    out.append(html[pos:])
    return "".join(out)


def _body_part(html: str) -> str:
    """The part of a case page the body made: after the fields (`cb-meta`), before the related
    cases (`cb-related`), whose titles are other cases' text (render.render_case)."""
    from .render import META_CLASS, RELATED_CLASS

    meta = html.find(f'class="{META_CLASS}"')
    start = html.find("</div>", meta) if meta >= 0 else -1
    related = html.rfind(f'class="{RELATED_CLASS}"')
    end = html.rfind("<div", 0, related) if related >= 0 else -1
    return html[start if start >= 0 else 0:end if end >= start else len(html)]


def left_as_text_findings(case: Case, page: Rendered, at: Located, body: _Body) -> list[Finding]:
    """W307 where the page shows an image, a reference link or a reference definition as the text
    it was written as: Python-Markdown's own verdict, read from the page it rendered."""
    if "![" not in page.html and "]:" not in page.html and "]:" not in case.body and "][" not in page.html:
        return []
    text = html_unescape(_ANY_TAG.sub("", _BLOCK_END.sub("\n", without_code(_body_part(page.html)))))
    out, said = [], set()
    after: dict[str, int] = {}  # the page's k-th `written` is looked for after the body's (k-1)-th

    def add(written: str, message: str, line: int | None = None) -> None:
        """At `line`, else the next body line that holds `written`; once a line."""
        if line is None:
            line, after[written] = body.next_line_with(written, after.get(written, 0))
        if line is not None and line not in said:
            said.add(line)
            out.append(Finding(at.shown, at.body_line + line, "W307", message, CODE_BY_ID["W307"].severity))

    for m in _IMAGE_AS_TEXT.finditer(text):
        if text.startswith("(", m.end()):  # `![图](` that did not close: the address's brackets or parentheses
            add(m.group(), f"“{text[m.start():m.end() + 40].splitlines()[0]}”没有显示成图片，页面上会原样显示这段文字："
                           "地址中的括号要成对；地址中有空格或括号时可写成 ![说明](<地址>)")
        else:
            add(m.group(), f"“{m.group()[:60]}”没有显示成图片，页面上会原样显示这段文字：找不到它引用的定义"
                           "（`[名字]: 地址`，名字不区分大小写）；请补上定义，或写成 ![说明](地址)")
    for m in _LINK_AS_TEXT.finditer(text):  # a citation's number (`文献[1][2]`) is text meant
        if not _NUMBER_LABEL.fullmatch(m.group(2) or m.group(1)):
            add(m.group(), f"“{m.group()[:60]}”没有成为链接，页面上会原样显示这段文字：找不到它引用的定义"
                           "（`[名字]: 地址`，名字不区分大小写）；请补上定义，或写成 [文字](地址)；要显示方括号请用【】")
    for m in _DEFINITION_AS_TEXT.finditer(text):
        add(m.group(1), f"“{m.group().strip()[:60]}”没有成为链接定义，页面上会原样显示：链接定义的地址中不能有空格"
                        "（加尖括号也不行），请把空格写成 %20（如 assets/a%20b.png）")
    flat = " ".join(text.split())
    for line, written in scan.unused_definitions(case.body):  # Markdown took it, nothing uses it: not on the page
        if " ".join(written.split()) not in flat:
            add(written, f"“{written[:60]}”是链接定义的写法（[名字]: 地址），正文里没有链接或图片用到它，页面上不会显示这一行；"
                         "要让读者看到它，请改写（如把方括号改成【】），用不到就删去", line)
    return out


# -- images: what the page shows, the book embeds --------------------------------------------------

def image_findings(case: Case, page: Rendered, at: Located, body: _Body) -> list[Finding]:
    """E418 for every image of the page that is not one of the library's images
    (`rules.library_image` of the address as written, the book's own test): the site would show
    it broken (in one flavour or both) and the book could not embed it. Web and script addresses
    have their own findings (E403, E404). When the body's images (scan.written_images) are the
    page's, one for one, the body gives each its line and its address as written; an image the
    page has broken that the scan does not know is placed at the body line naming its file."""
    from posixpath import dirname
    from urllib.parse import unquote

    from .render import CASES_DIR

    def finding(line: int, url: str) -> Finding:
        path = rules.library_path(dirname(case.rel), url)
        if path is not None and rules.is_image(path) and path not in at.files:  # an image file that is not there
            return Finding(at.shown, at.body_line + line, "E406", LINK_PROBLEMS["E406"].format(url) + _cut_name(at, case, url), CODE_BY_ID["E406"].severity)
        if not url.strip():
            return Finding(at.shown, at.body_line + line, "E418", "图片没有写地址，页面上会显示为破图；请写成 `![说明](assets/图片.jpg)`，或删去它",
                           CODE_BY_ID["E418"].severity)
        return Finding(at.shown, at.body_line + line, "E418",
                       f"图片“{url[:80]}”不是库中的图片文件（{'、'.join(IMAGE_SUFFIXES)}），页面上会显示为破图，案例汇编也无法收入；"
                       "请改成 assets/ 里的图片，要指向页面或文档请写成链接 [文字](地址)" + _cut_name(at, case, url), CODE_BY_ID["E418"].severity)

    def judged(url: str) -> bool:
        return rules.url_kind(url) not in ("web", "script", "host")

    written = [(line, url) for line, url in scan.written_images(case.body, live_addresses) if judged(url)]
    unfit = [(line, url) for line, url in written if rules.library_image(dirname(case.rel), url, at.files) is None]
    shown = [attrs.get("src") or "" for attrs in map(dict, (a for name, a in sanitize.start_tags(page.html) if name == "img"))
             if "twemoji" not in (attrs.get("class") or "").split()]
    shown = [src for src in shown if judged(src)]
    # MkDocs makes a Markdown image's address relative to the page's address (cases/<id>/); a raw
    # <img> keeps the assembly's, relative to the page's folder (engine.page_context).
    bases = (page.url if page.url.endswith("/") else dirname(page.url), CASES_DIR)
    broken = [all(rules.library_image(base, src, at.site_files) is None for base in bases) for src in shown]
    if len(shown) == len(written):  # the body's images are the page's, in the same order: the body's
        # verdict (the stricter: as the library holds the file, for every flavour), and the page's for an
        # image the body has fine where the page has not (a decoy the scan took for the page's image)
        out = [finding(line, url) for line, url in unfit]
        judged_unfit = set(unfit)
        bad = [src for (written_one, src, no) in zip(written, shown, broken) if no and written_one not in judged_unfit]
        if not bad:
            return out
    else:  # some image is written in a form the scan does not know (a definition inside `>`,
        out, bad = [], [src for src, no in zip(shown, broken) if no]  # `![a] [r]`): the page's own
    without_src = iter([t.line for t in scan.raw_tags(case.body) if t.name == "img" and not dict(t.attrs).get("src")]
                       if "" in bad else [])
    for n, src in enumerate(bad):
        if not src:  # `<img>` with no address (what is left of a paste once its `src` went): at its tag
            line = next(without_src, unfit[n][0] if n < len(unfit) else 0)
            out.append(Finding(at.shown, at.body_line + line, "E418",
                               "`<img>` 没有写图片地址（`src`），页面上会显示为破图；请写成 `![说明](assets/图片.jpg)`，或删去它",
                               CODE_BY_ID["E418"].severity))
            continue
        tail = unquote(src.split("#")[0]).lstrip("./").removesuffix("/").removesuffix(".html")
        line, named = None, src
        # A case's page (`../b/`, `b.html`) is written `b.md`; a file by its path, else its name.
        for needle in (tail + ".md", tail, tail.rsplit("/", 1)[-1]) if n < _LOOKED_FOR else ():  # (each a search)
            if len(needle) > 3 and (line := body.first_line_with(needle)) is not None:
                named = needle
                break
        if line is None:
            line = unfit[n][0] if n < len(unfit) else 0
        out.append(finding(line, named))
    return out


_LOOKED_FOR = 100  # images the page has broken that the scan did not see, placed by their file name


def _warning_finding(case: Case, warning: str, at: Located, body: _Body, warned: Counter[str]) -> Finding:
    from urllib.parse import unquote

    from .render import CASES_DIR
    anchor = _ANCHOR.search(warning)
    link = anchor or _LINK.search(warning)
    url = link.group(1) if link else ""
    found = body.written(url, warned[url]) if url else None  # (its line, the address as the body writes it)
    warned[url] += 1
    line = at.body_line + (found[0] if found else 0)
    shown = found[1] if found else url

    def finding(code: str, message: str) -> Finding:
        return Finding(at.shown, line, code, message, CODE_BY_ID[code].severity)

    if anchor:
        fragment = url.partition("#")[2]
        message = LINK_PROBLEMS["E416"].format(shown, fragment)
        if (plain := unquote(fragment)) != fragment:  # MkDocs looks the anchor up as written
            message += f"；Markdown 链接的锚点不要百分号编码，写成 #{plain}"
        return finding("E416", message)
    if "absolute link" in warning:
        return finding("E405", LINK_PROBLEMS["absolute"].format(shown))
    if not url:
        return finding("E415", f"MkDocs 对本页给出警告：{warning}")
    if rules.library_path(case.rel.rpartition("/")[0], url) == ".":  # `./`: the library's own folder
        return finding("E415", f"链接“{shown}”指向案例库文件夹本身，不是一个文件；请链接到具体的案例（如 other.md）或文件，或删除链接")
    target = rules.library_path(CASES_DIR.rstrip("/"), url)  # in the site, a case page is cases/<id>.md
    if target is None or not target.startswith(CASES_DIR):
        return finding("E405", LINK_PROBLEMS["E405"].format(shown))
    if (kept_back := rules.library_path(case.rel.rpartition("/")[0], url)) in at.held_back:
        return finding("E415", _held_back(shown, kept_back))
    code = _missing(target)
    return finding(code, LINK_PROBLEMS[code].format(shown) + _cut_name(at, case, shown))


# What a finding says of an address that names no published file (one text for MkDocs' warnings
# about Markdown links and for raw HTML links, which MkDocs does not check).
LINK_PROBLEMS = {
    "absolute": "链接路径“{}”是绝对路径，离线版和其他部署中会失效；请用相对库目录的路径",
    "E405": "链接或图片路径“{}”指向库目录之外；只能引用库内文件",
    "E406": "图片“{}”在库中不存在；请检查文件名（区分大小写）或把图片放进 assets/",
    "E407": "链接“{}”指向的案例不存在、是草稿或未通过校验；发布后会成为死链接，请改正或删除",
    "E415": "链接“{}”指向的文件在库中不存在；请检查文件名和路径（区分大小写），或删除链接",
    "E416": "链接“{}”的锚点 #{} 在目标页面中不存在；请改成页面中的标题（如 #主要做法）或删去 #… 部分",
}


def _cut_name(at: Located, case: Case, written: str) -> str:
    """A hint when the address names a file read otherwise: `#` and `?` start an anchor and a query
    in an address, so a file name holding them must write them `%23` and `%3F`; and what follows
    an address is part of it unless it is a quoted title (`<a.png> b`, `a.png (标题)`)."""
    from posixpath import dirname

    whole = rules.library_path(dirname(case.rel), written.replace("#", "%23").replace("?", "%3F"))
    if ("#" in written or "?" in written) and whole in at.files:
        return f"（库中有文件“{whole}”：文件名里的 # 和 ? 在地址中要写成 %23 和 %3F）"
    first = written.split()[0] if written.split() else ""
    first = first[1:-1] if first[:1] == "<" and first[-1:] == ">" else first
    if first != written and (named := rules.library_path(dirname(case.rel), first)) in at.files:
        return (f"（库中有文件“{named}”：空格后面的字也算作地址；Markdown 里地址后的标题要放在引号里，"
                "如 ![说明](assets/图.png \"标题\")）")
    if "\\" in written and (named := rules.library_path(dirname(case.rel), written.replace("\\", "/"))) in at.files:
        return f"（库中有文件“{named}”：路径里要用 /，不用 \\，写成 {written.replace(chr(92), '/')}）"
    for prefix in (f"{at.root_name}/", f"../{at.root_name}/") if at.root_name else ():
        if written.startswith(prefix) and (named := rules.library_path(dirname(case.rel), written[len(prefix):])) in at.files:
            return f"（库中有文件“{named}”：路径从案例文件所在的文件夹算起，去掉开头的 {prefix}，写成 {written[len(prefix):]}）"
    path = rules.library_path(dirname(case.rel), written)
    if path is not None and path not in at.files and len(same := _by_lower_case(at.files).get(path.lower(), ())) == 1:
        return f"（库中有文件“{same[0]}”：文件名区分大小写）"
    return ""


@functools.lru_cache(maxsize=4)
def _by_lower_case(files: frozenset[str]) -> dict[str, list[str]]:
    """The library's files by their paths in lower case (made once per library, not per finding)."""
    out: dict[str, list[str]] = {}
    for name in files:
        out.setdefault(name.lower(), []).append(name)
    return out


def _held_back(written: str, path: str) -> str:
    """E415's words for an address of a library file the site does not publish (E703 at the file)."""
    suffix = posixpath.splitext(path)[1] or "（无扩展名）"
    return (f"“{written}”在库中，但站点不发布 {suffix} 文件（见该文件的 E703），页面上打不开；"
            "照片（如 .heic、.bmp）请用看图软件另存为 .jpg 或 .png，其他文件换成可发布的格式，再改这里的文件名")


def _missing(path: str) -> str:
    """The code for a path that names no published file: an image, a case, anything else."""
    return "E406" if rules.is_image(path) else "E407" if path.endswith(".md") else "E415"


def _raw_links(case: Case) -> Iterator[tuple[scan.Address, str, str, str | None]]:
    """(address, url with entities decoded, its kind, the library path it names or None) of every
    raw `<a href>` that stays on the site: this page's `#anchor`, a relative or absolute path."""
    from posixpath import dirname

    found = []
    for address in scan.addresses(case.body, case.body):  # code too: Markdown says what is code
        url = html_unescape(address.written)
        kind = rules.url_kind(url)
        if address.tag == "a" and kind in ("relative", "absolute", "fragment"):
            found.append((address, url, kind, case.rel if kind == "fragment" else rules.library_path(dirname(case.rel), url)))
    kept = live_addresses(case.body, [address for address, *_ in found])
    yield from (link for i, link in enumerate(found) if i in kept)


def raw_anchor_targets(case: Case, cases_by_rel: Mapping[str, str]) -> set[str]:
    """The case files whose page a raw link of this case points into with an #anchor."""
    return {path for _, url, _, path in _raw_links(case) if "#" in url and path in cases_by_rel}


def raw_link_findings(case: Case, at: Located, body: _Body) -> list[Finding]:
    """A raw `<a href>` is left alone by MkDocs (no warning, so no finding from the build's own
    checks): its address must name a file of the library or a published case (as
    render.rewrite_links points it), and an #anchor into a case page one of the ids MkDocs found
    on that page (`Rendered.anchors`, what MkDocs checks a Markdown link's anchor against), or
    the page would carry a dead link."""
    from urllib.parse import unquote

    out, line = [], body.line
    for address, url, kind, path in _raw_links(case):
        written = address.written
        anchor = url.partition("#")[2]
        if kind == "absolute":
            code, message = "E405", LINK_PROBLEMS["absolute"].format(written)
        elif path is None:
            code, message = "E405", LINK_PROBLEMS["E405"].format(written)
        elif path in at.cases_by_rel and anchor and path in at.anchors and not {anchor, unquote(anchor)} & at.anchors[path]:
            code, message = "E416", LINK_PROBLEMS["E416"].format(written, anchor)  # a browser finds %-encoded ids too
        elif kind == "fragment" or path in at.files or path in at.cases_by_rel:
            continue
        elif path in at.held_back:
            code, message = "E415", _held_back(written, path)
        else:
            code = _missing(path)
            message = LINK_PROBLEMS[code].format(written) + _cut_name(at, case, url)
        out.append(Finding(at.shown, at.body_line + line(address.start), code, message, CODE_BY_ID[code].severity))
    return out


# `name=value` as an attribute list or a tag writes it; a name starts only where a run of name
# characters starts (the lookbehind), so a long run without `=` is read once, not from each of its characters.
_ATTRIBUTE = re.compile(r"""(?<![^\s={}"'<>])([^\s={}"'<>]++)=("[^"\n]*"|'[^'\n]*'|[^\s{}"'<>]+)""")


class _Body:
    """What the findings of one case look up in its body, worked out once however many findings
    there are: a body of 4,000 broken images, looked up finding by finding, took minutes."""

    def __init__(self, case: Case, at: Located) -> None:
        self.case, self.at = case, at
        self._written: dict[str, list[int]] = {}

    @cached_property
    def line(self) -> Callable[[int], int]:
        return scan.line_index(self.case.body)

    @cached_property
    def raw_tags(self) -> list[scan.RawTag]:
        return scan.raw_tags(self.case.body)

    @cached_property
    def masked(self) -> str:
        return scan.mask_code(self.case.body)

    @cached_property
    def masked_line(self) -> Callable[[int], int]:
        return scan.line_index(self.masked)

    @cached_property
    def _addresses(self) -> list[scan.Address]:
        return on_page(self.case.body, scan.addresses(self.case.body, self.case.body))

    @cached_property
    def addresses(self) -> list[tuple[int, str]]:
        """(body line, URL as written) for every address in the body's prose, in order."""
        return [(self.line(a.start), a.written) for a in self._addresses]

    def _index(self, key: Callable[[str], str | None]) -> dict[str, list[int]]:
        """key of an address as written -> the indexes of the addresses with that key, in order."""
        out: dict[str, list[int]] = {}
        for n, (_, written) in enumerate(self.addresses):
            if (k := key(written)) is not None:
                out.setdefault(k, []).append(n)
        return out

    @cached_property
    def _by_text(self) -> dict[str, list[int]]:
        return self._index(lambda written: " ".join(written.split()))  # Markdown turned tabs into spaces

    @cached_property
    def _by_site_address(self) -> dict[str, list[int]]:
        from .render import rewrite_url

        cases = dict(self.at.cases_by_rel)
        return self._index(lambda written: rewrite_url(self.case.rel, written, cases))

    @cached_property
    def _by_unescaped(self) -> dict[str, list[int]]:
        """By the address Markdown makes of it: backslash escapes undone (`\\\\server` is `\\server`)."""
        return self._index(lambda written: " ".join(_MARKDOWN_ESCAPE.sub(r"\1", written).split()) if "\\" in written else None)

    @cached_property
    def _by_decoded(self) -> dict[str, list[int]]:
        return self._index(lambda written: " ".join(html_unescape(written).split()))

    @cached_property
    def _by_exact(self) -> dict[str, list[int]]:
        return self._index(lambda written: written)

    def written(self, url: str, nth: int = 0) -> tuple[int, str] | None:
        """(body line, address as written) of the nth address (the last, when there are fewer)
        that is the one MkDocs names: the page holds addresses of library files rewritten
        (render.rewrite_url), so a written one matches by its rewritten form too. MkDocs warns of
        Markdown's addresses, not raw HTML's: those count only when no Markdown address matches."""
        if (matching := self._written.get(url)) is None:
            key = " ".join(url.split())
            both = set(self._by_text.get(key, ())) | set(self._by_site_address.get(url, ())) | set(self._by_unescaped.get(key, ()))
            markdown = [n for n in both if not self._addresses[n].tag]
            matching = self._written[url] = sorted(markdown or both)
        return self.addresses[matching[min(nth, len(matching) - 1)]] if matching else None

    def holding_value(self, value: str) -> tuple[int, str] | None:
        """(body line, address as written) of the first address that is a removed attribute's value."""
        found = [f[0] for f in (self._by_decoded.get(" ".join(value.split())), self._by_exact.get(value)) if f]
        return self.addresses[min(found)] if found else None

    @cached_property
    def attribute_lines(self) -> dict[tuple[str, str], list[int]]:
        """(name, value) -> the body lines, in order, where `name=value` is written (quoted or not,
        entities decoded), as an attribute list or a tag writes an attribute."""
        out: dict[tuple[str, str], list[int]] = {}
        for m in _ATTRIBUTE.finditer(self.masked):
            value = m.group(2)[1:-1] if m.group(2)[:1] in "\"'" else m.group(2)
            out.setdefault((m.group(1).lower(), html_unescape(value)), []).append(self.masked_line(m.start()))
        return out

    def attribute_list_line(self, value: str) -> int | None:
        """The first body line that gives an element the id `value`: in a tag or an attribute
        list (`id="value"`, `{: #value }`, `{#value}`), code masked."""
        if lines := self.attribute_lines.get(("id", value)):
            return lines[0]
        m = re.search(r"\{:?[^{}\n]*#" + re.escape(value) + r"(?=[\s}])", self.masked)
        return None if m is None else self.masked_line(m.start())

    def next_line_with(self, needle: str, start: int) -> tuple[int | None, int]:
        """(body line, offset just after) of `needle` at or after offset `start` of the body (code
        masked), else of its first occurrence; (None, start) when the body has none."""
        found = self.masked.find(needle, start) if needle and "\n" not in needle else -1
        if found < 0 and start:
            found = self.masked.find(needle)
        return (None, start) if found < 0 else (self.masked_line(found), found + len(needle))

    def first_line_with(self, *needles: str) -> int | None:
        """The first body line (code masked) holding one of the needles."""
        lines = [line for n in needles if (line := self.next_line_with(n, 0)[0]) is not None]
        return min(lines) if lines else None


def _unparsable_urls(body: str) -> Iterable[tuple[int, str]]:
    line = scan.line_index(body)
    found = []
    for address in scan.addresses(body, body):
        try:
            urlsplit(address.written)
        except ValueError:
            found.append(address)
    for address in on_page(body, found):
        yield line(address.start), address.written


def on_page(body: str, found: list[scan.Address]) -> list[scan.Address]:
    """Those of the addresses the scanner found that Markdown makes addresses on the page (not
    text in an indented code block, after an escaped `\\>`, in a comment ...): markup.live_addresses."""
    kept = live_addresses(body, found)
    return [address for i, address in enumerate(found) if i in kept]


# -- the sanitiser -----------------------------------------------------------------------------------

# Tags the sanitiser drops with their content, and the other tags that can act on the page: E401.
_ACTIVE_TAGS = sanitize.DROP_WITH_CONTENT | sanitize.ACTIVE_ELEMENTS


def sanitiser_findings(case: Case, html: str, cleaned: str, at: Located, body: _Body) -> list[Finding]:
    """Everything `sanitize.clean` would take out of the page (`cleaned`: what it gave), at the
    line that put it there: a contributor's raw tag where it stands, else (Markdown links,
    attribute lists) the line that holds the removed value."""
    gone = Counter(sanitize.removals(html, cleaned))
    if not gone:
        return []
    out: list[Finding] = []
    fixed: set[int] | None = None  # where `validate --fix` edits a tag (asked once, when needed)
    for tag, removals in tag_removals(case.body):
        for name, value in removals:
            if gone[name, value] > 0:
                gone[name, value] -= 1
                if name == tag.name or (tag.name, "") not in removals:  # a removed tag: one finding
                    fixed = fixed if fixed is not None else {e.start for e in fix_edits(case.body)}
                    finding = _removal_finding(at, at.body_line + tag.line, name, value, tag.start in fixed)
                    if (address := address_in_brackets(case.body, tag)) is not None:
                        finding = replace(finding, message=(
                            f"`<{address}>` 在这里不是地址，而被当作 HTML 标签 `<{tag.name}>`，发布时连同地址一起删除："
                            "链接定义（`[名字]: 地址`）和 HTML 块里的地址不能加尖括号，地址中的空格请写成 %20"
                            f"（如 `{address.replace(' ', '%20')}`）"))
                    out.append(finding)
    if +gone:  # made by Markdown syntax: the line of the removed value in the body
        removed_tags = {name for name, _ in gone if not sanitize.removed_what(name)[1]}
        cause = min((f.line for f in out), default=None)
        left_open = _unclosed_tag(body, at) if cause is None else None
        unbalanced = _unbalanced_tag(body) if cause is None and left_open is None else None
        cause = cause or (left_open and left_open[0]) or (unbalanced and at.body_line + unbalanced[0])
        for (name, value), n in sorted((+gone).items()):
            element, attr = sanitize.removed_what(name)
            if attr and element in removed_tags:
                continue
            lines = _lines_of(body, name, value)
            if not lines and cause is not None:
                # Not in the body at all: the page around it (its generated parts) came out
                # differently because of the raw HTML reported above (an unclosed <body>, say).
                finding = _removal_finding(at, cause, name, value)
                if left_open:  # a tag begun and never ended: often a less-than sign in prose (`x<y c='…'`)
                    message = (f"这一行的 `{left_open[1]}` 被当成了 HTML 标签的开头，却没有用 `>` 结束，页面的其余部分因此被打乱"
                               "（发布时会被改动）；如果这里是小于号，请写成 `&lt;` 或在 `<` 后面加一个空格；如果是 HTML 标签，请把它写完整")
                elif unbalanced:  # `<p>一<p>二</p>`: Markdown's HTML block waits for a second </p> to the end
                    name = unbalanced[1]
                    message = (f"这一行的 `<{name}>` 比 `</{name}>` 多，Markdown 把它后面的正文都当成了 HTML，页面的其余部分因此被打乱"
                               f"（发布时会被改动）；请给每个 `<{name}>` 写上对应的 `</{name}>`，或删去多余的 `<{name}>`")
                else:
                    message = "这里的 HTML 打乱了页面的其余部分：" + finding.message
                out += [replace(finding, message=message)] * n
            else:  # the k-th removal of the same value at the k-th place that writes it, as far as there are such
                lines = lines or [0]
                out += [_removal_finding(at, at.body_line + lines[min(k, len(lines) - 1)], name, value) for k in range(n)]
    return out


def left_open_findings(html: str, cleaned: str, at: Located, body: _Body) -> list[Finding]:
    """E419 for each element the sanitiser had to close (`sanitize.closed`), at each raw start tag
    of its name the body does not close; when the counts agree (the tags cross), at the first."""
    out = []
    for name in sanitize.closed(html, cleaned):
        open_lines: list[int] = []
        first = None
        for tag in body.raw_tags:
            if tag.name == name:
                if tag.closing:
                    if open_lines:
                        open_lines.pop()
                elif not tag.self_closing:
                    open_lines.append(tag.line)
                    first = tag.line if first is None else first
        message = (f"HTML 标签 `<{name}>` 没有闭合（或与别的标签交错），发布时会替它补上 `</{name}>`，"
                   f"它后面的内容都会受影响（如全都变成粗体）；请在它该结束的地方写上 `</{name}>`")
        out += [Finding(at.shown, at.body_line + line, "E419", message, CODE_BY_ID["E419"].severity)
                for line in open_lines or [first or 0]]
    return out


def tag_removals(body: str) -> list[tuple[scan.RawTag, list[tuple[str, str]]]]:
    """Each raw start tag of the body with what the sanitiser removes from it."""
    out = []
    for tag in scan.raw_tags(body):
        if not tag.closing and (names := sanitize.tag_removals(tag.name, list(tag.attrs))):
            out.append((tag, names))
    return out


_TAG_OPENING = re.compile(r"<[A-Za-z!/?][A-Za-z0-9:-]*")


def _unclosed_tag(body: _Body, at: Located) -> tuple[int, str] | None:
    """(file line, the opening as written, `<y`) of the last tag the body leaves open (`<iframe
    src=x <`): the raw HTML block it starts runs on into the rest of the page. A line leaves one
    open when a tag opens after its last `>` (looked for from there: from every `<`, a line of
    `<a<a…<a>` was read to its end)."""
    lines = body.masked.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if (opening := _open_tag(lines[i])) is not None:
            return at.body_line + i, opening
    return None


def _unbalanced_tag(body: _Body) -> tuple[int, str] | None:
    """(body line, name) of the first raw start tag (outside code) whose element the body opens
    more often than it closes (`<p>一<p>二</p>`): Markdown's raw HTML block runs on from there."""
    open_at: dict[str, list[int]] = {}
    for tag in body.raw_tags:
        if tag.name in sanitize.VOID_ELEMENTS or tag.self_closing:
            continue
        if tag.closing:
            if open_at.get(tag.name):
                open_at[tag.name].pop()
        else:
            open_at.setdefault(tag.name, []).append(tag.line)
    return min(((lines[0], name) for name, lines in open_at.items() if lines), default=None)


def _open_tag(line: str) -> str | None:
    m = _TAG_OPENING.search(line, line.rfind(">") + 1)
    return m.group() if m else None


def leaves_a_tag_open(line: str) -> bool:
    return _open_tag(line) is not None


def _lines_of(body: _Body, name: str, value: str) -> list[int]:
    """The body lines that hold a removed value: an address as written; `key=value` of an
    attribute list (`{: data-x=1 }`), each line that writes it; `md-x` of `{: .md-x }`; else the
    first that can have made `name`. Empty when nothing in the body can have."""
    attr = sanitize.removed_what(name)[1]
    if attr in ("href", "src") and (found := body.holding_value(value)):
        return [found[0]]
    if attr and attr != "class" and (lines := body.attribute_lines.get((attr, value))):
        return lines
    for needle in value.split() if attr == "class" else [value]:
        if (line := body.first_line_with(needle, html_escape(needle))) is not None:
            return [line]
    line = _line_of_name(body.masked, name)
    if line is None and not attr:  # `<https://…>` in raw HTML is a tag there, not the autolink the mask blanks
        line = _line_of_name(scan.mask_code(body.case.body, autolinks=False), name)
    return [] if line is None else [line]


def _line_of_name(masked: str, name: str) -> int | None:
    """The first body line that can have made `name` when no raw tag did: an attribute list
    (`{: .md-x }`; for a class or id one with a reserved name first), then any `attr=`, then the tag."""
    element, attr = sanitize.removed_what(name)
    lines = masked.split("\n")
    marker = {"class": r"\.", "id": "#"}.get(attr, re.escape(attr) + r"\s*=")
    # `[^{}]`, not `[^}]`: the same lines match, and a line of many `{` is read once, not from each
    patterns = [r"\{[^{}]*" + marker + r"(?:md[-_]|__)", r"\{[^{}]*" + marker, re.escape(attr) + r"\s*="] if attr else []
    patterns.append(r"<" + re.escape(element) + r"(?=[\s/>]|$)")  # where the name ends (`<https:` too)
    for pattern in patterns:
        for i, line in enumerate(lines):
            if re.search(pattern, line, re.I):
                return i
    return None


# What a tag's name is when an autolink (`<https://…>`, `<a@b.org>`) stands in raw HTML, where
# Markdown leaves it alone: a scheme, or an address with `@`.
_AUTOLINK_NAME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|[^@\s]+@[^@\s]+)$", re.I)


# `<assets/示意 图.png>`: an address in angle brackets where Markdown takes none (a reference
# definition, an HTML block) is a tag to the browser, named `assets`, and removed with its address.
_ADDRESS_IN_BRACKETS = re.compile(r"<([^<>\s=\"'/]+/[^<>=\"']*)>")


def address_in_brackets(body: str, tag: scan.RawTag) -> str | None:
    """The address of a start tag that is one in angle brackets (`<assets/a b.png>`), else None."""
    m = _ADDRESS_IN_BRACKETS.match(body, tag.start)
    return m.group(1) if m and not tag.closing and m.end() == tag.end else None


# Python-Markdown's backslash escapes (markdown.Markdown.ESCAPED_CHARS): `\\x` shows x.
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()>#+\-.!])")


def _removal_finding(at: Located, line: int, name: str, value: str | None, fixable: bool = False) -> Finding:
    """The finding for a removal; `fixable`: `validate --fix` makes this change (fix_edits)."""
    element, attr = sanitize.removed_what(name)
    fix = "（可运行 casebook validate --fix 自动删除）" if fixable else ""

    def finding(code: str, message: str) -> Finding:
        return Finding(at.shown, line, code, message, CODE_BY_ID[code].severity)

    if not attr:
        if element in _ACTIVE_TAGS:
            return finding("E401", f"正文含有不允许的 HTML 标签 `<{element}>`，发布时会连同内容被删除；请删除，内容用 Markdown 书写")
        if _AUTOLINK_NAME.match(element):
            return finding("E408", f"HTML 块里的 `<{element}…>` 不会变成链接，而会当作标签 `<{element}>` 在发布时删除；"
                                   "请改写成 `<a href=\"…\">…</a>`，或把这个地址写到 HTML 块之外")
        return finding("E408", f"正文含有不允许的 HTML 标签 `<{element}>`，发布时会被删除（文字保留）；请删除标签{fix}，需要的格式用 Markdown 书写（可用的标签见贡献指南）")
    where = f"`<{element}>` 的属性"
    if attr.startswith("on"):
        return finding("E402", f"HTML 中有事件属性 `{attr}=`，发布时会被删除；请删除{fix}")
    if attr in sanitize.URL_ATTRIBUTES and attr in sanitize.allowed_attributes(element):  # else: E409, not an address problem
        kind = url_kind(value or "") if value is not None else ""
        shown = f"“{(value or '')[:60]}”" if value is not None else ""
        if kind == "script":
            scheme = plain_url(value or "").split(":")[0]
            return finding("E403", f"{'图片' if attr == 'src' else '链接'}使用了危险的地址{shown}（{scheme}:），发布时会被删除；请删除")
        if attr == "src" and kind in rules.OTHER_SITE:
            return finding("E404", f"图片来自外部网站{shown}，发布时会被删除；请下载到库的 assets/ 目录，用相对路径引用")
        if rules.on_this_computer(value or ""):
            return finding("E414", (f"地址{shown}是电脑上的文件路径，读者打不开；请把{'图片' if attr == 'src' else '文件'}复制到库的 assets/ 文件夹，"
                                    "写成 `assets/文件名`（路径用 /）"))
        return finding("E414", f"{where} `{attr}` 的地址{shown}不是有效的网址，发布时会被删除；请改成完整的 https:// 网址或库内路径")
    if attr in ("id", "class") and value is not None and any(sanitize.reserved_name(v) for v in value.split()):
        return finding("E410", f"{where} `{attr}=\"{value}\"` 用了站点保留的名称（{RESERVED_NAMES_TEXT}），发布时会被删除；请换一个名称")
    if attr == "class":
        return finding("E409", f"{where} `class=\"{value}\"` 中有发布时会被删除的类名（Word/WPS 粘贴带来的 Mso… 或含特殊字符）；请删除{fix}")
    allowed = "、".join(sanitize.allowed_attributes(element)) if element in sanitize.TAGS else ""
    hint = f"（`<{element}>` 可用：{allowed}）" if allowed else ""
    return finding("E409", f"{where} `{attr}` 不允许，发布时会被删除{hint}；请删除{fix}")


# -- validate --fix --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Edit:
    start: int  # offsets in the body
    end: int
    line: int  # 0-based body line
    new: str
    what: str  # what changed, for `path:line: fixed ...`


def fix_edits(body: str) -> list[Edit]:
    """The sanitiser's own changes to the contributor's raw HTML, as edits of the source: removed
    attributes dropped from their tag, removed tags (Word's <o:p>, <font>, <center>) taken out
    together with their end tags, their text kept; only those that leave the published page as it
    is (`unchanging`). Tags the sanitiser drops together with their content (script, style ...)
    are not edited: that would delete text; validation reports them."""
    groups: list[list[Edit]] = []
    open_tags: dict[str, list[list[Edit]]] = {}  # a dropped element's start tags not yet ended, by name
    for tag in scan.raw_tags(body):
        if tag.closing:
            if open_tags.get(tag.name):
                open_tags[tag.name].pop().append(_edit(body, tag, "", f"删除标签 </{tag.name}>"))
            continue
        if tag.name in _ACTIVE_TAGS or not (names := sanitize.tag_removals(tag.name, list(tag.attrs))):
            continue
        if address_in_brackets(body, tag) is not None:
            continue  # an address meant, not a tag: deleting it would lose the address (validate says how to write it)
        kept = sanitize.clean_tag(tag.name, list(tag.attrs))
        # An address the sanitiser refuses (an image on another site: E404; WeChat's `data-src`) is
        # kept for the contributor to act on: deleting it would lose what they need to fetch the picture.
        refused = {a.lower() for a, v in tag.attrs if a.lower() in sanitize.URL_ATTRIBUTES or "://" in (v or "")
                   or rules.url_kind(v or "") == "host"} - {a for a, _ in kept or ()}  # (WeChat's data-src, srcset too)
        if kept is None:
            if refused:
                continue
            groups.append([_edit(body, tag, "", f"删除标签 <{tag.name}>（保留其中文字）")])
            if not tag.self_closing and tag.name not in sanitize.VOID_ELEMENTS:
                open_tags.setdefault(tag.name, []).append(groups[-1])
        else:
            dropped = [sanitize.removed_what(n)[1] for n, _ in names]
            attrs = "、".join(dict.fromkeys(a for a in dropped if a not in refused))  # `style` written twice: once
            if not attrs:
                continue
            kept_values = dict(kept)
            new = sanitize.start_tag(tag.name, [(a.lower(), kept_values.get(a.lower(), v or "")) for a, v in tag.attrs
                                                if a.lower() in kept_values or a.lower() in refused], tag.self_closing)
            groups.append([_edit(body, tag, new, f"删除 <{tag.name}> 的属性 {attrs}")])
    return sorted((e for group in unchanging(body, groups) for e in group), key=lambda e: e.start)


def _edit(body: str, tag: scan.RawTag, new: str, what: str) -> Edit:
    lines = body.count("\n", tag.start, tag.end)
    if lines and "\n" not in new:
        what += f"（标签原跨 {lines + 1} 行，改正后写在一行）"
    return Edit(tag.start, tag.end, tag.line, new, what)


# Past this many groups of edits that do not all keep the page as it is, or this many characters
# rendered in all, each is not tried on its own (a render of the body each; validate asks too):
# the file is left for the contributor, as validate reports it.
TRIED_ONE_BY_ONE = 60
RENDERED_AT_MOST = 5_000_000


def unchanging(body: str, groups: list[list[Edit]]) -> list[list[Edit]]:
    """Of the groups of edits (a tag, or a tag with its end tag), those that leave the published
    body as it is: the body rendered as the site renders it and cleaned by the sanitiser, with
    them and without, must show the same (`shown`). The raw tags are read from the source
    (scan.raw_tags), which can take for a tag what Markdown shows as text or reads otherwise (a
    tag in code, `<b">` inside an attribute's value, `markdown="1"`, `<center>1. 条</center>`
    whose removal begins a list): such an edit would change the page, so it is not made. All at
    once first; else one group at a time, each kept when the page stays the same with it and the
    groups kept before, until none is added."""
    if not groups:
        return groups
    before = markup.body_html(body)
    if before is None:
        return []
    published = shown(sanitize.clean(before))

    def keeps(chosen: list[list[Edit]]) -> bool:
        after = markup.body_html(apply_edits(body, body, 0, sorted((e for g in chosen for e in g), key=lambda e: e.start)))
        return after is not None and shown(sanitize.clean(after)) == published

    if keeps(groups):
        return groups
    if len(groups) > TRIED_ONE_BY_ONE or len(groups) * len(body) > RENDERED_AT_MOST:
        return []
    # Again over those left while one is added: an edit can keep the page only once another is
    # made (`<center><font>`: <center> goes once <font> has), and a second --fix must find none.
    kept: list[list[Edit]] = []
    left, rendered = groups, 0
    while left and rendered <= RENDERED_AT_MOST:
        still: list[list[Edit]] = []
        for group in left:
            rendered += len(body)
            (kept if keeps(kept + [group]) else still).append(group)
        if len(still) == len(left):
            break
        left = still
    return sorted(kept, key=lambda g: g[0].start)


_SPACES = re.compile(r"\s+")


_PARAGRAPH_TAG = re.compile(r"</?p>")


def shown(cleaned: str) -> str:
    """Sanitised HTML as a reader gets it: plain paragraph tags aside and spaces run together
    (`<center>居中</center>` is a block of text, `居中` once the tag is gone a paragraph of it:
    the same to a reader); every other element, attribute and letter counts."""
    return _SPACES.sub(" ", _PARAGRAPH_TAG.sub("", cleaned)).strip()


_LINE_END = re.compile(r"\r\n|\r|\n")


def apply_edits(original: str, body: str, body_first_line: int, edits: list[Edit]) -> str:
    """The file's text as read (its own line endings, BOM decoded away by the caller) with `edits`
    of the normalised `body` applied; `body_first_line`: the 0-based file line where the body
    starts. Nothing outside the edited spans changes, front matter and line endings included,
    except one: a line that ends in a lone "\r" and is followed by an edited span and a "\n" would
    read as one "\r\n", a line break fewer than the body has; that "\r" becomes "\r\n"."""
    starts = [0] + [m.end() for m in _LINE_END.finditer(original)]
    line_of = scan.line_index(body)

    def offset(body_offset: int) -> int:
        column = body_offset - (body.rfind("\n", 0, body_offset) + 1)
        return starts[body_first_line + line_of(body_offset)] + column

    out: list[str] = []

    def add(piece: str) -> None:
        if piece:
            if piece[0] == "\n" and out and out[-1][-1] == "\r":
                out[-1] += "\n"  # (not "\r" -> "\n": a "\r" before it would then take that "\n")
            out.append(piece)

    pos = 0
    for e in edits:
        start, end = offset(e.start), offset(e.end)
        add(original[pos:start])
        add(e.new)
        pos = end
    add(original[pos:])
    return "".join(out)
