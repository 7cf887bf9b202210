"""Helpers for the real-browser tests (tests/test_browser.py): Debian's Chromium via Playwright.

Two flavours of the same built site are driven: "online" (served over http://127.0.0.1 by a
throw-away ThreadingHTTPServer) and "offline" (the `--offline` build opened from file://).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml
from pypinyin import lazy_pinyin
from tools import NO_BROWSER, installed_browser

CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
SEARCH_TIMEOUT_MS = 15_000  # the index loads in a worker (an iframe shim under file://)


def chromium_path() -> str | None:
    """$CHROMIUM (set by `make test` from scripts/tools.py) or a Chromium/Chrome on PATH."""
    return installed_browser()


def missing_chromium_message() -> str:
    return NO_BROWSER


@contextlib.contextmanager
def launched_chromium():
    """Headless Chromium through Playwright; the test fails (never skips) when there is none."""
    path = chromium_path()
    if path is None:
        pytest.fail(missing_chromium_message(), pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# -- the case library's front matter (the expectations come from here, not from the site) ------

def load_cases(library: Path) -> dict[str, dict]:
    """id -> front matter of every published case in `library` (read with PyYAML)."""
    cases = {}
    for path in sorted(library.rglob("*.md")):
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        if not text.startswith("---\n"):
            continue
        front = yaml.safe_load(text.split("---\n", 2)[1])
        if front.get("status", "published") == "published":
            cases[front["id"]] = front
    return cases


def collation_key(title: str) -> list[tuple[int, str]]:
    """The overview's order of titles: Chinese (pinyin), punctuation before letters, as
    `localeCompare(…, "zh-Hans-CN")` gives, with the title's opening quote marks left out."""
    while title and (unicodedata.category(title[0]).startswith("P") or title[0].isspace()):
        title = title[1:]
    return [(0, s) if unicodedata.category(s[0]).startswith("P") else (1, s) for s in lazy_pinyin(title)]


def strip_zwsp(text: str) -> str:
    """Material shows search titles with the index's zero-width-space word breaks."""
    return text.replace("\u200b", "").strip()


def without_query(url: str) -> str:
    """A URL without its ?query and #fragment (search results carry ?h=… highlights)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


# -- the two flavours --------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


class StaticServer:
    """The built site on http://127.0.0.1:<free port>/ from a daemon thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="casebook-site", daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@dataclass(frozen=True)
class Site:
    flavour: str  # "online" | "offline"
    root: Path  # the built folder
    base: str  # URL prefix every request of this flavour must start with

    def url(self, page: str = "") -> str:
        """A page's URL from its source path without .md: "", "overview", "cases/<id>", "browse/".

        A trailing slash names a section's index page (browse/index.md).
        """
        if page.endswith("/") or page in ("", "index"):
            section = page.rstrip("/").removesuffix("index").rstrip("/")
            if self.flavour == "online":
                return self.base + (section + "/" if section else "")
            return self.base + (section + "/" if section else "") + "index.html"
        if self.flavour == "online":
            return self.base + page + "/"
        return self.base + page + ".html"

    def allows(self, url: str) -> bool:
        """Requests may only go to this site: its own origin (online) or its own folder (file://).

        No exception for data: or blob: URLs: Chromium reports none for these pages (Material's
        inline SVG icons are not requests), so one appearing would be news worth a look.
        """
        return url.startswith(self.base)


# -- what a page did on the network and the console ---------------------------------------------

# The pages' Content Security Policy (scripts/casebook/site/csp.py) reports what it refuses as a
# `securitypolicyviolation` event in the document (seen here through a binding) and as a console
# error from Chromium (which also covers frames, e.g. the offline search's hidden iframe).
_CSP_LISTENER = """addEventListener('securitypolicyviolation', e => window.__casebookCspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || '?'} at ${e.sourceFile || document.URL}:${e.lineNumber} (${e.sample})`));"""


def record_csp_violations(page, sink: list[str]) -> None:
    """Append every CSP violation `page` reports (from now on, on every document it loads) to sink."""
    page.expose_binding("__casebookCspViolation", lambda _source, text: sink.append(text))
    page.add_init_script(_CSP_LISTENER)
    page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text and sink.append(f"console: {m.text}"))


@dataclass
class PageLog:
    site: Site
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # Content Security Policy

    def attach(self, page) -> None:
        record_csp_violations(page, self.violations)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: r.status >= 400 and self.bad_status.append(f"{r.status} {r.url}"))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(f"console.{m.type}: {m.text} @ {m.location}"))

    def _failed(self, request) -> None:
        # ERR_ABORTED: cancelled by leaving the page (e.g. the search worker was still loading
        # lunr when the test clicked a link). Anything else (file not found...) is a real failure.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.failed.append(f"{request.url} ({request.failure})")

    def foreign(self) -> list[str]:
        return [u for u in self.requests if not self.site.allows(u)]

    def assert_clean(self) -> None:
        """No request outside the site, no failed or 4xx/5xx request, no CSP violation, no script
        error or warning."""
        assert self.requests, "no request was recorded: the network log is not working"
        assert not self.foreign(), f"requests outside {self.site.base}: {self.foreign()}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.bad_status, f"error responses: {self.bad_status}"
        assert not self.violations, "Content Security Policy violations:\n" + "\n".join(self.violations)
        assert not self.errors, "JavaScript errors/warnings:\n" + "\n".join(self.errors)


def toggle_palette(page) -> str:
    """Click the header's light/dark switch (the visible one of Material's two labels); returns the
    colour scheme the page then shows ("default" or "slate")."""
    before = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("form[data-md-component=palette] label:visible").click()
    page.wait_for_function("s => document.body.getAttribute('data-md-color-scheme') !== s", arg=before)
    return page.locator("body").get_attribute("data-md-color-scheme")


def open_empty_search(page):
    """Focus Material's search box and empty it; returns the box once Material shows its
    placeholder for the empty query, so whatever is read next belongs to the next query."""
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("")
    page.keyboard.press("End")  # Material searches on keyup
    page.wait_for_function("() => !/没有|个/.test(document.querySelector('.md-search-result__meta').textContent)", timeout=SEARCH_TIMEOUT_MS)
    page.wait_for_selector(".md-search-result__item", state="detached", timeout=SEARCH_TIMEOUT_MS)
    return box


def build_and_unzip(run_cli, library: Path, out: Path) -> Path:
    """The offline flavour as a reader gets it: `casebook build --offline --zip`, then unzipped
    somewhere else; returns the unzipped folder that holds index.html."""
    result = run_cli("build", "--cases", library, "--site-dir", out / "build", "--offline", "--zip", out / "dist")
    assert result.returncode == 0, result.stdout + result.stderr
    (archive,) = (out / "dist").glob("*-offline-*.zip")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(out / "unzipped")
    (top,) = (out / "unzipped").iterdir()
    assert (top / "index.html").is_file() and (top / "使用说明.txt").is_file()
    return top
