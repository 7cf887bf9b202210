"""The built site in a real browser (Debian's headless Chromium through Playwright).

Every scenario runs on both flavours of a build of the shipped library: "online" (served from
http://127.0.0.1) and "offline" (the offline zip from `casebook build --offline --zip`, unzipped
elsewhere and opened from file://, as a reader does). Each test also checks that the page talked to nothing but the site itself and
logged no script error. Full-page screenshots go to tests/screenshots/ (git-ignored) for a human
to look at.

Needs a Chromium ($CHROMIUM, set by `make test` through scripts/tools.py, or one on PATH);
without it the tests fail, they do not skip.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit
from pathlib import Path

import pytest

from browser_support import (
    SEARCH_TIMEOUT_MS,
    open_empty_search,
    VIEWPORT,
    PageLog,
    Site,
    StaticServer,
    chromium_path,
    collation_key,
    load_cases,
    missing_chromium_message,
    strip_zwsp,
    toggle_palette,
    without_query,
)
from conftest import REPO

pytestmark = pytest.mark.browser

LIBRARY = REPO / "cases"
SCREENSHOTS = REPO / "tests" / "screenshots"
FLAVOURS = ["online", "offline"]

YANGGUANG = "kangdi-yangguang-chedui"
WENQING = "gangtaochang-wenqing-gongzuofa"
TEPAIYUAN = "dangjian-gongzuo-baozhang"  # 党建特派员: one of its 保障 (the case dangjian-tepaiyuan merged into it)
WAHAHA = "qunsheng-xianxing-xuexi-kaocha"  # "娃哈哈" occurs only in the middle of its body


# -- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cases() -> dict[str, dict]:
    found = load_cases(LIBRARY)
    assert {YANGGUANG, WENQING, TEPAIYUAN, WAHAHA} <= set(found), "the shipped library changed: update the test"
    return found


@pytest.fixture(scope="module")
def built(shipped_builds) -> dict[str, Path]:
    """Both flavours of the shipped library (the session build the accessibility tests share)."""
    return shipped_builds


@pytest.fixture(scope="module", params=FLAVOURS)
def site(request, built):
    root = built[request.param]
    if request.param == "offline":
        yield Site("offline", root, root.as_uri() + "/")
        return
    server = StaticServer(root)
    try:
        yield Site("online", root, server.base)
    finally:
        server.close()


def _open(browser, site: Site, color_scheme: str = "light"):
    context = browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    log = PageLog(site)
    log.attach(page)
    return context, page, log


@pytest.fixture
def session(browser, site):
    """(page, log) in a fresh light-scheme 1280×900 context; closed afterwards."""
    context, page, log = _open(browser, site)
    try:
        yield page, log
    finally:
        context.close()


@pytest.fixture(scope="module")
def search_session(browser, site):
    """One home page per flavour shared by the search tests (the index loads once)."""
    context, page, log = _open(browser, site)
    page.goto(site.url())
    try:
        yield page, log
    finally:
        context.close()


def shoot(page, site: Site, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{site.flavour}-{name}.png"), full_page=True)


def h1(page) -> str:
    return page.locator("article h1").first.inner_text().strip()


# -- the browser itself --------------------------------------------------------------------------

def test_chromium_is_installed():
    path = chromium_path()
    assert path is not None and os.path.exists(path), missing_chromium_message()


# -- search --------------------------------------------------------------------------------------

# Material writes "找到 1 个…"/"N 个符合条件的结果" (or "没有找到…") and renders the first 10 pages found.
RENDERED_JS = """() => {
    const meta = document.querySelector('.md-search-result__meta');
    const items = document.querySelectorAll('.md-search-result__list > li.md-search-result__item').length;
    if (!meta) return false;
    if (/没有/.test(meta.textContent)) return true;
    const count = meta.textContent.match(/(\\d+)\\s*个/);
    return !!count && items > 0 && items === Math.min(+count[1], 10);
}"""
RESULTS_JS = """list => [...list.querySelectorAll(':scope > li.md-search-result__item')].map(li => {
    const a = li.querySelector(':scope > a');
    return {href: a.href, title: a.querySelector('h1').textContent,
            titleMarks: [...a.querySelectorAll('h1 mark')].map(m => m.textContent)};
})"""


def search(page, query: str) -> list[dict]:
    """Type `query` into Material's header search box; {href, title, titleMarks} per page found.

    The box is emptied first (Material then clears the list), so what is read afterwards
    belongs to this query and not to the previous one.
    """
    box = open_empty_search(page)
    box.fill(query)
    page.keyboard.press("End")  # Material searches on keyup
    page.wait_for_function(RENDERED_JS, timeout=SEARCH_TIMEOUT_MS)
    results = page.locator(".md-search-result__list").evaluate(RESULTS_JS)
    for r in results:
        r["title"] = strip_zwsp(r["title"])
        r["titleMarks"] = [strip_zwsp(m) for m in r["titleMarks"]]
    return results


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("阳光车队", YANGGUANG),  # one long word at query time; jieba split it into 阳光/车队 in the index
        ("温情", WENQING),
        ("特派员", TEPAIYUAN),
        ("挂牌", YANGGUANG),  # body and tags only, not in the title
        ("娃哈哈", WAHAHA),  # only in the middle of the body
    ],
)
def test_search_finds_the_case_first(search_session, site, cases, query, expected):
    page, log = search_session
    results = search(page, query)
    assert results, f"no results for {query!r}"
    first = results[0]
    assert without_query(first["href"]) == site.url(f"cases/{expected}"), f"{query!r}: first result {first}, all: {results}"
    assert first["title"] == cases[expected]["title"]
    log.assert_clean()


def case_files_containing(phrase: str) -> set[str]:
    """Ids of the library's case files whose text contains `phrase` literally."""
    found = set()
    for path in LIBRARY.rglob("*.md"):
        text = path.read_text(encoding="utf-8-sig")
        match = re.search(r"^id:\s*(\S+)", text, re.M)
        if match and phrase in text:
            found.add(match.group(1))
    return found


