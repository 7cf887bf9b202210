"""Search in a real browser, on a generated library: Ctrl+F recall and precision, ranking,
multi-term queries, the word fallback, and the bytes a first query downloads.

300 cases (about 10 s to build per flavour), over http://127.0.0.1 and from the offline zip
(file://). The oracle is brute force over what the reader sees: the text of every indexed page's
built HTML (`visible_texts`), not the index. Words planted in ~1%, ~10% and ~50% of the cases'
bodies, a string that crosses two words, one character, a Latin word and a number must bring up
exactly the pages that contain them, with Material's result count. The 2,000 / 5,000 / 20,000-case
figures are in `make bench` (scripts/bench.py, docs/guide/performance.md).
"""

from __future__ import annotations

import gzip
import html
import random
import re
from pathlib import Path

import pytest

from browser_support import SEARCH_TIMEOUT_MS, VIEWPORT, PageLog, Site, StaticServer, build_and_unzip, open_empty_search, without_query
from conftest import REPO, VALID

from bench_search import visible_texts
from casebook.site import search

pytestmark = pytest.mark.browser

CASES = 300
RARE, SOME, HALF = "鲲鹏", "麒麟", "凤凰"  # in 1%, 10%, 50% of the cases
PLANTED = {RARE: lambda i: i % 100 == 7, SOME: lambda i: i % 10 == 7, HALF: lambda i: i % 4 < 2}
SHARE = {RARE: 0.01, SOME: 0.1, HALF: 0.5}
RANKED = "示范岗"  # in one case's title, one's tags, one's summary, one's body
LATIN = {"Party Building": lambda i: i % 7 == 3, "PARTYISM": lambda i: i % 11 == 5}  # "party" in both
# Filler: common words with none of the planted words' characters, joined without spaces as
# Chinese is written (jieba segments them at build time).
FILLER = ("组织 开展 活动 党员 群众 服务 企业 发展 工作 推动 建设 学习 教育 经验 做法 队伍 阵地 "
          "制度 机制 创新 品牌 引领 带动 职工 社区 志愿 帮扶 培训 交流 提升 基层 覆盖 规范 实践 "
          "示例 年度 计划 任务 目标 成效 群体 责任 网格 走访 联系 困难 解决 问题 宣传 典型").split()

CASE = """\
---
id: case-{i:03d}
title: {title}
organization: 示例公司{i}号
org_type: 非公有制企业
region: 永康市
category: [党建工作法]
tags: [{tags}]
summary: {summary}
date: 2024-01-05
source: 测试资料（合成数据）
---

## 基本情况

{intro}

## 主要做法

{body}

## 取得成效

{outcome}
"""


def sentence(rng: random.Random, extra: list[str]) -> str:
    words = rng.choices(FILLER, k=rng.randint(12, 24)) + extra
    rng.shuffle(words)
    return "".join(words) + "。"


def make_library(root: Path) -> Path:
    """300 valid cases; deterministic. Titles, tags and summaries never hold the planted words."""
    rng = random.Random(11)
    root.mkdir(parents=True)
    (root / "taxonomy.yml").write_bytes((VALID / "taxonomy.yml").read_bytes())
    for i in range(CASES):
        planted = [w for w, has in PLANTED.items() if has(i)]
        title, tags, summary = f"第{i}号工作法", "党员挂牌", sentence(rng, [])
        ranked = []
        if i == 40:
            title = f"{RANKED}建设第{i}号"
        elif i == 30:
            tags = f"党员挂牌, {RANKED}"
        elif i == 20:
            summary = sentence(rng, [RANKED])
        elif i == 10:
            ranked = [RANKED]
        latin = " ".join(w for w, has in LATIN.items() if has(i))
        text = CASE.format(i=i, title=title, tags=tags, summary=summary, intro=sentence(rng, []),
                           body=sentence(rng, planted[:1] + ranked) + sentence(rng, planted[1:]),
                           outcome=sentence(rng, []) + (f"\n\n英文名称 {latin}。" if latin else ""))
        (root / f"case-{i:03d}.md").write_text(text, encoding="utf-8")
    return root


def containing(library: Path, *words: str) -> set[str]:
    """Ids of the cases whose file contains every word literally: what search must find."""
    found = set()
    for path in library.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        if all(w in text for w in words):
            found.add(re.search(r"^id: (\S+)", text, re.M).group(1))
    return found


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    return make_library(tmp_path_factory.mktemp("recall") / "cases")


