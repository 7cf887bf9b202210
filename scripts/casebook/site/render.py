"""Index -> {page path: Markdown}, exports and SVG charts. Pure: returns text, writes nothing.

Links between generated pages are relative `.md` links, so MkDocs resolves them for both the
online (directory URLs) and the offline (`.html`) flavour and checks them under --strict.
"""

from __future__ import annotations

import csv
import html
import io
import json
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache

from . import charts
from .checksums import verify_instructions
from ..core.index import Facet, Index, case_values
from ..core.model import Case
from ..core.progress import give_way
from ..core.rules import honor_text, honors_text, library_target, url_path
from ..core.markup import literal_start, live_addresses
from ..core.scan import escape_snippets, rewrite_addresses
from ..core.volumes import BOOK_FORMATS, VolumeFiles
from ..core.schema import FIELD_BY_KEY, FIELDS, INCOMPLETE_MARK, VOCABULARIES, VOCABULARY_LABELS, Field

LATEST_MAX = 10
HIDDEN = "search:\n  exclude: true\n"  # listing pages stay out of search so cases rank first


@dataclass(frozen=True)
class Options:
    directory_urls: bool = True
    edit_template: str | None = None  # e.g. https://github.com/o/r/edit/main/{path}
    source_prefix: str | None = None  # the library's path inside the repository, e.g. "cases"
    downloads: tuple[str, ...] = ()  # 案例汇编 files (casebook book) published under downloads/
    volumes: tuple[VolumeFiles, ...] = ()  # its volumes (分册) when it is split, each naming its files


@dataclass(frozen=True)
class Site:
    pages: dict[str, str] = field(default_factory=dict)  # uri -> Markdown
    files: dict[str, bytes] = field(default_factory=dict)  # uri -> bytes (exports, charts)


# -- small helpers -------------------------------------------------------------------------

# HTML's & < > as entities, Markdown's punctuation backslash-escaped: one C-speed translate.
# `:` as an entity: `:smile:` would become a twemoji <img> from a CDN. Line breaks as spaces: a
# field's text is inline and must not start a Markdown block (a code block, `--8<--` ...).
# A backslash escapes only the characters Markdown lists as escapable (its ESCAPED_CHARS with the
# site's extensions; a test holds the two together); `~` is not one of them (`\~` showed as
# itself, “2019\~2021年”), so it is an entity: a `~~~` fence still cannot begin.
BACKSLASHED = "\\`*_{}[]()#+!|"
_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", ":": "&#58;", "~": "&#126;", "\n": " ", "\r": " ", "\t": " ",
    **{c: "\\" + c for c in BACKSLASHED},
})


def esc(text: str) -> str:
    """Plain text safe inside Markdown (and its raw HTML): no markup, no tags, no block begun
    where a value starts a line (a summary `1. 第一点` under `> `)."""
    return literal_start(text.translate(_ESCAPES))


# Case pages and the library's files (images) are published under this folder of the site.
CASES_DIR = "cases/"
DOWNLOADS_DIR = "downloads/"  # the 案例汇编 files in the site (generate copies them there)


def case_uri(case_id: str) -> str:
    return f"{CASES_DIR}{case_id}.md"


# Generated pages are not in the navigation (thousands of them); each is shown under the
# navigation's page that lists it: its tab is the one lit.
LISTED_BY = (("cases/", "overview.md"), ("browse/", "browse/index.md"))


def listed_by(uri: str) -> str | None:
    """The navigation page under which a generated page is shown ("cases/x.md" -> "overview.md")."""
    return next((page for prefix, page in LISTED_BY if uri.startswith(prefix) and uri != page), None)


def case_id_of(uri: str) -> str | None:
    """The case id of a case page's uri (cases/<id>.md); None for any other page."""
    if uri.startswith(CASES_DIR) and uri.endswith(".md"):
        return uri[len(CASES_DIR):-3]
    return None


def library_file_uri(rel: str) -> str:
    """Where a library file (assets/x.jpg) is published: it keeps its library path under cases/."""
    return CASES_DIR + rel


def vocab_dir(vocab: str) -> str:
    return "browse/" + vocab.replace("_", "-")


def facet_uri(facet: Facet) -> str:
    return f"{vocab_dir(facet.vocab)}/{facet.slug}.md"