@pytest.mark.parametrize("phrase", ["阳光车队", "党务工作者"])
def test_search_uses_every_word_of_a_long_query(search_session, site, phrase):
    """A phrase that jieba split into several index words must be searched as all of them.

    (Material's own query segmenter dropped the last word: 阳光车队 was searched as 阳光*.) Our
    worker cuts the phrase into the index's words (阳光 + 车队, 党务 + 工作者) as well as looking
    for it whole (a tag). Every case whose file contains the phrase must be found, and the title
    of the first hit for 阳光车队 must mark 车队 as well as 阳光.
    """
    page, log = search_session
    results = search(page, phrase)
    found = {without_query(r["href"]) for r in results}
    expected = case_files_containing(phrase)
    assert expected
    missing = sorted(i for i in expected if site.url(f"cases/{i}") not in found)
    assert not missing, f"{phrase!r} misses cases containing it literally: {missing}; results: {[r['title'] for r in results]}"
    if phrase == "阳光车队":
        marks = results[0]["titleMarks"]  # the title is indexed as 阳光/车队 (tags may hold the whole name)
        assert any("阳光" in m for m in marks) and any("车队" in m for m in marks), f"the first result's title marks only {marks}: the query lost a word"
    log.assert_clean()


# For each tag chip of the results that holds a <mark>: the space between the mark and the text
# beside it, in px (a Range measures a text node).
TAG_MARK_GAPS_JS = """() => [...document.querySelectorAll('.md-search-result .md-tag mark')].flatMap(mark => {
    const range = node => { const r = document.createRange(); r.selectNodeContents(node); return r.getBoundingClientRect(); };
    const box = mark.getBoundingClientRect(), gaps = [];
    if (mark.previousSibling && mark.previousSibling.textContent) gaps.push(box.left - range(mark.previousSibling).right);
    if (mark.nextSibling && mark.nextSibling.textContent) gaps.push(range(mark.nextSibling).left - box.right);
    return gaps;
})"""


