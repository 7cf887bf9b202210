"""MkDocs itself, for the parts of casebook that must do exactly what it does: load the project's
configuration, render a page as a build renders it (to predict the build in `casebook validate`),
and run a build. With plugin.py (the hooks), the only modules that import MkDocs.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError
from mkdocs.structure.files import File, get_files
from mkdocs.structure.pages import Page

from ..core import deadline
from ..core.model import Library
from .errors import BuildError
from .generate import Assembly, SiteOptions, assemble
from .pagecache import PageCache
from .publish import Rendered

_MKDOCS_LOG = logging.getLogger("mkdocs")


def load(config_file: Path, **overrides) -> MkDocsConfig:
    """The project's MkDocs configuration, validated as `mkdocs build` validates it."""
    handler = _Collect()
    _MKDOCS_LOG.addHandler(handler)
    try:
        config = load_config(str(config_file), **overrides)
    except (ConfigurationError, Abort) as exc:
        details = "；".join(handler.messages) or str(exc)  # MkDocs logs what is wrong, then aborts
        raise BuildError(f"MkDocs 配置 {config_file} 有误：{details}") from None
    finally:
        _MKDOCS_LOG.removeHandler(handler)
    # pymdownx.snippets reads its base_path from the working directory, MkDocs its own paths from
    # mkdocs.yml's folder: the project's snippets (CONTRIBUTING.md) are found from any folder.
    snippets = config.mdx_configs.get("pymdownx.snippets")
    if snippets and "base_path" in snippets:
        paths = snippets["base_path"]
        here = Path(config.config_file_path).parent
        snippets["base_path"] = [str(here / p) for p in ([paths] if isinstance(paths, str) else paths)]
    # Material's search imported jieba (which sets its own logger to DEBUG): its "Building prefix
    # dict..." lines are noise.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return config


def page_url(uri: str, directory_urls: bool) -> str:
    """The URL MkDocs gives the page `uri`, relative to the site root (its own rule: File.url)."""
    return File(uri, None, "", directory_urls).url


def site_options(config: MkDocsConfig, downloads: str | os.PathLike = "") -> SiteOptions:
    """The assembly's options as this MkDocs configuration sets them."""
    base_dir = Path(config.config_file_path or ".").resolve().parent
    return SiteOptions(
        base_dir=base_dir, docs_dir=Path(config.docs_dir), directory_urls=config.use_directory_urls,
        edit_template=config.edit_uri_template or None, copyright=config.copyright or None,
        downloads=(base_dir / downloads) if downloads else None,
    )


def page_context(config: MkDocsConfig, library: Library) -> tuple[dict[str, str], PageEngine]:
    """What publish.check_library renders with: the assembly's pages (the offline flavour's page
    addresses: raw HTML addresses are then relative to the page's own folder, as in the source)
    and an engine over all the site's files."""
    site = assemble(library, replace(site_options(config), directory_urls=False), {})
    return site.pages, PageEngine(config, site.uris)