def relative_link(target: str, page: str) -> str:
    """Relative link from one page's source path to another's (MkDocs rewrites .md links)."""
    # Page paths are clean relative POSIX paths: rpartition splits them as posixpath does, faster
    # (tens of thousands of links per build).
    head, _, name = target.rpartition("/")
    up = _rel_dir(head, page.rpartition("/")[0])
    return f"{up}/{name}" if up != "." else name


@lru_cache(maxsize=None)
def _rel_dir(target_dir: str, page_dir: str) -> str:
    # posixpath.relpath is slow and thousands of links share a handful of folder pairs
    return posixpath.relpath(target_dir or ".", page_dir or ".")


def site_url(uri: str, directory_urls: bool) -> str:
    """The URL MkDocs gives a page, relative to the site root: MkDocs' own rule (engine.page_url;
    loaded here only when a page's URL is needed)."""
    from .engine import page_url

    return page_url(uri, directory_urls)


def edit_path(prefix: str, rel: str) -> str:
    """The `{path}` of an edit link (MkDocs' edit_uri_template): a file's path in the repository,
    its folder `prefix` joined, percent-encoded as a URL path. The case page's own edit link and
    the header's (plugin.py, every page) are made with it."""
    return url_path(posixpath.join(prefix, rel))


def page_link(from_uri: str, to_uri: str, directory_urls: bool) -> str:
    """The address of page `to_uri` as written on page `from_uri` (raw HTML, which MkDocs leaves alone)."""
    here, there = site_url(from_uri, directory_urls), site_url(to_uri, directory_urls)
    base = here.rstrip("/") if here.endswith("/") else posixpath.dirname(here)
    return posixpath.relpath(there, base or ".") + ("/" if there.endswith("/") else "")


def front_value(value: object) -> str:
    """A front-matter value for MkDocs: strings as escaped HTML text, written as a YAML flow scalar.

    MkDocs renders theme templates without autoescaping and Material prints page.meta.title,
    page.title and the search index's titles and tags as HTML (<title>, the header, search
    results): the text must be safe HTML when it enters the theme, here.
    """
    escaped = [html.escape(v) for v in value] if isinstance(value, list) else html.escape(str(value))
    # JSON is valid YAML; YAML reads a raw U+2028/U+2029 inside quotes as a line break.
    return json.dumps(escaped, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page(title: str, body: str, hidden: bool = True, keywords: tuple[str, ...] = (), meta: dict[str, str] | None = None) -> str:
    front = f"---\ntitle: {front_value(title)}\n"
    if keywords:  # Material's search indexes page `tags` as whole words (strongly boosted)
        front += f"tags: {front_value(list(keywords))}\n"
    for key, value in (meta or {}).items():
        front += f"{key}: {front_value(value)}\n"
    front += (HIDDEN if hidden else "") + "---\n\n"
    return front + body.rstrip("\n") + "\n"


_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,20})[”\"」』]")


def keywords(case: Case) -> tuple[str, ...]:
    """Whole names a reader types: quoted names in the title (“阳光车队”) and the case's tags."""
    return tuple(dict.fromkeys([*_QUOTED.findall(case.title), *case.tags]))


def case_link(case: Case, from_page: str) -> str:
    return f"[{esc(case.title)}]({relative_link(case_uri(case.id), from_page)})"


INCOMPLETE_FLAG_CLASS = "cb-flag"


def incomplete_flag(case: Case) -> str:
    """What follows a case's link in listings: 待补充 when a section is (a reader should not find
    out only on opening it)."""
    return f' <span class="{INCOMPLETE_FLAG_CLASS}">{INCOMPLETE_MARK}</span>' if case.incomplete_sections else ""


def listed_link(case: Case, from_page: str) -> str:
    return case_link(case, from_page) + incomplete_flag(case)


def facet_link(index: Index, vocab: str, value: str, from_page: str) -> str:
    return f"[{esc(value)}]({relative_link(facet_uri(index.facet_of(vocab, value)), from_page)})"


def date_cell(case: Case) -> str:
    """A listing's date, kept on one line (a phone's narrow column broke it at a hyphen)."""
    return f'<span class="cb-nowrap">{case.date.isoformat()}</span>'


def case_table(cases: tuple[Case, ...], from_page: str) -> str:
    rows = ["| 标题 | 单位 | 地区 | 收录日期 |", "| --- | --- | --- | --- |"]
    for c in cases:
        give_way()
        rows.append(f"| {listed_link(c, from_page)} | {esc(c.organization)} | {esc(c.region)} | {date_cell(c)} |")
    return "\n".join(rows)


