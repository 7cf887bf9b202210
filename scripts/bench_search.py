"""Search in headless Chromium for `make bench` (scripts/bench.py): ours and Pagefind's.

For a built site, over http://127.0.0.1 (online) or file:// (the offline build), with raw
substrings of 1-6 Chinese characters cut at random out of random cases' visible text:

- recall and precision against brute force over what the reader sees (`visible_texts`: the
  article text of every built page in the index), counted over case pages; the result lists are
  read from the worker's message (Material renders 10 at a time and shows counts over 999 as
  "1.2k", so the page itself cannot be counted exactly at this size);
- bytes from page load to the first result on screen, sized as a gzip server sends them;
- first result: typing right after the page's load event, to the first result on screen;
  later queries: typing to results on screen (median and worst);
- the search worker's JS heap (CDP Runtime.getHeapUsage).

Pagefind (`pagefind[extended]` from the lock) indexes the same built site and answers the same
queries through its JavaScript API, from the same home page over http.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
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


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


# -- substring (Ctrl+F) recall, bytes, times and heap: ours and Pagefind, side by side ----------------

BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "dl", "dt", "dd", "table",
          "thead", "tbody", "tr", "td", "th", "pre", "br", "hr", "nav", "section", "figure", "figcaption", "details", "summary"}
VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "embed", "track", "param", "base"}


# What render.py marks data-search-exclude (Material's search plugin strips the attribute from the
# page after reading it): the 待补充 notice, and related cases with the edit link (other cases'
# titles are not this case's text).
EXCLUDED_CLASSES = {"cb-incomplete", "cb-related"}


class ArticleText(HTMLParser):
    """The text of a built page's article as the reader sees it: block edges are breaks, the parts
    marked data-search-exclude (EXCLUDED_CLASSES) left out. The oracle of the search tests and of
    this benchmark (tests/test_search_recall.py)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside <article class="md-content__inner">
        self.skip = 0   # inside an excluded element
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag in BLOCKS and self.depth:
                self.parts.append("\n")
            return
        attrs = dict(attrs)
        if tag == "article" and "md-content__inner" in (attrs.get("class") or ""):
            self.depth = 1
            return
        if self.depth:
            self.depth += 1
            excluded = "data-search-exclude" in attrs or EXCLUDED_CLASSES & set((attrs.get("class") or "").split())
            if self.skip or excluded or tag in ("script", "style", "svg"):
                self.skip += 1
            if tag in BLOCKS:
                self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in VOID or not self.depth:
            return
        self.depth -= 1
        if self.skip:
            self.skip -= 1
        if tag in BLOCKS and self.depth:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def page_file(root: Path, location: str) -> Path:
    return root / location / "index.html" if location.endswith("/") or not location else root / location


