"""MkDocs hooks: the library's pages as virtual files (nothing is written into docs/), the
sanitiser on case pages, our search index and worker.

`casebook build` hands the plugin the library it has already validated (`preloaded`) and sets
its options explicitly; `mkdocs build` / `mkdocs serve` run it from mkdocs.yml alone, and the
plugin then loads and validates the library itself (engine.check_library, the same function).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from jinja2 import BytecodeCache, ChoiceLoader, DictLoader, Environment
from jinja2.bccache import Bucket
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import meta

from ..core import report
from ..core.fanout import map_forked
from ..core.model import Library
from ..core.markup import lost_pieces
from ..core.progress import Stages, amount
from ..core.sanitize import clean, clean_text, removed
from .csp import PolicyError, add_policy
from .engine import offline_enabled, page_context, site_options
from .generate import Assembly, assemble
from .links import unlink_missing_cases
from .pagecache import PageCache, digest
from .publish import check_library
from .render import CASES_DIR, case_id_of, edit_path, listed_by
from .search import FOLDER as SEARCH_FOLDER
from .search import INDEX_FILE
from .search import build_search_files

log = logging.getLogger("mkdocs.plugins.casebook")
# Material's search worker in its page configuration, and ours (see overrides/main.html).
MATERIAL_WORKER = re.compile(r"assets/javascripts/workers/search\.[0-9a-f]+\.min\.js")
OUR_WORKER = "assets/javascripts/search-worker.js"


class _CompiledTemplates(BytecodeCache):
    """The theme's templates compiled once per process, not once per build: MkDocs makes a new
    Jinja environment for every build, and compiling Material's fifty templates again took a
    sixth of a warm build (`casebook serve` after a change to mkdocs.yml; the test suite). Jinja
    compares each template's source with the checksum stored with its code: an edited template
    is compiled again; the key holds the environment's settings that shape the code (another
    configuration in the same process compiles its own)."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        e = environment
        settings = (e.block_start_string, e.block_end_string, e.variable_start_string, e.variable_end_string,
                    e.comment_start_string, e.comment_end_string, e.line_statement_prefix, e.line_comment_prefix,
                    e.trim_blocks, e.lstrip_blocks, e.newline_sequence, e.keep_trailing_newline, sorted(e.extensions),
                    e.optimized, e.is_async, repr(e.autoescape), repr(e.finalize), repr(e.code_generator_class))
        return super().get_bucket(environment, f"{name}\0{settings!r}", filename, source)

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


class CasebookConfig(base.Config):
    enabled = c.Type(bool, default=True)  # off: MkDocs builds docs/ alone, with Material's search
    cases = c.Dir(exists=True, default="cases")  # the library, relative to mkdocs.yml
    # Folder with the 案例汇编 (`casebook book` output): its .pdf/.docx go to downloads/ and
    # are linked from the home and overview pages. Empty (the default) or missing: no links.
    downloads = c.Type(str, default="")


