"""Search in headless Chromium for `make bench` (scripts/bench.py): recall, speed, memory.

For a built site, over http://127.0.0.1 (online) or file:// (the offline build):

- recall: for body words in ~1%, ~10% and ~50% of the cases, the cases the search box lists
  against the cases whose body was written with the word, and against the cases whose file
  contains its characters anywhere (the list Material is handed, read from the
  worker's result message: Material renders it 10 at a time and shows counts over 999 as
  "1.2k", so the page itself cannot be counted exactly at this size);
- first result: typing right after the page's load event, to the first result on screen;
- later queries: typing to results on screen, once the index is loaded (median and worst);
- memory: proportional set size (PSS) of all Chromium processes, after the page's load and
  after the queries.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import statistics
import threading
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BANDS = {"1%": 0.01, "10%": 0.10, "50%": 0.50}
WORDS_PER_BAND = 3

# Keeps the items of the last result message from the search worker (a real Worker, or the
# iframe-worker shim under file://): Material listens with addEventListener("message").
RECORD_RESULTS = """(() => {
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (type === "message" && typeof this.postMessage === "function" && typeof this.terminate === "function") {
      add.call(this, type, event => {
        if (event.data && event.data.type === 3) window.__results = event.data.data.items.map(group => group[0].location);
      }, options);
    }
    return add.call(this, type, listener, options);
  };
})();"""

# Types `query` into Material's search box as a keyup does; resolves with the milliseconds until
# the result list (or "没有找到") is on screen.
TYPE_AND_WAIT = """query => new Promise(resolve => {
  const input = document.querySelector('input.md-search__input');
  const meta = document.querySelector('.md-search-result__meta');
  const list = document.querySelector('.md-search-result__list');
  const start = performance.now();
  const done = () => list.querySelector('li.md-search-result__item') || /没有/.test(meta.textContent);
  new MutationObserver((_, observer) => {
    if (done()) { observer.disconnect(); resolve(performance.now() - start); }
  }).observe(document.querySelector('.md-search-result'), {childList: true, subtree: true, characterData: true});
  input.focus();
  input.value = query;
  input.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true, key: 'End'}));
})"""
CLEAR = """() => new Promise(resolve => {
  const input = document.querySelector('input.md-search__input');
  input.value = '';
  input.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true, key: 'End'}));
  const meta = document.querySelector('.md-search-result__meta');
  const check = () => (!/没有|个/.test(meta.textContent) && !document.querySelector('.md-search-result__item')) ? resolve() : setTimeout(check, 5);
  check();
})"""


def band_words(lib: Path, drawn: dict[str, set[str]], exclude: str) -> dict[str, list[tuple[str, set[str], set[str]]]]:
    """Per band, WORDS_PER_BAND words the bodies were written with (`drawn`: case id -> words)
    whose share of cases is nearest to the band's, none of them in titles, tags or other
    metadata (`exclude`). Each comes with the ids of the cases written with it and of the cases
    whose file contains its characters at all (more: 统一 + 小组 also contains 一小)."""
    texts = {re.search(r"^id: (\S+)", t, re.M).group(1): t for t in (p.read_text(encoding="utf-8") for p in sorted(lib.glob("*.md")))}
    cases_with: dict[str, set[str]] = {}
    for case, words in drawn.items():
        for w in words:
            cases_with.setdefault(w, set()).add(case)
    candidates = sorted(w for w in cases_with if len(w) >= 2 and w not in exclude)
    out = {}
    for band, target in BANDS.items():
        nearest = sorted(candidates, key=lambda w: (abs(len(cases_with[w]) / len(drawn) - target), w))[:WORDS_PER_BAND]
        out[band] = [(w, cases_with[w], {i for i, t in texts.items() if w in t}) for w in nearest]
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def chromium_pss_mb() -> float:
    """PSS of every Chromium process started from this one (Playwright's driver starts them)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue

    def ours(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    total = 0
    for pid in parents:
        try:
            if "chrom" in Path(f"/proc/{pid}/comm").read_text() and ours(pid):
                total += int(re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M).group(1))
        except (OSError, AttributeError):
            continue
    return total / 1024


def url_of(server_base: str | None, root: Path) -> str:
    return server_base if server_base else (root / "index.html").resolve().as_uri()


def measure_search(root: Path, flavour: str, words: dict[str, list[tuple[str, set[str], set[str]]]]) -> dict:
    """Search figures for the site in `root` ("online": served over http; "offline": file://)."""
    from playwright.sync_api import sync_playwright

    server = None
    if flavour == "online":
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/" if server else None
    out: dict = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.add_init_script(RECORD_RESULTS)
            page.goto(url_of(base, root), wait_until="load")
            out["pss_before_mb"] = chromium_pss_mb()  # the page as loaded, search not opened yet
            first_word = words["10%"][0][0]
            out["first_ms"] = page.evaluate(TYPE_AND_WAIT, first_word)
            times = []
            for band, entries in words.items():
                totals = [0, 0, 0, 0]  # found/written with, found/containing
                for word, written, literal in entries:
                    page.evaluate(CLEAR)
                    times.append(page.evaluate(TYPE_AND_WAIT, word))
                    locations = page.evaluate("window.__results")
                    found = {loc.split("/")[1].removesuffix(".html") for loc in locations if loc.startswith("cases/")}
                    shown = page.locator(".md-search-result__meta").inner_text()
                    if len(locations) < 1000:  # Material's own count, when it is exact
                        assert re.search(rf"\b{len(locations)}\b", shown), (word, len(locations), shown)
                    totals = [totals[0] + len(found & written), totals[1] + len(written),
                              totals[2] + len(found & literal), totals[3] + len(literal)]
                out[f"recall_{band}"], out[f"literal_{band}"] = totals[:2], totals[2:]
            out["later_median_ms"] = statistics.median(times)
            out["later_max_ms"] = max(times)
            out["pss_mb"] = chromium_pss_mb()
            browser.close()
    finally:
        if server:
            server.shutdown()
            server.server_close()
    return out