class _Collect(logging.Handler):
    """MkDocs' warnings logged by this thread (`casebook serve` renders pages in another thread
    while it validates: each keeps its own)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


class PageEngine:
    """Renders generated pages with MkDocs' own Page.render (its Markdown configuration, link
    rewriting and checks) among the site's files, and validates anchors as the build does."""

    def __init__(self, config: MkDocsConfig, uris: Iterable[str]) -> None:
        self.config = config
        self._emoji: frozenset[str] | None = None
        self.files = get_files(config)
        known = {f.src_uri for f in self.files}
        for uri in sorted(set(uris) - known):
            self.files.append(_generated(config, uri, ""))

    def emoji_shortcodes(self) -> frozenset[str]:
        """`emoji_shortcodes` of this configuration, read when first asked for."""
        if self._emoji is None:
            self._emoji = emoji_shortcodes(self.config)
        return self._emoji

    @staticmethod
    def written_at(uri: str) -> tuple[str, ...]:
        """Where MkDocs writes the page `uri`: in the site (directory URLs) and in the offline copy."""
        return tuple(File(uri, None, "", urls).dest_uri for urls in (True, False))

    def render_pages(self, uris: list[str], markdown_of: Callable[[str], str | None]) -> dict[str, Rendered]:
        handler = _Collect()
        _MKDOCS_LOG.addHandler(handler)
        out: dict[str, Rendered] = {}
        pages: dict[str, Page] = {}
        try:
            for uri in uris:
                handler.messages.clear()
                page, error = self._render(uri, markdown_of(uri) or "")
                pages[uri] = page
                if error is SLOW:
                    out[uri] = Rendered(error=f"生成这一页超过 {deadline.RENDER_SECONDS} 秒", slow=True)
                elif error is DEEP:
                    out[uri] = Rendered(error="页面的结构嵌套太深，超出了 Python 的递归层数", deep=True)
                else:
                    out[uri] = Rendered(page.content or "", tuple(handler.messages), error, url=page.url,
                                        anchors=frozenset(page.present_anchor_ids or ()))
            # Anchors point into other pages: render those too, then check as the build does.
            for uri, page in pages.items():
                for target in list((page.links_to_anchors or {})):
                    if target.page is None and target.src_uri.endswith(".md"):
                        self._render(target.src_uri, markdown_of(target.src_uri) or _read(target))
                handler.messages.clear()
                page.validate_anchor_links(files=self.files, log_level=self.config.validation.links.anchors)
                if handler.messages:
                    out[uri] = replace(out[uri], warnings=out[uri].warnings + tuple(handler.messages))
        finally:
            _MKDOCS_LOG.removeHandler(handler)
        return out

    def _render(self, uri: str, markdown: str) -> tuple[Page, str | None]:
        file = self.files.get_file_from_path(uri)
        if file is None:
            file = _generated(self.config, uri, markdown)
            self.files.append(file)
        file.content_string = markdown
        page = Page(None, file, self.config)
        try:
            with deadline.deadline(deadline.RENDER_SECONDS):
                page.read_source(self.config)
                page.render(self.config, self.files)
        except deadline.TooSlow:
            return page, SLOW
        except RecursionError:  # Python-Markdown recurses as deep as the nesting (lists, quotes, emphasis)
            return page, DEEP
        except Exception as exc:  # what MkDocs raises here stops a real build: report it, do not crash
            return page, f"{type(exc).__name__}: {exc}"
        return page, None


SLOW = "slow"  # _render's error for a page over the time limit (core/deadline.py)
DEEP = "deep"  # _render's error for a page nested deeper than Python's recursion limit


def _generated(config: MkDocsConfig, uri: str, content: str) -> File:
    """File.generated outside a plugin event (which is where MkDocs expects it to be called)."""
    file = File(uri, src_dir=None, dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls)
    file.generated_by = "casebook"
    file.content_string = content
    return file


def _read(file: File) -> str:
    try:
        return file.content_string
    except (OSError, UnicodeDecodeError):
        return ""


# The offline plugin's name in mkdocs.yml (Material's, under either of its names).
OFFLINE_PLUGINS = ("offline", "material/offline")


def emoji_shortcodes(config: MkDocsConfig) -> frozenset[str]:
    """The shortcodes (`:100:`) the configured pymdownx.emoji index makes emoji of (none without it)."""
    emoji = config.mdx_configs.get("pymdownx.emoji") or {}
    if "emoji_index" not in emoji:
        return frozenset()
    index = emoji["emoji_index"]({}, None)
    return frozenset(index["emoji"]) | frozenset(index["aliases"])


def offline_enabled(config: MkDocsConfig) -> bool:
    """Whether this build is the offline flavour (its offline plugin on)."""
    return any(name in config.plugins and config.plugins[name].config.enabled for name in OFFLINE_PLUGINS)


def configure(config: MkDocsConfig, library: Library, downloads: Path | None, offline: bool,
              assembled: Assembly | None = None, progress: Callable[[str], None] | None = None,
              cache: PageCache | None = None) -> None:
    """Set the plugins' options for this build on a loaded configuration: the validated library,
    the 案例汇编 folder, (casebook serve) the library's assembly, where the stage lines go and
    (casebook build) the page cache for ours, on or off for the offline plugin. Every option is
    set each time: MkDocs keeps one instance of our plugin for the whole process (it has
    on_startup), so nothing of an earlier build may stay on it."""
    ours = config.plugins.get("casebook")
    if ours is None:
        raise BuildError("MkDocs 配置中没有启用 casebook 插件（plugins: - casebook）")
    ours.config.cases = str(library.root.resolve())
    ours.config.downloads = str(downloads.resolve()) if downloads else ""
    ours.preloaded = library
    ours.assembled = assembled
    ours.progress = progress
    ours.cache = cache
    found = [name for name in OFFLINE_PLUGINS if name in config.plugins]
    if offline and not found:
        raise BuildError("MkDocs 配置中没有 offline 插件，无法生成离线版（plugins: - offline）")
    for name in found:
        config.plugins[name].config.enabled = offline