class CasebookPlugin(BasePlugin[CasebookConfig]):
    dirty = False  # until on_startup says otherwise
    preloaded: Library | None = None  # set by `casebook build`: validated already
    assembled: Assembly | None = None  # set by `casebook serve`: the preloaded library assembled already
    serving = False  # `mkdocs serve`: its live-reload script is inline, so pages get no CSP there
    # Where the stage lines go (assembly, pages written, search index): `casebook build` prints
    # them; under `mkdocs build` they are INFO log lines.
    progress: Callable[[str], None] | None = None
    page_uris: frozenset[str] = frozenset()  # the pages on_files added
    # Set by `casebook build` (unless --no-cache): pages whose inputs did not change since the
    # last build into the same folder come from it (pagecache.py; see "The page cache" below).
    cache: PageCache | None = None
    reused: dict[str, dict] = {}  # this build's pages taken from the cache (replaced in on_nav)
    lit: Page | None = None  # the navigation page lit while a generated page renders (light_section)

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup keeps this object across `mkdocs serve` rebuilds. Under
        # `serve --dirty` MkDocs rebuilds only files that report a change: we remember what each
        # generated file held, so editing one case of thousands rebuilds its page and the
        # listings that show it, not every page.
        self.dirty = dirty
        self.serving = command == "serve"
        self.written: dict[str, str | bytes] = {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not self.config.enabled:
            return config
        # Per-build state lives here and is reset on every build (mkdocs serve rebuilds).
        self.stages = Stages(self.progress or log.info)
        self.pages_written = 0
        self.root = Path(self.config.cases).resolve()  # Dir: already relative to mkdocs.yml, and there
        if offline_enabled(config):
            # A server's error page: opened from file:// its root-absolute links lead nowhere and
            # it shows unstyled, and nothing there ever sends a reader to it.
            config.theme.static_templates.discard("404.html")
        library = self.preloaded or check_library(self.root, lambda lib: page_context(config, lib))
        if library.errors:  # the CLI's report (findings, then the summary), under one line
            raise PluginError(f"案例库校验失败（{len(library.errors)} 个错误）：\n{report.as_text(library).rstrip()}")
        if self.preloaded is None:
            for finding in library.warnings:
                log.info(finding.text())
        self.library = library
        if str(self.root) not in config.watch:
            config.watch.append(str(self.root))
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        # After every on_config: the offline plugin has set use_directory_urls by now.
        self.stages.restart()
        site = self.assembled or assemble(self.library, site_options(config, self.config.downloads), os.environ)
        config.edit_uri_template = site.edit_template
        config.copyright = site.copyright
        self.pending = {**site.pages, **site.files} if self.dirty else {}  # what `serve --dirty` compares
        self.page_uris = frozenset(site.pages)
        for uri, content in site.pages.items():
            file = self.generated(config, uri, content)
            # "Edit" on a case page opens its source file in the library, not a generated path.
            case = site.index.by_id.get(case_id_of(uri) or "")  # None: a former id's page
            if case is not None:
                file.edit_uri = edit_path(site.library_prefix, case.rel) if site.library_prefix is not None else None
            files.append(file)
        for uri, data in site.files.items():
            files.append(self.generated(config, uri, data))
        for uri, path in site.copies.items():
            files.append(File.generated(config, uri, abs_src_path=str(path)))
        for file in files:
            if file.generated_by is None and file.src_uri.endswith(".md"):
                file.edit_uri = edit_path(site.docs_prefix, file.src_uri) if site.docs_prefix is not None else None
        self.stages.done("组装", f"{amount(len(site.pages), '个页面')}、{amount(len(site.files), '个数据文件')}、"
                                f"{amount(len(site.copies), '个图片和下载文件')}")
        return files

    # -- The page cache ---------------------------------------------------------------------------
    # A page outside the navigation is rendered from its own Markdown, its addresses and what all
    # pages share (shared_key): with those unchanged, the build's earlier output for it is reused.
    # Such a page skips MkDocs' reading, rendering and theming (a stand-in does each, from the
    # entry), Material's indexing (its entries come from the entry) and our sanitiser and CSP
    # (the stored HTML is their output). Pages in the navigation are always built: the others
    # show their titles and metadata, which are part of shared_key.

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.keys: dict[str, bytes] = {}
        self.reused = {}
        self.found_now: dict[str, list | None] = {}  # path -> _found of it: the files are fixed from here on
        self.page_lookups: dict[str, dict] = {}
        search = config.plugins.get("material/search") or config.plugins.get("search")
        self.search_index = getattr(search, "search_index", None) if self.config.enabled and search and search.config.enabled else None
        self.search_entries: list[dict] | None = None
        # Material segments each section's Chinese text with jieba while it indexes the page: about
        # a fifth of a build, on one core. A build (not `mkdocs serve --dirty`, not `casebook
        # serve`, which index one page at a time) leaves that to its end and shares it among the
        # cores: Material's own method on the same strings, so the entries are the same.
        self.segment = None
        self.from_cache: set[int] = set()  # ids of the entries the page cache gave (segmented already)
        self.unkept: list[tuple[bytes, dict]] = []  # cache entries waiting for their segmented search entries
        if self.search_index is not None and not self.dirty and self.assembled is None:
            self.segment = defer_segmentation(self.search_index)
        elif self.search_index is not None:
            bound_segmentation(self.search_index)
        if self.config.enabled and self.cache is not None:
            self.nav_uris = frozenset(p.file.src_uri for p in nav.pages)
            self.shared_key = shared_key(config, files, nav)
        return nav

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        if not self.config.enabled or self.cache is None or page.file.src_uri in self.nav_uris:
            return page
        try:
            source = page.file.content_string
        except (OSError, ValueError):  # MkDocs reads it again and reports the error
            return page
        key = digest(self.shared_key, page.file.src_uri, page.url, page.edit_url or "", page.canonical_url or "", source)
        self.keys[page.file.src_uri] = key
        entry = self.cache.get(key)
        # (Each part of a reused entry is let go of once used: 20,000 entries wait for the build's end.)
        if entry is not None and all(self.found(files, path) == found for path, found in entry.pop("lookups").items()):
            self.reused[page.file.src_uri] = entry
            _stand_in(page, entry)
        else:  # rendered: note which files its links and images look up (until on_page_content)
            self.lookups = {}
            get = files.get_file_from_path

            def recording(path: str) -> File | None:
                file = get(path)
                if path not in self.found_now:  # (pages share most of their lookups)
                    self.found_now[path] = _found(file)
                self.lookups[path] = self.found_now[path]
                return file

            files.get_file_from_path = recording  # type: ignore[method-assign]
        return page

    def found(self, files: Files, path: str) -> list | None:
        """What a link to `path` resolves to in this build (pages share most of their lookups)."""
        if path not in self.found_now:
            self.found_now[path] = _found(files.get_file_from_path(path))
        return self.found_now[path]

    @event_priority(100)  # before Material's search indexes the page
    def on_page_context(self, context, *, page: Page, config: MkDocsConfig, nav: Navigation):
        self.light_section(page, nav)
        if self.cache is not None and self.search_index is not None:
            entry = self.reused.get(page.file.src_uri)
            if entry is not None:
                given = entry.pop("search")
                self.from_cache.update(map(id, given))
                self.search_index.entries.extend(given)
            self.entries_from = len(self.search_index.entries)
        return context

    def light_section(self, page: Page | None, nav: Navigation | None = None) -> None:
        """Mark the navigation page that lists `page` active while it renders (MkDocs marks only
        the page itself, which is not in the navigation): its tab and sidebar entry are lit, so a
        reader on a case sees where it belongs. None: unmark (after the page, or a failed one)."""
        if self.lit is not None:
            self.lit.active = False
            self.lit = None
        uri = listed_by(page.file.src_uri) if page is not None and page.file.generated_by else None
        if uri is not None and nav is not None:
            self.lit = next((p for p in nav.pages if p.file.src_uri == uri), None)
            if self.lit is not None:
                self.lit.active = True

    def keep(self, page: Page, output: str) -> None:
        """Store what the build made of a page it rendered."""
        key = self.keys.get(page.file.src_uri)
        if self.cache is None or key is None or page.file.src_uri in self.reused:
            return
        self.cache.put(key, output)
        rest = {
            "search": self.search_index.entries[self.entries_from:] if self.search_index is not None else [],
            "title": page.title,
            "anchors": sorted(page.present_anchor_ids or ()),
            "links": {f.src_uri: links for f, links in (page.links_to_anchors or {}).items()},
            "lookups": self.page_lookups.pop(page.file.src_uri, {}),
        }
        if self.segment is None:
            self.cache.complete(key, rest)
        else:  # its search entries are segmented at the end (the same dicts: see _pages_written)
            self.unkept.append((key, rest))

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        # A hand-written page (全市概况) may link to cases of the shipped library; built with another
        # library, such a link shows as its text instead of failing the strict build (links.py).
        if not self.config.enabled or page.file.generated_by:
            return markdown
        text, missing = unlink_missing_cases(markdown, page.file.src_uri, lambda uri: files.get_file_from_path(uri) is not None)
        for uri in missing:
            log.info(f"casebook: {page.file.src_uri} 链接的案例 {uri} 不在本案例库中，显示为文字")
        return text

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        # overrides/main.html always calls the filter: disabled, Material keeps its own worker.
        env.filters["casebook_search_worker"] = use_our_worker if self.config.enabled else str
        env.bytecode_cache = COMPILED_TEMPLATES
        if not self.config.enabled or files is None:  # (None: a test of the filter alone)
            return env
        if self.cache is not None:  # a reused page's template: its stored HTML replaces the output
            env.loader = ChoiceLoader([DictLoader({REUSED_TEMPLATE: ""}), env.loader])
        self.files = files
        # In a build every page has read its Markdown by now (MkDocs reads all pages before
        # on_env): our generated pages need not keep a second copy of it in their File (20,000
        # cases: 200 MB). `casebook serve` (an assembly given) renders pages later, again and again.
        for file in files.documentation_pages() if self.assembled is None else ():
            if file.src_uri in self.page_uris and file.page is not None and file.page.markdown is not None:
                file.content_string = ""
        return env

    def generated(self, config: MkDocsConfig, uri: str, content: str | bytes) -> File:
        file = File.generated(config, uri, content=content)
        if self.dirty and self.written.get(uri) == content:
            file.is_modified = lambda: False  # type: ignore[method-assign]  # unchanged since last build
        return file

    @event_priority(100)
    def _rendered(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if "get_file_from_path" in files.__dict__:  # the page cache recorded this page's lookups
            del files.get_file_from_path
            self.page_lookups[page.file.src_uri] = self.lookups
        return html

    def _sanitise(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        # Case pages carry contributed HTML: keep only the allowlist (sanitize.py). Validation ran
        # this same function on every page (site/publish.py); if something still goes, say so
        # (fails --strict): that would be a bug in the prediction.
        if not (self.config.enabled and page.file.generated_by and case_id_of(page.file.src_uri)) or page.file.src_uri in self.reused:
            return html
        safe = clean(html)
        gone = removed(html, safe)
        if gone:
            log.warning(f"casebook: {page.file.src_uri}：发布前清理掉了不允许的 HTML（{'、'.join(gone)}）")
        if lost_pieces(html):  # validation says E425 at the line
            log.warning(f"casebook: {page.file.src_uri}：Markdown 处理正文时丢了内容（E425，交错的强调符号），页面与正文不符")
        for item in _toc_items(page.toc):  # the TOC is rendered outside the content, from headings
            item.title = clean_text(item.title)
        return safe

    on_page_content = CombinedEvent(_rendered, _sanitise)

    # Every page and 404.html get a Content Security Policy for their own inline scripts (csp.py);
    # what came from the library (content, title) earns no hash. Last, after other plugins' changes.
    @event_priority(-100)
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        self.light_section(None)
        if not self.config.enabled:
            return output
        self.pages_written += 1
        if page.file.src_uri in self.reused:
            html = self.cache.html(self.keys[page.file.src_uri]) if self.cache is not None else None
            if html is None:  # the file went bad since the page was read: nothing else to write
                raise PluginError(f"casebook: 页面缓存 {self.cache.path if self.cache else ''} 读不出 {page.file.src_uri} 的页面；"
                                  "请删除这个文件或加 --no-cache 重新构建")
            return html
        output = self.add_policy(output, page.content or "", page.title or "")
        self.keep(page, output)
        return output

    @event_priority(-100)
    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        return self.add_policy(output_content) if template_name.endswith(".html") else output_content

    def add_policy(self, html: str, *untrusted: str) -> str:
        if not self.config.enabled or self.serving:
            return html
        try:
            return add_policy(html, untrusted)
        except PolicyError as error:
            raise PluginError(f"casebook: {error}") from error

    # First of all post-build work: every page has been rendered and written.
    @event_priority(100)
    def _pages_written(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        reused = f"，其中 {len(self.reused):,} 个未变、取自页面缓存" if self.reused else ""
        self.stages.done("写出页面", amount(self.pages_written, "个页面") + reused)
        # Every page is written and its links and anchors are checked: MkDocs would keep each page's
        # Markdown and HTML until the build ends (20,000 cases: about a gigabyte) while the search
        # index is built. No post-build step reads them (Material's search has its own copy of the
        # text); a page is built afresh on the next build (mkdocs serve).
        for file in self.files.documentation_pages():
            if file.page is not None:
                file.page.markdown = file.page.content = None
        if self.segment is not None and self.search_index is not None:
            fresh = [entry for entry in self.search_index.entries if id(entry) not in self.from_cache]
            import jieba  # there (defer_segmentation saw it): its dictionary loads here, once, for the children to share

            jieba.initialize()
            segment = self.segment
            for entry, (title, text) in zip(fresh, map_forked(lambda e: (segment(e["title"]), segment(e["text"])), fresh, SEGMENT_MIN_PER_PROCESS)):
                entry["title"], entry["text"] = title, text
            self.segment, self.from_cache = None, set()
            if self.cache is not None:
                for key, rest in self.unkept:
                    self.cache.complete(key, rest)
            self.unkept = []
        # Material's search entries are taken over here, so that its index file is written without
        # them (it is replaced anyway) and they are not parsed back from JSON: 5,000 cases, 0.3 s.
        # Not under `mkdocs serve --dirty`, where Material merges them with the last build's.
        if self.search_index is not None and not self.dirty:
            self.search_entries, self.search_index.entries = self.search_index.entries, []

    # After Material's search writes its index (priority 0), before the offline plugin inlines
    # it into search_index.js (priority -100).
    @event_priority(-50)
    def _search_index(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        if self.dirty:
            self.written = self.pending  # only a build that got this far counts as written
        site = Path(config.site_dir)
        path = site / INDEX_FILE
        if path.is_file():
            files = search_files(self._material_index(path))
            shutil.rmtree(site / SEARCH_FOLDER, ignore_errors=True)  # shards of an earlier build (mkdocs serve)
            (site / SEARCH_FOLDER).mkdir(parents=True)
            for name, text in files.items():
                (site / name).write_bytes(text.encode("utf-8"))
            # The time includes Material's search plugin (its index and jieba), which ran just before.
            self.stages.done("搜索索引", amount(len(files), "个文件"))

    def _material_index(self, path: Path) -> dict:
        """Material's search index: the file it wrote, with the entries taken over from it (no
        reference is kept: build_search_files lets go of them as it goes)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if self.search_entries is not None:
            data["docs"], self.search_entries = self.search_entries, None
        return data

    on_post_build = CombinedEvent(_pages_written, _search_index)


def search_files(material_index: dict) -> dict[str, str]:
    """The site's search files (path in the site -> text) from Material's search index: what the
    build writes, and what `casebook serve` serves."""
    return build_search_files(material_index, lambda location: location.startswith(CASES_DIR))


REUSED_TEMPLATE = "casebook-reused-page.html"
# A search entry takes about 1 ms to segment; a fork and its results about 10 ms.
SEGMENT_MIN_PER_PROCESS = 100


def defer_segmentation(index) -> Callable[[str], str] | None:
    """Make Material's search index keep each section's text as it is, and return its
    segmentation (to be applied to every entry it makes, later); None (nothing changed) when it
    segments nothing (jieba is not installed) or is not the index this was written for."""
    method = getattr(type(index), "_segment_chinese", None)
    if method is None or not getattr(sys.modules.get(type(index).__module__), "jieba", None):
        return None
    index._segment_chinese = str  # the instance's attribute: the text unchanged
    return functools.partial(segment_in_pieces, functools.partial(method, index))


def bound_segmentation(index) -> None:
    """Where Material segments as it indexes (`casebook serve`, `mkdocs serve --dirty`): the same
    bound on a run's length as `segment_in_pieces` puts on the deferred segmentation."""
    method = getattr(type(index), "_segment_chinese", None)
    if method is not None:
        index._segment_chinese = functools.partial(segment_in_pieces, functools.partial(method, index))


# jieba's HMM (finalseg.viterbi) copies its path at every character, so a run of Han characters
# takes time growing with its square: 200,000 in a row (a 600 KB body) kept a build in the search
# index for 93 s. Material cuts a section's text into runs of Han characters (its expression,
# `\p{script: Han}`) and segments each; a run longer than this is segmented in pieces of this
# length. Prose breaks at punctuation long before; the pieces only move word boundaries (the
# ranking's whole-word bit), never what a search finds (tests/test_search.py).
HAN_RUN_MAX = 1_000


@functools.cache
def _long_han_run():
    from backrefs import bre  # what Material's search plugin reads scripts with

    return bre.compile(r"\p{script: Han}{%d}" % HAN_RUN_MAX)


def segment_in_pieces(segment: Callable[[str], str], text: str) -> str:
    """`segment(text)`, with every run of Han characters longer than HAN_RUN_MAX segmented in
    pieces of at most that length."""
    cuts, start = [], 0
    while (m := _long_han_run().search(text, start)) is not None:  # each a piece of a long run
        cuts.append(m.end())
        start = m.end()
    if not cuts:
        return segment(text)
    bounds = [0, *cuts, len(text)]
    return "".join(segment(text[a:b]) for a, b in zip(bounds, bounds[1:]) if a < b)


def _stand_in(page: Page, entry: dict) -> None:
    """Make MkDocs' reading and rendering of `page` restore what the cache entry says instead."""

    def read_source(config: MkDocsConfig) -> None:
        page.markdown = ""
        page.meta = {"template": REUSED_TEMPLATE, "search": {"exclude": True}}

    def render(config: MkDocsConfig, files: Files) -> None:
        page.content = ""
        page._title_from_render = entry.pop("title")
        page.present_anchor_ids = set(entry.pop("anchors"))
        page.links_to_anchors = {f: links for uri, links in entry.pop("links").items()
                                 if (f := files.get_file_from_path(uri)) is not None}

    page.read_source = read_source  # type: ignore[method-assign]
    page.render = render  # type: ignore[method-assign]


def _found(file: File | None) -> list | None:
    """What a page's link resolved to: [url, inclusion] of the file, None for no such file."""
    return None if file is None else [file.url, str(file.inclusion)]


def shared_key(config: MkDocsConfig, files: Files, nav: Navigation) -> bytes:
    """What every page's HTML depends on besides its own Markdown and addresses: the code and
    templates that make it (ours, the theme's, every installed package's version), the
    configuration as loaded and as the plugins set it (the footer names the build: a new commit or
    day rebuilds every page) and the navigation every page shows (its pages' titles and metadata).
    The site's files are not in it: an entry lists the files its page looked up (links, images)
    and what they were, and is used only while they still are."""
    parts: list[str | bytes] = [_code_digest(config.theme.custom_dir)]
    parts.append(Path(config.config_file_path).read_bytes() if config.config_file_path else b"")
    parts += [repr((config.site_url, config.use_directory_urls, config.edit_uri_template, config.copyright,
                    config.strict, config.validation.links.anchors))]
    parts.append(json.dumps(config.extra, sort_keys=True, default=repr))
    for page in nav.pages:
        # The theme shows a navigation page by its title and metadata. Its title is the one
        # mkdocs.yml gives it, else it comes from its Markdown: then all of it counts.
        source = page.file.content_string
        given = page.__dict__.get("title")  # set by the nav's `title: file.md` (Page.__init__)
        parts += [page.file.src_uri, page.url, source if given is None else given,
                  json.dumps(meta.get_data(source)[1], sort_keys=True, default=repr)]
    parts += [repr(_nav_outline(item)) for item in nav.items]
    return digest(*parts)


def _nav_outline(item) -> tuple:
    children = tuple(_nav_outline(c) for c in item.children or ())
    return (type(item).__name__, item.title if not isinstance(item, Page) else None, getattr(item, "url", None), children)


_CODE: dict[str | None, bytes] = {}


def _code_digest(custom_dir: str | None) -> bytes:
    """Our package, the theme's overrides, and the versions of every installed distribution."""
    if custom_dir not in _CODE:
        from importlib import metadata

        parts: list[str | bytes] = []
        for root in (Path(__file__).resolve().parents[1], Path(custom_dir) if custom_dir else None):
            for path in sorted(root.rglob("*")) if root else ():
                if path.is_file() and "__pycache__" not in path.parts:
                    parts += [path.relative_to(root).as_posix(), path.read_bytes()]
        parts += sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
        _CODE[custom_dir] = digest(*parts)
    return _CODE[custom_dir]


def use_our_worker(block: str) -> str:
    """Material's `config` block with our search worker's URL in place of Material's."""
    swapped, count = MATERIAL_WORKER.subn(OUR_WORKER, block)
    if count != 1:
        raise PluginError("casebook: Material 页面配置中找不到搜索 worker 的地址（Material 升级后模板变了？见 overrides/main.html）")
    return swapped


def _toc_items(items):
    for item in items:
        yield item
        yield from _toc_items(item.children)
