"""Accessibility of the built site in a real browser (Debian's headless Chromium through Playwright).

- axe-core (the copy the locked PyPI package axe-playwright-python ships) with the WCAG 2.0/2.1
  A and AA rules over every page type, in both colour schemes, at 1280 px and 390 px: no
  violations of any impact. A deliberately broken page proves the check can fail.
- Keyboard, with real key presses: every Tab stop is visible and has a focus ring that stands
  out (3:1), nothing hidden takes focus, the order follows the page, the skip link, search, the
  overview's filters and the narrow-screen menu work from the keyboard alone.
- 关怀模式 (care mode): the header button, larger text and line spacing, 7:1 contrast (axe's
  AAA rule), no sideways scrolling at 390 px, kept across pages and reloads, online and offline.
- Charts: label text 4.5:1 against the chart's own background, a name, the table next to it.
- Print: a case page prints as the page alone, black on white, in every scheme and mode.

The builds are the shared session builds of the shipped library (conftest.shipped_builds).
Screenshots go to tests/screenshots/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from hypothesis import given, settings
from hypothesis import strategies as st

from browser_support import SEARCH_TIMEOUT_MS, Site, StaticServer, launched_chromium, load_cases
from conftest import REPO, SHIPPED

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "tests" / "screenshots"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = {"default": "light", "slate": "dark"}  # Material's scheme -> the browser's preference
WIDTHS = [1280, 390]
SEARCH_QUERY = "阳光车队"


# -- what to test --------------------------------------------------------------------------------

PUBLISHED = set(load_cases(SHIPPED))


def longest_case() -> str:
    """Id of the published case with the most text (the longest page to check)."""
    sizes = {}
    for path in SHIPPED.rglob("*.md"):
        text = path.read_text(encoding="utf-8-sig")
        match = re.search(r"^id:\s*(\S+)", text, re.M)
        if match and match.group(1) in PUBLISHED:
            sizes[match.group(1)] = len(text)
    return max(sorted(sizes), key=sizes.get)


def facet_page(site_root: Path) -> str:
    """The first category page of the build (browse/category/<slug>)."""
    pages = sorted(p.parent.name for p in (site_root / "browse" / "category").glob("*/index.html"))
    assert pages, "no category pages were built"
    return f"browse/category/{pages[0]}"


PAGE_TYPES = ["home", "overview", "browse", "facet", "case", "stats", "guide", "404", "search", "offline-home"]


def page_url(site: Site, offline: Site, kind: str) -> str:
    return {
        "home": site.url(),
        "overview": site.url("overview"),
        "browse": site.url("browse/"),
        "facet": site.url(facet_page(site.root)),
        "case": site.url(f"cases/{longest_case()}"),
        "stats": site.url("stats"),
        "guide": site.url("guide/contributing"),
        "404": site.base + "404.html",
        "search": site.url("browse/"),
        "offline-home": offline.url(),
    }[kind]


# -- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sites(shipped_builds):
    """{"online": Site over http://127.0.0.1, "offline": Site over file://}."""
    server = StaticServer(shipped_builds["online"])
    offline = shipped_builds["offline"]
    try:
        yield {"online": Site("online", shipped_builds["online"], server.base),
               "offline": Site("offline", offline, offline.as_uri() + "/")}
    finally:
        server.close()


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as chromium:
        yield chromium


def new_page(browser, scheme: str = "default", width: int = 1280):
    """A fresh context (its own localStorage: no saved scheme or care mode) and page."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=SCHEMES[scheme],
                                  locale="zh-CN")
    context.set_default_timeout(10_000)
    context.add_init_script(COLOUR_JS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.errors = errors  # checked by the tests that drive the page
    return context, page


@pytest.fixture(scope="module")
def pages(browser):
    """One page per (scheme, width), shared by the axe tests; closed at the end of the module."""
    opened: dict[tuple[str, int], object] = {}

    def get(scheme: str, width: int):
        if (scheme, width) not in opened:
            opened[scheme, width] = new_page(browser, scheme, width)
        return opened[scheme, width][1]

    yield get
    for context, _ in opened.values():
        context.close()


def shoot(page, name: str, full_page: bool = True) -> None:
    """A screenshot to look at: the whole page, or only the window for very long pages (a
    full-page shot of those costs seconds and is too tall to look at anyway)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tall = page.evaluate("() => document.documentElement.scrollHeight") > 5000
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}.png"), full_page=full_page and not tall)