# -- case pages ----------------------------------------------------------------------------

def _resolved(case_rel: str, url: str, cases_by_rel: dict[str, str]) -> tuple[str | None, str, str] | None:
    """A relative address of a case body: (the case it names or None, the file's URL path from the
    library's root, the #anchor or ?query as written: `rules.library_target`). None for any other."""
    found = library_target(posixpath.dirname(case_rel), url)
    if found is None:
        return None
    path, tail = found
    return cases_by_rel.get(path), url_path(path), tail


def rewrite_url(case_rel: str, url: str, cases_by_rel: dict[str, str]) -> str | None:
    """Where a relative address in a case body points on the site, as MkDocs reads a Markdown
    address: a library file keeps its library path (under cases/, percent-encoded), a case's .md
    file becomes its page (`<id>.md`); #anchor and ?query as written. None for anything else (web
    links, anchors on this page, paths that leave the library: those are left as written)."""
    found = _resolved(case_rel, url, cases_by_rel)
    if found is None:
        return None
    case_id, path, tail = found
    return f"{case_id}.md{tail}" if case_id else path + tail


def rewrite_links(case: Case, cases_by_rel: dict[str, str], directory_urls: bool) -> str:
    """The body as the case page holds it: relative addresses pointed at the site (library files
    live under cases/), and pymdownx.snippets markers escaped (they would paste files of the build
    machine). MkDocs turns a Markdown address into one relative to the page, `<id>.md` into that
    case's page; raw HTML it leaves alone, so a raw `<a href>`/`<img src>` gets that here: the
    other case's page (`../b/`, offline `b.html`) or the file, from this page."""
    prefix = "../" if directory_urls else ""  # from a case page (cases/<id>/, offline cases/<id>.html) to cases/

    def raw(url: str) -> str | None:
        found = _resolved(case.rel, url, cases_by_rel)
        if found is None:
            return None
        case_id, path, tail = found
        if case_id:
            return page_link(case_uri(case.id), case_uri(case_id), directory_urls) + tail
        return prefix + path + tail

    return rewrite_addresses(escape_snippets(case.body), lambda url: rewrite_url(case.rel, url, cases_by_rel), raw, live_addresses)


# The fields listed under a case's summary (labels, kinds and vocabularies from the schema). Not
# id and status (not for readers), title, summary and cover (their own places on the page), 精选
# (it only orders the home page). Honours come before date and source, unlike the schema's order.
META_FIELDS = tuple(FIELD_BY_KEY[key] for key in (
    "organization", "org_type", "party_org", "region", "industry", "category", "tags", "honors", "date", "source"))
LIST_SEPARATOR = {"tags": " "}  # tags read as a row of labels; other lists as 甲、乙


def meta_value(field: Field, value: object, index: Index, uri: str) -> str:
    """One field's value on a case page as Markdown: vocabulary values link to their listing."""
    if field.kind == "honors":
        return "；".join(honor_text(esc(h.title), facet_link(index, "honor_level", h.level, uri), h.year) for h in value)
    if field.kind == "date":
        return value.isoformat()
    values = value if field.kind == "list" else (value,)
    shown = [facet_link(index, field.vocabulary, v, uri) if field.vocabulary else esc(v) for v in values]
    return LIST_SEPARATOR.get(field.key, "、").join(shown)


# The blocks of a case page around its body (publish.py reads the body's part between them).
META_CLASS, RELATED_CLASS = "cb-meta", "cb-related"