# Chromium's own find in page (what Ctrl+F finds), in the page's article and outside what the
# page leaves out of search (the related cases, the 待补充 notice: render.py marks them
# data-search-exclude, which Material's search drops): true when the query is found there.
CTRL_F_JS = """q => {
    const selection = getSelection(), article = document.querySelector('article');
    selection.removeAllRanges();
    while (window.find(q, false, false, false, false, false, false)) {
        const node = selection.getRangeAt(0).commonAncestorContainer;
        const element = node.nodeType === 1 ? node : node.parentElement;
        if (article.contains(element) && !element.closest('[data-search-exclude], .cb-related, .cb-incomplete')) return true;
    }
    return false;
}"""


@pytest.mark.parametrize("query", ['"阳光车队"', "”这", "‘党建强’", "'党建强'", "阳光\u00ad车队", "车\u2060队"])
def test_quotes_and_invisible_characters_find_what_ctrl_f_finds(search_session, site, cases, query):
    """Straight and curly quotes are one to Ctrl+F, and a soft hyphen or word joiner pasted into
    the box is nothing to it (a search audit: `"阳光车队"` typed with a half-width input method
    found the cases only through the word fallback, `党\u00ad建` found nothing). Oracle: Chromium's
    window.find on every searchable page; the site lists exactly those pages, with no fallback note."""
    page, log = search_session
    results = search(page, query)
    found = {without_query(r["href"]) for r in results}
    note = page.locator(".cb-search-note").count()
    probe = page.context.new_page()
    try:
        expected = set()
        for location in [f"cases/{i}" for i in cases] + ["city-overview"]:
            probe.goto(site.url(location))
            if probe.evaluate(CTRL_F_JS, query):
                expected.add(site.url(location))
    finally:
        probe.close()
    assert 0 < len(expected) <= 10, (query, expected)  # (the test reads the first 10 results)
    assert found == expected and not note, (query, sorted(found ^ expected))
    # The page a result opens marks the words (Material's ?h=, in the page's own text: the quotes,
    # straightened by the search, would match nothing there; the invisible characters are gone).
    href = results[0]["href"]
    marked = parse_qs(urlsplit(href).query)["h"][0]
    assert marked and not re.search("[\"'“”‘’\u00ad\u2060]", marked), marked
    page.goto(href)
    page.locator("article mark").first.wait_for(timeout=SEARCH_TIMEOUT_MS)
    log.assert_clean()


def test_a_query_ending_in_punctuation_marks_only_its_words_on_the_opened_page(search_session, site):
    """A sentence copied with its full stop: Material's page highlighter cut `与理事会。` at the
    `。` into a word and an empty term, and marked every position of the page (about 3,000 empty
    <mark>s, a search audit). The worker now gives it the pieces the query is cut into."""
    page, log = search_session
    results = search(page, "与理事会。")
    assert results, "no results"
    page.goto(results[0]["href"])
    page.locator("article mark").first.wait_for(timeout=SEARCH_TIMEOUT_MS)
    marks = page.locator("article mark").evaluate_all("ms => ms.map(m => m.textContent)")
    assert marks and all(m.strip() for m in marks) and len(marks) < 20, marks[:10]
    log.assert_clean()


def test_a_tag_reads_as_one_word_with_the_match_marked_inside(search_session, site):
    """党建 marks part of the tag 两新党建群: the chip reads 两新党建群, not “两新 党建 群” (Material's
    tag is a flex box with a gap between its pieces)."""
    page, log = search_session
    search(page, "党建")
    gaps = page.evaluate(TAG_MARK_GAPS_JS)
    assert gaps and all(abs(g) < 1 for g in gaps), gaps
    log.assert_clean()