def settle(page) -> None:
    """Wait for Material (and our scripts) to have set the page up: fonts, images, the overview's
    filters, the tables' scroll boxes."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.fonts.status === 'loaded' && [...document.images].every(i => i.complete)")
    if page.locator("[data-cb-overview]").count():
        page.wait_for_selector("select[data-cb-facet]")
    still(page)


def still(page) -> None:
    """Wait for CSS transitions to end (axe blends colours with an opacity still fading in)."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


def open_search_results(page, query: str = SEARCH_QUERY) -> None:
    """Open Material's search and show the results for `query` (on a narrow screen the box
    hides behind the header's search icon)."""
    icon = page.locator('.md-header label.md-header__button[for="__search"]')
    if icon.is_visible():
        icon.click()
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    page.keyboard.press("End")  # Material searches on keyup
    page.wait_for_selector(".md-search-result__item", timeout=SEARCH_TIMEOUT_MS)
    still(page)


# -- axe-core ------------------------------------------------------------------------------------

AXE = Axe()


def axe_violations(page, tags: list[str] | None = None, rules: list[str] | None = None, context=None) -> list[dict]:
    """axe-core's violations on the page as it is now: [{id, impact, help, nodes: [target, ...]}]."""
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": tags or WCAG_AA}
    result = AXE.run(page, context=context, options={"runOnly": run_only, "resultTypes": ["violations"]})
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [(" ".join(map(str, n["target"])), n.get("failureSummary", "")) for n in v["nodes"]]}
            for v in result.response["violations"]]


def report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {target}: {summary.splitlines()[-1].strip() if summary else ''}" for target, summary in v["nodes"][:8]]
    return "\n".join(lines)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_axe_finds_no_wcag_aa_violation(pages, sites, kind, scheme, width):
    page = pages(scheme, width)
    page.goto(page_url(sites["online"], sites["offline"], kind))
    settle(page)
    assert page.locator("body").get_attribute("data-md-color-scheme") == scheme
    if kind == "search":
        open_search_results(page)
    violations = axe_violations(page)
    if width == WIDTHS[0] or kind in ("case", "search"):
        shoot(page, f"{kind}-{scheme}-{width}")
    assert not violations, f"{kind} ({scheme}, {width} px):\n{report(violations)}"
    if kind == "search":
        page.keyboard.press("Escape")


def test_axe_reports_a_broken_page(browser, sites):
    """The same check on a real page made worse: it must report what was broken."""
    context, page = new_page(browser)
    try:
        page.goto(sites["online"].url(f"cases/{longest_case()}"))
        settle(page)  # (the same page passes in test_axe_finds_no_wcag_aa_violation)
        page.evaluate("""() => {
            document.documentElement.removeAttribute('lang');
            document.querySelector('article p').style.color = '#aaaaaa';
            document.querySelector('article .cb-meta a').replaceChildren();
        }""")
        found = {v["id"] for v in axe_violations(page)}
        assert {"html-has-lang", "color-contrast", "link-name"} <= found, found
    finally:
        context.close()