def render_case(case: Case, index: Index, options: Options, cases_by_rel: dict[str, str]) -> str:
    uri = case_uri(case.id)
    out = [f"# {esc(case.title)}", ""]
    if case.incomplete_sections:
        missing = "".join(f"“{name}”" for name in case.incomplete_sections)
        out += ['<div class="cb-incomplete" markdown data-search-exclude>', "",
                f'!!! warning "{INCOMPLETE_MARK}"', f"    本案例的{missing}尚待补充：来源中没有相关内容，欢迎提供可靠资料。", "", "</div>", ""]
    # The summary comes first: search results show the start of a page's text as the teaser.
    out += [f"> {esc(case.summary)}", ""]
    out += [f'<div class="{META_CLASS}" markdown>', ""]
    for f in META_FIELDS:
        value = getattr(case, f.key)
        if value:
            out.extend([f.label, f":   {meta_value(f, value, index, uri)}", ""])
    out += ["</div>", ""]
    if case.cover:
        out += [f"![{esc(case.title)}]({url_path(case.cover)}){{ .cb-cover }}", ""]
    out += [rewrite_links(case, cases_by_rel, options.directory_urls).strip("\n"), ""]
    related = index.related[case.id]
    out += [f'<div class="{RELATED_CLASS}" markdown data-search-exclude>', ""]
    if related:
        out += ["## 相关案例", ""]
        out += [f"- {listed_link(index.by_id[r], uri)}（{esc(index.by_id[r].organization)}）" for r in related]
        out.append("")
    if options.edit_template and options.source_prefix is not None:
        path = edit_path(options.source_prefix, case.rel)
        url = options.edit_template.format(path=path, path_noext=posixpath.splitext(path)[0])
        out += [f"[:material-file-edit-outline: 编辑此案例]({url}){{ .cb-edit }}", ""]
    out += ["</div>", ""]
    return page(case.title, "\n".join(out), hidden=False, keywords=keywords(case))


def moved_page(case: Case, alias: str, options: Options) -> str:
    """The page at a former id's address (cases/<alias>): the case it became, linked. The link
    is a relative .md link (MkDocs checks it under --strict); `casebook_moved_to` is the same
    target as a URL for overrides/main.html, which turns it into a <meta> refresh."""
    uri = case_uri(alias)
    body = f"# 案例已合并\n\n编号为 `{alias}` 的案例已并入{case_link(case, uri)}，请前往该案例阅读。"
    return page(f"已并入：{case.title}", body, meta={"casebook_moved_to": page_link(uri, case_uri(case.id), options.directory_urls)})


# -- listing pages -------------------------------------------------------------------------

BOOK_SUFFIXES = tuple((f".{fmt}", label) for fmt, label in BOOK_FORMATS.items())
VERIFY_HEADING = "核对下载的文件"  # a heading of the overview page; its id is the same text
INCOMPLETE_HEADING = "待补充的案例"  # a heading of the statistics page, linked from the home page


def format_links(names: tuple[str, ...], from_page: str) -> str:
    """“PDF / Word”, with only the formats that were built."""
    return " / ".join(f"[{label}]({relative_link(DOWNLOADS_DIR + name, from_page)})"
                      for suffix, label in BOOK_SUFFIXES for name in names if name.endswith(suffix))


def book_links(options: Options, from_page: str) -> str:
    """“下载案例汇编 PDF / Word”; a book in volumes: “下载案例汇编（共 3 册）：第1册 PDF / Word；第2册 …”;
    "" without a book."""
    if options.volumes:
        each = "；".join(f"第{v.number}册 {format_links(v.files, from_page)}" for v in options.volumes)
        return f"下载案例汇编（共 {len(options.volumes)} 册）：{each}"
    links = format_links(options.downloads, from_page)
    return f"下载案例汇编 {links}" if links else ""


def volume_items(options: Options, from_page: str) -> list[str]:
    """The overview's list of volumes: what each holds and its files."""
    return [f"    - 第{v.number}册（{v.cases:,} 个案例）：{esc(v.holds)}　{format_links(v.files, from_page)}" for v in options.volumes]


# The vocabularies the home page's first sentence names (those some case has a value of).
HOME_INTRO_VOCABULARIES = ("category", "region", "org_type", "industry", "tags")


def joined(words: list[str]) -> str:
    """“类别、地区和标签”."""
    return "、".join(words[:-1]) + "和" + words[-1] if len(words) > 1 else "".join(words)


