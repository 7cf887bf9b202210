"""Pages rendered for `casebook serve`'s search in a process of their own.

The preview's search index needs Material's entries of every page, and those come only from
rendering the page. Rendered with the preview's own MkDocs objects, a long page (the overview of
20,000 cases: about 4 s) would keep a reader's page waiting, since those objects serve one render
at a time. A second set of them cannot live in the same process (MkDocs keeps one instance of each
plugin that has on_startup, Material's search and ours among them), so they live here: a child
process that loads the site from the files as the preview does (`serve.load_site`) and renders
the pages the preview names, from the Markdown the preview sends, on the other core, at a lower
priority than the preview.

The child answers one page at a time: (its entries, MkDocs' warnings), `None` when its site has no
such page (its files are newer than the preview's: the preview's next change brings it along), or
an error's text. A request carries the preview's site generation: when it is not the child's, the
child loads the site from the files again first (the set of pages, docs/ or mkdocs.yml changed).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from ..core.errors import CasebookError

Entries = tuple[list[dict], tuple[str, ...]]  # a page's search entries, MkDocs' warnings


class SearchRenderError(Exception):
    """The child could not render the page (its text says why) or has gone."""


class SearchRenderer:
    """The preview's end: starts the child, asks it for pages. One request at a time (the preview's
    catch-up thread is the only caller)."""

    def __init__(self, config_file: Path, root: Path) -> None:
        self.config_file, self.root = config_file, root
        self.process: multiprocessing.Process | None = None
        self.conn = None
        self.closing = threading.Lock()  # the catch-up thread (a dead child) and the preview's end both close
        self.stopped = False  # the preview has ended: no new child, no answers
        self.asking = False  # a request is waiting for the child's answer

    def start(self) -> None:
        # spawn, not fork: the preview has threads, and a forked copy of their locks can hang.
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(theirs, self.config_file, self.root),
                                       name="casebook-search", daemon=True)
        self.process.start()
        theirs.close()
        self.conn = ours

    def entries(self, generation: int, uri: str, markdown: str | None) -> Entries | None:
        """Material's entries of the page `uri` rendered from `markdown` (None: a page of docs/,
        read from its file) in the site of `generation`; None when the child has no such page."""
        with self.closing:
            stopped = self.stopped
            if not stopped:
                if self.conn is None:
                    self.start()
                conn, self.asking = self.conn, True
        if stopped:
            self.close()  # what a close during an earlier request left (a killed child, the pipe)
            return None
        try:
            conn.send((generation, uri, markdown))
            kind, *answer = conn.recv()
        except (EOFError, OSError) as exc:  # the child died (killed, out of memory): a new one next time
            with self.closing:
                self.asking = False
            self.close()
            if self.stopped:  # the preview ended meanwhile and closed the pipe: nothing went wrong
                return None
            raise SearchRenderError(f"搜索进程意外退出（{type(exc).__name__}）") from None
        with self.closing:
            self.asking = False
        if kind == "error":
            raise SearchRenderError(answer[0])
        return None if kind == "missing" else (answer[0], tuple(answer[1]))

    def close(self, stop: bool = False) -> None:
        """The child ended (a new one starts on the next request); `stop`: for good (the preview ends)."""
        with self.closing:
            self.stopped = self.stopped or stop
            if self.asking:  # another thread waits for the child's answer: it closes the pipe on the end
                if self.process is not None:
                    self.process.kill()
                return
            conn, process = self.conn, self.process
            self.conn = self.process = None
        if conn is not None:
            try:
                conn.send(None)
            except OSError:
                pass
            conn.close()
        if process is not None:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()


def serve(conn, config_file: Path, root: Path) -> None:
    """The child: answer requests until the preview closes the pipe (or sends None)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the preview's to handle
    try:
        os.nice(10)  # pages a reader waits for (the preview's) come first
    except (AttributeError, OSError):
        pass
    scratch = Path(tempfile.mkdtemp(prefix="casebook-search-"))  # MkDocs' site_dir (never written)
    try:
        _answer(conn, config_file, root, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _answer(conn, config_file: Path, root: Path, scratch: Path) -> None:
    from ..core.library import Memo
    from .serve import load_site

    memo, site, built = Memo(), None, None
    try:  # at once, so that the first request finds it ready (the preview loads its own meanwhile)
        site, built = load_site(config_file, root, memo, scratch).site, 0
    except Exception:  # said when a request needs it (loaded again then)
        pass
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        generation, uri, markdown = request
        try:
            if site is None or built != generation:
                site, built = None, None
                site = load_site(config_file, root, memo, scratch).site
                built = generation
            file = site.files.get_file_from_path(uri)
            if file is None or file.page is None or (markdown is not None) != bool(file.generated_by):
                conn.send(("missing",))
                continue
            if markdown is not None:
                site.set_content(uri, markdown)
            _, warnings, entries = site.render(file)
            conn.send(("entries", entries or [], list(warnings)))
        except CasebookError as exc:  # mkdocs.yml broken, say
            conn.send(("error", str(exc)))
        except Exception as exc:  # the build would fail on this page too: the preview says so
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