def test_text_that_arrives_without_a_key_is_searched(search_session, site):
    """Pasted from the context menu, dictated or picked from a phone's input method, text reaches
    the box with an `input` event and no key. (Material searches on `keyup` only: the box stayed
    at 键入以开始搜索 until a key was pressed.) While an input method composes, nothing is searched."""
    page, log = search_session
    box = open_empty_search(page)
    box.dispatch_event("compositionstart")
    box.evaluate("b => { b.value = 'yang'; b.dispatchEvent(new InputEvent('input', {bubbles: true, isComposing: true})); }")
    page.wait_for_timeout(300)  # a search would have started: the worker answers in a few ms here
    assert page.locator(".md-search-result__item").count() == 0
    assert not re.search(r"没有|个", page.locator(".md-search-result__meta").text_content())
    box.evaluate("b => { b.value = ''; }")
    page.keyboard.insert_text("阳光车队")  # an `input` event and no key events, as a paste
    page.wait_for_function(RENDERED_JS, timeout=SEARCH_TIMEOUT_MS)
    first = page.locator(".md-search-result__list > li.md-search-result__item > a").first.get_attribute("href")
    assert without_query(page.evaluate("h => new URL(h, location.href).href", first)) == site.url(f"cases/{YANGGUANG}")
    log.assert_clean()


# -- overview: filters and sorting ---------------------------------------------------------------

TABLE = "article table:has(th.cb-sortable)"


def visible_titles(page) -> list[str]:
    return [t.strip() for t in page.locator(f"{TABLE} tbody tr:visible td:first-child a").all_inner_texts()]


def test_overview_filters(session, site, cases):
    page, log = session
    page.goto(site.url("overview"))
    page.wait_for_selector("select[data-cb-facet]")
    all_titles = {c["title"] for c in cases.values()}
    assert set(visible_titles(page)) == all_titles
    assert len(visible_titles(page)) == len(cases)
    shoot(page, site, "overview")
    count = page.locator(".cb-count")

    category = "队伍建设"
    page.select_option('select[data-cb-facet="category"]', category)
    expected = {c["title"] for c in cases.values() if category in c["category"]}
    assert 1 < len(expected) < len(cases)  # a filter that really narrows
    assert set(visible_titles(page)) == expected
    assert count.inner_text() == f"显示 {len(expected)} / {len(cases)} 个案例"

    text = "党务工作者"  # with the category still selected
    page.locator("input[data-cb-text]").fill(text)
    expected_both = {c["title"] for c in cases.values() if category in c["category"] and text in c["title"] + " " + c["organization"]}
    assert expected_both and expected_both < expected
    assert set(visible_titles(page)) == expected_both

    page.locator(".cb-filter button", has_text="清除筛选").click()
    assert set(visible_titles(page)) == all_titles

    org = "康迪"  # text alone matches the 单位 column too
    page.locator("input[data-cb-text]").fill(org)
    assert set(visible_titles(page)) == {c["title"] for c in cases.values() if org in c["title"] + " " + c["organization"]}

    # 完整性 picks the cases with a 待补充 section; the text box looks in titles, not in the flag.
    page.locator(".cb-filter button", has_text="清除筛选").click()
    page.select_option('select[data-cb-facet="completeness"]', "待补充")
    incomplete = {c["title"] for i, c in cases.items() if TO_BE_COMPLETED.search((LIBRARY / f"{i}.md").read_text("utf-8"))}
    assert 0 < len(incomplete) < len(cases) and set(visible_titles(page)) == incomplete
    page.select_option('select[data-cb-facet="completeness"]', "")
    page.locator("input[data-cb-text]").fill("补充")
    assert visible_titles(page) == [c["title"] for c in cases.values() if "补充" in c["title"] + " " + c["organization"]]
    log.assert_clean()


TO_BE_COMPLETED = re.compile(r"^## .+\n+\s*待补充\s*$", re.M)  # a section of the case file that is only 待补充