def render_home(index: Index, options: Options = Options()) -> str:
    uri = "index.md"
    cases = index.cases
    browsable = [v for v in VOCABULARIES if any(f.case_ids for f in index.facets[v])]  # no empty lists offered
    named = [VOCABULARY_LABELS[v] for v in HOME_INTRO_VOCABULARIES if v in browsable]
    out = [
        "# 两新党建工作法案例库",
        "",
        "收录非公有制企业和社会组织（两新组织）党组织的党建工作法与典型做法，"
        + (f"可按{joined(named)}浏览，或直接搜索。" if named else "可直接搜索。"),
        "",
        '<div class="cb-numbers" markdown>',
        "",
        f"- **{len(cases)}** 个案例",
        f"- **{sum(1 for f in index.facets['category'] if f.case_ids)}** 个类别",
        f"- **{sum(1 for f in index.facets['region'] if f.case_ids)}** 个地区",
        f"- **{len(index.incomplete)}** 个[待补充](stats.md#{INCOMPLETE_HEADING})" if index.incomplete else "- **0** 个待补充",
        "",
        "</div>",
        "",
    ]
    if book := book_links(options, uri):
        out += [f":material-download: {book}（PDF 供打印装订，Word 供编辑转发）。"
                f"[{VERIFY_HEADING}](overview.md#{VERIFY_HEADING})：用 SHA256SUMS 确认文件完整、是发布的原件。", ""]
    out += ["## 精选案例", ""]
    featured = [c for c in cases if c.featured]
    if featured:
        out += ['<div class="grid cards" markdown>', ""]
        for c in featured:
            out += [f"-   **{case_link(c, uri)}**{incomplete_flag(c)}", "", "    ---", "", f"    {esc(c.organization)} · {esc(c.region)}", "", f"    {esc(c.summary)}", ""]
        out += ["</div>", ""]
    else:
        out += ["暂无精选案例。", ""]
    out += ["## 最新收录", ""]
    out += [f"- {listed_link(c, uri)}（{esc(c.organization)}，{date_cell(c)}）" for c in cases[:LATEST_MAX]] or ["暂无案例。"]
    out += ["", "## 浏览方式", ""]
    out += ["- [案例总览](overview.md)：全部案例一览，可排序、筛选"]
    out += [f"- [按{VOCABULARY_LABELS[v]}浏览]({vocab_dir(v)}/index.md)" for v in browsable]
    out += ["- [数据统计](stats.md)：各类别、地区、年份的案例数量"]
    return page("首页", "\n".join(out))


def render_overview(index: Index, options: Options) -> str:
    uri = "overview.md"
    out = [
        "# 案例总览",
        "",
        f"共 {len(index.cases)} 个案例。点击表头排序，用下面的选项筛选。",
        "",
        '<div class="cb-overview" data-cb-overview></div>',
        "",
        case_table_full(index, uri),
        "",
        "## 数据下载",
        "",
        "- [cases.json](cases.json)：全部已发布案例的字段、网址和各章节正文（UTF-8）",
        "- [cases.csv](cases.csv)：每个案例一行，可直接用 Excel 打开（UTF-8 带 BOM）",
    ]
    if options.volumes:
        out.append(f"- 案例汇编（共 {len(options.volumes)} 册，每册有封面、目录和页码；PDF 供打印装订，Word 供编辑转发）：")
        out += ["", *volume_items(options, uri)]
    elif book := book_links(options, uri):
        out.append(f"- {book}：按类别分篇、带目录的全部案例；PDF 供打印装订，Word 供编辑转发")
    out += ["", f"### {VERIFY_HEADING}", "", *verify_instructions(markdown=True)]
    out += [
        "",
        "### 字段说明",
        "",
        "",
        "| 字段 | 含义 | 说明 |",
        "| --- | --- | --- |",
    ]
    out += [f"| `{f.key}` | {f.label} | {f.rule} |" for f in EXPORT_FIELDS]
    out += [
        "| `url` | 网址 | 案例页面相对站点根目录的地址 |",
        "| `incomplete_sections` | 待补充章节 | 内容为“待补充”的章节 |",
        "| `sections` | 章节 | 章节标题 → 正文（Markdown），仅 JSON |",
        "",
        overview_data(index, options),
    ]
    return page("案例总览", "\n".join(out))


def case_table_full(index: Index, uri: str) -> str:
    rows = ["| 标题 | 单位 | 地区 | 类别 | 收录日期 |", "| --- | --- | --- | --- | --- |"]
    for c in index.cases:
        give_way()
        rows.append(
            f"| {listed_link(c, uri)} | {esc(c.organization)} | {esc(c.region)} | {esc('、'.join(c.category))} | {date_cell(c)} |"
        )
    return "\n".join(rows)


COMPLETE = "完整"  # the overview's 完整性 filter: 完整, or 待补充 (the flag after a title in the table)


def completeness(case: Case) -> str:
    return INCOMPLETE_MARK if case.incomplete_sections else COMPLETE


