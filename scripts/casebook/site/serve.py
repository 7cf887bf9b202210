"""`casebook serve`: the site as `casebook build` would make it, served from memory one page at a
time, following the files as they change.

The library is read and validated once (core.library.Memo keeps each file's verdict, so a change
re-reads only that file), assembled once, and MkDocs is set up once (engine.PageSite); a page is
rendered by the build's own code when it is first asked for. A change is handled in two steps:

1. the watcher thread: only the text of cases changed: those cases are read and validated again,
   and their pages rendered from the library's new index, so the open page reloads within a second;
2. the catch-up thread, after every change: the whole library is validated as `casebook validate`
   does and assembled again; only the pages whose Markdown changed are rendered again (listings,
   related cases, statistics). Added, removed or renamed files, docs/ and mkdocs.yml set MkDocs up
   again.

Step 2 takes seconds at 20,000 cases, so it runs in its own thread, and a save made meanwhile is
shown at once by step 1. Both threads need the one interpreter lock: step 2 pauses at the core's
`give_way()` points while the watcher looks at the files or a page is rendered (`Foreground`).
A step 2 that started before a newer step 1 never puts back an older text of the pages that step
showed (`ahead`); the step 2 queued by that newer change brings everything up to date.

Search: the build's search files are made from Material's entries of every page, which only a
render gives. A page the preview renders for a reader gives its entries; the others are rendered by
a child process with MkDocs objects of its own (searchrender.py), so a long page rendered for
search (seconds at 20,000 cases) never keeps a reader's page or a save waiting.

Errors are shown on every page (a banner) and in the terminal; the server keeps running with the
cases that pass. Nothing is written into the library or docs/: MkDocs' site_dir is a scratch
folder it never writes to here.
"""

from __future__ import annotations

import gc
import http.server
import json
import mimetypes
import os
import posixpath
import shutil
import stat
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from ..core.errors import CasebookError
from ..core.library import Memo, judge_again, load_library
from ..core.load import hidden, shown_path
from ..core.model import Finding, Library, shown_in
from ..core.progress import give_way, giving_way
from . import preview
from .generate import Assembly, assemble
from .publish import Pictures, check_library, needs_check
from .search import INDEX_FILE
from .searchrender import SearchRenderer, SearchRenderError

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from .engine import PageSite

SEARCH_DIR = posixpath.dirname(INDEX_FILE) + "/"  # Material's and our search files (site/search.py)
POLL_SECONDS = 0.2  # how often the files are looked at when the file system cannot report changes
FULL_SCAN_SECONDS = 2.0  # with its reports: how often everything is looked at all the same
SETTLE_SECONDS = 0.02  # after a report, for the rest of the same save (an editor writes in parts)
WAIT_SECONDS = 20  # a reload request is answered at the latest after this long
HEAD_START_SECONDS = 0.3  # after step 1 shows a page, step 2 waits this long (the browser fetches it)


def settle(full: bool) -> None:
    """Put what is alive now out of the cyclic garbage collector's reach (gc.freeze). At 20,000
    cases the preview holds millions of objects, and every full collection walked them all, 0.3-0.4 s
    with the GIL held, twice per step 2: a page asked for meanwhile waited that long. Refcounting
    still frees frozen objects; only cycles among them would stay (a few per step 2, measured), so
    `full` (the site was replaced: its old objects are garbage) collects everything first."""
    if full:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


class Foreground:
    """Work a reader waits for (looking at the files, step 1, rendering a requested page): while
    any is under way, or until a moment given by `hold`, step 2 waits at its `give_way()` points."""

    def __init__(self) -> None:
        self.busy, self.until = 0, 0.0
        self.idle = threading.Condition()

    def __enter__(self) -> Foreground:
        with self.idle:
            self.busy += 1
        return self

    def __exit__(self, *exc) -> None:
        with self.idle:
            self.busy -= 1
            self.idle.notify_all()

    def hold(self, seconds: float) -> None:
        with self.idle:
            self.until = max(self.until, time.monotonic() + seconds)

    def wait(self) -> None:
        """Step 2's hook: return once no foreground work is under way."""
        if not self.busy and time.monotonic() >= self.until:  # the usual case: no lock taken
            return
        with self.idle:
            while self.busy or time.monotonic() < self.until:
                self.idle.wait(max(self.until - time.monotonic(), 0.01) if not self.busy else None)