def test_overview_sorting(session, site, cases):
    page, log = session
    page.goto(site.url("overview"))
    title_th = page.locator(f"{TABLE} thead th", has_text="标题")
    date_th = page.locator(f"{TABLE} thead th", has_text="收录日期")
    page.wait_for_selector(f"{TABLE} th.cb-sortable")
    assert title_th.get_attribute("aria-sort") == "none"

    ascending = sorted((c["title"] for c in cases.values()), key=collation_key)
    title_th.click()
    assert title_th.get_attribute("aria-sort") == "ascending"
    assert visible_titles(page) == ascending
    title_th.click()
    assert title_th.get_attribute("aria-sort") == "descending"
    assert visible_titles(page) == ascending[::-1]

    date_th.click()
    assert date_th.get_attribute("aria-sort") == "ascending"
    assert title_th.get_attribute("aria-sort") == "none"
    dates = [t.strip() for t in page.locator(f"{TABLE} tbody tr:visible td:last-child").all_inner_texts()]
    assert dates == sorted(str(c["date"]) for c in cases.values())
    date_th.press("Enter")  # keyboard users sort too
    assert date_th.get_attribute("aria-sort") == "descending"
    dates = [t.strip() for t in page.locator(f"{TABLE} tbody tr:visible td:last-child").all_inner_texts()]
    assert dates == sorted((str(c["date"]) for c in cases.values()), reverse=True)

    # Sorting keeps the filter.
    page.select_option('select[data-cb-facet="category"]', "党建工作法")
    title_th.click()
    expected = sorted((c["title"] for c in cases.values() if "党建工作法" in c["category"]), key=collation_key)
    assert visible_titles(page) == expected
    log.assert_clean()


# -- a case page, its related cases and a browse page ----------------------------------------------

def test_case_page_related_and_browse(session, site, cases):
    page, log = session
    case = cases[YANGGUANG]
    page.goto(site.url(f"cases/{YANGGUANG}"))
    assert h1(page) == case["title"]
    meta = page.locator("article .cb-meta")
    assert meta.is_visible()
    meta_text = meta.inner_text()
    for label, value in (("单位", case["organization"]), ("地区", case["region"]), ("收录日期", str(case["date"]))):
        assert label in meta_text and value in meta_text, meta_text
    shoot(page, site, "case")

    related = page.locator("xpath=//article//h2[normalize-space()='相关案例']/following-sibling::ul[1]//a")
    titles = [t.strip() for t in related.all_inner_texts()]
    assert titles, "no related cases listed"
    by_title = {c["title"]: i for i, c in cases.items()}
    shared = set(case["category"]) | set(case.get("tags") or [])
    for t in titles:
        assert t in by_title and by_title[t] != YANGGUANG, t
        other = cases[by_title[t]]
        assert shared & (set(other["category"]) | set(other.get("tags") or [])), f"{t} shares nothing with {case['title']}"

    target = by_title[titles[0]]
    related.first.click()
    page.wait_for_url(site.url(f"cases/{target}"))
    assert h1(page) == cases[target]["title"]
    page.go_back()
    page.wait_for_url(site.url(f"cases/{YANGGUANG}"))

    # The metadata card links each category to its browse page, which lists exactly its cases.
    category = case["category"][0]
    page.locator("article .cb-meta a", has_text=category).first.click()
    page.wait_for_url(re.compile(re.escape(site.base) + r"browse/category/"))
    assert h1(page) == f"类别：{category}"
    listed = {t.strip() for t in page.locator("article table tbody tr td:first-child a").all_inner_texts()}
    assert listed == {c["title"] for c in cases.values() if category in c["category"]}
    shoot(page, site, "browse")
    log.assert_clean()


# The dates (YYYY-MM-DD text) under an element, and those that take more than one line.
DATES_JS = """function datesIn(root) {
    const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), dates = [], broken = [];
    for (let n = texts.nextNode(); n; n = texts.nextNode()) {
        for (const m of n.textContent.matchAll(/\\d{4}-\\d{2}-\\d{2}/g)) {
            const r = document.createRange();
            r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
            dates.push(m[0]);
            if (r.getClientRects().length > 1) broken.push(m[0]);
        }
    }
    return {dates, broken};
}"""
# Per table of the page: whether it fits its scrolling frame, and its dates.
PHONE_TABLES_JS = "() => { " + DATES_JS + """
    return [...document.querySelectorAll('article table')].map(table => {
        const frame = table.closest('.md-typeset__scrollwrap') || table.parentElement;
        return {fits: frame.scrollWidth <= frame.clientWidth, ...datesIn(table.tBodies[0])};
    });
}"""
# A listing's 地区 column (the third): each cell's text and the number of lines it takes.
PLACES_JS = """() => [...document.querySelector('article table').tBodies[0].rows].map(row => {
    const range = document.createRange();
    range.selectNodeContents(row.cells[2]);
    return [row.cells[2].textContent.trim(), new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
})"""
PHONE_ARTICLE_DATES_JS = "() => { " + DATES_JS + " return datesIn(document.querySelector('article')); }"


