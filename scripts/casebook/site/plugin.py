"""MkDocs glue: the only module that imports mkdocs.

Runs the same pipeline as the CLI at `on_config`, adds the rendered pages as virtual files in
`on_files` (nothing is written into docs/), and watches the library for `mkdocs serve`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from ..core import report
from ..core.index import build_index
from ..core.library import load_library
from ..core.sanitize import clean, clean_text, removed
from .generate import book_files, copyright_line, generate, relative_to
from .provenance import edit_template, make_manifest, read_git
from .render import CASES_DIR, Options, case_id_of
from .search import FOLDER as SEARCH_FOLDER
from .search import build_search_files

log = logging.getLogger("mkdocs.plugins.casebook")
# Material's search worker in its page configuration, and ours (see overrides/main.html).
MATERIAL_WORKER = re.compile(r"assets/javascripts/workers/search\.[0-9a-f]+\.min\.js")
OUR_WORKER = "assets/javascripts/search-worker.js"
# Material imports jieba for Chinese search; its "Building prefix dict..." lines are noise.
logging.getLogger("jieba").setLevel(logging.WARNING)


class CasebookConfig(base.Config):
    enabled = c.Type(bool, default=True)  # off: MkDocs builds docs/ alone, with Material's search
    cases = c.Dir(exists=True, default="cases")  # the library, relative to mkdocs.yml
    # Folder with the 案例汇编 (`casebook book` output): its .pdf/.docx go to downloads/ and
    # are linked from the home and overview pages. Empty (the default) or missing: no links.
    downloads = c.Type(str, default="")


class CasebookPlugin(BasePlugin[CasebookConfig]):
    dirty = False  # until on_startup says otherwise

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup keeps this object across `mkdocs serve` rebuilds. Under
        # `serve --dirty` (make serve) MkDocs rebuilds only files that report a change: we
        # remember what each generated file held, so editing one case of thousands rebuilds its
        # page and the listings that show it, not every page.
        self.dirty = dirty
        self.written: dict[str, str | bytes] = {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not self.config.enabled:
            return config
        # Per-build state lives here and is reset on every build (mkdocs serve rebuilds).
        base_dir = Path(config.config_file_path or ".").resolve().parent
        self.root = Path(self.config.cases).resolve()  # Dir: already relative to mkdocs.yml, and there
        library = load_library(self.root)
        if library.errors:  # the CLI's report (findings, then the summary), under one line
            raise PluginError(f"案例库校验失败（{len(library.errors)} 个错误）：\n{report.as_text(library).rstrip()}")
        for finding in library.warnings:
            log.info(finding.text())
        self.library = library
        self.index = build_index(library)
        self.downloads = book_files(base_dir / self.config.downloads) if self.config.downloads else {}
        self.prefix = relative_to(self.root, base_dir)  # None: outside the repo, no edit link
        self.docs_prefix = relative_to(Path(config.docs_dir).resolve(), base_dir)
        if str(self.root) not in config.watch:
            config.watch.append(str(self.root))
        # Edit links open the real repository or do not exist (provenance.py); a template set
        # in mkdocs.yml wins.
        git = read_git(base_dir)
        if not config.edit_uri_template:
            config.edit_uri_template = edit_template(os.environ, git)
        self.manifest = make_manifest(os.environ, git, len(self.index.cases))
        config.copyright = copyright_line(config.copyright, self.manifest)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        # MkDocs' own edit_uri_template ({path} = path in the repository) serves every page.
        template = config.edit_uri_template
        options = Options(config.use_directory_urls, template, self.prefix, tuple(self.downloads))
        site = generate(self.library, self.index, options, self.manifest, self.downloads)
        self.pending = {**site.pages, **site.files}
        for uri, content in site.pages.items():
            file = self.generated(config, uri, content)
            case_id = case_id_of(uri)
            # "Edit" on a case page opens its source file in the library, not a generated path.
            file.edit_uri = f"{self.prefix}/{quote(self.index.by_id[case_id].rel)}" if case_id and self.prefix else None
            files.append(file)
        for uri, data in site.files.items():
            files.append(self.generated(config, uri, data))
        for uri, path in site.copies.items():
            files.append(File.generated(config, uri, abs_src_path=str(path)))
        for file in files:
            if file.generated_by is None and file.src_uri.endswith(".md"):
                file.edit_uri = f"{self.docs_prefix}/{file.src_uri}" if self.docs_prefix else None
        return files

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        # overrides/main.html always calls the filter: disabled, Material keeps its own worker.
        env.filters["casebook_search_worker"] = use_our_worker if self.config.enabled else str
        return env

    def generated(self, config: MkDocsConfig, uri: str, content: str | bytes) -> File:
        file = File.generated(config, uri, content=content)
        if self.dirty and self.written.get(uri) == content:
            file.is_modified = lambda: False  # type: ignore[method-assign]  # unchanged since last build
        return file

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        # Case pages carry contributed HTML: keep only the allowlist (sanitize.py). Validation has
        # already reported anything it removes; if something still goes, say so (fails --strict).
        if not (self.config.enabled and page.file.generated_by and case_id_of(page.file.src_uri)):
            return html
        safe = clean(html)
        gone = removed(html, safe)
        if gone:
            log.warning(f"casebook: {page.file.src_uri}：发布前清理掉了不允许的 HTML（{'、'.join(gone)}）")
        for item in _toc_items(page.toc):  # the TOC is rendered outside the content, from headings
            item.title = clean_text(item.title)
        return safe

    # After Material's search writes its index (priority 0), before the offline plugin inlines
    # it into search_index.js (priority -100).
    @event_priority(-50)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        if self.dirty:
            self.written = self.pending  # only a build that got this far counts as written
        site = Path(config.site_dir)
        path = site / "search" / "search_index.json"
        if path.is_file():
            files = build_search_files(json.loads(path.read_text(encoding="utf-8")), lambda loc: loc.startswith(CASES_DIR))
            shutil.rmtree(site / SEARCH_FOLDER, ignore_errors=True)  # shards of an earlier build (mkdocs serve)
            (site / SEARCH_FOLDER).mkdir(parents=True)
            for name, text in files.items():
                (site / name).write_bytes(text.encode("utf-8"))


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