def run_build(config: MkDocsConfig) -> None:
    """`mkdocs build` with an already loaded configuration; BuildError when it fails (strict
    warnings included)."""
    handler = _Print()
    _MKDOCS_LOG.addHandler(handler)
    try:
        build(config)
    except Abort as exc:
        raise BuildError(f"MkDocs 构建失败：{exc}") from None
    except OSError:
        raise  # a full disk, a folder not writable: the CLI says which
    except Exception as exc:  # a Markdown extension's error (a snippet missing ...): MkDocs logged the page
        raise BuildError(f"MkDocs 构建失败：{exc}（{type(exc).__name__}）") from None
    finally:
        _MKDOCS_LOG.removeHandler(handler)


class _Print(logging.Handler):
    """MkDocs' warnings and errors on stderr, as `mkdocs build` shows them (a strict build fails
    on each; the reader must see why)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        print(f"{record.levelname} - {record.getMessage()}", file=sys.stderr)


# -- one page at a time (casebook serve) -----------------------------------------------------------

class PageSite:
    """The site `casebook build` makes, one page at a time: MkDocs' configuration, plugins, files,
    navigation and theme set up by the build's own events in the build's order, and a page read,
    rendered and passed through the theme (and our plugin's sanitiser and CSP) only when asked for,
    by the same MkDocs functions. Not thread-safe: the caller serialises calls."""

    def __init__(self, config_file: Path, library: Library, assembly: Assembly | None, site_dir: Path) -> None:
        from mkdocs.structure.files import set_exclusions
        from mkdocs.structure.nav import get_navigation

        config = load(config_file, site_dir=str(site_dir), strict=True)
        configure(config, library, None, offline=False, assembled=assembly)
        config = config.plugins.on_config(config)
        config.plugins.on_pre_build(config=config)
        files = get_files(config)
        env = config.theme.get_env()
        files.add_files_from_theme(env, config)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)
        for file in files.documentation_pages():
            if file.page is None:
                Page(None, file, config)
        for page in nav.pages:  # the theme shows what the nav's pages say of themselves (meta)
            page.read_source(config)
        self.env = config.plugins.on_env(env, config=config, files=files)
        self.config, self.files, self.nav = config, files, nav
        self.doc_files = files.documentation_pages()
        self.by_url = {_served_path(f.url): f for f in files}

    def options(self) -> SiteOptions:
        return site_options(self.config)

    @property
    def search_index(self):
        """Material's search index, which each render adds the page's entries to (None: search
        is off in the configuration)."""
        return self.config.plugins["casebook"].search_index

    def find(self, path: str) -> File | None:
        """The file served at a URL path (`cases/x/`, `assets/y.css`: without the leading /)."""
        return self.by_url.get(path) or self.by_url.get(path.rstrip("/") + "/")

    @staticmethod
    def path_of(file: File) -> str:
        """The URL path a file is served at (without the leading /)."""
        return _served_path(file.url)

    def set_content(self, uri: str, content: str | bytes) -> str | None:
        """Give a generated file new content (same address): the URL path it is served at, None
        when there is no such file."""
        file = self.files.get_file_from_path(uri)
        if file is None or file.generated_by is None:
            return None
        if isinstance(content, bytes):
            file.content_bytes = content
        else:
            file.content_string = content
        return self.path_of(file)

    def render(self, file: File) -> tuple[str, tuple[str, ...], list[dict] | None]:
        """(the page's HTML as the build writes it, MkDocs' warnings on the way, Material's search
        entries for it). The entries are taken out of Material's list, which would otherwise grow
        with every render; None when search is off."""
        from mkdocs.commands.build import _populate_page, get_context

        index = self.search_index
        before = len(index.entries) if index is not None else 0
        handler = _Collect()
        _MKDOCS_LOG.addHandler(handler)
        config, page = self.config, file.page
        assert page is not None
        try:
            _populate_page(page, config, self.files)
            config._current_page = page
            page.active = True  # as _build_page: the theme marks the current page
            context = get_context(self.nav, self.doc_files, config, page)
            template = self.env.get_template(page.meta.get("template", "main.html"))
            context = config.plugins.on_page_context(context, page=page, config=config, nav=self.nav)
            output = config.plugins.on_post_page(template.render(context), page=page, config=config)
        finally:
            page.active = False
            config._current_page = None
            _MKDOCS_LOG.removeHandler(handler)
            entries = index.entries[before:] if index is not None else None
            if index is not None:
                del index.entries[before:]
        return output, tuple(handler.messages), entries

    def render_template(self, name: str) -> str:
        """A theme template the build writes on its own (404.html), as the build renders it."""
        from mkdocs.commands.build import _build_template

        return _build_template(name, self.env.get_template(name), self.files, self.config, self.nav)


def _served_path(url: str) -> str:
    """File.url as a request path without the leading / (the home page's url is ./)."""
    path = urllib.parse.unquote(url)
    return "" if path == "./" else path