def test_listings_fit_a_phone_without_breaking_a_date(browser, site, cases):
    """At 390 px a listing's four columns and the overview's five fit the screen (Material's
    100 px minimum per column pushed the date past the edge: “2026-11-2”, no sign of scrolling),
    and no date breaks at a hyphen, in a table or in the home page's latest cases (in 关怀模式's
    larger text too, where the overview fits as well)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    try:
        page = context.new_page()
        tag = next(iter(cases[YANGGUANG]["tags"]))
        page.goto(site.url("overview"))
        tables = page.evaluate(PHONE_TABLES_JS)[:1]  # the cases (the second is the field list)
        page.goto(site.url("browse/tags/"))
        page.locator("article table a", has_text=re.compile("^" + re.escape(tag) + "$")).click()
        page.wait_for_function("t => document.querySelector('article h1')?.textContent.trim() === '标签：' + t", arg=tag)
        tables += page.evaluate(PHONE_TABLES_JS)
        assert len(tables) == 2 and all(t["fits"] and t["dates"] and not t["broken"] for t in tables), tables
        places = page.evaluate(PLACES_JS)  # the 地区 column holds a place name of three characters on one line
        assert places and all(lines == 1 for place, lines in places if len(place) <= 3), places
        page.goto(site.url())  # the home page's latest cases, in 关怀模式's larger text too
        page.locator("[data-cb-care]:visible").first.click()
        page.wait_for_function("() => document.documentElement.classList.contains('cb-care')")
        latest = page.evaluate(PHONE_ARTICLE_DATES_JS)
        assert latest["dates"] and not latest["broken"], latest
        page.goto(site.url("overview"))  # the widest listing, in 关怀模式 (it was 425 px: the date cut)
        page.wait_for_function("() => document.documentElement.classList.contains('cb-care')")
        cared = page.evaluate(PHONE_TABLES_JS)[:1]
        assert cared[0]["fits"] and cared[0]["dates"] and not cared[0]["broken"], cared
        # A four-column listing in 关怀模式 fits too, and keeps a place name of three characters on one line.
        page.goto(site.url("browse/region/"))
        page.locator("article table a", has_text=re.compile("^永康市$")).click()
        page.wait_for_function("() => document.querySelector('article h1')?.textContent.includes('永康市')")
        listed = page.evaluate(PHONE_TABLES_JS)
        places = page.evaluate(PLACES_JS)
        assert listed and all(t["fits"] for t in listed) and places, (listed, places)
        assert all(lines == 1 for place, lines in places if len(place) <= 3), places
    finally:
        context.close()


def test_charts_are_readable_on_a_phone(browser, site):
    """At 390 px the statistics page shows each chart's narrow drawing, its 14 px labels at 12 px
    or more (the wide one shrank them to 7 px; a UX review), and never both drawings."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(site.url("stats"))
        page.wait_for_function("() => [...document.querySelectorAll('img.cb-chart')].every(i => i.complete)")
        shown = page.locator("article img.cb-chart:visible").evaluate_all(
            "imgs => imgs.map(i => [i.className, i.getBoundingClientRect().width / i.naturalWidth * 14])")
        assert len(shown) >= 4 and all("cb-chart--narrow" in c and px >= 12 for c, px in shown), shown
        assert page.locator("article img.cb-chart").count() == 2 * len(shown)
    finally:
        context.close()


def test_a_former_id_sends_the_reader_to_the_case(session, site, cases):
    """The old address of a merged case (an id in the surviving case's `aliases`) opens that case."""
    merged = {alias: i for i, c in cases.items() for alias in c.get("aliases") or []}
    assert merged, "the shipped library has no merged case: update the test"
    page, log = session
    for old, target in merged.items():
        page.goto(site.url(f"cases/{old}"))
        page.wait_for_url(site.url(f"cases/{target}"))
        assert h1(page) == cases[target]["title"]
    log.assert_clean()