def indexed_locations(root: Path) -> list[str]:
    """The pages of our search index, in page order (from its preview files)."""
    from casebook.site.search import FOLDER, read_script

    config = json.loads((root / "search" / "search_index.json").read_text("utf-8"))["config"]["casebook"]
    out = []
    for n in range((config["pages"] + config["group"] - 1) // config["group"]):
        out += [row[0] for row in read_script((root / FOLDER / f"r{n}.js").read_text("utf-8"))]
    return out


def visible_texts(root: Path) -> dict[str, str]:
    """location -> folded visible text of every page in the search index, from the built HTML."""
    from casebook.site.search import fold

    out = {}
    for location in indexed_locations(root):
        page = page_file(root, location).read_text("utf-8")
        start = page.find('<article class="md-content__inner')
        parser = ArticleText()
        parser.feed(page[start:page.find("</article>", start) + len("</article>")])  # the rest is the theme's
        out[location] = fold("".join(parser.parts))
    return out


HAN = re.compile(r"[\u4e00-\u9fff]+")


def substring_queries(texts: dict[str, str], per_length: int = 8, seed: int = 3) -> list[str]:
    """Raw substrings of 1-6 Chinese characters cut at random places out of random cases' visible
    text (so most cross jieba's words), `per_length` of each length; deterministic."""
    rng = random.Random(seed)
    cases = sorted(loc for loc in texts if loc.startswith("cases/"))
    out: list[str] = []
    for length in range(1, 7):
        while len(out) < length * per_length:
            runs = [r for r in HAN.findall(texts[rng.choice(cases)]) if len(r) >= length]
            if runs:
                run = rng.choice(runs)
                start = rng.randrange(len(run) - length + 1)
                if run[start:start + length] not in out:
                    out.append(run[start:start + length])
    return out


RECORD_PAGES = """(() => {
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (type === "message" && typeof this.postMessage === "function" && typeof this.terminate === "function") {
      add.call(this, type, event => {
        if (event.data && event.data.type === 3) window.__pages = event.data.data.items.map((group, i) =>
          group[0].location || "#" + event.data.data.casebook.pages[i]);
      }, options);
    }
    return add.call(this, type, listener, options);
  };
})();"""


def served_bytes(root: Path, base: str, urls: list[str]) -> int:
    """What a server that compresses (gzip level 6, as nginx and GitHub Pages do) sends for
    `urls`; files that are gzip already (Pagefind's) as they are."""
    total = 0
    for url in urls:
        path = page_file(root, url.split("?", 1)[0].split("#", 1)[0][len(base):])
        if path.is_dir():
            path = path / "index.html"
        if path.is_file():
            data = path.read_bytes()
            total += len(data) if data[:2] == b"\x1f\x8b" else len(gzip.compress(data, 6))
    return total


def worker_heap_mb(browser, page, flavour: str) -> float:
    """JS heap used by the search worker (its own isolate over http; under file:// the shim runs it
    in an iframe of the page, so the page's heap, which includes it)."""
    if flavour == "offline":
        return page.context.new_cdp_session(page).send("Runtime.getHeapUsage")["usedSize"] / 2**20
    session = browser.new_browser_cdp_session()
    targets = [t for t in session.send("Target.getTargets")["targetInfos"] if t["type"] == "worker" and "search-worker" in t["url"]]
    replies: list[str] = []
    session.on("Target.receivedMessageFromTarget", lambda e: replies.append(e["message"]))
    sid = session.send("Target.attachToTarget", {"targetId": targets[0]["targetId"], "flatten": False})["sessionId"]
    session.send("Target.sendMessageToTarget", {"sessionId": sid, "message": json.dumps({"id": 1, "method": "Runtime.getHeapUsage"})})
    for _ in range(100):
        found = [json.loads(r) for r in replies if '"id":1' in r]
        if found:
            return found[0]["result"]["usedSize"] / 2**20
        page.wait_for_timeout(50)
    return float("nan")


def score(found: set[str], expected: set[str]) -> tuple[int, int, int]:
    """(true results, expected, results) over case pages only."""
    found = {f for f in found if f.startswith("cases/")}
    expected = {e for e in expected if e.startswith("cases/")}
    return len(found & expected), len(expected), len(found)


@contextlib.contextmanager
def chromium_on(site: Path, served: bool):
    """Chromium on the built site, over http (a quiet server on a free port) or from file://.
    Yields (browser, a new page, the site's base URL, the URL of every response so far)."""
    from playwright.sync_api import sync_playwright

    server = None
    if served:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/" if server else site.as_uri() + "/"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
            context = browser.new_context()
            seen: list[str] = []
            context.on("response", lambda r: seen.append(r.url))
            yield browser, context.new_page(), base, seen
            browser.close()
    finally:
        if server:
            server.shutdown()
            server.server_close()


class Tally:
    """Recall and precision of result lists against the pages whose visible text holds the query:
    in all and per query length."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts, self.totals, self.by_length = texts, [0, 0, 0], {}

    def add(self, query: str, found: set[str]) -> None:
        hit = score(found, {loc for loc, text in self.texts.items() if query in text})
        self.totals = [a + b for a, b in zip(self.totals, hit, strict=True)]
        row = self.by_length.setdefault(len(query), [0, 0, 0])
        self.by_length[len(query)] = [a + b for a, b in zip(row, hit, strict=True)]


def measure_substrings(root: Path, flavour: str, texts: dict[str, str], queries: list[str]) -> dict:
    """Our search in Chromium: bytes from page load to the first result (gzip), first and later
    query times, worker heap, and recall/precision of every query against the visible text."""
    locations = indexed_locations(root)
    out: dict = {"queries": len(queries)}
    with chromium_on(root, served=flavour == "online") as (browser, page, base, seen):
        page.add_init_script(RECORD_PAGES)
        page.goto(base if flavour == "online" else base + "index.html", wait_until="load")
        out["first_ms"] = page.evaluate(TYPE_AND_WAIT, queries[len(queries) // 2])
        out["first_urls"] = len(seen)
        out["first_bytes"] = served_bytes(root, base, seen)
        out["first_search_bytes"] = served_bytes(root, base, [u for u in seen if "/search/" in u or "search-worker" in u])
        times, tally = [], Tally(texts)
        for query in queries:
            page.evaluate(CLEAR)
            times.append(page.evaluate(TYPE_AND_WAIT, query))
            pages = page.evaluate("window.__pages")
            tally.add(query, {locations[int(p[1:])] if p.startswith("#") else p for p in pages})
        out["recall"], out["by_length"] = tally.totals, tally.by_length
        out["later_median_ms"], out["later_max_ms"] = statistics.median(times), max(times)
        out["heap_mb"] = worker_heap_mb(browser, page, flavour)
        out["all_urls"], out["all_bytes"] = len(seen), served_bytes(root, base, seen)
    return out


PAGEFIND_QUERY = """async ([query, shown]) => {
  const start = performance.now();
  const pagefind = window.__pagefind || (window.__pagefind = await import("/pagefind/pagefind.js"));
  const search = await pagefind.search(query);
  await Promise.all(search.results.slice(0, shown).map(r => r.data()));
  return {ms: performance.now() - start, ids: search.results.map(r => r.id)};
}"""


def pagefind_index(site: Path) -> dict:
    """Pagefind (the lock's pagefind[extended]) over the same built site, as the notes say:
    the article only, without what our pages exclude from search, Chinese segmentation."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--root-selector", "article.md-content__inner",
                    "--exclude-selectors", "[data-search-exclude]", "--force-language", "zh", "--quiet"], check=True)
    folder = site / "pagefind"
    urls = {}
    for fragment in (folder / "fragment").glob("*.pf_fragment"):
        raw = gzip.decompress(fragment.read_bytes())  # "pagefind_dcd" then JSON
        urls[fragment.name.removesuffix(".pf_fragment")] = json.loads(raw[raw.index(b"{"):])["url"].lstrip("/")
    return {"seconds": time.perf_counter() - start, "bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()),
            "files": sum(1 for p in folder.rglob("*") if p.is_file()), "urls": urls}