def overview_data(index: Index, options: Options) -> str:
    """Facet values per table row (same order) for the overview's filter script: the
    vocabularies, and whether a case is complete."""
    facets = [v for v in VOCABULARIES if v != "honor_level"]
    states = {completeness(c) for c in index.cases}
    data = {
        "facets": [{"key": v, "label": VOCABULARY_LABELS[v], "values": [f.value for f in index.facets[v] if f.case_ids]} for v in facets]
                  + [{"key": "completeness", "label": "完整性", "values": [s for s in (COMPLETE, INCOMPLETE_MARK) if s in states]}],
        "rows": [
            {**{v: list(case_values(c, v)) for v in facets},
             "completeness": [completeness(c)]}
            for c in index.cases
        ],
    }
    return f'<script type="application/json" id="cb-overview-data">{script_json(data)}</script>'


_SCRIPT_JSON = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(data: object) -> str:
    """JSON to embed in a <script> element: no `</script>`, `<!--` or line separator can occur in it
    (each is written as a \\u escape, so JSON.parse still gives the exact text)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_JSON)


def render_browse(index: Index) -> dict[str, str]:
    pages = {}
    out = ["# 分类浏览", ""]
    for vocab in VOCABULARIES:
        facets = index.facets[vocab]
        used = sum(1 for f in facets if f.case_ids)
        link = relative_link(f"{vocab_dir(vocab)}/index.md", "browse/index.md")
        out.append(f"- [按{VOCABULARY_LABELS[vocab]}浏览]({link})：{len(facets)} 项，" + (f"其中 {used} 项有案例" if used else "暂无案例"))
    pages["browse/index.md"] = page("分类浏览", "\n".join(out))
    for vocab in VOCABULARIES:
        label = VOCABULARY_LABELS[vocab]
        uri = f"{vocab_dir(vocab)}/index.md"
        rows = [f"# 按{label}浏览", "", f"| {label} | 案例数 |", "| --- | --- |"]
        # A value no case has yet keeps its page (its address stays the same once one does) but
        # gets no link: a reader is not sent to an empty list.
        rows += [f"| [{esc(f.value)}]({relative_link(facet_uri(f), uri)}) | {len(f.case_ids)} |" if f.case_ids
                 else f"| {esc(f.value)} | 0 |" for f in index.facets[vocab]]
        if not index.facets[vocab]:
            rows = [f"# 按{label}浏览", "", "词表中还没有取值。"]
        pages[uri] = page(f"按{label}浏览", "\n".join(rows))
        for f in index.facets[vocab]:
            furi = facet_uri(f)
            cases = tuple(index.by_id[i] for i in f.case_ids)
            body = [f"# {label}：{esc(f.value)}", "", f"共 {len(cases)} 个案例。", ""]
            body += [case_table(cases, furi)] if cases else ["暂无案例。"]
            body += ["", f"[← 全部{label}](index.md)"]
            pages[furi] = page(f"{label}：{f.value}", "\n".join(body))
    return pages


def render_stats(index: Index) -> tuple[str, dict[str, bytes]]:
    uri = "stats.md"
    svgs: dict[str, bytes] = {}
    total = len(index.cases)
    out = ["# 数据统计", "", f"已发布案例 {total} 个；草稿 {index.draft_count} 个（不发布）；待补充 {len(index.incomplete)} 个。", ""]
    series = [(VOCABULARY_LABELS[v], v, [(f.value, len(f.case_ids)) for f in index.facets[v]]) for v in ("category", "region", "org_type", "industry")]
    series.append(("收录年份", "year", [(str(y), n) for y, n in index.by_year]))
    for label, key, all_counts in series:
        out += [f"## 按{label}", ""]
        # Values without cases would make long, empty charts (a city has many towns): name their number.
        counts = [(value, n) for value, n in all_counts if n]
        if not counts:
            out += ["暂无数据。", ""]
            continue
        # The image's name says what it shows; the same numbers follow as a table. Two drawings:
        # the page shows the narrow one on a phone (casebook.css), at a readable size.
        images = []
        for suffix, layout, kind in (("", charts.WIDE, "wide"), ("-narrow", charts.NARROW, "narrow")):
            name = f"stats/{key.replace('_', '-')}{suffix}.svg"
            svgs[name] = charts.bar_chart(f"按{label}统计的案例数", counts, layout).encode("utf-8")
            images.append(f"![条形图：按{label}统计的案例数，数据见下表]({relative_link(name, uri)}){{ .cb-chart .cb-chart--{kind} }}")
        out += [" ".join(images), ""]
        out += [f"| {label} | 案例数 |", "| --- | --- |"]
        out += [f"| {esc(value)} | {n} |" for value, n in counts]
        out.append("")
        if len(counts) < len(all_counts):
            out += [f"另有 {len(all_counts) - len(counts)} 项{label}暂无案例，见[按{label}浏览]({relative_link(vocab_dir(key) + '/index.md', uri)})。", ""]
    out += [f"## {INCOMPLETE_HEADING}", ""]
    if index.incomplete:
        out += [f"共 {len(index.incomplete)} 个案例有章节待补充：", "", "| 案例 | 待补充章节 |", "| --- | --- |"]
        out += [f"| {case_link(c, uri)} | {'、'.join(c.incomplete_sections)} |" for c in index.incomplete]
    else:
        out += ["所有案例都已完整。"]
    return page("数据统计", "\n".join(out)), svgs


# -- exports -------------------------------------------------------------------------------

# The schema's fields in every export, in schema order: `status` is always published here, and
# `aliases` only keeps old addresses working (moved_page), it says nothing about the case.
EXPORT_FIELDS = tuple(f for f in FIELDS if f.key not in ("status", "aliases"))


def export_value(case: Case, field: Field) -> object:
    """A field's value as plain JSON data."""
    value = getattr(case, field.key)
    if field.kind == "list":
        return list(value)
    if field.kind == "date":
        return value.isoformat()
    if field.kind == "honors":
        return [{"level": h.level, "title": h.title, "year": h.year} for h in value]
    return value