@dataclass(frozen=True)
class Served:
    status: int
    content_type: str
    body: bytes


class Preview:
    """The served site's state. The watcher thread changes it (`update`); request threads read
    it (`get`, `wait`). MkDocs' objects are used under `self.lock` only."""

    def __init__(self, config_file: Path, cases: Path, log: TextIO = sys.stderr, search: bool = True,
                 pictures: Pictures | None = None) -> None:
        from . import engine  # MkDocs

        self.engine = engine
        self.config_file, self.root, self.log = config_file, cases, log
        self.pictures = pictures  # the book's picture check (E424), as validate asks it
        # The search index's pages are rendered by a child process (searchrender.py), which loads
        # the site meanwhile, on the other core.
        self.searcher = SearchRenderer(config_file, cases)
        if search:
            self.searcher.start()
        self.memo = Memo()
        self.lock = threading.Condition()
        self.scratch = Path(tempfile.mkdtemp(prefix="casebook-serve-"))  # MkDocs' site_dir (never written)
        self.generation = 0  # every page changed (MkDocs set up again, an image changed)
        self.site_generation = 0  # MkDocs set up again (the searcher's site follows it)
        self.versions: dict[str, int] = {}  # URL path -> version of that page
        self.cache: dict[str, str] = {}  # URL path -> the page as the build makes it
        self.errors: tuple[Finding, ...] = ()
        try:
            self.validation_config = engine.load(config_file)
            self.snapshot = self.take_snapshot()
            loaded = load_site(config_file, cases, self.memo, self.scratch, self.validation_config, pictures)
        except BaseException:
            self.close()
            raise
        self.library, self.assembly, self.site = loaded.library, loaded.assembly, loaded.site
        self.set_errors(self.library.errors, quiet=False)
        self.search = search and self.site.search_index is not None
        if not self.search:
            self.searcher.close(stop=True)
        # Search: Material's entries of each page, as the build collects them (a page's entries come
        # with every render of it), with the Markdown they were made from (None: a page of docs/).
        self.search_entries: dict[str, tuple[str | None, list[dict]]] = {}
        self.search_version = 0  # counts changes to the pages and their entries
        self.search_files: dict[str, bytes] | None = None  # what /search/ serves (None: not built yet)
        self.search_from = -1  # the search_version they were built from
        self.search_since: float | None = time.monotonic()  # since when the served files are behind
        self.foreground = Foreground()
        self.work = threading.Condition()  # guards the three below: the watcher gives step 2 its work
        self.seq = 0  # changes noticed so far
        self.pending: preview.Change | None = None  # what step 2 has still to catch up with
        self.pending_since = 0.0
        # What step 1 showed, by the number of its change: a step 2 that started earlier keeps it.
        self.ahead: dict[str, tuple[int, str | bytes]] = {}  # URL of a generated file -> content
        self.ahead_errors: dict[str, tuple[int, tuple[Finding, ...]]] = {}  # shown case path -> its errors
        settle(full=True)

    def close(self) -> None:
        self.searcher.close(stop=True)
        if hasattr(self, "scratch"):
            shutil.rmtree(self.scratch, ignore_errors=True)

    # -- reading and validating -------------------------------------------------------------------

    def check(self) -> Library:
        """The library as `casebook validate` judges it (unchanged files' verdicts reused)."""
        return check(self.validation_config, self.root, self.memo, self.pictures)

    def watched_site(self) -> list[str]:
        """The site's own files and folders (absolute): docs/, mkdocs.yml, theme overrides."""
        config = self.validation_config
        watched = [config.docs_dir, self.config_file] + ([config.theme.custom_dir] if config.theme.custom_dir else [])
        return [os.path.realpath(path) for path in watched]

    def take_snapshot(self) -> preview.Snapshot:
        site: dict[str, preview.Stamp] = {}
        for path in map(Path, self.watched_site()):
            if path.exists():
                site.update({f"{path}/{rel}": stamp for rel, stamp in preview.scan(path).items()})
        return preview.Snapshot(preview.scan(self.root), site)

    def restat(self, paths: set[str]) -> preview.Snapshot | None:
        """The last snapshot with only `paths` (absolute) looked at again; None when that cannot
        stand for a scan: a folder, or a path of docs/, mkdocs.yml or the theme's overrides. A path
        through a linked folder is taken as the folder's real path: outside the library, it is not
        part of it (as for scan, which does not follow linked folders)."""
        root = os.path.realpath(self.root) + os.sep
        site = self.watched_site()
        library = dict(self.snapshot.library)
        for path in paths:
            # as the system names it (macOS: /private/var/... for /var/...); the file itself may be a link
            path = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
            if not path.startswith(root):
                if path in site or path.startswith(tuple(f + os.sep for f in site)):
                    return None  # docs/, mkdocs.yml, overrides: rare, the scan decides
                continue  # beside mkdocs.yml, but not part of the site (README.md, an editor's file)
            rel = path[len(root):].replace(os.sep, "/")
            parts = rel.split("/")
            if any(map(hidden, parts)):
                continue  # as scan: hidden files and folders are not part of the library
            try:
                st = os.stat(path)
            except OSError:
                library.pop(rel, None)
                continue
            if stat.S_ISDIR(st.st_mode):
                return None
            library[rel] = (st.st_mtime_ns, st.st_size)
        return preview.Snapshot(library, self.snapshot.site)

    def set_errors(self, errors: tuple[Finding, ...], quiet: bool = True) -> None:
        if errors == self.errors and quiet:
            return
        with self.lock:
            self.errors = errors
            self.generation += 1
            self.lock.notify_all()
        if errors:
            self.say("".join(f.text() + "\n" for f in errors) + f"校验未通过：{len(errors)} 个错误；这些案例在预览中暂不显示。")
        elif quiet:
            self.say("校验通过：错误都已改正。")

    def say(self, text: str) -> None:
        print(text, file=self.log, flush=True)

    # -- following changes ------------------------------------------------------------------------

    def update(self) -> preview.Change:
        """Both steps, one after the other (what the two threads do, for tests)."""
        change = self.notice()
        self.catch_up()
        return change

    def notice(self, paths: set[str] | None = None) -> preview.Change:
        """Look at the files once; show an edited case at once (step 1) and leave the rest to step
        2. Called by the watcher thread only. `paths`: only these files of the library changed, as
        the file system said (stat-ed, not the whole library scanned); None: scan everything."""
        with self.foreground:
            snapshot = self.restat(paths) if paths is not None else None
            snapshot = snapshot or self.take_snapshot()
            change = preview.changes(self.snapshot, snapshot, (c.rel for c in self.library.cases))
            if not change.any:
                return change
            self.snapshot = snapshot
            with self.work:
                self.seq += 1
                seq = self.seq
            if change.only_cases and self.show_edited(change.edited_cases, seq):
                self.foreground.hold(HEAD_START_SECONDS)  # let the open page fetch its new version first
            with self.work:
                if self.pending is None:
                    self.pending, self.pending_since = change, time.monotonic()
                else:
                    self.pending = self.pending.merged(change)
                if self.search_since is None:
                    self.search_since = self.pending_since
                self.work.notify_all()
        return change

    def catch_up(self, wait: float | None = None) -> bool:
        """Step 2 for every change noticed so far (waiting up to `wait` seconds for one; None:
        not at all), then the search files. False: there was nothing to do."""
        with self.work:
            if wait is not None and not self.search_due():
                self.work.wait_for(lambda: self.pending is not None, timeout=wait)
            change, since, started = self.pending, self.pending_since, self.seq
            self.pending = None
        with giving_way(self.foreground.wait):
            if change is not None:
                self.refresh(change, started)
                what = "、".join(change.edited_cases[:3]) or "案例库、页面或配置"
                self.say(f"已更新（{what}）：{time.monotonic() - since:.2f} 秒")
            if not self.search_due():
                return change is not None
            first = self.search_files is None
            if self.index_search() and not self.search_due() and self.search_since is not None:
                seconds, self.search_since = time.monotonic() - self.search_since, None
                self.say(f"搜索可用：启动后 {seconds:.1f} 秒" if first else f"搜索已更新：保存后 {seconds:.1f} 秒")
        return True

    # -- search -----------------------------------------------------------------------------------

    def search_due(self) -> bool:
        """The served search files are not made from the pages as they are now."""
        return self.search and self.search_from != self.search_version

    def entries_current(self, file) -> bool:
        """The page's search entries were made from its present Markdown (under self.lock)."""
        made = self.search_entries.get(file.src_uri)
        return made is not None and made[0] == (file.content_string if file.generated_by else None)

    def index_search(self) -> bool:
        """The search files as `casebook build` makes them: every page whose entries are missing or
        out of date rendered by the searcher (stopping when a change waits for step 2), then the
        build's own function run on Material's entries of all pages, in the build's page order.
        True: the files were built (from the pages as they were when rendering ended). The preview's
        MkDocs objects are not used for this: a page a reader asks for meanwhile is rendered at once."""
        with self.lock:
            site, generation = self.site, self.site_generation
        for n, file in enumerate(site.doc_files):
            give_way()
            if n % 500 == 499:
                settle(full=False)  # the entries stored so far (the first index: minutes at 20,000 cases)
            if self.pending is not None:
                return False  # step 2 first; the pages rendered so far are kept
            with self.lock:
                if self.site is not site:
                    return False
                if self.entries_current(file):
                    continue
                markdown = file.content_string if file.generated_by else None
            try:
                made = self.searcher.entries(generation, file.src_uri, markdown)  # outside the lock
            except SearchRenderError as exc:  # the build would fail on it too: say so once, wait for the next change
                with self.lock:
                    self.search_from = self.search_version
                self.say(f"搜索索引没有更新：生成 {file.src_uri} 时出错（{exc}）；改正后保存，搜索会跟上")
                return False
            if made is None:  # the searcher's files are newer than these: the coming change first
                time.sleep(POLL_SECONDS)
                return False
            entries, warnings = made
            with self.lock:
                if self.site is site and (file.content_string if file.generated_by else None) == markdown \
                        and not self.entries_current(file):
                    self.search_entries[file.src_uri] = (markdown, entries)
                    self.search_version += 1
            for warning in warnings:
                self.say(f"MkDocs 警告（严格构建会失败）：{warning}")
        with self.lock:
            if self.site is not site or not all(self.entries_current(f) for f in site.doc_files):
                return False  # a page changed meanwhile: the next round
            version = self.search_version
            index = {"config": dict(site.search_index.config),
                     "docs": [entry for f in site.doc_files for entry in self.search_entries[f.src_uri][1]]}
        from .plugin import search_files

        built = search_files(index)  # the build's function (seconds at 2,000 cases): outside the lock
        with self.lock:
            self.search_files = {name: text.encode("utf-8") for name, text in built.items()}
            self.search_from = version
        settle(full=False)
        return True

    def render(self, file) -> str:
        """A page as the build writes it (under self.lock); the search entries its render made are kept."""
        html, warnings, entries = self.site.render(file)
        if entries is not None and not self.entries_current(file):  # the same Markdown makes the same entries
            self.search_entries[file.src_uri] = (file.content_string if file.generated_by else None, entries)
            self.search_version += 1
        for warning in warnings:
            self.say(f"MkDocs 警告（严格构建会失败）：{warning}")
        return html

    def show_edited(self, rels: tuple[str, ...], seq: int = 0) -> bool:
        """Step 1: the edited cases' pages, from the library's new index, before everything else.
        False when this cannot be done ahead of step 2 (or there was nothing to show)."""
        library = (judge_again(self.library, [self.root / rel for rel in rels], self.memo)  # 20,000 cases: 0.05 s, not 0.5
                   or load_library(self.root, memo=self.memo))
        by_rel = {c.rel: c for c in library.cases}
        shown_root = shown_path(self.root)
        shown = {shown_in(shown_root, rel) for rel in rels}
        errors = tuple(f for f in library.errors if f.path in shown)
        if errors:  # show them now; step 2 takes the case out of the site
            with self.lock:
                for path in shown:
                    self.ahead_errors[path] = (seq, tuple(f for f in errors if f.path == path))
            kept = {f for f in self.errors if f.path not in shown}
            self.set_errors(tuple(sorted({*kept, *errors}, key=lambda f: (f.path, f.line, f.code, f.message))))
            return True
        cases = [by_rel.get(rel) for rel in rels]
        if any(c is None or needs_check(c.body) for c in cases):
            return False  # rendered to be checked first: step 2 does it as validate does
        assembly = self.assembly
        published = {c.id for c in library.published}
        if published != set(assembly.index.by_id):
            return False  # a draft published or a case withdrawn: listings change, step 2
        pages = assembly.case_pages(library, [c.id for c in cases if c is not None])
        with self.lock:
            self.ahead.update({uri: (seq, text) for uri, text in pages.items()})
        return self.put_pages(pages) > 0

    def refresh(self, change: preview.Change, started: int = 0) -> None:
        """Step 2: the whole library validated and assembled again; MkDocs set up again when the
        site's files are not the same, else only the changed pages rendered again. `started`: the
        number of the last change it covers (what step 1 showed of later ones is kept)."""
        if change.site:  # mkdocs.yml may have changed: validate and assemble with the new one
            self.validation_config = self.engine.load(self.config_file)
        library = self.check()
        assembly = assemble(library, self.engine.site_options(self.validation_config), os.environ)
        self.library = library
        rebuild = (change.site or assembly.uris != self.assembly.uris or assembly.copyright != self.assembly.copyright
                   or assembly.edit_template != self.assembly.edit_template)
        if rebuild:
            site = self.engine.PageSite(self.config_file, passing(library), assembly, self.scratch)
            with self.lock:
                self.site, self.assembly = site, assembly
                self.site_generation += 1
                self.cache.clear()
                self.generation += 1
                newer = self.newer(started)
                # Pages of docs/ (and, with another mkdocs.yml, every page) may render otherwise now;
                # a generated page's entries still hold while its Markdown is the same.
                self.search_entries = {} if change.site else {
                    uri: made for uri, made in self.search_entries.items() if made[0] is not None}
                self.search_version += 1
                self.lock.notify_all()
            self.put_pages(newer)
        else:
            changed = {uri: text for uri, text in assembly.pages.items() if self.current(uri) != text}
            changed.update({uri: data for uri, data in assembly.files.items() if self.current(uri) != data})
            with self.lock:
                self.assembly = assembly
                for uri in self.newer(started):
                    changed.pop(uri, None)
            self.put_pages(changed)
            if set(change.other_files) & set(library.assets):
                with self.lock:  # an image: every page that may show it
                    self.generation += 1
                    self.lock.notify_all()
        with self.lock:
            later = {path: errors for path, (seq, errors) in self.ahead_errors.items() if seq > started}
            self.ahead_errors = {path: (seq, errors) for path, (seq, errors) in self.ahead_errors.items() if seq > started}
        errors = [f for f in library.errors if f.path not in later] + [f for found in later.values() for f in found]
        self.set_errors(tuple(sorted(errors, key=lambda f: (f.path, f.line, f.code, f.message))))
        settle(full=rebuild)

    def newer(self, started: int) -> dict[str, str | bytes]:
        """What step 1 showed of changes after `started` (under self.lock); the rest is forgotten."""
        self.ahead = {uri: (seq, text) for uri, (seq, text) in self.ahead.items() if seq > started}
        return {uri: text for uri, (_, text) in self.ahead.items()}

    def current(self, uri: str) -> str | bytes | None:
        file = self.site.files.get_file_from_path(uri)
        if file is None or file.generated_by is None:
            return None
        with self.lock:
            return file.content_string if uri.endswith(".md") else file.content_bytes

    def put_pages(self, contents: dict[str, str | bytes]) -> int:
        """New content for generated files; the number of them the site has."""
        done = 0
        with self.lock:
            for uri, content in contents.items():
                path = self.site.set_content(uri, content)
                if path is not None:
                    done += 1
                    self.cache.pop(path, None)
                    self.versions[path] = self.versions.get(path, 0) + 1
            if done:
                self.search_version += 1
            self.lock.notify_all()
        return done

    # -- serving ----------------------------------------------------------------------------------

    def key(self, path: str) -> str:
        """The URL path of the page served at `path` (`cases/x` and `cases/x/` are one page)."""
        file = self.site.find(path)
        return self.site.path_of(file) if file is not None else path

    def token(self, path: str) -> str:
        """Which version of the page at `path` is current."""
        key = self.key(path)
        return f"{self.generation}.{self.versions.get(key, 0)}"

    def get(self, path: str) -> Served:
        """The response for a URL path (no leading /)."""
        with self.lock:
            if path.startswith(SEARCH_DIR) and self.search_files is not None and path in self.search_files:
                kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return Served(200, kind + ("; charset=utf-8" if kind.startswith("text/") else ""), self.search_files[path])
            file = self.site.find(path)
            if file is not None and file.page is not None:
                key = self.site.path_of(file)
                html = self.cache.get(key)
                if html is None:
                    with self.foreground:
                        html = self.cache[key] = self.render(file)
                body = preview.inject(html, self.token(key), self.errors)
                return Served(200, "text/html; charset=utf-8", body.encode("utf-8", errors="xmlcharrefreplace"))
            if file is not None:
                data = file.content_bytes if file.generated_by else Path(file.abs_src_path).read_bytes()
                kind = mimetypes.guess_type(file.dest_uri)[0] or "application/octet-stream"
                return Served(200, kind + ("; charset=utf-8" if kind.startswith("text/") else ""), data)
            html = self.site.render_template("404.html")
            return Served(404, "text/html; charset=utf-8", preview.inject(html, self.token(path), self.errors).encode("utf-8"))

    def wait(self, path: str, token: str, seconds: float = WAIT_SECONDS) -> str:
        """The page's token once it differs from `token` (or after `seconds`)."""
        with self.lock:
            self.lock.wait_for(lambda: self.token(path) != token, timeout=seconds)
            return self.token(path)


