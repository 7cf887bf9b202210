"""Keyboard and 关怀模式 (care mode) on the built site, with real key presses in headless Chromium.

- Every Tab stop is visible and has a focus ring that stands out (3:1) from what is behind it,
  nothing hidden takes focus, Tab goes through the page in the order it is seen; the skip link,
  search, the overview's filters and the narrow-screen navigation drawer work from the keyboard
  alone.
- 关怀模式: the header button (aria-pressed), text 1.25x larger, line spacing 1.8 or more, 7:1
  contrast (axe-core's AAA rule), no sideways scrolling at 390 px, kept across pages and reloads,
  online and offline (file://), and drawn from the first paint.

Helpers in accessibility_support.py; screenshots go to tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re

import pytest

from accessibility_support import (  # noqa: F401 - browser and sites are fixtures
    SCHEMES,
    SEARCH_QUERY,
    WIDTHS,
    axe_violations,
    check_stops,
    drawer_walk,
    focused,
    longest_case,
    new_page,
    page_url,
    report,
    settle,
    shoot,
    sites,
    still,
    tab_walk,
)
from browser_support import SEARCH_TIMEOUT_MS

pytestmark = pytest.mark.browser


# -- keyboard ------------------------------------------------------------------------------------

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


def test_the_focus_checks_can_fail(browser, sites):
    """check_stops reports a focus ring taken away, a hidden element that takes focus, and Tab
    going back up the page."""
    context, page = new_page(browser)
    try:
        page.goto(sites["online"].url(f"cases/{longest_case()}"))
        settle(page)
        page.evaluate("""() => {
            const sheet = document.styleSheets[document.styleSheets.length - 1];
            sheet.insertRule('.md-tabs__link:focus-visible { outline: none !important; }', sheet.cssRules.length);
            const ghost = document.createElement('a');
            ghost.href = '#ghost'; ghost.textContent = 'ghost'; ghost.style.opacity = '0';
            document.querySelector('article').prepend(ghost);
        }""")
        page.locator(".md-tabs__link").first.focus()
        page.keyboard.press("Tab")  # to the next tab, from the keyboard (a visible focus is due)
        with pytest.raises(AssertionError, match="no focus ring"):
            check_stops([focused(page)], "tabs without a ring")
        page.locator("article a[href='#ghost']").focus()
        with pytest.raises(AssertionError, match="hidden element takes focus"):
            check_stops([focused(page, wait_ms=0)], "an invisible link")
        links = page.locator("article a[href]:not([href='#ghost'])")
        first, last = links.first, links.last
        last.focus()
        below = focused(page)
        first.focus()
        with pytest.raises(AssertionError, match="goes back up"):
            check_stops([below, focused(page)], "upwards")
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