def case_record(case: Case, options: Options) -> dict:
    give_way()
    record = {f.key: export_value(case, f) for f in EXPORT_FIELDS}
    record["url"] = site_url(case_uri(case.id), options.directory_urls)
    record["incomplete_sections"] = list(case.incomplete_sections)
    record["sections"] = {s.title: s.text for s in case.sections}
    return record


def render_json(index: Index, options: Options) -> bytes:
    records = [case_record(c, options) for c in sorted(index.cases, key=lambda c: c.id)]
    data = {"count": len(records), "cases": records}
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# A spreadsheet has no room for the cover's path; the page's address and what is missing instead.
CSV_COLUMNS = (
    *((f.key, f.label) for f in EXPORT_FIELDS if f.kind != "path"),
    ("url", "网址"), ("incomplete_sections", "待补充章节"),
)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A cell Excel and WPS show as text: one that would start a formula gets a leading `'`
    (OWASP, CSV injection). cases.json keeps the exact text."""
    return "'" + text if text.startswith(FORMULA_START) else text


def render_csv(index: Index, options: Options) -> bytes:
    buf = io.StringIO()
    # Every cell quoted: a separator inside a cell (`;` in some locales) cannot start a new one.
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for case in sorted(index.cases, key=lambda c: c.id):
        record = case_record(case, options)
        record["honors"] = honors_text(case.honors)  # as the book prints them
        record["featured"] = "是" if case.featured else "否"
        row = []
        for key, _ in CSV_COLUMNS:
            value = record[key]
            row.append(csv_cell("；".join(value) if isinstance(value, list) else "" if value is None else str(value)))
        writer.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel then reads the Chinese as UTF-8


# -- everything ----------------------------------------------------------------------------

def case_pages(case: Case, index: Index, options: Options, cases_by_rel: dict[str, str]) -> dict[str, str]:
    """A case's page and the pages at its former ids."""
    pages = {case_uri(case.id): render_case(case, index, options, cases_by_rel)}
    for alias in case.aliases:  # former ids: validation keeps them apart from every id
        pages[case_uri(alias)] = moved_page(case, alias, options)
    return pages


def render_site(index: Index, options: Options = Options()) -> Site:
    cases_by_rel = {c.rel: c.id for c in index.cases}
    pages = {"index.md": render_home(index, options), "overview.md": render_overview(index, options)}
    pages.update(render_browse(index))
    stats, svgs = render_stats(index)
    pages["stats.md"] = stats
    for case in index.cases:
        give_way()
        pages.update(case_pages(case, index, options, cases_by_rel))
    files = dict(svgs)
    files["cases.json"] = render_json(index, options)
    files["cases.csv"] = render_csv(index, options)
    return Site(pages, files)