@dataclass(frozen=True)
class Loaded:
    library: Library  # as `casebook validate` judges it
    assembly: Assembly  # of the whole library (failed cases are not in it)
    site: PageSite  # of the cases that pass


def check(config: MkDocsConfig, root: Path, memo: Memo, pictures: Pictures | None = None) -> Library:
    """The library as `casebook validate` judges it (unchanged files' verdicts kept in `memo`;
    `pictures`: see publish.check_library)."""
    from . import engine

    return check_library(root, lambda library: engine.page_context(config, library), memo=memo, pictures=pictures)


def load_site(config_file: Path, root: Path, memo: Memo, scratch: Path, config: MkDocsConfig | None = None,
              pictures: Pictures | None = None) -> Loaded:
    """The preview's site from the files: the library checked, assembled, and MkDocs set up over
    the cases that pass (`scratch`: MkDocs' site_dir, never written). The preview and its searcher
    (searchrender.py) both start from this."""
    from . import engine

    config = config or engine.load(config_file)
    library = check(config, root, memo, pictures)
    assembly = assemble(library, engine.site_options(config), os.environ)
    return Loaded(library, assembly, engine.PageSite(config_file, passing(library), assembly, scratch))


def passing(library: Library) -> Library:
    """The cases that pass, as the site shows them while others have errors (which the banner
    and the terminal show): the library without its errors, the failed cases being left out of
    it already (core.library)."""
    return replace(library, findings=library.warnings)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a waiting page does not keep the process alive
    preview: Preview | None = None  # set once the library is loaded (the port is taken first)


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    @property
    def preview(self) -> Preview:
        assert self.server.preview is not None
        return self.server.preview

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.server.preview is None:
            return self.send(Served(503, "text/plain; charset=utf-8", "正在载入案例库，请稍候刷新。".encode()))
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path.startswith(preview.PREFIX):
            name = path[len(preview.PREFIX):]
            if name == "reload.js":
                return self.send(Served(200, "text/javascript; charset=utf-8", preview.RELOAD_JS.encode()))
            if name == "preview.css":
                return self.send(Served(200, "text/css; charset=utf-8", preview.PREVIEW_CSS.encode()))
            if name == "wait":
                query = parse_qs(parts.query)
                page = query.get("path", ["/"])[0].lstrip("/")
                token = self.preview.wait(unquote(page), query.get("token", [""])[0])
                return self.send(Served(200, "application/json", json.dumps({"token": token}).encode()))
        try:
            self.send(self.preview.get(path.lstrip("/")))
        except OSError:
            self.send(Served(404, "text/plain; charset=utf-8", "not found".encode()))

    def send(self, served: Served) -> None:
        self.send_response(served.status)
        self.send_header("Content-Type", served.content_type)
        self.send_header("Content-Length", str(len(served.body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(served.body)
        except (BrokenPipeError, ConnectionResetError):  # the browser moved on
            pass

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def watch(state: Preview, stop: threading.Event) -> None:
    """The watcher (step 1) in this thread, step 2 in another (see the module's docstring)."""
    threading.Thread(target=_guarded, args=(state, stop, lambda: state.catch_up(wait=POLL_SECONDS)),
                     name="casebook-catch-up", daemon=True).start()
    events = Events.start(state)
    if events is None:
        _guarded(state, stop, state.notice, POLL_SECONDS)
        return
    try:
        _guarded(state, stop, lambda: state.notice(events.take(FULL_SCAN_SECONDS)))
    finally:
        events.stop()


class Events:
    """What the file system reports (watchdog: inotify on Linux), so that a save is seen at once
    and the library is not scanned five times a second: at 20,000 files a scan took 0.09 s, and
    up to 1.4 s while step 2 held the interpreter lock, which a save then waited for. A report is
    only a hint: the files it names are stat-ed (Preview.restat), anything else about a file of
    the library (a folder, a lost event) makes a full scan, and a full scan runs every
    FULL_SCAN_SECONDS anyway."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.full = False
        self.ready = threading.Condition()
        self.observer = None

    @classmethod
    def start(cls, state: Preview) -> Events | None:
        """Watching the library, docs/, mkdocs.yml and overrides; None (the preview polls, as before)
        when the system cannot (inotify's limit reached, say)."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        events = cls()

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                events.add(event)

        docs, config_file, *overrides = state.watched_site()
        folders = [os.path.realpath(state.root), docs, *overrides]
        observer = Observer()
        try:
            for folder in folders:
                if os.path.isdir(folder):
                    observer.schedule(Handler(), folder, recursive=True)
            # mkdocs.yml's folder, not recursive: it may be the whole repository
            observer.schedule(Handler(), os.path.dirname(config_file), recursive=False)
            observer.daemon = True
            observer.start()
        except OSError as exc:
            state.say(f"casebook serve: 无法监听文件变化（{exc}）；改为每 {POLL_SECONDS} 秒查看一次文件")
            return None
        events.observer = observer
        return events

    def add(self, event) -> None:
        kind = event.event_type
        if kind in ("opened", "closed_no_write", "attrib") or (event.is_directory and kind == "modified"):
            return  # reads (the preview's own), and a folder's "modified" that its files' events explain
        with self.ready:
            if event.is_directory or kind not in ("modified", "closed", "created", "deleted", "moved"):
                self.full = True  # a folder added, removed or moved; events lost
            else:
                self.paths.add(os.fsdecode(event.src_path))
                if kind == "moved":
                    self.paths.add(os.fsdecode(event.dest_path))
            self.ready.notify_all()

    def take(self, timeout: float) -> set[str] | None:
        """The files reported since the last call (after the first report, a moment for the rest of
        the same save); None: scan everything (nothing was reported within `timeout`, or a report
        was not about single files)."""
        with self.ready:
            if not self.ready.wait_for(lambda: self.paths or self.full, timeout=timeout):
                return None
        time.sleep(SETTLE_SECONDS)
        with self.ready:
            paths, full = self.paths, self.full
            self.paths, self.full = set(), False
        return None if full else paths

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()


def _guarded(state: Preview, stop: threading.Event, step, pause: float = 0) -> None:
    while not stop.wait(pause):
        try:
            step()
        except CasebookError as exc:  # mkdocs.yml broken, say: the preview keeps the last good site
            state.say(f"casebook serve: {exc}；改正后保存，预览会跟上")
        except Exception as exc:  # a bug must not stop the preview silently: say it, keep watching
            state.say(f"casebook serve: 更新失败（{type(exc).__name__}: {exc}）；保存文件后再试")


def make_server(host: str, port: int) -> Server:
    """The preview's server on host:port (port 0: any free one); OSError when it cannot listen."""
    return Server((host, port), Handler)