def test_language_and_skip_link_text(sites):
    """<html lang="zh-CN"> on every page; Material's other Chinese texts are still there."""
    root = sites["online"].root
    for path in sorted(root.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        assert '<html lang="zh-CN"' in html, path
    home = (root / "index.html").read_text(encoding="utf-8")
    assert re.search(r'class="md-skip">\s*跳到正文\s*</a>', home)
    assert 'placeholder="搜索"' in home and "没有找到符合条件的结果".encode("unicode_escape").decode() in home


# -- keyboard ------------------------------------------------------------------------------------

# The colour behind an element (its own, or its ancestors' composited), and WCAG contrast.
COLOUR_JS = r"""
window.cbColour = (() => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, below) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + below[i] * (1 - a)).concat([1]); };
  const background = el => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (const c of layers.reverse()) colour = over(c, colour);
    return colour;
  };
  const lum = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  return {parse, over, background, contrast};
})();
"""

# The focused element as the reader sees it. Material's colour switch is a visually hidden radio
# button whose focus is drawn on the label next to it.
FOCUS_JS = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const shown = el.matches('.md-option') ? el.nextElementSibling : el;
  const r = shown.getBoundingClientRect();
  const cs = getComputedStyle(shown);
  const region = el.closest('.md-skip') ? 'skip' : el.closest('.md-header') ? 'header' : el.closest('.md-tabs') ? 'tabs'
    : el.closest('.md-sidebar--primary') ? 'nav' : el.closest('.md-sidebar--secondary') ? 'toc'
    : el.closest('article') ? 'content' : el.closest('.md-footer') ? 'footer' : el.closest('.md-top') ? 'top' : 'other';
  const ring = cbColour.parse(cs.outlineColor);
  const behind = cbColour.background(shown.parentElement);
  const visible = shown.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight;
  return {
    name: (el.getAttribute('aria-label') || el.innerText || el.value || el.className || el.tagName).trim().slice(0, 40),
    tag: el.tagName, region, visible, x: Math.round(r.left), y: Math.round(r.top + scrollY),
    outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
    ringContrast: Math.round(cbColour.contrast(cbColour.over(ring, behind), behind) * 100) / 100,
    key: el.id || el.getAttribute('href') || el.getAttribute('for') || el.className + '|' + el.tagName + '|' + (el.innerText || '').slice(0, 20),
  };
}"""

# The columns in the order they are seen: the table of contents (right) after the content.
REGIONS = ["skip", "header", "tabs", "nav", "content", "toc", "footer"]


def focused(page, wait_ms: int = 1500) -> dict | None:
    """The focused element once it has had time to appear and its transitions have ended (the
    skip link and the narrow-screen search box slide in when focused, the search box turns
    white)."""
    waited = 0
    while True:
        state, moving = page.evaluate(f"() => [({FOCUS_JS})(), document.getAnimations().some(a => a.playState === 'running')]")
        if not state or (state["visible"] and not moving) or waited >= wait_ms:
            return state
        page.wait_for_timeout(50)
        waited += 50


def tab_walk(page, limit: int = 250) -> list[dict]:
    """Press Tab from the top of the page until focus comes back to the first stop."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if state is None:  # past the last stop (the browser's own UI)
            continue
        if stops and state["key"] == stops[0]["key"]:
            return stops
        stops.append(state)
    raise AssertionError(f"Tab never came back to the first stop after {limit} presses: {[s['name'] for s in stops[-10:]]}")


def check_stops(stops: list[dict], what: str) -> None:
    problems = []
    for s in stops:
        if not s["visible"]:
            problems.append(f"hidden element takes focus: {s['name']!r} ({s['tag']}, {s['region']})")
        elif s["outline"] == "none" or s["width"] < 2:
            problems.append(f"no focus ring: {s['name']!r} ({s['region']}): outline {s['outline']} {s['width']}px")
        elif s["ringContrast"] < 3:
            problems.append(f"focus ring too faint: {s['name']!r} ({s['region']}): {s['ringContrast']}:1")
    assert not problems, f"{what}:\n" + "\n".join(problems)
    order = [REGIONS.index(s["region"]) if s["region"] in REGIONS else -1 for s in stops]
    assert -1 not in order, f"{what}: a Tab stop outside the page's regions: {[s for s in stops if s['region'] not in REGIONS]}"
    assert order == sorted(order), f"{what}: Tab order jumps between regions: {[(s['region'], s['name']) for s in stops]}"
    content = [s for s in stops if s["region"] == "content"]
    for a, b in zip(content, content[1:]):
        assert b["y"] > a["y"] - 4 or (abs(b["y"] - a["y"]) <= 4 and b["x"] >= a["x"]), (
            f"{what}: inside the page, Tab goes back up from {a['name']!r} to {b['name']!r}")