# -- statistics ----------------------------------------------------------------------------------

CHARTS = {"category": "按类别统计的案例数", "region": "按地区统计的案例数", "org_type": "按组织类型统计的案例数", "industry": "按行业统计的案例数"}


def _check_charts(page, cases: dict[str, dict]) -> None:
    """A chart per vocabulary that some case uses (no shipped case states an industry, for one),
    then the chart by year."""
    expected = [alt for key, alt in CHARTS.items() if any(c.get(key) for c in cases.values())] + ["按收录年份统计的案例数"]
    assert len(expected) >= 4
    expected = [f"条形图：{name}，数据见下表" for name in expected]  # the table follows each chart
    charts = page.locator("article img.cb-chart:visible")  # the wide drawing on a desktop
    assert [charts.nth(i).get_attribute("alt") for i in range(charts.count())] == expected
    page.wait_for_function("() => [...document.querySelectorAll('img.cb-chart')].every(i => i.complete)")
    sizes = charts.evaluate_all("imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth, i.naturalHeight])")
    assert all(w > 0 and h > 0 for _, w, h in sizes), f"charts not loaded: {sizes}"


def test_statistics_charts_load(session, site, browser, cases):
    page, log = session
    page.goto(site.url("stats"))
    assert h1(page) == "数据统计"
    _check_charts(page, cases)
    shoot(page, site, "stats")
    log.assert_clean()

    # The same page in the dark palette (the charts are meant to be readable on both).
    context, dark, dark_log = _open(browser, site, color_scheme="dark")
    try:
        dark.goto(site.url("stats"))
        assert dark.locator("body").get_attribute("data-md-color-scheme") == "slate"
        _check_charts(dark, cases)
        shoot(dark, site, "stats-dark")
        dark_log.assert_clean()
    finally:
        context.close()


# -- home and the network as a whole -------------------------------------------------------------

def test_home_numbers_sit_in_one_row(session, site):
    """The four headline numbers (案例, 类别, 地区, 待补充) are boxes side by side at 1280 px."""
    page, log = session
    page.goto(site.url())
    boxes = page.locator("article .cb-numbers li")
    assert boxes.count() == 4
    rects = boxes.evaluate_all("els => els.map(e => e.getBoundingClientRect()).map(r => [Math.round(r.top), Math.round(r.width)])")
    assert len({top for top, _ in rects}) == 1, f"the number boxes wrap onto several rows: (top, width) = {rects}"
    log.assert_clean()


def test_home_and_no_foreign_requests(session, site, cases):
    """Walk the main pages with one tab: every request stays on the site, nothing errors."""
    page, log = session
    page.goto(site.url())
    assert h1(page) == "两新党建工作法案例库"
    featured = {c["title"] for c in cases.values() if c.get("featured")}
    cards = {t.strip() for t in page.locator("article .grid.cards li strong a").all_inner_texts()}
    assert cards == featured
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    shoot(page, site, "home")

    page.locator(".md-tabs a", has_text="案例总览").click()
    page.wait_for_url(site.url("overview"))
    page.wait_for_selector("select[data-cb-facet]")
    page.locator(".md-tabs a", has_text="数据统计").click()
    page.wait_for_url(site.url("stats"))
    _check_charts(page, cases)
    page.locator(".md-tabs a", has_text="分类浏览").click()
    page.wait_for_url(site.url("browse/"))

    # Search from a page other than home, with a screenshot of the open results, then follow
    # the first result as a reader would.
    results = search(page, "阳光车队")
    assert without_query(results[0]["href"]) == site.url(f"cases/{YANGGUANG}")
    shoot(page, site, "search")
    page.locator(".md-search-result__list > li.md-search-result__item > a").first.click()
    page.wait_for_url(re.compile(re.escape(site.url(f"cases/{YANGGUANG}")) + r"(\?.*)?$"))
    assert h1(page) == cases[YANGGUANG]["title"]
    # search.highlight marks the query on the page once Material's script has run: wait for it
    # (it fails if no mark ever appears) rather than race the script.
    page.locator("article mark").first.wait_for(timeout=SEARCH_TIMEOUT_MS)
    assert page.locator("article mark").count() > 0

    requested = {without_query(u) for u in log.requests}
    # Our search worker answered (not Material's, which would also load lunr), with the index
    # prebuilt at build time; the log sees the worker's requests too (or its iframe shim's).
    assert any(u.endswith("/assets/javascripts/search-worker.js") for u in requested), requested
    assert any(u.startswith(site.base + "search/search_index.") for u in requested), requested
    assert not any("/lunr/" in u or "/workers/search." in u for u in requested), requested
    log.assert_clean()