@pytest.fixture(scope="module")
def built(build_site, run_cli, library, tmp_path_factory) -> dict[str, Path]:
    online = tmp_path_factory.mktemp("recall-online") / "site"
    build_site(library, online)
    return {"online": online, "offline": build_and_unzip(run_cli, library, tmp_path_factory.mktemp("recall-offline"))}


@pytest.fixture(scope="module", params=["online", "offline"])
def search_page(request, built, browser):
    """Material's search box on the home page of one flavour, in a fresh browser context."""
    root = built[request.param]
    server = StaticServer(root) if request.param == "online" else None
    site = Site("online", root, server.base) if server else Site("offline", root, root.as_uri() + "/")
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        page = context.new_page()
        log = PageLog(site)
        log.attach(page)
        page.goto(site.url())
        yield site, page, log
    finally:
        context.close()
        if server:
            server.close()


# -- what the reader sees: the oracle ---------------------------------------------------------------

def containing_text(texts: dict[str, str], query: str) -> set[str]:
    """Locations whose visible text contains every whitespace-separated term of `query`."""
    terms = search.fold(query).split()
    return {loc for loc, text in texts.items() if all(t in text for t in terms)}


@pytest.fixture(scope="module")
def texts(built) -> dict[str, dict[str, str]]:
    return {flavour: visible_texts(root) for flavour, root in built.items()}