@pytest.mark.parametrize(("kind", "width"), [("case", 1280), ("overview", 1280), ("guide", 1280), ("case", 390), ("guide", 390)])
def test_every_tab_stop_is_visible_and_in_page_order(browser, sites, kind, width):
    context, page = new_page(browser, "default", width)
    try:
        page.goto(page_url(sites["online"], sites["offline"], kind))
        settle(page)
        stops = tab_walk(page)
        assert len(stops) >= 8, stops
        check_stops(stops, f"{kind} at {width} px")
        regions = {s["region"] for s in stops}
        assert {"skip", "content"} <= regions
        if width == 390:  # the drawer is closed: none of its links are Tab stops
            assert "nav" not in regions
        assert not page.errors, page.errors
    finally:
        context.close()


def test_tab_stops_in_the_dark_scheme_and_care_mode(browser, sites):
    """Focus rings also stand out in the dark scheme with 关怀模式 on (larger, other colours)."""
    context, page = new_page(browser, "slate", 1280)
    try:
        page.goto(sites["online"].url(f"cases/{longest_case()}"))
        settle(page)
        page.locator("[data-cb-care]").click()
        page.reload()  # Tab from the top of the page, not from the button
        settle(page)
        check_stops(tab_walk(page), "case page, dark scheme, 关怀模式")
    finally:
        context.close()


def test_skip_link_goes_to_the_content(browser, sites):
    context, page = new_page(browser)
    try:
        page.goto(sites["online"].url(f"cases/{longest_case()}"))
        settle(page)
        page.keyboard.press("Tab")
        first = focused(page)
        assert first["region"] == "skip" and first["name"] == "跳到正文" and first["visible"], first
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        after = focused(page)
        # The first link after the skip link's target (the page's heading).
        expected = page.evaluate("""() => {
            const target = document.getElementById(decodeURIComponent(document.querySelector('.md-skip').hash.slice(1)));
            return [...document.querySelectorAll('article a[href]')]
                .find(a => target.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING).getAttribute('href');
        }""")
        assert after["region"] == "content" and after["key"] == expected, (after, expected)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_search_by_keyboard_alone(browser, sites, width):
    """Tab to the search box, type, arrow down to the first result and open it with Enter."""
    context, page = new_page(browser, "default", width)
    try:
        site = sites["online"]
        page.goto(site.url("stats"))
        settle(page)
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.matches('input.md-search__input')"):
                break
        else:
            raise AssertionError("the search box is not a Tab stop in the first 10")
        assert focused(page)["visible"]
        page.keyboard.type(SEARCH_QUERY)  # CJK text arrives without key events (as from an IME) ...
        page.keyboard.press("End")  # ... and Material searches on keyup
        page.wait_for_selector(".md-search-result__item", timeout=SEARCH_TIMEOUT_MS)
        still(page)
        page.keyboard.press("ArrowDown")
        result = focused(page)
        assert result["visible"] and result["outline"] != "none" and result["ringContrast"] >= 3, result
        href = page.evaluate("() => document.activeElement.href")
        shoot(page, f"search-keyboard-{width}", full_page=False)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(re.escape(href.split("?")[0])))
        assert page.locator("article h1").count() == 1
        assert not page.errors, page.errors
    finally:
        context.close()


def test_overview_filters_by_keyboard_alone(browser, sites):
    context, page = new_page(browser)
    try:
        page.goto(sites["online"].url("overview"))
        settle(page)
        rows = page.locator("article table:has(th.cb-sortable) tbody tr")
        total = rows.count()
        visible_rows = page.locator("article table:has(th.cb-sortable) tbody tr:visible")
        count = page.locator(".cb-count")
        facet = page.locator("select[data-cb-facet]").first
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.matches('select[data-cb-facet]')"):
                break
        assert facet.evaluate("e => e === document.activeElement"), "the first filter is not reachable with Tab"
        page.keyboard.press("ArrowDown")  # a closed <select> takes the next option
        chosen = facet.input_value()
        assert chosen, "ArrowDown did not choose an option"
        shown = visible_rows.count()
        assert 0 < shown < total and count.inner_text() == f"显示 {shown} / {total} 个案例"
        # Tab on through the other filters to the text box, type, then to 清除筛选 and press it.
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.matches('input[data-cb-text]')"):
                break
        assert page.evaluate("() => document.activeElement.labels[0].textContent.trim()") == "查找"  # a visible label
        page.keyboard.type("zzz-没有这个单位")
        assert visible_rows.count() == 0
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent") == "清除筛选"
        page.keyboard.press("Enter")
        assert visible_rows.count() == total and facet.input_value() == ""
        page.keyboard.press("Tab")  # then on to the table's sortable headers
        assert page.evaluate("() => document.activeElement.matches('th.cb-sortable')")
        page.keyboard.press("Space")
        assert page.evaluate("() => document.activeElement.getAttribute('aria-sort')") == "ascending"
    finally:
        context.close()