def measure_pagefind(site: Path, texts: dict[str, str], queries: list[str], urls: dict[str, str]) -> dict:
    """Pagefind's JavaScript API on our home page over http: bytes and time to its first 10
    results of the first query, later queries, and the recall of its full result lists."""
    out: dict = {"queries": len(queries)}
    with chromium_on(site, served=True) as (_browser, page, base, seen):
        page.goto(base, wait_until="load")
        first = page.evaluate(PAGEFIND_QUERY, [queries[len(queries) // 2], 10])
        out["first_ms"], out["first_urls"] = first["ms"], len(seen)
        out["first_bytes"] = served_bytes(site, base, seen)
        out["first_search_bytes"] = served_bytes(site, base, [u for u in seen if "/pagefind/" in u])
        times, tally = [], Tally(texts)
        for query in queries:
            answer = page.evaluate(PAGEFIND_QUERY, [query, 10])
            times.append(answer["ms"])
            tally.add(query, {urls.get(i, "?") for i in answer["ids"]})
        out["recall"], out["by_length"] = tally.totals, tally.by_length
        out["later_median_ms"], out["later_max_ms"] = statistics.median(times), max(times)
    return out


def design_figures(root: Path, texts: dict[str, str], queries: list[str]) -> dict:
    """Why pairs with positions: for the queries of 3-6 characters, what two alternatives would
    return or download, worked out on our own built index (search.Index, the worker's algorithm
    in Python). Pairs without positions: the pages holding every pair of the query. Pairs plus a
    check against the text: those pages' visible text (gzip) on top of their pair lists."""
    from casebook.site import search

    files = {p.relative_to(root).as_posix(): p.read_text("utf-8") for p in (root / "search").rglob("*")
             if p.suffix in (".js", ".json") and p.name != "search_index.js"}
    index = search.Index(files)
    locations = indexed_locations(root)
    shard_gzip: dict[str, int] = {}

    def gz(name: str) -> int:
        if name not in shard_gzip:
            shard_gzip[name] = len(gzip.compress(files[f"{search.FOLDER}/{name}.js"].encode("utf-8"), 6))
        return shard_gzip[name]

    text_gzip = {loc: len(gzip.compress(text.encode("utf-8"), 6)) for loc, text in texts.items()}
    out = {"queries": 0, "exact": 0, "pairs_only": 0, "positions_bytes": 0, "text_check_bytes": 0}
    for query in queries:
        if len(query) < 3:
            continue
        index.loaded.clear()
        exact = index.search(query)
        positions = sum(map(gz, index.loaded))
        index.loaded.clear()
        pages = None
        for i in range(len(query) - 1):
            found = set(index.term(query[i:i + 2]))
            pages = found if pages is None else pages & found
        lists = sum(map(gz, index.loaded))
        out["queries"] += 1
        out["exact"] += len(exact)
        out["pairs_only"] += len(pages or ())
        out["positions_bytes"] += positions
        out["text_check_bytes"] += lists + sum(text_gzip[locations[p]] for p in pages or ())
    return out
