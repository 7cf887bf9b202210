"""Search recall, ranking and multi-word queries in a real browser, on a generated library.

300 cases (about 10 s to build per flavour): words planted in ~1%, ~10% and ~50% of the cases'
bodies must bring up exactly the cases whose files contain them, with Material's result count,
over http://127.0.0.1 and from the offline zip (file://). The old index kept only each case's
rarest words and found almost none of the cases a common word is in. The 2,000 and 5,000-case
figures are in `make bench` (scripts/bench.py).
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from browser_support import CHROMIUM_ARGS, SEARCH_TIMEOUT_MS, build_and_unzip, open_empty_search, VIEWPORT, PageLog, Site, StaticServer, chromium_path, missing_chromium_message, without_query
from conftest import VALID

pytestmark = pytest.mark.browser

CASES = 300
RARE, SOME, HALF = "鲲鹏", "麒麟", "凤凰"  # in 1%, 10%, 50% of the cases
PLANTED = {RARE: lambda i: i % 100 == 7, SOME: lambda i: i % 10 == 7, HALF: lambda i: i % 4 < 2}
SHARE = {RARE: 0.01, SOME: 0.1, HALF: 0.5}
RANKED = "示范岗"  # in one case's title, one's tags, one's summary, one's body
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
        text = CASE.format(i=i, title=title, tags=tags, summary=summary, intro=sentence(rng, []),
                           body=sentence(rng, planted[:1] + ranked) + sentence(rng, planted[1:]), outcome=sentence(rng, []))
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
def search_page(request, built):
    """Material's search box on the home page of one flavour, in a fresh Chromium."""
    path = chromium_path()
    if not os.path.exists(path):
        pytest.fail(missing_chromium_message(path), pytrace=False)
    from playwright.sync_api import sync_playwright

    root = built[request.param]
    server = StaticServer(root) if request.param == "online" else None
    site = Site("online", root, server.base) if server else Site("offline", root, root.as_uri() + "/")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
            log = PageLog(site)
            log.attach(page)
            page.goto(site.url())
            yield site, page, log
            browser.close()
    finally:
        if server:
            server.close()


# Scrolls the result list until Material has rendered every result it announced (it renders
# 10, then 4 more each time the list's end comes into view); returns the count it shows.
ALL_RENDERED_JS = """() => {
    const meta = document.querySelector('.md-search-result__meta');
    const items = document.querySelectorAll('.md-search-result__list > li.md-search-result__item');
    if (!meta) return false;
    if (/没有/.test(meta.textContent)) return {count: 0};
    const count = meta.textContent.match(/(\\d+)\\s*个/);
    if (!count || items.length === 0) return false;
    if (items.length >= +count[1]) return {count: +count[1]};
    // Material renders more when the end comes into view: go up, then down, on alternate polls.
    const wrap = document.querySelector('.md-search__scrollwrap');
    window.__down = !window.__down;
    wrap.scrollTop = window.__down ? wrap.scrollHeight : 0;
    return false;
}"""
RESULTS_JS = """list => [...list.querySelectorAll(':scope > li.md-search-result__item > a')].map(a => ({
    href: a.href, title: a.querySelector('h1').textContent,
    titleHtml: a.querySelector('h1').innerHTML, teaserHtml: (a.querySelector('p') || {}).innerHTML || ''}))"""


def search_all(page, query: str) -> tuple[int, list[dict]]:
    """Type `query` into Material's search box; (the count shown, every result rendered)."""
    box = open_empty_search(page)
    box.fill(query)
    page.keyboard.press("End")  # Material searches on keyup
    count = page.wait_for_function(ALL_RENDERED_JS, timeout=SEARCH_TIMEOUT_MS, polling=50).json_value()["count"]
    return count, page.locator(".md-search-result__list").evaluate(RESULTS_JS)


def ids_of(site: Site, results: list[dict]) -> list[str]:
    ids = []
    for r in results:
        url = without_query(r["href"])
        assert url.startswith(site.base + "cases/"), url
        ids.append(url[len(site.base + "cases/"):].removesuffix("/").removesuffix(".html"))
    return ids


@pytest.mark.parametrize("word", [RARE, SOME, HALF])
def test_a_body_word_finds_exactly_the_cases_containing_it(search_page, library, word):
    site, page, log = search_page
    expected = containing(library, word)
    assert len(expected) == CASES * SHARE[word]
    count, results = search_all(page, word)
    found = ids_of(site, results)
    assert len(found) == len(set(found))
    assert set(found) == expected, f"missing {sorted(expected - set(found))[:10]}, extra {sorted(set(found) - expected)[:10]}"
    assert count == len(expected)
    for r in results[:10]:  # the teaser is the summary; the body word is marked where shown
        assert "<mark>" not in r["titleHtml"] or word in r["titleHtml"]
    log.assert_clean()