def drawer_walk(page) -> list[dict]:
    """Tab from the focused element while focus stays in the navigation drawer."""
    stops = [focused(page)]
    while True:
        page.keyboard.press("Tab")
        state = focused(page)
        if not state or state["region"] != "nav":
            return stops
        stops.append(state)


def test_narrow_menu_opens_and_closes_by_keyboard(browser, sites):
    """At 390 px the navigation is a drawer: the menu button opens it, every stop inside is
    visible, a section's levels open and close from the keyboard, Escape closes it."""
    context, page = new_page(browser, "default", 390)
    try:
        page.goto(sites["online"].url("guide/contributing"))
        settle(page)
        for _ in range(6):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.matches('label[for=\"__drawer\"]')"):
                break
        menu = focused(page)
        assert menu["region"] == "header" and menu["name"] == "导航菜单" and menu["visible"], menu
        button = page.locator('.md-header label[for="__drawer"]')
        assert button.get_attribute("aria-expanded") == "false"
        page.keyboard.press("Enter")
        assert button.get_attribute("aria-expanded") == "true"
        # The drawer opens on this page's section: its "back" title first, then its pages.
        stops = drawer_walk(page)
        check_stops(stops, "drawer (参与贡献)")
        names = [s["name"] for s in stops]
        assert names[0] == "返回上一级：参与贡献" and "校验代码一览" in names, names
        assert page.locator("#__drawer").is_checked() is False  # Tab out of the drawer closes it
        shoot(page, "menu-open-390", full_page=False)

        button.focus()
        page.keyboard.press("Space")  # Space opens it too
        assert focused(page)["name"] == "返回上一级：参与贡献"
        page.keyboard.press("Enter")  # back to the top level, focus on the section it came from
        back = focused(page)
        assert back["name"] == "参与贡献" and back["visible"], back
        top = drawer_walk(page)
        check_stops(top, "drawer (top level)")
        assert "数据统计" not in [s["name"] for s in top]  # it comes before: Shift+Tab

        button.focus()
        page.keyboard.press("Enter")
        first = focused(page)
        assert first["visible"] and first["region"] == "nav", first
        page.keyboard.press("Escape")
        back = focused(page)
        assert back["name"] == "导航菜单" and not page.locator("#__drawer").is_checked()
        page.keyboard.press("Enter")
        page.keyboard.press("Shift+Tab")  # back out of the drawer: to the header, drawer closed
        assert focused(page)["region"] == "header" and not page.locator("#__drawer").is_checked()
        assert not page.errors, page.errors
    finally:
        context.close()


# -- 关怀模式 ---------------------------------------------------------------------------------------

MEASURE_JS = """() => {
  const p = document.querySelector('article p');
  const cs = getComputedStyle(p);
  return {font: parseFloat(cs.fontSize), line: parseFloat(cs.lineHeight) / parseFloat(cs.fontSize),
          care: document.documentElement.classList.contains('cb-care'),
          pressed: document.querySelector('[data-cb-care]').getAttribute('aria-pressed')};
}"""