# -- Content Security Policy: the theme works under it, injected script does not ------------------
# (Every test above also fails on a CSP violation: PageLog.assert_clean.)

def test_palette_switch_and_restore_under_the_policy(session, site):
    """The palette switch works, and a reload keeps the choice: Material restores it with an inline
    script at the top of <body>, which runs only because its hash is in the page's policy."""
    page, log = session
    page.goto(site.url("stats"))
    assert page.locator('meta[http-equiv="Content-Security-Policy"]').count() == 1
    assert page.locator('meta[name="referrer"]').get_attribute("content") == "no-referrer"
    assert page.locator("body").get_attribute("data-md-color-scheme") == "default"
    assert toggle_palette(page) == "slate"
    page.goto(site.url("overview"))
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    page.reload()
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    assert toggle_palette(page) == "default"
    page.reload()
    assert page.locator("body").get_attribute("data-md-color-scheme") == "default"
    log.assert_clean()


INJECTED = ('<script>window.__injected = "inline"</script>'
            '<img src="assets/images/favicon.png" alt="" onload="window.__handler = 1">')


def probe_pages(root: Path) -> dict[str, str]:
    """Copies of the built home page with markup injected into its content, as a sanitiser bug would
    leave it: "after" (into the finished page), "before" (into the content before the policy was
    made: the builder is told that text came from the library), "none" (no policy at all: the
    injection itself works, so the other two can fail)."""
    from casebook.site import csp

    def inject(text: str) -> str:
        article = re.search(r'<article class="md-content__inner md-typeset">', text)
        assert article, "the home page has no Material article"
        return text[: article.end()] + INJECTED + text[article.end():]

    built = (root / "index.html").read_text("utf-8")
    bare = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", built, count=1)
    assert bare != built
    return {"after": inject(built), "before": csp.add_policy(inject(bare), untrusted=[INJECTED]), "none": inject(bare)}


def test_policy_refuses_script_injected_into_a_built_page(browser, site):
    """The second wall: an inline script and an event handler that got into a page's content do
    not run, and the browser reports the violations; the page itself still works."""
    pages = probe_pages(site.root)
    written = []
    try:
        for name, text in pages.items():
            path = site.root / f"csp-probe-{name}.html"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        for name in pages:
            context, page, log = _open(browser, site)
            try:
                page.goto(site.base + f"csp-probe-{name}.html")
                page.wait_for_function("() => document.querySelector('article img').complete")
                page.wait_for_timeout(200)
                ran = page.evaluate("() => [window.__injected || null, window.__handler || null]")
                if name == "none":
                    assert ran == ["inline", 1], "the injected markup does not run even without a policy: the probe is broken"
                    assert not log.violations
                    continue
                assert ran == [None, None], f"{name}: injected script ran under the policy"
                directives = " ".join(log.violations)
                assert "script-src-elem" in directives and "script-src-attr" in directives, log.violations
                # The theme's own scripts still ran: Material's bundle and the palette restore.
                assert page.evaluate("() => typeof document$ !== 'undefined' && typeof __md_get === 'function'")
                page.locator("input.md-search__input").click()
                assert page.locator("body").get_attribute("data-md-color-scheme") == "default"
            finally:
                context.close()
    finally:
        for path in written:
            path.unlink()