def test_every_word_of_a_multi_word_query(search_page, library):
    site, page, log = search_page
    both = containing(library, SOME, HALF)
    assert 0 < len(both) < len(containing(library, SOME))
    for query in (f"{SOME} {HALF}", f"{SOME}{HALF}"):  # with a space, and typed without one
        count, results = search_all(page, query)
        assert set(ids_of(site, results)) == both and count == len(both), query
    count, results = search_all(page, f"{RARE} 不存在的词")
    assert count == 0 and results == []
    log.assert_clean()


def test_title_then_tags_then_summary_then_body(search_page, library):
    site, page, log = search_page
    assert containing(library, RANKED) == {"case-040", "case-030", "case-020", "case-010"}
    count, results = search_all(page, RANKED)
    # The hand-written 全市概况 (docs/, shared by every library) mentions 党员示范岗 too: the order
    # asserted is the cases' among themselves.
    results = [r for r in results if without_query(r["href"]).startswith(site.base + "cases/")]
    assert ids_of(site, results) == ["case-040", "case-030", "case-020", "case-010"]
    assert count - len(results) <= 1  # the cases, and at most that page
    assert f"<mark>{RANKED}</mark>" in results[0]["titleHtml"]  # Material's highlighting, terms marked
    assert f"<mark>{RANKED}</mark>" in results[2]["teaserHtml"]
    log.assert_clean()


# -- the worker itself, handed an index built by the Python core --------------------------------

ASK_WORKER_JS = """async ([index, queries]) => {
    // The search worker as Material starts it (under file:// the iframe-worker shim is Worker).
    const worker = new Worker(new URL('assets/javascripts/search-worker.js', location.href));
    const answer = () => new Promise(resolve => worker.addEventListener('message', e => resolve(e.data), {once: true}));
    worker.postMessage({type: 0, data: {config: index.config, docs: index.docs, options: {}}});
    const out = [await answer()];
    for (const q of queries) { worker.postMessage({type: 2, data: q}); out.push(await answer()); }
    worker.terminate();
    return out;
}"""


def test_worker_decodes_the_index_and_escapes_its_text(search_page):
    """Every string shown comes from the index as text: markup in it is escaped, and the only
    tags in a result are the <mark>s and the teaser's <p>. Posting lists with large gaps decode."""
    import html

    from casebook.site.search import build_search_index

    site, page, log = search_page
    evil = '<img src=x onerror="window.__pwned=1">'
    docs = [{"location": f"cases/c{i}/", "title": f"案例\u200b{i}", "text": "<p>摘要</p>", "tags": ["标签"]} for i in range(5000)]
    docs[0] = {"location": "cases/c0/", "title": html.escape(evil) + "\u200b红帆", "text": f"<p>{html.escape(evil)}\u200b红帆 &amp; ‘引号’</p>",
               "tags": [html.escape(evil) + "红帆"]}
    docs[1]["text"] = "<p>摘要\u200b红帆</p>"
    docs[4999]["text"] = "<p>摘要</p><h2>x</h2>"
    docs.append({"location": "cases/c4999/#做法", "title": "做法", "text": "<p>红帆\u200b驿站</p>"})
    index = build_search_index({"config": {"lang": ["zh"], "separator": "[\\s\\u200b]+", "pipeline": []}, "docs": docs},
                               lambda loc: loc.startswith("cases/"))
    ready, hits, none = page.evaluate(ASK_WORKER_JS, [index, ["红帆", "<img 不存在"]])
    assert ready == {"type": 1} and none == {"type": 3, "data": {"items": []}}
    items = [group[0] for group in hits["data"]["items"]]
    assert [i["location"] for i in items] == ["cases/c0/", "cases/c1/", "cases/c4999/"]  # title, summary, body
    first = items[0]
    for shown, plain in ((first["title"], index["docs"][0]["title"]), (first["text"], "<p>" + index["docs"][0]["text"] + "</p>"),
                         (first["tags"][0], index["docs"][0]["tags"][0])):
        assert "<mark>红帆</mark>" in shown
        markup = re.findall(r"<[^>]*>", shown)
        assert set(markup) <= {"<mark>", "</mark>", "<p>", "</p>"}, shown
        assert html.unescape(re.sub(r"</?mark>", "", shown)) == plain  # the same text, escaped
    assert evil in index["docs"][0]["title"] and "&lt;img" in first["title"]
    assert page.evaluate("window.__pwned") is None
    log.assert_clean()


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