# Elements drawn beyond the right edge of the window (outside any box that scrolls or clips them).
OVERFLOW_JS = """() => {
  const out = [];
  const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
    const o = getComputedStyle(a).overflowX; if (o !== 'visible') return true; } return false; };
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width && r.right > innerWidth + 1 && e.checkVisibility() && !clipped(e)) out.push(e.tagName + '.' + e.className);
  }
  return {scroll: document.documentElement.scrollWidth - innerWidth, body: document.body.scrollWidth - innerWidth, out: out.slice(0, 10)};
}"""


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_care_mode(browser, sites, scheme):
    context, page = new_page(browser, scheme, 1280)
    try:
        site = sites["online"]
        page.goto(site.url(f"cases/{longest_case()}"))
        settle(page)
        button = page.locator("[data-cb-care]")
        # In the header, right after Material's colour switch.
        assert button.evaluate("b => b.closest('.md-header') && b.previousElementSibling.matches('[data-md-component=palette]')")
        assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
        assert button.evaluate("b => b.tagName") == "BUTTON" and "关怀模式" in button.inner_text()
        before = page.evaluate(MEASURE_JS)
        assert not before["care"]

        button.focus()
        page.keyboard.press("Enter")
        after = page.evaluate(MEASURE_JS)
        assert after["care"] and after["pressed"] == "true"
        assert after["font"] >= 1.25 * before["font"] - 0.01, (before, after)
        assert after["line"] >= 1.8, after
        lines = page.evaluate("() => [...document.querySelectorAll('article :is(p, li, dd, td)')].map(e => { const s = getComputedStyle(e); return parseFloat(s.lineHeight) / parseFloat(s.fontSize); })")
        assert min(lines) >= 1.8, f"body text with line spacing {min(lines):.2f}"
        # Contrast of 7:1 for all text (axe's AAA rule), and still no AA violation.
        enhanced = axe_violations(page, rules=["color-contrast-enhanced"])
        assert not enhanced, report(enhanced)
        assert not axe_violations(page), report(axe_violations(page))
        shoot(page, f"care-{scheme}-1280")

        # Kept on reload and on the next page; off again with a second press.
        page.reload()
        settle(page)
        assert page.evaluate(MEASURE_JS)["care"] and page.evaluate(MEASURE_JS)["pressed"] == "true"
        page.goto(site.url("overview"))
        settle(page)
        assert page.evaluate("() => document.documentElement.classList.contains('cb-care')")
        assert not axe_violations(page, rules=["color-contrast-enhanced"])
        page.locator("[data-cb-care]").click()
        assert page.locator("[data-cb-care]").get_attribute("aria-pressed") == "false"
        page.goto(site.url())
        assert not page.evaluate("() => document.documentElement.classList.contains('cb-care')")
        assert not page.errors, page.errors
    finally:
        context.close()


def test_care_mode_reflows_at_390px(browser, sites):
    """关怀模式 at 390 px: nothing sticks out sideways on any page type (tables and code scroll
    inside their own boxes)."""
    context, page = new_page(browser, "default", 390)
    try:
        page.goto(sites["online"].url())
        settle(page)
        page.locator("[data-cb-care]").click()
        problems = {}
        for kind in ("home", "overview", "case", "stats", "guide", "facet"):
            page.goto(page_url(sites["online"], sites["offline"], kind))
            settle(page)
            assert page.evaluate("() => document.documentElement.classList.contains('cb-care')")
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow["scroll"] > 0 or overflow["body"] > 0 or overflow["out"]:
                problems[kind] = overflow
            shoot(page, f"care-{kind}-390")
        assert not problems, problems
        # The check sees a block that is too wide.
        page.evaluate("""() => { const wide = document.createElement('p'); wide.style.width = '600px';
                                 wide.textContent = '宽'; document.querySelector('article').append(wide); }""")
        assert page.evaluate(OVERFLOW_JS)["out"]
    finally:
        context.close()