def cross_word(texts: dict[str, str], length: int) -> str:
    """A string of `length` characters across two filler words (the end of one, the start of the
    next) that is no filler word's part, found in the most pages up to a third of them."""
    candidates = set()
    for a in FILLER:
        for b in FILLER:
            joined = a + b
            for start in range(len(a) - length + 1, len(a)):
                piece = joined[start:start + length]
                if start >= 0 and len(piece) == length and not any(piece in w for w in FILLER):
                    candidates.add(piece)
    counts = {c: sum(c in t for t in texts.values()) for c in sorted(candidates)}
    return max((c for c in counts if 5 <= counts[c] <= len(texts) // 3), key=lambda c: (counts[c], c))


# -- driving Material's search box ----------------------------------------------------------------

# Scrolls the result list until Material has rendered every result it announced (it renders
# 10, then 4 more each time the list's end comes into view) and our page script has filled in
# every preview it rendered as a placeholder; returns the count it shows and our note, if any.
ALL_RENDERED_JS = """() => {
    const meta = document.querySelector('.md-search-result__meta');
    const items = document.querySelectorAll('.md-search-result__list > li.md-search-result__item');
    if (!meta) return false;
    const note = (document.querySelector('.cb-search-note') || {}).textContent || '';
    if (/没有/.test(meta.textContent)) return {count: 0, note};
    const count = meta.textContent.match(/(\\d+)\\s*个/);
    if (!count || items.length === 0) return false;
    if (items.length >= +count[1]) return document.querySelector('.cb-pending') ? false : {count: +count[1], note};
    // Material renders more when the end comes into view: go up, then down, on alternate polls.
    const wrap = document.querySelector('.md-search__scrollwrap');
    window.__down = !window.__down;
    wrap.scrollTop = window.__down ? wrap.scrollHeight : 0;
    return false;
}"""
RESULTS_JS = """list => [...list.querySelectorAll(':scope > li.md-search-result__item > a')].map(a => ({
    href: a.href, title: a.querySelector('h1').textContent,
    titleHtml: a.querySelector('h1').innerHTML, teaserHtml: (a.querySelector('p') || {}).innerHTML || ''}))"""


def search_all(page, query: str) -> tuple[int, list[dict], str]:
    """Type `query` into Material's search box; (the count shown, every result rendered, the
    fallback note or "")."""
    box = open_empty_search(page)
    box.fill(query)
    page.keyboard.press("End")  # Material searches on keyup
    shown = page.wait_for_function(ALL_RENDERED_JS, timeout=SEARCH_TIMEOUT_MS * 4, polling=50).json_value()
    return shown["count"], page.locator(".md-search-result__list").evaluate(RESULTS_JS), shown["note"]


def ids_of(site: Site, results: list[dict]) -> list[str]:
    ids = []
    for r in results:
        url = without_query(r["href"])
        assert url.startswith(site.base + "cases/"), url
        ids.append(url[len(site.base + "cases/"):].removesuffix("/").removesuffix(".html"))
    return ids


def locations_of(site: Site, results: list[dict]) -> list[str]:
    return [without_query(r["href"])[len(site.base):] for r in results]


@pytest.mark.parametrize("word", [RARE, SOME, HALF])
def test_a_body_word_finds_exactly_the_cases_containing_it(search_page, library, texts, word):
    site, page, log = search_page
    expected = containing(library, word)
    assert len(expected) == CASES * SHARE[word]
    assert {loc for loc in containing_text(texts[site.flavour], word)} == {site.url(f"cases/{i}")[len(site.base):] for i in expected}
    count, results, note = search_all(page, word)
    found = ids_of(site, results)
    assert len(found) == len(set(found))
    assert set(found) == expected, f"missing {sorted(expected - set(found))[:10]}, extra {sorted(set(found) - expected)[:10]}"
    assert count == len(expected) and not note
    for r in results[:10]:  # the teaser is the summary; the body word is marked where shown
        assert "<mark>" not in r["titleHtml"] or word in r["titleHtml"]
    log.assert_clean()


@pytest.mark.parametrize("kind", ["cross-word-2", "cross-word-3", "one-character", "latin", "number", "two-terms"])
def test_finds_exactly_what_ctrl_f_finds(search_page, texts, kind):
    """Strings that cross jieba's words (the old index missed them), one character, a Latin word
    in another case and width, a number, two terms: the result list is exactly the pages whose
    visible text contains the query (brute force over the built HTML), and the count agrees."""
    site, page, log = search_page
    mine = texts[site.flavour]
    query = {"cross-word-2": lambda: cross_word(mine, 2), "cross-word-3": lambda: cross_word(mine, 3),
             "one-character": lambda: SOME[1], "latin": lambda: "PaRtY", "number": lambda: "12",
             "two-terms": lambda: f"{SOME[1]} {cross_word(mine, 2)}"}[kind]()
    expected = containing_text(mine, query)
    assert 3 <= len(expected) < len(mine), (query, len(expected))
    count, results, note = search_all(page, query)
    found = locations_of(site, results)
    assert len(found) == len(set(found))
    assert set(found) == expected, f"{query!r}: missing {sorted(expected - set(found))[:5]}, extra {sorted(set(found) - expected)[:5]}"
    assert count == len(expected) and note == (SPLIT_NOTE if kind == "two-terms" else "")
    log.assert_clean()


# Above the results of a query with spaces (search-results.js): Ctrl+F would want the spaces too.
SPLIT_NOTE = "按空格分开查找：以下案例包含全部这些词，不一定连在一起"


def test_every_term_of_a_multi_term_query_and_the_word_fallback(search_page, library):
    """Terms separated by spaces: pages holding all of them, under a line that says they need not
    stand side by side (a search audit: `讲 话` listed every page, Ctrl+F none). The same words
    typed without a space are not in any case side by side: the cases holding all the words are
    shown, under a line that says so."""
    site, page, log = search_page
    both = containing(library, SOME, HALF)
    assert 0 < len(both) < len(containing(library, SOME)) and not containing(library, SOME + HALF)
    count, results, note = search_all(page, f"{SOME} {HALF}")
    assert set(ids_of(site, results)) == both and count == len(both) and note == SPLIT_NOTE  # not side by side
    count, results, note = search_all(page, f"{SOME}{HALF}")
    assert set(ids_of(site, results)) == both and count == len(both)
    assert note == "没有完全一致的结果，以下案例包含全部词语"
    count, results, note = search_all(page, f"{RARE} 不存在的词")
    assert count == 0 and results == [] and not note
    log.assert_clean()


def test_title_then_tags_then_summary_then_body(search_page, library):
    site, page, log = search_page
    assert containing(library, RANKED) == {"case-040", "case-030", "case-020", "case-010"}
    count, results, _ = search_all(page, RANKED)
    # The hand-written 全市概况 (docs/, shared by every library) mentions 党员示范岗 too: the order
    # asserted is the cases' among themselves.
    results = [r for r in results if without_query(r["href"]).startswith(site.base + "cases/")]
    assert ids_of(site, results) == ["case-040", "case-030", "case-020", "case-010"]
    assert count - len(results) <= 1  # the cases, and at most that page
    assert f"<mark>{RANKED}</mark>" in results[0]["titleHtml"]  # Material's highlighting, terms marked
    assert f"<mark>{RANKED}</mark>" in results[2]["teaserHtml"]
    log.assert_clean()


# -- bytes: a first query loads only what it needs ------------------------------------------------

FIRST_SCREEN_JS = """() => {
    const meta = document.querySelector('.md-search-result__meta').textContent;
    const count = meta.match(/(\\d+)\\s*个/);
    return count && document.querySelector('.md-search-result__item') ? +count[1] : false;
}"""


def first_screen(page, query: str) -> int:
    """Type `query`; the count shown, once the first results are on screen (no scrolling)."""
    box = open_empty_search(page)
    box.fill(query)
    page.keyboard.press("End")
    return page.wait_for_function(FIRST_SCREEN_JS, timeout=SEARCH_TIMEOUT_MS).json_value()

FIRST_QUERY_KB = 300   # everything from page load to the first result, gzip: the bar at 20,000 cases
SEARCH_KB = 60         # of which search files (manifest, worker, shards, previews); the old index was ~250 KB here


def test_a_first_query_downloads_only_what_it_needs(built, browser):
    """Over http, from page load to the first result on screen, every response the browser
    context saw (the worker's fetches included), sized as a gzip server sends them."""
    root = built["online"]
    server = StaticServer(root)
    seen: list[str] = []
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        context.on("response", lambda r: seen.append(r.url))
        page = context.new_page()
        page.goto(server.base)
        count = first_screen(page, SOME)
        first = list(seen)
        later_count = first_screen(page, HALF)  # its own shard and previews, nothing reloaded
        later = seen[len(first):]
    finally:
        context.close()
        server.close()
    assert count == CASES * SHARE[SOME] and later_count == CASES * SHARE[HALF]

    def size(url: str) -> int:
        path = root / without_query(url)[len(server.base):]
        path = path / "index.html" if path.is_dir() else path
        return len(gzip.compress(path.read_bytes(), 6))

    total = sum(map(size, first)) / 1024
    searched = sum(size(u) for u in first if "/search/" in u or "search-worker" in u) / 1024
    index_kb = sum(len(gzip.compress(p.read_bytes(), 6)) for p in (root / "search").rglob("*") if p.is_file()) / 1024
    assert total <= FIRST_QUERY_KB and searched <= SEARCH_KB, (total, searched, first)
    assert searched < index_kb / 5, (searched, index_kb)  # not the whole index
    assert all("/search/casebook/" in u for u in later), later  # later: only index files it lacked
    assert len(later) <= 4 and not set(later) & set(first), later


# -- the worker itself, on an index built by the Python core ---------------------------------------

HARNESS = """<!doctype html><meta charset="utf-8"><title>worker</title>
<script src="assets/javascripts/iframe-worker/shim.js"></script><body></body>"""
ASK_WORKER_JS = """async ([manifest, queries]) => {
    // The search worker as Material starts it (under file:// the iframe-worker shim is Worker).
    const worker = new Worker(new URL('assets/javascripts/search-worker.js', location.href).href);
    // The ranked pages and scores come as typed arrays: plain lists for Python.
    const plain = data => { const c = (data.data || {}).casebook; if (c && c.pages) { c.pages = Array.from(c.pages); c.scores = Array.from(c.scores); } return data; };
    const answer = () => new Promise(resolve => worker.addEventListener('message', e => resolve(plain(e.data)), {once: true}));
    worker.postMessage({type: 0, data: {config: manifest.config, docs: manifest.docs, options: {}}});
    const out = [await answer()];
    for (const q of queries) { worker.postMessage({type: 2, data: q}); out.push(await answer()); }
    worker.terminate();
    return out;
}"""


def worker_site(root: Path) -> tuple[Path, search.Index, list[str]]:
    """A folder with our worker, the shim and an index of 2,500 generated pages (posting gaps
    beyond one byte, astral characters, Latin, markup in titles), and queries to ask it."""
    import shutil

    from casebook.site.search import Index, build_search_files

    rng = random.Random(5)
    chars = "一二两个人第些统党建车队𠀀ab1Z，“\u00ad"
    docs, bodies = [], []
    for i in range(2500):
        body = "".join(rng.choice(chars) for _ in range(rng.randint(5, 40)))
        bodies.append(body)
        title = f"案例{i}" if i % 997 else '<img src=x onerror="window.__pwned=1">红帆' + body[:3]
        docs.append({"location": f"cases/c{i}/", "title": html.escape(title), "text": f"<p>{html.escape(body)} &amp; ‘引号’</p>",
                     "tags": [html.escape("红帆<b>")] if i % 997 == 0 else []})
    files = build_search_files({"config": {"lang": ["zh"], "separator": "[\\s\\u200b]+", "pipeline": []}, "docs": docs},
                               lambda loc: loc.startswith("cases/"))
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    js = root / "assets" / "javascripts"
    shutil.copytree(REPO / "docs" / "assets" / "javascripts", js)
    (root / "index.html").write_text(HARNESS, encoding="utf-8")
    long = max(bodies, key=len)[:20].strip("，")  # a long term: its pairs load four shards at a time
    queries = ["红帆", "一两", "个第", "一两个", "统一一些", "𠀀a", "z", "AB1", "人 党建", "车队第一个人", "不存在", "个人第些统", long, long + "不存在",
               '"一', "“一", "党\u2060建", "'引号'", "车\u200b队"]  # (search.fold's tables and jieba's mark reach the worker through the manifest)
    return root, Index(files), queries


@pytest.mark.parametrize("flavour", ["online", "offline"])
def test_worker_answers_as_the_reference_index_and_escapes_its_text(tmp_path, browser, flavour):
    """The worker (JavaScript) and search.Index (Python) read the same files: same pages, same
    scores, same order, for every query. Every string shown comes from the files as text: markup
    in it is escaped, the only tags in a result are <mark>s and the teaser's <p>."""
    import json

    root, index, queries = worker_site(tmp_path / "site")
    locations = {f"cases/c{i}/": i for i in range(2500)}
    manifest = json.loads((root / "search" / "search_index.json").read_text("utf-8"))
    server = StaticServer(root) if flavour == "online" else None
    base = server.base if server else root.as_uri() + "/"
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "index.html")
        ready, *answers = page.evaluate(ASK_WORKER_JS, [manifest, queries])
        pwned = page.evaluate("window.__pwned")
    finally:
        context.close()
        if server:
            server.close()
    assert ready == {"type": 1} and not errors and pwned is None
    for query, answer in zip(queries, answers, strict=True):
        items = [group[0] for group in answer["data"]["items"]]
        ranked = answer["data"]["casebook"]
        # The first 10 come whole; the rest are one placeholder, their pages in ranked["pages"].
        assert [locations[i["location"]] for i in items[:10]] == ranked["pages"][:10], query
        assert [i["score"] for i in items[:10]] == ranked["scores"][:10], query
        assert all(i["location"] == "" and 'class="cb-pending"' in i["title"] for i in items[10:]), query
        if answer["data"]["casebook"]["fallback"]:  # nothing as typed: all its words (the browser's cut)
            assert index.search(query) == [], query
            query = " ".join(items[0]["terms"])
        assert list(zip(ranked["pages"], ranked["scores"], strict=True)) == index.search(query), query
        for item in items[:10]:
            for shown in [item["title"], item["text"], *item.get("tags", [])]:
                assert set(re.findall(r"<[^>]*>", shown)) <= {"<mark>", "</mark>", "<p>", "</p>"}, shown
    evil = [group[0] for group in answers[0]["data"]["items"]][0]
    assert "&lt;img src=x onerror=" in evil["title"] and "<mark>红帆</mark>" in evil["title"] and evil["tags"] == ["<mark>红帆</mark>&lt;b&gt;"]


def test_keyboard_open_search_and_go_to_the_best_result(search_page):
    """Material's shortcuts work with our worker: "/" opens search, Enter opens the best result
    (Material picks it by the score our worker gives)."""
    site, page, log = search_page
    page.goto(site.url())
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.matches('input.md-search__input')")
    page.keyboard.type(RANKED)  # Chinese is inserted as text (as an input method does), no keyup:
    page.keyboard.press("End")  # Material searches on keyup
    page.wait_for_selector(".md-search-result__item")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(site.url("cases/case-040")) + r"(\?.*)?$"))
    # The page highlights the query (?h=); Material's script marks it after the load event, so wait.
    page.locator("article mark").first.wait_for(timeout=SEARCH_TIMEOUT_MS)
    assert page.locator("article mark").count() > 0
    log.assert_clean()