def test_care_mode_is_kept_offline_and_drawn_from_the_first_paint(browser, sites):
    """file:// (the offline copy): the choice holds across pages. The class is on <html> before
    the body is parsed (the script runs in <head>), so the page never shows in the small size."""
    context, page = new_page(browser)
    try:
        site = sites["offline"]
        page.add_init_script("""
            new MutationObserver((_, observer) => {
                if (document.body) {
                    window.__careAtBody = document.documentElement.classList.contains('cb-care');
                    observer.disconnect();
                }
            }).observe(document, {childList: true, subtree: true});
        """)
        page.goto(site.url())
        settle(page)
        assert page.evaluate("() => window.__careAtBody") is False
        page.locator("[data-cb-care]").click()
        page.goto(site.url("stats"))
        settle(page)
        assert page.evaluate("() => window.__careAtBody") is True
        assert page.locator("[data-cb-care]").get_attribute("aria-pressed") == "true"
        page.goto(site.url(f"cases/{longest_case()}"))
        assert page.evaluate("() => window.__careAtBody") is True
        assert not page.errors, page.errors
    finally:
        context.close()


# -- charts --------------------------------------------------------------------------------------

def _contrast(a: str, b: str) -> float:
    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted([lum(a), lum(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula():
    assert round(_contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(_contrast("#767676", "#ffffff"), 2) == 4.54  # the lightest grey that passes on white
    assert round(_contrast("#808080", "#ffffff"), 2) == 3.95  # the old chart labels
    assert round(_contrast("#b71c1c", "#ffffff"), 2) == 6.57  # the site's red


colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@settings(max_examples=300)
@given(st.lists(st.tuples(colours, colours), min_size=1, max_size=20))
def test_browser_contrast_helper_agrees_with_the_formula(js_page, pairs):
    """The in-page helper that measures focus rings and placeholders (COLOUR_JS) gives WCAG's
    ratio, checked against the Python formula above on random colour pairs."""
    got = js_page.evaluate("""pairs => pairs.map(([a, b]) => {
        const rgb = h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)).concat([1]);
        return cbColour.contrast(rgb(a), rgb(b));
    })""", [list(p) for p in pairs])
    assert got == pytest.approx([_contrast(a, b) for a, b in pairs], rel=1e-9)


@pytest.fixture(scope="module")
def js_page(browser):
    context, page = new_page(browser)
    page.goto("about:blank")
    yield page
    context.close()


def test_chart_text_and_bars_stand_out_from_the_chart_background(sites):
    ns = "{http://www.w3.org/2000/svg}"
    charts = sorted((sites["online"].root / "stats").glob("*.svg"))
    assert len(charts) >= 4
    for path in charts:
        svg = ET.fromstring(path.read_bytes())
        background, *bars = svg.findall(f".//{ns}rect")
        assert (background.get("width"), background.get("height")) == (svg.get("width"), svg.get("height"))
        text_colour = svg.find(f"{ns}g").get("fill")
        assert svg.findall(f".//{ns}text") and all(t.get("fill") in (None, text_colour) for t in svg.iter(f"{ns}text"))
        assert _contrast(text_colour, background.get("fill")) >= 4.5, path.name
        assert bars and all(_contrast(b.get("fill"), background.get("fill")) >= 3 for b in bars), path.name


def test_chart_images_are_named_and_followed_by_their_table(browser, sites):
    context, page = new_page(browser, "slate")
    try:
        page.goto(sites["online"].url("stats"))
        settle(page)
        charts = page.locator("article img.cb-chart")
        assert charts.count() >= 4
        for i in range(charts.count()):
            info = charts.nth(i).evaluate("""img => ({alt: img.alt, heading: img.closest('p').previousElementSibling.textContent,
                next: img.closest('p').nextElementSibling.querySelector('table') !== null
                      || img.closest('p').nextElementSibling.tagName === 'TABLE'})""")
            topic = info["heading"].strip().removeprefix("按")
            assert info["alt"] == f"条形图：按{topic}统计的案例数，数据见下表" and info["next"], info
    finally:
        context.close()


# -- what axe cannot see ---------------------------------------------------------------------------

@pytest.mark.parametrize(("scheme", "width"), [("default", 1280), ("slate", 390)])
def test_search_placeholder_is_readable(browser, sites, scheme, width):
    """The search box's placeholder (axe does not check placeholders): in the red header, and in
    the opened box on a narrow screen."""
    context, page = new_page(browser, scheme, width)
    try:
        page.goto(sites["online"].url())
        settle(page)
        icon = page.locator('.md-header label.md-header__button[for="__search"]')
        if icon.is_visible():
            icon.click()
            still(page)
        ratio = page.evaluate("""() => {
            const input = document.querySelector('.md-search__input');
            const behind = cbColour.background(input);
            const text = cbColour.parse(getComputedStyle(input, '::placeholder').color);
            return cbColour.contrast(cbColour.over(text, behind), behind);
        }""")
        assert ratio >= 4.5, ratio
    finally:
        context.close()


def test_closed_search_panel_takes_no_focus(browser, sites):
    context, page = new_page(browser)
    try:
        page.goto(sites["online"].url())
        settle(page)
        wrap = page.locator(".md-search__scrollwrap")
        assert wrap.evaluate("e => getComputedStyle(e).visibility") == "hidden"
        open_search_results(page)
        assert wrap.evaluate("e => getComputedStyle(e).visibility") == "visible"
    finally:
        context.close()


# -- print ---------------------------------------------------------------------------------------

PRINT_JS = """() => {
  const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.checkVisibility()).map(e => e.className || e.tagName);
  const colour = sel => { const e = document.querySelector(sel); const b = cbColour.background(e).slice(0, 3).map(Math.round);
    return [getComputedStyle(e).color, `rgb(${b.join(', ')})`]; };
  return {
    chrome: shown('.md-header, .md-tabs, .md-search, .md-sidebar, .md-footer, .md-top, .cb-care-toggle'),
    body: getComputedStyle(document.body).backgroundColor,
    text: [...document.querySelectorAll('article :is(h1, h2, p, li, dt, dd, a, td)')].map(e => getComputedStyle(e).color),
    card: colour('.cb-meta'),
    article: document.querySelector('article').checkVisibility(),
  };
}"""


@pytest.mark.parametrize(("scheme", "care"), [("default", False), ("slate", True)])
def test_case_page_prints_clean(browser, sites, scheme, care):
    context, page = new_page(browser, scheme)
    try:
        page.goto(sites["online"].url(f"cases/{longest_case()}"))
        settle(page)
        if care:
            page.locator("[data-cb-care]").click()
        page.emulate_media(media="print")
        still(page)  # links fade to black
        state = page.evaluate(PRINT_JS)
        assert state["article"] and not state["chrome"], state["chrome"]
        assert state["body"] == "rgb(255, 255, 255)", state["body"]
        assert set(state["text"]) == {"rgb(0, 0, 0)"}, set(state["text"])
        assert state["card"] == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"], state["card"]
        if care:  # a PDF to look at (pdftoppm -png turns it into images)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            pdf = SCREENSHOTS / f"a11y-print-{scheme}-care.pdf"
            page.pdf(path=str(pdf), format="A4")
            assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    finally:
        context.close()


# -- the overrides stay in step with Material ---------------------------------------------------------

def test_palette_override_keeps_materials_switch():
    """overrides/partials/palette.html is Material's palette.html plus our button: a Material
    upgrade that changes the switch must be copied over (this test says when)."""
    import material

    theirs = (Path(material.__file__).parent / "templates" / "partials" / "palette.html").read_text(encoding="utf-8")
    ours = (REPO / "overrides" / "partials" / "palette.html").read_text(encoding="utf-8")
    body = theirs.split("-#}", 1)[1].strip()
    assert body in ours


def test_main_template_keeps_materials_sidebars():
    """overrides/main.html renders Material's two sidebars in two blocks (the table of contents
    after the content): the markup must still be Material's."""
    import material

    def lines(text: str) -> str:
        return "\n".join(line.strip() for line in text.strip().splitlines())

    base = (Path(material.__file__).parent / "templates" / "base.html").read_text(encoding="utf-8")
    block = base.split("{% block site_nav %}", 1)[1].split("{% endblock %}", 1)[0]
    primary, secondary = block.split('{% if "toc.integrate" not in features %}')
    ours = lines((REPO / "overrides" / "main.html").read_text(encoding="utf-8"))
    assert lines(primary) in ours
    assert lines('{% if "toc.integrate" not in features %}' + secondary) in ours
